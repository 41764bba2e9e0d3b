"""One hall of results.json: the typed :class:`HallRow` from its JSON mapping and back, and that mapping as JSON
reads its line back.

``hall_from_json`` types a hall's mapping (scores as exact ``Decimal``); ``hall_to_json`` gives the mapping
results.json holds for it; ``as_read_json`` and ``as_read_hall`` give that mapping as JSON reads the written line
back, so that codec.save_as_read hands over the year it writes without parsing it again. This is the work done
once per hall (and per item score), with the memos of figures it keeps; codec.py reads, writes and checks the
year as a whole and leaves each hall to this module.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields
from decimal import Decimal
from typing import Any, TypeVar

from generator.model import Decision, Event, HallRow, RoundScore, Veto, Withdrawal
from generator.numbers import MEMO_LIMIT, number
from generator.rules.contract import NOT_APPLICABLE

# A year holds few distinct figures (points on a 0.5 step, one-decimal scores): each JSON number becomes its
# Decimal once per process, not once per hall and item (a national year has ~900,000 of them).
_FLOATS: dict[float, Decimal] = {}
_INTS: dict[int, Decimal] = {}


def _dec(value: Any) -> Any:
    """A JSON number as the exact figure it reports (94.3 → Decimal('94.3'))."""
    kind = type(value)
    if kind is float:
        got = _FLOATS.get(value)
        if got is None:
            got = Decimal(str(value))
            # 0.0 and -0.0 are one key with two texts, and NaN never finds itself: neither is kept.
            if value and value == value and len(_FLOATS) < MEMO_LIMIT:
                _FLOATS[value] = got
        return got
    if kind is int:
        got = _INTS.get(value)
        if got is None:
            got = Decimal(value)
            if len(_INTS) < MEMO_LIMIT:
                _INTS[value] = got
        return got
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return Decimal(str(value))


exact = _dec  # for readers of the untyped mapping (pages): the same exact figure


def json_number(value: Any) -> Any:
    """A figure as results.json writes it (a Decimal as its JSON number, 95 or 94.3); anything else as it is."""
    return number(value) if isinstance(value, Decimal) else value


_SCORES = {"base_score", "bonus", "deduction", "final_score", "self_gap"}


_HALL_FIELDS = tuple((f.name, f.default) for f in fields(HallRow))
_HALL_NAMES = tuple(name for name, _default in _HALL_FIELDS)
_HALL_DEFAULTS = tuple(default for _name, default in _HALL_FIELDS)
_ROUND_FIELDS = tuple(f.name for f in fields(RoundScore))
_ROUND_KEYS = frozenset(_ROUND_FIELDS)
_new = object.__new__
_Frozen = TypeVar("_Frozen")


def _frozen(cls: type[_Frozen], values: dict[str, Any]) -> _Frozen:
    """``cls(**values)`` for a frozen dataclass without __post_init__, ``values`` holding every field in order:
    the same row without the frozen __init__'s object.__setattr__ per field (a tenth of typing a national
    year); test_record checks the two agree."""
    row: _Frozen = _new(cls)
    row.__dict__.update(values)
    return row


def _round(raw: dict[str, Any]) -> RoundScore:
    if raw.keys() != _ROUND_KEYS:  # a field missing or unknown: the constructor says which (a SiteError)
        return RoundScore(**{**raw, "base_score": _dec(raw["base_score"]), "final_score": _dec(raw["final_score"]),
                             "problems": tuple(raw.get("problems") or ())})
    values = {name: raw[name] for name in _ROUND_FIELDS}
    values["base_score"], values["final_score"] = _dec(values["base_score"]), _dec(values["final_score"])
    values["problems"] = tuple(values["problems"])
    return _frozen(RoundScore, values)


# (type, JSON value) → the figure it is typed as, for the values _dec's memo keeps (and the two non-figures an item
# may hold): a mapping of scores is typed in C when all its values were seen before.
_TYPED: dict[tuple[type, Any], Any] = {(type(None), None): None, (str, NOT_APPLICABLE): NOT_APPLICABLE}


def exact_scores(mapping: dict[str, Any]) -> dict[str, Any]:
    """``{k: _dec(v)}``: a national year has 700,000 item scores."""
    values = mapping.values()
    try:
        return dict(zip(mapping, map(_TYPED.__getitem__, zip(map(type, values), values))))
    except (KeyError, TypeError):  # a value not seen yet (or one that cannot be a key)
        pass
    out = {}
    for key, value in mapping.items():
        out[key] = got = _dec(value)
        kind = type(value)
        # as _dec's memo: 0.0 and -0.0 are one key with two texts, and NaN never finds itself
        if (kind is int or (kind is float and value and value == value)) and len(_TYPED) < MEMO_LIMIT:
            _TYPED[kind, value] = got
    return out


def hall_from_json(raw: dict[str, Any]) -> HallRow:
    values = dict(zip(_HALL_NAMES, map(raw.get, _HALL_NAMES, _HALL_DEFAULTS)))
    for key in _SCORES:
        values[key] = _dec(values[key])
    values["items"] = exact_scores(raw["items"])
    values["sections"] = exact_scores(raw["sections"])
    for key in ("bonus_events", "deduction_events"):
        values[key] = tuple(Event(e["item"], e["count"], _dec(e["points"]), tuple(e["rounds"]),
                                  tuple((r, t) for r, t in e["notes"])) for e in raw[key])
    values["vetoes"] = tuple(Veto(v["item"], tuple(v["rounds"]), tuple((r, t) for r, t in v["notes"]))
                             for v in raw["veto_events"])
    values["rounds"] = tuple(map(_round, raw["rounds"]))
    values["decisions"] = tuple(Decision(**d) for d in raw.get("decisions") or ())
    values["reason_ranks"] = tuple((start, end) for start, end in raw.get("reason_ranks") or ())
    if values["withdrawn"]:
        values["withdrawn"] = tuple(
            Withdrawal(w["item"], w["kind"], w["count"], tuple(w["rounds"]), tuple((r, t) for r, t in w["notes"]),
                       w["level"], w["decided_by"], w["date"], w["reason"]) for w in values["withdrawn"])
    return _frozen(HallRow, values)  # every field is in ``values``, in order


# results.json's hall keys in three kinds: written as they are, scores (Decimal → JSON number), and the ones
# with a shape of their own (written below, field by field).
_SHAPED = {"items", "sections", "bonus_events", "deduction_events", "vetoes", "rounds", "decisions", "reason_ranks",
           "withdrawn"}
_PLAIN = tuple(f.name for f in fields(HallRow) if f.name not in _SHAPED and f.name not in _SCORES)
SCORE_NAMES = tuple(sorted(_SCORES))
_ALWAYS = (*_PLAIN, *SCORE_NAMES, "items", "sections", "bonus_events", "deduction_events", "veto_events", "rounds",
           "decisions")
# A hall's keys in the order JSON writes them, by whether it has reason_ranks and withdrawn (keys only then).
_HALL_KEYS = {(ranks, withdrawn): tuple(sorted((*_ALWAYS, *("reason_ranks",) * ranks, *("withdrawn",) * withdrawn)))
              for ranks in (False, True) for withdrawn in (False, True)}
# A year's item scores are a few distinct figures: each one's JSON number is looked up, not made again.
_AS_JSON: dict[object, object] = {None: None, NOT_APPLICABLE: NOT_APPLICABLE}


def _json_scores(scores: dict[str, Any]) -> dict[str, Any]:
    """``{k: json_number(v)}`` for item and section scores, in C when every value was seen before."""
    try:
        return dict(zip(scores, map(_AS_JSON.__getitem__, scores.values()), strict=True))
    except (KeyError, TypeError):  # a figure not seen yet, or one that cannot be a key (a signalling NaN)
        out = {}
        for key, value in scores.items():
            out[key] = got = json_number(value)
            if type(value) is Decimal and value.is_finite() and len(_AS_JSON) < MEMO_LIMIT:
                _AS_JSON[value] = got
        return out


def _notes_json(notes: tuple[tuple[str, str], ...]) -> list[list[str]]:
    return [[rnd, text] for rnd, text in notes]


def hall_to_json(row: HallRow, scores: Callable[[dict[str, Any]], dict[str, Any]] = _json_scores) -> dict[str, Any]:
    """A hall as results.json holds it, its keys and those of the mappings made here in sorted order."""
    values = row.__dict__
    out = dict.fromkeys(_HALL_KEYS[bool(row.reason_ranks), bool(row.withdrawn)])  # each key set below, in place
    out.update(zip(_PLAIN, map(values.__getitem__, _PLAIN)))
    for name in SCORE_NAMES:
        out[name] = json_number(values[name])
    out["items"] = scores(row.items)
    out["sections"] = scores(row.sections)
    out["bonus_events"] = [{"count": e.count, "item": e.id, "notes": _notes_json(e.notes), "points": json_number(e.points),
                            "rounds": list(e.rounds)} for e in row.bonus_events]
    out["deduction_events"] = [{"count": e.count, "item": e.id, "notes": _notes_json(e.notes),
                                "points": json_number(e.points), "rounds": list(e.rounds)} for e in row.deduction_events]
    out["veto_events"] = [{"count": 1, "item": v.id, "notes": _notes_json(v.notes), "rounds": list(v.rounds)}
                          for v in row.vetoes]
    out["rounds"] = [{"base_score": json_number(r.base_score), "date": r.date, "file": r.file,
                      "final_score": json_number(r.final_score), "inspector": r.inspector, "note": r.note,
                      "problems": list(r.problems), "round": r.round, "sha256": r.sha256, "status": r.status}
                     for r in row.rounds]
    out["decisions"] = [{"by_level": d.by_level, "date": d.date, "decided_by": d.decided_by, "reason": d.reason,
                         "result": d.result, "source": d.source, "tier": d.tier} for d in row.decisions]
    if row.reason_ranks:
        out["reason_ranks"] = [list(span) for span in row.reason_ranks]
    if row.withdrawn:
        out["withdrawn"] = [{"count": w.count, "date": w.date, "decided_by": w.decided_by, "item": w.id,
                             "kind": w.kind, "level": w.level, "notes": _notes_json(w.notes), "reason": w.reason,
                             "rounds": list(w.rounds)} for w in row.withdrawn]
    return out


_SCALARS = frozenset({str, int, float, bool, type(None)})  # a hall's usual values (else: the general path)
_MAPPED = ("reasons", "override")  # the plain fields that are mappings of text
_SCALAR_PLAIN = tuple(name for name in _PLAIN if name not in _MAPPED)


class _Unusual(Exception):  # a hall holding a value of an unusual type: it takes the general path
    pass


def _sorted_scores(scores: dict[str, Any]) -> dict[str, Any]:
    """:func:`_json_scores` with its keys sorted, as JSON writes and reads them back."""
    order = _key_order(tuple(scores))
    try:
        return dict(zip(order, map(_AS_JSON.__getitem__, map(scores.__getitem__, order)), strict=True))
    except (KeyError, TypeError):  # a figure not seen yet (_json_scores keeps it), or one that cannot be a key
        out = _json_scores(scores)
        if not _SCALARS.issuperset(map(type, out.values())):
            raise _Unusual from None
        return dict(zip(order, map(out.__getitem__, order)))


def as_read_json(row: HallRow) -> dict[str, Any] | None:
    """:func:`hall_to_json` as JSON reads the line back (mappings sorted, sequences lists): written keeping the order
    given, the same line; typed, the row read back. None when a value is of an unusual type (general path)."""
    try:
        out = hall_to_json(row, _sorted_scores)
    except _Unusual:
        return None
    if not _SCALARS.issuperset(map(type, map(out.__getitem__, _SCALAR_PLAIN))):
        return None
    for name in _MAPPED:
        value = out[name]
        if value is not None:
            if type(value) is not dict or not _SCALARS.issuperset(map(type, value.values())):
                return None
            out[name] = _as_read(value)
    return out


def as_read_hall(raw: dict[str, Any]) -> dict[str, Any]:
    """A hall's :func:`hall_to_json` mapping as JSON reads its line back for :func:`hall_from_json`: keys of the mappings
    it keeps as they are sorted, sequences in them lists (the rest :func:`hall_from_json` reads field by field)."""
    raw["items"] = _in_key_order(raw["items"])
    raw["sections"] = _in_key_order(raw["sections"])
    for name in _PLAIN:
        value = raw[name]
        if type(value) in (dict, list, tuple):
            raw[name] = _as_read(value)
    return raw


# Each hall's items (and sections) are the standard's, in its order: their sorted order is found once.
_KEY_ORDER: dict[tuple[Any, ...], tuple[Any, ...]] = {}


def _in_key_order(mapping: dict[str, Any]) -> dict[str, Any]:
    """The mapping with its keys sorted, as JSON writes it (its values JSON's own scalars)."""
    order = _key_order(tuple(mapping))
    return dict(zip(order, map(mapping.__getitem__, order)))


def _key_order(keys: tuple[Any, ...]) -> tuple[Any, ...]:
    order = _KEY_ORDER.get(keys)
    if order is None:
        order = tuple(sorted(keys))
        if len(_KEY_ORDER) < 256:
            _KEY_ORDER[keys] = order
    return order


def _as_read(value: Any) -> Any:
    """``json.loads(dumps(value))`` for the plain values of a hall (mappings of text, mostly)."""
    if type(value) in (list, tuple):
        return [_as_read(v) for v in value]
    if type(value) is not dict:
        return value
    if not all(type(key) is str for key in value):
        return json.loads(ENCODE(value))
    return {key: value[key] if type(value[key]) is str else _as_read(value[key]) for key in sorted(value)}


# One hall (or intake file) a line, everything else compact (codec.dump_chunks): the C encoder writes it (the
# indented form is Python's pure-Python encoder, ten times slower), and a changed hall is still a one-line diff.
ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
ENCODE_AS_GIVEN = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
