"""The typed year: what the evaluation gives and the archive keeps (results.json, read and written by archive/codec.py).

Every stage after the evaluation reads these frozen values, never a mapping of string keys: the archive codec,
the list workbooks, the exports and the pages. Scores are ``Decimal``: the exact reported figures, never floats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Score = Decimal | None
# An item's or a section's score: the exact figure, or the workbook's 不适用 (workbook.NOT_APPLICABLE).
ItemScore = Decimal | str | None


def noted(notes: tuple[tuple[str, str], ...]) -> str:
    """The 说明 of a finding as one line: each round's own when several rounds wrote one."""
    return ";".join(f"{rnd}:{text}" for rnd, text in notes) if len(notes) > 1 else "".join(t for _, t in notes)


@dataclass(frozen=True)
class Quota:
    """One capped tier's places in one quota scope: the base, the cap, the places used and the halls waiting."""

    scope: str
    tier: str
    base: int
    cap: int
    used: int
    pending: int  # 需裁定 halls waiting for a decision on this tier


@dataclass(frozen=True)
class RoundScore:
    """One return of the hall's year: accepted, rejected (open) or superseded; scores None when rejected."""

    round: str
    status: str
    date: str
    inspector: str
    base_score: Score
    final_score: Score
    file: str
    sha256: str
    note: str
    problems: tuple[str, ...]


@dataclass(frozen=True)
class Event:
    """A bonus or deduction item as a fact of the year: the largest count any accepted round recorded."""

    id: str
    count: int
    points: Score
    rounds: tuple[str, ...] = ()
    notes: tuple[tuple[str, str], ...] = ()  # (round, 说明)

    @property
    def note(self) -> str:
        return noted(self.notes)


@dataclass(frozen=True)
class Veto:
    """A veto item some accepted round of the year recorded, with the rounds and their 说明."""

    id: str
    rounds: tuple[str, ...] = ()
    notes: tuple[tuple[str, str], ...] = ()

    @property
    def note(self) -> str:
        return noted(self.notes)


@dataclass(frozen=True)
class Withdrawal:
    """A finding of the hall's year that a recorded decision withdrew (overrides.py): it counts for nothing."""

    id: str
    kind: str  # bonus / deduction / veto
    count: int
    rounds: tuple[str, ...]
    notes: tuple[tuple[str, str], ...]
    level: str  # the level that withdrew it (市 / 省 / 集团)
    decided_by: str
    date: str
    reason: str

    @property
    def note(self) -> str:
        return noted(self.notes)


@dataclass(frozen=True)
class Decision:
    """One answer of a returned 上报名单 about the hall (decisions.py), as its page shows it."""

    tier: str
    result: str
    by_level: str
    decided_by: str
    date: str
    reason: str
    source: str


@dataclass(frozen=True)
class HallRow:
    """One register hall's year: its deciding scores, its case file (every return), its tier and why."""

    hall_id: str
    name: str
    province: str
    city: str
    district: str
    level: int
    type: str
    round: str
    date: str
    inspector: str
    base_score: Score
    bonus: Score
    deduction: Score
    final_score: Score
    items: dict[str, ItemScore]  # item id → Decimal, or 不适用
    reasons: dict[str, str]
    sections: dict[str, ItemScore]  # section → Decimal rate, or 不适用
    bonus_events: tuple[Event, ...]
    deduction_events: tuple[Event, ...]
    vetoes: tuple[Veto, ...]
    rounds: tuple[RoundScore, ...]
    self_gap: Score
    # The recorded decision that set the tier after the rules (overrides.py): tier, reason, decided_by, date,
    # rule_tier, level. A mapping because the hall page's template reads it with .get().
    override: dict[str, str] | None
    tier: str
    tier_reason: str
    confirmed_tier: str | None
    awaiting: str | None
    decisions: tuple[Decision, ...]
    needs_decision: bool = False
    pending_tier: str | None = None
    rank: int | None = None
    pending_round: str | None = None  # the round the hall is 待重报 at (an open rejection above its deciding round)
    ranked: bool = False  # takes part in quota places: rated, and 市级检查 or higher decides
    # Where quota ranks stand in tier_reason, (start, end) each (reasons.said_with_ranks): the ranks move with
    # other halls' returns. results.json has the key only where there are some.
    reason_ranks: tuple[tuple[int, int], ...] = ()
    # Findings withdrawn by a recorded decision, with who, level, date and why; the key only where there are some.
    withdrawn: tuple[Withdrawal, ...] = ()


@dataclass(frozen=True)
class Nominee:
    """One hall on a 上报名单, with the answer it got and whether the list's tier is now recognised for it."""

    hall_id: str
    name: str
    final_score: Score
    rank: int
    decision: str | None
    confirmed: bool
    city: str = ""
    level: int | str = ""
    round: str = ""


@dataclass(frozen=True)
class Shortlist:
    """One 上报名单 of 逐级认定 (shortlist.py) as issued, with what its answer decided."""

    scope: str
    tier: str
    quota: int
    size: int
    nominees: tuple[Nominee, ...]
    needs_decision: tuple[str, ...]
    level: str = ""  # the level that answers it (省 for 良好, 集团 for 优秀)
    waiting: tuple[str, ...] = ()  # provinces whose 良好 answer the 优秀 list still waits for
    free: int | None = None  # 良好 places an answered list leaves free (None: not answered)


@dataclass(frozen=True)
class YearResults:
    """The evaluated year: what results.json holds, typed."""

    schema_version: int
    year: int
    standard: dict[str, Any]  # id, version, title, checksum
    config: dict[str, Any]  # the configuration as recorded (rules.Rules.from_record reads it back)
    quotas: tuple[Quota, ...]
    intake: dict[str, Any]  # the intake's summary, as the intake stage gives it
    shortlists: tuple[Shortlist, ...]
    gaps: dict[str, Any]  # national: Score, by_province: {province: Score} (the pages read it as a mapping)
    halls: tuple[HallRow, ...] = field(default=())
    answers: tuple[dict[str, Any], ...] = ()  # every answered list read, and what the build did with it (逐级认定)
