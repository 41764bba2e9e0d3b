"""上报名单 as a round trip: what the list workbook issued to the level that answers it must hold (its sheet, cell
for cell, and the keyed digest over it; workbooks/lists.py writes the workbook), and that level's answer.

Each list is its own workbook (standard.md, 逐级认定): the province's 良好 list on a sheet named 良好, the group's
优秀 list on a sheet named 优秀. 认定结果 (a 认定/不认定 dropdown), 理由, 认定人 and 认定日期 are open, every other
cell is locked, and a very hidden sheet keeps a copy of every locked cell as issued with a digest keyed for the
answering level (installkey.py), which no answering level can recompute. ``load_decisions`` reads answered
copies (files or folders) and refuses, whole and named, a foreign, forged or edited one (a locked cell changed,
a formula, a sheet added, past the bounds of a return). ``settle`` matches the answers to the year's current
lists: an answer to a list that later returns changed is set aside (not fatal), of several answers to one list
the newest by 认定日期 applies.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter

from generator.errors import DecisionError
from generator.evaluate.tier_reasons import Fact
from generator.fs.installkey import digest_matches
from generator.rules.container_check import check_container
from generator.rules.terms import LIST_OWNER
from generator.why import why
from generator.xlsx.container import Limits
from generator.xlsx.reader import Budget, SheetTooLarge, read_grids
from generator.xlsx.textcell import cell_text

FOLDER = "上报名单"
ISSUED_SHEET = "签发记录"
HEADERS = ("排名", "厅编码", "厅名称", "得分", "认定结果", "理由", "认定人", "认定日期", "市", "级别", "检查轮次")
INPUTS = ("认定结果", "理由", "认定人", "认定日期")
INPUT_COLUMNS = range(4, 8)  # 0-based: E..H
META = ("等级", "年度", "范围", "答复层级", "名额", "名单人数", "上报", "校验码")
RECOGNISE, REFUSE = "认定", "不认定"
HEADER_ROW, FIRST_ROW = 2, 3
COPY_ROW = 4  # the hidden sheet's copy of the issued sheet starts here
MAX_LIST_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Decision:
    """One decided row of a returned list."""

    year: int
    province: str  # the list's scope (a province, or 全国 for a national 优秀 list)
    tier: str
    hall_id: str
    result: str  # 认定 / 不认定
    reason: str
    decided_by: str
    date: str
    where: str  # file · sheet · row, for messages and the hall page


@dataclass(frozen=True)
class Answer:
    """One answered list workbook: what was issued (its locked cells) and the rows the answering level filled."""

    file: str
    sha256: str
    year: int
    scope: str
    tier: str
    level: str
    quota: int
    grid: tuple[tuple[str, ...], ...]  # the locked cells as issued, as text
    nominees: int
    decisions: tuple[Decision, ...]

    @property
    def date(self) -> str:
        """The answer's date: its newest 认定日期 (newer answers to one list replace older ones)."""
        return max((d.date for d in self.decisions), default="")

    def issued_rows(self) -> dict[str, tuple[str, ...]]:
        """hall id → (排名, 得分) as issued."""
        return {row[1]: (row[0], row[3]) for row in self.grid[FIRST_ROW - 1:FIRST_ROW - 1 + self.nominees]}


# -- the issued sheet, cell for cell ---------------------------------------------------------------------

def sheet_rows(year: int, entry: Mapping[str, Any]) -> list[list[Any]]:
    """The list's sheet as issued (input cells empty): title, headers, nominees, notes."""
    owner = LIST_OWNER.get(entry["tier"], "")
    scope, tier = entry["scope"], entry["tier"]
    if entry.get("waiting") and not entry["nominees"]:
        title = (f"{year} 年 {scope} {tier}上报名单:待{'、'.join(entry['waiting'])}省公司答复良好上报名单后签发,"
                 f"目前没有可认定的营业厅(名额 {entry['quota']} 个)。")
    else:
        title = (f"{year} 年 {scope} {tier}上报名单(差额):名额 {entry['quota']} 个,上报 {entry['size']} 个。由{owner}"
                 f"公司在“认定结果”列选择认定或不认定,并填写理由、认定人和认定日期;留空即未认定。认定不得超过名额。")
    rows: list[list[Any]] = [[title], list(HEADERS)]
    for n in entry["nominees"]:
        rows.append([n["rank"], n["hall_id"], n["name"], n["final_score"], None, None, None, None,
                     n.get("city", ""), n.get("level", ""), n.get("round", "")])
    if entry.get("needs_decision"):
        rows.append([f"并列于名单分界线、需裁定(不在名单内):{'、'.join(entry['needs_decision'])}"])
    if entry.get("waiting") and entry["nominees"]:
        rows.append([f"尚待答复良好上报名单的省:{'、'.join(entry['waiting'])}(答复后名单可能改变)"])
    return rows


def grid_texts(rows: Iterable[Sequence[Any]]) -> tuple[tuple[str, ...], ...]:
    """Rows as text, trailing empty cells dropped, trailing empty rows dropped: how a grid is compared."""
    out = [tuple(_rstrip(tuple(cell_text(v) for v in row))) for row in rows]
    while out and not out[-1]:
        out.pop()
    return tuple(out)


def _rstrip(row: tuple[str, ...]) -> list[str]:
    cells = list(row)
    while cells and not cells[-1]:
        cells.pop()
    return cells


def list_grid(year: int, entry: Mapping[str, Any]) -> tuple[tuple[str, ...], ...]:
    """What an answer to ``entry`` must carry as its locked cells to answer it."""
    return grid_texts(sheet_rows(year, entry))


def digest_purpose(level: str) -> str:
    return f"上报名单/{level}"


def signed_payload(year: int, scope: str, tier: str, level: str, quota: int, size: int, nominees: int,
            grid: Sequence[Sequence[str]]) -> bytes:
    return json.dumps([year, scope, tier, level, quota, size, nominees, [list(r) for r in grid]],
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def list_file_name(scope: str, tier: str) -> str:
    """A list's file name: ``<省>-良好上报名单.xlsx`` (answered by the province), ``<省>-优秀上报名单.xlsx`` (the group)."""
    return f"{_safe(scope)}-{tier}{FOLDER}.xlsx"


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


def load_decisions(paths: Iterable[str | Path]) -> tuple[Answer, ...]:
    """Every answered list among ``paths``; one that is unreadable, foreign, forged or edited is refused."""
    out = [read_answer(path) for path in decision_files(paths)]
    return tuple(sorted(out, key=lambda a: (a.year, a.scope, a.tier, a.date, a.sha256)))


def read_answer(path: Path) -> Answer:
    name = path.name
    try:
        data = path.read_bytes() if path.stat().st_size <= MAX_LIST_BYTES else b""
    except OSError as exc:
        raise DecisionError(f"上报名单 {path}:无法读取({why(exc)}),请检查文件和权限") from None
    if not data:
        raise DecisionError(f"上报名单 {name}:文件为空或超过 {MAX_LIST_BYTES // 1024 // 1024} MB,不是 hallscore 签发的名单")
    errors = [p for p in check_container(path, name, Limits()) if p.severity == "error"]
    if errors:
        raise DecisionError(f"上报名单 {name}:{errors[0].message}")
    try:
        grids = read_grids(path, lambda: Budget(max_rows=20_000, max_cols=40, max_cells=400_000))
    except SheetTooLarge as exc:
        raise DecisionError(f"上报名单 {name} 工作表 {exc.sheet}:{exc.what_said} {exc.found},超过上限 {exc.limit},"
                            f"不是 hallscore 签发的名单,整份退回") from None
    except Exception as exc:  # zip/xml errors of a damaged or foreign file
        raise DecisionError(f"上报名单 {name}:无法读取({why(exc)}),应为 hallscore 签发的 .xlsx") from None
    if ISSUED_SHEET not in grids:
        raise DecisionError(f"上报名单 {name}:缺少签发记录,不是由 hallscore 签发的上报名单,整份退回")
    record = grids[ISSUED_SHEET]
    meta = [record.value(2, c + 1) for c in range(len(META))]
    tier, year, scope, level, quota, size, count, digest = meta
    year, quota, size, count = (_whole(v) for v in (year, quota, size, count))
    copy = grid_texts(record.rows[COPY_ROW - 1:])
    ok = (isinstance(tier, str) and tier in LIST_OWNER and LIST_OWNER[tier] == level and isinstance(scope, str)
          and all(_is_int(v) for v in (year, quota, size, count)) and isinstance(digest, str)
          and digest_matches(digest_purpose(str(level)), signed_payload(year, scope, tier, str(level), quota, size, count, copy),
                             digest))
    if not ok:
        raise DecisionError(f"上报名单 {name} 工作表 {ISSUED_SHEET}:签发记录与校验码不符(不是本机签发的名单,"
                            f"或签发记录被改动),整份退回;请在 hallscore 最新签发的名单上答复")
    extra = sorted(set(grids) - {tier, ISSUED_SHEET})
    if extra:
        raise DecisionError(f"上报名单 {name}:多出工作表 {'、'.join(extra)};这份名单只有{tier}工作表,"
                            f"由{level}公司答复,整份退回")
    if tier not in grids:
        raise DecisionError(f"上报名单 {name}:缺少工作表 {tier},整份退回")
    sheet = grids[tier]
    _check_locked(name, tier, sheet.rows, copy, count)
    decisions = _read_rows(name, tier, sheet, int(year), str(scope), copy, count)
    return Answer(name, hashlib.sha256(data).hexdigest(), int(year), str(scope), str(tier), str(level), int(quota), copy,
                  int(count), tuple(decisions))


def _cell_name(row: int, col: int) -> str:
    return f"{get_column_letter(col + 1)}{row + 1}"


def _check_locked(name: str, tier: str, rows: list[list[Any]], issued: tuple[tuple[str, ...], ...], count: int) -> None:
    """Every cell but the input cells of the nominee rows must read as issued; the first difference is named."""
    answer_rows = range(FIRST_ROW - 1, FIRST_ROW - 1 + count)
    height = max(len(rows), len(issued))
    for r in range(height):
        got = rows[r] if r < len(rows) else []
        want = issued[r] if r < len(issued) else ()
        for c in range(max(len(got), len(want))):
            value = got[c] if c < len(got) else None
            if r in answer_rows and c in INPUT_COLUMNS:
                if isinstance(value, str) and value.startswith("="):
                    raise DecisionError(f"上报名单 {name} 工作表 {tier} 单元格 {_cell_name(r, c)}"
                                        f"({HEADERS[c]}):是公式“{value[:40]}”,请直接填写文字或日期,整份退回")
                continue
            text = cell_text(value)
            expected = want[c] if c < len(want) else ""
            if text != expected:
                column = f"({HEADERS[c]})" if r >= HEADER_ROW - 1 and c < len(HEADERS) else ""
                what = "是公式" if isinstance(value, str) and value.startswith("=") else "被改动"
                raise DecisionError(f"上报名单 {name} 工作表 {tier} 单元格 {_cell_name(r, c)}{column}:锁定的单元格{what},"
                                    f"签发时为“{expected[:40]}”,现为“{text[:40]}”;请在签发的名单上只填写认定结果、理由、"
                                    f"认定人和认定日期,整份退回")


_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")


def _read_rows(name: str, tier: str, sheet: Any, year: int, scope: str, issued: tuple[tuple[str, ...], ...],
               count: int) -> list[Decision]:
    out = []
    for k in range(count):
        row_no = FIRST_ROW + k
        hall_id = issued[row_no - 1][1]
        where = f"{name} 工作表 {tier} 第 {row_no} 行"
        result = cell_text(sheet.value(row_no, 5))
        fields = {h: cell_text(sheet.value(row_no, c + 1)) for h, c in zip(INPUTS[1:], (5, 6, 7))}
        if not result:
            if any(fields.values()):
                raise DecisionError(f"上报名单 {where}:填了{'、'.join(h for h, v in fields.items() if v)},"
                                    f"但认定结果为空;请选择认定或不认定(或清空这一行),整份退回")
            continue  # blank: no decision yet
        if result not in (RECOGNISE, REFUSE):
            raise DecisionError(f"上报名单 {where}:认定结果“{result}”不合法,应为{RECOGNISE}或{REFUSE}(留空为未认定)")
        missing = [h for h, v in fields.items() if not v]
        if missing:
            raise DecisionError(f"上报名单 {where}:已填认定结果“{result}”,但缺少{'、'.join(missing)}")
        when = _DATE.fullmatch(fields["认定日期"])
        if when is None:
            raise DecisionError(f"上报名单 {where}:认定日期“{fields['认定日期']}”不是日期,请写成 2025-11-30 的样子")
        date = f"{int(when[1]):04d}-{int(when[2]):02d}-{int(when[3]):02d}"
        out.append(Decision(year, scope, tier, hall_id, result, fields["理由"], fields["认定人"], date, where))
    return out


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _whole(value: object) -> Any:  # an issued cell as read: checked by _is_int before use
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


# -- applying them ---------------------------------------------------------------------------------------

@dataclass
class Settled:
    """The answers that apply to the current lists, and what was done with every answer read."""

    applied: dict[tuple[str, str], Answer] = field(default_factory=dict)  # (scope, tier) → the answer
    outcomes: list[dict[str, Any]] = field(default_factory=list)


def settle(answers: Iterable[Answer], lists: Iterable[dict[str, Any]], year: int, tier: str,
           deciding: Mapping[str, tuple[str, str]]) -> Settled:
    """Match the answers to the ``tier`` lists as they stand now (``lists``).

    An answer whose locked cells are not the current list's (later returns changed a candidate, a score, the
    order) is set aside with the halls and returns that changed it; of several answers to one list the newest
    by 认定日期 applies. Refused whole (``DecisionError``): a list of another year, two answers of one date that
    disagree. ``deciding``: hall id → (its deciding score as text, its deciding return's file), to say which
    returns changed a list.
    """
    current = {(e["scope"], e["tier"]): e for e in lists if e["tier"] == tier}
    done = Settled()
    matching: dict[tuple[str, str], list[Answer]] = {}
    for a in answers:
        if a.tier != tier:
            continue
        if a.year != year:
            raise DecisionError(f"上报名单 {a.file}:这是 {a.year} 年的名单,本次生成的是 {year} 年,整份退回")
        entry = current.get((a.scope, a.tier))
        if entry is None or list_grid(year, entry) != a.grid:
            done.outcomes.append(_set_aside(a, entry, deciding))
        elif not a.decisions:
            done.outcomes.append(_outcome(a, "empty", "名单上没有填写任何认定结果,未采用"))
        else:
            matching.setdefault((a.scope, a.tier), []).append(a)
    for key, group in sorted(matching.items()):
        group.sort(key=lambda a: (a.date, a.sha256))
        newest = group[-1]
        for other in group[:-1]:
            if other.date == newest.date and _said(other) != _said(newest):
                raise DecisionError(f"上报名单 {other.file} 与 {newest.file}:同一份{key[0]}{tier}上报名单的两份答复,"
                                    f"认定日期同为 {newest.date},认定结果却不同;请只交回其中一份,整份退回")
            done.outcomes.append(_outcome(other, "replaced", f"被认定日期更新的答复 {newest.file}({newest.date})取代"))
        done.applied[key] = newest
        done.outcomes.append(_outcome(newest, "applied", ""))
    return done


def _said(a: Answer) -> tuple[tuple[str, str, str, str, str], ...]:
    return tuple((d.hall_id, d.result, d.reason, d.decided_by, d.date) for d in a.decisions)


def _outcome(a: Answer, status: str, reason: str, changed_by: Sequence[str] = ()) -> dict[str, Any]:
    return {"file": a.file, "sha256": a.sha256, "scope": a.scope, "tier": a.tier, "level": a.level, "date": a.date,
            "status": status, "recognised": sum(1 for d in a.decisions if d.result == RECOGNISE),
            "refused": sum(1 for d in a.decisions if d.result == REFUSE), "why": reason, "changed_by": list(changed_by)}


def _set_aside(a: Answer, entry: Mapping[str, Any] | None, deciding: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    again = f"请{a.level}公司在新签发的 {list_file_name(a.scope, a.tier)} 上重新答复"
    if entry is None:
        return _outcome(a, "set-aside", f"本年度已没有{a.scope}{a.tier}上报名单,答复未采用;{again}")
    before = a.issued_rows()
    now = {n["hall_id"]: (cell_text(n["rank"]), cell_text(n["final_score"])) for n in entry["nominees"]}
    added = sorted(set(now) - set(before))
    removed = sorted(set(before) - set(now))
    moved = sorted(h for h in set(now) & set(before) if now[h] != before[h])
    parts = [f"{label} {'、'.join(ids)}" for label, ids in (("新增", added), ("移出", removed),
                                                           ("得分或排名变化", moved)) if ids]
    # The returns behind it: halls listed before whose deciding score is no longer the one signed (or that left
    # the list), else the halls that came onto it; a hall that only moved a rank is not a cause.
    causes = [h for h in removed + moved if deciding.get(h, ("", ""))[0] != before[h][1] or h in removed]
    changed = sorted({deciding[h][1] for h in (causes or added) if deciding.get(h, ("", ""))[1]})
    what = ";".join(parts) if parts else "名单说明变化(名额、并列或待答复的省)"
    by = f";涉及检查表 {'、'.join(changed)}" if changed else ""
    return _outcome(a, "set-aside", f"答复的是此前签发的名单,此后名单已改变({what}{by}),答复未采用;{again}",
                    changed)


def list_records(answer: Answer) -> dict[str, dict[str, str]]:
    """hall id → the record of its row in an applied answer (the hall page shows it)."""
    owner = LIST_OWNER[answer.tier]
    return {d.hall_id: {"tier": d.tier, "result": d.result, "by_level": owner, "decided_by": d.decided_by,
                        "date": d.date, "reason": d.reason, "source": d.where} for d in answer.decisions}


def list_fact(record: Mapping[str, str]) -> Fact:
    said = Fact.of("list-said", owner=record["by_level"], decided_by=record["decided_by"], date=record["date"],
                   result=record["result"], tier=record["tier"], reason=record["reason"], where=record["source"])
    return Fact.of("list-recognised" if record["result"] == RECOGNISE else "list-refused", said=said,
                   tier=record["tier"])
