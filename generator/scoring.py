"""Scoring: one accepted return + the standard → exact scores (standard.md, 评分).

Arithmetic is exact (fractions) until a number is reported; each reported number is rounded once, half up
(四舍五入) to one decimal. Python's ``round()`` rounds halves to even and is never used for scores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction


@dataclass(frozen=True)
class SectionScore:
    section: str
    earned: Fraction
    applicable_max: Fraction

    @property
    def rate(self) -> Fraction | None:
        """Percent of the applicable points earned; None when every item of the section is 不适用."""
        return None if not self.applicable_max else 100 * self.earned / self.applicable_max


@dataclass(frozen=True)
class ScoreCard:
    """Exact scores of one return."""

    base: Fraction
    bonus: Fraction
    deduction: Fraction
    final: Fraction
    earned: Fraction
    applicable_max: Fraction
    sections: tuple[SectionScore, ...]
    vetoes: tuple[str, ...]
    bonus_items: dict[str, Fraction]
    deduction_items: dict[str, Fraction]

    def section(self, name: str) -> SectionScore:
        return next(s for s in self.sections if s.section == name)


def half_up(value: Fraction | Decimal | int, places: int = 1) -> Decimal:
    """Round half away from zero to ``places`` decimals, exactly: half_up(94.25) == Decimal('94.3')."""
    value = Fraction(value)
    scale = 10**places
    scaled = abs(value) * scale
    rounded = math.floor(scaled + Fraction(1, 2))
    sign = -1 if value < 0 else 1
    return Decimal(sign * rounded).scaleb(-places)


def score_return(record, standard, bonus_cap: Decimal | None = None) -> ScoreCard:
    """Score one return. ``bonus_cap`` overrides the standard's total bonus cap (yearly configuration)."""
    sections = []
    earned_total = Fraction(0)
    max_total = Fraction(0)
    for section in standard.sections:
        earned = Fraction(0)
        applicable = Fraction(0)
        for item in standard.items_in(section):
            score = record.scores.get(item.id)
            if score is None:  # 不适用 leaves both sums
                continue
            earned += Fraction(score)
            applicable += Fraction(item.max_points)
        sections.append(SectionScore(section, earned, applicable))
        earned_total += earned
        max_total += applicable
    base = 100 * earned_total / max_total if max_total else Fraction(0)

    bonus_items = {}
    for rule in standard.bonus:
        count = record.events.get(rule.id, 0)
        if count:
            bonus_items[rule.id] = min(count * Fraction(rule.per_event), Fraction(rule.cap))
    cap = Fraction(standard.bonus_cap if bonus_cap is None else bonus_cap)
    bonus = min(sum(bonus_items.values(), Fraction(0)), cap)

    deduction_items = {}
    for rule in standard.deductions:
        count = record.events.get(rule.id, 0)
        if count:
            deduction_items[rule.id] = count * Fraction(rule.per_event)
    deduction = sum(deduction_items.values(), Fraction(0))

    final = max(Fraction(0), base + bonus - deduction)
    vetoes = tuple(v.id for v in standard.vetoes if record.vetoes.get(v.id))
    return ScoreCard(base, bonus, deduction, final, earned_total, max_total, tuple(sections), vetoes,
                     bonus_items, deduction_items)
