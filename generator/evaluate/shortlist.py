"""差额 (seed: 按照差额20%认定): the 上报名单 of 逐级认定, in the 办法's order 市 → 省 → 集团 (standard.md).

1. The 良好 list, one per province, answered by the province: ranked halls (the case file's ``ranked``) with no standing
   veto whose deciding score reaches the 良好 line, ranked as for quotas, the top ⌈(1 + ratio) × the province's
   良好 quota⌉ — halls over the 优秀 line included (认定 on it means 良好 or above).
2. The 优秀 list, answered by the group: only once the province's answer is applied; nominees are the halls that
   answer recognised whose deciding score reaches the 优秀 line, top ⌈(1 + ratio) × 优秀 quota⌉. With national
   quota scope there is one national list (national quota) from the provinces that have answered.

The lists come from the returns, the rules and the province's applied answer only, never from decisions, so a
list means the same whenever an answer to it comes back. A tie that straddles a list's size is not cut by hall
id: the tied halls are left off and listed under ``needs_decision``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from fractions import Fraction
from typing import Any

from generator.evaluate.tiering import Candidate, competition_ranks, quota_caps, take_until_tie
from generator.numbers import number
from generator.rules.config import Config
from generator.rules.register import Hall
from generator.rules.terms import EXCELLENT, GOOD, LIST_OWNER, NATIONAL

FOLDER = "上报名单"


def shortlist_size(config: Config, quota: int) -> int:
    """⌈(1 + 差额 ratio) × quota⌉, exactly."""
    return math.ceil((1 + Fraction(config.shortlist_ratio)) * quota)


def _rated_by_province(halls: Iterable[Hall], config: Config) -> dict[str, list[Hall]]:
    provinces: dict[str, list[Hall]] = {}
    for hall in halls:
        if config.evaluated(hall):
            provinces.setdefault(hall.province, []).append(hall)
    return provinces


def _entry(scope: str, tier: str, quota: int, size: int, pool: list[Candidate], info: Mapping[str, dict[str, Any]],
           waiting: Iterable[str] = ()) -> dict[str, Any]:
    # Equal halls listed by hall id, so the list does not depend on the register's order.
    pool.sort(key=lambda c: (tuple(-x for x in c.rank_key()), c.hall_id))
    chosen, tied, _below = take_until_tie(pool, size)
    ranks = competition_ranks(pool)
    return {
        "scope": scope, "tier": tier, "level": LIST_OWNER[tier], "quota": quota, "size": size,
        "nominees": [{"hall_id": c.hall_id, "rank": ranks[c.hall_id], "final_score": number(c.final),
                      **info[c.hall_id]} for c in chosen],
        "needs_decision": sorted(c.hall_id for c in tied),
        "waiting": sorted(waiting),
    }


def good_lists(halls: Iterable[Hall], candidates: Mapping[str, Candidate], config: Config,
               ranked: Collection[str], info: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Step 1: every province's 良好 list from the ``ranked`` halls (their case file's ``ranked``: rated, and
    市级检查 or higher decides); ``info``: hall id → name, city, level, round as the list prints them."""
    lists: list[dict[str, Any]] = []
    line = config.thresholds[GOOD]
    for province, members in sorted(_rated_by_province(halls, config).items()):
        pool = [candidates[h.hall_id] for h in members if h.hall_id in candidates
                and h.hall_id in ranked and not candidates[h.hall_id].vetoes
                and candidates[h.hall_id].final >= line]
        # A year without a 良好 cap lists every candidate and the province may recognise them all.
        quota = quota_caps(config, len(members)).get(GOOD, len(pool))
        lists.append(_entry(province, GOOD, quota, shortlist_size(config, quota) if GOOD in config.quotas
                            else len(pool), pool, info))
    return lists


def excellent_lists(halls: Iterable[Hall], candidates: Mapping[str, Candidate], config: Config,
                    recognised: Mapping[str, set[str]], info: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Step 2: the group's 优秀 lists from ``recognised`` (province → the halls its applied answer 认定).

    A province missing from ``recognised`` has not answered: its list (or its share of the national list)
    waits for it and holds no nominee of it."""
    lists: list[dict[str, Any]] = []
    if EXCELLENT not in config.quotas:
        return lists
    line = config.thresholds[EXCELLENT]
    provinces = _rated_by_province(halls, config)

    def pool_of(members: list[Hall]) -> list[Candidate]:
        return [candidates[h.hall_id] for h in members if h.hall_id in candidates
                and h.hall_id in recognised.get(h.province, ()) and not candidates[h.hall_id].vetoes
                and candidates[h.hall_id].final >= line]

    if config.quota_scope == "national":
        everyone = [h for members in provinces.values() for h in members]
        quota = quota_caps(config, len(everyone))[EXCELLENT]
        waiting = [p for p in provinces if p not in recognised]
        return [_entry(NATIONAL, EXCELLENT, quota, shortlist_size(config, quota), pool_of(everyone), info, waiting)]
    for province, members in sorted(provinces.items()):
        quota = quota_caps(config, len(members))[EXCELLENT]
        waiting = [] if province in recognised else [province]
        lists.append(_entry(province, EXCELLENT, quota, shortlist_size(config, quota), pool_of(members), info,
                            waiting))
    return lists
