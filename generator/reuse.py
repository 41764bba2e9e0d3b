"""Downloads that would come out byte-identical are taken from the site being replaced, not written again.

Writing the year's workbooks with openpyxl costs more than every other part of an incremental build (about
2 ms per hall row); a new return changes the national workbooks and those of its province only. Each
download gets a key of what it is made of (the rows it holds, the code); the keys of a site's downloads are
kept in ``<year>/downloads/.hallscore-keys.json`` (a dot file: MkDocs does not publish it from docs/, so it is
written into the built site directly). A download whose key matches the previous site's is copied from there.
The loops mirror exports.write_exports / write_application_exports and call their byte functions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pages import YearView

from .exports import SHORTLIST_NAME, application_bytes, application_name, export_name, workbook_bytes

KEYS = ".hallscore-keys.json"


class Downloads:
    """One build's downloads: ``write`` each, then ``save_keys`` into the built site."""

    def __init__(self, previous_site: Path | None):
        from .cache import code_version

        self.previous = previous_site
        self.version = code_version()
        self.keys: dict[str, dict[str, str]] = {}
        self._old: dict[str, dict[str, str]] = {}
        self.reused = self.written = 0

    def _old_keys(self, year: str) -> dict[str, str]:
        if year not in self._old:
            self._old[year] = {}
            if self.previous is not None:
                try:
                    self._old[year] = json.loads((self.previous / year / "downloads" / KEYS).read_text("utf-8"))
                except (OSError, ValueError):
                    pass
        return self._old[year]

    def write(self, docs: Path, year: int, name: str, parts: object, produce: Callable[[], bytes]) -> None:
        y = str(year)
        key = hashlib.sha256(json.dumps([self.version, name, parts], ensure_ascii=False, sort_keys=True,
                                        default=_part).encode("utf-8", "surrogatepass")).hexdigest()
        self.keys.setdefault(y, {})[name] = key
        target = Path(docs) / y / "downloads" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if self.previous is not None and self._old_keys(y).get(name) == key:
            try:
                target.write_bytes((self.previous / y / "downloads" / name).read_bytes())
                self.reused += 1
                return
            except OSError:
                pass
        target.write_bytes(produce())
        self.written += 1

    def save_keys(self, site: Path) -> None:
        for year, keys in self.keys.items():
            folder = Path(site) / year / "downloads"
            if folder.is_dir():
                (folder / KEYS).write_text(json.dumps(keys, ensure_ascii=False, sort_keys=True, indent=0) + "\n",
                                           encoding="utf-8")


def _part(value: object) -> object:
    from .record import HallRow
    from .stamp import hall_digest

    if isinstance(value, HallRow):
        # Every field (the digest the hall pages' keys use, made once per build) and the rank; a return's
        # checksum is in no workbook (exports.hall_rows).
        return hall_digest(value, {"sha256"})
    return str(value)


def write_downloads(view: YearView, docs: Path, downloads: Downloads) -> None:
    """The year's results and 结果应用 workbooks (exports.py), each written only when its key is new."""
    year, sections = view.year, view.section_names
    shortlists = view.shortlists
    downloads.write(docs, year, export_name(year), [view.halls, sections, shortlists],
                    lambda: workbook_bytes(year, view.halls, sections, shortlists))
    for province in view.provinces:
        halls = view.by_province[province]
        own = [s for s in shortlists if s.scope == province]
        downloads.write(docs, year, export_name(year, province), [halls, sections, own, province],
                        partial(workbook_bytes, year, halls, sections, shortlists, scope=province))
    if shortlists:
        downloads.write(docs, year, SHORTLIST_NAME.format(year=year), [shortlists],
                        lambda: workbook_bytes(year, None, [], shortlists))
    app = view.application
    assert app is not None, "attach_application runs before the downloads (site.py)"
    downloads.write(docs, year, application_name(year), [app["assessment"], app["rewards"], app["eligible"],
                                                          view.provinces],
                    lambda: application_bytes(year, app, view.provinces))
    for province in view.provinces:
        parts = [app["assessment_by"].get(province), app["rewards"].get(province, []),
                 [h for h in app["eligible"] if h.province == province]]
        downloads.write(docs, year, application_name(year, province), parts,
                        partial(application_bytes, year, app, [province]))
