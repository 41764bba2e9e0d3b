"""Downloads: a year's results as .xlsx, national and per province, with the 上报名单 when the year has one.

Files are written with openpyxl's write-only mode (rows stream: a national year has a row per hall) through
:mod:`generator.xlsx.write`, so strings stay text and the same results give the same bytes.

Made to be used as opened: bold frozen header with a filter, column widths, number formats, a rank column
(last, so the columns before it keep their places) and a 说明 sheet saying what each column means.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from generator.evaluate.application import IMPROVED, PROGRESSED
from generator.model import HallRow, Shortlist
from generator.numbers import number
from generator.rules.contract import ROUNDS
from generator.rules.regions import province_slug
from generator.rules.terms import EXCELLENT, GOOD, LEVELS, RATED, RECOGNISED_ORDER, owners_said
from generator.xlsx.rows import RowReuse, plain, probe_row, rows_xml, splice, style_id
from generator.xlsx.write import stable_bytes, stable_zip, write_only_row

HALL_HEADERS = ["厅编码", "厅名称", "省", "市", "区县", "级别", "类型", "定级轮次", "服务等级", "定级说明", "需裁定",
                "最终得分", "基础分", "加分", "扣分", "自评差值", "已认定等级", "待认定"]
SHORTLIST_HEADERS = ["范围", "等级", "名额", "名单人数", "名次", "厅编码", "厅名称", "最终得分", "认定结果", "已认定"]
RANK_HEADER = "排名"
# Widths in Excel units per header; a section rate column gets SECTION_WIDTH.
WIDTHS = {"厅编码": 11, "厅名称": 24, "省": 8, "市": 8, "区县": 10, "级别": 6, "类型": 7, "定级轮次": 10, "已认定等级": 10, "待认定": 7, "认定结果": 9, "已认定": 7,
          "服务等级": 9, "定级说明": 40, "需裁定": 7, "最终得分": 9, "基础分": 8, "加分": 6, "扣分": 6,
          "自评差值": 9, RANK_HEADER: 6, "范围": 8, "等级": 7, "名额": 6, "名单人数": 9, "名次": 6}
SECTION_WIDTH = 12
SCORE_FORMAT = "0.0"
SCORE_HEADERS = {"最终得分", "基础分", "加分", "扣分", "自评差值"}
HEADER_FONT, HEADER_FILL = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
# A cell as written: text, a number as results.json holds it, or empty.
Cell = int | float | str | None
Row = list[Cell]
# A table's row: its cells, or (reused from the last build) its XML, UTF-8.
TableRow = Row | bytes
RankKey = tuple[int, int, Decimal | None]

NOTES = (
    ("营业厅", "每个营业厅一行,顺序与营业厅清单一致;第一行为表头,已冻结并可筛选。"),
    ("最终得分", "基础分 + 加分 − 扣分,最低 0 分;保留一位小数(四舍五入)。未检查的营业厅为空。"),
    ("基础分", "100 × 适用检查项得分之和 ÷ 适用检查项分值之和;评价标准设了环节权重时按权重折算(见评价方法页)。"),
    ("自评差值", f"定级轮次得分减{ROUNDS[0]}得分;只有{ROUNDS[0]}和上级认定都有的营业厅才有。"),
    ("需裁定", "“是”表示并列处在名额分界线上,等待记录在案的裁定。"),
    ("各环节得分率(%)", "该环节得分占适用分值的百分比。"),
    (RANK_HEADER, "参评营业厅的名次:先按已认定等级,再按规则等级(一票否决为不达标),再按最终得分从高到低"
                  "(全国表为全国名次,分省表为本省名次);完全相同的同名次,未检查和不参评的为空。"),
    ("已认定等级", f"该等级已由其认定单位认定({owners_said()});为空表示尚无认定。"),
    ("待认定", f"还需哪一级认定({'、'.join(LEVELS[:-1])}或{LEVELS[-1]});为空表示已认定完毕或不参与定级。"),
    ("上报名单", f"各省按排名取名额 ×(1 + 差额比例)个已经{ROUNDS[1]}的营业厅上报;“认定结果”为上级答复的认定或不认定。"),
)


def hall_rows(halls: Iterable[HallRow], section_names: Sequence[str]) -> Iterator[Row]:
    # Scores go in as results.json holds them (int when whole, else float): the same cells as ever.
    for h in halls:
        row: Row = [h.hall_id, h.name, h.province, h.city, h.district, h.level, h.type, h.round,
               h.tier, h.tier_reason, "是" if h.needs_decision else "",
               number(h.final_score), number(h.base_score), number(h.bonus), number(h.deduction), number(h.self_gap),
               h.confirmed_tier or "", f"待{h.awaiting}认定" if h.awaiting else "",
               *(_cell(h.sections.get(name)) for name in section_names)]
        yield row


def shortlist_rows(shortlists: Iterable[Shortlist] | None, scope: str | None = None) -> Iterator[Row]:
    for s in shortlists or ():
        if scope is not None and s.scope != scope:
            continue
        for n in s.nominees:
            yield [s.scope, s.tier, s.quota, s.size, n.rank, n.hall_id,
                   n.name, number(n.final_score), n.decision or "", "是" if n.confirmed else "否"]


def _cell(value: Decimal | str | None) -> int | float | str | None:
    if value is None:
        return None
    return number(value) if isinstance(value, Decimal) else str(value)


_TIER_RANK = {tier: n for n, tier in enumerate(RECOGNISED_ORDER)}


def _rank_key(h: HallRow) -> RankKey:
    """Recognised tier, then rule tier (a vetoed hall's is 不达标), then final score: larger is better."""
    return (_TIER_RANK.get(h.confirmed_tier or "", -1), _TIER_RANK[h.tier], h.final_score)


def ranks(halls: Sequence[HallRow]) -> list[int | None]:
    """Competition ranks (1, 2, 2, 4) of the rated halls with a score, by :func:`_rank_key`; None for the others
    (不参评 and 未检查 halls are not ranked, whatever they scored)."""
    each = [_rank_key(h) if h.tier in _TIER_RANK and h.final_score is not None else None for h in halls]
    first: dict[RankKey, int] = {}
    for n, key in enumerate(sorted((k for k in each if k is not None), reverse=True), 1):
        first.setdefault(key, n)
    return [None if key is None else first[key] for key in each]


def _table(ws: Any, headers: list[str], rows: Sequence[TableRow], formats: dict[int, str],
           splices: dict[Any, bytes] | None = None) -> None:
    """Header (bold, frozen, filtered), widths and number formats; set before the first row (write-only).
    With ``splices``, the data rows are serialized directly (xlsx/rows.py) and spliced in when saved."""
    for n, header in enumerate(headers, 1):
        ws.column_dimensions[get_column_letter(n)].width = WIDTHS.get(header, SECTION_WIDTH)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
    head = []
    for header in headers:
        cell = WriteOnlyCell(ws, header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="center")
        head.append(cell)
    ws.append(head)
    if splices is not None and _fast_rows(ws, rows, formats, splices):
        return
    for row in rows:
        out = write_only_row(ws, row)
        for col, fmt in formats.items():
            value = out[col]
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                cell = WriteOnlyCell(ws, value)
                cell.number_format = fmt
                out[col] = cell
        ws.append(out)


def _fast_rows(ws: Any, rows: Sequence[TableRow], formats: dict[int, str], splices: dict[Any, bytes]) -> bool:
    """Rows as xlsx/rows.py writes them (the same bytes as openpyxl's), when they hold only text and numbers
    with at most one number format; False: openpyxl is to write them."""
    if not rows:
        return True
    if len(set(formats.values())) > 1:
        return False
    styled = plain(rows, formats)
    if styled is None:
        return False
    fmt = next(iter(formats.values())) if styled else None
    ws.append(probe_row(ws, fmt))
    splices[ws] = rows_xml(rows, formats, style_id(ws, fmt) if fmt else "")
    return True


def _save(wb: Any, year: int, splices: dict[Any, bytes] | None, sheets: dict[Any, SheetNote] | None = None) -> bytes:
    """stable_bytes, with the directly serialized rows put in place of each sheet's probe row; ``sheets``:
    a sheet whose final bytes are wanted → the function given its part name and bytes."""
    if not splices:
        return stable_bytes(wb, year)
    buffer = io.BytesIO()
    wb.save(buffer)  # gives each sheet its part name (ws.path)
    rewrite: dict[str, Callable[[bytes], bytes]] = {}
    for ws, xml in splices.items():
        part = ws.path.lstrip("/")
        rewrite[part] = partial(splice, rows=xml)
        if sheets and ws in sheets:
            rewrite[part] = partial(_noted, rewrite[part], partial(sheets[ws], part))
    return stable_zip(buffer.getvalue(), year, rewrite)


# Told a sheet's part name, then given its final bytes (what RowReuse saves for the next build).
SheetNote = Callable[[str, bytes], None]


def _noted(make: Callable[[bytes], bytes], note: Callable[[bytes], None], body: bytes) -> bytes:
    body = make(body)
    note(body)
    return body


def _hall_table_rows(halls: Sequence[HallRow], section_names: Sequence[str], reuse: RowReuse | None,
                     context: str, sheets: dict[Any, SheetNote], ws: Any) -> list[TableRow]:
    """The 营业厅 rows with their ranks; with ``reuse``, the rows whose hall and rank are as at the last
    build are the XML saved then (xlsxrows.RowReuse), and only the others are made."""
    order = ranks(halls)
    if reuse is None:
        return [row + [rank] for row, rank in zip(hall_rows(halls, section_names), order)]
    context, keys = reuse.keys(order, context)
    sheets[ws] = partial(reuse.saved, context, keys)
    kept = reuse.kept(context, keys)
    fresh = [n for n, xml in enumerate(kept) if xml is None]
    made = dict(zip(fresh, hall_rows([halls[n] for n in fresh], section_names)))
    return [xml if xml is not None else made[n] + [order[n]] for n, xml in enumerate(kept)]


def workbook_bytes(year: int, halls: Sequence[HallRow] | None, section_names: Sequence[str],
                   shortlists: Sequence[Shortlist] | None = None, scope: str | None = None,
                   fast: bool = True, reuse: RowReuse | None = None) -> bytes:
    """One results workbook: sheet 营业厅 (one row per hall; none when ``halls`` is None), when present
    sheet 上报名单, and 说明. ``fast=False``: openpyxl writes every row (same bytes; the tests' reference).
    ``reuse``: the 营业厅 rows of the last build whose halls did not change are taken from it (same bytes)."""
    wb = Workbook(write_only=True)
    splices: dict[Any, bytes] | None = {} if fast else None
    sheets: dict[Any, SheetNote] = {}
    if halls is not None:
        ws = wb.create_sheet("营业厅")
        headers = HALL_HEADERS + [f"{name}得分率(%)" for name in section_names] + [RANK_HEADER]
        formats = {n: SCORE_FORMAT for n, h in enumerate(headers) if h in SCORE_HEADERS or h.endswith("(%)")}
        context = repr([headers, sorted(formats.items())])
        rows = _hall_table_rows(halls, section_names, reuse if fast else None, context, sheets, ws)
        if any(type(row) is bytes for row in rows) and plain(rows, formats) is None:
            rows = _hall_table_rows(halls, section_names, None, context, sheets, ws)  # openpyxl writes them all
            sheets.clear()
        _table(ws, headers, rows, formats, splices)
    rows = list(shortlist_rows(shortlists, scope))
    if rows:
        _table(wb.create_sheet("上报名单"), SHORTLIST_HEADERS, rows, {SHORTLIST_HEADERS.index("最终得分"): SCORE_FORMAT},
               splices)
    notes = wb.create_sheet("说明")
    notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = 18, 90
    title = WriteOnlyCell(notes, f"{year} 年营业厅服务评价结果" + (f"({scope})" if scope else ""))
    title.font = Font(bold=True, size=13)
    notes.append([title])
    for label, text in NOTES:
        cell = WriteOnlyCell(notes, label)
        cell.font = HEADER_FONT
        notes.append([cell, text])
    return _save(wb, year, splices, sheets)


SHORTLIST_NAME = "shortlist-{year}.xlsx"


def export_name(year: int, scope: str | None = None) -> str:
    return f"results-{year}.xlsx" if scope is None else f"results-{year}-{province_slug(scope)}.xlsx"


# -- 结果应用 (application.py) --------------------------------------------------------------------------

ASSESSMENT_HEADERS = ["省", "参评厅数", *RATED, f"已认定{EXCELLENT}", f"已认定{GOOD}", "达标率(%)",
                      "检查覆盖率(%)", "平均得分", "平均得分变化", "达标率变化(百分点)", IMPROVED, "待重报", PROGRESSED]
REWARD_HEADERS = ["省", "厅编码", "厅名称", "市", "按规则等级", "已认定等级", "奖惩", "说明"]
ELIGIBLE_HEADERS = ["省", "厅编码", "厅名称", "市", "已认定等级", "最终得分"]


def application_name(year: int, scope: str | None = None) -> str:
    return f"application-{year}.xlsx" if scope is None else f"application-{year}-{province_slug(scope)}.xlsx"


REWARDS_TITLE = "划小承包奖惩清单"


def reward_rows(application: Mapping[str, Any], provinces: Iterable[str]) -> list[Row]:
    """The 划小承包奖惩清单 rows of ``provinces``, in their order."""
    return [[province, r["hall_id"], r["name"], r["city"], r["tier"], r["confirmed_tier"] or "",
             r["consequence"], r["note"]]
            for province in provinces for r in application["rewards"].get(province, [])]


def application_bytes(year: int, application: Mapping[str, Any], provinces: Iterable[str], fast: bool = True,
                      reuse: RowReuse | None = None) -> bytes:
    """省公司服务考核, 划小承包奖惩清单 and 创先评优 of ``provinces`` as one workbook; text stays text. ``reuse``
    (its digests one per :func:`reward_rows` row): the 奖惩 rows as at the last build are taken from it."""
    wb = Workbook(write_only=True)
    splices: dict[Any, bytes] | None = {} if fast else None
    sheets: dict[Any, SheetNote] = {}
    provinces = list(provinces)
    wanted = set(provinces)
    assessment = [[r["province"], r["tiered"]] + [r["counts"][t] for t in RATED]
                  + [r["recognised"][EXCELLENT], r["recognised"][GOOD], r["pass_rate"], r["coverage"], r["average"],
                     r["average_change"], r["pass_rate_change"], "是" if r["improved"] else "",
                     r["progress"]["open_rejections"], "是" if r["progress"]["passed"] else ""]
                  for r in application["assessment"] if r["province"] in wanted]
    rewards = reward_rows(application, provinces)
    eligible = [[h.province, h.hall_id, h.name, h.city, h.confirmed_tier, number(h.final_score)]
                for h in application["eligible"] if h.province in wanted]
    for title, headers, rows in (("省公司服务考核", ASSESSMENT_HEADERS, assessment),
                                 (REWARDS_TITLE, REWARD_HEADERS, rewards), ("创先评优", ELIGIBLE_HEADERS, eligible)):
        ws = wb.create_sheet(title)
        ws.append(headers)
        table: Sequence[TableRow] = rows
        if reuse is not None and splices is not None and title == REWARDS_TITLE:
            table = _kept_rows(rows, reuse, repr(headers), partial(sheets.__setitem__, ws))
        if splices is not None and _fast_rows(ws, table, {}, splices):
            continue
        for row in rows:
            ws.append(write_only_row(ws, row))
    return _save(wb, year, splices, sheets)


def _kept_rows(rows: list[Row], reuse: RowReuse, context: str, note: Callable[[SheetNote], None]) -> list[TableRow]:
    """``rows`` with those as at the last build taken from it (xlsxrows.RowReuse: same row, same place); ``note``
    is given what wants the saved sheet (the memo entry for the next build)."""
    context, keys = reuse.keys([""] * len(rows), context)
    kept = reuse.kept(context, keys)
    table: list[TableRow] = [row if xml is None else xml for row, xml in zip(rows, kept, strict=True)]
    if any(type(row) is bytes for row in table) and plain(table, {}) is None:
        return list(rows)  # a row openpyxl is to write: it writes them all
    note(partial(reuse.saved, context, keys))
    return table
