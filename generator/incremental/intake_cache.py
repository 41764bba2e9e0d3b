"""Intake cache: the result of checking one file, kept between builds.

An entry is found by what decides the result and by nothing else: the file's bytes (SHA-256), the name it is
reported by, the standard's checksum, the register's fingerprint, the year and the code that checks. The day is
not in the key, so the first build of a day is not a cold one: the day enters a check only as "is the 检查日期 after
today", so an entry made on day D holds for every later day, except one that found the date in the future
(``cover-date-future``, whose message names D): that one holds on D only. Entries not used for ``KEEP_DAYS`` days,
and remembered statuses of files that are gone, are dropped. The store is one SQLite file; a missing, locked or
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
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from importlib import metadata
from pathlib import Path

from generator import __version__
from generator.errors import notice
from generator.fs.files import stat_status
from generator.fs.installkey import Signer
from generator.incremental.outcomes import Outcome, decode_outcome, encode_outcome
from generator.intake.run import ReturnRecord
from generator.resources import ASSETS, BASE_CONFIG, PACKAGE_DIR, PAGE_TEMPLATES, STANDARDS
from generator.rules.register import Hall
from generator.rules.standard import Standard

_FORMAT = 5  # 2: entries are JSON text (generator.incremental.outcomes), no longer pickles; 3: the day out of the key;
# 4: a rejection's hint names its round too (intake.split_hint)
# 5: every row carries a keyed digest (generator.fs.installkey) and the header our application id
FUTURE_CODE = "cover-date-future"  # the one check that depends on the day (intake's checks)
KEEP_DAYS = 45  # an entry not used for this long is dropped (a collection season is 1-2 months)
_BATCH = 500  # keys per look-up query (SQLite allows 32,766 parameters since 3.32, 999 before)
RACY_SECONDS = 2.0  # a file whose ctime or mtime is this recent is hashed again next time


def code_version() -> str:
    """Hash of the package's own source: any change to the code that checks gives new keys."""
    digest = hashlib.sha256(f"{__version__}:{_FORMAT}".encode())
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    for path in sorted(STANDARDS.glob("*")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def register_fingerprint(halls: Iterable[Hall]) -> str:
    """Hash of every register field, in a fixed order."""
    digest = hashlib.sha256()
    for hall in sorted(halls, key=lambda h: h.hall_id):
        fields = (hall.hall_id, hall.name, hall.province, hall.city, hall.district, str(hall.level), hall.type)
        digest.update("\x1f".join(fields).encode("utf-8") + b"\x1e")
    return digest.hexdigest()


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

    def content_sha256(self, path: Path) -> str:
        """The file's SHA-256, read from the store when its status is the one remembered, else from its bytes."""
        st = os.stat(path)
        status = stat_status(st)
        if self._stats is None:
            self._stats = self._load_stats()
        name = os.fsencode(os.path.abspath(path))  # bytes: names need not be UTF-8
        self._seen_stats.add(name)
        known = self._stats.get(name)
        if known is not None and known[0] == status:
            return known[1]
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > RACY_SECONDS * 1e9:
            seal = self._signer(_STATS).digest(_row(name, status, digest))
            self._pending_stats.append((name, status, digest, seal))
        return digest

    def _signer(self, purpose: str) -> Signer:
        """The keyed digest of one kind of row (the installation key read once per store)."""
        signer = self._signers.get(purpose)
        if signer is None:
            signer = self._signers[purpose] = Signer(purpose)
        return signer

    def known_digests(self) -> dict[bytes, tuple[str, str]]:
        """(status, SHA-256) of each file by its absolute path (bytes): those remembered and those learnt this run,
        only where the status was not taken in the clock tick of a write (``RACY_SECONDS``)."""
        known = dict(self._stats or {})
        known.update({name: (status, digest) for name, status, digest, _seal in self._pending_stats})
        return known

    def _load_stats(self) -> dict[bytes, tuple[str, str]]:
        db = self._open()
        if db is None:
            return {}
        try:
            # A row edited by hand (another file's digest for this status) fails its keyed digest: read again.
            return {path: (status, digest) for path, status, digest, mac in
                    db.execute("SELECT path, status, sha256, mac FROM stats")
                    if isinstance(path, bytes) and isinstance(status, str) and isinstance(digest, str)
                    and isinstance(mac, str) and self._signer(_STATS).matches(_row(path, status, digest), mac)}
        except sqlite3.Error:
            return {}

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
        """The stored outcome of each of ``keys`` that has one, looked up in a few queries, not one per key."""
        if not self._today:
            raise RuntimeError("IntakeCache.bind() must come first")
        db = self._open()
        rows: dict[str, object] = {}
        if db is not None:
            wanted = sorted(set(keys))
            try:
                for i in range(0, len(wanted), _BATCH):
                    batch = wanted[i:i + _BATCH]
                    query = (f"SELECT key, value, day, exact, used, mac FROM intake"
                             f" WHERE key IN ({','.join('?' * len(batch))})")
                    for key, value, day, exact, used, mac in db.execute(query, batch):
                        if not (isinstance(value, str) and isinstance(mac, str)
                                and self._signer(_ENTRY).matches(_row(key, value, day, exact), mac)):
                            continue  # not written by this installation, or edited since: checked again
                        # Made on `day`: good for every later day, or for that day only when it found a future date.
                        if (day == self._today) if exact else (day <= self._today):
                            rows[key] = value
                            if used != self._today:
                                self._touched.append(key)
            except sqlite3.Error:
                rows = {}
        found: dict[str, Outcome] = {}
        for key in keys:
            value = decode_outcome(rows.get(key)) if key in rows else None
            if value is not None and not self._within_standard(value):
                value = None
            if value is None:  # absent, or an entry this code did not write: the file is checked again
                self.misses += 1
            else:
                self.hits += 1
                found[key] = value
        return found

    def _within_standard(self, outcome: Outcome) -> bool:
        """An entry's record holds only what intake can find in a return of this standard."""
        record, bounds = outcome[0], self._bounds
        return record is None or bounds is None or bounds.holds(record)

    def put(self, key: str, value: Outcome) -> None:
        text, day, exact = encode_outcome(value), self._today, int(bool(self.day_mark(value)))
        seal = self._signer(_ENTRY).digest(_row(key, text, day, exact))
        self._pending.append((key, text, day, exact, self._today, seal))

    def flush(self) -> None:
        """Write what this run learnt, in one transaction; drop what no build has used for ``KEEP_DAYS``."""
        if not self._pending and not self._pending_stats and not self._touched:
            return
        db = self._open(create=True)
        if db is None:
            self._pending.clear()
            self._pending_stats.clear()
            return
        try:
            with db:
                db.executemany("INSERT OR REPLACE INTO intake (key, value, day, exact, used, mac)"
                               " VALUES (?, ?, ?, ?, ?, ?)", self._pending)
                db.executemany("INSERT OR REPLACE INTO stats (path, status, sha256, mac) VALUES (?, ?, ?, ?)",
                               self._pending_stats)
                if self._touched:  # once a day per entry, not once per build
                    db.executemany("UPDATE intake SET used = ? WHERE key = ?", [(self._today, k) for k in self._touched])
                    cutoff = (date.fromisoformat(self._today) - timedelta(days=KEEP_DAYS)).isoformat()
                    db.execute("DELETE FROM intake WHERE used < ?", (cutoff,))
                gone = [(p,) for p in (self._stats or {}) if p not in self._seen_stats and not os.path.lexists(p)]
                db.executemany("DELETE FROM stats WHERE path = ?", gone)
        except sqlite3.Error:
            pass  # a cache that cannot be written costs time next run, nothing else
        if self._stats is not None:
            self._stats.update({name: (status, digest) for name, status, digest, _seal in self._pending_stats})
        self._pending.clear()
        self._pending_stats.clear()
        self._touched.clear()

    def close(self) -> None:
        self.flush()
        if self._db is not None:
            self._db.close()
            self._db = None

    def _open(self, create: bool = False, retry: bool = False) -> sqlite3.Connection | None:
        """The store, only when it is hallscore's own: never through a symlink, never a file whose SQLite header
        does not carry our application id (another program's database is neither read nor altered)."""
        if self._db is not None or self._refused:
            return self._db
        state = _own_store(self.path)
        if state == "foreign":
            self._refuse()
            return None
        if state == "absent":
            if not create:
                return None
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                # Made by us, empty, owner-only; SQLite then finds an empty file and makes the database in it.
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
            except FileExistsError:
                return self._open(create, retry)  # another run made it just now: check it like any existing one
            except OSError:
                return None
        try:
            db = sqlite3.connect(self.path)
            db.execute("PRAGMA schema_version").fetchone()  # SQLite opens the file here
            if _own_store(self.path) != "ours":  # swapped for a link or another file since it was checked
                db.close()
                self._refuse()
                return None
            if db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID or \
                    db.execute("PRAGMA user_version").fetchone()[0] != _FORMAT:
                # Ours but of another format (format 1 held pickles), or the empty file we just made.
                db.execute("DROP TABLE IF EXISTS intake")
                db.execute("DROP TABLE IF EXISTS stats")
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                db.execute(f"PRAGMA user_version = {_FORMAT}")
            db.execute("CREATE TABLE IF NOT EXISTS intake (key TEXT PRIMARY KEY, value TEXT NOT NULL,"
                       " day TEXT NOT NULL, exact INTEGER NOT NULL, used TEXT NOT NULL, mac TEXT NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS stats (path BLOB PRIMARY KEY, status TEXT NOT NULL,"
                       " sha256 TEXT NOT NULL, mac TEXT NOT NULL)")
            db.commit()
        except (sqlite3.Error, OSError):
            # A damaged store of ours: a cold build; it is made again only when it is still ours and whole gone.
            try:
                db.close()
            except (sqlite3.Error, UnboundLocalError):
                pass
            if create and not retry and _own_store(self.path) == "ours":
                self.path.unlink(missing_ok=True)
                return self._open(create, retry=True)
            return None
        self._db = db
        return db

    def _refuse(self) -> None:
        self._refused = True
        notice(f"提示:缓存文件 {self.path} 不是 hallscore 自己的缓存(是符号链接、其他程序的数据库或其他文件),"
               "本次不使用缓存,也不改动它;请移走该文件,或用 --cache-dir 指定另一个缓存目录。")


_ENTRY, _STATS = "intake-entry", "intake-stats"  # the keyed digests' purposes


def _row(*fields: object) -> bytes:
    return "\x1f".join(os.fsdecode(f) if isinstance(f, bytes) else str(f) for f in fields).encode("utf-8",
                                                                                                "surrogateescape")


APPLICATION_ID = 0x48534331  # "HSC1" in the SQLite header (offset 68): marks the store as hallscore's own
_SIDECARS = ("", "-journal", "-wal", "-shm")


def _own_store(path: Path) -> str:
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


def site_key(archive_dir: str | Path, site_dir: str | Path, strict: bool) -> str:
    """What the site is a function of: the archive's bytes, the code, templates, assets, base config, MkDocs.

    A build whose key equals the last successful one's can keep ``site/`` as it is: same inputs, same bytes.
    """
    digest = hashlib.sha256(f"{code_version()}\n{Path(site_dir).resolve()}\n{strict}\n".encode())
    for dist in ("mkdocs", "mkdocs-material", "jieba", "jinja2"):
        try:
            digest.update(f"{dist}={metadata.version(dist)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{dist}=-\n".encode())
    roots = [("archive", Path(archive_dir)), ("templates", PAGE_TEMPLATES), ("assets", ASSETS)]
    for label, root in roots:
        for name in page_sources(root, skip_inputs=label == "archive"):
            digest.update(f"{label}/{name}\n".encode())
            digest.update(hashlib.sha256((root / name).read_bytes()).digest())
    base = BASE_CONFIG
    if base.is_file():
        digest.update(base.read_bytes())
    return digest.hexdigest()


def page_sources(root: Path, skip_inputs: bool = False) -> list[str]:
    """The files under ``root`` a page may be made from, as sorted relative paths. Dot names are the archive's
    lock, staging folders and temporary files, not part of any page; with ``skip_inputs`` a year's kept inputs
    (``<year>/输入/``, inputs_store.py) are left out too: no page's, and most of the archive's bytes."""
    found: list[str] = []
    for where, folders, files in os.walk(root):
        relative = Path(where).relative_to(root)
        folders[:] = [f for f in folders if not f.startswith(".")
                      and not (skip_inputs and len(relative.parts) == 1 and f == "输入")]
        found.extend((relative / f).as_posix() for f in files
                     if not f.startswith(".") and os.path.isfile(os.path.join(where, f)))
    return sorted(found)
