"""Content keys that let a build skip work whose inputs did not change (used only with a cache folder).

- The register is parsed once per distinct file content (its SHA-256), kept as a pickle in the cache.
- The archive's year folder is staged and swapped only when the results' key (build._evaluate) changed or the
  folder is not as the last build left it (any file added, removed, resized or touched since, for example a
  上报名单 answered in place): an unchanged rebuild writes nothing into the archive and swaps nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

from .fsutil import write_bytes_atomic, write_text_atomic
from .register import load_register


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def register_cached(path, cache_dir) -> tuple:
    """``load_register(path)``, from the cache when a file with the same bytes was read before."""
    if cache_dir is None:
        return load_register(path)
    from .cache import code_version

    key = hashlib.sha256(f"{code_version()}\n{_sha256(Path(path))}".encode()).hexdigest()
    stored = Path(cache_dir) / f"register-{key[:32]}.pickle"
    try:
        halls = pickle.loads(stored.read_bytes())  # our own cache folder, written below
        if isinstance(halls, tuple):
            return halls
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        pass
    halls = load_register(path)  # a bad register raises here and nothing is stored
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    for old in Path(cache_dir).glob("register-*.pickle"):
        old.unlink(missing_ok=True)  # one register at a time: the folder does not grow
    write_bytes_atomic(stored, pickle.dumps(halls, protocol=pickle.HIGHEST_PROTOCOL))
    return halls


def folder_state(folder: Path) -> list:
    """Every file under ``folder``: relative path, size, mtime in ns (dot names are ours: temporary)."""
    state = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            try:
                st = path.stat()
            except OSError:
                continue
            state.append([path.relative_to(folder).as_posix(), st.st_size, st.st_mtime_ns])
    return state


def _stamp(cache_dir, year) -> Path:
    return Path(cache_dir) / f"archive-{year}.json"


def archive_current(cache_dir, year, results_key: str | None, target: Path) -> bool:
    """True when the archive's year folder is exactly what the last build wrote for these results."""
    if cache_dir is None or results_key is None or not target.is_dir():
        return False
    try:
        last = json.loads(_stamp(cache_dir, year).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return last.get("key") == results_key and last.get("state") == folder_state(target)


def remember_archive(cache_dir, year, results_key: str | None, target: Path) -> None:
    if cache_dir is None or results_key is None:
        return
    write_text_atomic(_stamp(cache_dir, year), json.dumps({"key": results_key, "state": folder_state(target)}))
