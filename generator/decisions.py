"""上报名单 as a round trip: the list workbook a province sends up, and the answer the higher level sends back.

``write_lists`` writes one workbook per province, one sheet per tier (优秀 for the group, 良好 for the province),
with 认定结果 (a 认定/不认定 dropdown), 理由, 认定人 and 认定日期 open and everything else locked, and a hidden
sheet recording what was issued (year, province, tier, quota, nominees) with a checksum. ``load_decisions`` reads
returned copies (files or folders) and refuses an edited or foreign one; ``resolve`` checks the decisions
against the year's own lists (only nominees, at most the quota) and turns them into the pins and bars that
tiering applies (standard.md, 逐级认定). A refused list raises ``DecisionError`` and nothing of the year changes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import EXCELLENT, GOOD, LIST_OWNER
from .errors import DecisionError
from .fsutil import write_bytes_atomic
from .numbers import number
from .reasons import Fact
from .textcell import cell_text

if TYPE_CHECKING:
    from .record import Shortlist

FOLDER = "上报名单"
ISSUED_SHEET = "签发记录"
HEADERS = ("排名", "厅编码", "厅名称", "得分", "认定结果", "理由", "认定人", "认定日期")
INPUTS = ("认定结果", "理由", "认定人", "认定日期")
RECOGNISE, REFUSE = "认定", "不认定"
HEADER_ROW, FIRST_ROW = 2, 3
LIST_TIERS = (EXCELLENT, GOOD)


@dataclass(frozen=True)
class Decision:
    """One decided row of a returned list."""

    year: int
    province: str
    tier: str
    hall_id: str
    result: str  # 认定 / 不认定
    reason: str
    decided_by: str
    date: str
    where: str  # file · sheet · row, for messages and the hall page


def checksum(year: int, province: str, tier: str, quota: int, nominees: Sequence[str]) -> str:
    text = "\n".join([str(year), province, tier, str(quota), ",".join(nominees)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- writing ---------------------------------------------------------------------------------------------

def write_lists(results: dict, folder: str | Path) -> list[Path]:
    """Write ``<folder>/<省>-上报名单.xlsx`` for every province with a list; byte-stable for the same results."""
    from .record import shortlists_from_json

    folder = Path(folder)
    by_province: dict[str, list[Shortlist]] = {}
    for entry in shortlists_from_json(results.get("shortlists", [])):  # the lists only: a few hundred rows
        by_province.setdefault(entry.scope, []).append(entry)
    paths = []
    for province, entries in sorted(by_province.items()):
        path = folder / list_file_name(province)
        write_bytes_atomic(path, list_workbook_bytes(results["year"], province, entries))
        paths.append(path)
    return paths


def list_workbook_bytes(year: int, province: str, entries: Sequence[Shortlist]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill, Protection
    from openpyxl.workbook.protection import WorkbookProtection
    from openpyxl.worksheet.datavalidation import DataValidation

    from .xlsxout import append_text_row, stable_bytes

    wb = Workbook()
    wb.remove(wb.active)
    record = wb.create_sheet(ISSUED_SHEET)
    append_text_row(record, ["等级", "年度", "省", "名额", "名单", "校验码"])
    for entry in entries:
        ids = [n.hall_id for n in entry.nominees]
        owner = LIST_OWNER.get(entry.tier, "")
        ws = wb.create_sheet(entry.tier)
        append_text_row(ws, [f"{year} 年 {province} {entry.tier}上报名单(差额):名额 {entry.quota} 个,上报 "
                   f"{entry.size} 个。由{owner}在“认定结果”列选择认定或不认定,并填写理由、认定人和认定日期;"
                   f"留空即未认定。认定不得超过名额。"])
        append_text_row(ws, list(HEADERS))
        for cell in ws[HEADER_ROW]:
            cell.font = Font(bold=True)
        for n in entry.nominees:
            append_text_row(ws, [n.rank, n.hall_id, n.name, number(n.final_score), None, None, None, None])
        last = FIRST_ROW + len(ids) - 1
        fill = PatternFill("solid", fgColor="FFF2CC")
        for row in range(FIRST_ROW, last + 1):
            for col in range(5, 9):
                cell = ws.cell(row=row, column=col)
                cell.protection = Protection(locked=False)
                cell.fill = fill
            ws.cell(row=row, column=8).number_format = "yyyy-mm-dd"
        if ids:
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
        if entry.needs_decision:
            append_text_row(ws, [f"并列于名单分界线、需裁定(不在名单内):{'、'.join(entry.needs_decision)}"])
        for letter, width in zip("ABCDEFGH", (8, 14, 30, 10, 12, 30, 12, 14)):
            ws.column_dimensions[letter].width = width
        ws.protection.sheet = True
        ws.protection.formatColumns = False
        ws.protection.formatRows = False
        append_text_row(record, [entry.tier, year, province, entry.quota, ",".join(ids),
                       checksum(year, province, entry.tier, entry.quota, ids)])
    record.sheet_state = "veryHidden"  # not offered by Excel's 取消隐藏
    record.protection.sheet = True
    wb.move_sheet(ISSUED_SHEET, offset=len(wb.sheetnames))
    wb.active = 0
    wb.security = WorkbookProtection(lockStructure=True)
    return stable_bytes(wb, year)


def list_file_name(province: str) -> str:
    """The file name of a province's list: ``<省>-上报名单.xlsx``."""
    return f"{_safe(province)}-{FOLDER}.xlsx"


def _safe(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|]', "_", name)


# -- reading returned lists ------------------------------------------------------------------------------

def decision_files(paths: Iterable[str | Path]) -> list[Path]:
    """The .xlsx files among ``paths`` (files, or folders searched recursively), in a fixed order."""
    found = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found += [p for p in path.rglob("*.xlsx") if not p.name.startswith(("~$", "."))]
        else:
            found.append(path)
    return sorted(set(found), key=lambda p: (p.name, str(p)))


def load_decisions(paths: Iterable[str | Path]) -> tuple[Decision, ...]:
    """Every decided row of every returned list; a list that is unreadable, edited or malformed is refused."""
    out: list[Decision] = []
    for path in decision_files(paths):
        out += _read_list(path)
    return tuple(sorted(out, key=lambda d: (d.year, d.province, d.tier, d.hall_id, d.result, d.where)))


def _read_list(path: Path) -> list[Decision]:
    from openpyxl import load_workbook

    from .container import side_workbook_fault

    fault = side_workbook_fault(path)  # bounded like a return, and a formula named, before openpyxl reads it
    if fault is not None:
        raise DecisionError(f"上报名单 {path.name}:{fault},整份退回")
    try:
        wb = load_workbook(path, data_only=True)
    except Exception as exc:  # zip/xml errors of a damaged or foreign file
        raise DecisionError(f"上报名单 {path.name}:无法读取({exc.__class__.__name__}),应为 hallscore 签发的 .xlsx") from exc
    if ISSUED_SHEET not in wb.sheetnames:
        raise DecisionError(f"上报名单 {path.name}:缺少签发记录,不是由 hallscore 签发的上报名单,整份退回")
    issued = {}
    for n, row in enumerate(wb[ISSUED_SHEET].iter_rows(min_row=2, values_only=True), 2):
        if not row or row[0] is None:
            continue
        tier, year, province, quota, ids, check = (list(row) + [None] * 6)[:6]
        year, quota = _whole(year), _whole(quota)  # a spreadsheet program may store 2025 as 2025.0
        ids_list = [x for x in str(ids or "").split(",") if x]
        if not (_is_int(year) and _is_int(quota)) or check != checksum(year, str(province), str(tier), quota,
                                                                       ids_list):
            raise DecisionError(f"上报名单 {path.name} 工作表 {ISSUED_SHEET} 第 {n} 行:签发记录与校验码不符"
                                f"(名单被改动过),整份退回")
        issued[str(tier)] = (year, str(province), quota, ids_list)
    out = []
    for tier, (year, province, _quota, ids) in sorted(issued.items()):
        if tier not in wb.sheetnames:
            raise DecisionError(f"上报名单 {path.name}:缺少工作表 {tier},整份退回")
        out += _read_sheet(path, wb[tier], tier, year, province, ids)
    return out


def _read_sheet(path: Path, ws: Any, tier: str, year: int, province: str, ids: list[str]) -> list[Decision]:
    header = [cell_text(c.value) for c in ws[HEADER_ROW]][: len(HEADERS)]
    if tuple(header) != HEADERS:
        raise DecisionError(f"上报名单 {path.name} 工作表 {tier} 第 {HEADER_ROW} 行:表头应为 {'、'.join(HEADERS)},"
                            f"名单被改动过,整份退回")
    col = {name: n for n, name in enumerate(HEADERS)}
    out = []
    for k, hall_id in enumerate(ids):
        row_no = FIRST_ROW + k
        row = [c.value for c in ws[row_no]] + [None] * len(HEADERS)
        where = f"{path.name} 工作表 {tier} 第 {row_no} 行"
        if cell_text(row[col["厅编码"]]) != hall_id:
            raise DecisionError(f"上报名单 {where}:厅编码应为签发时的 {hall_id},实为“{cell_text(row[col['厅编码']])}”,"
                                f"名单被改动过,整份退回")
        result = cell_text(row[col["认定结果"]])
        if not result:
            continue  # blank: no decision yet
        if result not in (RECOGNISE, REFUSE):
            raise DecisionError(f"上报名单 {where}:认定结果“{result}”不合法,应为{RECOGNISE}或{REFUSE}(留空为未认定)")
        fields = {name: cell_text(row[col[name]]) for name in ("理由", "认定人", "认定日期")}
        missing = [name for name, value in fields.items() if not value]
        if missing:
            raise DecisionError(f"上报名单 {where}:已填认定结果“{result}”,但缺少{'、'.join(missing)}")
        out.append(Decision(year, province, tier, hall_id, result, fields["理由"], fields["认定人"],
                            fields["认定日期"], where))
    for row_no in range(FIRST_ROW + len(ids), ws.max_row + 1):
        value = cell_text(ws.cell(row=row_no, column=col["认定结果"] + 1).value)
        if value:
            raise DecisionError(f"上报名单 {path.name} 工作表 {tier} 第 {row_no} 行:名单之外的行填了认定结果“{value}”,"
                                f"整份退回")
    return out


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _whole(value):
    return int(value) if isinstance(value, float) and value.is_integer() else value




# -- applying them ---------------------------------------------------------------------------------------

def resolve(decisions: Iterable[Decision], shortlists: list[dict], year: int,
            ) -> tuple[dict[str, tuple[str, Fact | str]], dict[str, dict[str, Fact | str]], dict[str, list[dict]]]:
    """Check the decisions against the year's lists; return ``(pins, bars, records by hall)``.

    Refused whole (``DecisionError``): a list of another year, a row naming a hall that is not a nominee of
    that province's list, two copies that disagree on a hall, or more 认定 than the list's quota.
    """
    lists = {(s["scope"], s["tier"]): s for s in shortlists}
    chosen: dict[tuple[str, str, str], Decision] = {}
    for d in decisions:
        if d.year != year:
            raise DecisionError(f"上报名单 {d.where}:这是 {d.year} 年的名单,本次生成的是 {year} 年,整份退回")
        entry = lists.get((d.province, d.tier))
        nominees = {n["hall_id"] for n in entry["nominees"]} if entry else set()
        if d.hall_id not in nominees:
            raise DecisionError(f"上报名单 {d.where}:厅编码 {d.hall_id} 不在 {year} 年{d.province}{d.tier}上报名单中"
                                f"(按回收的检查表计算),只能认定名单内的营业厅,整份退回")
        key = (d.province, d.tier, d.hall_id)
        other = chosen.get(key)
        if other is not None and other.result != d.result:
            raise DecisionError(f"上报名单 {d.where}:厅编码 {d.hall_id} 为“{d.result}”,与 {other.where} 的"
                                f"“{other.result}”矛盾,请只保留一份,整份退回")
        if other is None or d.where < other.where:
            chosen[key] = d
    for (province, tier), entry in sorted(lists.items()):
        yes = sorted((d for k, d in chosen.items() if k[:2] == (province, tier) and d.result == RECOGNISE),
                     key=lambda d: d.where)
        if len(yes) > entry["quota"]:
            raise DecisionError(f"上报名单 {yes[-1].where}:{province}{tier}认定 {len(yes)} 个,超过名额 {entry['quota']} 个,"
                                f"整份退回(认定的行:{';'.join(d.where for d in yes)})")
    pins: dict[str, tuple[str, Fact | str]] = {}
    bars: dict[str, dict[str, Fact | str]] = {}
    records: dict[str, list[dict]] = {}
    for (_province, tier, hall_id), d in sorted(chosen.items(), key=lambda kv: (kv[0][2], LIST_TIERS.index(kv[0][1]))):
        owner = LIST_OWNER[tier]
        said = Fact.of("list-said", owner=owner, decided_by=d.decided_by, date=d.date, result=d.result, tier=tier,
                       reason=d.reason, where=d.where)
        records.setdefault(hall_id, []).append({
            "tier": tier, "result": d.result, "by_level": owner, "decided_by": d.decided_by, "date": d.date,
            "reason": d.reason, "source": d.where})
        if d.result == RECOGNISE:
            if hall_id not in pins:  # 优秀 comes first: 认定 优秀 implies 良好
                pins[hall_id] = (tier, Fact.of("list-recognised", said=said, tier=tier))
        else:
            bars.setdefault(hall_id, {})[tier] = Fact.of("list-refused", said=said, tier=tier)
    return pins, bars, records
