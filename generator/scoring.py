"""Scoring: one accepted return + the standard → exact scores (standard.md, 评分).

Arithmetic is exact (fractions) until a number is reported; each reported number is rounded once, half up
(四舍五入) to one decimal. Python's ``round()`` rounds halves to even and is never used for scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .intake import ReturnRecord
    from .standard import Standard


@dataclass(frozen=True)
class SectionScore:
    section: str
    earned: Fraction
    applicable_max: Fraction

    @cached_property
    def rate(self) -> Fraction | None:
        """Percent of the applicable points earned; None when every item of the section is 不适用."""
        e, a = self.earned, self.applicable_max
        if not a:
            return None
        return Fraction(100 * e.numerator * a.denominator, e.denominator * a.numerator)


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
    if not isinstance(value, (int, Fraction)):
        value = Fraction(value)
    n, d = value.numerator, value.denominator
    # floor(|n/d| * scale + 1/2) in integers: no Fraction arithmetic on the hot path.
    rounded = (2 * abs(n) * 10**places + d) // (2 * d)
    return Decimal(-rounded if n < 0 else rounded).scaleb(-places)


def _halves(value: Any) -> int | None:
    """``value`` in half-points when it is a whole multiple of 0.5 (the standard's points are), else None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        n, d = value.as_integer_ratio()
    except (AttributeError, ValueError, OverflowError):
        return None
    return 2 * n if d == 1 else n if d == 2 else None


_PLANS: dict[int, tuple] = {}


def _plan(standard: Standard) -> tuple:
    """Per standard, once: each section's items with their maximum in half-points (None: not all exact)."""
    entry = _PLANS.get(id(standard))
    if entry is None or entry[0] is not standard:
        plan = tuple((section, tuple((item.id, _halves(item.max_points)) for item in standard.items_in(section)))
                     for section in standard.sections)
        exact = all(h is not None for _, items in plan for _, h in items)
        if len(_PLANS) > 16:
            _PLANS.clear()
        entry = _PLANS[id(standard)] = (standard, plan, exact)
    return entry


def _base_in_halves(record, standard):
    """Sections, earned, applicable and base score summed as integers of half-points; None when some score is
    not a multiple of 0.5 (then the exact Fraction sums below do it)."""
    _, plan, exact = _plan(standard)
    if not exact:
        return None
    scores = record.scores
    sections, earned_total, max_total = [], 0, 0
    for section, items in plan:
        earned = applicable = 0
        for item_id, max_halves in items:
            score = scores.get(item_id)
            if score is None:  # 不适用 leaves both sums
                continue
            halves = _halves(score)
            if halves is None:
                return None
            earned += halves
            applicable += max_halves
        sections.append(SectionScore(section, Fraction(earned, 2), Fraction(applicable, 2)))
        earned_total += earned
        max_total += applicable
    base = Fraction(100 * earned_total, max_total) if max_total else Fraction(0)
    return sections, Fraction(earned_total, 2), Fraction(max_total, 2), base


def score_return(record: ReturnRecord, standard: Standard, bonus_cap: Decimal | None = None) -> ScoreCard:
    """Score one return. ``bonus_cap`` overrides the standard's total bonus cap (yearly configuration)."""
    fast = _base_in_halves(record, standard)
    if fast is not None:
        sections, earned_total, max_total, base = fast
    else:
        sections, earned_total, max_total, base = _base_exact(record, standard)
    return _card(record, standard, bonus_cap, sections, earned_total, max_total, base)


def _base_exact(record, standard):
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
    return sections, earned_total, max_total, base


def _card(record: ReturnRecord, standard: Standard, bonus_cap: Decimal | None, sections: list[SectionScore],
          earned_total: Any, max_total: Any, base: Any) -> ScoreCard:
    bonus_items = {}
    for rule in standard.bonus:
        count = record.events.get(rule.id, 0)
        if count:
            bonus_items[rule.id] = min(count * Fraction(rule.per_event), Fraction(rule.cap))
    cap = Fraction(standard.bonus_cap if bonus_cap is None else bonus_cap)
    bonus = min(sum(bonus_items.values(), Fraction(0)), cap)

    deduction_items = {}
    for minus in standard.deductions:
        count = record.events.get(minus.id, 0)
        if count:
            deduction_items[minus.id] = count * Fraction(minus.per_event)
    deduction = sum(deduction_items.values(), Fraction(0))

    final = max(Fraction(0), base + bonus - deduction)
    vetoes = tuple(v.id for v in standard.vetoes if record.vetoes.get(v.id))
    return ScoreCard(base, bonus, deduction, final, earned_total, max_total, tuple(sections), vetoes,
                     bonus_items, deduction_items)
