"""Recorded decisions (裁定): an overrides file places 需裁定 halls or changes a tier, after the rules.

The file is YAML (a list of mappings, or ``{overrides: [...]}``) or .xlsx (first sheet, a header row). Columns,
in Chinese or English: 厅编码/hall_id, 档次/tier, 理由/reason, 裁定人/decided_by, 日期/date — all required.
A decision is refused as a whole (``OverrideError``) when it names an unknown hall, a hall that is not tiered
(不参评/未检查), lifts a vetoed hall, repeats a hall, or would leave a capped tier over its quota.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import EXCELLENT, FAIL, GOOD, NOT_INSPECTED, NOT_RATED, PASS
from .errors import OverrideError
from .reasons import Fact, said_with_ranks
from .textcell import cell_text
from .tiering import quota_use
from .yamlsafe import load_yaml

if TYPE_CHECKING:
    from .config import Config
    from .register import Hall
    from .tiering import Candidate, Placement

DECIDABLE = (EXCELLENT, GOOD, PASS, FAIL)
COLUMNS = {  # canonical field → accepted headers
    "hall_id": ("厅编码", "hall_id"),
    "tier": ("档次", "tier"),
    "reason": ("理由", "reason"),
    "decided_by": ("裁定人", "decided_by"),
    "date": ("日期", "date"),
}


@dataclass(frozen=True)
class Override:
    hall_id: str
    tier: str
    reason: str
    decided_by: str
    date: str
    where: str  # file and row, for messages


def load_overrides(path: str | Path) -> tuple[Override, ...]:
    """Read an overrides file; every row must carry all five fields."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".yaml", ".yml"):
            rows = _yaml_rows(path)
        elif suffix == ".xlsx":
            rows = _xlsx_rows(path)
        else:
            raise OverrideError(f"裁定文件 {path} 应为 .yaml、.yml 或 .xlsx 文件")
    except OverrideError:
        raise
    except Exception as exc:  # yaml/openpyxl/zip errors on a damaged file
        raise OverrideError(f"无法读取裁定文件 {path}:{exc}") from exc
    out, problems = [], []
    for where, raw in rows:
        fields = {}
        for key, names in COLUMNS.items():
            value = next((raw[n] for n in names if n in raw and raw[n] is not None), None)
            fields[key] = cell_text(value)
        missing = [COLUMNS[k][0] for k, v in fields.items() if not v]
        if missing:
            problems.append(f"裁定文件 {path} {where}:缺少{'、'.join(missing)}(每条裁定须写明厅编码、档次、"
                            f"理由、裁定人和日期)")
        elif fields["tier"] not in DECIDABLE:
            problems.append(f"裁定文件 {path} {where}:档次“{fields['tier']}”不合法,应为{'、'.join(DECIDABLE)}之一")
        else:
            out.append(Override(where=f"{path.name} {where}", **fields))
    _refuse(problems)
    return tuple(out)


def _refuse(problems: list[str]) -> None:
    """Every bad row at once: one message, one row per line, so the file is fixed in one go."""
    if problems:
        head = "" if len(problems) == 1 else f"裁定有 {len(problems)} 处问题:\n"
        raise OverrideError(head + "\n".join(problems))


def apply_overrides(halls: Iterable[Hall], placements: dict[str, Placement], overrides: Iterable[Override],
                    config: Config, candidates: dict[str, Candidate]) -> dict[str, Placement]:
    """Return new placements with the decisions applied, or refuse them all with ``OverrideError``."""
    by_id = {h.hall_id: h for h in halls}
    seen: dict[str, str] = {}
    result = dict(placements)
    problems: list[str] = []
    for o in overrides:
        problem = _refusal(o, by_id, seen, placements, candidates)
        if problem:
            problems.append(f"裁定文件 {o.where}:厅编码 {o.hall_id} {problem}")
            continue
        seen[o.hall_id] = o.where
        rule = placements[o.hall_id]
        record = {"tier": o.tier, "reason": o.reason, "decided_by": o.decided_by, "date": o.date,
                  "rule_tier": rule.tier}
        why = Fact.of("overridden", rule=rule.fact or rule.reason, decided_by=o.decided_by, date=o.date, tier=o.tier,
                      reason=o.reason)
        reason, ranks = said_with_ranks(why)
        result[o.hall_id] = replace(rule, tier=o.tier, reason=reason, ranks=ranks, fact=why, needs_decision=False,
                                    pending_tier=None, override=record)
    _refuse(problems)
    for q in quota_use(halls, result, config):
        if q.used > q.cap:
            moved = sorted(h for h in seen if result[h].tier == q.tier and config.scope_key(by_id[h]) == q.scope)
            raise OverrideError(
                f"裁定文件:裁定后{q.scope}{q.tier}为 {q.used} 个,超过名额 {q.cap} 个(评价范围内 {q.base} 个厅),"
                f"裁定被拒绝;涉及的裁定:{'、'.join(moved)}")
    return result


def _refusal(o: Override, by_id: dict[str, Hall], seen: dict[str, str], placements: dict[str, Placement],
             candidates: dict[str, Candidate]) -> str | None:
    """Why one decision cannot stand on its own (None when it can)."""
    if o.hall_id not in by_id:
        return "不在营业厅清单中"
    if o.hall_id in seen:
        return f"已在 {seen[o.hall_id]} 裁定过,同一个厅只能有一条裁定"
    rule = placements[o.hall_id]
    if rule.tier in (NOT_RATED, NOT_INSPECTED):
        return f"按规则为{rule.tier},不参与定级,不能裁定档次"
    cand = candidates.get(o.hall_id)
    if cand is not None and cand.vetoes and o.tier != FAIL:
        return f"发生一票否决事项 {'、'.join(cand.vetoes)},只能为不达标,不能裁定为{o.tier}"
    return None




def _yaml_rows(path: Path) -> list[tuple[str, dict[str, Any]]]:
    data = load_yaml(path)  # no aliases, bounded size: a small file cannot expand to gigabytes
    if isinstance(data, dict) and "overrides" in data:
        data = data["overrides"]
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise OverrideError(f"裁定文件 {path} 应为裁定列表(每条含厅编码、档次、理由、裁定人、日期)")
    return [(f"第 {n} 条", {str(k): v for k, v in r.items()}) for n, r in enumerate(data, 1)]


MAX_ROWS, MAX_COLS = 100_000, 64


def _xlsx_rows(path: Path) -> list[tuple[str, dict[str, Any]]]:
    from openpyxl import load_workbook

    from .container import side_workbook_fault

    if path.stat().st_size > 20 * 1024 * 1024:
        raise OverrideError(f"裁定文件 {path} 超过 20 MB,不像是裁定文件")
    fault = side_workbook_fault(path)  # bounded like a return, and a formula named, before openpyxl reads it
    if fault is not None:
        raise OverrideError(f"无法读取裁定文件 {path}:{fault}")
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        rows: list[tuple] = []
        for row in wb.worksheets[0].iter_rows(values_only=True):  # bounded while streaming
            if len(rows) >= MAX_ROWS:
                raise OverrideError(f"裁定文件 {path} 超过 {MAX_ROWS} 行")
            rows.append(row[:MAX_COLS])
    finally:
        wb.close()
    if not rows:
        return []
    header = [str(c).strip() if c is not None else "" for c in rows[0]]
    if not any(n in header for n in COLUMNS["hall_id"]):
        raise OverrideError(f"裁定文件 {path} 第 1 行缺少列:厅编码(应包含:{'、'.join(v[0] for v in COLUMNS.values())})")
    out = []
    for n, row in enumerate(rows[1:], 2):
        if all(c is None or str(c).strip() == "" for c in row):
            continue
        out.append((f"第 {n} 行", {h: v for h, v in zip(header, row) if h}))
    return out
