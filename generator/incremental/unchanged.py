"""Content keys that let a build skip work whose inputs did not change (used only with a cache folder).

- The register is parsed once per distinct file content (its SHA-256), kept as JSON in the cache.
- The results of the last build are kept in the archive's results.json when their key and the file's status are
  those the last build noted (incremental_layer.results_key); the summary noted with them serves a build that
  needs no more, and the file is read back only for a stage that needs the year.
- The archive's year folder is staged and swapped only when the results' key (incremental_layer) changed or the
  folder is not as the last build left it (any file added, removed, resized or touched since, for example a
  上报名单 answered in place): an unchanged rebuild writes nothing into the archive and swaps nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, astuple, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from generator.archive.codec import SCHEMA_VERSION, from_json
from generator.errors import SiteError
from generator.evaluate.year import Tally
from generator.fs.files import file_sha256, file_status, read_own_file, write_text_atomic
from generator.fs.installkey import digest_matches, keyed_digest
from generator.fs.memo import read_memo, write_memo
from generator.incremental import collector
from generator.incremental.fingerprints import code_version
from generator.model import YearResults
from generator.resources import ASSETS, BASE_CONFIG, PAGE_TEMPLATES
from generator.rules.register import LEVELS, Hall, load_register


def _hall_row(row: object) -> bool:
    """A cached register row of the shape Hall takes: six strings and the level (int) in its place."""
    return (isinstance(row, list) and len(row) == 7 and isinstance(row[5], int) and not isinstance(row[5], bool)
            and all(isinstance(v, str) for n, v in enumerate(row) if n != 5))


def register_cached(path: str | Path, cache_dir: str | Path | None) -> tuple[Hall, ...]:
    """``load_register(path)``, from the cache when a file with the same bytes was read before.

    The cached copy is plain JSON (never pickle): a cache file is data, whoever may have written it.
    """
    if cache_dir is None:
        return load_register(path)
    key = hashlib.sha256(f"{code_version()}\n{file_sha256(Path(path))}".encode()).hexdigest()
    stored = Path(cache_dir) / f"register-{key[:32]}.json"
    try:
        # Only a copy this installation wrote for exactly these bytes (keyed digest over key and rows), read
        # without following a link, of the shape and levels a register holds; anything else is read again.
        memo = json.loads(read_own_file(stored).decode("utf-8"))
        rows = memo["rows"] if isinstance(memo, dict) else None
        body = json.dumps(rows, ensure_ascii=False).encode("utf-8")
        if isinstance(rows, list) and isinstance(memo.get("mac"), str) \
                and digest_matches(_REGISTER, key.encode() + b"\x00" + body, memo["mac"]) \
                and all(_hall_row(row) and row[5] in LEVELS for row in rows):
            return tuple(Hall(*row) for row in rows)
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        pass
    halls = load_register(path)  # a bad register raises here and nothing is stored
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    for old in Path(cache_dir).glob("register-*.*"):
        old.unlink(missing_ok=True)  # one register at a time: the folder does not grow
    rows = [list(astuple(h)) for h in halls]
    body = json.dumps(rows, ensure_ascii=False).encode("utf-8")
    mac = keyed_digest(_REGISTER, key.encode() + b"\x00" + body)
    write_text_atomic(stored, json.dumps({"mac": mac, "rows": rows}, ensure_ascii=False))
    return halls


_REGISTER = "register-cache"


def folder_state(folder: Path) -> str:
    """A digest of every file under ``folder``: relative path, size, mtime and ctime in ns, in a fixed order (each
    folder's files by name, then its subfolders by name; links to folders are not followed). One digest, not a
    list kept and written out: a year's folder holds every kept return."""
    digest = hashlib.sha256()
    pending = [("", str(folder))]
    while pending:
        prefix, where = pending.pop()
        try:
            entries = sorted(os.scandir(where), key=lambda e: e.name)
        except OSError:
            continue
        subfolders = []
        for entry in entries:
            try:
                if entry.is_dir():
                    if not entry.is_symlink():
                        subfolders.append((f"{prefix}{entry.name}/", entry.path))
                    continue
                st = entry.stat()
            except OSError:
                continue
            # ctime too: a file rewritten in place with its size and mtime put back is not as the build left it.
            # NUL ends each field: no file name holds one.
            digest.update(f"{prefix}{entry.name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0".encode(
                "utf-8", "surrogateescape"))
        pending.extend(reversed(subfolders))
    return digest.hexdigest()


def _stamp(cache_dir: str | Path, year: int) -> Path:
    return Path(cache_dir) / f"archive-{year}.json"


def archive_current(cache_dir: str | Path | None, year: int, results_key: str | None, target: Path) -> bool:
    """True when the archive's year folder is exactly what the last build wrote for these results."""
    if cache_dir is None or results_key is None or not target.is_dir():
        return False
    last = read_memo(_stamp(cache_dir, year), "archive-stamp")  # sealed: a forged stamp reads as none
    return isinstance(last, dict) and last.get("key") == results_key and last.get("files") == folder_state(target)


def remember_archive(cache_dir: str | Path | None, year: int, results_key: str | None, target: Path) -> None:
    if cache_dir is None or results_key is None:
        return
    write_memo(_stamp(cache_dir, year), "archive-stamp", {"key": results_key, "files": folder_state(target)})


def page_sources(root: Path, skip_inputs: bool = False) -> list[str]:
    """The files under ``root`` a page may be made from, as sorted relative paths. Dot names are the archive's
    lock, staging folders and temporary files, not part of any page; with ``skip_inputs`` a year's kept inputs
    (``<year>/输入/``, archive/inputs.py) are left out too: no page's, and most of the archive's bytes."""
    found: list[str] = []
    for where, folders, files in os.walk(root):
        relative = Path(where).relative_to(root)
        folders[:] = [f for f in folders if not f.startswith(".")
                      and not (skip_inputs and len(relative.parts) == 1 and f == "输入")]
        found.extend((relative / f).as_posix() for f in files
                     if not f.startswith(".") and os.path.isfile(os.path.join(where, f)))
    return sorted(found)


def site_key(archive_dir: str | Path, site_dir: str | Path, strict: bool) -> str:
    """What the site is a function of: the archive's bytes, the code, templates, assets, base config, MkDocs.

    A build whose key equals the last successful one's can keep ``site/`` as it is: same inputs, same bytes.
    Each file is hashed in blocks (a year's results.json is tens of MB: read whole, it was the peak of memory
    at the end of a national build)."""
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
            with open(root / name, "rb") as f:
                digest.update(hashlib.file_digest(f, "sha256").digest())
    base = BASE_CONFIG
    if base.is_file():
        digest.update(base.read_bytes())
    return digest.hexdigest()


# -- the results of the last build: read back from the archive's results.json ------------------------------

def _results_stamp(cache_dir: str | Path, year: int) -> Path:
    return Path(cache_dir) / f"results-{year}.json"


@dataclass(frozen=True)
class KeptResults:
    """What the last build noted of its results besides their key: the summary the command line prints."""

    tally: Tally
    answers: tuple[dict[str, Any], ...]


def remember_results(cache_dir: str | Path | None, year: int, results_key: str | None, results_file: Path,
                     kept: KeptResults) -> None:
    """Note that ``results_file`` (the archive's results.json, just written or found current) holds the results
    of ``results_key``; besides the key and the file's status only their summary is kept (no second copy of the
    year)."""
    if cache_dir is None or results_key is None:
        return
    status = file_status(results_file)
    (Path(cache_dir) / f"results-{year}.marshal").unlink(missing_ok=True)  # the cache of an earlier version
    if status is not None:
        write_memo(_results_stamp(cache_dir, year), "results-stamp", {
            "key": results_key, "file": status, "tally": asdict(kept.tally), "answers": list(kept.answers)})


def last_results(cache_dir: str | Path | None, year: int, results_key: str, results_file: Path) -> KeptResults | None:
    """The summary of the results of ``results_key`` when ``results_file`` is the file the last build left for
    that key, untouched since; None otherwise (a missing, damaged or foreign stamp, another key, a changed file).
    The file itself is not read: :func:`read_results` does that when a stage needs the year."""
    if cache_dir is None:
        return None
    try:
        last = read_memo(_results_stamp(cache_dir, year), "results-stamp")
        if not isinstance(last, dict) or last.get("key") != results_key or last.get("file") != file_status(
                results_file):
            return None
    except (OSError, ValueError, TypeError):
        return None
    return kept_results(last.get("tally"), last.get("answers"))


def counts(value: object) -> dict[str, int] | None:
    """A mapping of names to counts as the memo holds it, or None when it is not one."""
    if not isinstance(value, dict) or not all(isinstance(k, str) and type(n) is int for k, n in value.items()):
        return None
    return {str(k): int(n) for k, n in value.items()}


def kept_results(tally: object, answers: object) -> KeptResults | None:
    """The noted summary, or None when it is not of our shape."""
    if not isinstance(tally, dict) or not isinstance(answers, list) or not all(isinstance(a, dict) for a in answers):
        return None
    halls, recognised = tally.get("halls"), tally.get("recognised")
    tiers, claims, waiting = counts(tally.get("tiers")), counts(tally.get("claims")), counts(tally.get("waiting"))
    if type(halls) is not int or type(recognised) is not int or tiers is None or claims is None or waiting is None:
        return None
    return KeptResults(Tally(halls, tiers, claims, waiting, recognised), tuple(answers))


def read_results(results_file: Path, year: int) -> YearResults | None:
    """The year's results read back from ``results_file`` and typed; None when it is not a readable year of this
    version (then the year is evaluated again)."""
    try:
        with collector.paused():  # a national year is a million small objects: no collection walks them
            data = json.loads(results_file.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION or data.get("year") != year \
            or not isinstance(data.get("halls"), list):
        return None
    try:
        return from_json(data, str(results_file))
    except SiteError:
        return None
