"""The 上报名单 workbooks issued again only when their list changed: a list whose content is what the current file
was issued for is hard-linked from the year's current folder instead of being written again.

Each list is keyed by its content, the code and the installation; ``shortlists-<year>.json`` in the cache folder
remembers, sealed (memo.py), each key and the SHA-256 of the file issued for it. A file that no longer has those
bytes (answered in place, replaced by hand) is made again; a missing, damaged or foreign record only means every
list is made.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from generator.archive.codec import shortlist_json
from generator.archive.year import Issued
from generator.evaluate.decisions import list_file_name
from generator.fs.installkey import keyed_digest
from generator.fs.memo import read_memo, write_memo
from generator.incremental.fingerprints import code_version
from generator.model import YearResults
from generator.workbooks.lists import write_lists

ISSUED_MEMO = "shortlists-issued"


def write_all(results: YearResults, folder: Path, previous: Path) -> Issued:
    """Every list written anew (nothing is known of the files issued before)."""
    return Issued(write_lists(results, folder))


def issue_linked(cache_dir: Path, results: YearResults, folder: Path, previous: Path) -> Issued:
    """Every list of ``results`` in ``folder``: linked from ``previous`` (the year's current 上报名单 folder) when
    its file there is still the one issued for the same content, written otherwise. Same content, same bytes."""
    year = results.year
    record = cache_dir / f"shortlists-{year}.json"
    known = issued_record(record)
    code = code_version()
    signer = keyed_digest("上报名单/缓存", b"")  # a list signed with another installation key is made again
    current = {name: file_sha256(previous / name) for _key, (name, _sha) in known.items()}
    issued: dict[str, tuple[str, str]] = {}
    paths = []
    for shortlist in results.shortlists:
        entry = shortlist_json(shortlist)  # as results.json holds it
        content = json.dumps([code, signer, year, entry], ensure_ascii=False, sort_keys=True)
        key = hashlib.sha256(content.encode("utf-8")).hexdigest()
        name = list_file_name(entry["scope"], entry["tier"])
        last_name, sha = known.get(key, ("", ""))
        if last_name == name and current.get(name) == sha and link(previous / name, folder / name):
            path = folder / name
        else:
            [path] = write_lists({"year": year, "shortlists": [entry]}, folder)
            sha = file_sha256(path) or ""
        issued[key] = (path.name, sha)
        paths.append(path)
    unanswered = {name for name, sha in known.values() if current.get(name) == sha}
    write_memo(record, ISSUED_MEMO, {"lists": issued})
    return Issued(paths, unanswered)


def issued_record(path: Path) -> dict[str, tuple[str, str]]:
    """key → (file name, SHA-256) of the lists issued last, from the sealed memo; {} when missing, forged or not
    of our shape: a list is then made again, never taken from the archive on the memo's word."""
    data = read_memo(path, ISSUED_MEMO)
    lists = data.get("lists") if isinstance(data, dict) else None
    if not isinstance(lists, dict):
        return {}
    return {k: (v[0], v[1]) for k, v in lists.items()
            if isinstance(k, str) and isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v)
            and v[0] == Path(v[0]).name and not v[0].startswith(".")}


def file_sha256(path: Path) -> str | None:
    """The SHA-256 of a regular file (not a link), None when there is none."""
    try:
        if path.is_symlink() or not path.is_file():
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def link(source: Path, target: Path) -> bool:
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
