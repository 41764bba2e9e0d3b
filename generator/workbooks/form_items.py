"""The 检查表 sheet of an inspector workbook: one row per item of the standard, then live subtotals.

Each score cell takes its values from a dropdown and says the item's 评分标准 when selected; a lost point without a
reason turns red. The subtotals below the items (编号 left empty, so intake skips them) are for the inspector
only: hallscore never trusts them and scores the inputs again.
"""

from __future__ import annotations

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from generator.numbers import number, plain
from generator.rules import contract as wbk
from generator.rules.standard import Item, Standard
from generator.rules.year_rules import Rules
from generator.workbooks.form_cells import (
    ALERT_FILL,
    BOLD,
    HEADER_FILL,
    INPUT_FILL,
    LINE_HEIGHT,
    TITLE_LIMIT,
    TOTAL_FILL,
    UNLOCKED,
    WRAP,
    add_validation,
    clip,
    column_name,
    fit_rows,
    score_list_key,
    write_header,
    write_total,
)

# Print layout: portrait A4 holds about 75 column units at 100 % (LibreOffice), so widths stay near that and
# fit-to-width shrinks little.
ITEM_WIDTHS = dict(zip("ABCDEFGH", (5, 7, 22, 25, 5, 6, 5, 13)))


def write_items_sheet(ws: Worksheet, standard: Standard, lists: dict[str, str], rules: Rules) -> str:
    """Write the 检查表 sheet; return the reference of its 预计最终得分 cell (the 封面 shows it)."""
    write_header(ws, wbk.ITEMS_HEADERS)
    for item in standard.items:
        ws.append([item.id, item.section, item.text, item.guidance, number(item.max_points),
                   "是" if item.allow_na else "否", None, None])
    first, last = wbk.HEADER_ROW + 1, ws.max_row
    col = {name: wbk.column_letter(wbk.ITEMS_HEADERS, name) for name in wbk.ITEMS_HEADERS}
    pts, score, reason = col["分值"], col["得分"], col["扣分原因"]
    for row, item in zip(range(first, last + 1), standard.items):
        _item_inputs(ws, row, item, col, lists, rules)
    got = _level_points(ws, standard, first, last, score)
    # Lost points without a reason turn red (intake rejects them as reason-missing).
    ws.conditional_formatting.add(
        f"{reason}{first}:{reason}{last}",
        FormulaRule(formula=[f'AND(ISNUMBER(${got}{first}),${got}{first}<${pts}{first},'
                             f'LEN(TRIM(${reason}{first}))=0)'], fill=ALERT_FILL))
    section_rows, total = _subtotals(ws, standard, col, first, last, got)
    row = _final_lines(ws, standard, rules, col, section_rows, total)
    for r in range(total + 1, row + 1):
        ws[f"{score}{r}"].number_format = "0.0"
    for r in range(last + 2, row + 1):  # labels such as 加分(合计上限 5 分,见“加分扣分”) wrap in their cell
        ws[f"{col['检查内容']}{r}"].alignment = WRAP
    fit_rows(ws, last + 3, row, {col["检查内容"]: ITEM_WIDTHS[col["检查内容"]]})
    for letter, width in ITEM_WIDTHS.items():
        ws.column_dimensions[letter].width = width
    ws.row_dimensions[wbk.HEADER_ROW].height = 30
    fit_rows(ws, first, last, {letter: ITEM_WIDTHS[letter] for letter in (col["环节"], col["检查内容"], col["评分标准"])})
    return f"'{wbk.SHEET_ITEMS}'!${score}${row}"


def _item_inputs(ws: Worksheet, row: int, item: Item, col: dict[str, str], lists: dict[str, str],
                 rules: Rules) -> None:
    """One item's row: its input cells shaded and unlocked, every cell wrapped, its score's dropdown."""
    score = col["得分"]
    for name in ("得分", "扣分原因"):
        cell = ws[f"{col[name]}{row}"]
        cell.fill = INPUT_FILL
        cell.protection = UNLOCKED
    for name in ("编号", "环节", "检查内容", "评分标准", "分值", "可填不适用", "得分", "扣分原因"):
        ws[f"{col[name]}{row}"].alignment = WRAP
    na = ",或选“不适用”" if item.allow_na else "(本项不可填“不适用”)"
    if item.levels:
        scale = ",".join(f"{lv.name} {plain(lv.points)} 分" for lv in item.levels)
        add_validation(ws, f"{score}{row}", DataValidation(
            type="list", formula1=lists[score_list_key(item)], errorTitle="评定无效",
            error=clip(f"{item.id} 请从下拉列表中选择等级:{'/'.join(lv.name for lv in item.levels)}{na}。"),
            promptTitle=clip(f"{item.id} 评分标准(满分 {plain(item.max_points)})", TITLE_LIMIT),
            prompt=clip(f"{item.guidance or item.text}(折合:{scale})")))
        return
    add_validation(ws, f"{score}{row}", DataValidation(
        type="list", formula1=lists[score_list_key(item)], errorTitle="得分无效",
        error=clip(f"{item.id} 的得分应为 0 至 {plain(item.max_points)} 分,步长 "
                   f"{plain(rules.score_step)} 分{na}。请从下拉列表中选择。"),
        promptTitle=clip(f"{item.id} 评分标准(满分 {plain(item.max_points)})", TITLE_LIMIT),
        prompt=clip(item.guidance or item.text)))


def _level_points(ws: Worksheet, standard: Standard, first: int, last: int, score: str) -> str:
    """The column the totals add up: the score, or for a standard with level-rated items a column beside the
    items giving the points each chosen level stands for."""
    if not standard.has_levels:
        return score
    got = column_name(len(wbk.ITEMS_HEADERS) + 1)
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
    return got


def _subtotals(ws: Worksheet, standard: Standard, col: dict[str, str], first: int, last: int,
               got: str) -> tuple[list[tuple[str, int]], int]:
    """Live subtotals by section and the 合计 row below the items: ``([(section, its row)], the 合计 row)``."""
    sec, pts, score = col["环节"], col["分值"], col["得分"]

    def rng(c: str) -> str:
        return f"${c}${first}:${c}${last}"

    row = last + 2
    # The heading's note goes in the wide 评分标准 column and 适用分值 wraps in its narrow one: written as one
    # long label it ran under the 适用分值 heading.
    write_total(ws, row, "各环节小计", pts="适用\n分值", score="得分")
    note = ws[f"{col['评分标准']}{row}"]
    note.value, note.fill = "仅供参考:不适用项不计入分值;系统按填写内容重新计算", TOTAL_FILL
    for letter in (col["检查内容"], col["评分标准"], pts, score):
        ws[f"{letter}{row}"].alignment = WRAP
    ws.row_dimensions[row].height = LINE_HEIGHT * 2 + 5
    section_rows = []
    for section in standard.sections:
        row += 1
        section_rows.append((section, row))
        write_total(ws, row, f"小计:{section}" + (f"(权重 {plain(standard.weight(section))})" if standard.weighted else ""),
                    pts=f'=SUMIFS({rng(pts)},{rng(sec)},"{section}",{rng(score)},"<>{wbk.NOT_APPLICABLE}")',
                    score=f'=SUMIF({rng(sec)},"{section}",{rng(got)})')
    row += 1
    write_total(ws, row, "合计(仅供参考,不含不适用项)",
                pts=f'=SUMIF({rng(score)},"<>{wbk.NOT_APPLICABLE}",{rng(pts)})', score=f"=SUM({rng(got)})")
    return section_rows, row


def _final_lines(ws: Worksheet, standard: Standard, rules: Rules, col: dict[str, str],
                 section_rows: list[tuple[str, int]], total: int) -> int:
    """基础分, 加分, 扣分 and 预计最终得分 below the 合计 row, as the scoring computes them; return the last row."""
    pts, score = col["分值"], col["得分"]
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
    row = total
    for label, formula in lines:
        row += 1
        write_total(ws, row, label, score=formula)
    return row
