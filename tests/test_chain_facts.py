"""Inspection facts the 认定 chain relies on: a veto says what happened, its hall's 整改清单 starts with it,
and a 自评 dated after a higher round is flagged (real workbooks through intake)."""

from datetime import date

from support.returns import fill_scoring, full_fill, make_halls, write_return

from generator.archive.store import evaluate, load_archive, save_year
from generator.intake.run import run_intake
from generator.rules import contract as wbk
from generator.rules.config import Config
from generator.rules.standard import DEFAULT_STANDARD
from generator.site.pages import iter_pages

YEAR = 2025


def vetoed(standard, note):
    vetoes = {v.id: wbk.NO for v in standard.vetoes} | {"V02": wbk.YES}
    return full_fill(standard, vetoes=vetoes, veto_notes={"V02": note} if note else {})


def test_veto_without_a_note_is_rejected_with_its_own_code(tmp_path, standard):
    halls = make_halls({"甲": 2})
    write_return(standard, halls[0], vetoed(standard, ""), tmp_path / "r")
    write_return(standard, halls[1], vetoed(standard, "5 月 3 日柜台泄露客户手机号"), tmp_path / "r")
    report = run_intake([tmp_path / "r"], standard, halls, YEAR, today=date(YEAR, 12, 1))
    by_hall = {f.hall_id: f for f in report.files}
    bad = by_hall["H010000"]
    assert bad.status == "rejected"
    [p] = [p for p in bad.problems if p.severity == "error"]
    assert (p.code, p.sheet) == ("veto-note-missing", wbk.SHEET_VETO) and p.cell.startswith("D")
    assert "V02(泄露客户个人信息)填了“是”,但说明为空" in p.message
    assert by_hall["H010001"].status == "accepted"


def test_vetoed_hall_rectification_list_starts_with_the_veto(tmp_path, standard):
    halls = make_halls({"甲": 1})
    fill = fill_scoring(standard, 97, vetoes=vetoed(standard, "x").vetoes,
                        veto_notes={"V02": "5 月 3 日柜台泄露客户手机号"})
    write_return(standard, halls[0], fill, tmp_path / "r")
    report = run_intake([tmp_path / "r"], standard, halls, YEAR, today=date(YEAR, 12, 1))
    results = evaluate(halls, report.records, standard, Config(year=YEAR), report.to_dict()["summary"])
    save_year(tmp_path / "archive", results, report.to_dict(), DEFAULT_STANDARD)
    page = dict(iter_pages(load_archive(tmp_path / "archive")))["2025/halls/H010000.md"]
    rectify = page[page.index("<h2>整改清单</h2>"):]
    rows = rectify.split("<tr class=\"hs-lost")
    assert "V02" in rows[1] and "泄露客户个人信息" in rows[1] and "5 月 3 日柜台泄露客户手机号" in rows[1]
    assert "测试扣分" in rows[2]  # the ordinary lost points come after


def test_self_assessment_dated_after_a_higher_round_is_a_warning(tmp_path, standard):
    halls = make_halls({"甲": 2})
    write_return(standard, halls[0], full_fill(standard, when=date(YEAR, 7, 1)), tmp_path / "r")
    write_return(standard, halls[0], full_fill(standard, "市级检查", when=date(YEAR, 6, 1)), tmp_path / "r")
    write_return(standard, halls[1], full_fill(standard, when=date(YEAR, 5, 1)), tmp_path / "r")
    write_return(standard, halls[1], full_fill(standard, "市级检查", when=date(YEAR, 6, 1)), tmp_path / "r")
    report = run_intake([tmp_path / "r"], standard, halls, YEAR, today=date(YEAR, 12, 1))
    assert all(f.status == "accepted" for f in report.files)
    flagged = [(f.hall_id, f.round, p) for f in report.files for p in f.problems if p.code == "round-date-order"]
    [(hall_id, round_name, p)] = flagged
    assert (hall_id, round_name, p.severity) == ("H010000", "自评", "warning")
    assert p.message == "自评日期 2025-07-01 晚于本厅市级检查的检查日期 2025-06-01;自评应在上级检查之前,请核对日期"
