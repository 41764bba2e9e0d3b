"""结果应用 (standard.md, seed 四、(三)): what a year's recognised results are used for.

- 省公司服务考核: per province, counts per tier, 达标率 (recognised 达标 or above over all rated halls: 未检查 and
  待重报 count as not 达标, so not inspecting never helps), 检查覆盖率 (rated halls a 市级检查 or higher decides),
  the average deciding score over those inspected rated halls (自评 claims and unrated halls left out), and the
  change from the previous archived year; a province passing either configured line is marked 服务能力提升明显.
- 划小承包评估: per province, every evaluated hall with its recognised tier and the consequence (奖励 for
  recognised 优秀/良好, 扣罚 for recognised 不达标; the amounts are each province's own).
- 创先评优: recognised 优秀/良好 is a 必要条件 for awards: the list of eligible halls.

Only recognised tiers (``confirmed_tier``) have consequences: a claim waiting for its owner has none yet.
Plain data in, plain rows out; averages and rates are exact fractions rounded half up once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from generator.evaluate.scoring import half_up
from generator.model import HallRow
from generator.numbers import number
from generator.rules.config import DEFAULT_IMPROVEMENT, DEFAULT_PROGRESS
from generator.rules.regions import province_order
from generator.rules.terms import EXCELLENT, FAIL, GOOD, NOT_RATED, PASS, RATED

TIERS = RATED
REWARD, PENALTY, NONE = "奖励", "扣罚", "—"
IMPROVED = "服务能力提升明显"
PROGRESSED = "推进落实到位"


def province_stats(halls: Iterable[HallRow]) -> dict[str, Any]:
    """One province's 服务考核 figures over its rated halls (未检查 included, 不参评 left out): counts per rule tier
    and per recognised tier, 达标率 (%, recognised 达标 or better ÷ rated), 检查覆盖率 (%, decided by 市级检查 or
    higher ÷ rated) and the average deciding score over those inspected halls."""
    rated = [h for h in halls if h.tier != NOT_RATED]
    counts = Counter(h.tier for h in rated)
    passed = sum(1 for h in rated if h.confirmed_tier in (EXCELLENT, GOOD, PASS))
    inspected = [h for h in rated if h.ranked]
    finals = [Fraction(h.final_score) for h in inspected if h.final_score is not None]  # exact Decimal → Fraction
    return {
        "tiered": len(rated),
        "inspected": len(inspected),
        "counts": {t: counts.get(t, 0) for t in TIERS},
        "recognised": {t: sum(1 for h in rated if h.confirmed_tier == t) for t in TIERS},
        "pass_rate": number(half_up(Fraction(100 * passed, len(rated)))) if rated else None,
        "coverage": number(half_up(Fraction(100 * len(inspected), len(rated)))) if rated else None,
        "average": number(half_up(sum(finals, Fraction(0)) / len(finals))) if finals else None,
    }


def progress_of(halls: Sequence[HallRow], lists: Iterable[Any], lines: Mapping[str, Decimal], deadline: str) -> dict[str, Any]:
    """推进落实到位 of one province against the configured lines (config.DEFAULT_PROGRESS): coverage, its
    上报名单 answered, open rejections and returns dated on or before the deadline (not measured without one)."""
    rated = [h for h in halls if h.tier != NOT_RATED]
    stats = province_stats(rated)
    issued = [s for s in lists if s.nominees]
    answered = sum(1 for s in issued if any(n.decision is not None for n in s.nominees))
    open_rejections = sum(1 for h in rated for r in h.rounds if r.status == "rejected")
    accepted = [r for h in rated for r in h.rounds if r.status == "accepted" and r.date]
    on_time = (number(half_up(Fraction(100 * sum(1 for r in accepted if r.date <= deadline), len(accepted))))
               if deadline and accepted else None)
    checks = {
        "coverage": stats["coverage"] is not None and Decimal(str(stats["coverage"])) >= lines["coverage"],
        "answered_lists": lines["answered_lists"] == 0 or answered == len(issued),
        "open_rejections": open_rejections <= lines["open_rejections"],
        "on_time": on_time is None or Decimal(str(on_time)) >= lines["on_time"],
    }
    return {"lists_issued": len(issued), "lists_answered": answered, "open_rejections": open_rejections,
            "on_time": on_time, "checks": checks, "passed": bool(rated) and all(checks.values())}


def service_assessment(by_province: Mapping[str, Sequence[HallRow]], provinces: Iterable[str],
                       previous: Mapping[str, Sequence[HallRow]] | None, lines: dict[str, Decimal] | None = None,
                       progress: dict[str, Decimal] | None = None, deadline: str = "", shortlists: Iterable[Any] = ()) -> list[dict[str, Any]]:
    """The 省公司服务考核 table, one row per province in ``provinces`` order."""
    lines = {k: Decimal(str(v)) for k, v in (lines or DEFAULT_IMPROVEMENT).items()}
    bars = {k: Decimal(str(v)) for k, v in {**DEFAULT_PROGRESS, **(progress or {})}.items()}
    shortlists = list(shortlists)
    rows = []
    for name in provinces:
        row = {"province": name, **province_stats(by_province.get(name, []))}
        row["progress"] = progress_of(by_province.get(name, []), [s for s in shortlists if s.scope == name], bars,
                                      deadline)
        before = province_stats(previous[name]) if previous and previous.get(name) else None
        row["average_change"] = _change(row["average"], before and before["average"])
        row["pass_rate_change"] = _change(row["pass_rate"], before and before["pass_rate"])
        row["improved"] = (
            (row["average_change"] is not None and Decimal(str(row["average_change"])) >= lines["average"])
            or (row["pass_rate_change"] is not None and Decimal(str(row["pass_rate_change"])) >= lines["pass_rate"]))
        rows.append(row)
    return rows


def _change(now: Any, before: Any) -> int | float | None:
    if now is None or before is None:
        return None
    return number(Decimal(str(now)) - Decimal(str(before)))


def consequence(confirmed: str | None) -> str:
    if confirmed in (EXCELLENT, GOOD):
        return REWARD
    if confirmed == FAIL:
        return PENALTY
    return NONE


def reward_list(halls: Iterable[HallRow]) -> list[dict[str, Any]]:
    """划小承包 奖惩清单 of one province: every rated hall (未检查 included, 不参评 never), by hall id."""
    rows = []
    for h in sorted(halls, key=lambda h: h.hall_id):
        if h.tier == NOT_RATED:
            continue
        confirmed = h.confirmed_tier
        note = f"按规则{h.tier},待{h.awaiting}认定" if h.awaiting else ""
        rows.append({"hall_id": h.hall_id, "name": h.name, "city": h.city, "tier": h.tier,
                     "confirmed_tier": confirmed, "consequence": consequence(confirmed), "note": note,
                     "province": h.province})
    return rows


def eligible(halls: Iterable[HallRow]) -> list[HallRow]:
    """创先评优: halls whose 优秀 or 良好 is recognised, best tier first, then by hall id."""
    chosen = [h for h in halls if h.confirmed_tier in (EXCELLENT, GOOD) and h.tier != NOT_RATED]
    return sorted(chosen, key=lambda h: (h.confirmed_tier != EXCELLENT, province_order(h.province), h.hall_id))
