"""Two returns for one hall and round: settled by content and 检查日期, never by file time or order found."""

from __future__ import annotations

import os
from datetime import date

import intake_faults as ff
from conftest import YEAR, fill_scoring, full_fill, make_halls, write_return

from generator.intake import run_intake

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
    assert states(report) == {"a.xlsx": ("accepted", []), "b.xlsx": ("superseded", [])}
    notes = {f.path.split("/")[-1]: f.note for f in report.files}
    assert "a.xlsx" in notes["b.xlsx"] and "内容相同" in notes["b.xlsx"] and "b.xlsx" in notes["a.xlsx"]
    assert len(report.records) == 1


def test_later_date_wins_whatever_the_names_and_file_times(tmp_path, standard):
    early = write_return(standard, HALLS[0], fill_scoring(standard, 90, when=date(YEAR, 4, 1)), tmp_path, name="a.xlsx")
    late = write_return(standard, HALLS[0], fill_scoring(standard, 95, when=date(YEAR, 6, 1)), tmp_path, name="z.xlsx")
    os.utime(late, (1_000_000, 1_000_000))  # the later return has the older file time
    os.utime(early, (2_000_000_000, 2_000_000_000))
    report = intake(tmp_path, standard=standard)
    assert states(report) == {"a.xlsx": ("superseded", []), "z.xlsx": ("accepted", [])}
    assert "检查日期较早" in report.files[0].note and "z.xlsx" in report.files[0].note
    assert report.records[0].date == f"{YEAR}-06-01"


def test_same_date_different_content_is_a_conflict_for_both(tmp_path, standard):
    write_return(standard, HALLS[1], fill_scoring(standard, 90), tmp_path, name="x.xlsx")
    write_return(standard, HALLS[1], fill_scoring(standard, 91), tmp_path, name="y.xlsx")
    write_return(standard, HALLS[1], fill_scoring(standard, 99, when=date(YEAR, 3, 1)), tmp_path, name="w.xlsx")
    report = intake(tmp_path, standard=standard)
    assert states(report) == {"w.xlsx": ("superseded", []), "x.xlsx": ("rejected", ["duplicate-conflict"]),
                              "y.xlsx": ("rejected", ["duplicate-conflict"])}
    by_name = {f.path.split("/")[-1]: f for f in report.files}
    assert "y.xlsx" in by_name["x.xlsx"].problems[0].message and "x.xlsx" in by_name["y.xlsx"].problems[0].message
    assert report.records == []


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
