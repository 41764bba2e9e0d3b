"""The intake cache's sealed snapshot of the last build: a build where nothing changed reads it alone (not one
store row), and a damaged, forged, foreign or linked snapshot, or a store edited since, costs only time: the
report is the one a cold intake gives, byte for byte."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest
from support.returns import YEAR, make_halls, scored_returns
from support.sealed import SPOILED, spoil, write_store_again

from generator.incremental import intake_cache as cache_module
from generator.incremental.intake_cache import IntakeCache
from generator.incremental.intake_snapshot import NAME
from generator.intake.run import run_intake
from generator.rules.register import load_register

HALLS = make_halls({"广东": 3, "北京": 2})
DAY = date(YEAR, 9, 10)


@pytest.fixture
def inbox(standard, tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module, "RACY_SECONDS", -1.0)  # statuses remembered at once
    register, returns = scored_returns(standard, tmp_path, HALLS, lambda n: 97.5 - 3 * n)
    return load_register(register), returns


def _intake(standard, inbox, cache_dir, opened=None):
    halls, returns = inbox
    cache = IntakeCache(cache_dir)
    if opened is not None:
        real = cache._open

        def counting(*args, **kwargs):
            opened.append(args)
            return real(*args, **kwargs)

        cache._open = counting
    try:
        report = run_intake([returns], standard, halls, YEAR, today=DAY, cache=cache)
    finally:
        cache.close()
    return report, cache


def _cold(standard, inbox):
    halls, returns = inbox
    return json.dumps(run_intake([returns], standard, halls, YEAR, today=DAY).to_dict(), ensure_ascii=False)


def _same(report, cold):
    assert json.dumps(report.to_dict(), ensure_ascii=False) == cold


def test_nothing_changed_reads_the_snapshot_alone_and_writes_nothing(standard, inbox, tmp_path):
    cache_dir = tmp_path / "cache"
    first, cache = _intake(standard, inbox, cache_dir)
    workbooks = cache.misses
    snapshot = (cache_dir / NAME).read_bytes()
    opened: list[object] = []
    second, cache = _intake(standard, inbox, cache_dir, opened)
    assert (cache.hits, cache.misses) == (workbooks, 0) and not opened
    assert (cache_dir / NAME).read_bytes() == snapshot
    assert second.inputs_key == first.inputs_key and repr(second.records) == repr(first.records)
    _same(second, _cold(standard, inbox))


@pytest.mark.parametrize("how", [*SPOILED, "store-edited"])
def test_a_bad_snapshot_costs_only_time(standard, inbox, tmp_path, how):
    cache_dir = tmp_path / "cache"
    _, cache = _intake(standard, inbox, cache_dir)
    workbooks = cache.misses
    path = cache_dir / NAME
    victim = tmp_path / "victim.bin"
    before = None

    def other_folders():
        _intake(standard, inbox, tmp_path / "other")
        return tmp_path / "other" / NAME

    if how in SPOILED:
        before = spoil(path, how, victim, other_folders)
    else:  # the store written since the snapshot: its rows are read and checked one by one
        write_store_again(cache_dir)
    opened: list[object] = []
    report, cache = _intake(standard, inbox, cache_dir, opened)
    assert (cache.hits, cache.misses) == (workbooks, 0) and opened  # every entry from the store's rows
    assert b"34000" not in json.dumps(report.to_dict()).encode() and all(
        s is None or s <= 100 for r in report.records for s in r.scores.values())
    _same(report, _cold(standard, inbox))
    if before is not None:
        assert victim.read_bytes() == before
    # The snapshot is made again: the next build reads it alone.
    assert not path.is_symlink()
    opened.clear()
    again, cache = _intake(standard, inbox, cache_dir, opened)
    assert (cache.hits, cache.misses) == (workbooks, 0) and not opened
    _same(again, _cold(standard, inbox))


def test_a_new_return_adds_a_section_and_many_sections_are_written_again_as_one(standard, inbox, tmp_path):
    from generator.incremental.intake_snapshot import read_snapshot

    halls, returns = inbox
    cache_dir = tmp_path / "cache"
    _, cache = _intake(standard, inbox, cache_dir)
    workbooks = cache.misses
    original = sorted(returns.rglob("*.xlsx"))[0]

    def sections() -> int:
        from generator.fs.files import stat_status

        snapshot = read_snapshot(cache_dir, stat_status((cache_dir / "intake.sqlite").stat()))
        assert snapshot is not None
        return len(snapshot.sections)

    assert sections() == 1
    for n in range(1, cache_module._SECTIONS + 1):
        shutil.copyfile(original, original.with_name(f"副本{n}.xlsx"))
        report, cache = _intake(standard, inbox, cache_dir)
        assert (cache.hits, cache.misses) == (workbooks + n - 1, 1)
        assert sections() == (n + 1 if n < cache_module._SECTIONS else 1)
        opened: list[object] = []
        again, cache = _intake(standard, inbox, cache_dir, opened)
        assert (cache.hits, cache.misses) == (workbooks + n, 0) and not opened
        _same(again, _cold(standard, inbox))
