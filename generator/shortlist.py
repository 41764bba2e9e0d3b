"""差额 (seed: 按照差额20%认定): each province's nominee list (上报名单) for the group.

A province nominates the top ⌈(1 + ratio) × its 优秀 quota⌉ of its 优秀 candidates — evaluated halls whose
reported deciding score reached the 优秀 line, vetoes excluded, and whose city has recognised them (a 市级检查
or higher return: 上报 comes after the city's 认定) — ranked like tiering ranks them. The lists are computed from
the returns and the rules alone, never from decisions, so a list means the same whenever it comes back; the
higher level answers in the list workbook (decisions.py). The province quota is ⌊ratio × its evaluated halls⌋
whatever the quota scope. With ``good_shortlist`` (the default) the same list is made for 良好 (candidates:
reached the 良好 line, not placed 优秀 by the rules).

A tie that straddles the list's size is not cut by hall id: the tied halls are left off and listed under
``needs_decision`` for the province to settle.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

from .config import EXCELLENT, GOOD, Config
from .numbers import number
from .register import Hall
from .tiering import Candidate, competition_ranks, quota_caps, take_until_tie

FOLDER = "上报名单"


def shortlist_size(config: Config, quota: int) -> int:
    """⌈(1 + 差额 ratio) × quota⌉, exactly."""
    return math.ceil((1 + Fraction(config.shortlist_ratio)) * quota)


def build_shortlists(halls: Iterable[Hall], candidates: dict[str, Candidate], placements: dict, config: Config,
                     deciding_rounds: dict[str, str] | None = None) -> list[dict]:
    """The 上报名单 of every province, sorted by province then tier, as results.json carries them.

    ``placements`` are the rules' own (no decisions); ``deciding_rounds`` (hall id → round) keeps halls known
    only from their 自评 off the lists; None skips that check.
    """
    from .config import PASS, ROUND_AUTHORITY

    def city_recognised(hall_id: str) -> bool:
        return deciding_rounds is None or PASS in ROUND_AUTHORITY.get(deciding_rounds.get(hall_id, ""), ())

    provinces: dict[str, list] = {}
    for hall in halls:
        if config.evaluated(hall):
            provinces.setdefault(hall.province, []).append(hall)
    tiers = [EXCELLENT] + ([GOOD] if config.good_shortlist and GOOD in config.quotas else [])
    lists = []
    for province in sorted(provinces):
        members = provinces[province]
        caps = quota_caps(config, len(members))
        for tier in tiers:
            if tier not in caps:
                continue
            line = config.thresholds[tier]
            pool = [candidates[h.hall_id] for h in members if h.hall_id in candidates
                    and not candidates[h.hall_id].vetoes and candidates[h.hall_id].final >= line
                    and city_recognised(h.hall_id)
                    and (tier == EXCELLENT or placements[h.hall_id].tier != EXCELLENT)]
            # Equal halls listed by hall id, so the list does not depend on the register's order.
            pool.sort(key=lambda c: (tuple(-x for x in c.rank_key()), c.hall_id))
            size = shortlist_size(config, caps[tier])
            chosen, tied, _below = take_until_tie(pool, size)
            ranks = competition_ranks(pool)
            names = {h.hall_id: h.name for h in members}
            lists.append({
                "scope": province,
                "tier": tier,
                "quota": caps[tier],
                "size": size,
                "nominees": [{"hall_id": c.hall_id, "name": names[c.hall_id], "final_score": number(c.final),
                              "rank": ranks[c.hall_id]}
                             for c in chosen],
                "needs_decision": sorted(c.hall_id for c in tied),
            })
    return lists


# -- one workbook per province: written and read back by decisions.py -----------------------------------------


def write_shortlists(results: dict, folder: str | Path) -> list[Path]:
    """Write ``<folder>/<省>-上报名单.xlsx`` for every province with a list; byte-stable for the same results."""
    from .decisions import write_lists

    return write_lists(results, folder)
