"""A key of each hall's row as its results.json line gives it: what pages and downloads are keyed by, without
making a text of every field of every hall again (the line is written anyway).

A typed row made from a line (codec.save_as_read types each hall from the mapping its line is written from,
exactly as the line reads back) is known by that line: equal lines read back as equal rows. The key is the
line's SHA-256 with its returns' checksums taken out (the one field no page or download shows: page_keys). It is
kept by the row's identity, beside a weak reference to the row (an identity reused by another object is not
taken for it, and the rows are not kept alive by it); a row made otherwise has no line key and is keyed from
its fields (page_keys.hall_digest).
"""

from __future__ import annotations

import hashlib
import json
import re
import weakref
from collections.abc import Iterable
from typing import Any

from generator.model import HallRow

_HEX = re.compile(r"[0-9a-f]{64}")  # a return's checksum, as results.json holds it (or "": none)
PREFIX = "line:"  # line keys never equal a key made from the fields (a bare hexadecimal digest)

_KEPT: dict[int, tuple[weakref.ref[HallRow], str]] = {}


def line_key(row: HallRow, line: str) -> str | None:
    """The key of ``row``, typed from ``line`` (its results.json line): the line's digest with its returns'
    checksums taken out. None when a checksum is not one (64 hexadecimal digits, or none) or its text occurs
    elsewhere in the line too (taking it out could hide a difference): such a row is keyed from its fields."""
    blanked = line
    for score in row.rounds:
        sha = score.sha256
        if sha == "":
            continue
        if type(sha) is not str or not _HEX.fullmatch(sha) or line.count(sha) != 1:
            return None
        blanked = blanked.replace(sha, "", 1)  # its only place in the line: the return's own field
    return PREFIX + hashlib.sha256(blanked.encode("utf-8", "surrogatepass")).hexdigest()


def keep_line_keys(rows: Iterable[HallRow], keys: Iterable[str | None]) -> None:
    """Keep each row's line key (None: none) for :func:`line_digest`."""
    dead = [k for k, (ref, _key) in _KEPT.items() if ref() is None]
    for k in dead:
        del _KEPT[k]
    for row, key in zip(rows, keys, strict=True):
        if key is not None:
            _KEPT[id(row)] = (weakref.ref(row), key)


def line_digest(row: HallRow) -> str | None:
    """The line key of ``row`` (:func:`line_key`), when it was typed from a results.json line; else None."""
    kept = _KEPT.get(id(row))
    return kept[1] if kept is not None and kept[0]() is row else None


_HALLS = '\n"halls":[\n'  # where results.json's halls begin, one a line (codec.dump_chunks)


def read_lines(text: str) -> tuple[dict[str, Any], list[str]] | None:
    """results.json's ``text`` parsed a hall line at a time: the mapping ``json.loads(text)`` gives, and each
    hall's line (the exact text its mapping was parsed from). None when the text is not laid out one hall a line
    with the halls key once (parse it whole: a file edited by hand is read as ever)."""
    start = text.find(_HALLS)
    end = text.find("\n]", start + len(_HALLS)) if start >= 0 else -1
    if end < 0 or text.count('"halls"') != 1:
        return None
    lines = text[start + len(_HALLS):end].split("\n")
    if not all(line.endswith(",") for line in lines[:-1]):
        return None
    lines[:-1] = [line[:-1] for line in lines[:-1]]
    tops: list[list[tuple[str, Any]]] = []

    def mapping(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        tops.append(pairs)
        return dict(pairs)

    try:
        halls = [json.loads(line) for line in lines]
        data = json.loads(text[:start + len(_HALLS)] + text[end:], object_pairs_hook=mapping)
    except (ValueError, RecursionError):
        return None
    # The halls key once in the mapping (an escaped spelling of it is another key as written, the same one read)
    if not isinstance(data, dict) or [value for key, value in tops[-1] if key == "halls"] != [[]]:
        return None
    data["halls"] = halls
    return data, lines
