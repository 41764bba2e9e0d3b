"""Workbooks given with --overrides and --decisions are bounded like returns before openpyxl reads them, and a
formula cell is named as a formula (its value is not what was typed), not reported as a missing value."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import datetime

import openpyxl
import pytest

from generator.errors import DecisionError, OverrideError
from generator.evaluate.decisions import load_decisions
from generator.evaluate.overrides import load_overrides


def _overrides(path, date_cell="2025-07-01"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "裁定"
    ws.append(["厅编码", "档次", "理由", "裁定人", "日期", "层级"])
    ws.append(["H010003", "优秀", "集团抽查确认", "集团评审组", date_cell, "集团"])
    wb.save(path)
    return path


def test_a_formula_cell_in_an_overrides_workbook_is_named(tmp_path):
    path = _overrides(tmp_path / "裁定.xlsx", date_cell="=TODAY()")
    with pytest.raises(OverrideError) as caught:
        load_overrides(path)
    message = str(caught.value)
    assert "工作表 裁定 单元格 E2 是公式" in message and "缺少" not in message
    assert load_overrides(_overrides(tmp_path / "plain.xlsx", datetime(2025, 7, 1)))[0].date == "2025-07-01"


def test_a_foreign_list_with_a_formula_is_refused_whole(tmp_path):
    """A list hallscore did not issue is refused before its cells are read; a formula in a list it did issue is
    named as a formula (tests/test_recognition.py::test_a_formula_in_an_answer_is_named_as_a_formula)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "良好"
    ws["A1"], ws["F3"] = "名单", "=\"认定\""
    wb.save(tmp_path / "广东-上报名单.xlsx")
    with pytest.raises(DecisionError, match="不是由 hallscore 签发的上报名单,整份退回"):
        load_decisions([tmp_path / "广东-上报名单.xlsx"])


def _huge(path, cells: int) -> None:
    """A small file whose one sheet holds ``cells`` cells (it zips to a few hundred KB)."""
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    rows = "".join(f'<row r="{r}">' + "".join(f'<c r="{col}{r}"><v>1</v></c>' for col in "ABCDEFGHIJ") + "</row>"
                   for r in range(1, cells // 10 + 1))
    sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f"<sheetData>{rows}</sheetData></worksheet>").encode()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, sheet if info.filename == "xl/worksheets/sheet1.xml" else src.read(info))


@pytest.mark.parametrize("load, error, said", [(load_overrides, OverrideError, "单元格,超过上限"),
                                               (lambda p: load_decisions([p]), DecisionError, r"解压后大小\(字节\) \d+,超过上限")])
def test_a_crafted_sheet_of_a_million_cells_is_refused_quickly(tmp_path, load, error, said):
    path = tmp_path / "大-上报名单.xlsx"
    _huge(path, 1_000_000)
    assert path.stat().st_size < 4 * 1024 * 1024
    started = time.monotonic()
    with pytest.raises(error, match=said):
        load(path)
    assert time.monotonic() - started < 10
