"""The year's shared comparison figures as one small script, ``<year>/compare.js``.

National and province averages and ranks change with every return. Printed into each hall page they would make
one new score rewrite 20,000 pages; instead hall and province pages carry their own numbers and mark the cells
and charts that compare them (``data-hs-cell``, ``data-hs-deviation``), and ``assets/hallscore.js`` fills those
from this file. A script tag (not fetch) loads it, so it works from ``file://`` as well.
"""

from __future__ import annotations

import json

from .pages import YearView, fmt, shown_ranks

FILE = "compare.js"
ROW_TIERS = ("优秀", "良好", "达标", "不达标")


def _numbers(averages: dict) -> dict:
    return {name: (float(v) if isinstance(v, (int, float)) else None) for name, v in averages.items()}


def _texts(averages: dict) -> dict:
    return {name: fmt(v) for name, v in averages.items()}


def compare_data(view: YearView) -> dict:
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
    # The quota ranks each hall page's 定级说明 quotes (pages.reason_html): they move with other halls' returns.
    ranks = {h.hall_id: shown for h in view.halls if (shown := shown_ranks(h))}
    return {"sections": list(view.section_names), "national": {"avg": _numbers(view.national), "text": national},
            "provinces": provinces, "ranks": ranks}


def compare_script(view: YearView) -> str:
    data = json.dumps(compare_data(view), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    # No markup from a register in any file, even as data: <, >, & as JSON escapes (still the same strings).
    for char in "<>&\u2028\u2029":
        data = data.replace(char, f"\\u{ord(char):04x}")
    return ("window.hallscoreCompare = window.hallscoreCompare || {};\n"
            f"window.hallscoreCompare[{json.dumps(str(view.year))}] = {data};\n")
