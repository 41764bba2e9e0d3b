"""Tiering: deciding scores + register + configuration → one tier per hall, with its reason in Chinese.

Rules (standard.md, 档次与名额): thresholds 95/90/80 on the reported final score; 优秀 and 良好 are capped per
quota scope at ⌊ratio × evaluated halls in the register⌋; a hall over a full quota falls to the next tier with
room; ranking is final, then base, then fewer deduction points, then the 业务办理 section. A tie still unbroken
at a cut line is never settled by hall id: the tied halls are marked 需裁定 and kept out of the capped tier.

The decision uses the *reported* numbers (each rounded once, half up, to one decimal): the threshold test is on
the reported final score and the ranking key is made of reported numbers. A committee can then check every
placement against the figures printed on the pages; two halls that look equal on paper are a tie.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from .config import EXCELLENT, FAIL, GOOD, NOT_INSPECTED, NOT_RATED, PASS
from .numbers import percent


@dataclass(frozen=True)
class Candidate:
    """The reported numbers of a hall's deciding return, as tiering ranks them."""

    hall_id: str
    final: Decimal
    base: Decimal
    deduction: Decimal
    business: Decimal | None  # 业务办理 section rate; None when 不适用
    vetoes: tuple[str, ...] = ()

    def rank_key(self) -> tuple:
        """Larger is better; no hall id in it, on purpose."""
        business = self.business if self.business is not None else Decimal(-1)
        return (self.final, self.base, -self.deduction, business)


@dataclass(frozen=True)
class Placement:
    hall_id: str
    tier: str
    reason: str
    needs_decision: bool = False
    pending_tier: str | None = None  # the capped tier a 需裁定 hall waits for
    rank: int | None = None  # overall rank within the quota scope (competition ranking)
    override: dict | None = None  # recorded decision applied after the rules (overrides.py)


@dataclass(frozen=True)
class Quota:
    scope: str
    tier: str
    base: int
    cap: int
    used: int
    pending: int  # 需裁定 halls waiting for a decision on this tier


def quota_caps(config, base: int) -> dict[str, int]:
    """不超过: caps are rounded down."""
    return {tier: math.floor(ratio * base) for tier, ratio in config.quotas.items()}


def raw_tier(config, final: Decimal) -> str:
    for tier in (EXCELLENT, GOOD, PASS):
        if final >= config.thresholds[tier]:
            return tier
    return FAIL


def assign_tiers(halls, candidates: dict[str, Candidate], config, veto_texts: dict[str, str] | None = None,
                 pins: dict[str, tuple[str, str]] | None = None, bars: dict[str, dict[str, str]] | None = None):
    """Place every register hall; return ``(placements by hall id, quota use)``.

    ``pins`` (hall id → (tier, why)) and ``bars`` (hall id → {tier: why}) are the decisions of returned
    上报名单 (decisions.py): a pinned hall takes its tier and a place of its quota before the rules place the
    others; a barred hall skips that tier and falls like a hall over a full quota.
    """
    veto_texts = veto_texts or {}
    pins, bars = pins or {}, bars or {}
    placements: dict[str, Placement] = {}
    scopes: dict[str, list] = {}
    for hall in halls:
        if not config.evaluated(hall):
            why = ("社会合作厅暂不进行服务评价" if hall.type not in config.hall_types
                   else f"{config.year} 年只对 {_levels(config)} 级厅开展服务评价,本厅为 {hall.level} 级厅")
            cand = candidates.get(hall.hall_id)
            if cand is not None:
                why = f"得分 {cand.final};{why},不参评"
            placements[hall.hall_id] = Placement(hall.hall_id, NOT_RATED, why + "。")
            continue
        scopes.setdefault(config.scope_key(hall), []).append(hall)

    for scope in sorted(scopes):
        placements.update(_place_scope(scopes[scope], candidates, config, veto_texts, pins, bars))
    return placements, quota_use(halls, placements, config)


def quota_use(halls, placements: dict[str, Placement], config) -> list[Quota]:
    """Caps, halls placed and halls waiting for a decision, per quota scope and capped tier."""
    scopes: dict[str, list] = {}
    for hall in halls:
        if config.evaluated(hall):
            scopes.setdefault(config.scope_key(hall), []).append(hall.hall_id)
    quotas = []
    for scope in sorted(scopes):
        members = scopes[scope]
        for tier, cap in quota_caps(config, len(members)).items():
            used = sum(1 for h in members if placements[h].tier == tier)
            pending = sum(1 for h in members if placements[h].needs_decision and placements[h].pending_tier == tier)
            quotas.append(Quota(scope, tier, len(members), cap, used, pending))
    return quotas


def _levels(config) -> str:
    levels = sorted(config.levels)
    if levels == list(range(levels[0], levels[-1] + 1)) and len(levels) > 1:
        return f"{levels[0]}-{levels[-1]}"
    return "、".join(str(x) for x in levels)


def _place_scope(members, candidates, config, veto_texts, pins=None, bars=None):
    pins, bars = pins or {}, bars or {}
    label = config.scope_label
    caps = quota_caps(config, len(members))
    placed: dict[str, Placement] = {}
    pool_by_tier: dict[str, list[Candidate]] = {EXCELLENT: [], GOOD: [], PASS: []}
    for hall in members:
        cand = candidates.get(hall.hall_id)
        if cand is None:
            placed[hall.hall_id] = Placement(
                hall.hall_id, NOT_INSPECTED, f"没有被接收的检查表,未检查;仍计入{label}名额基数({len(members)} 个厅)。")
            continue
        if cand.vetoes:
            items = "、".join(f"{v}({veto_texts.get(v, '')})" if veto_texts.get(v) else v for v in cand.vetoes)
            placed[hall.hall_id] = Placement(
                hall.hall_id, FAIL, f"得分 {cand.final},但发生一票否决事项 {items},无论得分均评为不达标。")
            continue
        tier = raw_tier(config, cand.final)
        if tier == FAIL:
            placed[hall.hall_id] = Placement(
                hall.hall_id, FAIL, f"得分 {cand.final},低于达标线 {config.thresholds[PASS]},评为不达标。")
            continue
        pool_by_tier[tier].append(cand)

    pool: list[Candidate] = []
    falls: dict[str, list[str]] = {}  # hall id → why it sits below the tier its score reached
    pending: dict[str, str] = {}  # hall id → the capped tier it waits for a decision on
    # One ranking over every tierable hall of the scope: the rank a committee sees is the overall one.
    ranks = competition_ranks(sorted((c for group in pool_by_tier.values() for c in group), key=Candidate.rank_key, reverse=True))
    for tier in (EXCELLENT, GOOD, PASS):
        pool = sorted(pool + pool_by_tier[tier], key=Candidate.rank_key, reverse=True)
        cap = caps.get(tier)
        pinned = [c for c in pool if pins.get(c.hall_id, ("",))[0] == tier]
        for cand in pinned:
            placed[cand.hall_id] = Placement(cand.hall_id, tier, f"得分 {cand.final},{pins[cand.hall_id][1]}",
                                             rank=ranks[cand.hall_id])
        # Held: pinned to a lower tier, they wait for it without competing here.
        held = [c for c in pool if c.hall_id in pins and pins[c.hall_id][0] != tier]
        barred = [c for c in pool if tier in bars.get(c.hall_id, {}) and c.hall_id not in pins]
        for cand in barred:
            falls.setdefault(cand.hall_id, []).append(bars[cand.hall_id][tier])
        out = {c.hall_id for c in pinned + held + barred}
        pool = [c for c in pool if c.hall_id not in out]
        left = None if cap is None else max(0, cap - len(pinned))  # pinned halls take their places first
        winners, tied, rest = take_until_tie(pool, left)
        for cand in winners:
            placed[cand.hall_id] = Placement(
                cand.hall_id, tier, _reason(cand, tier, config, cap, ranks[cand.hall_id], falls, label),
                needs_decision=cand.hall_id in pending, pending_tier=pending.get(cand.hall_id),
                rank=ranks[cand.hall_id])
        for cand in tied:
            pending.setdefault(cand.hall_id, tier)
            falls.setdefault(cand.hall_id, []).append(
                f"与另外 {len(tied) - 1} 个厅并列排名第 {ranks[cand.hall_id]},处在{label}{tier}名额 {cap} 个的分界线上,"
                f"按规则不以厅编码决定,需裁定")
        for cand in rest:
            if cap == 0:
                why = (f"{label}{tier}名额为 0 个(评价范围内 {len(members)} 个厅 × "
                       f"{percent(config.quotas[tier])} 向下取整)")
            elif pinned:
                why = f"{label}{tier}名额 {cap} 个已满(其中 {len(pinned)} 个经认定,本厅排名第 {ranks[cand.hall_id]})"
            else:
                why = f"{label}{tier}名额 {cap} 个已满(排名第 {ranks[cand.hall_id]})"
            falls.setdefault(cand.hall_id, []).append(why)
        pool = sorted(tied + rest + held + barred, key=Candidate.rank_key, reverse=True)
    return placed


def take_until_tie(pool: list[Candidate], cap: int | None) -> tuple[list[Candidate], ...]:
    """Split a ranked pool at a cap: (placed, tied at the cut line, below it); a tie on the line places none of
    the tied (tiering and the 上报名单 both cut this way)."""
    if cap is None or len(pool) <= cap:
        return pool, [], []
    cut_key = pool[cap].rank_key()
    if cap > 0 and pool[cap - 1].rank_key() == cut_key:
        winners = [c for c in pool if c.rank_key() > cut_key]
        tied = [c for c in pool if c.rank_key() == cut_key]
        rest = [c for c in pool if c.rank_key() < cut_key]
        return winners, tied, rest
    return pool[:cap], [], pool[cap:]


def competition_ranks(pool: list[Candidate]) -> dict[str, int]:
    """Competition ranking (1, 2, 2, 4) on the rank key of a pool sorted best first."""
    ranks, previous, rank = {}, None, 0
    for n, cand in enumerate(pool, 1):
        key = cand.rank_key()
        if key != previous:
            rank, previous = n, key
        ranks[cand.hall_id] = rank
    return ranks


def _reason(cand, tier, config, cap, rank, falls, label) -> str:
    if cand.hall_id in falls:
        verb = "裁定前暂评为" if any("需裁定" in f for f in falls[cand.hall_id]) else "按规则评为"
        return f"得分 {cand.final},{';'.join(falls[cand.hall_id])},{verb}{tier}。"
    low = config.thresholds[tier]
    if cap is None:
        return f"得分 {cand.final},达到{tier}标准({low} 分及以上),评为{tier}。"
    return (f"得分 {cand.final},达到{tier}标准({low} 分及以上),在{label}{tier}名额 {cap} 个中排名第 {rank},"
            f"评为{tier}。")
