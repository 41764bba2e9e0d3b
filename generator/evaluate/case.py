"""One hall's case file for the year: every return with its status, the year's findings and the deciding figures.

The evaluation (evaluate/year.py) asks for a hall's :class:`~model.HallRow` before its tier is known; the tier,
its reason and what the lists recognised are added once the whole year is tiered.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import repeat
from operator import is_

from generator.evaluate.overrides import Override
from generator.evaluate.scoring import Reported, decimal_of, half_up, report_return
from generator.intake.run import ACCEPTED, REJECTED, SUPERSEDED, FileStatus, ReturnRecord
from generator.model import Event, HallRow, ItemScore, RoundScore, Veto, Withdrawal
from generator.rules.contract import NOT_APPLICABLE
from generator.rules.problems import Problem
from generator.rules.register import Hall
from generator.rules.standard import BonusRule, DeductionRule, Standard
from generator.rules.terms import NOT_INSPECTED
from generator.rules.year_rules import Rules

Card = tuple[ReturnRecord, Reported]  # one accepted return with its reported figures
Found = tuple[int, list[str], list[tuple[str, str]]]  # a bonus/deduction item: count, rounds, (round, 说明)
Vetoed = tuple[list[str], list[tuple[str, str]]]  # a veto item: rounds, (round, 说明)


@dataclass(frozen=True)
class YearCard:
    """The deciding round's figures with the year's events, and which rounds recorded each finding."""

    reported: Reported
    events: dict[str, Found]
    vetoes: dict[str, Vetoed]


def event_kinds(standard: Standard) -> dict[str, str]:
    """Every bonus, deduction and veto item of the standard → its kind, in the standard's order."""
    return {**{b.id: "bonus" for b in standard.bonus}, **{d.id: "deduction" for d in standard.deductions},
            **{v.id: "veto" for v in standard.vetoes}}


def other_returns(files: Sequence[FileStatus], replaced: Sequence[ReturnRecord], standard: Standard,
                  rules: Rules) -> dict[str, list[RoundScore]]:
    """Each hall's returns that do not count: open rejections, corrected ones and replaced accepted ones, as
    the rounds list shows them (a replaced return with its own score, a rejection with its problems)."""
    scored = {r.file: r for r in replaced}
    out: dict[str, list[RoundScore]] = {}
    for f in files:
        if f.status not in (REJECTED, SUPERSEDED) or not f.hall_id:
            continue
        record = scored.get(f.path)
        if record is not None:
            card = report_return(record, standard, rules.bonus_cap)
            entry = RoundScore(record.round, SUPERSEDED, record.date, record.inspector, decimal_of(card.base),
                               decimal_of(card.final), f.path, record.sha256, f.note, ())
        elif f.round:
            entry = RoundScore(f.round, f.status, "", "", None, None, f.path, "", f.note,
                               tuple(problem_text(p) for p in f.problems if p.severity == "error"))
        else:
            continue  # no round read: the quality page and the to-do lists name it, not a round of the case
        out.setdefault(f.hall_id, []).append(entry)
    return out


def problem_text(p: Problem) -> str:
    """A rejected return's problem as its round shows it: where, then what."""
    where = " ".join(x for x in (p.sheet, p.cell) if x)
    return f"{where}:{p.message}" if where else p.message


def pending_round(cards: Sequence[Card], others: Iterable[RoundScore], round_order: Mapping[str, int]) -> str | None:
    """The round a hall is 待重报 at: its highest round when that round exists only as an open rejection."""
    top = round_order.get(cards[-1][0].round, -1) if cards else -1
    open_rounds = [o.round for o in others if o.status == REJECTED and round_order.get(o.round, -1) > top]
    return max(open_rounds, key=lambda r: round_order.get(r, -1)) if open_rounds else None


def year_card(cards: Sequence[Card], standard: Standard, rules: Rules, drop: Collection[str] = ()) -> YearCard:
    """The deciding round's base with the year's events: per item the largest count any accepted inspection
    round recorded (自评's only while 自评 decides), each with the rounds that recorded it and their 说明.
    The items in ``drop`` (withdrawn by a decision) are still listed but count for nothing in the figures."""
    record, card = cards[-1]
    sources = [r for r, _ in cards if r.round != rules.self_round] or [record]
    if len(sources) == 1 and not any(record.events.values()) and not any(record.vetoes.values()):
        return YearCard(card, {}, {})  # the usual return: nothing recorded, nothing to merge
    # Only the items some round recorded are looked at (a return records a few of the standard's items).
    noted = {item for r in sources for item, n in r.events.items() if n}
    counts: dict[str, int] = {}
    events: dict[str, Found] = {}
    event_rules: list[BonusRule | DeductionRule] = [*standard.bonus, *standard.deductions]
    for rule in event_rules:
        if rule.id not in noted:
            continue
        found = [(r.round, r.events.get(rule.id, 0), r.event_notes.get(rule.id, "")) for r in sources]
        best = max(n for _, n, _ in found)
        if best:
            counts[rule.id] = best
            events[rule.id] = (best, [rnd for rnd, n, _ in found if n], [(rnd, t) for rnd, n, t in found if n and t])
    flagged = {item for r in sources for item, flag in r.vetoes.items() if flag}
    flags: dict[str, bool] = dict.fromkeys((v.id for v in standard.vetoes), False)
    vetoes: dict[str, Vetoed] = {}
    for veto in standard.vetoes:
        if veto.id not in flagged:
            continue
        said = [(r.round, r.veto_notes.get(veto.id, "")) for r in sources if r.vetoes.get(veto.id)]
        flags[veto.id] = bool(said)
        if said:
            vetoes[veto.id] = ([rnd for rnd, _ in said], [(rnd, t) for rnd, t in said if t])
    if not drop and len(sources) == 1 and sources[0] is record:
        return YearCard(card, events, vetoes)
    merged = dataclasses.replace(record, events={k: n for k, n in counts.items() if k not in drop},
                                 vetoes={k: flag and k not in drop for k, flag in flags.items()})
    return YearCard(report_return(merged, standard, rules.bonus_cap), events, vetoes)


def recorded_findings(cards: Sequence[Card], standard: Standard, rules: Rules) -> dict[str, list[str]]:
    """Which rounds recorded each finding of the hall's year (what a withdrawal is checked against)."""
    found = year_card(cards, standard, rules)
    recorded = {item: rounds for item, (_, rounds, _) in found.events.items()}
    recorded.update((item, rounds) for item, (rounds, _) in found.vetoes.items())
    return recorded


def listed_rounds(cards: Sequence[Card], others: Iterable[RoundScore],
                  round_order: Mapping[str, int]) -> tuple[RoundScore, ...]:
    """Every return of the hall's year, accepted or not, in round order, then date and file."""
    accepted = [RoundScore(r.round, ACCEPTED, r.date, r.inspector, decimal_of(c.base), decimal_of(c.final), r.file,
                           r.sha256, "", ()) for r, c in cards]
    rest = list(others)
    if not rest and len(accepted) == 1:
        return (accepted[0],)  # the usual hall: one return, nothing to order
    return tuple(sorted(accepted + rest, key=lambda e: (round_order.get(e.round, -1), e.date, e.file)))


def uninspected_row(hall: Hall, listed: tuple[RoundScore, ...], pending: str | None) -> HallRow:
    """A register hall no accepted return speaks for: 未检查 (its rejected returns still listed)."""
    return HallRow(hall.hall_id, hall.name, hall.province, hall.city, hall.district, hall.level, hall.type, "", "", "",
                   None, None, None, None, {}, {}, {}, (), (), (), listed, None, None, NOT_INSPECTED, "", None, None,
                   (), pending_round=pending, ranked=False)


def hall_row(hall: Hall, cards: Sequence[Card], found: YearCard, standard: Standard, rules: Rules,
             listed: tuple[RoundScore, ...], pending: str | None, ranked: bool,
             gone: Mapping[str, Override] | None = None) -> HallRow:
    """An inspected hall's year before it is tiered: the deciding return's scores with the year's findings."""
    record = cards[-1][0]
    card, events, vetoes = found.reported, found.events, found.vetoes
    first_record, first = cards[0]
    # Gap between the deciding review (with the year's events) and the self-assessment, both as reported.
    gap = decimal_of(card.final - first.final) if len(cards) > 1 and first_record.round == rules.self_round else None

    withdrawn = tuple(withdrawal(item, kind, found, gone[item]) for item, kind in event_kinds(standard).items()
                      if item in gone) if gone else ()
    return new_row(
        hall_id=hall.hall_id, name=hall.name, province=hall.province, city=hall.city, district=hall.district,
        level=hall.level, type=hall.type, round=record.round, date=record.date, inspector=record.inspector,
        base_score=decimal_of(card.base), bonus=decimal_of(card.bonus), deduction=decimal_of(card.deduction),
        final_score=decimal_of(card.final),
        items=item_scores(record.scores, standard),
        reasons=dict(sorted(record.reasons.items())) if record.reasons else {},
        sections={s: (NOT_APPLICABLE if rate is None else decimal_of(rate)) for s, rate in card.sections},
        bonus_events=event_rows(standard.bonus, card.bonus_items, events) if card.bonus_items else (),
        deduction_events=event_rows(standard.deductions, card.deduction_items, events) if card.deduction_items else (),
        vetoes=tuple(Veto(v, tuple(vetoes[v][0]), tuple(vetoes[v][1])) for v in card.vetoes) if card.vetoes else (),
        rounds=listed, self_gap=gap, override=None, tier=NOT_INSPECTED, tier_reason="", confirmed_tier=None,
        awaiting=None, decisions=(), needs_decision=False, pending_tier=None, rank=None, pending_round=pending,
        ranked=ranked, reason_ranks=(), withdrawn=withdrawn)


_ROW_FIELDS = tuple(f.name for f in dataclasses.fields(HallRow))


def new_row(**fields: object) -> HallRow:
    """``HallRow(**fields)`` with every field named, in the class's order (a TypeError otherwise), without the
    frozen ``__init__``'s one object.__setattr__ per field (once per inspected hall of the year)."""
    if tuple(fields) != _ROW_FIELDS:
        raise TypeError(f"HallRow takes every field, in order: {', '.join(_ROW_FIELDS)}")
    out: HallRow = object.__new__(HallRow)
    out.__dict__.update(fields)
    return out


def with_fields(row: HallRow, **changes: object) -> HallRow:
    """``dataclasses.replace(row, **changes)`` for the names of HallRow's fields, without running the frozen
    ``__init__`` again (once per hall of the year: the tier added to each row). ``changes`` are field names only."""
    out: HallRow = object.__new__(HallRow)
    out.__dict__.update(row.__dict__, **changes)
    return out


def event_rows(rules_of_kind: Iterable[BonusRule | DeductionRule], points: Mapping[str, int],
               events: Mapping[str, Found]) -> tuple[Event, ...]:
    """The bonus or deduction items that count in the figures, in the standard's order, with the year's facts."""
    return tuple(Event(r.id, events[r.id][0], decimal_of(points[r.id]), tuple(events[r.id][1]),
                       tuple(events[r.id][2])) for r in rules_of_kind if r.id in points and r.id in events)


def withdrawal(item: str, kind: str, found: YearCard, o: Override) -> Withdrawal:
    """A withdrawn finding as recorded (count, rounds, 说明) with the decision that withdrew it."""
    if kind == "veto":
        rounds, notes = found.vetoes[item]
        count = 1
    else:
        count, rounds, notes = found.events[item]
    return Withdrawal(item, kind, count, tuple(rounds), tuple(notes), o.level, o.decided_by, o.date, o.reason)


def item_scores(scores: Mapping[str, Decimal | None], standard: Standard) -> dict[str, ItemScore]:
    """Every item's score in the standard's order; 不适用 where the return has none."""
    ids = item_ids(standard)
    values: list[ItemScore] = list(map(scores.get, ids))
    # An identity test: ``None in values`` would compare each Decimal with None, a slow path of Decimal's ==.
    if any(map(is_, values, repeat(None))):
        values = [NOT_APPLICABLE if v is None else v for v in values]
    return dict(zip(ids, values))


_ITEM_IDS: dict[int, tuple[Standard, tuple[str, ...]]] = {}


def item_ids(standard: Standard) -> tuple[str, ...]:
    """The standard's item ids in order, made once per standard (a year asks for them once per hall)."""
    got = _ITEM_IDS.get(id(standard))
    if got is None or got[0] is not standard:
        if len(_ITEM_IDS) > 16:
            _ITEM_IDS.clear()
        got = _ITEM_IDS[id(standard)] = (standard, tuple(i.id for i in standard.items))
    return got[1]


def average_gaps(halls: Iterable[Hall], rows: Mapping[str, HallRow]) -> dict[str, object]:
    """Average gap (deciding review − 自评), nationally and per province, half up on the exact mean."""
    def average(values: list[Fraction]) -> Decimal | None:
        return half_up(sum(values, Fraction(0)) / len(values)) if values else None

    by_province: dict[str, list[Fraction]] = {h.province: [] for h in halls}
    everyone = []
    for hall in halls:
        gap = rows[hall.hall_id].self_gap
        if gap is not None:
            exact = Fraction(gap)
            by_province[hall.province].append(exact)
            everyone.append(exact)
    return {"national": average(everyone),
            "by_province": {p: average(v) for p, v in sorted(by_province.items())}}
