"""Whether ``intake.sqlite`` is hallscore's own store: the one check before it is read or written; and what a row
read back from it may hold (:class:`StandardBounds`).

A symlink, another program's database or any other file at the store's name (or a link at one of SQLite's side
files) is neither read nor altered; a store of the format before the application id is taken over.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from generator.intake.status import ReturnRecord
from generator.rules.standard import Standard

APPLICATION_ID = 0x48534331  # "HSC1" in the SQLite header (offset 68): marks the store as hallscore's own
_SIDECARS = ("", "-journal", "-wal", "-shm")


def own_store(path: Path) -> str:
    """"absent", "ours" (a regular file, not linked, whose header carries our id, or the empty file we make
    first) or "foreign" (a symlink, anything else, or a sidecar of it that is a symlink)."""
    for suffix in _SIDECARS:
        try:
            if stat.S_ISLNK(os.lstat(f"{path}{suffix}").st_mode):
                return "foreign"
        except FileNotFoundError:
            if not suffix:
                return "absent"
        except OSError:
            return "foreign"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return "foreign"
    try:
        st = os.fstat(fd)
        header = os.read(fd, 100)
    finally:
        os.close(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
        return "foreign"
    if not header and st.st_size == 0:
        return "ours"
    if len(header) < 72 or not header.startswith(b"SQLite format 3\x00"):
        return "foreign"
    if int.from_bytes(header[68:72], "big") == APPLICATION_ID:
        return "ours"
    return "ours" if _earlier_store(path, header) else "foreign"


# The exact schema hallscore's store had before it carried an application id (format 3): such a store is
# taken over (its entries dropped), so that an upgrade does not leave the cache unused.
_EARLIER_SCHEMA = {
    "intake": "CREATE TABLE intake (key TEXT PRIMARY KEY, value TEXT NOT NULL, day TEXT NOT NULL,"
              " exact INTEGER NOT NULL, used TEXT NOT NULL)",
    "stats": "CREATE TABLE stats (path BLOB PRIMARY KEY, status TEXT NOT NULL, sha256 TEXT NOT NULL)"}


def _earlier_store(path: Path, header: bytes) -> bool:
    if int.from_bytes(header[68:72], "big") != 0 or int.from_bytes(header[60:64], "big") != 3:
        return False
    try:  # read-only and immutable: SQLite neither writes nor rolls back a journal of it
        db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            rows = db.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
        finally:
            db.close()
    except sqlite3.Error:
        return False
    tables = {name: sql for kind, name, sql in rows if kind == "table"}
    others = [name for kind, name, _sql in rows if kind != "table" and not name.startswith("sqlite_autoindex_")]
    return tables == _EARLIER_SCHEMA and not others


@dataclass(frozen=True)
class StandardBounds:
    """What intake can find in a return of one standard: known item ids with scores within 0 and each item's
    maximum, known bonus/deduction/veto ids, counts >= 0 (an entry holding anything else is checked again)."""

    maxima: dict[str, Decimal]
    events: frozenset[str]
    vetoes: frozenset[str]

    @classmethod
    def of(cls, standard: Standard) -> StandardBounds:
        return cls({item.id: item.max_points for item in standard.items},
                   frozenset(rule.id for rule in standard.bonus) | {rule.id for rule in standard.deductions},
                   frozenset(v.id for v in standard.vetoes))

    def holds(self, record: ReturnRecord) -> bool:
        for item_id, score in record.scores.items():
            top = self.maxima.get(item_id)
            if top is None or (score is not None and not 0 <= score <= top):
                return False
        if any(k not in self.events or not 0 <= v <= 10_000 for k, v in record.events.items()):
            return False
        return all(k in self.vetoes for k in record.vetoes)
