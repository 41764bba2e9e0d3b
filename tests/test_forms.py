"""Inspector workbooks: validations, protection, hidden sheets, print set-up, stamping, zips and the master."""

import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import from_excel
from support.returns import YEAR, fill_scoring

from generator.cli.app import main
from generator.demo import apply_fill
from generator.intake.run import ACCEPTED, run_intake
from generator.rules import contract as wbk
from generator.rules.register import Hall, write_register
from generator.workbooks.forms import build_workbook, master_path, safe_name, write_master, write_templates

CREATED = datetime(YEAR, 1, 2, 3, 4, 5, tzinfo=UTC)
MASTER_DIR = Path(__file__).resolve().parent.parent / "input_templates"
HALLS = [
    Hall("GD0001", "广州天河营业厅", "广东", "广州", "天河区", 1, "自营"),
    # Names that need escaping in XML, in page headers (&) and in file names (/ and :).
    Hall("GD0002", 'A&B <旗舰> "厅" / 1:2', "广东", "广州", "越秀区", 3, "社会合作"),
    Hall("GD0003", "=SUM(A1)营业厅", "广东", "深圳", "南山区", 4, "自营"),
    Hall("BJ0001", "北京王府井营业厅", "北京", "东城", "东城区", 2, "自营"),
]


@pytest.fixture(scope="module")
def written(tmp_path_factory, standard):
    out = tmp_path_factory.mktemp("templates")
    paths = write_templates(HALLS, standard, out, YEAR, CREATED, zip_by_city=True)
    return out, paths


@pytest.fixture(scope="module")
def wb(written):
    return openpyxl.load_workbook(written[1][0])


def validation_at(ws, cell: str):
    found = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]
    assert len(found) == 1, f"{ws.title}!{cell}: {len(found)} validations"
    return found[0]


def list_values(wb, dv) -> list:
    """The values a list validation offers, resolved through its defined name to the hidden sheet."""
    defined = wb.defined_names[dv.formula1]
    ((sheet, ref),) = list(defined.destinations)
    assert sheet == wbk.SHEET_LISTS
    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    ws = wb[sheet]
    return [ws.cell(row=r, column=min_col).value for r in range(min_row, max_row + 1)]


def assert_guarded(dv):
    assert dv.showErrorMessage and dv.errorStyle == "stop"
    assert dv.error and dv.errorTitle and len(dv.error) <= 255 and len(dv.errorTitle) <= 32
    assert dv.showInputMessage and dv.prompt and len(dv.prompt) <= 255 and len(dv.promptTitle or "") <= 32


def test_score_dropdowns_resolve_to_allowed_values(wb, standard):
    ws = wb[wbk.SHEET_ITEMS]
    col = wbk.column_letter(wbk.ITEMS_HEADERS, "得分")
    for item_id, row in wbk.item_rows(standard).items():
        item = next(i for i in standard.items if i.id == item_id)
        dv = validation_at(ws, f"{col}{row}")
        assert dv.type == "list"
        assert_guarded(dv)
        assert dv.prompt == item.guidance
        values = list_values(wb, dv)
        expected = [float(v) for v in standard.allowed_scores(item)]
        numbers = [v for v in values if v != wbk.NOT_APPLICABLE]
        assert [float(v) for v in numbers] == expected
        assert (wbk.NOT_APPLICABLE in values) == item.allow_na
        assert "不适用" in dv.error if item.allow_na else "不可填" in dv.error
    # Lists live on a hidden sheet, never inline (LibreOffice cuts inline lists over 255 characters).
    assert wb[wbk.SHEET_LISTS].sheet_state == "hidden"
    assert all(not dv.formula1.startswith('"') for s in wb.worksheets for dv in s.data_validations.dataValidation)


def test_other_inputs_are_validated(wb, standard):
    events = wb[wbk.SHEET_EVENTS]
    count = wbk.column_letter(wbk.EVENTS_HEADERS, "次数")
    for row in wbk.event_rows(standard).values():
        dv = validation_at(events, f"{count}{row}")
        assert (dv.type, dv.operator, dv.formula1) == ("whole", "between", "0")
        assert_guarded(dv)
    vetoes = wb[wbk.SHEET_VETO]
    answer = wbk.column_letter(wbk.VETO_HEADERS, "是否发生")
    for row in wbk.veto_rows(standard).values():
        dv = validation_at(vetoes, f"{answer}{row}")
        assert_guarded(dv)
        assert list_values(wb, dv) == [wbk.YES, wbk.NO]
    cover = wb[wbk.SHEET_COVER]
    rows = wbk.cover_rows()
    dv = validation_at(cover, f"B{rows['检查轮次']}")
    assert_guarded(dv)
    assert list_values(wb, dv) == list(wbk.ROUNDS)
    dv = validation_at(cover, f"B{rows['检查日期']}")
    assert_guarded(dv)
    assert (dv.type, dv.operator) == ("date", "between")
    assert from_excel(int(dv.formula1)).date() == date(YEAR, 1, 1)
    assert from_excel(int(dv.formula2)).date() == date(YEAR, 12, 31)
    assert validation_at(cover, f"B{rows['检查人']}").type == "textLength"


def expected_inputs(standard) -> dict[str, set[str]]:
    items = {f"{wbk.column_letter(wbk.ITEMS_HEADERS, h)}{r}" for r in wbk.item_rows(standard).values()
             for h in ("得分", "扣分原因")}
    events = {f"{wbk.column_letter(wbk.EVENTS_HEADERS, h)}{r}" for r in wbk.event_rows(standard).values()
              for h in ("次数", "说明")}
    vetoes = {f"{wbk.column_letter(wbk.VETO_HEADERS, h)}{r}" for r in wbk.veto_rows(standard).values()
              for h in ("是否发生", "说明")}
    cover = {f"B{wbk.cover_rows()[label]}" for label in wbk.COVER_INPUT_FIELDS}
    return {wbk.SHEET_ITEMS: items, wbk.SHEET_EVENTS: events, wbk.SHEET_VETO: vetoes, wbk.SHEET_COVER: cover}


def test_only_input_cells_are_unlocked(wb, standard):
    inputs = expected_inputs(standard)
    assert wb.security.lockStructure
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
        unlocked = {c.coordinate for row in ws.iter_rows() for c in row if not c.protection.locked}
        assert unlocked == inputs.get(ws.title, set()), ws.title
    # Hall data, item texts and max points are locked.
    cover = wb[wbk.SHEET_COVER]
    assert cover[f"B{wbk.cover_rows()['厅名称']}"].protection.locked
    assert wb[wbk.SHEET_ITEMS]["C2"].protection.locked and wb[wbk.SHEET_ITEMS]["E2"].protection.locked


def test_meta_sheet_and_custom_properties(wb, standard):
    meta = wb[wbk.SHEET_META]
    assert meta.sheet_state == "hidden"
    values = {row[0].value: row[1].value for row in meta.iter_rows()}
    assert values == {
        "template_id": wbk.template_id(standard), "standard_id": standard.id,
        "standard_version": standard.version, "standard_checksum": standard.checksum,
        "hall_id": HALLS[0].hall_id, "year": str(YEAR), "created": CREATED.isoformat(),
    }
    props = {p.name: p for p in wb.custom_doc_props}
    assert {name: p.value for name, p in props.items()} == {f"hallscore.{k}": v for k, v in values.items()}
    assert all(type(p).__name__ == "StringProperty" for p in props.values())
    assert wb.sheetnames[: len(wbk.SHEETS)] == list(wbk.SHEETS)


def test_print_setup(wb):
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.oddHeader.center.text == f"{HALLS[0].hall_id} {HALLS[0].name}"
    for name in (wbk.SHEET_ITEMS, wbk.SHEET_EVENTS, wbk.SHEET_VETO):
        ws = wb[name]
        assert ws.print_title_rows.replace("$", "") == "1:1"
        assert ws.freeze_panes == "A2"
        assert ws.page_setup.orientation == "portrait"
    items = wb[wbk.SHEET_ITEMS]
    assert items["C2"].alignment.wrap_text and items["D2"].alignment.wrap_text
    # Rows are as tall as their wrapped text needs (openpyxl rows do not grow by themselves).
    longest = max(range(2, 2 + len(wb[wbk.SHEET_ITEMS]["D"]) - 1),
                  key=lambda r: len(str(items[f"D{r}"].value or "")))
    assert (items.row_dimensions[longest].height or 0) >= 2 * 14.5


def test_cover_has_sign_off_lines_below_the_fields(wb):
    cover = wb[wbk.SHEET_COVER]
    labels = {cover.cell(row=r, column=1).value: r for r in range(1, cover.max_row + 1)}
    last_field = max(wbk.cover_rows().values())
    for label in ("检查人签字", "营业厅负责人签字"):
        assert labels[label] > last_field and label not in wbk.COVER_FIELDS
        assert cover.cell(row=labels[label], column=2).border.bottom.style == "thin"


def test_subtotals_leave_the_id_column_empty(wb, standard):
    ws = wb[wbk.SHEET_ITEMS]
    last = max(wbk.item_rows(standard).values())
    below = [row for row in ws.iter_rows(min_row=last + 1) if any(c.value is not None for c in row)]
    assert all(row[0].value is None for row in below)
    labels = [row[2].value for row in below]
    assert [f"小计:{s}" for s in standard.sections] == [x for x in labels if x.startswith("小计")]
    score = wbk.column_letter(wbk.ITEMS_HEADERS, "得分")
    formulas = {row[2].value: ws[f"{score}{row[0].row}"].value for row in below}
    assert formulas["小计:迎宾接待"].startswith("=SUMIF(")
    assert formulas["预计最终得分(仅供参考)"].startswith("=MAX(0,")
    rules = [(str(cf.sqref), r.formula[0]) for cf in ws.conditional_formatting for r in cf.rules]
    assert rules and rules[0][0] == f"H2:H{last}" and "LEN(TRIM($H2))=0" in rules[0][1]


def test_guide_lists_items_that_allow_na(wb, standard):
    text = "\n".join(str(r[0].value) for r in wb[wbk.SHEET_GUIDE].iter_rows() if r[0].value)
    for item in standard.items:
        assert (f"{item.id} {item.section}:{item.text}" in text) == item.allow_na


def content(path) -> dict:
    """What a workbook says, not how its bytes look: sheets, cells, validations, protection, names, set-up."""
    wb = openpyxl.load_workbook(path)
    out = {
        "sheets": wb.sheetnames,
        "names": sorted((n, d.attr_text) for n, d in wb.defined_names.items()),
        "props": sorted((p.name, p.value) for p in wb.custom_doc_props),
        "structure_locked": bool(wb.security and wb.security.lockStructure),
    }
    for ws in wb.worksheets:
        out[ws.title] = {
            "state": ws.sheet_state,
            "protected": ws.protection.sheet,
            "cells": {c.coordinate: (c.value, c.number_format, c.protection.locked)
                      for row in ws.iter_rows() for c in row if c.value is not None or not c.protection.locked},
            "validations": sorted(
                (str(dv.sqref), dv.type, dv.operator, dv.formula1, dv.formula2, dv.showErrorMessage, dv.error,
                 dv.errorTitle, dv.showInputMessage, dv.prompt, dv.promptTitle)
                for dv in ws.data_validations.dataValidation),
            "formats": sorted((str(cf.sqref), tuple(r.formula)) for cf in ws.conditional_formatting for r in cf.rules),
            "print": (ws.page_setup.paperSize, ws.page_setup.orientation, ws.page_setup.fitToWidth,
                      ws.page_setup.fitToHeight, ws.print_title_rows, ws.oddHeader.center.text, ws.freeze_panes),
            "widths": sorted((k, v.width) for k, v in ws.column_dimensions.items()),
        }
    return out


def test_stamped_workbooks_equal_built_ones(written, standard, tmp_path):
    """write_templates stamps halls into saved bytes; the result must be what build_workbook describes."""
    from generator.rules.year_rules import Rules
    from generator.workbooks.forms import unrated_reason

    out, paths = written
    rules = Rules.of(standard, year=YEAR)
    for hall, path in zip(HALLS, paths):
        built = tmp_path / f"{hall.hall_id}.xlsx"
        # 不参评 halls (a partner, a level 4) get theirs marked so on the cover, with the configuration's reason.
        note = "" if rules.config.evaluated(hall) else unrated_reason(hall, rules)
        build_workbook(standard, hall, YEAR, CREATED, unrated=note).save(built)
        assert content(path) == content(built), hall.hall_id
    cover = openpyxl.load_workbook(paths[2])[wbk.SHEET_COVER]
    assert cover[f"B{wbk.cover_rows()['厅名称']}"].value == "=SUM(A1)营业厅"  # text, not a formula
    assert cover[f"B{wbk.cover_rows()['级别']}"].value == 4


def test_paths_and_city_zips(written, standard):
    out, paths = written
    assert [p.relative_to(out).as_posix() for p in paths] == [
        "广东/广州/GD0001_广州天河营业厅.xlsx",
        "广东/广州/GD0002_A&B _旗舰_ _厅_ _ 1_2.xlsx",
        "广东/深圳/GD0003_=SUM(A1)营业厅.xlsx",
        "北京/东城/BJ0001_北京王府井营业厅.xlsx",
    ]
    zips = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.zip"))
    assert zips == ["北京/东城.zip", "广东/广州.zip", "广东/深圳.zip"]
    with zipfile.ZipFile(out / "广东" / "广州.zip") as zf:
        assert zf.namelist() == ["广州/" + paths[0].name, "广州/" + paths[1].name]
        assert zf.read("广州/" + paths[1].name) == paths[1].read_bytes()
    long = Hall("GD0009", "很长的营业厅名称" * 20, "广东", "广州", "天河区", 2, "自营")
    path = write_templates([long], standard, out / "long", YEAR, CREATED)[0]
    assert path.exists() and len(path.name.encode("utf-8")) <= 255
    assert safe_name("CON") == "_CON" and safe_name("a\\b/c:d*e?f") == "a_b_c_d_e_f" and safe_name(" . ") == "_"


def test_filled_templates_pass_intake(written, standard, tmp_path):
    out, paths = written
    returns = tmp_path / "returns"
    returns.mkdir()
    for n, (hall, path) in enumerate(zip(HALLS, paths)):
        wb = openpyxl.load_workbook(path)
        apply_fill(wb, standard, fill_scoring(standard, 95 - n))
        wb.save(returns / f"{hall.hall_id}.xlsx")
    report = run_intake([returns], standard, HALLS, YEAR, today=date(YEAR, 12, 31))
    assert [f.status for f in report.files] == [ACCEPTED] * len(HALLS), report.to_dict()
    assert sorted(r.hall_id for r in report.records) == sorted(h.hall_id for h in HALLS)


def test_master_is_up_to_date(standard, tmp_path):
    """The committed blank master must be what the generator makes now (regenerate: hallscore templates --master)."""
    committed = master_path(MASTER_DIR, standard)
    assert committed.exists(), f"缺少 {committed};运行 hallscore templates --master --out input_templates"
    fresh = write_master(standard, tmp_path)
    assert content(fresh) == content(committed)
    master = openpyxl.load_workbook(fresh)
    meta = {row[0].value: row[1].value for row in master[wbk.SHEET_META].iter_rows()}
    assert meta["standard_checksum"] == standard.checksum and not meta.get("hall_id") and not meta.get("created")


def test_cli_templates_zip_and_master(tmp_path, standard):
    # Not HALLS[2]: the register writer (openpyxl write-only) would store its "=…" name as a formula.
    write_register(HALLS[:2] + HALLS[3:], tmp_path / "r.xlsx")
    runner = CliRunner()
    result = runner.invoke(main, ["templates", "--register", str(tmp_path / "r.xlsx"), "--out",
                                  str(tmp_path / "t"), "--year", str(YEAR), "--zip"])
    assert result.exit_code == 0, result.output
    # The partner hall GD0002 is 不参评: no workbook unless asked.
    assert "已生成 2 份检查表" in result.output and "1 个营业厅本年度不参评" in result.output
    assert len(list((tmp_path / "t").rglob("*.zip"))) == 2
    result = runner.invoke(main, ["templates", "--register", str(tmp_path / "r.xlsx"), "--out",
                                  str(tmp_path / "t"), "--year", str(YEAR), "--zip", "--include-unrated"])
    assert result.exit_code == 0, result.output
    assert "已生成 1 份检查表" in result.output and "保留 2 份" in result.output
    result = runner.invoke(main, ["templates", "--master", "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert master_path(tmp_path / "m", standard).exists()
    result = runner.invoke(main, ["templates", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "--register" in result.output


def test_cover_shows_the_live_total_beside_the_signatures(wb):
    """The 封面 carries 合计得分 as a formula of the 检查表 sheet's 预计最终得分, above the signature lines."""
    from generator.workbooks.form_sheets import COVER_SCORE

    cover, items = wb[wbk.SHEET_COVER], wb[wbk.SHEET_ITEMS]
    labels = {cover.cell(row=r, column=1).value: r for r in range(1, cover.max_row + 1)}
    assert max(wbk.cover_rows().values()) < labels[COVER_SCORE] < labels["检查人签字"]
    assert COVER_SCORE not in wbk.COVER_FIELDS
    formula = cover.cell(row=labels[COVER_SCORE], column=2).value
    sheet, cell = formula.removeprefix("=").split("!")
    assert sheet == f"'{wbk.SHEET_ITEMS}'"
    row = int(cell.replace("$", "")[1:])
    assert items.cell(row=row, column=3).value == "预计最终得分(仅供参考)"


def test_veto_and_event_sheets_mark_a_missing_note_red(wb):
    """是 without 说明 (一票否决) and a count without 说明 (加分扣分) turn red, as 扣分无原因 does on 检查表."""
    veto_rules = [r.formula[0] for cf in wb[wbk.SHEET_VETO].conditional_formatting for r in cf.rules]
    event_rules = [r.formula[0] for cf in wb[wbk.SHEET_EVENTS].conditional_formatting for r in cf.rules]
    assert any(f'="{wbk.YES}"' in f and "LEN(TRIM(" in f for f in veto_rules), veto_rules
    assert any(">0" in f and "LEN(TRIM(" in f for f in event_rules), event_rules


def test_a_bonus_without_a_note_is_rejected_with_its_cell(written, standard, tmp_path):
    """A gained point needs its evidence: a bonus count without 说明 is an error naming the cell; a deduction
    without one stays a hint."""
    from support.returns import full_fill, write_return

    bonus, deduction = standard.bonus[0], standard.deductions[0]
    fill = full_fill(standard)
    fill = fill.__class__(**{**fill.__dict__, "events": {bonus.id: 1, deduction.id: 1}, "event_notes": {}})
    write_return(standard, HALLS[0], fill, tmp_path / "回收")
    report = run_intake([tmp_path / "回收"], standard, HALLS, YEAR, today=date(YEAR, 12, 31))
    [f] = report.files
    codes = {p.code: p for p in f.problems}
    assert f.status == "rejected" and codes["bonus-note-missing"].severity == "error"
    note = wbk.column_letter(wbk.EVENTS_HEADERS, "说明")
    assert codes["bonus-note-missing"].sheet == wbk.SHEET_EVENTS and codes["bonus-note-missing"].cell.startswith(note)
    assert bonus.id in codes["bonus-note-missing"].message
    assert codes["event-note-missing"].severity == "warning"
