"""What a province page is made of, and its rendered body kept between builds when that did not change.

A province page shows its own province's figures; the national ones and its rank come from compare.js. So a
new return elsewhere leaves it as it was, and its body need not be rendered again. The template gets the
year's view through :class:`ProvinceView`, which holds that one province's parts only: anything else the
template reached for would fail the build (StrictUndefined) instead of going unnoticed in the key. The key is
a digest of every input (all fields of every hall, quotas, lists, trends, rules), the templates and the code
(page_keys.py); a body whose key the last build rendered is read from ``.<site>.pages/<key>`` beside the
site.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Template

from generator.fs.files import read_own_file
from generator.fs.memo import seal, unseal
from generator.model import HallRow
from generator.rules.terms import NATIONAL
from generator.site import charts
from generator.site.page_keys import page_row, render_inputs_key, template_set_digest
from generator.site.view import TIER_ORDER, YearView, download_names


def _as_is(hall: HallRow) -> HallRow:
    return hall


class ProvinceView:
    """The parts of a :class:`site_view.YearView` one province's page reads."""

    def __init__(self, view: YearView, name: str, shown: Callable[[HallRow], HallRow] = _as_is):
        """``shown``: each hall row as the template gets it (site_page_keys.page_row)."""
        self.name = name
        self.year = view.year
        self.thresholds = view.thresholds
        self.todo_by_province = {name: {k: [shown(h) for h in v] for k, v in view.todo_by_province[name].items()}}
        self._confirmed = view.confirmed_counts_of(name)
        app = view.application or {}
        self.application = {
            "previous_year": app.get("previous_year"), "lines": app.get("lines"),
            "progress_lines": app.get("progress_lines"), "deadline": app.get("deadline"),
            "assessment_by": {name: app["assessment_by"][name]} if name in app.get("assessment_by", {}) else {},
            "rewards": {name: app["rewards"][name]} if name in app.get("rewards", {}) else {},
            "eligible": [shown(h) for h in app.get("eligible", ()) if h.province == name],
        }

    def confirmed_counts_of(self, province: str) -> Counter[str]:
        if province != self.name:
            raise KeyError(province)
        return self._confirmed

    def key_data(self) -> dict[str, object]:
        return {"year": self.year, "thresholds": self.thresholds, "todo": self.todo_by_province,
                "confirmed": sorted(self._confirmed.items()), "application": self.application}


def province_inputs(view: YearView, row: dict[str, Any], trends: dict[str, Any],
                    shown: Callable[[HallRow], HallRow] = _as_is) -> dict[str, Any]:
    """What the province template is rendered with, but for the parts made from its halls and the standard
    alone (:func:`derived`), which the key covers through those. ``shown``: each hall row as the template gets
    it; the key is made of the rows themselves (site_page_keys: what of a row a page is handed)."""
    name = row["name"]
    downloads = download_names(view)
    points = trends["provinces"].get(name)
    return {
        # Without the province's national rank: compare.js shows it (the template cannot reach it).
        "province": {k: v for k, v in row.items() if k != "rank"}, "halls": [shown(h) for h in view.by_province[name]],
        "averages": view.province_avgs[name], "shortlists": view.shortlist(name),
        "answers": [a for a in view.record.answers if a.get("scope") in (name, NATIONAL)],
        "view": ProvinceView(view, name, shown), "tiers": TIER_ORDER, "charts": charts, "rules": view.rules,
        "trends": {"provinces": {name: points} if points is not None else {}},
        "downloads": {"provinces": {name: downloads["provinces"][name]},
                      "application_provinces": {name: downloads["application_provinces"][name]}},
        "standard": view.record.standard,  # id, version and checksum of the standard the items come from
    }


def derived(view: YearView, name: str) -> dict[str, Any]:
    """The parts computed from the province's halls and the year's standard: its cities and weakest items."""
    halls = view.by_province[name]
    return {"cities": view.cities(name),
            "weakest": view.weakest_items([h for h in halls if h.final_score is not None])}


def inputs_key(base: str, inputs: dict[str, Any]) -> str:
    """The key of a province page rendered with ``inputs`` (charts, a module, is code: in ``base``)."""
    return render_inputs_key(base, {k: v for k, v in inputs.items() if k != "charts"})


def render_province(template: Template, view: YearView, row: dict[str, Any], trends: dict[str, Any],
                    cache: PageCache | None = None) -> str:
    """A province page's body, from its own province's figures only; from ``cache`` when its key was rendered."""
    inputs = province_inputs(view, row, trends)

    def render() -> str:
        shown = province_inputs(view, row, trends, page_row)
        return template.render(**{k: v for k, v in shown.items() if k != "standard"}, **derived(view, row["name"]))

    return render() if cache is None else cache.get(inputs, render)


class PageCache:
    """Province page bodies by the key of their inputs, in a folder beside the site; ``prune`` after a build
    keeps only the ones it used."""

    def __init__(self, folder: Path, template_dir: Path):
        self.folder = Path(folder)
        # A link planted in the folder's place is not used: pruning would delete files where it points.
        self.usable = not self.folder.is_symlink()
        self.base = template_set_digest(template_dir)
        self.used: set[str] = set()
        self.reused = self.rendered = 0

    def get(self, inputs: dict[str, Any], render: Callable[[], str]) -> str:
        if not self.usable:
            self.rendered += 1
            return render()
        key = inputs_key(self.base, inputs)
        self.used.add(key)
        path = self.folder / key
        try:
            # Sealed with the installation's key, and for this key: a damaged, planted or edited body (its plain
            # SHA-256 recomputed, or another page's body under this name) is rendered again.
            body = unseal(f"province-page {key}", read_own_file(path))
            if body is not None:
                text = body.decode("utf-8")
                self.reused += 1
                return text
        except (OSError, UnicodeDecodeError):
            pass
        text = render()
        self.rendered += 1
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{key}.tmp-{os.getpid()}"
            tmp.write_bytes(seal(f"province-page {key}", text.encode("utf-8")))
            os.replace(tmp, path)
        except OSError:
            pass  # not kept: rendered again next time
        return text

    def prune(self) -> None:
        if not self.usable or self.folder.is_symlink():
            return
        try:
            for path in self.folder.iterdir():
                if path.name not in self.used:
                    path.unlink(missing_ok=True)
        except OSError:
            pass
