"""Inspector workbooks: one per hall, pre-filled from the register (register + standard → forms).

The workbook guards the inspector: dropdowns and typed validations on every input cell, every other cell locked,
live subtotals, highlighted missing reasons, print set-up. :func:`build_workbook` is the one description of the
layout; :func:`write_templates` renders it once per run and stamps each hall into a copy of the saved bytes,
which is many times faster than building 3,000 workbooks with openpyxl (a test checks both give the same content).
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import UTC, date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from . import workbook as wbk
from .fsutil import write_bytes_atomic
from .numbers import number, plain
from .register import Hall
from .rules import Rules
from .standard import Item, Standard
from .textcell import UNSAFE
from .xlsxout import keep_text

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
TOTAL_FILL = PatternFill("solid", fgColor="E2EFDA")
ALERT_FILL = PatternFill("solid", fgColor="FFC7CE")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
UNLOCKED = Protection(locked=False)
# Excel refuses an input or error message over 255 characters and a title over 32.
MESSAGE_LIMIT, TITLE_LIMIT = 255, 32
LIST_PREFIX = "hs_"
# Print layout: portrait A4 holds about 75 column units at 100 % (LibreOffice), so widths stay near that and
# fit-to-width shrinks little.
ITEM_WIDTHS = dict(zip("ABCDEFGH", (5, 7, 22, 25, 5, 6, 5, 13)))
GUIDE_WIDTH = 72
LINE_HEIGHT = 16.5  # points per line of 11 pt wrapped CJK text as LibreOffice prints it (14.5 cut the last line)
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


def safe_name(text: str, limit: int = 80) -> str:
    """A file or folder name that every file system accepts (Windows is the strictest)."""
    text = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", str(text)).strip().rstrip(".")
    if re.fullmatch(r"(?i)(con|prn|aux|nul|com\d|lpt\d)(\..*)?", text):
        text = "_" + text  # reserved device names on Windows
    return (text or "_")[:limit]


def template_path(out_dir: Path, hall: Hall) -> Path:
    return (
        Path(out_dir)
        / safe_name(hall.province)
        / safe_name(hall.city)
        # ext4 allows 255 bytes per name: 40 + 60 Chinese characters (3 bytes each) + ".xlsx" stay below it.
        / f"{safe_name(hall.hall_id, 40)}_{safe_name(hall.name, 60)}.xlsx"
    )


def master_path(out_dir: Path, standard: Standard) -> Path:
    """Where the blank master workbook of ``standard`` lives, e.g. ``input_templates/ct-hall_2016.1.xlsx``."""
    return Path(out_dir) / f"{safe_name(standard.id)}_{safe_name(standard.version)}.xlsx"


def build_workbook(standard: Standard, hall: Hall | None, year: int | None, created: datetime | None = None,
                   rules: Rules | None = None, unrated: str = "") -> Workbook:
    """The workbook for one hall, in memory; callers save it or fill it first.

    ``hall`` and ``year`` None give the blank master: no hall data, no year, no creation stamp. ``rules`` (the
    year's, rules.py) give the rounds, the score step and the bonus cap in force; None: the standard's own.
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
    _cover_score(cover, _items(wb.create_sheet(wbk.SHEET_ITEMS), standard, lists, rules))
    sheets = wbk.sheets_for(standard)  # a sheet with nothing to fill is left out
    if wbk.SHEET_EVENTS in sheets:
        _events(wb.create_sheet(wbk.SHEET_EVENTS), standard)
    if wbk.SHEET_VETO in sheets:
        _vetoes(wb.create_sheet(wbk.SHEET_VETO), standard, lists)

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
    wb.move_sheet(wbk.SHEET_LISTS, offset=len(wb.sheetnames))  # keep the contract's sheet order first
    wb.properties.creator = "hallscore"
    wb.properties.title = standard.title
    if created is not None:
        wb.properties.created = created.replace(tzinfo=None)
        wb.properties.modified = created.replace(tzinfo=None)

    header = f"{hall.hall_id} {hall.name}" if hall else "营业厅服务评价检查表(空白母版)"
    for sheet in wb.worksheets:
        sheet.protection.sheet = True
        # Inspectors may widen columns and rows to read long texts; nothing else.
        sheet.protection.formatColumns = False
        sheet.protection.formatRows = False
        if sheet.sheet_state == "visible":
            _print_setup(sheet, header)
    wb.security = WorkbookProtection(lockStructure=True)  # no adding, deleting, renaming or unhiding sheets
    wb.active = 1
    return wb


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
    _fit_rows(ws, 2, ws.max_row, {"A": GUIDE_WIDTH})


def _lists(wb: Workbook, standard: Standard, rules: Rules) -> dict[str, str]:
    """Write every dropdown list on the hidden sheet; return list key → defined name.

    LibreOffice cuts inline list validations longer than 255 characters, so lists live in cells.
    """
    ws = wb.create_sheet(wbk.SHEET_LISTS)
    ws.sheet_state = "hidden"
    columns: dict[str, list] = {"rounds": list(rules.rounds), "yesno": [wbk.YES, wbk.NO]}
    for item in standard.items:
        key = _score_key(item)
        if key not in columns:
            values: list = [lv.name for lv in item.levels] or [number(v) for v in standard.allowed_scores(item)]
            columns[key] = values + ([wbk.NOT_APPLICABLE] if item.allow_na else [])
    names = {}
    for col, (key, values) in enumerate(columns.items(), 1):
        name = LIST_PREFIX + key
        letter = _letter(col)
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
    _validate(ws, f"B{rows['检查轮次']}", DataValidation(
        type="list", formula1=lists["rounds"], errorTitle="检查轮次无效",
        error="请从下拉列表中选择:" + "/".join(rules.rounds) + "。",
        promptTitle="检查轮次", prompt="请选择:" + "/".join(rules.rounds)))
    _validate(ws, when, DataValidation(
        type="date", operator="between", formula1=str(int(to_excel(first))), formula2=str(int(to_excel(last))),
        errorTitle="检查日期无效",
        error=f"请填写 {first.year}-01-01 至 {last.year}-12-31 之间的日期,格式 年-月-日,如 {first.year}-05-10。"
        if year else "请填写有效日期,格式 年-月-日。",
        promptTitle="检查日期", prompt="格式:年-月-日,例如 " + f"{first.year}-05-10"))
    _validate(ws, f"B{rows['检查人']}", DataValidation(
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
    ws.row_dimensions[2].height = LINE_HEIGHT * max(1, math.ceil(_text_width(ws["A2"].value) / 54)) + 3


def _sign_off(ws: Worksheet, row: int) -> None:
    """Lines to sign on paper, below the cover fields; their labels are no cover field, so intake skips them."""
    line = Border(bottom=Side(style="thin"))
    for label in SIGN_OFF:
        ws.cell(row=row, column=1, value=label).font = BOLD
        ws.cell(row=row, column=1).alignment = Alignment(vertical="bottom")
        ws.cell(row=row, column=2).border = line
        ws.row_dimensions[row].height = 30
        row += 1


def _items(ws: Worksheet, standard: Standard, lists: dict[str, str], rules: Rules) -> str:
    """Write the 检查表 sheet; return the reference of its 预计最终得分 cell (the 封面 shows it)."""
    _header(ws, wbk.ITEMS_HEADERS)
    for item in standard.items:
        ws.append([item.id, item.section, item.text, item.guidance, number(item.max_points),
                   "是" if item.allow_na else "否", None, None])
    first, last = wbk.HEADER_ROW + 1, ws.max_row
    col = {name: wbk.column_letter(wbk.ITEMS_HEADERS, name) for name in wbk.ITEMS_HEADERS}
    sec, pts, score, reason = col["环节"], col["分值"], col["得分"], col["扣分原因"]
    for row, item in zip(range(first, last + 1), standard.items):
        for name in ("得分", "扣分原因"):
            cell = ws[f"{col[name]}{row}"]
            cell.fill = INPUT_FILL
            cell.protection = UNLOCKED
        for name in ("编号", "环节", "检查内容", "评分标准", "分值", "可填不适用", "得分", "扣分原因"):
            ws[f"{col[name]}{row}"].alignment = WRAP
        na = ",或选“不适用”" if item.allow_na else "(本项不可填“不适用”)"
        if item.levels:
            scale = ",".join(f"{lv.name} {plain(lv.points)} 分" for lv in item.levels)
            _validate(ws, f"{score}{row}", DataValidation(
                type="list", formula1=lists[_score_key(item)], errorTitle="评定无效",
                error=_clip(f"{item.id} 请从下拉列表中选择等级:{'/'.join(lv.name for lv in item.levels)}{na}。"),
                promptTitle=_clip(f"{item.id} 评分标准(满分 {plain(item.max_points)})", TITLE_LIMIT),
                prompt=_clip(f"{item.guidance or item.text}(折合:{scale})")))
            continue
        _validate(ws, f"{score}{row}", DataValidation(
            type="list", formula1=lists[_score_key(item)], errorTitle="得分无效",
            error=_clip(f"{item.id} 的得分应为 0 至 {plain(item.max_points)} 分,步长 "
                        f"{plain(rules.score_step)} 分{na}。请从下拉列表中选择。"),
            promptTitle=_clip(f"{item.id} 评分标准(满分 {plain(item.max_points)})", TITLE_LIMIT),
            prompt=_clip(item.guidance or item.text)))
    got = score  # the column the totals add up: the score, or for level-rated items the points a level gives
    if standard.has_levels:
        got = _letter(len(wbk.ITEMS_HEADERS) + 1)
        ws[f"{got}{wbk.HEADER_ROW}"] = "折合分值(自动)"
        ws[f"{got}{wbk.HEADER_ROW}"].font, ws[f"{got}{wbk.HEADER_ROW}"].fill = BOLD, HEADER_FILL
        ws.column_dimensions[got].width = 8
        for row, item in zip(range(first, last + 1), standard.items):
            formula = f"IF(ISNUMBER({score}{row}),{score}{row},\"\")"
            for level in reversed(item.levels):
                formula = f'IF({score}{row}="{level.name}",{number(level.points)},{formula})'
            ws[f"{got}{row}"] = "=" + formula
            ws[f"{got}{row}"].alignment = WRAP
        ws[f"{got}{wbk.HEADER_ROW}"].alignment = Alignment(wrap_text=True, vertical="center")
    # Lost points without a reason turn red (intake rejects them as reason-missing).
    ws.conditional_formatting.add(
        f"{reason}{first}:{reason}{last}",
        FormulaRule(formula=[f'AND(ISNUMBER(${got}{first}),${got}{first}<${pts}{first},'
                             f'LEN(TRIM(${reason}{first}))=0)'], fill=ALERT_FILL))

    # Live subtotals for the inspector, below the items with 编号 left empty so intake skips them.
    # The generator never trusts them and recomputes from the inputs.
    rng = lambda c: f"${c}${first}:${c}${last}"  # noqa: E731
    row = last + 2
    # The heading's note goes in the wide 评分标准 column and 适用分值 wraps in its narrow one: written as one
    # long label it ran under the 适用分值 heading.
    _total(ws, row, "各环节小计", pts="适用\n分值", score="得分")
    note = ws[f"{col['评分标准']}{row}"]
    note.value, note.fill = "仅供参考:不适用项不计入分值;系统按填写内容重新计算", TOTAL_FILL
    for letter in (col["检查内容"], col["评分标准"], pts, score):
        ws[f"{letter}{row}"].alignment = WRAP
    ws.row_dimensions[row].height = LINE_HEIGHT * 2 + 5
    section_rows = []
    for section in standard.sections:
        row += 1
        section_rows.append((section, row))
        _total(ws, row, f"小计:{section}" + (f"(权重 {plain(standard.weight(section))})" if standard.weighted else ""),
               pts=f'=SUMIFS({rng(pts)},{rng(sec)},"{section}",{rng(score)},"<>{wbk.NOT_APPLICABLE}")',
               score=f'=SUMIF({rng(sec)},"{section}",{rng(got)})')
    row += 1
    total = row
    _total(ws, row, "合计(仅供参考,不含不适用项)",
           pts=f'=SUMIF({rng(score)},"<>{wbk.NOT_APPLICABLE}",{rng(pts)})', score=f"=SUM({rng(got)})")
    base = f"IF({pts}{total}>0,100*{score}{total}/{pts}{total},0)"
    if standard.weighted:  # 100 × Σ w·得分率 ÷ Σ w over the sections with an applicable item (scoring.weighted_base)
        w = {s: number(standard.weight(s)) for s, _ in section_rows}
        num = "+".join(f"IF({pts}{r}>0,{w[s]}*{score}{r}/{pts}{r},0)" for s, r in section_rows)
        den = "+".join(f"IF({pts}{r}>0,{w[s]},0)" for s, r in section_rows)
        base = f"IF(({den})>0,100*({num})/({den}),0)"
    lines: list[tuple[str, str]] = [("基础分(按百分制折算)" + ("(按环节权重)" if standard.weighted else ""), f"={base}")]
    if wbk.SHEET_EVENTS in wbk.sheets_for(standard):
        events = f"'{wbk.SHEET_EVENTS}'!"
        n_bonus, n_events = len(standard.bonus), len(standard.bonus) + len(standard.deductions)
        ev_first, ev_last = wbk.HEADER_ROW + 1, wbk.HEADER_ROW + n_events
        lines += [
            (f"加分(合计上限 {plain(rules.bonus_cap)} 分,见“加分扣分”)",
             f"=MIN({number(rules.bonus_cap)},SUM({events}$H${ev_first}:$H${ev_first + n_bonus - 1}))"),
            ("扣分(见“加分扣分”)", f"=SUM({events}$H${ev_first + n_bonus}:$H${ev_last})"),
            ("预计最终得分(仅供参考)", f"=MAX(0,{score}{total + 1}+{score}{total + 2}-{score}{total + 3})"),
        ]
    else:
        lines.append(("预计最终得分(仅供参考)", f"=MAX(0,{score}{total + 1})"))
    for label, formula in lines:
        row += 1
        _total(ws, row, label, score=formula)
    for r in range(total + 1, row + 1):
        ws[f"{score}{r}"].number_format = "0.0"
    for r in range(last + 2, row + 1):  # labels such as 加分(合计上限 5 分,见“加分扣分”) wrap in their cell
        ws[f"{col['检查内容']}{r}"].alignment = WRAP
    _fit_rows(ws, last + 3, row, {col["检查内容"]: ITEM_WIDTHS[col["检查内容"]]})
    for letter, width in ITEM_WIDTHS.items():
        ws.column_dimensions[letter].width = width
    ws.row_dimensions[wbk.HEADER_ROW].height = 30
    _fit_rows(ws, first, last, {letter: ITEM_WIDTHS[letter] for letter in (col["环节"], col["检查内容"], col["评分标准"])})
    return f"'{wbk.SHEET_ITEMS}'!${score}${row}"


def _events(ws: Worksheet, standard: Standard) -> None:
    _header(ws, wbk.EVENTS_HEADERS)
    sub = _letter(len(wbk.EVENTS_HEADERS) + 1)
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
    _mark_inputs(ws, first, last, (count, note), wrapped=("C", note))
    _validate(ws, f"{count}{first}:{count}{last}", DataValidation(
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
    _fit_rows(ws, first, last, {"C": widths["C"]})


def _vetoes(ws: Worksheet, standard: Standard, lists: dict[str, str]) -> None:
    _header(ws, wbk.VETO_HEADERS)
    for rule in standard.vetoes:
        ws.append([rule.id, rule.text, wbk.NO, None])
    first, last = wbk.HEADER_ROW + 1, ws.max_row
    answer = wbk.column_letter(wbk.VETO_HEADERS, "是否发生")
    note = wbk.column_letter(wbk.VETO_HEADERS, "说明")
    _mark_inputs(ws, first, last, (answer, note), wrapped=("B", note))
    _validate(ws, f"{answer}{first}:{answer}{last}", DataValidation(
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
    _fit_rows(ws, first, last, {"B": widths["B"]})


# -- writing many -------------------------------------------------------------------------------------

# Placeholders stamped per hall: text fields in shared strings, custom properties and page headers, and the
# level (a number cell) by a sentinel value no real workbook holds.
_TOKENS = {field: f"@@hallscore.{field}@@" for field in ("hall_id", "name", "province", "city", "district", "type")}
_LEVEL_SENTINEL = 987654321
_STAMPED_PARTS = re.compile(r"^(xl/sharedStrings\.xml|xl/worksheets/sheet\d+\.xml|docProps/custom\.xml)$")
_HEADER_FOOTER = re.compile(r"<(odd|even|first)(Header|Footer)>.*?</\1\2>", re.S)
_ILLEGAL_XML = UNSAFE  # the register refuses these; never written into a workbook


class _Stamper:
    """Renders the workbook once with placeholders, then fills in one hall per copy, at the XML level."""

    def __init__(self, standard: Standard, year: int, created: datetime, rules: Rules | None = None,
                 unrated: str = "") -> None:
        placeholder = Hall(_TOKENS["hall_id"], _TOKENS["name"], _TOKENS["province"], _TOKENS["city"],
                           _TOKENS["district"], _LEVEL_SENTINEL, _TOKENS["type"])
        buffer = io.BytesIO()
        build_workbook(standard, placeholder, year, created, rules, unrated).save(buffer)
        with zipfile.ZipFile(buffer) as zf:
            self.parts = [(info.filename, zf.read(info)) for info in zf.infolist()]
        self.stamp_time = created.timetuple()[:6]
        level = f"<v>{_LEVEL_SENTINEL}</v>".encode()
        assert any(level in data for _, data in self.parts), "level placeholder not found"

    def render(self, hall: Hall) -> bytes:
        values = {"hall_id": hall.hall_id, "name": hall.name, "province": hall.province, "city": hall.city,
                  "district": hall.district, "type": hall.type}
        for field, value in values.items():
            if _ILLEGAL_XML.search(value):
                raise ValueError(f"营业厅 {hall.hall_id} 的{field}含有不可见控制字符,无法写入工作簿")
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for name, data in self.parts:
                if _STAMPED_PARTS.match(name):
                    data = self._stamp(name, data, values, hall.level)
                info = zipfile.ZipInfo(name, self.stamp_time)
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
        return out.getvalue()

    @staticmethod
    def _stamp(name: str, data: bytes, values: dict[str, str], level: int) -> bytes:
        def fill(text: str, header: bool) -> str:
            for field, token in _TOKENS.items():
                # In page headers and footers "&" starts a code, so a literal one is doubled.
                text = text.replace(token, escape(values[field].replace("&", "&&") if header else values[field]))
            return text

        text = _HEADER_FOOTER.sub(lambda m: fill(m[0], True), data.decode("utf-8"))
        text = fill(text, False)
        return text.replace(f"<v>{_LEVEL_SENTINEL}</v>", f"<v>{int(level)}</v>").encode("utf-8")


@dataclass
class Issued:
    """What one ``templates`` run did with each hall's workbook."""

    wrote: list[Path] = dc_field(default_factory=list)
    kept: list[Path] = dc_field(default_factory=list)  # already there, exactly as this run would write it
    refused: list[Path] = dc_field(default_factory=list)  # already there and different (a filled one): left alone
    unrated: int = 0  # 不参评 halls given no workbook

    @property
    def paths(self) -> list[Path]:
        return self.wrote + self.kept


def unrated_reason(hall: Hall, rules: Rules) -> str:
    """Why a hall is 不参评 this year, quoting the year's configuration (never the 办法)."""
    config = rules.config
    if hall.type not in config.hall_types:
        return f"本年度只对{'、'.join(config.hall_types)}厅评价(hallscore.toml),本厅为{hall.type}厅"
    levels = "、".join(str(x) for x in sorted(config.levels))
    return f"本年度只对 {levels} 级厅评价(hallscore.toml),本厅为 {hall.level} 级厅"


def issue_templates(halls: Iterable[Hall], standard: Standard, out_dir: str | Path, year: int,
                    created: datetime | None = None, zip_by_city: bool = False, rules: Rules | None = None,
                    include_unrated: bool = False) -> Issued:
    """One workbook per rated hall under ``out_dir/<省>/<市>/`` (不参评 halls too with ``include_unrated``, their
    cover saying so). A workbook already there is never replaced by a different one: inspectors often fill it
    where they unzipped it. It is kept when it is what this run would write (the same issue, untouched) and
    refused otherwise. With ``zip_by_city`` also ``out_dir/<省>/<市>.zip`` of the city's workbooks."""
    created = created or datetime.now(UTC).replace(microsecond=0)
    rules = rules or Rules.of(standard, year=year)
    stampers: dict[tuple[str, datetime], _Stamper] = {}

    def render(hall: Hall, note: str, when: datetime) -> bytes:
        stamper = stampers.get((note, when))
        if stamper is None:
            stamper = stampers[note, when] = _Stamper(standard, year, when, rules, note)
        return stamper.render(hall)

    issued = Issued()
    for hall in halls:
        note = "" if rules.config.evaluated(hall) else unrated_reason(hall, rules)
        if note and not include_unrated:
            issued.unrated += 1
            continue
        path = template_path(Path(out_dir), hall)
        if path.exists() or path.is_symlink():
            when = _issued_at(path)
            same = when is not None and path.is_file() and _same_parts(path.read_bytes(), render(hall, note, when))
            (issued.kept if same else issued.refused).append(path)
            continue
        write_bytes_atomic(path, render(hall, note, created))
        issued.wrote.append(path)
    if zip_by_city:
        zip_cities(issued.paths, created)
    return issued


def _same_parts(existing: bytes, fresh: bytes) -> bool:
    """Whether two workbooks hold the same parts, save for docProps/core.xml (the moment openpyxl saved it)."""
    def parts(data: bytes) -> dict[str, bytes]:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return {i.filename: zf.read(i) for i in zf.infolist() if i.filename != "docProps/core.xml"}

    try:
        return parts(existing) == parts(fresh)
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _issued_at(path: Path) -> datetime | None:
    """The creation stamp in an existing workbook's _meta sheet, or None when it has none (not one of ours)."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True)
        try:
            rows = {str(r[0]): r[1] for r in wb[wbk.SHEET_META].iter_rows(values_only=True) if len(r) >= 2}
        finally:
            wb.close()
        return datetime.fromisoformat(str(rows.get("created")))
    except Exception:  # any file that is not a readable workbook of ours: not ours to replace
        return None


def write_templates(halls: Iterable[Hall], standard: Standard, out_dir: str | Path, year: int,
                    created: datetime | None = None, zip_by_city: bool = False,
                    rules: Rules | None = None) -> list[Path]:
    """Every hall's workbook (不参评 ones included, marked) into a folder of new ones; return the paths in register
    order. A different workbook already in the way is refused (:func:`issue_templates`), never replaced."""
    issued = issue_templates(halls, standard, out_dir, year, created, zip_by_city, rules, include_unrated=True)
    if issued.refused:
        from .errors import HallscoreError

        raise HallscoreError(f"已有内容不同的检查表(可能已填写),未覆盖:{issued.refused[0]};请换一个输出目录")
    return issued.paths


def zip_cities(paths: Iterable[Path], created: datetime) -> list[Path]:
    """One zip per city folder, next to it; members sorted and dated ``created`` so reruns give equal bytes."""
    by_city: dict[Path, list[Path]] = {}
    for path in paths:
        by_city.setdefault(Path(path).parent, []).append(Path(path))
    zips = []
    for folder in sorted(by_city):
        target = folder.with_name(folder.name + ".zip")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:  # xlsx is compressed already
            for path in sorted(by_city[folder]):
                zf.writestr(zipfile.ZipInfo(f"{folder.name}/{path.name}", created.timetuple()[:6]),
                            path.read_bytes())
        write_bytes_atomic(target, buffer.getvalue())
        zips.append(target)
    return zips


def write_master(standard: Standard, out_dir: str | Path) -> Path:
    """Write the blank master workbook of ``standard`` (no hall, no year, no date: reproducible content)."""
    path = master_path(Path(out_dir), standard)
    buffer = io.BytesIO()
    build_workbook(standard, None, None).save(buffer)
    write_bytes_atomic(path, buffer.getvalue())
    return path


# -- helpers -------------------------------------------------------------------------------------------

def _header(ws: Worksheet, headers: Sequence[str]) -> None:
    ws.append(list(headers))
    for cell in ws[wbk.HEADER_ROW]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.freeze_panes = f"A{wbk.HEADER_ROW + 1}"


def _total(ws: Worksheet, row: int, label: str, pts: object = None, score: object = None) -> None:
    """One subtotal row: label in 检查内容, figures under 分值 and 得分; 编号 stays empty."""
    cells = ((wbk.column_letter(wbk.ITEMS_HEADERS, "检查内容"), label),
             (wbk.column_letter(wbk.ITEMS_HEADERS, "分值"), pts),
             (wbk.column_letter(wbk.ITEMS_HEADERS, "得分"), score))
    for letter, value in cells:
        cell = ws[f"{letter}{row}"]
        cell.value = value
        cell.font = BOLD
        cell.fill = TOTAL_FILL


def _validate(ws: Worksheet, ref: str, dv: DataValidation) -> None:
    """Attach ``dv`` with the error and input messages switched on (openpyxl leaves them off)."""
    dv.allow_blank = True
    dv.showErrorMessage = True
    dv.showInputMessage = True
    dv.errorStyle = "stop"
    dv.add(ref)
    ws.add_data_validation(dv)


def _print_setup(ws: Worksheet, header: str) -> None:
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


def _text_width(text: str) -> int:
    """Width in Excel column units: a CJK character takes about two digit widths, and so do the quotes and
    dashes a Chinese font draws full width (“”‘’—…, U+2010-U+206F)."""
    return sum(2 if ord(ch) >= 0x2E80 or 0x2010 <= ord(ch) <= 0x206F else 1 for ch in text)


def _fit_rows(ws: Worksheet, first: int, last: int, widths: dict[str, float]) -> None:
    """Row heights for wrapped text: Excel and LibreOffice do not grow rows written by openpyxl."""
    for row in range(first, last + 1):
        lines = 1
        for letter, width in widths.items():
            value = ws[f"{letter}{row}"].value
            if isinstance(value, str) and not value.startswith("="):
                usable = max(1.0, width - 1.5)
                lines = max(lines, sum(max(1, math.ceil(_text_width(part) / usable)) for part in value.split("\n")))
        if lines > 1:
            ws.row_dimensions[row].height = LINE_HEIGHT * lines + 4


def _score_key(item: Item) -> str:
    if item.levels:  # one list per set of level names: the names are what the inspector picks
        names = "_".join(f"{ord(ch):x}" for ch in "|".join(lv.name for lv in item.levels))
        return "level_" + hashlib.sha256(names.encode()).hexdigest()[:10] + ("_na" if item.allow_na else "")
    return "score_" + plain(item.max_points).replace(".", "_") + ("_na" if item.allow_na else "")


def _mark_inputs(ws: Worksheet, first: int, last: int, inputs: Iterable[str], wrapped: Iterable[str]) -> None:
    """Shade and unlock the input columns of rows first..last; wrap the long-text columns."""
    for row in range(first, last + 1):
        for letter in inputs:
            ws[f"{letter}{row}"].fill = INPUT_FILL
            ws[f"{letter}{row}"].protection = UNLOCKED
        for letter in wrapped:
            ws[f"{letter}{row}"].alignment = WRAP


def _clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _letter(n: int) -> str:
    return get_column_letter(n)
