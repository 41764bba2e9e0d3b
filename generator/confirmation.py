"""逐级认定: which tier a hall has had recognised so far, and which level it still waits for (standard.md).

The rule tier is untouched; beside it, the confirmed tier is the highest tier, at most the rule tier, that the
deciding round has the authority for (``ROUND_AUTHORITY``) or that a returned 上报名单 recognised (认定 优秀
implies 良好). A hall waits for the level that owns its tier (``TIER_OWNER``) while that tier is not yet
confirmed; a hall known only from 自评 waits for 市 and has nothing confirmed. Halls that are not tiered
(不参评, 未检查) have neither.
"""

from __future__ import annotations

from collections.abc import Iterable

from .config import CITY, RECOGNISED_ORDER, ROUND_AUTHORITY, TIER_OWNER


def confirm(tier: str, deciding_round: str, recognised: Iterable[str] = ()) -> tuple[str | None, str | None]:
    """``(confirmed_tier, awaiting)`` of a hall with rule/final ``tier`` decided by ``deciding_round``.

    ``recognised``: tiers a returned list 认定 for the hall.
    """
    if tier not in RECOGNISED_ORDER:
        return None, None
    ceiling = RECOGNISED_ORDER.index(tier)
    allowed = set(ROUND_AUTHORITY.get(deciding_round, ()))
    for t in recognised:  # 认定 优秀 implies 良好 and below
        if t in RECOGNISED_ORDER:
            allowed |= {x for x in RECOGNISED_ORDER[1:RECOGNISED_ORDER.index(t) + 1]}
    confirmed = next((t for t in reversed(RECOGNISED_ORDER[:ceiling + 1]) if t in allowed), None)
    if confirmed is None:
        return None, CITY
    return confirmed, (None if confirmed == tier else TIER_OWNER[tier])


def label(tier: str, confirmed: str | None, awaiting: str | None) -> str:
    """What a page prints: a recognised tier as it is, a claim as a claim (优秀 · 待集团认定)."""
    if awaiting is None:
        return tier
    return f"{tier} · 待{awaiting}认定"
