"""The 问题清单 workbook: every problem of every file, grouped by 省 and 市, ready to email to inspectors.

Output bytes depend only on the intake report, the register and the year: rows in a stable order, written
through :mod:`generator.xlsx.write` (strings stay text, times fixed to the year).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Font, PatternFill

from generator.fs.files import write_bytes_atomic
from generator.intake.check import ISSUED_PROPERTY
from generator.intake.status import STATUS_LABELS, IntakeReport
from generator.rules.contract import FILE_HALL_ID
from generator.rules.register import Hall
from generator.xlsx.write import append_text_row, stable_bytes

UNKNOWN = "(未能识别)"
HEADERS = ("省", "市", "文件", "厅编码", "厅名称", "状态", "工作表", "单元格", "代码", "级别", "问题")
WIDTHS = (8, 10, 40, 12, 24, 8, 10, 8, 24, 6, 80)


def report_rows(report: IntakeReport, halls: Iterable[Hall]) -> list[tuple[str, ...]]:
    """One row per problem, sorted by 省, 市, file; problems of a file keep the order they were found in. A
    corrected rejection (已更正) is left out."""
    register = {h.hall_id: h for h in halls}
    rows: list[tuple[tuple[str, str, str, int], tuple[str, ...]]] = []
    for f in report.files:
        if f.corrected_by:  # a rejection whose correction was accepted: nothing left to send back
            continue
        hall = register.get(f.hall_id)
        if hall is None:  # unreadable file: the name may still say which hall it is
            named = FILE_HALL_ID.match(Path(f.path).name)
            hall = register.get(named[1]) if named else None
        province, city = (hall.province, hall.city) if hall else (UNKNOWN, UNKNOWN)
        for n, p in enumerate(f.problems):
            level = "错误" if p.severity == "error" else "提示"
            rows.append(((province, city, f.path, n), (province, city, f.path, hall.hall_id if hall else f.hall_id,
                         hall.name if hall else "", STATUS_LABELS[f.status], p.sheet, p.cell, p.code, level,
                         p.message)))
    return [row for _, row in sorted(rows, key=lambda kr: kr[0])]


def build_report(report: IntakeReport, halls: Iterable[Hall], year: int) -> bytes:
    """The 问题清单 of ``report`` as .xlsx bytes, dated 31 December of ``year`` (the evaluation year)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "问题清单"
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    rows = report_rows(report, halls)
    for row in rows:
        append_text_row(ws, row)  # a file name or message starting with "=" stays text, never a formula
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:K{max(ws.max_row, 1)}"
    for n, width in enumerate(WIDTHS):
        ws.column_dimensions[chr(65 + n)].width = width

    summary = wb.create_sheet("汇总")
    summary.append(("省", "市", "有问题的文件", "错误", "提示"))
    for cell in summary[1]:
        cell.font = Font(bold=True)
    groups: dict[tuple[str, str], list[tuple[str, ...]]] = {}
    for row in rows:
        groups.setdefault((row[0], row[1]), []).append(row)
    for (province, city), group in sorted(groups.items()):
        append_text_row(summary, (province, city, len({r[2] for r in group}),
                        sum(r[9] == "错误" for r in group), sum(r[9] == "提示" for r in group)))
    counts = report.counts
    summary.append(())
    for status, label in STATUS_LABELS.items():
        summary.append((label, None, counts[status]))
    wb.properties.creator = "hallscore"
    # Marked as issued by hallscore: sent back inside a mail or dropped among the returns, it is known as its own.
    wb.custom_doc_props.append(StringProperty(name=ISSUED_PROPERTY, value="问题清单"))
    return stable_bytes(wb, year)


# The file's suffix decides its format; any other suffix is refused before anything is read (cli/year.py).
REPORT_SUFFIXES = (".xlsx", ".csv")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def build_report_csv(report: IntakeReport, halls: Iterable[Hall]) -> bytes:
    """The 问题清单 as CSV: UTF-8 with a BOM (Excel then reads the Chinese right), one row per problem; a cell
    that a spreadsheet would take for a formula starts with an apostrophe, so it stays text."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in report_rows(report, halls):
        writer.writerow([f"'{v}" if isinstance(v, str) and v.startswith(_FORMULA_START) else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_report(path: str | Path, report: IntakeReport, halls: Iterable[Hall], year: int) -> None:
    suffix = Path(path).suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        raise ValueError(f"问题清单的文件名应以 {' 或 '.join(REPORT_SUFFIXES)} 结尾:{path}")
    data = build_report_csv(report, halls) if suffix == ".csv" else build_report(report, halls, year)
    write_bytes_atomic(path, data)

