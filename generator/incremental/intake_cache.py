"""Intake cache: the result of checking one file, kept between builds.

An entry is found by what decides the result and by nothing else: the file's bytes (SHA-256), the name it is
reported by, the standard's checksum, the register's fingerprint, the year and the code that checks. The day is
not in the key, so the first build of a day is not a cold one: the day enters a check only as "is the 检查日期 after
today", so an entry made on day D holds for every later day, except one that found the date in the future
(``cover-date-future``, whose message names D): that one holds on D only. Entries not used for ``KEEP_DAYS`` days,
and remembered statuses of files that are gone, are dropped. The store is one SQLite file (its tables opened,
read and written by :mod:`generator.incremental.intake_tables`, which holds ``KEEP_DAYS``); a missing, locked or
damaged store only means a cold build, never a wrong one. Entries are data (JSON, :mod:`generator.incremental.outcomes`),
never pickles: an entry that does not decode as this code writes it is taken as absent.

So that an unchanged file need not be read to find its key, the file's SHA-256 is remembered beside its status
(size, mtime_ns, inode, device and ctime_ns), the rule git and rsync use. The ctime is what makes it safe: the
kernel sets it on every write and on every ``utime``, and no system call sets it back, so a file changed in place
with its old mtime restored is read again. A status is only remembered when the file's times are
``RACY_SECONDS`` older than the moment it is remembered: a write in the same clock tick as the reading cannot
then leave a status that looks unchanged.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

from generator.errors import notice
from generator.fs.files import stat_status
from generator.fs.installkey import Signer
from generator.incremental import intake_snapshot
from generator.incremental.fingerprints import code_version, register_fingerprint
from generator.incremental.intake_result import read_report, standing, still_held, write_report
from generator.incremental.intake_snapshot import Snapshot, drop_snapshot, read_snapshot, write_snapshot
from generator.incremental.intake_store import StandardBounds, own_store
from generator.incremental.intake_tables import (
    ENTRY_PURPOSE,
    STATS_PURPOSE,
    open_store,
    read_entries,
    read_stats,
    row_bytes,
    write_rows,
)
from generator.incremental.outcomes import (
    KeyTable,
    Outcome,
    decode_outcome,
    encode_outcome,
    pack_outcome,
    unpack_outcome,
)
from generator.intake.discover import Found
from generator.intake.run import IntakeReport, ReturnRecord
from generator.rules.register import Hall
from generator.rules.standard import Standard

FUTURE_CODE = "cover-date-future"  # the one check that depends on the day (intake's checks)
_SECTIONS = 8  # a snapshot of more sections is written again as one
RACY_SECONDS = 2.0  # a file whose ctime or mtime is this recent is hashed again next time
RACY_KEPT = 64  # a kept report names at most this many such files (each build that takes it reads them again)


class IntakeCache:
    """Results of ``check_file`` by content key, stored in ``<folder>/intake.sqlite``."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.path = self.folder / "intake.sqlite"
        self.hits = 0
        self.misses = 0
        self._pending: list[tuple[str, str, str, int, str, str]] = []
        self._context = ""
        self._db: sqlite3.Connection | None = None
        self._stats: dict[bytes, tuple[str, str]] | None = None
        self._pending_stats: list[tuple[bytes, str, str, str]] = []
        self._seen_stats: set[bytes] = set()
        self._today = ""
        self._touched: list[str] = []  # keys hit today whose last use was an earlier day
        self._refused = False
        self._signers: dict[str, Signer] = {}
        self._bounds: StandardBounds | None = None
        self._snapshot: Snapshot | None = None  # the last build's, when it stands for the store as it is
        self._snapshot_read = False
        # This build's entries, for the next snapshot: as the last snapshot packed them, or as outcomes.
        self._used: dict[str, list[object]] = {}
        self._learnt: dict[str, tuple[str, int, Outcome]] = {}
        self._written: dict[str, list[object]] = {}  # the learnt entries as the snapshot written packed them
        self._table = KeyTable()
        self._current = False  # the snapshot on disk is this build's: nothing to write
        self._known: Mapping[bytes, tuple[str, str]] | None = None  # the files' digests, with a kept report

    def content_sha256(self, path: Path, taken: os.stat_result | None = None) -> str:
        """The file's SHA-256, read from the store when its status is the one remembered, else from its bytes;
        ``taken`` is the file's ``os.stat`` when the caller has just taken it."""
        st = os.stat(path) if taken is None else taken
        status = stat_status(st)
        if self._stats is None:
            snapshot = self._last_build()
            self._stats = dict(snapshot.stats) if snapshot is not None else self._load_stats()
        name = os.fsencode(os.path.abspath(path))  # bytes: names need not be UTF-8
        self._seen_stats.add(name)
        known = self._stats.get(name)
        if known is not None and known[0] == status:
            return known[1]
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > RACY_SECONDS * 1e9:
            seal = self._signer(STATS_PURPOSE).digest(row_bytes(name, status, digest))
            self._pending_stats.append((name, status, digest, seal))
        return digest

    def _signer(self, purpose: str) -> Signer:
        """The keyed digest of one kind of row (the installation key read once per store)."""
        signer = self._signers.get(purpose)
        if signer is None:
            signer = self._signers[purpose] = Signer(purpose)
        return signer

    def known_digests(self) -> Mapping[bytes, tuple[str, str]]:
        """(status, SHA-256) of each file by its absolute path (bytes): those remembered and those learnt this run,
        only where the status was not taken in the clock tick of a write (``RACY_SECONDS``)."""
        if self._known is not None:
            return self._known
        known = dict(self._stats or {})
        known.update({name: (status, digest) for name, status, digest, _seal in self._pending_stats})
        return known

    def racy_window(self) -> int:
        """Nanoseconds within which a file's status may not show a write (``RACY_SECONDS``)."""
        return int(RACY_SECONDS * 1e9)

    def last_report(self, listing: str, found: Found) -> IntakeReport | None:
        """The last build's report when it was made today in this context from entries whose ``listing``
        (:func:`generator.intake.discover.listing`) is this one, and the store and snapshot are as it found them
        (intake_result.py), and the entries it named as set in the racy window (of ``found``) still hold the bytes
        it knew; the entries it found in the cache count as hits again."""
        stands = standing(self.path, self.folder / intake_snapshot.NAME)  # the store and snapshot as they are
        kept = read_report(self.folder, self._report_key(listing), stands) if stands is not None else None
        if kept is None:
            return None
        report, hits, known, racy = kept
        if not still_held(racy, found, self.key):
            return None
        self.hits += hits
        self._known = known
        return report

    def keep_report(self, listing: str, racy: list[tuple[str, str]] | None, report: IntakeReport,
                    keys: tuple[list[str], list[str]]) -> None:
        """Keep this run's ``report`` for the next build of the same ``listing``, after :meth:`flush`; ``racy``:
        (name, cache key) of the entries set in the racy window, checked by their bytes when it is taken (None:
        not kept). ``keys``: the cache keys of its records' outcomes (and of those replaced): packed as the
        snapshot has them."""
        stands = standing(self.path, self.folder / intake_snapshot.NAME)
        if stands is None or self._refused or racy is None or len(racy) > RACY_KEPT:
            return  # many just written (a batch arrived): the next build remembers their statuses, then keeps one
        stats = self._stats or {}
        known = {name: stats[name] for name in sorted(self._seen_stats) if name in stats}
        packed = [[self._packed(key, record) for key, record in zip(ks, rs, strict=True)]
                  for ks, rs in zip(keys, (report.records, report.replaced), strict=True)]
        write_report(self.folder, self._report_key(listing), stands, self.hits + self.misses, report, known,
                     [self._table.lists, *packed], [list(pair) for pair in racy])

    def _packed(self, key: str, record: ReturnRecord) -> object:
        """A record as :func:`pack_outcome` packs it: as a snapshot, the last one or this build's, holds it when
        its entry is there (records are not changed once checked)."""
        entry = self._used.get(key) or self._written.get(key)
        if entry is not None and isinstance(entry[2], list):
            return entry[2][0]
        return pack_outcome((record, [], ""), self._table)[0]

    def _report_key(self, listing: str) -> str:
        if not self._context:
            raise RuntimeError("IntakeCache.bind() must come first")
        return hashlib.sha256(f"{self._context}\n{self._today}\n{listing}".encode()).hexdigest()

    def _last_build(self) -> Snapshot | None:
        """The last build's sealed snapshot, when the store is ours and unchanged since it was written."""
        if not self._snapshot_read:
            self._snapshot_read = True
            state = own_store(self.path)
            if state == "foreign":
                self._refuse()
            elif state == "ours":
                try:
                    store = stat_status(os.stat(self.path))
                except OSError:
                    return None
                self._snapshot = read_snapshot(self.folder, store)
                if self._snapshot is not None:
                    self._table = KeyTable(self._snapshot.lists)
        return self._snapshot

    def _load_stats(self) -> dict[bytes, tuple[str, str]]:
        db = self._open()
        if db is None:
            return {}
        return read_stats(db, self._signer)

    def bind(self, standard: Standard, halls: Iterable[Hall], year: int, today: date) -> None:
        """Fix everything but the file for the keys of one run."""
        parts = (standard.checksum, register_fingerprint(halls), str(year), code_version())
        self._context = hashlib.sha256("\n".join(parts).encode()).hexdigest()
        self._today = today.isoformat()
        self._bounds = StandardBounds.of(standard)

    def day_mark(self, outcome: Outcome | str) -> str:
        """The day an outcome also depends on ("" for most): what the intake's inputs key must hold beside the
        entry's key."""
        problems = outcome[1] if isinstance(outcome, tuple) and len(outcome) == 3 else []
        return self._today if any(p.code == FUTURE_CODE for p in problems) else ""

    def key(self, name: str, content_sha256: str) -> str:
        if not self._context:
            raise RuntimeError("IntakeCache.bind() must come first")
        return hashlib.sha256(f"{self._context}\n{name}\n{content_sha256}".encode()).hexdigest()

    def get(self, key: str) -> Outcome | None:
        """The stored ``(record, problems, hall_hint)``, or None."""
        return self.get_many([key]).get(key)

    def get_many(self, keys: list[str]) -> dict[str, Outcome]:
        """The stored outcome of each of ``keys`` that has one: from the last build's snapshot, the others from
        the store's rows, looked up in a few queries, not one per key."""
        if not self._today:
            raise RuntimeError("IntakeCache.bind() must come first")
        found = self._from_snapshot(keys)
        rest = [key for key in keys if key not in found]
        rows = self._rows(rest) if rest else {}
        for key in rest:
            value = decode_outcome(rows[key][0]) if key in rows else None
            if value is not None and self._within_standard(value):  # else absent, or not this code's: checked again
                found[key] = value
                self._learnt[key] = (rows[key][1], rows[key][2], value)
        hits = sum(1 for key in keys if key in found)
        self.hits += hits
        self.misses += len(keys) - hits
        return found

    def _from_snapshot(self, keys: list[str]) -> dict[str, Outcome]:
        """The outcomes the last build's snapshot holds for ``keys``: its seal is this installation's over
        entries this code made in this context (the standard's checksum is in it), so they are not range-checked
        again one by one."""
        snapshot = self._last_build()
        found: dict[str, Outcome] = {}
        if snapshot is None or snapshot.context != self._context:
            return found
        entries, lists, today, stale = snapshot.entries, snapshot.lists, self._today, snapshot.day != self._today
        for key in keys:
            entry = entries.get(key)
            if entry is None:
                continue
            try:
                day, exact, packed = entry
                # Made on `day`: good for every later day, or for that day only when it found a future date.
                if not ((day == today) if exact else (day <= today)):
                    continue
                found[key] = unpack_outcome(packed, lists)
            except (ValueError, TypeError, KeyError, IndexError, ArithmeticError):
                continue  # not as this code packs it: looked up in the store
            self._used[key] = entry
            if stale:  # the store notes each entry's last day of use
                self._touched.append(key)
        return found

    def _rows(self, keys: list[str]) -> dict[str, tuple[str, str, int]]:
        """``(value, day, exact)`` of each of ``keys`` whose row carries this installation's keyed digest and holds
        today."""
        db = self._open()
        if db is None:
            return {}
        return read_entries(db, keys, self._today, self._touched, self._signer)

    def _within_standard(self, outcome: Outcome) -> bool:
        """An entry's record holds only what intake can find in a return of this standard."""
        record, bounds = outcome[0], self._bounds
        return record is None or bounds is None or bounds.holds(record)

    def put(self, key: str, value: Outcome) -> None:
        text, day, exact = encode_outcome(value), self._today, int(bool(self.day_mark(value)))
        seal = self._signer(ENTRY_PURPOSE).digest(row_bytes(key, text, day, exact))
        self._pending.append((key, text, day, exact, self._today, seal))
        self._learnt[key] = (day, exact, value)

    def flush(self) -> None:
        """Write what this run learnt, in one transaction; drop what no build has used for ``KEEP_DAYS``; then
        the snapshot of this build, unless the one there already is."""
        if not self._pending and not self._pending_stats and not self._touched:
            self._keep_snapshot(wrote=False)
            return
        db = self._open(create=True)
        wrote = db is not None
        if db is not None:
            try:
                self._write(db)
            except sqlite3.Error:
                wrote = False  # a cache that cannot be written costs time next run, nothing else
        if self._stats is not None:
            self._stats.update({name: (status, digest) for name, status, digest, _seal in self._pending_stats})
        self._pending.clear()
        self._pending_stats.clear()
        self._touched.clear()
        if wrote:
            self._current = False  # the store changed: so must the snapshot that stands for it
            self._keep_snapshot(wrote=True)
        elif not self._refused:
            drop_snapshot(self.folder)

    def _write(self, db: sqlite3.Connection) -> None:
        write_rows(db, self._pending, self._pending_stats, self._touched, self._today, self._stats or {},
                   self._seen_stats)

    def _keep_snapshot(self, wrote: bool) -> None:
        """Seal this build's statuses and entries beside the store as it is now, when they are not what the
        snapshot there already holds (a build where nothing changed writes nothing). The sections of the last
        snapshot are kept as they were while few of their entries went unused (:class:`Snapshot`)."""
        if self._current or self._refused or not self._context or self._stats is None:
            return
        last = self._snapshot
        self._current = True
        if not wrote and not self._learnt and last is not None and self._stats == last.stats \
                and (last.context, last.day) == (self._context, self._today):
            return  # every entry used this build came from it
        try:
            store = stat_status(os.stat(self.path))
        except OSError:
            return
        learnt = {key: [day, exact, pack_outcome(value, self._table)] for key, (day, exact, value) in self._learnt.items()}
        self._written = learnt
        if last is not None and last.context == self._context and len(last.sections) < _SECTIONS \
                and 4 * (len(last.entries) - len(self._used)) <= len(self._used):
            sections, entries = last.sections, learnt
        else:  # one section of what this build used
            sections, entries = [], {**self._used, **learnt}
        write_snapshot(self.folder, Snapshot(store, self._context, self._today, dict(self._stats), self._table.lists,
                                             entries, sections))

    def close(self) -> None:
        self.flush()
        if self._db is not None:
            self._db.close()
            self._db = None

    def _open(self, create: bool = False) -> sqlite3.Connection | None:
        """The store, only when it is hallscore's own: never through a symlink, never a file whose SQLite header
        does not carry our application id (another program's database is neither read nor altered)."""
        if self._db is not None or self._refused:
            return self._db
        self._db = open_store(self.folder, self.path, create, self._refuse)
        return self._db

    def _refuse(self) -> None:
        self._refused = True
        notice(f"提示:缓存文件 {self.path} 不是 hallscore 自己的缓存(是符号链接、其他程序的数据库或其他文件),"
               "本次不使用缓存,也不改动它;请移走该文件,或用 --cache-dir 指定另一个缓存目录。")

