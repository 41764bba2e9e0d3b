"""Fill a returned 上报名单 the way a province or the group would: openpyxl, by the published headers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl


def fill_list(path: Path, tier: str, answers: dict[str, str], out: Path, by: str = "集团评审组",
              when: date = date(2025, 11, 20), reason: str | None = None) -> Path:
    """Write ``answers`` (厅编码 → 认定/不认定) into the ``tier`` sheet of ``path``; save as ``out``."""
    wb = openpyxl.load_workbook(path)
    ws = wb[tier]
    header_row = next(r for r in ws.iter_rows() if any(c.value == "厅编码" for c in r))
    col = {c.value: c.column for c in header_row if c.value}
    for row in ws.iter_rows(min_row=header_row[0].row + 1):
        hall_id = row[col["厅编码"] - 1].value
        if hall_id in answers:
            r = row[0].row
            ws.cell(row=r, column=col["认定结果"], value=answers[hall_id])
            ws.cell(row=r, column=col["理由"], value=reason or f"{answers[hall_id]}:评比结果")
            ws.cell(row=r, column=col["认定人"], value=by)
            ws.cell(row=r, column=col["认定日期"], value=when)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
