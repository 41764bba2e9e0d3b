"""A season's worth of faulty returns in one folder, beside good ones: each fault pinned to its cell."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from support import faults as ff
from support.returns import YEAR, fill_scoring, full_fill, make_halls, write_return

from generator.intake.run import run_intake
from generator.rules import contract as wbk
from generator.rules.register import Hall
from generator.workbooks.forms import template_path

TODAY = date(YEAR, 12, 1)
C, I, E, V, M = wbk.SHEET_COVER, wbk.SHEET_ITEMS, wbk.SHEET_EVENTS, wbk.SHEET_VETO, wbk.SHEET_META  # noqa: E741 - sheet initials, read as a table


# name → (how to break it, [(code, sheet, cell)] expected among errors, in order)
def cases(standard):
    last = max(wbk.item_rows(standard).values())

    def cells(edits):
        return lambda p, out: ff.edit_cells(p, edits)

    def book(change):
        return lambda p, out: ff.edit_workbook(p, change)

    def insert_row(wb):
        ws = wb[I]
        ws.insert_rows(5)
        ws["A5"], ws["C5"], ws["E5"], ws["G5"] = "A99", "自加的检查项", 2, 2

    def dup_row(wb):
        ws = wb[I]
        for col in range(1, 9):
            ws.cell(last + 1, col).value = ws.cell(2, col).value

    def drop_meta(wb):
        del wb[M]

    def rename_events(wb):
        wb[E].title = "加扣分"

    def drop_veto(wb):
        del wb[V]

    return {
        "score-text": (cells({(I, "G3"): "满分"}), [("score-not-number", I, "G3")]),
        "score-unit": (cells({(I, "G4"): "8分"}), [("score-not-number", I, "G4")]),
        "score-blank": (cells({(I, "G5"): None}), [("score-blank", I, "G5")]),
        "score-range": (cells({(I, "G2"): 99}), [("score-out-of-range", I, "G2")]),
        "score-step": (cells({(I, "G2"): 3.3}), [("score-step", I, "G2")]),
        "score-na": (cells({(I, "G2"): "不适用"}), [("score-na-forbidden", I, "G2")]),
        "score-formula": (cells({(I, "G2"): "=2+2"}), [("score-formula", I, "G2")]),
        "reason-missing": (cells({(I, "G2"): 2}), [("reason-missing", I, "H2")]),
        "count-negative": (cells({(E, "F3"): -2}), [("event-count-invalid", E, "F3")]),
        "count-fraction": (cells({(E, "F3"): 0.5}), [("event-count-invalid", E, "F3")]),
        "count-text": (cells({(E, "F4"): "两次"}), [("event-count-invalid", E, "F4")]),
        "veto-text": (cells({(V, "C3"): "Y"}), [("veto-invalid", V, "C3")]),
        "round-missing": (cells({(C, "B10"): None}), [("cover-round-missing", C, "B10")]),
        "round-invalid": (cells({(C, "B10"): "总部检查"}), [("cover-round-invalid", C, "B10")]),
        "date-missing": (cells({(C, "B11"): None}), [("cover-date-missing", C, "B11")]),
        "date-text": (cells({(C, "B11"): "五月十日"}), [("cover-date-invalid", C, "B11")]),
        "date-last-year": (cells({(C, "B11"): datetime(YEAR - 1, 5, 10)}), [("cover-date-wrong-year", C, "B11")]),
        "date-future": (cells({(C, "B11"): datetime(YEAR, 12, 20)}), [("cover-date-future", C, "B11")]),
        "inspector-missing": (cells({(C, "B12"): "  "}), [("cover-inspector-missing", C, "B12")]),
        "hall-edited": (cells({(C, "B5"): "乙"}), [("hall-data-edited", C, "B5")]),
        "level-edited": (cells({(C, "B8"): 1}), [("hall-data-edited", C, "B8")]),
        "item-text": (cells({(I, "C6"): "改过的检查内容"}), [("template-item-edited", I, "C6")]),
        "item-points": (cells({(I, "E6"): 10}), [("template-item-edited", I, "E6")]),
        "event-text": (cells({(E, "C3"): "随便写的加分项"}), [("template-item-edited", E, "C3")]),
        "veto-item-text": (cells({(V, "B2"): None}), [("template-item-edited", V, "B2")]),
        "row-added": (book(insert_row), [("template-row-extra", I, "A5")]),
        "row-removed": (book(lambda wb: wb[I].delete_rows(4)), [("template-row-missing", I, "")]),
        "rows-reordered": (book(lambda wb: ff.swap_rows(wb[I], 3, 4)), [("template-row-order", I, "A3")]),
        "events-reordered": (book(lambda wb: ff.swap_rows(wb[E], 2, 5)), [("template-row-order", E, "A2")]),
        "row-duplicated": (book(dup_row), [("template-row-duplicate", I, f"A{last + 1}")]),
        "sheet-deleted": (book(drop_veto), [("template-sheet-missing", V, "")]),
        "sheet-renamed": (book(rename_events), [("template-sheet-missing", E, "")]),
        "meta-deleted": (book(drop_meta), [("template-unknown", M, "")]),
        "other-version": (cells({(M, "B3"): "2015"}), [("template-standard-mismatch", M, "B2")]),
        "other-year": (cells({(M, "B6"): str(YEAR - 1)}), [("template-year-mismatch", M, "B6")]),
        "not-ours": (book(lambda wb: wb[M].delete_rows(1, 7)), [("template-unknown", M, "")]),
        # container-level: a mail client or an old Excel did this
        "not-zip": (lambda p, out: out.write_bytes(b"<html>\xe9\x82\xae\xe4\xbb\xb6</html>"), [("file-not-zip", "", "")]),
        "base64": (ff.base64_text, [("file-not-zip", "", "")]),
        "truncated": (ff.truncated, [("file-damaged", "", "")]),
        "crc": (lambda p, out: ff.flip_compressed_byte(p, out, ff.sheet_part(p, I)), [("file-damaged", "", "")]),
        "empty": (lambda p, out: out.write_bytes(b""), [("file-empty", "", "")]),
        "password": (lambda p, out: ff.ole_file(out, encrypted=True), [("file-encrypted", "", "")]),
        "zip-password": (ff.encrypted_flag, [("file-encrypted", "", "")]),
        "docx": (lambda p, out: ff.rezip(p, out, {"xl/workbook.xml": None}), [("file-not-xlsx", "", "")]),
        "entities": (lambda p, out: ff.rezip(p, out, {ff.sheet_part(p, C): ff.BILLION_LAUGHS}),
                     [("file-xml-entities", "", "")]),
    }


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, standard):
    root = tmp_path_factory.mktemp("corpus")
    returns = root / "returns"
    all_cases = cases(standard)
    halls = make_halls({"甲": len(all_cases) + 10, "乙": 3})
    made: dict[str, Path] = {}
    for n, (name, (breaker, _)) in enumerate(sorted(all_cases.items())):
        hall = halls[n]
        src = write_return(standard, hall, full_fill(standard), root / "src", name=f"{hall.hall_id}_{name}.xlsx")
        out = returns / src.name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(src.read_bytes())
        breaker(out, out)
        made[name] = out
    # Good returns beside them, some in the awkward-but-valid forms people send.
    good = []
    for k, hall in enumerate(halls[len(all_cases):len(all_cases) + 6]):
        fill = fill_scoring(standard, 90 + k) if k % 2 else full_fill(standard)
        good.append(write_return(standard, hall, fill, returns / "good"))
    ff.edit_cells(good[0], {(C, "B11"): "2025年5月10日"})
    ff.edit_cells(good[1], {(C, "B11"): "2025/5/10", (I, "G2"): "4"})
    xlsm = good[2].with_suffix(".xlsm")
    good[2].rename(xlsm)
    good[2] = xlsm
    macro = ff.rezip(good[3], good[3].with_name("宏_" + good[3].name), {"xl/vbaProject.bin": b"\x00macro"})
    good[3].unlink()
    good[3] = macro
    unknown = Hall("Z0001", "不在清单的营业厅", "乙", "乙市", "乙区", 2, "自营")
    made["hall-unknown"] = write_return(standard, unknown, full_fill(standard), returns, name="Z0001_x.xlsx")
    # A return filled in another hall's workbook and named for that other hall.
    made["hall-name"] = write_return(standard, halls[-1], full_fill(standard), returns,
                                     name=f"{halls[-2].hall_id}_{halls[-2].name}.xlsx")
    made["hall-swapped"] = write_return(standard, halls[-3], full_fill(standard), returns,
                                        name=template_path(Path("x"), halls[-3]).name.replace(".xlsx", "_b.xlsx"))
    ff.edit_cells(made["hall-swapped"], {(C, "B3"): halls[-2].hall_id})
    report = run_intake([returns], standard, halls, YEAR, today=TODAY)
    by_path = {f.path: f for f in report.files}
    return report, {k: by_path[f"returns/{p.relative_to(returns).as_posix()}"] for k, p in made.items()}, \
        [by_path[f"returns/{p.relative_to(returns).as_posix()}"] for p in good], halls


EXTRA = {
    "hall-unknown": [("hall-unknown", C, "B3")],
    "hall-name": [("hall-filename-mismatch", C, "B3")],
    "hall-swapped": [("hall-filename-mismatch", C, "B3"), ("hall-meta-mismatch", C, "B3")],
}


def test_every_fault_is_rejected_with_code_sheet_and_cell(corpus, standard):
    report, made, good, _ = corpus
    expected = {name: want for name, (_, want) in cases(standard).items()} | EXTRA
    got = {name: [(p.code, p.sheet, p.cell) for p in made[name].problems if p.severity == "error"]
           for name in expected}
    assert got == expected
    assert all(made[name].status == "rejected" for name in expected)
    assert all(p.message and p.file == made[name].path for name in expected for p in made[name].problems)


def test_good_returns_beside_them_are_accepted(corpus):
    report, made, good, _ = corpus
    assert [f.status for f in good] == ["accepted"] * len(good)
    assert [p.code for f in good for p in f.problems] == ["file-macros", "file-macros"]
    assert len(report.records) == len(good)
    assert sum(report.counts.values()) == len(report.files) == len(made) + len(good)


def test_container_faults_are_caught_before_parsing(corpus):
    _, made, _, _ = corpus
    # A container problem comes alone: the file never reached the workbook reader.
    for name in ("entities", "truncated", "crc", "password", "zip-password", "docx", "not-zip", "base64"):
        assert len(made[name].problems) == 1 and made[name].hall_id == ""


def test_row_order_compares_against_the_standard(corpus, standard):
    _, made, _, _ = corpus
    [p] = [p for p in made["rows-reordered"].problems if p.code == "template-row-order"]
    assert standard.items[1].id in p.message and standard.items[2].id in p.message


def test_a_file_name_prefix_that_is_no_hall_id_is_not_checked(tmp_path, standard):
    halls = make_halls({"甲": 1})
    write_return(standard, halls[0], full_fill(standard), tmp_path, name="2025_自评_第一批.xlsx")
    write_return(standard, halls[0], full_fill(standard, round_name="市级检查"), tmp_path, name="复核 (1).xlsx")
    report = run_intake([tmp_path], standard, halls, YEAR, today=TODAY)
    assert [(f.status, f.problems) for f in report.files] == [("accepted", [])] * 2
