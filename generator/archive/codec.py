"""The year's record as typed values, and the one place that turns results.json into them and back.

``from_json`` reads a results.json mapping (any version this code knows: older ones are upgraded in memory)
into :class:`YearResults`; ``to_json`` gives back exactly the mapping ``evaluate`` writes, so a record read
and written again is the same bytes. Scores are ``Decimal`` here: the exact reported figures, never floats.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import MISSING, fields, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from generator.archive.lines import keep_line_keys, line_key
from generator.archive.upgrade import upgrade_v1, upgrade_v2
from generator.errors import SiteError
from generator.evaluate.year import SCHEMA_VERSION
from generator.fs.files import write_chunks_atomic
from generator.model import (
    Decision,
    Event,
    HallRow,
    Nominee,
    Quota,
    RoundScore,
    Shortlist,
    Veto,
    Withdrawal,
    YearResults,
)
from generator.numbers import number
from generator.rules.contract import NOT_APPLICABLE
from generator.rules.terms import GOOD
from generator.why import why

# The typed year's values are model.py's; they are named here too for readers of the record.
__all__ = ["SCHEMA_VERSION", "Decision", "Event", "HallRow", "Nominee", "RoundScore", "Shortlist", "Veto",
           "Withdrawal", "YearResults", "checked", "dump_chunks", "dumps", "exact", "from_json", "load", "save",
           "save_as_read", "shortlist_json", "shortlists_from_json", "to_json", "upgrade_v1", "upgrade_v2"]

KNOWN_VERSIONS = (1, 2, 3)

# A year holds few distinct figures (points on a 0.5 step, one-decimal scores): each JSON number becomes its
# Decimal once per process, not once per hall and item (a national year has ~900,000 of them).
_FLOATS: dict[float, Decimal] = {}
_INTS: dict[int, Decimal] = {}
_MEMO_LIMIT = 1 << 16


def _dec(value: Any) -> Any:
    """A JSON number as the exact figure it reports (94.3 → Decimal('94.3'))."""
    kind = type(value)
    if kind is float:
        got = _FLOATS.get(value)
        if got is None:
            got = Decimal(str(value))
            # 0.0 and -0.0 are one key with two texts, and NaN never finds itself: neither is kept.
            if value and value == value and len(_FLOATS) < _MEMO_LIMIT:
                _FLOATS[value] = got
        return got
    if kind is int:
        got = _INTS.get(value)
        if got is None:
            got = Decimal(value)
            if len(_INTS) < _MEMO_LIMIT:
                _INTS[value] = got
        return got
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return Decimal(str(value))


exact = _dec  # for readers of the untyped mapping (pages): the same exact figure


def _out(value: Any) -> Any:
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


def _decs(mapping: dict[str, Any]) -> dict[str, Any]:
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
        if (kind is int or (kind is float and value and value == value)) and len(_TYPED) < _MEMO_LIMIT:
            _TYPED[kind, value] = got
    return out


def _hall(raw: dict[str, Any]) -> HallRow:
    values = dict(zip(_HALL_NAMES, map(raw.get, _HALL_NAMES, _HALL_DEFAULTS)))
    for key in _SCORES:
        values[key] = _dec(values[key])
    values["items"] = _decs(raw["items"])
    values["sections"] = _decs(raw["sections"])
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
_SCORE_NAMES = tuple(sorted(_SCORES))
_ALWAYS = (*_PLAIN, *_SCORE_NAMES, "items", "sections", "bonus_events", "deduction_events", "veto_events", "rounds",
           "decisions")
# A hall's keys in the order JSON writes them, by whether it has reason_ranks and withdrawn (keys only then).
_HALL_KEYS = {(ranks, withdrawn): tuple(sorted((*_ALWAYS, *("reason_ranks",) * ranks, *("withdrawn",) * withdrawn)))
              for ranks in (False, True) for withdrawn in (False, True)}
# A year's item scores are a few distinct figures: each one's JSON number is looked up, not made again.
_AS_JSON: dict[object, object] = {None: None, NOT_APPLICABLE: NOT_APPLICABLE}


def _json_scores(scores: dict[str, Any]) -> dict[str, Any]:
    """``{k: _out(v)}`` for item and section scores, in C when every value was seen before."""
    try:
        return dict(zip(scores, map(_AS_JSON.__getitem__, scores.values()), strict=True))
    except (KeyError, TypeError):  # a figure not seen yet, or one that cannot be a key (a signalling NaN)
        out = {}
        for key, value in scores.items():
            out[key] = got = _out(value)
            if type(value) is Decimal and value.is_finite() and len(_AS_JSON) < _MEMO_LIMIT:
                _AS_JSON[value] = got
        return out


def _notes_json(notes: tuple[tuple[str, str], ...]) -> list[list[str]]:
    return [[rnd, text] for rnd, text in notes]


def _hall_json(row: HallRow, scores: Callable[[dict[str, Any]], dict[str, Any]] = _json_scores) -> dict[str, Any]:
    """A hall as results.json holds it, its keys and those of the mappings made here in sorted order."""
    values = row.__dict__
    out = dict.fromkeys(_HALL_KEYS[bool(row.reason_ranks), bool(row.withdrawn)])  # each key set below, in place
    out.update(zip(_PLAIN, map(values.__getitem__, _PLAIN)))
    for name in _SCORE_NAMES:
        out[name] = _out(values[name])
    out["items"] = scores(row.items)
    out["sections"] = scores(row.sections)
    out["bonus_events"] = [{"count": e.count, "item": e.id, "notes": _notes_json(e.notes), "points": _out(e.points),
                            "rounds": list(e.rounds)} for e in row.bonus_events]
    out["deduction_events"] = [{"count": e.count, "item": e.id, "notes": _notes_json(e.notes),
                                "points": _out(e.points), "rounds": list(e.rounds)} for e in row.deduction_events]
    out["veto_events"] = [{"count": 1, "item": v.id, "notes": _notes_json(v.notes), "rounds": list(v.rounds)}
                          for v in row.vetoes]
    out["rounds"] = [{"base_score": _out(r.base_score), "date": r.date, "file": r.file,
                      "final_score": _out(r.final_score), "inspector": r.inspector, "note": r.note,
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


def _as_read_json(row: HallRow) -> dict[str, Any] | None:
    """:func:`_hall_json` as JSON reads the line back (mappings sorted, sequences lists): written keeping the order
    given, the same line; typed, the row read back. None when a value is of an unusual type (general path)."""
    try:
        out = _hall_json(row, _sorted_scores)
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


def checked(data: Any, where: str = "results.json") -> dict[str, Any]:
    """The mapping of a readable version, upgraded to this one in memory; any other version refused."""
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version not in KNOWN_VERSIONS:
        newest = max(KNOWN_VERSIONS)
        if isinstance(version, int) and not isinstance(version, bool) and version > newest:
            raise SiteError(f"档案 {where} 的格式版本为 {version},比本程序能读的版本 {newest} 新,"
                            f"是更新版本的 hallscore 写的;请升级 hallscore 后再生成站点")
        raise SiteError(f"档案 {where} 的格式版本“{version}”无法识别(本程序能读 "
                        f"{'、'.join(map(str, KNOWN_VERSIONS))}),不像是 hallscore 写的结果")
    if version == 1:
        data = upgrade_v1(data)
    return upgrade_v2(data) if data["schema_version"] == 2 else data


def load(path: Path) -> dict[str, Any]:
    """Read results.json: the checked (and, for an older version, upgraded) mapping."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:  # a hand-edited or damaged record: say which
        said = (f"不是有效的 JSON(第 {exc.lineno} 行第 {exc.colno} 列)" if isinstance(exc, json.JSONDecodeError) else
                "嵌套过深" if isinstance(exc, RecursionError) else why(exc))
        raise SiteError(f"档案 {path} 无法读取({said}):该文件已损坏或被手工改动;请从备份恢复,"
                        f"或用 hallscore build 重新生成该年度") from None
    return checked(data, str(path))


def save(path: Path, results: YearResults | dict[str, Any], same_as: Path | None = None) -> str:
    """Write results.json (typed results or the mapping ``evaluate`` gives) in the one stable form (:func:`dumps`);
    a hard link to ``same_as`` when that file already holds these bytes. Gives the SHA-256 of the bytes."""
    data = to_json(results) if isinstance(results, YearResults) else results
    return write_chunks_atomic(path, dump_chunks(data), same_as)


def save_as_read(path: Path, results: YearResults, same_as: Path | None = None) -> YearResults | None:
    """:func:`save` the typed year, and give it exactly as :func:`from_json` reads it back (typed as each hall is
    written, not parsed again; each row's line key kept: lines.py); None for an older schema (read it back)."""
    if results.schema_version != SCHEMA_VERSION:
        save(path, results, same_as)
        return None
    head = to_json(replace(results, halls=()))
    typed = from_json(json.loads(dumps(head)), str(path))  # the year's small parts exactly as read back
    rows: list[HallRow] = []
    keys: list[str | None] = []

    def encode(row: HallRow) -> str:
        raw = _as_read_json(row)
        if raw is None:
            raw = _hall_json(row)
            line: str = _ENCODE(raw)
            raw = _as_read_hall(raw)
        else:  # already in the order JSON writes (sort_keys would give the same line)
            line = _ENCODE_AS_GIVEN(raw)
        rows.append(typed := _hall(raw))
        keys.append(line_key(typed, line))
        return line

    head["halls"] = list(results.halls)
    write_chunks_atomic(path, dump_chunks(head, encode_hall=encode), same_as)
    _check_scores(year := replace(typed, halls=tuple(rows)), str(path))
    keep_line_keys(year.halls, keys)
    return year


def _as_read_hall(raw: dict[str, Any]) -> dict[str, Any]:
    """A hall's :func:`_hall_json` mapping as JSON reads its line back for :func:`_hall`: keys of the mappings
    it keeps as they are sorted, sequences in them lists (the rest :func:`_hall` reads field by field)."""
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
        return json.loads(_ENCODE(value))
    return {key: value[key] if type(value[key]) is str else _as_read(value[key]) for key in sorted(value)}


# One hall (or intake file) a line, everything else compact: the C encoder writes it (the indented form is
# Python's pure-Python encoder, ten times slower), and a changed hall is still a one-line diff.
_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
_ENCODE_AS_GIVEN = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
LISTED = ("halls", "files")  # the long lists: one element a line


def dump_chunks(data: dict[str, Any], batch: int = 512,
                encode_hall: Callable[[Any], str] = _ENCODE) -> Iterator[bytes]:
    """The bytes of :func:`dumps`, a few hundred lines at a time (the national year is never one string);
    ``encode_hall`` gives the line of each element of ``halls``."""
    keys = sorted(data)
    yield b"{\n"
    for n, key in enumerate(keys):
        value, end = data[key], ("\n" if n == len(keys) - 1 else ",\n")
        if key in LISTED and isinstance(value, list) and value:
            yield f"{_ENCODE(key)}:[\n".encode()
            for start in range(0, len(value), batch):
                last = start + batch >= len(value)
                lines = ",\n".join(map(encode_hall if key == "halls" else _ENCODE, value[start:start + batch]))
                yield (lines + ("\n" if last else ",\n")).encode("utf-8")
            yield f"]{end}".encode()
        else:
            yield f"{_ENCODE(key)}:{_ENCODE(value)}{end}".encode()
    yield b"}\n"


def dumps(data: dict[str, Any]) -> str:
    """The one text form of results.json and intake.json: sorted keys, UTF-8, compact, one hall a line."""
    return b"".join(dump_chunks(data)).decode("utf-8")


def from_json(data: dict[str, Any], where: str = "results.json") -> YearResults:
    """Typed results from a results.json mapping; an archive of a newer or unknown version is refused."""
    data = checked(data, where)
    try:
        results = YearResults(
            schema_version=data["schema_version"], year=data["year"], standard=data["standard"],
            config=data["config"], quotas=tuple(Quota(**q) for q in data["quotas"]), intake=data.get("intake") or {},
            shortlists=shortlists_from_json(data.get("shortlists") or ()),
            gaps={"national": _dec(data["gaps"].get("national")),
                  "by_province": {p: _dec(v) for p, v in data["gaps"].get("by_province", {}).items()}},
            halls=tuple(_hall(h) for h in data["halls"]), answers=tuple(data.get("answers") or ()))
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        field = f"(缺少或无效的字段 {exc.args[0]})" if isinstance(exc, KeyError) and exc.args else ""
        raise SiteError(f"档案 {where} 内容不完整或已被改动,无法读取{field}:请从备份恢复该文件,"
                        f"或用 hallscore build 重新生成该年度") from None
    _check_scores(results, where)
    return results


_SCORE_LIMIT = Decimal(10_000)  # far beyond any score the standard allows, bonus and deductions included


def _check_scores(results: YearResults, where: str) -> None:
    """Every hall has its fields and every score is a finite number in range: a results.json edited by hand
    (a score missing, written as text, NaN) is named, not rendered or exported as nonsense."""
    for n, hall in enumerate(results.halls, 1):
        for name in ("hall_id", "name", "province", "city", "tier"):
            if not isinstance(getattr(hall, name), str):
                raise SiteError(f"档案 {where} 第 {n} 个营业厅缺少有效的 {name}:该文件已损坏或被手工改动;"
                                f"请从备份恢复,或用 hallscore build 重新生成该年度")
        if not _scores_known(hall):
            _check_hall(hall, where)


# Item and section figures already found finite and in range (with the two non-figures an item may hold): a
# year's 900,000 of them are a few hundred distinct values, checked once each, the rest by set lookups in C.
_IN_RANGE: set[object] = {None, NOT_APPLICABLE}
_FIGURE_TYPES = frozenset({Decimal, str, type(None)})


def _scores_known(hall: HallRow) -> bool:
    """The hall's item and section figures are all ones found good before, and its own scores are in range."""
    values = [*hall.items.values(), *hall.sections.values()]
    try:  # exact types first: an int or bool equals a Decimal in a set but is no score
        for value in (hall.base_score, hall.bonus, hall.deduction, hall.final_score, hall.self_gap):
            if value is not None and (type(value) is not Decimal or value not in _IN_RANGE):
                return False
        return _FIGURE_TYPES.issuperset(map(type, values)) and _IN_RANGE.issuperset(values)
    except TypeError:  # a signalling NaN cannot be hashed: the full check names it
        return False


def _check_hall(hall: HallRow, where: str) -> None:
    values = [(key, getattr(hall, key)) for key in _SCORE_NAMES]
    values += [(f"items.{k}", v) for k, v in hall.items.items()]
    values += [(f"sections.{k}", v) for k, v in hall.sections.items()]
    for key, value in values:
        if value is None or (value is MISSING and key == "self_gap") or (value == NOT_APPLICABLE and "." in key):
            continue
        if not isinstance(value, Decimal) or not value.is_finite() or abs(value) > _SCORE_LIMIT:
            shown = "缺失" if value is MISSING else f"“{str(value)[:40]}”"
            raise SiteError(f"档案 {where} 中营业厅 {hall.hall_id} 的 {key} 为{shown},不是有效的分数:"
                            f"该文件已损坏或被手工改动;请从备份恢复,或用 hallscore build 重新生成该年度")
        if type(value) is Decimal and len(_IN_RANGE) < _MEMO_LIMIT:
            _IN_RANGE.add(value)


def shortlists_from_json(entries: Iterable[dict[str, Any]]) -> tuple[Shortlist, ...]:
    """results.json's 上报名单 entries, typed (also for the lists written straight from ``evaluate``)."""
    return tuple(Shortlist(s["scope"], s["tier"], s["quota"], s["size"],
                           tuple(Nominee(n["hall_id"], n["name"], _dec(n["final_score"]), n["rank"],
                                         n.get("decision"), n.get("confirmed", False), n.get("city", ""),
                                         n.get("level", ""), n.get("round", ""))
                                 for n in s["nominees"]),
                           tuple(s.get("needs_decision") or ()), s.get("level", ""), tuple(s.get("waiting") or ()),
                           s.get("free"))
                 for s in entries)


def shortlist_json(s: Shortlist) -> dict[str, Any]:
    """One 上报名单 as results.json records it (the issued workbook is written from this form)."""
    return {"scope": s.scope, "tier": s.tier, "quota": s.quota, "size": s.size,
            "nominees": [{"hall_id": n.hall_id, "name": n.name, "final_score": _out(n.final_score),
                          "rank": n.rank, "decision": n.decision, "confirmed": n.confirmed,
                          "city": n.city, "level": n.level, "round": n.round}
                         for n in s.nominees],
            "needs_decision": list(s.needs_decision), "level": s.level, "waiting": list(s.waiting),
            **({"free": s.free} if s.tier == GOOD else {})}


def to_json(results: YearResults) -> dict[str, Any]:
    """The mapping results.json holds (sorted on writing, see :func:`dumps`)."""
    return {
        "schema_version": results.schema_version,
        "year": results.year,
        "standard": results.standard,
        "config": results.config,
        "quotas": [{f.name: getattr(q, f.name) for f in fields(Quota)} for q in results.quotas],
        "intake": results.intake,
        "shortlists": [shortlist_json(s) for s in results.shortlists],
        "answers": list(results.answers),
        "gaps": {"national": _out(results.gaps.get("national")),
                 "by_province": {p: _out(v) for p, v in results.gaps.get("by_province", {}).items()}},
        "halls": [_hall_json(h) for h in results.halls],
    }
