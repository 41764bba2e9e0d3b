"""The intake cache holds data, never code: entries are JSON read back field by field, and an entry that is
damaged, foreign or of an older format (pickles) is taken as absent, so the file is checked again."""

from __future__ import annotations

import json
import pickle
import sqlite3
from pathlib import Path

import pytest
from support.builds import build_year as run
from support.returns import YEAR, full_fill, make_halls, scored_returns, write_return

from generator.incremental.intake_cache import IntakeCache
from generator.incremental.outcomes import FORMAT, decode_outcome, encode_outcome
from generator.intake.run import check_file

HALLS = make_halls({"广东": 3})


@pytest.fixture
def inbox(standard, tmp_path):
    register, returns = scored_returns(standard, tmp_path, HALLS, lambda n: 97.5 - 3 * n)
    return register, returns


def test_outcomes_come_back_equal_with_their_types(standard, inbox):
    """Accepted (half points, 不适用, reasons, events, vetoes) and rejected outcomes, through JSON and back."""
    register, returns = inbox
    halls = {h.hall_id: h for h in HALLS}
    na = next(i for i in standard.items if i.allow_na)
    first = standard.items[0]
    fill = full_fill(standard, scores={**full_fill(standard).scores, na.id: "不适用", first.id: 2.5},
                     reasons={first.id: "未主动问候"}, events={standard.deductions[0].id: 2},
                     event_notes={standard.deductions[0].id: "投诉两次"})
    paths = [*sorted(returns.rglob("*.xlsx")), write_return(standard, HALLS[1], fill, returns / "更多")]
    outcomes = [check_file(p, p.name, standard, halls, YEAR) for p in paths]
    assert any(o[0] is None and o[1] for o in outcomes) and any(o[0] is not None for o in outcomes)
    for outcome in outcomes:
        back = decode_outcome(encode_outcome(outcome))
        assert back == outcome and repr(back) == repr(outcome)  # Decimal('2.5') stays, None stays None
    record = decode_outcome(encode_outcome(outcomes[-1]))[0]
    assert record.scores[na.id] is None and str(record.scores[first.id]) == "2.5"
    assert record.events[standard.deductions[0].id] == 2 and record.reasons == {first.id: "未主动问候"}
    # A file name with bytes that are not UTF-8 (a surrogate in Python) survives too.
    odd = (None, [], "x\udcff")
    assert decode_outcome(encode_outcome(odd)) == odd


def test_foreign_entries_decode_to_nothing(standard, inbox):
    register, returns = inbox
    path = sorted(returns.rglob("*.xlsx"))[0]
    outcome = check_file(path, path.name, standard, {h.hall_id: h for h in HALLS}, YEAR)
    good = encode_outcome(outcome)
    assert decode_outcome(good) == outcome
    foreign = [
        pickle.dumps(outcome), b"\x80\x04", None, 3, "", "not json", "[]", "{}",
        good.replace(FORMAT, "hallscore-outcome-0"),
        good.replace('"4"', '"NaN"', 1), good.replace('"4"', '"Infinity"', 1), good.replace('"4"', "4", 1),
        good.replace('"4"', '"四"', 1), good.replace('"4"', "[]", 1),
        f'["{FORMAT}",null,[["no-such-code","error","x","","",""]],""]',
        f'["{FORMAT}",null,[["file-empty","warning","x","","",""]],""]',  # not that code's severity
        f'["{FORMAT}",null,[["file-empty","error","x","",""]],""]',
        f'["{FORMAT}",null,[],5]',
        f'["{FORMAT}",[1,2,3],[],""]',
        "[" * 100_000,
    ]
    data = json.loads(good)
    for field, value in ((6, True), (8, 0), (5, 1), (4, 4)):  # counts as bools, vetoes as ints, …
        changed = json.loads(good)
        changed[1][field] = {k: value for k in data[1][field]} or {"X": value}
        foreign.append(json.dumps(changed))
    for field in (0, 10, 11):  # hall id, file, sha256 not text
        changed = json.loads(good)
        changed[1][field] = 1
        foreign.append(json.dumps(changed))
    for entry in foreign:
        assert decode_outcome(entry) is None, entry


def test_old_and_damaged_entries_are_never_used(standard, inbox, tmp_path):
    """A store of the pickle format is dropped unread (its payload would run code if unpickled); an entry
    damaged in place is a miss: the file is read again and the build equals a cold one."""
    register, returns = inbox
    cache_dir = tmp_path / "cache"
    cold = run(register, returns, tmp_path / "cold", None)
    first = run(register, returns, tmp_path / "a", cache_dir)
    workbooks = sum(1 for _ in returns.rglob("*.xlsx"))
    assert first.files_read == workbooks
    with sqlite3.connect(cache_dir / "intake.sqlite") as db:
        keys = [k for (k,) in db.execute("SELECT key FROM intake ORDER BY key")]
        assert len(keys) == workbooks
        db.execute("UPDATE intake SET value = ? WHERE key = ?", ('["hallscore-outcome-1",', keys[0]))
    damaged = run(register, returns, tmp_path / "b", cache_dir)
    assert (damaged.files_read, damaged.cache_hits) == (1, workbooks - 1)
    assert damaged.intake.to_dict() == cold.intake.to_dict()

    marker = tmp_path / "unpickled"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    with sqlite3.connect(cache_dir / "intake.sqlite") as db:
        db.execute("PRAGMA user_version = 1")  # what a store of the pickle format looks like
        db.execute("UPDATE intake SET value = ?", (pickle.dumps(Payload()),))
    old = run(register, returns, tmp_path / "c", cache_dir)
    assert not marker.exists()
    assert (old.files_read, old.cache_hits) == (workbooks, 0)
    assert old.intake.to_dict() == cold.intake.to_dict()
    assert (tmp_path / "c" / "archive" / str(YEAR) / "results.json").read_bytes() == \
        (tmp_path / "cold" / "archive" / str(YEAR) / "results.json").read_bytes()
    # And the store is of the current format again: the next build finds everything.
    assert run(register, returns, tmp_path / "d", cache_dir).cache_hits == workbooks


def test_many_keys_are_looked_up_together(tmp_path, standard):
    """get_many answers like get for each key, over more keys than one query takes."""
    from datetime import date

    cache = IntakeCache(tmp_path / "cache")
    cache.bind(standard, HALLS, YEAR, date(YEAR, 12, 31))
    keys = [cache.key(f"f{i}.xlsx", f"{i:064x}") for i in range(1200)]
    for i, key in enumerate(keys[::2]):
        cache.put(key, (None, [], f"hall{i}"))
    cache.close()
    again = IntakeCache(tmp_path / "cache")
    again.bind(standard, HALLS, YEAR, date(YEAR, 12, 31))  # an entry's validity is judged against the day
    found = again.get_many(keys)
    assert sorted(found) == sorted(keys[::2]) and (again.hits, again.misses) == (600, 600)
    assert [again.get(k) for k in keys[:4]] == [found[keys[0]], None, found[keys[2]], None]


def test_packed_scores_keep_each_decimals_own_text_whatever_came_first():
    from decimal import Decimal

    from generator.incremental.outcomes import KeyTable, pack_outcome, unpack_outcome
    from generator.intake.cell_values import cell_decimal
    from generator.intake.status import ReturnRecord

    # Equal numbers that are not the same figure: the memos must not hand one the other's object or text.
    for order in ([7, 7.0, "7.00", -0.0, 0.0, "0"], ["0", 0.0, -0.0, "7.00", 7.0, 7]):
        got = {(type(v), repr(v)): cell_decimal(v) for v in order}
        assert {k: str(v) for k, v in got.items()} == {
            (int, "7"): "7", (float, "7.0"): "7.0", (str, "'7.00'"): "7.00",
            (float, "-0.0"): "-0.0", (float, "0.0"): "0.0", (str, "'0'"): "0"}
        assert cell_decimal("7.00") is cell_decimal("7.00")  # one object per value: records share it
        long = "7" * 40  # a long text is read as ever but not kept: a sheet of free text does not grow the memo
        assert cell_decimal(long) == Decimal(long) and cell_decimal(long) is not cell_decimal(long)
        table = KeyTable()
        scores = {f"1.{n}": value for n, value in enumerate(got.values())}
        record = ReturnRecord("H1", "自评", "2025-05-01", "张", scores, {}, {}, {}, {}, {})
        packed = json.loads(json.dumps(pack_outcome((record, [], "H1"), table)))
        back, _problems, _hint = unpack_outcome(packed, table.lists)
        assert [str(v) for v in back.scores.values()] == [str(v) for v in scores.values()]
