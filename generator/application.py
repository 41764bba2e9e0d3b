"""结果应用 (standard.md, seed 四、(三)): what a year's recognised results are used for.

- 省公司服务考核: per province, counts per tier, 达标率, average final score, and the change from the previous
  archived year; a province passing either configured line is marked 服务能力提升明显.
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

from .config import DEFAULT_IMPROVEMENT, EXCELLENT, FAIL, GOOD, PASS
from .numbers import number
from .record import HallRow
from .regions import province_order
from .scoring import half_up

TIERS = (EXCELLENT, GOOD, PASS, FAIL)
REWARD, PENALTY, NONE = "奖励", "扣罚", "—"
IMPROVED = "服务能力提升明显"


def _tiered(halls: Iterable[HallRow]) -> list[HallRow]:
    return [h for h in halls if h.tier in TIERS]


def province_stats(halls: Iterable[HallRow]) -> dict:
    """Counts per tier, 达标率 (%, 达标 or better among tiered halls) and average final of one province."""
    tiered = _tiered(halls)
    counts = Counter(h.tier for h in tiered)
    passed = sum(counts[t] for t in (EXCELLENT, GOOD, PASS))
    finals = [Fraction(h.final_score) for h in tiered if h.final_score is not None]  # exact Decimal → exact Fraction
    return {
        "tiered": len(tiered),
        "counts": {t: counts.get(t, 0) for t in TIERS},
        "recognised": {t: sum(1 for h in tiered if h.confirmed_tier == t) for t in TIERS},
        "pass_rate": number(half_up(Fraction(100 * passed, len(tiered)))) if tiered else None,
        "average": number(half_up(sum(finals, Fraction(0)) / len(finals))) if finals else None,
    }


def service_assessment(by_province: Mapping[str, Sequence[HallRow]], provinces: Iterable[str],
                       previous: Mapping[str, Sequence[HallRow]] | None, lines: dict | None = None) -> list[dict]:
    """The 省公司服务考核 table, one row per province in ``provinces`` order."""
    lines = {k: Decimal(str(v)) for k, v in (lines or DEFAULT_IMPROVEMENT).items()}
    rows = []
    for name in provinces:
        row = {"province": name, **province_stats(by_province.get(name, []))}
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


def reward_list(halls: Iterable[HallRow]) -> list[dict]:
    """划小承包 奖惩清单 of one province: every evaluated hall (未检查 included), by hall id."""
    rows = []
    for h in sorted(halls, key=lambda h: h.hall_id):
        if h.tier not in TIERS and h.tier != "未检查":
            continue
        confirmed = h.confirmed_tier
        note = f"按规则{h.tier},待{h.awaiting}认定" if h.awaiting else ""
        rows.append({"hall_id": h.hall_id, "name": h.name, "city": h.city, "tier": h.tier,
                     "confirmed_tier": confirmed, "consequence": consequence(confirmed), "note": note,
                     "province": h.province})
    return rows


def eligible(halls: Iterable[HallRow]) -> list[HallRow]:
    """创先评优: halls whose 优秀 or 良好 is recognised, best tier first, then by hall id."""
    chosen = [h for h in halls if h.confirmed_tier in (EXCELLENT, GOOD)]
    return sorted(chosen, key=lambda h: (h.confirmed_tier != EXCELLENT, province_order(h.province), h.hall_id))
