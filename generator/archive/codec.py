"""The year's record as typed values, and the one place that turns results.json into them and back.

``from_json`` reads a results.json mapping (any version this code knows: older ones are upgraded in memory)
into :class:`YearResults`; ``to_json`` gives back exactly the mapping ``evaluate`` writes, so a record read
and written again is the same bytes. Scores are ``Decimal`` here: the exact reported figures, never floats.
Each hall's mapping, typed and written (and as JSON reads it back), is hall_json.py's; this module reads, writes
and checks the year as a whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import MISSING, fields, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from generator.archive.hall_json import (
    ENCODE,
    ENCODE_AS_GIVEN,
    SCORE_NAMES,
    as_read_hall,
    as_read_json,
    exact,
    hall_from_json,
    hall_to_json,
    json_number,
)
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
from generator.numbers import MEMO_LIMIT
from generator.rules.contract import NOT_APPLICABLE
from generator.rules.terms import GOOD
from generator.why import why

# The typed year's values are model.py's; they are named here too for readers of the record.
__all__ = ["SCHEMA_VERSION", "Decision", "Event", "HallRow", "Nominee", "RoundScore", "Shortlist", "Veto",
           "Withdrawal", "YearResults", "checked", "dump_chunks", "dumps", "exact", "from_json", "load", "save",
           "save_as_read", "shortlist_json", "shortlists_from_json", "to_json", "upgrade_v1", "upgrade_v2"]

KNOWN_VERSIONS = (1, 2, 3)


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
        raw = as_read_json(row)
        if raw is None:
            raw = hall_to_json(row)
            line: str = ENCODE(raw)
            raw = as_read_hall(raw)
        else:  # already in the order JSON writes (sort_keys would give the same line)
            line = ENCODE_AS_GIVEN(raw)
        rows.append(typed := hall_from_json(raw))
        keys.append(line_key(typed, line))
        return line

    head["halls"] = list(results.halls)
    write_chunks_atomic(path, dump_chunks(head, encode_hall=encode), same_as)
    _check_scores(year := replace(typed, halls=tuple(rows)), str(path))
    keep_line_keys(year.halls, keys)
    return year


LISTED = ("halls", "files")  # the long lists: one element a line


def dump_chunks(data: dict[str, Any], batch: int = 512,
                encode_hall: Callable[[Any], str] = ENCODE) -> Iterator[bytes]:
    """The bytes of :func:`dumps`, a few hundred lines at a time (the national year is never one string);
    ``encode_hall`` gives the line of each element of ``halls``."""
    keys = sorted(data)
    yield b"{\n"
    for n, key in enumerate(keys):
        value, end = data[key], ("\n" if n == len(keys) - 1 else ",\n")
        if key in LISTED and isinstance(value, list) and value:
            yield f"{ENCODE(key)}:[\n".encode()
            for start in range(0, len(value), batch):
                last = start + batch >= len(value)
                lines = ",\n".join(map(encode_hall if key == "halls" else ENCODE, value[start:start + batch]))
                yield (lines + ("\n" if last else ",\n")).encode("utf-8")
            yield f"]{end}".encode()
        else:
            yield f"{ENCODE(key)}:{ENCODE(value)}{end}".encode()
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
            gaps={"national": exact(data["gaps"].get("national")),
                  "by_province": {p: exact(v) for p, v in data["gaps"].get("by_province", {}).items()}},
            halls=tuple(hall_from_json(h) for h in data["halls"]), answers=tuple(data.get("answers") or ()))
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
    values = [(key, getattr(hall, key)) for key in SCORE_NAMES]
    values += [(f"items.{k}", v) for k, v in hall.items.items()]
    values += [(f"sections.{k}", v) for k, v in hall.sections.items()]
    for key, value in values:
        if value is None or (value is MISSING and key == "self_gap") or (value == NOT_APPLICABLE and "." in key):
            continue
        if not isinstance(value, Decimal) or not value.is_finite() or abs(value) > _SCORE_LIMIT:
            shown = "缺失" if value is MISSING else f"“{str(value)[:40]}”"
            raise SiteError(f"档案 {where} 中营业厅 {hall.hall_id} 的 {key} 为{shown},不是有效的分数:"
                            f"该文件已损坏或被手工改动;请从备份恢复,或用 hallscore build 重新生成该年度")
        if type(value) is Decimal and len(_IN_RANGE) < MEMO_LIMIT:
            _IN_RANGE.add(value)


def shortlists_from_json(entries: Iterable[dict[str, Any]]) -> tuple[Shortlist, ...]:
    """results.json's 上报名单 entries, typed (also for the lists written straight from ``evaluate``)."""
    return tuple(Shortlist(s["scope"], s["tier"], s["quota"], s["size"],
                           tuple(Nominee(n["hall_id"], n["name"], exact(n["final_score"]), n["rank"],
                                         n.get("decision"), n.get("confirmed", False), n.get("city", ""),
                                         n.get("level", ""), n.get("round", ""))
                                 for n in s["nominees"]),
                           tuple(s.get("needs_decision") or ()), s.get("level", ""), tuple(s.get("waiting") or ()),
                           s.get("free"))
                 for s in entries)


def shortlist_json(s: Shortlist) -> dict[str, Any]:
    """One 上报名单 as results.json records it (the issued workbook is written from this form)."""
    return {"scope": s.scope, "tier": s.tier, "quota": s.quota, "size": s.size,
            "nominees": [{"hall_id": n.hall_id, "name": n.name, "final_score": json_number(n.final_score),
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
        "gaps": {"national": json_number(results.gaps.get("national")),
                 "by_province": {p: json_number(v) for p, v in results.gaps.get("by_province", {}).items()}},
        "halls": [hall_to_json(h) for h in results.halls],
    }
