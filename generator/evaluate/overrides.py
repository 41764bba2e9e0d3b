"""Recorded decisions (裁定): an overrides file places 需裁定 halls or lowers a tier, after the rules and lists, and
withdraws findings (撤销事项) before the scores are made.

The file is YAML (a list of mappings, or ``{overrides: [...]}``) or .xlsx (first sheet, a header row). Columns,
in Chinese or English: 厅编码/hall_id, 档次/tier, 理由/reason, 裁定人/decided_by, 日期/date and 层级/level (市, 省
or 集团: the level that made the decision) — all required — and 撤销事项/withdraw, optional: an entry that names a
bonus, deduction or veto item there withdraws that finding from the hall's year and leaves 档次 empty (the hall
is then tiered by its score; a tier decision for it is an entry of its own).

Each level decides within its authority only (standard.md, Decisions): a 需裁定 tied hall is placed by the level
that owns the tier at stake; a tier is lowered by the level that owns it or a higher one; no decision raises a
hall above the tier its score reaches, raises it at all otherwise, contradicts a higher level's recognition, or
breaks a quota. A file with any decision that breaks these (or names an unknown hall, a hall that is not tiered,
lifts a veto, repeats a hall) is refused as a whole (``OverrideError``), every bad entry named with its reason.
A finding is withdrawn by the level that owns every round that recorded it (terms.ROUND_OWNER) or a higher one,
and only a finding the hall's year counts (``withdrawals``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from generator.errors import OverrideError
from generator.evaluate.tier_reasons import Fact, said_with_ranks
from generator.evaluate.tiering import Candidate, Placement, quota_use, raw_tier
from generator.fs.yamlsafe import load_yaml
from generator.rules.config import Config
from generator.rules.container_check import side_workbook_fault
from generator.rules.register import Hall
from generator.rules.terms import (
    FAIL,
    GROUP,
    LEVELS,
    NOT_INSPECTED,
    NOT_RATED,
    RATED,
    RECOGNISED_ORDER,
    ROUND_OWNER,
    TIER_OWNER,
)
from generator.why import why
from generator.xlsx.textcell import cell_text

DECIDABLE = RATED
COLUMNS = {  # canonical field → accepted headers
    "hall_id": ("厅编码", "hall_id"),
    "tier": ("档次", "tier"),
    "reason": ("理由", "reason"),
    "decided_by": ("裁定人", "decided_by"),
    "date": ("日期", "date"),
    "level": ("层级", "level"),
    "withdraw": ("撤销事项", "withdraw"),
}


@dataclass(frozen=True)
class Override:
    hall_id: str
    tier: str
    reason: str
    decided_by: str
    date: str
    level: str  # 市 / 省 / 集团
    where: str  # file and row, for messages
    withdraw: str = ""  # a bonus, deduction or veto item withdrawn from the hall's year ("" for a tier decision)


def load_overrides(path: str | Path) -> tuple[Override, ...]:
    """Read an overrides file; every row must carry its hall, reason, decider, date and level, and either a tier
    or an item to withdraw."""
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
        raise OverrideError(f"无法读取裁定文件 {path}:{why(exc)}") from exc
    out, problems = [], []
    for where, raw in rows:
        fields = {}
        for key, names in COLUMNS.items():
            value = next((raw[n] for n in names if n in raw and raw[n] is not None), None)
            fields[key] = cell_text(value)
        missing = [COLUMNS[k][0] for k, v in fields.items()
                   if not v and k != "withdraw" and not (k == "tier" and fields["withdraw"])]
        if missing:
            problems.append(f"裁定文件 {path} {where}:缺少{'、'.join(missing)}(每条裁定须写明厅编码、档次、"
                            f"理由、裁定人、日期和层级;撤销事项的裁定写撤销事项,不写档次)")
        elif fields["tier"] and fields["withdraw"]:
            problems.append(f"裁定文件 {path} {where}:同时写了档次“{fields['tier']}”和撤销事项“{fields['withdraw']}”;"
                            f"撤销事项的裁定不写档次(撤销后按得分重新定级),要裁定档次请另写一条")
        elif fields["withdraw"]:
            if fields["level"] not in LEVELS:
                problems.append(f"裁定文件 {path} {where}:层级“{fields['level']}”不合法,应为{'、'.join(LEVELS)}之一"
                                f"(作出裁定的是哪一级公司)")
            else:
                out.append(Override(where=f"{path.name} {where}", **fields))
        elif fields["tier"] not in DECIDABLE:
            problems.append(f"裁定文件 {path} {where}:档次“{fields['tier']}”不合法,应为{'、'.join(DECIDABLE)}之一")
        elif fields["level"] not in LEVELS:
            problems.append(f"裁定文件 {path} {where}:层级“{fields['level']}”不合法,应为{'、'.join(LEVELS)}之一"
                            f"(作出裁定的是哪一级公司)")
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
                    config: Config, candidates: dict[str, Candidate],
                    recognitions: Mapping[str, list[dict[str, str]]] | None = None,
                    refused: Mapping[str, str] | None = None) -> dict[str, Placement]:
    """Return new placements with the decisions applied, or refuse them all with ``OverrideError``.

    ``recognitions``: hall id → its rows in the applied answered lists (by_level, tier, result); ``refused``:
    the withdrawals that cannot stand (``withdrawals``), named with the others in the file's order.
    """
    by_id = {h.hall_id: h for h in halls}
    seen: dict[str, str] = {}
    result = dict(placements)
    problems: list[str] = []
    for o in overrides:
        if o.withdraw:  # applied before the scores (``withdrawals``), not to a tier
            if refused and o.where in refused:
                problems.append(refused[o.where])
            continue
        problem = _refusal(o, by_id, seen, placements, candidates) or _beyond_authority(
            o, placements[o.hall_id], candidates.get(o.hall_id), config, (recognitions or {}).get(o.hall_id, []))
        if problem:
            problems.append(f"裁定文件 {o.where}:厅编码 {o.hall_id} {problem}")
            continue
        seen[o.hall_id] = o.where
        rule = placements[o.hall_id]
        record = {"tier": o.tier, "reason": o.reason, "decided_by": o.decided_by, "date": o.date,
                  "rule_tier": rule.tier, "level": o.level}
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




def _beyond_authority(o: Override, rule: Placement, cand: Candidate | None, config: Config,
                      recognitions: list[dict[str, str]]) -> str | None:
    """Why a decision is beyond its level's authority (None when it is within it)."""
    if cand is None:
        return None
    target, current = RECOGNISED_ORDER.index(o.tier), RECOGNISED_ORDER.index(rule.tier)
    reached = raw_tier(config, cand.final) if not cand.vetoes else FAIL
    if target > RECOGNISED_ORDER.index(reached):
        return f"得分 {cand.final} 只达到{reached},裁定不能高于得分所达到的档次({o.level}裁定为{o.tier})"
    for said in recognitions:
        if LEVELS.index(said["by_level"]) > LEVELS.index(o.level) and said["result"] == "认定" \
                and target < RECOGNISED_ORDER.index(said["tier"]):
            return (f"已由{said['by_level']}认定为{said['tier']}({said['source']}),{o.level}的裁定不能与上级的认定"
                    f"相矛盾")
    if rule.needs_decision and o.tier == rule.pending_tier:
        owner = TIER_OWNER[o.tier]
        if o.level != owner:
            return f"并列需裁定的{o.tier}名额只能由{owner}公司裁定(本条层级为{o.level})"
        return None
    if target < current:
        owner = TIER_OWNER[rule.tier]
        if LEVELS.index(o.level) < LEVELS.index(owner):
            return f"现为{rule.tier},该档次由{owner}公司认定,{o.level}公司不能降低它(只有{owner}公司或更高一级可以)"
        return None
    if target > current:
        return (f"现为{rule.tier},裁定只能放置需裁定的并列厅(由该档次的认定单位)或降低档次,不能提高为{o.tier}"
                f"(层级 {o.level})")
    return None


def withdrawals(overrides: Iterable[Override], hall_ids: Collection[str],
                recorded: Mapping[str, Mapping[str, Sequence[str]]],
                items: Mapping[str, str]) -> tuple[dict[str, dict[str, Override]], dict[str, str]]:
    """The findings the file withdraws (hall id → item → the withdrawing decision), and the withdrawals that
    cannot stand (entry → why): ``apply_overrides`` refuses the file with them beside the tier decisions' own
    problems, so every bad entry is named at once.

    ``recorded``: hall id → item → the rounds that recorded it in the hall's year (before any withdrawal);
    ``items``: every bonus, deduction and veto item of the standard → its kind as the page says it (加分 …).
    """
    out: dict[str, dict[str, Override]] = {}
    refused: dict[str, str] = {}
    for o in overrides:
        if not o.withdraw:
            continue
        problem = _withdrawal_refusal(o, hall_ids, recorded.get(o.hall_id, {}), items, out.get(o.hall_id, {}))
        if problem:
            refused[o.where] = f"裁定文件 {o.where}:厅编码 {o.hall_id} {problem}"
        else:
            out.setdefault(o.hall_id, {})[o.withdraw] = o
    return out, refused


def _withdrawal_refusal(o: Override, hall_ids: Collection[str], recorded: Mapping[str, Sequence[str]],
                        items: Mapping[str, str], done: Mapping[str, Override]) -> str | None:
    """Why one withdrawal cannot stand (None when it can): a finding of the hall's year, withdrawn once, by the
    level that owns every round that recorded it or a higher one."""
    if o.hall_id not in hall_ids:
        return "不在营业厅清单中"
    item = o.withdraw
    if item not in items:
        return f"撤销事项“{item}”不是评价标准中的加分、扣分或一票否决事项(应为{'、'.join(items)}之一)"
    if item in done:
        return f"的{items[item]}事项 {item} 已在 {done[item].where} 撤销过,同一事项只能撤销一次"
    rounds = recorded.get(item)
    if not rounds:
        counted = "、".join(recorded) if recorded else "无"
        return f"本年度没有记录{items[item]}事项 {item},无可撤销(本年度计入的加分、扣分和一票否决事项:{counted})"
    owner = max((ROUND_OWNER.get(r, GROUP) for r in rounds), key=LEVELS.index)
    if LEVELS.index(o.level) < LEVELS.index(owner):
        return (f"的{items[item]}事项 {item} 由{'、'.join(rounds)}记录,只能由{owner}公司或更高一级撤销"
                f"(本条层级为{o.level})")
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
    if path.stat().st_size > 20 * 1024 * 1024:
        raise OverrideError(f"裁定文件 {path} 超过 20 MB,不像是裁定文件")
    fault = side_workbook_fault(path)  # bounded like a return, and a formula named, before openpyxl reads it
    if fault is not None:
        raise OverrideError(f"无法读取裁定文件 {path}:{fault}")
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        rows: list[tuple[Any, ...]] = []
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
