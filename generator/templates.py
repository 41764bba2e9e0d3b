"""Inspector workbooks: one per hall, pre-filled from the register (register + standard → templates)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.packaging.custom import StringProperty

from . import workbook as wbk

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")

GUIDE_LINES = (
    "营业厅服务评价检查表 填写说明",
    "",
    "1. 本工作簿由系统按营业厅清单生成,每厅一份。请勿增删、移动工作表或行,请勿修改厅信息、检查内容和分值。",
    "2. 在“封面”填写 检查轮次(自评/市级检查/省级复核/集团复核)、检查日期(年-月-日)和检查人。",
    "3. 在“检查表”逐项填写 得分:0 至该项分值,以 0.5 分为步长;未得满分的项目须在“扣分原因”中写明原因。",
    "4. 仅标注“可填不适用”为“是”的项目可填写文字“不适用”,该项不计入得分和满分。",
    "5. 在“加分扣分”填写各事项发生的次数(0 或正整数)并在“说明”中写明事由。",
    "6. 在“一票否决”逐项填写 是 或 否;填“是”的营业厅无论得分均评为不达标。",
    "7. 表内合计仅供参考,最终得分由系统按评价标准重新计算。",
    "8. 填写完成后保存为 .xlsx 格式,文件名保持不变,通过邮件交回。",
)


def safe_name(text: str, limit: int = 80) -> str:
    """A file or folder name that every file system accepts (Windows is the strictest)."""
    text = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", str(text)).strip().rstrip(".")
    return (text or "_")[:limit]


def template_path(out_dir: Path, hall) -> Path:
    return (
        Path(out_dir)
        / safe_name(hall.province)
        / safe_name(hall.city)
        / f"{safe_name(hall.hall_id, 40)}_{safe_name(hall.name)}.xlsx"
    )


def build_workbook(standard, hall, year: int, created: datetime | None = None) -> Workbook:
    """The workbook for one hall, in memory; callers save it or fill it first."""
    created = created or datetime.now(timezone.utc).replace(microsecond=0)
    wb = Workbook()
    guide = wb.active
    guide.title = wbk.SHEET_GUIDE
    for line in GUIDE_LINES:
        guide.append([line])
    guide["A1"].font = Font(bold=True, size=14)
    guide.column_dimensions["A"].width = 110

    _cover(wb.create_sheet(wbk.SHEET_COVER), hall, year)
    _items(wb.create_sheet(wbk.SHEET_ITEMS), standard)
    _events(wb.create_sheet(wbk.SHEET_EVENTS), standard)
    _vetoes(wb.create_sheet(wbk.SHEET_VETO), standard)

    meta = {
        "template_id": wbk.template_id(standard),
        "standard_id": standard.id,
        "standard_version": standard.version,
        "standard_checksum": standard.checksum,
        "hall_id": hall.hall_id,
        "year": str(year),
        "created": created.isoformat(),
    }
    ws = wb.create_sheet(wbk.SHEET_META)
    for key in wbk.META_KEYS:
        ws.append([key, meta[key]])
    ws.sheet_state = "hidden"
    for key in wbk.META_KEYS:
        # Strings only: LibreOffice turns integer properties into floats.
        wb.custom_doc_props.append(StringProperty(name=f"hallscore.{key}", value=meta[key]))
    wb.properties.creator = "hallscore"
    wb.properties.created = created.replace(tzinfo=None)
    wb.properties.modified = created.replace(tzinfo=None)
    wb.active = 1
    return wb


def _header(ws, headers) -> None:
    ws.append(list(headers))
    for cell in ws[wbk.HEADER_ROW]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
    ws.freeze_panes = f"A{wbk.HEADER_ROW + 1}"


def _cover(ws, hall, year: int) -> None:
    ws["A1"] = f"{year} 年营业厅服务评价检查表"
    ws["A1"].font = Font(bold=True, size=14)
    values = {
        "厅编码": hall.hall_id,
        "厅名称": hall.name,
        "省": hall.province,
        "市": hall.city,
        "区县": hall.district,
        "级别": hall.level,
        "类型": hall.type,
    }
    for label, row in wbk.cover_rows().items():
        ws.cell(row=row, column=1, value=label).font = BOLD
        cell = ws.cell(row=row, column=2, value=values.get(label))
        if label in wbk.COVER_INPUT_FIELDS:
            cell.fill = INPUT_FILL
            if label == "检查日期":
                cell.number_format = "yyyy-mm-dd"
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 40


def _items(ws, standard) -> None:
    _header(ws, wbk.ITEMS_HEADERS)
    for item in standard.items:
        ws.append([item.id, item.section, item.text, item.guidance, float(item.max_points),
                   "是" if item.allow_na else "否", None, None])
    last = ws.max_row
    score = wbk.column_letter(wbk.ITEMS_HEADERS, "得分")
    points = wbk.column_letter(wbk.ITEMS_HEADERS, "分值")
    for row in range(wbk.HEADER_ROW + 1, last + 1):
        ws[f"{score}{row}"].fill = INPUT_FILL
        ws[f"{wbk.column_letter(wbk.ITEMS_HEADERS, '扣分原因')}{row}"].fill = INPUT_FILL
        for col in "CD":
            ws[f"{col}{row}"].alignment = WRAP
    # A live total for the inspector; the generator never trusts it and recomputes from the inputs.
    total_row = last + 2
    ws[f"C{total_row}"] = "合计(仅供参考,不含不适用项)"
    ws[f"{points}{total_row}"] = f'=SUMIF({score}2:{score}{last},"<>不适用",{points}2:{points}{last})'
    ws[f"{score}{total_row}"] = f"=SUM({score}2:{score}{last})"
    for widths in zip("ABCDEFGH", (7, 12, 46, 46, 7, 10, 8, 30)):
        ws.column_dimensions[widths[0]].width = widths[1]


def _events(ws, standard) -> None:
    _header(ws, wbk.EVENTS_HEADERS)
    for rule in standard.bonus:
        ws.append([rule.id, wbk.EVENT_BONUS, rule.text, float(rule.per_event), float(rule.cap), 0, None])
    for rule in standard.deductions:
        ws.append([rule.id, wbk.EVENT_DEDUCTION, rule.text, -float(rule.per_event), None, 0, None])
    for row in range(wbk.HEADER_ROW + 1, ws.max_row + 1):
        ws[f"F{row}"].fill = INPUT_FILL
        ws[f"G{row}"].fill = INPUT_FILL
    for col, width in zip("ABCDEFG", (7, 8, 44, 10, 10, 8, 40)):
        ws.column_dimensions[col].width = width


def _vetoes(ws, standard) -> None:
    _header(ws, wbk.VETO_HEADERS)
    for rule in standard.vetoes:
        ws.append([rule.id, rule.text, wbk.NO, None])
    for row in range(wbk.HEADER_ROW + 1, ws.max_row + 1):
        ws[f"C{row}"].fill = INPUT_FILL
        ws[f"D{row}"].fill = INPUT_FILL
    for col, width in zip("ABCD", (7, 44, 10, 40)):
        ws.column_dimensions[col].width = width


def write_templates(halls, standard, out_dir: str | Path, year: int, created: datetime | None = None) -> list[Path]:
    """Write one workbook per hall under ``out_dir/<省>/<市>/``; return the paths in register order."""
    paths = []
    for hall in halls:
        path = template_path(Path(out_dir), hall)
        path.parent.mkdir(parents=True, exist_ok=True)
        build_workbook(standard, hall, year, created).save(path)
        paths.append(path)
    return paths
