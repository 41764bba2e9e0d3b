"""The year's 上报名单 issued again only where a list changed: the build's step after the archive is staged.

Each list's workbook is keyed by its content (and the code, the installation key and the year); a sealed memo
``<cache_dir>/shortlists-<year>.json`` remembers the key and the SHA-256 of the file issued for it. A file of
the year's current 上报名单 folder that still has those bytes is linked instead of being made again: same
content, same bytes. A missing, damaged or forged memo only means every list is made.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import code_version
from .decisions import list_file_name
from .installkey import keyed_digest
from .memo import read_memo, write_memo
from .model import YearResults
from .workbooks_lists import list_entries, write_lists

ISSUED_MEMO = "shortlists-issued"


@dataclass
class Issued:
    """The lists of one build: their paths, and the names of the current lists still exactly as issued."""

    paths: list[Path]
    unanswered: set[str] = field(default_factory=set)


def issue_shortlists(results: YearResults | Mapping[str, Any], folder: str | Path,
                     previous: str | Path | None = None, cache_dir: str | Path | None = None) -> Issued:
    """Write the year's list workbooks into ``folder``, re-making only the lists that changed since the lists
    of ``previous`` (the year's current 上报名单 folder) were issued."""
    folder = Path(folder)
    if cache_dir is None or previous is None:
        return Issued(write_lists(results, folder))
    year = results.year if isinstance(results, YearResults) else results["year"]
    record = Path(cache_dir) / f"shortlists-{year}.json"
    known = _issued_record(record)
    code = code_version()
    signer = keyed_digest("上报名单/缓存", b"")  # a list signed with another installation key is made again
    current = {name: _sha256(Path(previous) / name) for _key, (name, _sha) in known.items()}
    issued: dict[str, tuple[str, str]] = {}
    paths = []
    for entry in list_entries(results):
        content = json.dumps([code, signer, year, entry], ensure_ascii=False, sort_keys=True)
        key = hashlib.sha256(content.encode("utf-8")).hexdigest()
        name = list_file_name(entry["scope"], entry["tier"])
        last_name, sha = known.get(key, ("", ""))
        if last_name == name and current.get(name) == sha and _link(Path(previous) / name, folder / name):
            path = folder / name
        else:
            [path] = write_lists({"year": year, "shortlists": [entry]}, folder)
            sha = _sha256(path) or ""
        issued[key] = (path.name, sha)
        paths.append(path)
    unanswered = {name for name, sha in known.values() if current.get(name) == sha}
    write_memo(record, ISSUED_MEMO, {"lists": issued})
    return Issued(paths, unanswered)


def _issued_record(path: Path) -> dict[str, tuple[str, str]]:
    """key → (file name, SHA-256) of the lists issued last, from the sealed memo (memo.py); {} when missing,
    forged or not of our shape: a list is then made again, never taken from the archive on the memo's word."""
    try:
        data = read_memo(path, ISSUED_MEMO)
        lists = data["lists"]  # type: ignore[index]
        return {k: (v[0], v[1]) for k, v in lists.items()
                if isinstance(k, str) and isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v)
                and v[0] == Path(v[0]).name and not v[0].startswith(".")}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def _sha256(path: Path) -> str | None:
    try:
        if path.is_symlink() or not path.is_file():
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _link(source: Path, target: Path) -> bool:
    """``target`` as a hard link to ``source`` (a copy where links are not possible); False if neither works."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)
        return True
    except OSError:
        return False
