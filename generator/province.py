"""What a province page is made of, and its rendered body kept between builds when that did not change.

A province page shows its own province's figures; the national ones and its rank come from compare.js. So a
new return elsewhere leaves it as it was, yet rendering the 31 pages (each lists every hall of its province)
was a second of every one-return rebuild at 5,000 halls. The template gets the year's view through
:class:`ProvinceView`, which holds that one province's parts only: anything else the template reached for
would fail the build (StrictUndefined) instead of going unnoticed in the key. The key is a digest of every
input (all fields of every hall, quotas, lists, trends, rules), the templates and the code; a body whose key
the last build rendered is read from ``.<site>.pages/<key>`` beside the site.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import charts
from .fsutil import read_own_file
from .memo import seal, unseal
from .terms import NATIONAL

if TYPE_CHECKING:
    from .pages import YearView


class ProvinceView:
    """The parts of a :class:`pages.YearView` one province's page reads."""

    def __init__(self, view: YearView, name: str):
        self.name = name
        self.year = view.year
        self.thresholds = view.thresholds
        self.todo_by_province = {name: view.todo_by_province[name]}
        self._confirmed = view.confirmed_counts_of(name)
        app = view.application or {}
        self.application = {
            "previous_year": app.get("previous_year"), "lines": app.get("lines"),
            "progress_lines": app.get("progress_lines"), "deadline": app.get("deadline"),
            "assessment_by": {name: app["assessment_by"][name]} if name in app.get("assessment_by", {}) else {},
            "rewards": {name: app["rewards"][name]} if name in app.get("rewards", {}) else {},
            "eligible": [h for h in app.get("eligible", ()) if h.province == name],
        }

    def confirmed_counts_of(self, province: str) -> Any:
        if province != self.name:
            raise KeyError(province)
        return self._confirmed

    def key_data(self) -> dict:
        return {"year": self.year, "thresholds": self.thresholds, "todo": self.todo_by_province,
                "confirmed": sorted(self._confirmed.items()), "application": self.application}


def province_inputs(view: YearView, row: dict, trends: dict) -> dict:
    """What the province template is rendered with, but for the parts made from its halls and the standard
    alone (:func:`derived`), which the key covers through those."""
    from .pages import TIER_ORDER, _downloads

    name = row["name"]
    downloads = _downloads(view)
    points = trends["provinces"].get(name)
    return {
        # Without the province's national rank: compare.js shows it (the template cannot reach it).
        "province": {k: v for k, v in row.items() if k != "rank"}, "halls": view.by_province[name], "averages": view.province_avgs[name],
        "shortlists": view.shortlist(name),
        "answers": [a for a in view.record.answers if a.get("scope") in (name, NATIONAL)],
        "view": ProvinceView(view, name), "tiers": TIER_ORDER, "charts": charts, "rules": view.rules,
        "trends": {"provinces": {name: points} if points is not None else {}},
        "downloads": {"provinces": {name: downloads["provinces"][name]},
                      "application_provinces": {name: downloads["application_provinces"][name]}},
        "standard": view.record.standard,  # id, version and checksum of the standard the items come from
    }


def derived(view: YearView, name: str) -> dict:
    """The parts computed from the province's halls and the year's standard: its cities and weakest items."""
    halls = view.by_province[name]
    return {"cities": view.cities(name),
            "weakest": view.weakest_items([h for h in halls if h.final_score is not None])}


def _plain(hidden: set[str]) -> Callable[[object], object]:
    from .model import HallRow
    from .stamp import hall_digest

    def plain(value: object) -> object:
        if isinstance(value, ProvinceView):
            return value.key_data()
        if isinstance(value, HallRow):
            return hall_digest(value, hidden)  # every field's digest and the rank
        return repr(value)  # frozen dataclasses and Decimals: every field and value, exactly

    return plain


def inputs_key(base: str, inputs: dict, hidden: Iterable[str] = ()) -> str:
    """``hidden``: row fields no template shows (stamp.py's rule; a province page lists ranks, so not those)."""
    data = {k: v for k, v in inputs.items() if k != "charts"}  # a module: its code is in ``base``
    text = json.dumps(data, ensure_ascii=False, sort_keys=True,
                      default=_plain(set(hidden) - {"rank"}))
    return hashlib.sha256(f"{base}\n{text}".encode("utf-8", "surrogatepass")).hexdigest()


class PageCache:
    """Province page bodies by the key of their inputs, in a folder beside the site; ``prune`` after a build
    keeps only the ones it used."""

    def __init__(self, folder: Path, template_dir: Path):
        from .stamp import _templates

        self.folder = Path(folder)
        # A link planted in the folder's place is not used: pruning would delete files where it points.
        self.usable = not self.folder.is_symlink()
        self.base, self.hidden = _templates(template_dir)
        self.used: set[str] = set()
        self.reused = self.rendered = 0

    def get(self, inputs: dict, render: Callable[[], str]) -> str:
        if not self.usable:
            self.rendered += 1
            return render()
        key = inputs_key(self.base, inputs, self.hidden)
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
