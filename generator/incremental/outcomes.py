"""The intake cache's entries as data: one checked file's outcome to and from JSON text.

An outcome is ``(record or None, problems, hall id as far as known)``. The cache is a file anyone with access
to the build folder can write, so an entry is never unpickled or evaluated: it is parsed as JSON and every
field's type is checked; anything else (a damaged entry, another format, a problem code not in the catalogue)
decodes to None and counts as absent, so the file is checked again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from generator.intake.run import ReturnRecord
from generator.numbers import MEMO_LIMIT
from generator.rules.problems import CATALOGUE, Problem

FORMAT = "hallscore-outcome-1"
# A year's scores are a few distinct values: each Decimal made once (they are immutable). None is 不适用.
_DECIMALS: dict[str | None, Decimal | None] = {None: None}
Outcome = tuple[ReturnRecord | None, list[Problem], str]  # what checking one file gives


def encode_outcome(outcome: Outcome) -> str:
    """JSON text of a ``check_file`` outcome (ASCII: file names may hold undecodable bytes as surrogates)."""
    record, problems, hint = outcome
    rec = None
    if record is not None:
        rec = [record.hall_id, record.round, record.date, record.inspector,
               {k: None if v is None else str(v) for k, v in record.scores.items()},
               record.reasons, record.events, record.event_notes, record.vetoes, record.veto_notes,
               record.file, record.sha256]
    probs = [[p.code, p.severity, p.message, p.file, p.sheet, p.cell] for p in problems]
    return json.dumps([FORMAT, rec, probs, hint], separators=(",", ":"))


def decode_outcome(text: object) -> Outcome | None:
    """The outcome stored as ``text``, or None when it is not one this code wrote."""
    if not isinstance(text, str):
        return None
    try:
        data = json.loads(text)
        if type(data) is not list or len(data) != 4 or data[0] != FORMAT:
            return None
        _, rec, probs, hint = data
        if type(hint) is not str or type(probs) is not list:
            return None
        problems = [_problem(p) for p in probs]
        record = None if rec is None else _record(rec)
    except (ValueError, TypeError, InvalidOperation, _Foreign, RecursionError):
        return None
    return record, problems, hint


_STR, _INT, _BOOL = {str}, {int}, {bool}


class _Foreign(ValueError):
    """Part of an entry is not what encode_outcome writes."""


def _problem(fields: object) -> Problem:
    if type(fields) is not list or len(fields) != 6 or not set(map(type, fields)) <= _STR:
        raise _Foreign
    kind = CATALOGUE.get(fields[0])
    if kind is None or kind.severity != fields[1]:
        raise _Foreign
    return Problem(*fields)


def _decimal(value: object) -> Decimal | None:
    if value is None:
        return None
    if type(value) is not str:
        raise _Foreign
    number = Decimal(value)
    if not number.is_finite():
        raise _Foreign
    if len(_DECIMALS) < 4096:
        _DECIMALS[value] = number
    return number


def _texts(value: object) -> dict[str, str]:
    if type(value) is not dict or not set(map(type, value.values())) <= _STR:
        raise _Foreign
    return value


def _record(rec: object) -> ReturnRecord:
    if type(rec) is not list or len(rec) != 12:
        raise _Foreign
    hall_id, rnd, when, inspector, scores, reasons, events, event_notes, vetoes, veto_notes, file, sha = rec
    if not set(map(type, (hall_id, rnd, when, inspector, file, sha))) <= _STR or type(scores) is not dict:
        raise _Foreign
    try:
        decoded = {item: _DECIMALS[value] for item, value in scores.items()}
    except (KeyError, TypeError):  # a value not seen before (or not text at all)
        decoded = {item: _decimal(value) for item, value in scores.items()}
    if type(events) is not dict or not set(map(type, events.values())) <= _INT:
        raise _Foreign  # (True is not a count: its type is bool)
    if type(vetoes) is not dict or not set(map(type, vetoes.values())) <= _BOOL:
        raise _Foreign
    return ReturnRecord(hall_id, rnd, when, inspector, decoded, _texts(reasons), events, _texts(event_notes),
                        vetoes, _texts(veto_notes), file, sha)


class KeyTable:
    """The key lists of a year's score, event and veto dicts, each kept once: every return of a standard has the
    same items, so a packed record names its list by number instead of repeating it."""

    def __init__(self, lists: list[list[str]] | None = None) -> None:
        self.lists: list[list[str]] = lists if lists is not None else []
        self._index = {tuple(keys): n for n, keys in enumerate(self.lists)}

    def number(self, keys: Iterable[str]) -> int:
        found = tuple(keys)
        n = self._index.get(found)
        if n is None:
            n = self._index[found] = len(self.lists)
            self.lists.append(list(found))
        return n


# The text of each score packed, made once per Decimal object: a record's Decimals are shared (those read from a
# return by intake/cell_values.py, those decoded here by _DECIMALS), so a year's packed scores hold a few strings,
# not one a cell. By id, with the object held: Decimal 7 and 7.0 are equal keys but not the same text.
_TEXTS: dict[int, tuple[Decimal, str]] = {}


def _score_text(value: Decimal | None) -> str | None:
    if value is None:
        return None
    known = _TEXTS.get(id(value))
    if known is not None and known[0] is value:
        return known[1]
    text = str(value)
    if len(_TEXTS) < MEMO_LIMIT:
        _TEXTS[id(value)] = (value, text)
    return text


def pack_outcome(outcome: Outcome, table: KeyTable) -> list[object]:
    """An outcome as JSON-ready lists for a sealed snapshot (:mod:`generator.incremental.intake_snapshot`)."""
    record, problems, hint = outcome
    rec: list[object] | None = None
    if record is not None:
        scores, events, vetoes = record.scores, record.events, record.vetoes
        rec = [record.hall_id, record.round, record.date, record.inspector,
               [table.number(scores), list(map(_score_text, scores.values()))], record.reasons,
               [table.number(events), list(events.values())], record.event_notes,
               [table.number(vetoes), list(vetoes.values())], record.veto_notes, record.file, record.sha256]
    return [rec, [[p.code, p.severity, p.message, p.file, p.sheet, p.cell] for p in problems], hint]


def unpack_outcome(packed: list[Any], lists: list[list[str]]) -> Outcome:
    """The outcome :func:`pack_outcome` packed. Only for a snapshot whose seal holds (this installation wrote it
    from an outcome this code made): the fields are not typed one by one as :func:`decode_outcome` does; a
    snapshot that does not unpack raises ValueError, TypeError, KeyError or IndexError."""
    rec, probs, hint = packed
    problems = [Problem(*fields) for fields in probs]
    if rec is None:
        return None, problems, hint
    hall_id, rnd, when, inspector, (sk, sv), reasons, (ek, ev), event_notes, (vk, vv), veto_notes, file, sha = rec
    try:
        scores = [_DECIMALS[value] for value in sv]
    except KeyError:
        scores = [_decimal(value) for value in sv]
    record = ReturnRecord(hall_id, rnd, when, inspector, dict(zip(lists[sk], scores, strict=True)), reasons,
                          dict(zip(lists[ek], ev, strict=True)), event_notes, dict(zip(lists[vk], vv, strict=True)),
                          veto_notes, file, sha)
    return record, problems, hint
