"""The last build's intake report in one sealed file: a build where no entry changed takes it as it stands.

When the entries found under the inputs are exactly as the last build found them (the listing's digest,
:func:`generator.intake.discover.listing`: names, paths and each file's status), in the same context (standard,
register, year, code) and on the same day, the intake's report is the last build's: nothing would be checked,
and every outcome would come from the cache. ``intake-report.bin`` keeps that report under ONE keyed digest
(:mod:`generator.fs.memo`), with the file statuses of the store and of its snapshot as they were when it was
written: it stands for the cache only as the cache is (a store or snapshot written since, by a later build or by
hand, makes it absent). Only the same day: the first build of a day goes through the store, which notes each
entry's day of use (entries unused for ``KEEP_DAYS`` are dropped). A damaged, forged, foreign or linked file
reads as absent and costs only the time of the intake. The records are decoded when a stage first asks for them;
the files' SHA-256 by path (for the archive's kept inputs) when first looked up.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from generator.fs.files import file_sha256, file_status
from generator.incremental.intake_snapshot import (
    Stats,
    compact_json,
    pack_stats,
    read_sealed,
    unpack_stats,
    write_sealed,
)
from generator.incremental.outcomes import unpack_outcome
from generator.intake.discover import Found
from generator.intake.status import FileStatus, IntakeReport, KeptReport, ReturnRecord
from generator.rules.problems import Problem

NAME = "intake-report.bin"
_PURPOSE = "intake-report"
_FORMAT = "hallscore-intake-report-1"


class KnownDigests(Mapping[bytes, tuple[str, str]]):
    """(status, SHA-256) of each file by its absolute path (bytes), parsed from their sealed section when first
    looked up."""

    def __init__(self, section: bytes) -> None:
        self._section: bytes | None = section
        self._known: Stats = {}

    def _parsed(self) -> Stats:
        if self._section is not None:
            section, self._section = self._section, None
            self._known = unpack_stats(section)
        return self._known

    def __getitem__(self, path: bytes) -> tuple[str, str]:
        return self._parsed()[path]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._parsed())

    def __len__(self) -> int:
        return len(self._parsed())


def write_report(folder: Path, key: str, stands_for: list[str], hits: int, report: IntakeReport,
                 known: Stats, packed: list[Any], racy: list[list[str]]) -> None:
    """Keep ``report`` sealed in ``folder`` for the next build of ``key`` (listing, context and day), standing
    for the store and snapshot statuses ``stands_for``; ``hits``: the entries found in the cache; ``known``: the
    files' (status, SHA-256) by absolute path; ``packed``: the key lists, then the report's records and those
    replaced as :func:`generator.incremental.outcomes.pack_outcome` packs a record; ``racy``: [name, cache key] of
    the entries whose bytes must be read again to take it. One that cannot be written only costs time next
    build."""
    files = [[f.path, f.status, f.hall_id, f.round] if not (f.note or f.problems or f.mail or f.corrected_by) else
             [f.path, f.status, f.hall_id, f.round, f.note, f.corrected_by,
              [[p.code, p.severity, p.message, p.file, p.sheet, p.cell] for p in f.problems], f.mail]
             for f in report.files]
    sections = [compact_json(files), compact_json(packed), pack_stats(known)]
    meta = {"format": _FORMAT, "key": key, "stands_for": stands_for, "hits": hits, "inputs_key": report.inputs_key,
            "records": len(report.records), "racy": racy, "sections": [len(section) for section in sections]}
    write_sealed(folder / NAME, _PURPOSE, meta, sections)


def read_report(folder: Path, key: str, stands_for: list[str]) -> tuple[
        KeptReport, int, KnownDigests, list[tuple[str, str]]] | None:
    """The report kept in ``folder`` for ``key`` when this installation sealed it and the store and snapshot
    statuses are still ``stands_for``; with the hits it counts, the files' digests and the (name, cache key) of
    the entries to read again. Else None."""
    try:
        sealed = read_sealed(folder / NAME, _PURPOSE, _FORMAT)
        if sealed is None:
            return None
        meta, rest = sealed
        if meta.get("key") != key or meta.get("stands_for") != stands_for:
            return None
        size_files, size_records, size_stats = meta["sections"]
        if size_files + size_records + size_stats != len(rest):
            return None
        files = [_status(row) for row in json.loads(rest[:size_files].decode("utf-8", "surrogatepass"))]
        records = rest[size_files:size_files + size_records]
        report = KeptReport(files, lambda: _records(records), str(meta["inputs_key"]), int(meta["records"]))
        racy = [(str(name), str(entry)) for name, entry in meta["racy"]]
        return report, int(meta["hits"]), KnownDigests(rest[size_files + size_records:]), racy
    except (OSError, ValueError, TypeError, KeyError, IndexError, RecursionError):
        return None


def _status(row: list[Any]) -> FileStatus:
    if len(row) == 4:
        return FileStatus(*row)
    path, status, hall_id, rnd, note, corrected_by, problems, mail = row
    return FileStatus(path, status, hall_id, rnd, [Problem(*p) for p in problems], note, mail, corrected_by)


def _records(section: bytes) -> tuple[list[ReturnRecord], list[ReturnRecord]]:
    """The records and those replaced, as :func:`write_report` packed them (sealed with the report: made by this
    code, so unpacked without typing each field again)."""
    lists, records, replaced = json.loads(section.decode("utf-8", "surrogatepass"))
    kept, gone = ([_record(rec, lists) for rec in packed] for packed in (records, replaced))
    return kept, gone


def _record(rec: list[Any], lists: list[list[str]]) -> ReturnRecord:
    record = unpack_outcome([rec, [], ""], lists)[0]
    if record is None:
        raise ValueError("a kept report's record is missing")
    return record


def standing(store: Path, snapshot: Path) -> list[str] | None:
    """The file statuses of the store and of its snapshot (None when either is missing)."""
    statuses = [file_status(store), file_status(snapshot)]
    return None if None in statuses else [s for s in statuses if s is not None]


def still_held(racy: list[tuple[str, str]], found: Found, key: Callable[[str, str], str]) -> bool:
    """Each entry named in ``racy`` (set in the racy window when the report was kept) holds the bytes its cache key
    ``key(name, SHA-256)`` was made from."""
    if not racy:
        return True
    place = dict(zip(found.names, found.places))
    try:
        return all(key(name, file_sha256(place[name])) == entry for name, entry in racy)
    except (OSError, KeyError):
        return False
