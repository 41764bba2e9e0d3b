"""Scoring: one accepted return + the standard → exact scores (standard.md, 评分).

Arithmetic is exact (fractions) until a number is reported; each reported number is rounded once, half up
(四舍五入) to one decimal. Python's ``round()`` rounds halves to even and is never used for scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from typing import Any, NamedTuple

from generator.intake.run import ReturnRecord
from generator.numbers import MEMO_LIMIT
from generator.rules.standard import Standard


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


_PLANS: dict[int, tuple[Any, ...]] = {}  # id(standard) → (standard, plan, exact): see _plan


def _plan(standard: Standard) -> tuple[Any, ...]:
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


# A return's base as sums: its sections, earned and applicable points, and the base score (0-100).
BaseSums = tuple[list["SectionScore"], Fraction, Fraction, Fraction]


def _base_in_halves(record: ReturnRecord, standard: Standard) -> BaseSums | None:
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
    if standard.weighted:
        base = weighted_base(sections, standard)
    return _card(record, standard, bonus_cap, sections, earned_total, max_total, base)


def weighted_base(sections: list[SectionScore], standard: Standard) -> Fraction:
    """Base of a standard with section weights (standard.md): 100 × Σ w·rate ÷ Σ w over the sections that have
    an applicable item; a section all 不适用 leaves both sums, as an item does in the plain formula."""
    weighted = total = Fraction(0)
    for s in sections:
        if s.applicable_max:
            weight = Fraction(standard.weight(s.section))
            weighted += weight * s.earned / s.applicable_max
            total += weight
    return 100 * weighted / total if total else Fraction(0)


def _base_exact(record: ReturnRecord, standard: Standard) -> BaseSums:
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


# -- reported figures straight from integers ----------------------------------------------------------------

class Reported(NamedTuple):
    """The reported figures of one return, each an integer of tenths (94.3 → 943): half_up of the exact
    ScoreCard value, computed without Fractions when every point is a multiple of 0.5 (the standard's are)."""

    base: int
    bonus: int
    deduction: int
    final: int
    sections: tuple[tuple[str, int | None], ...]  # section → rate in tenths of a percent, None when 不适用
    bonus_items: dict[str, int]
    deduction_items: dict[str, int]
    vetoes: tuple[str, ...]


def tenths(value: Fraction | Decimal | int) -> int:
    """``half_up(value)`` as an integer of tenths."""
    if not isinstance(value, (int, Fraction)):
        value = Fraction(value)
    n, d = value.numerator, value.denominator
    rounded = _tenths_of(abs(n), d)
    return -rounded if n < 0 else rounded


def _tenths_of(n: int, d: int) -> int:
    """Half up of n/d (d > 0, n >= 0) in tenths, in integers."""
    return (20 * n + d) // (2 * d)


_EVENT_PLANS: dict[tuple[int, Decimal | None], tuple[Any, ...] | None] = {}


def _event_plan(standard: Standard, bonus_cap: Decimal | None) -> tuple[Any, ...] | None:
    """Bonus rules (id, per, cap), deductions (id, per) and the total cap, all in half-points; None when one
    of them is not a multiple of 0.5."""
    key = (id(standard), bonus_cap)
    if key in _EVENT_PLANS:
        entry = _EVENT_PLANS[key]
        if entry is not None and entry[0] is standard:
            return entry
    bonus = tuple((r.id, _halves(r.per_event), _halves(r.cap)) for r in standard.bonus)
    minus = tuple((r.id, _halves(r.per_event)) for r in standard.deductions)
    cap = _halves(standard.bonus_cap if bonus_cap is None else bonus_cap)
    exact = cap is not None and all(p is not None and c is not None for _, p, c in bonus) \
        and all(p is not None for _, p in minus)
    vetoes = tuple(v.id for v in standard.vetoes)
    _, plan, _ = _plan(standard)
    sections = tuple((section, items, tuple(i for i, _ in items), sum(h for _, h in items)) for section, items in plan)
    entry = (standard, bonus, minus, cap, vetoes, sections) if exact else None
    if len(_EVENT_PLANS) > 16:
        _EVENT_PLANS.clear()
    _EVENT_PLANS[key] = entry
    return entry


def report_return(record: ReturnRecord, standard: Standard, bonus_cap: Decimal | None = None) -> Reported:
    """The reported figures of ``record``: the same numbers as half_up over :func:`score_return`'s card."""
    _, _, exact = _plan(standard)
    # The integer path knows the plain sum only: a weighted base goes through the exact card.
    events = _event_plan(standard, bonus_cap) if exact and not standard.weighted else None
    if events is not None:
        got = _reported_in_halves(record, events)
        if got is not None:
            return got
    card = score_return(record, standard, bonus_cap)
    return Reported(tenths(card.base), tenths(card.bonus), tenths(card.deduction), tenths(card.final),
                    tuple((s.section, None if s.rate is None else tenths(s.rate)) for s in card.sections),
                    {k: tenths(v) for k, v in card.bonus_items.items()},
                    {k: tenths(v) for k, v in card.deduction_items.items()}, card.vetoes)


_KNOWN_HALVES: dict[Decimal | None, int] = {}


def _reported_in_halves(record: ReturnRecord, events: tuple[Any, ...]) -> Reported | None:
    _, bonus_rules, minus_rules, total_cap, veto_ids, plan = events
    scores, known = record.scores, _KNOWN_HALVES
    sections = []
    earned_total = max_total = 0
    for section, items, ids, full in plan:
        try:  # the common case, in C: every item scored, each value seen before
            earned, applicable = sum(map(known.__getitem__, map(scores.get, ids))), full
        except (KeyError, TypeError):  # 不适用 (None is never a key), a value not seen yet, an unhashable one
            earned = applicable = 0
            for item_id, max_halves in items:
                score = scores.get(item_id)
                if score is None:  # 不适用 leaves both sums
                    continue
                try:
                    halves = known.get(score)
                except TypeError:  # a signalling NaN: the exact path says what it makes of it
                    return None
                if halves is None:
                    halves = _halves(score)
                    if halves is None:
                        return None
                    if len(known) < 4096:  # scores take a handful of values: each converted once
                        known[score] = halves
                earned += halves
                applicable += max_halves
        sections.append((section, _tenths_of(100 * earned, applicable) if applicable else None))
        earned_total += earned
        max_total += applicable
    bonus_items, bonus, deduction_items, deduction = _events_in_halves(record.events, bonus_rules, minus_rules)
    bonus = min(bonus, total_cap)
    # base = 100·E/M; final = max(0, base + (B − D)/2) = (200·E + (B − D)·M) / (2·M), all in half-points.
    if max_total:
        base = _tenths_of(100 * earned_total, max_total)
        n, d = 200 * earned_total + (bonus - deduction) * max_total, 2 * max_total
    else:
        base, n, d = 0, bonus - deduction, 2
    final = _tenths_of(n, d) if n > 0 else 0
    flags = record.vetoes
    vetoes = tuple(v for v in veto_ids if flags.get(v)) if any(flags.values()) else ()
    return Reported(base, 5 * bonus, 5 * deduction, final, tuple(sections), bonus_items, deduction_items, vetoes)


def _events_in_halves(counts: dict[str, int], bonus_rules: tuple[tuple[str, int, int], ...],
                      minus_rules: tuple[tuple[str, int], ...]) -> tuple[dict[str, int], int, dict[str, int], int]:
    """A return's bonus and deduction items in tenths and their totals in half-points (the bonus not yet capped)."""
    bonus_items, bonus = {}, 0
    deduction_items, deduction = {}, 0
    if any(counts.values()):  # most returns record no event at all
        for rule_id, per, cap in bonus_rules:
            count = counts.get(rule_id, 0)
            if count:
                points = min(count * per, cap)
                bonus_items[rule_id] = 5 * points  # half-points → tenths
                bonus += points
        for rule_id, per in minus_rules:
            count = counts.get(rule_id, 0)
            if count:
                deduction_items[rule_id] = 5 * count * per
                deduction += count * per
    return bonus_items, bonus, deduction_items, deduction


def figure(value: int) -> int | float:
    """Tenths as JSON carries a reported number (numbers.number of the Decimal): 943 → 94.3, 950 → 95."""
    return value // 10 if value % 10 == 0 else value / 10


_DECIMALS: dict[int, Decimal] = {}


def decimal_of(value: int) -> Decimal:
    """Tenths as the Decimal ``half_up`` gives (950 → Decimal('95.0')): the figure tiering ranks and says."""
    got = _DECIMALS.get(value)
    if got is None:
        if len(_DECIMALS) > MEMO_LIMIT:
            _DECIMALS.clear()
        got = _DECIMALS[value] = Decimal(value).scaleb(-1)
    return got
