"""The cells of an inspector workbook: their styles, and the helpers every sheet of it writes with.

Fills say what a cell is for (header, input, subtotal, alert); validations carry Chinese messages within Excel's
limits; rows are made high enough for wrapped Chinese text, which neither Excel nor LibreOffice grows by itself.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence

from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from generator.numbers import plain
from generator.rules import contract as wbk
from generator.rules.standard import Item

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
TOTAL_FILL = PatternFill("solid", fgColor="E2EFDA")
ALERT_FILL = PatternFill("solid", fgColor="FFC7CE")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
UNLOCKED = Protection(locked=False)
# Excel refuses an input or error message over 255 characters and a title over 32.
MESSAGE_LIMIT, TITLE_LIMIT = 255, 32
LINE_HEIGHT = 16.5  # points per line of 11 pt wrapped CJK text as LibreOffice prints it (14.5 cut the last line)


def write_header(ws: Worksheet, headers: Sequence[str]) -> None:
    ws.append(list(headers))
    for cell in ws[wbk.HEADER_ROW]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.freeze_panes = f"A{wbk.HEADER_ROW + 1}"


def write_total(ws: Worksheet, row: int, label: str, pts: object = None, score: object = None) -> None:
    """One subtotal row: label in 检查内容, figures under 分值 and 得分; 编号 stays empty."""
    cells = ((wbk.column_letter(wbk.ITEMS_HEADERS, "检查内容"), label),
             (wbk.column_letter(wbk.ITEMS_HEADERS, "分值"), pts),
             (wbk.column_letter(wbk.ITEMS_HEADERS, "得分"), score))
    for letter, value in cells:
        cell = ws[f"{letter}{row}"]
        cell.value = value
        cell.font = BOLD
        cell.fill = TOTAL_FILL


def add_validation(ws: Worksheet, ref: str, dv: DataValidation) -> None:
    """Attach ``dv`` with the error and input messages switched on (openpyxl leaves them off)."""
    dv.allow_blank = True
    dv.showErrorMessage = True
    dv.showInputMessage = True
    dv.errorStyle = "stop"
    dv.add(ref)
    ws.add_data_validation(dv)


def set_print_layout(ws: Worksheet, header: str) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if ws.title not in (wbk.SHEET_GUIDE, wbk.SHEET_COVER):
        ws.print_title_rows = f"{wbk.HEADER_ROW}:{wbk.HEADER_ROW}"
        ws.print_options.gridLines = True
    ws.oddHeader.center.text = header.replace("&", "&&")  # "&" starts a header code
    ws.oddFooter.center.text = "第 &P 页,共 &N 页"


def text_width(text: str) -> int:
    """Width in Excel column units: a CJK character takes about two digit widths, and so do the quotes and
    dashes a Chinese font draws full width (“”‘’—…, U+2010-U+206F)."""
    return sum(2 if ord(ch) >= 0x2E80 or 0x2010 <= ord(ch) <= 0x206F else 1 for ch in text)


def fit_rows(ws: Worksheet, first: int, last: int, widths: dict[str, float]) -> None:
    """Row heights for wrapped text: Excel and LibreOffice do not grow rows written by openpyxl."""
    for row in range(first, last + 1):
        lines = 1
        for letter, width in widths.items():
            value = ws[f"{letter}{row}"].value
            if isinstance(value, str) and not value.startswith("="):
                usable = max(1.0, width - 1.5)
                lines = max(lines, sum(max(1, math.ceil(text_width(part) / usable)) for part in value.split("\n")))
        if lines > 1:
            ws.row_dimensions[row].height = LINE_HEIGHT * lines + 4


def score_list_key(item: Item) -> str:
    if item.levels:  # one list per set of level names: the names are what the inspector picks
        names = "_".join(f"{ord(ch):x}" for ch in "|".join(lv.name for lv in item.levels))
        return "level_" + hashlib.sha256(names.encode()).hexdigest()[:10] + ("_na" if item.allow_na else "")
    return "score_" + plain(item.max_points).replace(".", "_") + ("_na" if item.allow_na else "")


def mark_inputs(ws: Worksheet, first: int, last: int, inputs: Iterable[str], wrapped: Iterable[str]) -> None:
    """Shade and unlock the input columns of rows first..last; wrap the long-text columns."""
    for row in range(first, last + 1):
        for letter in inputs:
            ws[f"{letter}{row}"].fill = INPUT_FILL
            ws[f"{letter}{row}"].protection = UNLOCKED
        for letter in wrapped:
            ws[f"{letter}{row}"].alignment = WRAP


def clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def column_name(n: int) -> str:
    return str(get_column_letter(n))
