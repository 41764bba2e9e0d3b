"""A build with a warm cache writes exactly what a cold build of the same inputs writes, after a return changed,
arrived or was withdrawn; what did not change is not made again (the 上报名单 of untouched provinces keep their
files); a damaged or foreign cache file only costs time."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support.builds import build_year as run
from support.returns import YEAR, fill_scoring, make_halls, write_return

from generator.fs.files import dumps_stable
from generator.fs.memo import read_memo, write_memo
from generator.rules.register import write_register

HALLS = make_halls({"广东": 10, "北京": 10, "西藏": 5})
BEIJING = [h for h in HALLS if h.province == "北京"]
REVIEW = "市级检查"  # a round the city answers for: its halls can be on the 上报名单


def _score(n: int) -> float:
    return 100 - 1.0 * (n % 10)


@pytest.fixture
def inbox(standard, tmp_path):
    register = tmp_path / "register.xlsx"
    write_register(HALLS, register)
    returns = tmp_path / "returns"
    for n, hall in enumerate(HALLS):
        if hall is BEIJING[-1]:
            continue  # no return yet: 未检查
        write_return(standard, hall, fill_scoring(standard, _score(n), round_name=REVIEW), returns)
        if n % 3 == 0:
            write_return(standard, hall, fill_scoring(standard, _score(n) - 2), returns)  # a 自评 too
    return register, returns


def year_files(out: Path) -> dict[str, bytes]:
    folder = out / "archive" / str(YEAR)
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def inodes(out: Path) -> dict[str, int]:
    folder = out / "archive" / str(YEAR)
    return {p.relative_to(folder).as_posix(): p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


def return_of(returns: Path, hall, round_name: str = REVIEW) -> Path:
    return next(p for p in (returns / round_name).rglob("*.xlsx") if p.name.startswith(hall.hall_id))


def _change(standard, returns: Path, how: str) -> None:
    if how == "changed":  # a middling hall rewritten to the top: 北京's list changes
        path = return_of(returns, BEIJING[5])
        write_return(standard, BEIJING[5], fill_scoring(standard, 99.5, round_name=REVIEW), path.parent,
                     name=path.name)
    elif how == "arrived":
        write_return(standard, BEIJING[-1], fill_scoring(standard, 99, round_name=REVIEW), returns)
    else:  # withdrawn: the best hall of 北京 leaves its list
        return_of(returns, BEIJING[0]).unlink()


@pytest.mark.parametrize("how", ["changed", "arrived", "withdrawn"])
def test_incremental_build_writes_what_a_cold_build_writes(standard, inbox, tmp_path, how):
    register, returns = inbox
    out, cache = tmp_path / "out", tmp_path / "cache"
    run(register, returns, out, cache)
    before, before_inodes = year_files(out), inodes(out)
    lists = sorted(name for name in before if name.startswith("上报名单/"))
    assert len(lists) == 6, lists  # each province's 良好 list and its 优秀 list (waiting for the province)
    _change(standard, returns, how)
    warm = run(register, returns, out, cache)
    cold = run(register, returns, tmp_path / "cold", None)
    after = year_files(out)
    assert after == year_files(tmp_path / "cold")  # results.json, intake.json, standard, every list: same bytes
    assert dumps_stable(warm.results) == dumps_stable(cold.results)
    assert after["results.json"] != before["results.json"]
    beijing = next(name for name in lists if "北京-良好" in name)
    assert after[beijing] != before[beijing]
    untouched = [name for name in lists if name != beijing]
    now = inodes(out)
    # The other provinces' lists are the very files issued before (linked into the new folder, not re-made).
    assert all(after[n] == before[n] and now[n] == before_inodes[n] for n in untouched)
    assert now["standard.yaml"] == before_inodes["standard.yaml"]
    # And the next build, nothing changed, reads the results back: still those of a cold build.
    again = run(register, returns, out, cache)
    assert again.results == json.loads(dumps_stable(cold.results)) and year_files(out) == after


def test_restaged_folder_keeps_identical_files(inbox, tmp_path):
    """The year's folder changed by hand (a note added): it is made again, and the files whose bytes did not change
    are the same files (same inodes); the note is carried over."""
    register, returns = inbox
    out, cache = tmp_path / "out", tmp_path / "cache"
    run(register, returns, out, cache)
    folder = out / "archive" / str(YEAR)
    before = inodes(out)
    (folder / "备注.txt").write_text("复核时请注意\n", encoding="utf-8")
    run(register, returns, out, cache)
    now = inodes(out)
    assert (folder / "备注.txt").read_text(encoding="utf-8") == "复核时请注意\n"
    assert {k: v for k, v in now.items() if k != "备注.txt"} == before


def test_damaged_and_foreign_cache_files_are_ignored(standard, inbox, tmp_path):
    register, returns = inbox
    out, cache = tmp_path / "out", tmp_path / "cache"
    run(register, returns, out, cache)
    cold = run(register, returns, tmp_path / "cold", None)
    expected = year_files(tmp_path / "cold")
    stamp = cache / f"results-{YEAR}.json"
    record = cache / f"shortlists-{YEAR}.json"
    assert stamp.is_file() and record.is_file()
    folder = out / "archive" / str(YEAR)
    results = folder / "results.json"

    # The archive's results.json edited in place, same size, old mtime put back: its status still differs
    # (ctime), so the results are computed again and the file is written as a cold build writes it.
    text = results.read_bytes()
    st = results.stat()
    edited = text.replace(b'"tier":"', b'"tier":"X', 1).replace(b'"final_score":', b'"final_scor":', 1)
    assert len(edited) == len(text) and edited != text
    results.write_bytes(edited)
    os.utime(results, ns=(st.st_atime_ns, st.st_mtime_ns))
    again = run(register, returns, out, cache)
    assert dumps_stable(again.results) == dumps_stable(cold.results) and year_files(out) == expected

    # Damaged stamps and records, a foreign list file in the archive, an old-style marshal cache.
    for bad in (b"", b"{not json", b'{"key": 1, "file": []}', b"[1, 2, 3]"):
        stamp.write_bytes(bad)
        record.write_bytes(bad)
        (cache / f"results-{YEAR}.marshal").write_bytes(b"\x00garbage")
        guangdong = next(p for p in (folder / "上报名单").iterdir() if "广东" in p.name)
        guangdong.write_bytes(b"PK\x03\x04 not a workbook")
        again = run(register, returns, out, cache)
        assert dumps_stable(again.results) == dumps_stable(cold.results)
        assert year_files(out) == expected  # the foreign list replaced by the issued one, nothing kept beside
        assert not (cache / f"results-{YEAR}.marshal").exists()

    # A stamp of the right shape for a key that is not this build's: not used.
    data = read_memo(stamp, "results-stamp")
    write_memo(stamp, "results-stamp", {**data, "key": "0" * 64})
    results.write_text(json.dumps({**json.loads(text), "year": YEAR}), encoding="utf-8")
    again = run(register, returns, out, cache)
    assert dumps_stable(again.results) == dumps_stable(cold.results) and year_files(out) == expected


def test_a_list_record_naming_another_province_file_is_not_trusted(inbox, tmp_path):
    """The record says which file was issued for which content; a record that pairs one province's content with
    another province's file (same shape, true checksums) does not make that file stand for it."""
    register, returns = inbox
    out, cache = tmp_path / "out", tmp_path / "cache"
    run(register, returns, out, cache)
    run(register, returns, tmp_path / "cold", None)
    record = cache / f"shortlists-{YEAR}.json"
    lists = read_memo(record, "shortlists-issued")["lists"]  # sealed: even a record under our own key is checked
    beijing = next(v for v in lists.values() if "北京" in v[0])
    guangdong = next(k for k, v in lists.items() if "广东" in v[0])
    swapped = {guangdong: beijing}  # 广东's content said to be 北京's file (true name and checksum)
    write_memo(record, "shortlists-issued", {"lists": swapped})
    (out / "archive" / str(YEAR) / "备注.txt").write_text("改动\n", encoding="utf-8")  # so the year is made again
    run(register, returns, out, cache)
    made = {k: v for k, v in year_files(out).items() if k != "备注.txt"}
    assert made == year_files(tmp_path / "cold")


def test_an_unsealed_list_record_does_not_publish_a_planted_list(inbox, tmp_path):
    """Whoever can write the cache and the archive plants a list of their own in 上报名单/ and a plain record
    naming its checksum (the record's old, unsealed form): the build issues its own list all the same."""
    import hashlib

    register, returns = inbox
    out, cache = tmp_path / "out", tmp_path / "cache"
    run(register, returns, out, cache)
    run(register, returns, tmp_path / "cold", None)
    record = cache / f"shortlists-{YEAR}.json"
    lists = read_memo(record, "shortlists-issued")["lists"]
    key, (name, _sha) = next((k, v) for k, v in lists.items() if "广东" in v[0])
    planted = out / "archive" / str(YEAR) / "上报名单" / name
    planted.write_bytes(b"PK\x03\x04 planted")
    record.write_text(json.dumps({"lists": {key: [name, hashlib.sha256(planted.read_bytes()).hexdigest()]}},
                                 ensure_ascii=False), encoding="utf-8")
    (out / "archive" / str(YEAR) / "备注.txt").write_text("改动\n", encoding="utf-8")  # so the year is made again
    run(register, returns, out, cache)
    made = {k: v for k, v in year_files(out).items() if k != "备注.txt"}
    assert made == year_files(tmp_path / "cold")
