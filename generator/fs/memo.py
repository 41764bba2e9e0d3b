"""Memos and stamps hallscore keeps beside the site or in its cache, sealed with the installation's keyed digest.

Whoever can write those folders can plant or edit a memo; a sealed memo that does not match its digest (or is
not a regular file, or is a link) reads as absent, so a forged entry costs only the time of doing the work again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from generator.fs.files import read_own_file, write_bytes_atomic
from generator.fs.installkey import digest_matches, keyed_digest_of_parts

_MAGIC = b"hallscore-memo/1 "


def seal(purpose: str, body: bytes) -> bytes:
    return b"".join(sealed_parts(purpose, [body]))


def sealed_parts(purpose: str, parts: Sequence[bytes]) -> list[bytes]:
    """The bytes of ``seal(purpose, b"".join(parts))`` as parts, to be written one after the other: a body of
    many megabytes is never copied into one (nor twice, once joined and once behind its digest)."""
    return [_MAGIC + keyed_digest_of_parts(purpose, parts).encode("ascii") + b"\n", *parts]


def unseal(purpose: str, data: bytes) -> bytes | None:
    """The body of a sealed memo for ``purpose``, or None when it is not one this installation sealed."""
    if not data.startswith(_MAGIC):
        return None
    head, _, body = data[len(_MAGIC):].partition(b"\n")
    try:
        digest = head.decode("ascii")
    except UnicodeDecodeError:
        return None
    return body if digest_matches(purpose, body, digest) else None


def read_memo(path: str | Path, purpose: str) -> object:
    """The JSON value of the sealed memo at ``path``; None when missing, damaged, forged or a link."""
    try:
        body = unseal(purpose, read_own_file(path))
        return None if body is None else json.loads(body)
    except (OSError, ValueError, RecursionError):
        return None


def write_memo(path: str | Path, purpose: str, value: object) -> None:
    """Keep ``value`` (JSON) sealed at ``path``; a memo that cannot be written only costs time next run."""
    try:
        write_bytes_atomic(path, seal(purpose, json.dumps(value, ensure_ascii=False).encode("utf-8")))
    except OSError:
        pass
