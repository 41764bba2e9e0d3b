"""The archive is the record (standard.md): every input that made a year, kept in ``archive/<Y>/输入/``.

The returns (every entry found under the build's paths, mails and zips included) are stored once each by their
content (``输入/文件/<sha256>``, a hard link to the previous build's copy where it has one); ``输入/清单.json``
names each by the name the build reported it by, and the register, the year's configuration, the decisions file
and the answered lists likewise. The standard is the year's ``standard.yaml`` beside results.json.
:func:`read_manifest` reads the manifest back, checked; rebuilding a year from it is ``verify.py``'s job.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict, cast

from generator.errors import HallscoreError
from generator.evaluate.decisions import decision_files
from generator.fs.files import file_sha256, write_chunks_atomic
from generator.intake.discover import discover
from generator.why import why

FOLDER = "输入"
OBJECTS = "文件"
MANIFEST = "清单.json"
VERSION = 1


class VerifyError(HallscoreError):
    """The year's archive cannot be rebuilt (no inputs kept, a damaged manifest)."""


@dataclass(frozen=True)
class Inputs:
    """What one build read, as the build was given it; ``found``: the entries under ``returns`` with the names
    they were reported by, as the intake found them (None: found here again)."""

    returns: Sequence[Path]
    register: Path
    config: Path | None = None
    overrides: Path | None = None
    answers: Sequence[Path] = ()
    found: Sequence[tuple[Path, str]] | None = None


# A file's SHA-256 from its path and its status (os.lstat's, a regular file's).
Digest = Callable[[Path, os.stat_result], str]


def bytes_sha256(path: Path, _status: os.stat_result) -> str:
    """The SHA-256 of the file's bytes, read."""
    return file_sha256(path)


# One kept file: [the name the build knew it by, the sha256 of its content].
StoredFile = list[str]


class Manifest(TypedDict):
    """``输入/清单.json``: every kept input of a year by name and content."""

    version: int
    returns: list[StoredFile]
    register: StoredFile
    config: StoredFile | None
    overrides: StoredFile | None
    answers: list[StoredFile]


def store_inputs(year_folder: Path, inputs: Inputs, previous: Path | None = None,
                 sha256_of: Digest = bytes_sha256) -> None:
    """Keep ``inputs`` in ``year_folder/输入``: each content once, linked from ``previous`` (the year's folder as
    it stands) when it already holds it. ``sha256_of`` gives a file's SHA-256 (the incremental layer's knows those
    of unchanged files without reading them)."""
    root = year_folder / FOLDER
    keep = _keeper(root / OBJECTS, previous, sha256_of)

    def named(path: Path | None, name: str | None = None) -> StoredFile | None:
        if path is None:
            return None
        sha = keep(path)
        return [name or path.name, sha] if sha else None

    found = inputs.found if inputs.found is not None else discover(inputs.returns)
    returns = [[name, sha] for path, name in found if (sha := keep(path))]
    answers = [[p.name, sha] for p in decision_files(inputs.answers) if (sha := keep(p))]
    manifest: dict[str, object] = {
        "version": VERSION,
        "returns": returns,
        "register": named(inputs.register),
        "config": named(inputs.config),
        "overrides": named(inputs.overrides),
        "answers": sorted(answers),
    }
    write_chunks_atomic(root / MANIFEST, [manifest_text(manifest).encode("utf-8")],
                        (previous / FOLDER / MANIFEST) if previous is not None else None)


def _keeper(objects: Path, previous: Path | None, sha256_of: Digest) -> Callable[[Path], str | None]:
    """A function keeping a file's content in ``objects`` once and giving its SHA-256 (None: not a file kept)."""
    fresh = not objects.exists()  # a new folder holds only what this call kept: no need to look at it
    objects.mkdir(parents=True, exist_ok=True)
    # Plain strings: one path joined per kept input, not a Path object each.
    into, old = os.fspath(objects), os.fspath(previous / FOLDER / OBJECTS) if previous is not None else None
    linkable = regular_files(old) if old is not None else set()  # one listing, not a look per input
    kept: set[str] = set()

    def keep(path: Path) -> str | None:
        try:
            status = os.lstat(path)
            if not stat.S_ISREG(status.st_mode):
                return None  # a FIFO, a link, a folder: nothing to keep (the intake report names it)
            sha = sha256_of(path, status)
        except OSError:
            return None
        target = os.path.join(into, sha)
        if sha in kept or (not fresh and os.path.exists(target)):
            return sha
        kept.add(sha)
        if old is not None and sha in linkable:
            try:
                os.link(os.path.join(old, sha), target)
                return sha
            except OSError:
                pass
        shutil.copyfile(path, target)
        return sha

    return keep


_MARK = "\x00returns\x00"


def manifest_text(manifest: dict[str, object]) -> str:
    """``json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1)`` and a newline, with the list of
    returns (a [name, sha256] pair each, thousands of them) written by the C encoder, not the indenting one."""
    returns = manifest["returns"]
    if not isinstance(returns, list) or not returns or not all(
            type(pair) is list and len(pair) == 2 and all(type(x) is str for x in pair) for pair in returns):
        return json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1) + "\n"
    text = json.dumps({**manifest, "returns": _MARK}, ensure_ascii=False, sort_keys=True, indent=1) + "\n"
    quote = json.encoder.encode_basestring
    pairs = ",\n".join(f"  [\n   {quote(name)},\n   {quote(sha)}\n  ]" for name, sha in returns)
    return text.replace(quote(_MARK), f"[\n{pairs}\n ]", 1)


def regular_files(folder: str) -> set[str]:
    """The names of the regular files in ``folder`` (not links to one); none when it cannot be listed."""
    try:
        with os.scandir(folder) as entries:
            return {e.name for e in entries if e.is_file(follow_symlinks=False)}
    except OSError:
        return set()


def regular_file(path: str | Path) -> bool:
    """``path`` is a regular file itself (not a link to one)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def read_manifest(year_folder: Path) -> Manifest:
    """The manifest of the inputs kept in ``year_folder``, checked to be one hallscore wrote."""
    path = year_folder / FOLDER / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VerifyError(f"档案 {year_folder} 中没有保存输入({FOLDER}/{MANIFEST}):这一年是旧版本 hallscore 生成的,"
                          f"请用原来的输入重新 build 一次后再核对") from None
    except (OSError, ValueError) as exc:
        raise VerifyError(f"档案 {path} 无法读取({why(exc)}):输入清单已损坏") from None
    ok = (isinstance(data, dict) and data.get("version") == VERSION and isinstance(data.get("returns"), list)
          and isinstance(data.get("answers"), list) and _pair(data.get("register"))
          and all(_pair(x) for x in data["returns"] + data["answers"])
          and all(data.get(k) is None or _pair(data[k]) for k in ("config", "overrides")))
    if not ok:
        raise VerifyError(f"档案 {path} 不是 hallscore 写的输入清单,无法核对")
    return cast(Manifest, data)


def _pair(value: object) -> bool:
    return (isinstance(value, list) and len(value) == 2 and all(isinstance(x, str) for x in value)
            and len(value[1]) == 64 and all(c in "0123456789abcdef" for c in value[1]))

