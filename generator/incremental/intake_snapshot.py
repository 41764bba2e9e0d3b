"""The intake cache's last build in one sealed file, so that a build where little changed reads one file.

The store (``intake.sqlite``) keeps every entry with a keyed digest per row, and each row read back is checked
on its own: right for a few entries, costly for a whole year's. Beside it, ``intake-snapshot.bin`` holds what the
last build used: the remembered file statuses and the entries of its context, under ONE keyed digest
(:mod:`generator.fs.memo`). It stands for the store only as the store was when it was written: it names the
store's file status (:func:`generator.fs.files.stat_status`), and a store written since (by a later build, or
edited by hand) makes it absent; the store's rows are then read and checked one by one as before. A damaged,
forged or foreign snapshot reads as absent too: it costs only that time.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.fs.files import read_own_file, work_prefix
from generator.fs.memo import sealed_parts, unseal

NAME = "intake-snapshot.bin"
_PURPOSE = "intake-snapshot"
_FORMAT = "hallscore-intake-snapshot-2"
_STATS_SEPARATOR = b"\x00"  # a path never holds a NUL byte
Stats = dict[bytes, tuple[str, str]]  # a file's absolute path -> (its status, its SHA-256)


@dataclass
class Snapshot:
    """What one build used: the statuses remembered, and the entries of its context by key, each
    ``[day made, exact, packed outcome]`` (:func:`generator.incremental.outcomes.pack_outcome`, whose key lists
    are ``lists``).

    The entries are kept in ``sections``, each one JSON text, a later one's entry standing over an earlier one's:
    a build that learnt a few entries writes the sections it read as they were and one more for them, instead of
    encoding the whole year again. Read back, ``entries`` holds every section's; to be written, ``entries`` are
    those of the new section only."""

    store: str
    context: str
    day: str
    stats: Stats
    lists: list[list[str]] = field(default_factory=list)
    entries: dict[str, list[Any]] = field(default_factory=dict)
    sections: list[bytes] = field(default_factory=list)


def read_snapshot(folder: Path, store: str) -> Snapshot | None:
    """The snapshot in ``folder`` when it is sealed by this installation and was written for the store whose
    status is ``store``; else None."""
    try:
        sealed = read_sealed(folder / NAME, _PURPOSE, _FORMAT)
        if sealed is None:
            return None
        meta, rest = sealed
        if meta.get("store") != store:
            return None
        size = meta["stats"]
        stats = unpack_stats(rest[:size])
        entries: dict[str, list[Any]] = {}
        sections: list[bytes] = []
        for length in meta["sections"]:
            sections.append(rest[size:size + length])
            entries.update(json.loads(sections[-1].decode("utf-8", "surrogatepass")))
            size += length
        if size != len(rest):
            return None
        return Snapshot(store, str(meta["context"]), str(meta["day"]), stats, meta["lists"], entries, sections)
    except (OSError, ValueError, TypeError, KeyError, IndexError, RecursionError):
        return None


def write_snapshot(folder: Path, snapshot: Snapshot) -> None:
    """Keep ``snapshot`` sealed in ``folder``; one that cannot be written only costs time next build."""
    stats = pack_stats(snapshot.stats)
    sections = list(snapshot.sections)
    if snapshot.entries:
        sections.append(compact_json(list(snapshot.entries.items())))
    meta = {"format": _FORMAT, "store": snapshot.store, "context": snapshot.context, "day": snapshot.day,
            "stats": len(stats), "sections": [len(section) for section in sections], "lists": snapshot.lists}
    write_sealed(folder / NAME, _PURPOSE, meta, [stats, *sections])


def pack_stats(stats: Stats) -> bytes:
    """Each file's absolute path, status and SHA-256, NUL-separated (a path never holds a NUL byte)."""
    return _STATS_SEPARATOR.join(_STATS_SEPARATOR.join((path, status.encode("ascii"), digest.encode("ascii")))
                                 for path, (status, digest) in stats.items())


def unpack_stats(section: bytes) -> Stats:
    """The statuses :func:`pack_stats` packed; ValueError when the fields do not come in threes."""
    fields = section.split(_STATS_SEPARATOR) if section else []
    if len(fields) % 3:
        raise ValueError("a sealed file's statuses are cut short")
    return dict(zip(fields[0::3], zip([s.decode("ascii") for s in fields[1::3]],
                                      [d.decode("ascii") for d in fields[2::3]], strict=True), strict=True))


def compact_json(value: object) -> bytes:
    """``value`` as compact UTF-8 JSON (the paths of the files found may hold lone surrogates)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")


def write_sealed(path: Path, purpose: str, meta: dict[str, Any], sections: list[bytes]) -> None:
    """``path`` holds ``meta`` as one line of JSON, then ``sections``, under one keyed digest for ``purpose``
    (:func:`generator.fs.memo.seal`). One that cannot be written only costs time next build."""
    try:
        write_unsynced(path, sealed_parts(purpose, [json.dumps(meta).encode("ascii"), b"\n", *sections]))
    except OSError:
        pass


def read_sealed(path: Path, purpose: str, fmt: str) -> tuple[dict[str, Any], bytes] | None:
    """The meta line and the sections after it of a file :func:`write_sealed` wrote for ``purpose`` in format
    ``fmt``; None when it is not sealed by this installation or is of another format. Raises OSError or
    ValueError on a file that cannot be read or a meta line that is not JSON."""
    body = unseal(purpose, read_own_file(path))
    if body is None:
        return None
    head, _, rest = body.partition(b"\n")
    meta = json.loads(head)
    if type(meta) is not dict or meta.get("format") != fmt:
        return None
    return meta, rest


def write_unsynced(path: Path, parts: list[bytes]) -> None:
    """``path`` holds ``parts``, one after the other, or what it held before, never a part of them (a temporary file
    renamed over it, owner-only). Not synced to disk: a snapshot a crash cut short fails its seal and reads as
    absent."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=work_prefix(f".{path.name}.tmp-"), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.writelines(parts)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def drop_snapshot(folder: Path) -> None:
    """No snapshot: the next build reads the store's rows (a store that could not be written)."""
    try:
        os.unlink(folder / NAME)
    except OSError:
        pass
