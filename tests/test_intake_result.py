"""The intake's last report, sealed beside the cache: a build where no entry changed takes it as it stands (not
one file checked, keyed or looked up, no snapshot read), and a damaged, forged, foreign or linked report, an
entry changed in any way, another day, a store or snapshot written since, or mail among the inputs, costs only
time: the report is the one a cold intake gives, byte for byte."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import date, timedelta

import pytest
from support.returns import YEAR, make_halls, scored_returns
from support.sealed import SPOILED, spoil, write_store_again

from generator.incremental import intake_cache as cache_module
from generator.incremental.intake_cache import IntakeCache
from generator.incremental.intake_result import NAME, still_held
from generator.incremental.intake_snapshot import NAME as SNAPSHOT
from generator.intake.run import discover, run_intake
from generator.intake.status import KeptReport
from generator.rules.register import load_register

HALLS = make_halls({"广东": 3, "北京": 2})
DAY = date(YEAR, 9, 10)


@pytest.fixture
def inbox(standard, tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module, "RACY_SECONDS", -1.0)  # statuses (and the report) kept at once
    register, returns = scored_returns(standard, tmp_path, HALLS, lambda n: 97.5 - 3 * n)
    first = sorted(returns.rglob("*.xlsx"))[0]
    shutil.copyfile(first, first.with_name("副本.xlsx"))  # a duplicate: one record replaced
    (returns / "说明.txt").write_text("附件\n", encoding="utf-8")
    return load_register(register), returns


@pytest.fixture
def snapshots_read(monkeypatch):
    read: list[object] = []
    real = cache_module.read_snapshot

    def counting(*args):
        read.append(args)
        return real(*args)

    monkeypatch.setattr(cache_module, "read_snapshot", counting)
    return read


def _intake(standard, inbox, cache_dir, day=DAY):
    halls, returns = inbox
    cache = IntakeCache(cache_dir)
    try:
        report = run_intake([returns], standard, halls, YEAR, today=day, cache=cache)
    finally:
        cache.close()
    return report, cache


def _cold(standard, inbox, day=DAY):
    halls, returns = inbox
    return run_intake([returns], standard, halls, YEAR, today=day)


def _same(report, cold):
    assert json.dumps(report.to_dict(), ensure_ascii=False) == json.dumps(cold.to_dict(), ensure_ascii=False)
    assert report.inputs_key and report.has_records() == cold.has_records()
    assert repr(report.records) == repr(cold.records) and repr(report.replaced) == repr(cold.replaced)


def test_nothing_changed_takes_the_last_report_without_reading_the_cache(standard, inbox, tmp_path, snapshots_read):
    cache_dir = tmp_path / "cache"
    first, cache = _intake(standard, inbox, cache_dir)
    workbooks = cache.misses
    kept = {name: (cache_dir / name).read_bytes() for name in (NAME, SNAPSHOT)}
    snapshots_read.clear()
    second, cache = _intake(standard, inbox, cache_dir)
    assert isinstance(second, KeptReport) and not snapshots_read and cache._db is None
    assert (cache.hits, cache.misses) == (workbooks, 0)
    assert {name: (cache_dir / name).read_bytes() for name in kept} == kept  # nothing written
    # The records are decoded only when asked for.
    assert second.has_records() and second.__dict__["_load"] is not None
    assert second.inputs_key == first.inputs_key
    _same(second, _cold(standard, inbox))
    assert len(second.replaced) == 1
    # The files' digests by path, for the archive's kept inputs, as the cache knew them.
    _, returns = inbox
    assert {path: digest for path, (_status, digest) in cache.known_digests().items()} == {
        os.fsencode(os.path.abspath(p)): hashlib.sha256(p.read_bytes()).hexdigest() for p in returns.rglob("*.xlsx")}


@pytest.mark.parametrize("how", [*SPOILED, "store-written", "snapshot-written"])
def test_a_bad_or_stale_report_costs_only_time(standard, inbox, tmp_path, snapshots_read, how):
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
    elif how == "store-written":
        write_store_again(cache_dir)
    else:  # the snapshot written again since (its bytes the same)
        snapshot = cache_dir / SNAPSHOT
        again = snapshot.read_bytes()
        snapshot.unlink()
        snapshot.write_bytes(again)
    snapshots_read.clear()
    report, cache = _intake(standard, inbox, cache_dir)
    assert not isinstance(report, KeptReport) and snapshots_read
    assert (cache.hits, cache.misses) == (workbooks, 0)
    assert all(s is None or s <= 100 for r in report.records for s in r.scores.values())
    _same(report, _cold(standard, inbox))
    if before is not None:
        assert victim.read_bytes() == before
    # The report is kept again: the next build takes it.
    assert not path.is_symlink()
    again, cache = _intake(standard, inbox, cache_dir)
    assert isinstance(again, KeptReport) and (cache.hits, cache.misses) == (workbooks, 0)
    _same(again, _cold(standard, inbox))


@pytest.mark.parametrize("change", ["touched", "added", "removed", "renamed", "chmod"])
def test_any_change_to_an_entry_is_an_intake(standard, inbox, tmp_path, change):
    halls, returns = inbox
    cache_dir = tmp_path / "cache"
    _intake(standard, inbox, cache_dir)
    target = sorted(returns.rglob("*.xlsx"))[-1]
    if change == "touched":  # the same bytes, written again: a new ctime
        data = target.read_bytes()
        stat = target.stat()
        target.write_bytes(data)
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    elif change == "added":
        shutil.copyfile(target, target.with_name("又一份.xlsx"))
    elif change == "removed":
        target.unlink()
    elif change == "renamed":
        target.rename(target.with_name("改名.xlsx"))
    else:
        target.chmod(0o400)
    report, _ = _intake(standard, inbox, cache_dir)
    assert not isinstance(report, KeptReport)
    _same(report, _cold(standard, inbox))
    again, _ = _intake(standard, inbox, cache_dir)
    assert isinstance(again, KeptReport)
    _same(again, _cold(standard, inbox))


def test_another_day_goes_through_the_store(standard, inbox, tmp_path):
    cache_dir = tmp_path / "cache"
    _intake(standard, inbox, cache_dir)
    later = DAY + timedelta(days=1)
    report, cache = _intake(standard, inbox, cache_dir, later)
    assert not isinstance(report, KeptReport) and cache.misses == 0
    _same(report, _cold(standard, inbox, later))
    again, _ = _intake(standard, inbox, cache_dir, later)
    assert isinstance(again, KeptReport)
    _same(again, _cold(standard, inbox, later))


def test_files_just_written_are_read_again_to_take_the_report(standard, inbox, tmp_path, monkeypatch):
    """A status taken in the clock tick of a write may not show a second write: the report names such entries,
    and is taken only while their bytes are still the ones it was made from; an entry without a cache key (its
    bytes were never hashed) keeps it from being kept at all."""
    cache_dir = tmp_path / "cache"
    monkeypatch.setattr(cache_module, "RACY_SECONDS", 3600.0)  # every file was written "just now"
    _, returns = inbox
    _intake(standard, inbox, cache_dir)
    assert not (cache_dir / NAME).exists()  # 说明.txt: no key
    (returns / "说明.txt").unlink()
    first, cache = _intake(standard, inbox, cache_dir)
    workbooks = cache.hits + cache.misses
    head = (cache_dir / NAME).read_bytes().split(b"\n")[1]
    assert len(json.loads(head)["racy"]) == workbooks
    again, cache = _intake(standard, inbox, cache_dir)
    assert isinstance(again, KeptReport) and cache.hits == workbooks
    _same(again, _cold(standard, inbox))
    found = discover([returns])
    racy = [(name, cache.key(name, hashlib.sha256(path.read_bytes()).hexdigest())) for path, name in found]
    assert still_held(racy, found, cache.key)
    assert not still_held([(racy[0][0], "0" * 64), *racy[1:]], found, cache.key)  # other bytes than it knew
    assert not still_held([("gone.xlsx", racy[0][1])], found, cache.key)
    # More than RACY_KEPT of them (a batch just arrived): none kept, the next build remembers their statuses.
    monkeypatch.setattr(cache_module, "RACY_KEPT", workbooks - 1)
    (cache_dir / NAME).unlink()
    _intake(standard, inbox, cache_dir)
    assert not (cache_dir / NAME).exists()


def test_no_report_is_kept_for_mail(standard, inbox, tmp_path):
    cache_dir = tmp_path / "cache"
    _, returns = inbox
    (returns / "来信.eml").write_bytes(b"From: a@b.c\r\nSubject: x\r\nMessage-ID: <1@b.c>\r\n\r\nno attachment\r\n")
    first, _ = _intake(standard, inbox, cache_dir)
    assert not (cache_dir / NAME).exists() and first.files[0].path.endswith(".eml")
    again, _ = _intake(standard, inbox, cache_dir)
    assert not isinstance(again, KeptReport)
    assert again.to_dict() == _cold(standard, inbox).to_dict()


def test_a_status_gives_each_problem_as_problem_to_dict(standard, inbox):
    report = _cold(standard, inbox)
    problems = [f for f in report.files if f.problems]
    assert problems and all(f.to_dict()["problems"] == [p.to_dict() for p in f.problems] for f in problems)
