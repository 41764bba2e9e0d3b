"""The intake store's SQLite side: opening ``intake.sqlite`` (only when it is hallscore's own), its two tables,
and their rows read and written, each row sealed with a keyed digest.

Kept apart from :mod:`generator.incremental.intake_cache`, which decides what to look up, what to keep and when,
so that the schema and every query that relies on it are in one place; whose file the store is, is decided by
:mod:`generator.incremental.intake_store`. A row read back is taken only when its keyed digest
(:mod:`generator.fs.installkey`) is this installation's over what it holds: a row written elsewhere or edited by
hand reads as absent, and its file or entry is checked again.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from generator.fs.installkey import Signer
from generator.incremental.intake_store import APPLICATION_ID, own_store

STORE_FORMAT = 5  # 2: entries are JSON text (generator.incremental.outcomes), no longer pickles; 3: the day out of
# the key; 4: a rejection's hint names its round too (intake.split_hint)
# 5: every row carries a keyed digest (generator.fs.installkey) and the header our application id
KEEP_DAYS = 45  # an entry not used for this long is dropped (a collection season is 1-2 months)
_BATCH = 500  # keys per look-up query (SQLite allows 32,766 parameters since 3.32, 999 before)
ENTRY_PURPOSE, STATS_PURPOSE = "intake-entry", "intake-stats"  # the keyed digests' purposes


def row_bytes(*fields: object) -> bytes:
    """What a row's keyed digest is taken over: its fields, a path (bytes) as the file system names it."""
    return "\x1f".join(os.fsdecode(f) if isinstance(f, bytes) else str(f) for f in fields).encode("utf-8",
                                                                                                "surrogateescape")


def open_store(folder: Path, path: Path, create: bool, refuse: Callable[[], None],
               retry: bool = False) -> sqlite3.Connection | None:
    """The store at ``path`` (in ``folder``), only when it is hallscore's own: never through a symlink, never a
    file whose SQLite header does not carry our application id (another program's database is neither read nor
    altered). ``refuse`` is called when it is not ours. ``retry``: a damaged store was just removed, so this is
    the one new try it gets."""
    state = own_store(path)
    if state == "foreign":
        refuse()
        return None
    if state == "absent":
        if not create:
            return None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # Made by us, empty, owner-only; SQLite then finds an empty file and makes the database in it.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
        except FileExistsError:
            # Another run made it just now: check it like any existing one.
            return open_store(folder, path, create, refuse, retry)
        except OSError:
            return None
    try:
        db = sqlite3.connect(path)
        db.execute("PRAGMA schema_version").fetchone()  # SQLite opens the file here
        if own_store(path) != "ours":  # swapped for a link or another file since it was checked
            db.close()
            refuse()
            return None
        _ensure_schema(db)
    except (sqlite3.Error, OSError):
        # A damaged store of ours: a cold build; it is made again only when it is still ours and whole gone.
        try:
            db.close()
        except (sqlite3.Error, UnboundLocalError):
            pass
        if create and not retry and own_store(path) == "ours":
            path.unlink(missing_ok=True)
            return open_store(folder, path, create, refuse, retry=True)
        return None
    return db


def _ensure_schema(db: sqlite3.Connection) -> None:
    """Give our store this format's header and tables, emptying it first when it holds another format."""
    if db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID or \
            db.execute("PRAGMA user_version").fetchone()[0] != STORE_FORMAT:
        # Ours but of another format (format 1 held pickles), or the empty file we just made.
        db.execute("DROP TABLE IF EXISTS intake")
        db.execute("DROP TABLE IF EXISTS stats")
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {STORE_FORMAT}")
    db.execute("CREATE TABLE IF NOT EXISTS intake (key TEXT PRIMARY KEY, value TEXT NOT NULL,"
               " day TEXT NOT NULL, exact INTEGER NOT NULL, used TEXT NOT NULL, mac TEXT NOT NULL)")
    db.execute("CREATE TABLE IF NOT EXISTS stats (path BLOB PRIMARY KEY, status TEXT NOT NULL,"
               " sha256 TEXT NOT NULL, mac TEXT NOT NULL)")
    db.commit()


def read_stats(db: sqlite3.Connection, signer: Callable[[str], Signer]) -> dict[bytes, tuple[str, str]]:
    """(status, SHA-256) of each file remembered in the store, by its absolute path (bytes), where the row
    carries this installation's keyed digest (``signer``: the cache's digest of one kind of row)."""
    try:
        # A row edited by hand (another file's digest for this status) fails its keyed digest: read again.
        return {path: (status, digest) for path, status, digest, mac in
                db.execute("SELECT path, status, sha256, mac FROM stats")
                if isinstance(path, bytes) and isinstance(status, str) and isinstance(digest, str)
                and isinstance(mac, str) and signer(STATS_PURPOSE).matches(row_bytes(path, status, digest), mac)}
    except sqlite3.Error:
        return {}


def read_entries(db: sqlite3.Connection, keys: list[str], today: str, touched: list[str],
                 signer: Callable[[str], Signer]) -> dict[str, tuple[str, str, int]]:
    """``(value, day, exact)`` of each of ``keys`` whose row carries this installation's keyed digest and holds
    ``today``; the keys of those whose last use was another day are added to ``touched``."""
    rows: dict[str, tuple[str, str, int]] = {}
    wanted = sorted(set(keys))
    try:
        for i in range(0, len(wanted), _BATCH):
            batch = wanted[i:i + _BATCH]
            query = (f"SELECT key, value, day, exact, used, mac FROM intake"
                     f" WHERE key IN ({','.join('?' * len(batch))})")
            for key, value, day, exact, used, mac in db.execute(query, batch):
                if not (isinstance(value, str) and isinstance(mac, str)
                        and signer(ENTRY_PURPOSE).matches(row_bytes(key, value, day, exact), mac)):
                    continue  # not written by this installation, or edited since: checked again
                # Made on `day`: good for every later day, or for that day only when it found a future date.
                if (day == today) if exact else (day <= today):
                    rows[key] = (value, day, exact)
                    if used != today:
                        touched.append(key)
    except sqlite3.Error:
        return {}
    return rows


def write_rows(db: sqlite3.Connection, pending: list[tuple[str, str, str, int, str, str]],
               pending_stats: list[tuple[bytes, str, str, str]], touched: list[str], today: str,
               stats: dict[bytes, tuple[str, str]], seen: set[bytes]) -> None:
    """Write the ``pending`` entries and statuses in one transaction, note ``today`` as the last use of the
    ``touched`` entries and drop those no build has used for ``KEEP_DAYS``; drop the statuses (from the store and
    from ``stats``) of files not ``seen`` this run that are gone."""
    with db:
        db.executemany("INSERT OR REPLACE INTO intake (key, value, day, exact, used, mac)"
                       " VALUES (?, ?, ?, ?, ?, ?)", pending)
        db.executemany("INSERT OR REPLACE INTO stats (path, status, sha256, mac) VALUES (?, ?, ?, ?)",
                       pending_stats)
        if touched:  # once a day per entry, not once per build
            db.executemany("UPDATE intake SET used = ? WHERE key = ?", [(today, k) for k in touched])
            cutoff = (date.fromisoformat(today) - timedelta(days=KEEP_DAYS)).isoformat()
            db.execute("DELETE FROM intake WHERE used < ?", (cutoff,))
        gone = [p for p in stats if p not in seen and not os.path.lexists(p)]
        db.executemany("DELETE FROM stats WHERE path = ?", [(p,) for p in gone])
    for path in gone:
        stats.pop(path, None)
