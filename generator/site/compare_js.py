"""The year's shared comparison figures as one small script, ``<year>/compare.js``.

National and province averages and ranks change with every return. Printed into each hall page they would make
one new score rewrite every hall page; instead hall and province pages carry their own numbers and mark the cells
and charts that compare them (``data-hs-cell``, ``data-hs-deviation``), and ``assets/hallscore.js`` fills those
from this file. A script tag (not fetch) loads it, so it works from ``file://`` as well.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from generator.rules.terms import RATED
from generator.site.format import fmt
from generator.site.view import YearView

FILE = "compare.js"
ROW_TIERS = RATED


def _numbers(averages: Mapping[str, object]) -> dict[str, float | None]:
    return {name: (float(v) if isinstance(v, (int, float)) else None) for name, v in averages.items()}


def _texts(averages: Mapping[str, object]) -> dict[str, str]:
    return {name: fmt(v) for name, v in averages.items()}


def compare_data(view: YearView) -> dict[str, Any]:
    """What the pages compare against: section averages (numbers for charts, texts for cells), ranks, the
    national row of the province pages."""
    national = {**_texts(view.national), "row:halls": str(len(view.halls)), "row:scored": str(len(view.scored)),
                "row:avg": fmt(view.avg), "row:self_gap": fmt(view.self_gap)}
    for tier in ROW_TIERS:
        national[f"row:{tier}"] = str(view.tier_counts.get(tier, 0))
    provinces = {}
    for name in view.provinces:
        row = view.row_by_name[name]
        text = _texts(view.province_avgs[name])
        text["row:rank"] = f"(第 {row['rank']} 名)" if "rank" in row else ""
        provinces[name] = {"avg": _numbers(view.province_avgs[name]), "text": text}
    return {"sections": list(view.section_names), "national": {"avg": _numbers(view.national), "text": national},
            "provinces": provinces}


def compare_script(view: YearView) -> str:
    return _script("hallscoreCompare", str(view.year), compare_data(view))


def _script(name: str, year: str, value: dict[str, Any]) -> str:
    data = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    # No markup from a register in any file, even as data: <, >, & as JSON escapes (still the same strings).
    for char in "<>&\u2028\u2029":
        data = data.replace(char, f"\\u{ord(char):04x}")
    return f"window.{name} = window.{name} || {{}};\nwindow.{name}[{json.dumps(year)}] = {data};\n"
