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
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from generator.evaluate.tier_reasons import Fact, said_with_ranks, waits_for_decision
from generator.model import Quota
from generator.numbers import percent
from generator.rules.config import Config
from generator.rules.register import Hall
from generator.rules.terms import EXCELLENT, FAIL, GOOD, LEVEL_COMPANIES, NOT_INSPECTED, NOT_RATED, PASS, TIER_OWNER


@dataclass(frozen=True)
class Candidate:
    """The reported numbers of a hall's deciding return, as tiering ranks them."""

    hall_id: str
    final: Decimal
    base: Decimal
    deduction: Decimal
    business: Decimal | None  # 业务办理 section rate; None when 不适用
    vetoes: tuple[str, ...] = ()
    # Ranked: its deciding round is 市级检查 or higher. An unranked hall (自评 only, or its 市级检查 待重报) shows
    # the tier its score claims and takes no quota place (standard.md, Tiers and quotas).
    ranked: bool = True
    claim: tuple[str, str] = ("", "")  # (deciding round, round 待重报 or "") of an unranked hall, for its reason

    def rank_key(self) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """Larger is better; no hall id in it, on purpose."""
        business = self.business if self.business is not None else Decimal(-1)
        return (self.final, self.base, -self.deduction, business)


@dataclass(frozen=True)
class Placement:
    hall_id: str
    tier: str
    reason: str  # ``fact`` said in Chinese (tier_reasons.py)
    needs_decision: bool = False
    pending_tier: str | None = None  # the capped tier a 需裁定 hall waits for
    rank: int | None = None  # overall rank within the quota scope (competition ranking); the 定级说明 quotes the
    # place in the tier's own order instead (the places the tiers above took do not count there)
    override: dict[str, str] | None = None  # recorded decision applied after the rules (overrides.py)
    fact: Fact | None = None  # why, as structured facts (scope, cap, rank, tie, fell from, decision, veto...)
    ranks: tuple[tuple[int, int], ...] = ()  # where the quota ranks stand in ``reason`` (reasons.said_with_ranks)
    ranked: bool = True  # False: a claim that takes no quota place (Candidate.ranked)


def placed(hall_id: str, tier: str, fact: Fact, **more: Any) -> Placement:
    """A placement whose reason is its fact said by the catalogue (with where its ranks stand in it)."""
    reason, ranks = said_with_ranks(fact)
    return Placement(hall_id, tier, reason, fact=fact, ranks=ranks, **more)



def quota_caps(config: Config, base: int) -> dict[str, int]:
    """不超过: caps are rounded down."""
    return {tier: math.floor(ratio * base) for tier, ratio in config.quotas.items()}


def raw_tier(config: Config, final: Decimal) -> str:
    for tier in (EXCELLENT, GOOD, PASS):
        if final >= config.thresholds[tier]:
            return tier
    return FAIL


def assign_tiers(halls: Iterable[Hall], candidates: dict[str, Candidate], config: Config,
                 veto_texts: dict[str, str] | None = None, pins: dict[str, tuple[str, Fact | str]] | None = None,
                 bars: dict[str, dict[str, Fact | str]] | None = None) -> tuple[dict[str, Placement], list[Quota]]:
    """Place every register hall; return ``(placements by hall id, quota use)``.

    ``pins`` (hall id → (tier, why)) and ``bars`` (hall id → {tier: why}) are the decisions of returned
    上报名单 (decisions.py): a pinned hall takes its tier and a place of its quota before the rules place the
    others; a barred hall skips that tier and falls like a hall over a full quota.
    """
    veto_texts = veto_texts or {}
    pins, bars = pins or {}, bars or {}
    placements: dict[str, Placement] = {}
    scopes: dict[str, list[Hall]] = {}
    for hall in halls:
        if not config.evaluated(hall):
            types = "、".join(config.hall_types)
            why = (Fact.of("type-not-rated", type=hall.type, types=types) if hall.type not in config.hall_types
                   else Fact.of("level-not-rated", year=config.year, levels=_levels(config), level=hall.level,
                                types=types))
            cand = candidates.get(hall.hall_id)
            fact = (Fact.of("not-rated", why=why) if cand is None
                    else Fact.of("not-rated-scored", final=cand.final, why=why))
            placements[hall.hall_id] = placed(hall.hall_id, NOT_RATED, fact, ranked=False)
            continue
        scopes.setdefault(config.scope_key(hall), []).append(hall)

    for scope in sorted(scopes):
        placements.update(_place_scope(scopes[scope], candidates, config, veto_texts, pins, bars))
    return placements, quota_use(halls, placements, config)


def quota_use(halls: Iterable[Hall], placements: dict[str, Placement], config: Config) -> list[Quota]:
    """Caps, halls placed and halls waiting for a decision, per quota scope and capped tier."""
    scopes: dict[str, list[str]] = {}
    for hall in halls:
        if config.evaluated(hall):
            scopes.setdefault(config.scope_key(hall), []).append(hall.hall_id)
    quotas = []
    for scope in sorted(scopes):
        members = scopes[scope]
        for tier, cap in quota_caps(config, len(members)).items():
            used = sum(1 for h in members if placements[h].tier == tier and placements[h].ranked)
            pending = sum(1 for h in members if placements[h].needs_decision and placements[h].pending_tier == tier)
            quotas.append(Quota(scope, tier, len(members), cap, used, pending))
    return quotas


def _levels(config: Config) -> str:
    levels = sorted(config.levels)
    if levels == list(range(levels[0], levels[-1] + 1)) and len(levels) > 1:
        return f"{levels[0]}-{levels[-1]}"
    return "、".join(str(x) for x in levels)


def _placed_outside_quotas(members: list[Hall], candidates: dict[str, Candidate], config: Config,
                           veto_texts: dict[str, str], done: dict[str, Placement]) -> dict[str, list[Candidate]]:
    """Place in ``done`` the halls no quota decides (not inspected, vetoed, unranked claims, below 达标); the
    others by the tier their score reaches, for the quotas to decide."""
    label = config.scope_label
    pool_by_tier: dict[str, list[Candidate]] = {EXCELLENT: [], GOOD: [], PASS: []}
    for hall in members:
        cand = candidates.get(hall.hall_id)
        if cand is None:
            done[hall.hall_id] = placed(hall.hall_id, NOT_INSPECTED,
                                       Fact.of("not-inspected", scope=label, base=len(members)))
            continue
        if cand.vetoes:
            items = "、".join(f"{v}({veto_texts.get(v, '')})" if veto_texts.get(v) else v for v in cand.vetoes)
            done[hall.hall_id] = placed(hall.hall_id, FAIL, Fact.of("veto", final=cand.final, items=items, tier=FAIL,
                                                                   vetoes=cand.vetoes), ranked=cand.ranked)
            continue
        if not cand.ranked:
            done[hall.hall_id] = _claim(cand, config)
            continue
        tier = raw_tier(config, cand.final)
        if tier == FAIL:
            done[hall.hall_id] = placed(hall.hall_id, FAIL, Fact.of("below-pass", final=cand.final,
                                                                   line=config.thresholds[PASS], tier=FAIL))
            continue
        pool_by_tier[tier].append(cand)
    return pool_by_tier


def _place_scope(members: list[Hall], candidates: dict[str, Candidate], config: Config, veto_texts: dict[str, str],
                 pins: dict[str, tuple[str, Fact | str]] | None = None,
                 bars: dict[str, dict[str, Fact | str]] | None = None) -> dict[str, Placement]:
    pins, bars = pins or {}, bars or {}
    label = config.scope_label
    names = {hall.hall_id: hall.name for hall in members}
    caps = quota_caps(config, len(members))
    done: dict[str, Placement] = {}
    pool_by_tier = _placed_outside_quotas(members, candidates, config, veto_texts, done)
    pool: list[Candidate] = []
    falls: dict[str, list[Fact | str]] = {}  # hall id → why it sits below the tier its score reached (facts)
    pending: dict[str, str] = {}  # hall id → the capped tier it waits for a decision on
    # One ranking over every tierable hall of the scope: the rank a committee sees is the overall one.
    ranks = competition_ranks(sorted((c for group in pool_by_tier.values() for c in group), key=Candidate.rank_key, reverse=True))
    for tier in (EXCELLENT, GOOD, PASS):
        pool = sorted(pool + pool_by_tier[tier], key=Candidate.rank_key, reverse=True)
        cap = caps.get(tier)
        pool, pinned, held, barred = _set_aside_decided(pool, tier, pins, bars, ranks, done, falls)
        left = None if cap is None else max(0, cap - len(pinned))  # pinned halls take their places first
        winners, tied, rest = take_until_tie(pool, left)
        # Places in this tier's order: the pinned halls first, then the pool as ranked.
        places = {k: len(pinned) + r for k, r in competition_ranks(pool).items()}
        for cand in winners:
            done[cand.hall_id] = placed(
                cand.hall_id, tier, _reason(cand, tier, config, cap, places[cand.hall_id], falls, label),
                needs_decision=cand.hall_id in pending, pending_tier=pending.get(cand.hall_id),
                rank=ranks[cand.hall_id])
        for cand in tied:
            pending.setdefault(cand.hall_id, tier)
            falls.setdefault(cand.hall_id, []).append(Fact.of(
                "tie", others=len(tied) - 1, tied_with=_tied_with(cand, tied, names), rank=places[cand.hall_id],
                scope=label, tier=tier, cap=cap, left=(left or 0) - len(winners), owner=LEVEL_COMPANIES[TIER_OWNER[tier]]))
        for cand in rest:
            if cap == 0:
                why = Fact.of("quota-zero", scope=label, tier=tier, base=len(members),
                              ratio=percent(config.quotas[tier]))
            elif pinned:
                why = Fact.of("quota-full-pinned", scope=label, tier=tier, cap=cap, pinned=len(pinned),
                              rank=places[cand.hall_id])
            else:
                why = Fact.of("quota-full", scope=label, tier=tier, cap=cap, rank=places[cand.hall_id])
            falls.setdefault(cand.hall_id, []).append(why)
        pool = sorted(tied + rest + held + barred, key=Candidate.rank_key, reverse=True)
    return done


def _set_aside_decided(pool: list[Candidate], tier: str, pins: dict[str, tuple[str, Fact | str]],
                       bars: dict[str, dict[str, Fact | str]], ranks: dict[str, int], done: dict[str, Placement],
                       falls: dict[str, list[Fact | str]],
                       ) -> tuple[list[Candidate], list[Candidate], list[Candidate], list[Candidate]]:
    """Place in ``done`` the halls pinned to ``tier``, note in ``falls`` why the barred skip it; return the pool
    left to compete for ``tier``, then the pinned, held and barred halls."""
    pinned = [c for c in pool if pins.get(c.hall_id, ("",))[0] == tier]
    for cand in pinned:
        done[cand.hall_id] = placed(cand.hall_id, tier, Fact.of("pinned", final=cand.final,
                                                               why=pins[cand.hall_id][1]), rank=ranks[cand.hall_id])
    # Held: pinned to a lower tier, they wait for it without competing here.
    held = [c for c in pool if c.hall_id in pins and pins[c.hall_id][0] != tier]
    barred = [c for c in pool if tier in bars.get(c.hall_id, {}) and c.hall_id not in pins]
    for cand in barred:
        # A province's 不认定 bars 良好 and 优秀 with one record: the reason says it once.
        if bars[cand.hall_id][tier] not in falls.get(cand.hall_id, []):
            falls.setdefault(cand.hall_id, []).append(bars[cand.hall_id][tier])
    out = {c.hall_id for c in pinned + held + barred}
    return [c for c in pool if c.hall_id not in out], pinned, held, barred


_NAMED = 3  # a tie names this many of the other halls, then says how many more


def _tied_with(cand: Candidate, tied: list[Candidate], names: dict[str, str]) -> str:
    others = [f"{names.get(c.hall_id) or c.hall_id}({c.hall_id})" for c in sorted(tied, key=lambda c: c.hall_id)
              if c.hall_id != cand.hall_id]
    if len(others) <= _NAMED:
        return "、".join(others)
    return "、".join(others[:_NAMED]) + f"等 {len(others)} 个厅"


def _claim(cand: Candidate, config: Config) -> Placement:
    """An unranked hall: the tier its score reaches, as its claim, outside the quota."""
    tier = raw_tier(config, cand.final)
    deciding, pending = cand.claim
    fact = (Fact.of("claim-pending", round=deciding, final=cand.final, tier=tier, pending=pending) if pending
            else Fact.of("claim-self", round=deciding, final=cand.final, tier=tier))
    return placed(cand.hall_id, tier, fact, ranked=False)


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


def _reason(cand: Candidate, tier: str, config: Config, cap: int | None, rank: int, falls: dict[str, list[Fact | str]],
            label: str) -> Fact:
    if cand.hall_id in falls:
        code = "fell-awaiting" if waits_for_decision(falls[cand.hall_id]) else "fell"
        return Fact.of(code, final=cand.final, falls=tuple(falls[cand.hall_id]), tier=tier)
    low = config.thresholds[tier]
    if cap is None:
        return Fact.of("reached", final=cand.final, tier=tier, line=low)
    return Fact.of("reached-in-quota", final=cand.final, tier=tier, line=low, scope=label, cap=cap, rank=rank)
