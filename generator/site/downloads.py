"""Downloads that would come out byte-identical are taken from the site being replaced, not written again.

Writing the year's workbooks with openpyxl is the costliest part of an incremental build; a new return
changes the national workbooks and those of its province only. Each
download gets a key of what it is made of (the rows it holds, the code); the keys of a site's downloads are
kept in ``<year>/downloads/.hallscore-keys.json`` (a dot file: MkDocs does not publish it from docs/, so it is
written into the built site directly). A download whose key matches the previous site's is copied from there.
These loops are the only writers of the downloads; the bytes come from exports.py's byte functions.

A results workbook that is made again (its halls changed) takes the 营业厅 rows of the halls that did not
change from the same workbook of the site being replaced (xlsxrows.RowReuse): the key of each row of the last
build is kept in a memo beside the site (``.<site>.rows.json``, data only); a memo that is damaged, foreign or
made by other code, or a workbook that is not the one it describes, only costs the time of making every row.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from generator.fs.memo import read_memo, write_memo
from generator.incremental.collector import heap_given_back
from generator.incremental.fingerprints import code_version
from generator.model import HallRow
from generator.site.page_keys import hall_digest
from generator.site.view import YearView
from generator.workbooks.exports import (
    SHORTLIST_NAME,
    application_bytes,
    application_name,
    export_name,
    reward_rows,
    workbook_bytes,
)
from generator.xlsx.rows import RowReuse

KEYS = ".hallscore-keys.json"
MEMO_FORMAT = "hallscore-rows/1"


class Downloads:
    """One build's downloads: ``write`` each, then ``save_keys`` into the built site."""

    def __init__(self, previous_site: Path | None, memo: Path | None = None):
        """``memo``: where the rows' keys are kept (beside the site); by default beside ``previous_site``."""
        self.previous = previous_site
        self.version = code_version()
        self.keys: dict[str, dict[str, str]] = {}
        self._old: dict[str, dict[str, str]] = {}
        self.reused = self.written = self.rows_reused = 0
        if memo is None and previous_site is not None:
            memo = Path(previous_site).parent / f".{Path(previous_site).name}.rows.json"
        self.memo_path = memo
        self._old_rows: dict[str, Any] | None = None
        self.rows: dict[str, object] = {}  # "<year>/<name>" → memo entry of its 营业厅 rows

    def _old_row_memo(self) -> dict[str, Any]:
        if self._old_rows is None:
            self._old_rows = {}
            if self.memo_path is not None and self.previous is not None:
                data = read_memo(self.memo_path, "download-rows")  # sealed: a forged memo reads as none
                if (isinstance(data, dict) and data.get("format") == MEMO_FORMAT
                        and data.get("version") == self.version and isinstance(data.get("workbooks"), dict)):
                    self._old_rows = data["workbooks"]
        return self._old_rows

    def row_reuse(self, year: int, name: str, halls: Sequence[HallRow]) -> RowReuse:
        # A row shows every field but a return's checksum (exports.hall_rows): the digest hall pages use.
        return self.sheet_reuse(year, name, [hall_digest(h, {"sha256"})[0] for h in halls])

    def sheet_reuse(self, year: int, name: str, digests: Sequence[str] = ()) -> RowReuse:
        """The rows of a sheet of download ``name`` across builds, a digest of what each row is made of each."""
        def load(part: str) -> bytes | None:
            if self.previous is None:
                return None
            try:
                with zipfile.ZipFile(self.previous / str(year) / "downloads" / name) as zf:
                    return zf.read(part)
            except (OSError, KeyError, ValueError, zipfile.BadZipFile):
                return None

        return RowReuse(self.version, list(digests), self._old_row_memo().get(f"{year}/{name}"), load)

    def _old_keys(self, year: str) -> dict[str, str]:
        if year not in self._old:
            self._old[year] = {}
            if self.previous is not None:
                try:
                    self._old[year] = json.loads((self.previous / year / "downloads" / KEYS).read_text("utf-8"))
                except (OSError, ValueError):
                    pass
        return self._old[year]

    def write(self, docs: Path, year: int, name: str, parts: object, produce: Callable[[], bytes],
              rows: RowReuse | None = None) -> None:
        """``rows``: the 营业厅 rows ``produce`` makes with it (their memo entry is kept)."""
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
                if rows is not None and isinstance(rows.old, dict):
                    self.rows[f"{y}/{name}"] = rows.old  # the same file: the same rows
                return
            except OSError:
                pass
        target.write_bytes(produce())
        heap_given_back()  # the workbook's XML and zip, freed: not left to the heap's high-water mark
        self.written += 1
        if rows is not None and rows.made is not None:
            self.rows[f"{y}/{name}"] = rows.made
            self.rows_reused += rows.reused

    def save_keys(self, site: Path) -> None:
        for year, keys in self.keys.items():
            folder = Path(site) / year / "downloads"
            if folder.is_dir():
                (folder / KEYS).write_text(json.dumps(keys, ensure_ascii=False, sort_keys=True, indent=0) + "\n",
                                           encoding="utf-8")
        if self.memo_path is not None:
            memo = {"format": MEMO_FORMAT, "version": self.version, "workbooks": self.rows}
            write_memo(self.memo_path, "download-rows", memo)


def _part(value: object) -> object:
    if isinstance(value, HallRow):
        # Every field (the digest the hall pages' keys use, made once per build) and the rank; a return's
        # checksum is in no workbook (exports.hall_rows).
        return hall_digest(value, {"sha256"})
    return str(value)


def _digest(value: object) -> str:
    """A digest of ``value`` as a download's key holds it."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=_part)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _row_digest(row: Sequence[object]) -> str:
    """A digest of a row of plain values (text, numbers, None): their repr names each exactly."""
    return hashlib.sha256(repr(row).encode("utf-8", "surrogatepass")).hexdigest()


def halls_part(halls: Sequence[HallRow], rows: RowReuse) -> str:
    """What a list of rows contributes to a download's key: each row's digest (``rows``) and rank, hashed in
    one go (not a JSON list of a pair per hall)."""
    text = "\n".join(f"{d}:{h.rank}" for d, h in zip(rows.digests, halls, strict=True))
    return "halls:" + hashlib.sha256(text.encode("ascii")).hexdigest()


def write_downloads(view: YearView, docs: Path, downloads: Downloads) -> None:
    """The year's results and 结果应用 workbooks (exports.py), each written only when its key is new."""
    year, sections = view.year, view.section_names
    shortlists = view.shortlists
    name = export_name(year)
    rows = downloads.row_reuse(year, name, view.halls)
    downloads.write(docs, year, name, [halls_part(view.halls, rows), sections, shortlists],
                    partial(workbook_bytes, year, view.halls, sections, shortlists, reuse=rows), rows)
    for province in view.provinces:
        halls = view.by_province[province]
        own = [s for s in shortlists if s.scope == province]
        name = export_name(year, province)
        rows = downloads.row_reuse(year, name, halls)
        downloads.write(docs, year, name, [halls_part(halls, rows), sections, own, province],
                        partial(workbook_bytes, year, halls, sections, shortlists, scope=province, reuse=rows),
                        rows)
    if shortlists:
        downloads.write(docs, year, SHORTLIST_NAME.format(year=year), [shortlists],
                        lambda: workbook_bytes(year, None, [], shortlists))
    app = view.application
    assert app is not None, "attach_application runs before the downloads (render.py)"
    # Each province's 奖惩 rows (most of the 结果应用 workbooks' data) counted once, in its workbook's key and in
    # the national one's.
    rewards = {p: _digest(app["rewards"].get(p, [])) for p in view.provinces}
    name = application_name(year)
    rows = downloads.sheet_reuse(year, name)  # its 奖惩 rows (most of it) kept across builds

    def national() -> bytes:
        rows.digests = [_row_digest(row) for row in reward_rows(app, view.provinces)]
        return application_bytes(year, app, view.provinces, reuse=rows)

    downloads.write(docs, year, name, [app["assessment"], rewards, app["eligible"], view.provinces], national, rows)
    for province in view.provinces:
        parts = [app["assessment_by"].get(province), rewards[province],
                 [h for h in app["eligible"] if h.province == province]]
        downloads.write(docs, year, application_name(year, province), parts,
                        partial(application_bytes, year, app, [province]))
