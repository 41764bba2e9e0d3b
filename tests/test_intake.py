"""Intake on real workbooks written by openpyxl."""

import hashlib
from datetime import date

import openpyxl
import pytest
from support.returns import YEAR, fill_scoring, full_fill, make_halls, write_return

from generator.intake.run import run_intake
from generator.rules import contract as wbk
from generator.rules.problems import CATALOGUE


@pytest.fixture
def halls():
    return make_halls({"甲": 3})


def intake(tmp_path, standard, halls, today=date(YEAR, 12, 1)):
    return run_intake([tmp_path / "returns"], standard, halls, YEAR, today=today)


def test_good_return_is_accepted_with_its_values(tmp_path, standard, halls):
    fill = fill_scoring(standard, 95)
    fill.scores["A06"] = wbk.NOT_APPLICABLE
    fill.events.update({"J03": 2, "K01": 1})
    fill.event_notes.update({"J03": "锦旗两面", "K01": "有责投诉一件"})
    write_return(standard, halls[0], fill, tmp_path / "returns")
    report = intake(tmp_path, standard, halls)
    assert report.counts == {"accepted": 1, "rejected": 0, "superseded": 0, "ignored": 0}
    rec = report.records[0]
    assert (rec.hall_id, rec.round, rec.date, rec.inspector) == (halls[0].hall_id, "自评", "2025-05-10", "张三")
    assert rec.scores["A06"] is None and rec.scores["A01"] == 0
    assert rec.reasons["A01"] == "测试扣分 4.0"
    assert rec.events == {"J01": 0, "J02": 0, "J03": 2, "J04": 0, "K01": 1, "K02": 0, "K03": 0, "K04": 0}
    assert rec.vetoes == {"V01": False, "V02": False, "V03": False, "V04": False}


def edit(path, sheet, cell, value):
    wb = openpyxl.load_workbook(path)
    wb[sheet][cell].value = value
    wb.save(path)


@pytest.mark.parametrize("sheet, cell, value, code", [
    ("检查表", "G2", "满分", "score-not-number"),
    ("检查表", "G2", "8分", "score-not-number"),
    ("检查表", "G2", None, "score-blank"),
    ("检查表", "G2", 4.5, "score-out-of-range"),
    ("检查表", "G2", -1, "score-out-of-range"),
    ("检查表", "G2", 3.3, "score-step"),
    ("检查表", "G2", "不适用", "score-na-forbidden"),
    ("检查表", "G2", "=4", "score-formula"),
    ("检查表", "C2", "被改过的内容", "template-item-edited"),
    ("检查表", "E2", 5, "template-item-edited"),
    ("封面", "B10", "总部检查", "cover-round-invalid"),
    ("封面", "B11", "2024-05-01", "cover-date-wrong-year"),
    ("封面", "B11", "昨天", "cover-date-invalid"),
    ("封面", "B12", None, "cover-inspector-missing"),
    ("封面", "B4", "改名营业厅", "hall-data-edited"),
    ("加分扣分", "F2", -1, "event-count-invalid"),
    ("加分扣分", "F2", 1.5, "event-count-invalid"),
    ("一票否决", "C2", "没有", "veto-invalid"),
])
def test_each_fault_is_pinned_to_its_cell(tmp_path, standard, halls, sheet, cell, value, code):
    path = write_return(standard, halls[0], full_fill(standard), tmp_path / "returns")
    good = write_return(standard, halls[1], full_fill(standard), tmp_path / "returns")
    edit(path, sheet, cell, value)
    report = intake(tmp_path, standard, halls)
    bad = next(f for f in report.files if f.path.endswith(path.name))
    assert bad.status == "rejected"
    assert [(p.code, p.sheet, p.cell) for p in bad.problems if p.severity == "error"] == [(code, sheet, cell)]
    assert bad.problems[0].message and bad.problems[0].file == bad.path
    assert [r.hall_id for r in report.records] == [halls[1].hall_id] and good.exists()


def test_lost_points_need_a_reason(tmp_path, standard, halls):
    fill = fill_scoring(standard, 99)
    fill.reasons.clear()
    write_return(standard, halls[0], fill, tmp_path / "returns")
    report = intake(tmp_path, standard, halls)
    assert [(p.code, p.cell) for p in report.files[0].problems] == [("reason-missing", "H2")]


def test_future_date_is_rejected(tmp_path, standard, halls):
    write_return(standard, halls[0], full_fill(standard, when=date(YEAR, 11, 1)), tmp_path / "returns")
    report = intake(tmp_path, standard, halls, today=date(YEAR, 10, 1))
    assert [p.code for p in report.files[0].problems] == ["cover-date-future"]


def test_statuses_add_up_and_duplicates_settle(tmp_path, standard, halls):
    returns = tmp_path / "returns"
    a = write_return(standard, halls[0], full_fill(standard), returns, name="a.xlsx")
    b = write_return(standard, halls[0], full_fill(standard), returns, name="b.xlsx")  # same content again
    write_return(standard, halls[1], full_fill(standard, when=date(YEAR, 5, 1)), returns, name="c.xlsx")
    write_return(standard, halls[1], fill_scoring(standard, 97, when=date(YEAR, 6, 1)), returns, name="d.xlsx")
    write_return(standard, halls[2], full_fill(standard), returns, name="e.xlsx")
    write_return(standard, halls[2], fill_scoring(standard, 96), returns, name="f.xlsx")  # same date, different
    (returns / "说明.txt").write_text("附件", encoding="utf-8")
    (returns / "~$a.xlsx").write_bytes(b"lock")
    (returns / "empty.xlsx").write_bytes(b"")
    (returns / "fake.xlsx").write_bytes(b"not a zip at all")
    report = intake(tmp_path, standard, halls)
    status = {f.path.split("/")[-1]: f.status for f in report.files}
    # Same date, different content: the file's content hash orders them (the spec's stable order), not a conflict.
    digest = {n: hashlib.sha256((returns / n).read_bytes()).hexdigest() for n in ("e.xlsx", "f.xlsx")}
    newest = max(digest, key=digest.__getitem__)
    copy = "a.xlsx" if hashlib.sha256(a.read_bytes()).digest() > hashlib.sha256(b.read_bytes()).digest() else "b.xlsx"
    assert status == {"a.xlsx": "superseded", "b.xlsx": "superseded", "c.xlsx": "superseded", "d.xlsx": "accepted",
                      "e.xlsx": "superseded", "f.xlsx": "superseded", "说明.txt": "ignored", "~$a.xlsx": "ignored",
                      "empty.xlsx": "rejected", "fake.xlsx": "rejected"} | {newest: "accepted", copy: "accepted"}
    assert sum(report.counts.values()) == len(report.files) == 10
    codes = {f.path.split("/")[-1]: [p.code for p in f.problems] for f in report.files}
    assert codes["e.xlsx"] == codes["f.xlsx"] == []
    assert codes["empty.xlsx"] == ["file-empty"] and codes["fake.xlsx"] == ["file-not-zip"]
    assert sorted(r.hall_id for r in report.records) == [halls[0].hall_id, halls[1].hall_id, halls[2].hall_id]
    assert a.exists()


def test_result_does_not_depend_on_discovery_order(tmp_path, standard, halls):
    write_return(standard, halls[0], full_fill(standard), tmp_path / "x", name="1.xlsx")
    write_return(standard, halls[0], full_fill(standard), tmp_path / "y", name="2.xlsx")
    one = run_intake([tmp_path / "x", tmp_path / "y"], standard, halls, YEAR, today=date(YEAR, 12, 1))
    two = run_intake([tmp_path / "y", tmp_path / "x"], standard, halls, YEAR, today=date(YEAR, 12, 1))
    assert one.to_dict() == two.to_dict()


def test_catalogue_codes_are_unique_kebab_case_and_chinese():
    for code, kind in CATALOGUE.items():
        assert code == kind.code and code.replace("-", "").isalpha() and code.islower()
        assert kind.severity in ("error", "warning")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in kind.template)
