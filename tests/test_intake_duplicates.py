"""Two returns for one hall and round: settled by content and 检查日期, never by file time or order found."""

from __future__ import annotations

import hashlib
import os
from datetime import date

from support import faults as ff
from support.returns import YEAR, fill_scoring, full_fill, make_halls, write_return

from generator.intake.run import run_intake

TODAY = date(YEAR, 12, 1)
HALLS = make_halls({"甲": 3})


def intake(*folders, standard):
    return run_intake(list(folders), standard, HALLS, YEAR, today=TODAY)


def states(report):
    return {f.path.split("/")[-1]: (f.status, [p.code for p in f.problems]) for f in report.files}


def test_identical_content_keeps_one_and_names_both(tmp_path, standard):
    write_return(standard, HALLS[0], full_fill(standard), tmp_path, name="b.xlsx")
    write_return(standard, HALLS[0], full_fill(standard), tmp_path, name="a.xlsx")  # another save, same content
    report = intake(tmp_path, standard=standard)
    kept = report.records[0].file.split("/")[-1]
    other = ({"a.xlsx", "b.xlsx"} - {kept}).pop()
    assert states(report) == {kept: ("accepted", []), other: ("superseded", [])}
    notes = {f.path.split("/")[-1]: f.note for f in report.files}
    assert kept in notes[other] and "内容相同" in notes[other] and other in notes[kept]
    assert len(report.records) == 1 and len(report.replaced) == 1


def test_later_date_wins_whatever_the_names_and_file_times(tmp_path, standard):
    early = write_return(standard, HALLS[0], fill_scoring(standard, 90, when=date(YEAR, 4, 1)), tmp_path, name="a.xlsx")
    late = write_return(standard, HALLS[0], fill_scoring(standard, 95, when=date(YEAR, 6, 1)), tmp_path, name="z.xlsx")
    os.utime(late, (1_000_000, 1_000_000))  # the later return has the older file time
    os.utime(early, (2_000_000_000, 2_000_000_000))
    report = intake(tmp_path, standard=standard)
    assert states(report) == {"a.xlsx": ("superseded", []), "z.xlsx": ("accepted", [])}
    assert "检查日期较早" in report.files[0].note and "z.xlsx" in report.files[0].note
    assert report.records[0].date == f"{YEAR}-06-01"


def test_same_date_different_content_is_settled_by_content_hash_not_by_name(tmp_path, standard):
    x = write_return(standard, HALLS[1], fill_scoring(standard, 90), tmp_path, name="x.xlsx")
    y = write_return(standard, HALLS[1], fill_scoring(standard, 91), tmp_path, name="x - 副本.xlsx")
    write_return(standard, HALLS[1], fill_scoring(standard, 99, when=date(YEAR, 3, 1)), tmp_path, name="w.xlsx")
    report = intake(tmp_path, standard=standard)
    digest = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (x, y)}
    newest = max(digest, key=digest.__getitem__)
    older = ({"x.xlsx", "x - 副本.xlsx"} - {newest}).pop()
    assert states(report) == {"w.xlsx": ("superseded", []), newest: ("accepted", []), older: ("superseded", [])}
    by_name = {f.path.split("/")[-1]: f for f in report.files}
    assert "按文件内容摘要取定" in by_name[older].note and newest in by_name[older].note
    assert [r.file.split("/")[-1] for r in report.records] == [newest]
    # Renaming the files does not change which content counts.
    again = tmp_path / "again"
    again.mkdir()
    (again / "b.xlsx").write_bytes(x.read_bytes())
    (again / "a.xlsx").write_bytes(y.read_bytes())
    winner = run_intake([again], standard, HALLS, YEAR, today=TODAY).records[0]
    assert winner.sha256 == digest[newest]


def test_a_corrected_rejection_is_superseded_and_names_its_correction(tmp_path, standard):
    first, second = tmp_path / "first", tmp_path / "second"
    bad = write_return(standard, HALLS[2], full_fill(standard, round_name="市级检查"), first, name="city.xlsx")
    ff.edit_cells(bad, {("检查表", "G2"): "满分"})
    write_return(standard, HALLS[2], full_fill(standard), first, name="self.xlsx")
    wave = intake(first, standard=standard)
    assert states(wave)["city.xlsx"] == ("rejected", ["score-not-number"]) and not wave.ok
    assert next(f for f in wave.files if f.path.endswith("city.xlsx")).round == "市级检查"
    write_return(standard, HALLS[2], full_fill(standard, round_name="市级检查", when=date(YEAR, 11, 2)), second,
                 name="city-fixed.xlsx")
    both = intake(first, second, standard=standard)
    got = {f.path.split("/")[-1]: f for f in both.files}
    assert got["city.xlsx"].status == "superseded" and both.ok
    assert got["city.xlsx"].note.startswith("已更正") and got["city.xlsx"].corrected_by.endswith("city-fixed.xlsx")
    assert both.to_dict()["files"][[f.path for f in both.files].index(got["city.xlsx"].path)]["corrected_by"]
    # An accepted return of another round corrects nothing.
    other = intake(first, standard=standard)
    assert states(other)["city.xlsx"][0] == "rejected"


def test_rounds_are_separate_and_rejected_returns_do_not_compete(tmp_path, standard):
    write_return(standard, HALLS[2], full_fill(standard), tmp_path, name="self.xlsx")
    write_return(standard, HALLS[2], full_fill(standard, round_name="市级检查"), tmp_path, name="city.xlsx")
    bad = write_return(standard, HALLS[2], full_fill(standard, when=date(YEAR, 11, 1)), tmp_path, name="bad.xlsx")
    ff.edit_cells(bad, {("检查表", "G2"): "满分"})
    report = intake(tmp_path, standard=standard)
    assert states(report) == {"bad.xlsx": ("rejected", ["score-not-number"]), "city.xlsx": ("accepted", []),
                              "self.xlsx": ("accepted", [])}


def test_outcome_does_not_depend_on_where_or_in_which_order_files_are_found(tmp_path, standard):
    one, two = tmp_path / "one", tmp_path / "two"
    write_return(standard, HALLS[0], fill_scoring(standard, 90), one, name="p.xlsx")
    write_return(standard, HALLS[0], fill_scoring(standard, 92), two, name="q.xlsx")
    write_return(standard, HALLS[1], full_fill(standard), one, name="r.xlsx")
    write_return(standard, HALLS[1], full_fill(standard), two, name="s.xlsx")
    forward, backward = intake(one, two, standard=standard), intake(two, one, standard=standard)
    assert forward.to_dict() == backward.to_dict()
    assert sum(forward.counts.values()) == len(forward.files) == 4
