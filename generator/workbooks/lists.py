"""The 上报名单 workbooks: one per list of the year, issued to the level that answers it (decisions.py reads the
answers back and checks them against the locked cells and the keyed digest written here).

A list is written from its entry as results.json records it: the locked cells an answer must carry are exactly
those of the recorded list (decisions.list_grid), so the issued workbook and the archive can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill, Protection
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from generator.archive.codec import shortlist_json
from generator.evaluate.decisions import (
    FIRST_ROW,
    HEADER_ROW,
    INPUT_COLUMNS,
    ISSUED_SHEET,
    META,
    RECOGNISE,
    REFUSE,
    digest_purpose,
    grid_texts,
    list_file_name,
    sheet_rows,
    signed_payload,
)
from generator.fs.files import write_bytes_atomic
from generator.fs.installkey import keyed_digest
from generator.model import YearResults
from generator.rules.terms import LIST_OWNER
from generator.xlsx.write import append_text_row, stable_bytes


def list_entries(results: YearResults | Mapping[str, Any]) -> list[dict[str, Any]]:
    """The year's lists as results.json records them (the typed year's, or those of a results.json mapping)."""
    if isinstance(results, YearResults):
        return [shortlist_json(s) for s in results.shortlists]
    return list(results.get("shortlists", []))


def write_lists(results: YearResults | Mapping[str, Any], folder: str | Path) -> list[Path]:
    """Write one workbook per list of the year into ``folder``; byte-stable for the same lists."""
    year = results.year if isinstance(results, YearResults) else results["year"]
    folder = Path(folder)
    paths = []
    for entry in list_entries(results):
        path = folder / list_file_name(entry["scope"], entry["tier"])
        write_bytes_atomic(path, list_workbook_bytes(year, entry))
        paths.append(path)
    return paths


write_shortlists = write_lists  # the name the shortlist rule's readers know it by


def list_workbook_bytes(year: int, entry: Mapping[str, Any]) -> bytes:
    """One list's workbook: its sheet (answer cells open, the rest locked) and the very hidden issue record."""
    tier, scope = entry["tier"], entry["scope"]
    level = LIST_OWNER[tier]
    rows = sheet_rows(year, entry)
    count = len(entry["nominees"])
    wb = Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet(tier)
    for row in rows:
        append_text_row(ws, row)
    _open_answer_cells(ws, count)
    grid = grid_texts(rows)
    signed = signed_payload(year, scope, tier, level, entry["quota"], entry["size"], count, grid)
    record = wb.create_sheet(ISSUED_SHEET)
    append_text_row(record, list(META))
    append_text_row(record, [tier, year, scope, level, entry["quota"], entry["size"], count,
                             keyed_digest(digest_purpose(level), signed)])
    append_text_row(record, ["以下为签发时锁定单元格的内容"])
    for texts in grid:
        append_text_row(record, list(texts))
    record.sheet_state = "veryHidden"  # not offered by Excel's 取消隐藏
    record.protection.sheet = True
    wb.active = 0
    wb.security = WorkbookProtection(lockStructure=True)
    return stable_bytes(wb, year)


def _open_answer_cells(ws: Worksheet, count: int) -> None:
    """The answer columns of the nominees' rows open and checked (认定/不认定, a date); every other cell locked."""
    for cell in ws[HEADER_ROW]:
        cell.font = Font(bold=True)
    last = FIRST_ROW + count - 1
    fill = PatternFill("solid", fgColor="FFF2CC")
    for row_no in range(FIRST_ROW, last + 1):
        for col in (c + 1 for c in INPUT_COLUMNS):
            cell = ws.cell(row=row_no, column=col)
            cell.protection = Protection(locked=False)
            cell.fill = fill
        ws.cell(row=row_no, column=8).number_format = "yyyy-mm-dd"
    if count:
        dv = DataValidation(type="list", formula1=f'"{RECOGNISE},{REFUSE}"', allow_blank=True,
                            showErrorMessage=True, showInputMessage=True, errorStyle="stop",
                            promptTitle="认定结果", prompt="认定 或 不认定;留空为未认定",
                            errorTitle="认定结果", error="只能选择 认定 或 不认定")
        dv.add(f"E{FIRST_ROW}:E{last}")
        ws.add_data_validation(dv)
        when = DataValidation(type="date", operator="between", formula1="DATE(2000,1,1)",
                              formula2="DATE(2100,12,31)", allow_blank=True, showErrorMessage=True,
                              errorTitle="认定日期", error="请填写日期,例如 2025-11-30")
        when.add(f"H{FIRST_ROW}:H{last}")
        ws.add_data_validation(when)
    for letter, width in zip("ABCDEFGHIJK", (8, 14, 30, 10, 12, 30, 12, 14, 12, 8, 12), strict=True):
        ws.column_dimensions[letter].width = width
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
