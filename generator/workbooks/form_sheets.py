"""The inspector workbook of one hall (register + standard → form), described once.

The workbook guards the inspector: dropdowns and typed validations on every input cell, every other cell locked,
live subtotals, highlighted missing reasons, print set-up. :func:`build_workbook` is the one description of the
layout; :mod:`generator.workbooks.forms` renders it once per run and stamps each hall into a copy of the saved bytes.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils.datetime import to_excel
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from generator.numbers import number, plain
from generator.rules import contract as wbk
from generator.rules.register import Hall
from generator.rules.standard import Standard
from generator.rules.year_rules import Rules
from generator.workbooks.form_cells import (
    ALERT_FILL,
    BOLD,
    HEADER_FILL,
    INPUT_FILL,
    LINE_HEIGHT,
    TOTAL_FILL,
    UNLOCKED,
    add_validation,
    column_name,
    fit_rows,
    mark_inputs,
    score_list_key,
    set_print_layout,
    text_width,
    write_header,
)
from generator.workbooks.form_items import write_items_sheet
from generator.xlsx.write import keep_text

LIST_PREFIX = "hs_"
GUIDE_WIDTH = 72
SIGN_OFF = ("检查人签字", "签字日期", "营业厅负责人签字", "确认日期")
COVER_SCORE = "合计得分(预计)"

GUIDE_LINES = (
    "营业厅服务评价检查表 填写说明",
    "",
    "1. 本工作簿由系统按营业厅清单生成,每厅一份。请勿增删、移动工作表或行,请勿修改厅信息、检查内容和分值。",
    "2. 在“封面”填写 检查轮次({rounds})、检查日期(年-月-日)和检查人。",
    "3. 在“检查表”逐项填写 得分:0 至该项分值,以 {step} 分为步长;未得满分的项目须在“扣分原因”中写明原因。",
    "4. 仅标注“可填不适用”为“是”的项目可填写文字“不适用”,该项不计入得分和满分。",
    "5. 在“加分扣分”填写各事项发生的次数(0 或正整数)并在“说明”中写明事由。",
    "6. 在“一票否决”逐项填写 是 或 否;填“是”的营业厅无论得分均评为不达标。",
    "7. 表内合计仅供参考,最终得分由系统按评价标准重新计算。",
    "8. 填写完成后保存为 .xlsx 格式,文件名保持不变,通过邮件交回。",
)
GUIDE_MORE = (
    "",
    "填写提示",
    "· 浅黄色单元格是填写处,其余单元格已锁定(工作表保护,无密码),防止误改厅信息、检查内容和分值。",
    "· 得分、检查轮次、是否发生请从下拉列表中选择;选中得分单元格时会显示该项的评分标准。",
    "· 填入不允许的值时会弹出提示并拒绝输入。复制粘贴可能绕过这些检查,系统收回后仍会逐项校验。",
    "· 扣了分却未写扣分原因的单元格显示为红色;检查表下方的小计和合计随填写实时更新。",
    "· 可使用 Excel、WPS 或 LibreOffice 填写;请保存为 .xlsx(不要另存为 .xls 或 .et)。",
    "· 打印:A4 纵向,按页宽缩放,每页重复表头,页眉显示营业厅名称;打印后在“封面”下方由检查人和营业厅负责人签字。",
)


def build_workbook(standard: Standard, hall: Hall | None, year: int | None, created: datetime | None = None,
                   rules: Rules | None = None, unrated: str = "") -> Workbook:
    """The workbook for one hall, in memory; callers save it or fill it first.

    ``hall`` and ``year`` None give the blank master: no hall data, no year, no creation stamp. ``rules`` (the
    year's, rules/year_rules.py) give the rounds, the score step and the bonus cap in force; None: the standard's own.
    ``unrated``: why the hall is 不参评 this year, said in the cover's title (templates --include-unrated).
    """
    rules = rules or Rules.of(standard, year=year)
    if hall is not None and created is None:
        created = datetime.now(UTC).replace(microsecond=0)
    wb = Workbook()
    guide = wb.active
    guide.title = wbk.SHEET_GUIDE
    _guide(guide, standard, rules)
    lists = _lists(wb, standard, rules)
    cover = wb.create_sheet(wbk.SHEET_COVER)
    _cover(cover, hall, year, lists, rules, unrated)
    _source(cover, standard)
    _cover_score(cover, write_items_sheet(wb.create_sheet(wbk.SHEET_ITEMS), standard, lists, rules))
    sheets = wbk.sheets_for(standard)  # a sheet with nothing to fill is left out
    if wbk.SHEET_EVENTS in sheets:
        _events(wb.create_sheet(wbk.SHEET_EVENTS), standard)
    if wbk.SHEET_VETO in sheets:
        _vetoes(wb.create_sheet(wbk.SHEET_VETO), standard, lists)
    _write_meta(wb, standard, hall, year, created)
    wb.move_sheet(wbk.SHEET_LISTS, offset=len(wb.sheetnames))  # keep the contract's sheet order first
    wb.properties.creator = "hallscore"
    wb.properties.title = standard.title
    if created is not None:
        wb.properties.created = created.replace(tzinfo=None)
        wb.properties.modified = created.replace(tzinfo=None)
    _protect(wb, f"{hall.hall_id} {hall.name}" if hall else "营业厅服务评价检查表(空白母版)")
    wb.active = 1
    return wb


def _write_meta(wb: Workbook, standard: Standard, hall: Hall | None, year: int | None,
                created: datetime | None) -> None:
    """What intake recognises the workbook by, on the hidden meta sheet and again as custom document properties."""
    meta = {
        "template_id": wbk.template_id(standard),
        "standard_id": standard.id,
        "standard_version": standard.version,
        "standard_checksum": standard.checksum,
        "hall_id": hall.hall_id if hall else "",
        "year": str(year) if year else "",
        "created": created.isoformat() if created else "",
    }
    ws = wb.create_sheet(wbk.SHEET_META)
    for key in wbk.META_KEYS:
        ws.append([key, meta[key]])
    ws.sheet_state = "hidden"
    for key in wbk.META_KEYS:
        # Strings only: LibreOffice turns integer properties into floats.
        wb.custom_doc_props.append(StringProperty(name=f"hallscore.{key}", value=meta[key]))


def _protect(wb: Workbook, header: str) -> None:
    """Lock every sheet and the workbook's structure; give each visible sheet its print layout under ``header``."""
    for sheet in wb.worksheets:
        sheet.protection.sheet = True
        # Inspectors may widen columns and rows to read long texts; nothing else.
        sheet.protection.formatColumns = False
        sheet.protection.formatRows = False
        if sheet.sheet_state == "visible":
            set_print_layout(sheet, header)
    wb.security = WorkbookProtection(lockStructure=True)  # no adding, deleting, renaming or unhiding sheets


# -- sheets ------------------------------------------------------------------------------------------

def _guide(ws: Worksheet, standard: Standard, rules: Rules) -> None:
    na_items = [i for i in standard.items if i.allow_na]
    said = {"rounds": "/".join(rules.rounds), "step": plain(rules.score_step)}
    lines = [line.format(**said) for line in GUIDE_LINES]
    if standard.has_levels:
        lines[4] = ("3. 在“检查表”逐项填写 得分:标有等级的项目从下拉列表中选择等级(如 优秀/良好/一般/差),系统按评价标准折合为"
                    "分值;其余项目填 0 至该项分值,以 {step} 分为步长。未得满分的项目须在“扣分原因”中写明原因。").format(**said)
    sheets = wbk.sheets_for(standard)
    if wbk.SHEET_EVENTS not in sheets:
        lines[6] = "5. 本评价标准没有加分、扣分事项,工作簿中没有“加分扣分”表。"
    if wbk.SHEET_VETO not in sheets:
        lines[7] = "6. 本评价标准没有一票否决事项,工作簿中没有“一票否决”表。"
    lines += list(GUIDE_MORE) + ["", "可填“不适用”的项目(其余项目必须打分):"]
    lines += [f"· {i.id} {i.section}:{i.text}" for i in na_items] or ["· 无"]
    for line in lines:
        ws.append([line])
    ws["A1"].font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = GUIDE_WIDTH
    for row in ws.iter_rows(min_row=1):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    fit_rows(ws, 2, ws.max_row, {"A": GUIDE_WIDTH})


def _lists(wb: Workbook, standard: Standard, rules: Rules) -> dict[str, str]:
    """Write every dropdown list on the hidden sheet; return list key → defined name.

    LibreOffice cuts inline list validations longer than 255 characters, so lists live in cells.
    """
    ws = wb.create_sheet(wbk.SHEET_LISTS)
    ws.sheet_state = "hidden"
    columns: dict[str, list[str | int | float]] = {"rounds": list(rules.rounds), "yesno": [wbk.YES, wbk.NO]}
    for item in standard.items:
        key = score_list_key(item)
        if key not in columns:
            values: list[str | int | float] = [lv.name for lv in item.levels] or [number(v) for v in standard.allowed_scores(item)]
            columns[key] = values + ([wbk.NOT_APPLICABLE] if item.allow_na else [])
    names = {}
    for col, (key, values) in enumerate(columns.items(), 1):
        name = LIST_PREFIX + key
        letter = column_name(col)
        ws.cell(row=1, column=col, value=name).font = BOLD
        for row, value in enumerate(values, 2):
            ws.cell(row=row, column=col, value=value)
        wb.defined_names[name] = DefinedName(
            name, attr_text=f"'{wbk.SHEET_LISTS}'!${letter}$2:${letter}${len(values) + 1}")
        names[key] = name
    return names


def _cover(ws: Worksheet, hall: Hall | None, year: int | None, lists: dict[str, str], rules: Rules,
           unrated: str = "") -> None:
    ws["A1"] = f"{year} 年营业厅服务评价检查表" if year else "营业厅服务评价检查表(空白母版)"
    if unrated:
        ws["A1"] = f"{ws['A1'].value}(本厅不参评:{unrated})"
    ws["A1"].font = Font(bold=True, size=14)
    values = {}
    if hall is not None:
        values = {"厅编码": hall.hall_id, "厅名称": hall.name, "省": hall.province, "市": hall.city,
                  "区县": hall.district, "级别": hall.level, "类型": hall.type}
    rows = wbk.cover_rows()
    for label, row in rows.items():
        ws.cell(row=row, column=1, value=label).font = BOLD
        cell = keep_text(ws.cell(row=row, column=2, value=values.get(label)))  # "=…" from the register stays text
        if label in wbk.COVER_INPUT_FIELDS:
            cell.fill = INPUT_FILL
            cell.protection = UNLOCKED
    first, last = date(year or 2000, 1, 1), date(year or 2099, 12, 31)
    when = f"B{rows['检查日期']}"
    ws[when].number_format = "yyyy-mm-dd"
    add_validation(ws, f"B{rows['检查轮次']}", DataValidation(
        type="list", formula1=lists["rounds"], errorTitle="检查轮次无效",
        error="请从下拉列表中选择:" + "/".join(rules.rounds) + "。",
        promptTitle="检查轮次", prompt="请选择:" + "/".join(rules.rounds)))
    add_validation(ws, when, DataValidation(
        type="date", operator="between", formula1=str(int(to_excel(first))), formula2=str(int(to_excel(last))),
        errorTitle="检查日期无效",
        error=f"请填写 {first.year}-01-01 至 {last.year}-12-31 之间的日期,格式 年-月-日,如 {first.year}-05-10。"
        if year else "请填写有效日期,格式 年-月-日。",
        promptTitle="检查日期", prompt="格式:年-月-日,例如 " + f"{first.year}-05-10"))
    add_validation(ws, f"B{rows['检查人']}", DataValidation(
        type="textLength", operator="between", formula1="1", formula2="50", errorTitle="检查人",
        error="请填写检查人姓名(不超过 50 个字)。", promptTitle="检查人", prompt="填写检查人姓名,多人用顿号分隔"))
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 40
    _sign_off(ws, max(rows.values()) + 3)


def _cover_score(ws: Worksheet, final: str) -> None:
    """合计得分 above the signatures, live from the 检查表 sheet, so that both sign against a figure; its label is
    no cover field, so intake skips it (and never trusts it: the score is always computed again)."""
    row = max(wbk.cover_rows().values()) + 2
    ws.cell(row=row, column=1, value=COVER_SCORE).font = BOLD
    cell = ws.cell(row=row, column=2, value=f"={final}")
    cell.number_format, cell.font, cell.fill = "0.0", Font(bold=True, size=12), TOTAL_FILL
    cell.alignment = Alignment(horizontal="left")


def _source(ws: Worksheet, standard: Standard) -> None:
    """Which standard the workbook asks for and what it is (its 来源: an example says so), above the fields."""
    if not standard.source:
        return
    ws["A2"] = f"评价标准:{standard.title}(版本 {standard.version});来源:{standard.source}"
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws["A2"].font = Font(italic=True, color="7F6000" if standard.is_example else "000000")
    ws.merge_cells("A2:B2")
    ws.row_dimensions[2].height = LINE_HEIGHT * max(1, math.ceil(text_width(ws["A2"].value) / 54)) + 3


def _sign_off(ws: Worksheet, row: int) -> None:
    """Lines to sign on paper, below the cover fields; their labels are no cover field, so intake skips them."""
    line = Border(bottom=Side(style="thin"))
    for label in SIGN_OFF:
        ws.cell(row=row, column=1, value=label).font = BOLD
        ws.cell(row=row, column=1).alignment = Alignment(vertical="bottom")
        ws.cell(row=row, column=2).border = line
        ws.row_dimensions[row].height = 30
        row += 1


def _events(ws: Worksheet, standard: Standard) -> None:
    write_header(ws, wbk.EVENTS_HEADERS)
    sub = column_name(len(wbk.EVENTS_HEADERS) + 1)
    ws[f"{sub}{wbk.HEADER_ROW}"] = "小计(参考)"
    ws[f"{sub}{wbk.HEADER_ROW}"].font, ws[f"{sub}{wbk.HEADER_ROW}"].fill = BOLD, HEADER_FILL
    for rule in standard.bonus:
        ws.append([rule.id, wbk.EVENT_BONUS, rule.text, number(rule.per_event), number(rule.cap), 0, None])
        r = ws.max_row
        ws[f"{sub}{r}"] = f"=IFERROR(MIN(E{r},D{r}*F{r}),0)"
    for deduction in standard.deductions:
        ws.append([deduction.id, wbk.EVENT_DEDUCTION, deduction.text, -number(deduction.per_event), None, 0, None])
        r = ws.max_row
        ws[f"{sub}{r}"] = f"=IFERROR(-D{r}*F{r},0)"
    first, last = wbk.HEADER_ROW + 1, ws.max_row
    count = wbk.column_letter(wbk.EVENTS_HEADERS, "次数")
    note = wbk.column_letter(wbk.EVENTS_HEADERS, "说明")
    mark_inputs(ws, first, last, (count, note), wrapped=("C", note))
    add_validation(ws, f"{count}{first}:{count}{last}", DataValidation(
        type="whole", operator="between", formula1="0", formula2="999", errorTitle="次数无效",
        error="次数应为 0 或正整数(不超过 999)。", promptTitle="次数", prompt="填写发生次数:0 或正整数;不为 0 时请在“说明”中写明事由。"))
    ws.conditional_formatting.add(
        f"{note}{first}:{note}{last}",
        FormulaRule(formula=[f"AND(ISNUMBER(${count}{first}),${count}{first}>0,LEN(TRIM(${note}{first}))=0)"],
                    fill=ALERT_FILL))
    widths = dict(zip("ABCDEFGH", (5, 5, 30, 6, 6, 5, 22, 8)))
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
    ws.row_dimensions[wbk.HEADER_ROW].height = 30
    fit_rows(ws, first, last, {"C": widths["C"]})


def _vetoes(ws: Worksheet, standard: Standard, lists: dict[str, str]) -> None:
    write_header(ws, wbk.VETO_HEADERS)
    for rule in standard.vetoes:
        ws.append([rule.id, rule.text, wbk.NO, None])
    first, last = wbk.HEADER_ROW + 1, ws.max_row
    answer = wbk.column_letter(wbk.VETO_HEADERS, "是否发生")
    note = wbk.column_letter(wbk.VETO_HEADERS, "说明")
    mark_inputs(ws, first, last, (answer, note), wrapped=("B", note))
    add_validation(ws, f"{answer}{first}:{answer}{last}", DataValidation(
        type="list", formula1=lists["yesno"], errorTitle="是否发生无效", error="请从下拉列表中选择 是 或 否。",
        promptTitle="是否发生", prompt="选择 是 或 否;填“是”的营业厅评为不达标,请在“说明”中写明情况。"))
    # 是 without a 说明 turns red, as a lost point without a reason does on 检查表.
    ws.conditional_formatting.add(
        f"{note}{first}:{note}{last}",
        FormulaRule(formula=[f'AND(${answer}{first}="{wbk.YES}",LEN(TRIM(${note}{first}))=0)'], fill=ALERT_FILL))
    widths = dict(zip("ABCD", (5, 36, 8, 28)))
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
    ws.row_dimensions[wbk.HEADER_ROW].height = 30
    fit_rows(ws, first, last, {"B": widths["B"]})
