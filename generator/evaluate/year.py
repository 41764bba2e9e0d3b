"""The evaluation of one year: score every accepted return, decide each hall's round, tier the halls, follow the
lists of 逐级认定 and the recorded decisions. Gives the typed year (model.YearResults), which archive/codec.py writes as
results.json. No timestamps and no paths outside the inputs' own names go in: the same inputs, the same year.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.evaluate.case import (
    Card,
    YearCard,
    average_gaps,
    event_kinds,
    hall_row,
    listed_rounds,
    other_returns,
    pending_round,
    recorded_findings,
    uninspected_row,
    with_fields,
    year_card,
)
from generator.evaluate.decisions import RECOGNISE, Answer
from generator.evaluate.overrides import Override, apply_overrides, withdrawals
from generator.evaluate.recognition import Recognition, confirm, recognise
from generator.evaluate.scoring import decimal_of, report_return
from generator.evaluate.tiering import Candidate, Placement, assign_tiers, quota_use
from generator.intake.run import FileStatus, ReturnRecord
from generator.model import Decision, HallRow, Nominee, Shortlist, YearResults
from generator.numbers import number
from generator.rules.register import Hall
from generator.rules.standard import BUSINESS_SECTION, Standard
from generator.rules.terms import KIND_WORDS, RECOGNISED_ORDER
from generator.rules.year_rules import Rules

SCHEMA_VERSION = 3  # 2: confirmed_tier, awaiting, decisions (逐级认定); 3: the hall's case file (rounds with
# their status, events of the year with their rounds, veto_events, pending_round, ranked)


@dataclass(frozen=True)
class Tally:
    """The year's halls counted: by tier, unranked claims by tier, waits by level, recognitions (the command
    line's summary of a build)."""

    halls: int
    tiers: dict[str, int] = field(default_factory=dict)
    claims: dict[str, int] = field(default_factory=dict)  # a 自评 claim (or 市级检查 待重报): no quota place
    waiting: dict[str, int] = field(default_factory=dict)
    recognised: int = 0


def tally(results: YearResults) -> Tally:
    """Tiers, recognitions and waits of the year's halls."""
    tiers: dict[str, int] = {}
    claims: dict[str, int] = {}
    waiting: dict[str, int] = {}
    recognised = 0
    for hall in results.halls:
        counted = claims if hall.round and not hall.ranked and hall.tier in RECOGNISED_ORDER else tiers
        counted[hall.tier] = counted.get(hall.tier, 0) + 1
        if hall.awaiting:
            waiting[hall.awaiting] = waiting.get(hall.awaiting, 0) + 1
        elif hall.confirmed_tier:
            recognised += 1
    return Tally(len(results.halls), tiers, claims, waiting, recognised)


def evaluate_year(halls: Sequence[Hall], records: Iterable[ReturnRecord], standard: Standard, rules: Rules,
                  intake_summary: Mapping[str, Any] | None = None, overrides: Sequence[Override] = (),
                  decisions: Sequence[Answer] = (), files: Sequence[FileStatus] = (),
                  replaced: Sequence[ReturnRecord] = ()) -> YearResults:
    """Score every accepted return, pick each hall's deciding round, tier the halls: the year's results.

    ``files`` (the intake's statuses) and ``replaced`` (accepted returns a newer one replaced) complete each
    hall's case file: every return is listed, and an open rejection above the deciding round makes the hall
    待重报. ``decisions`` (answered 上报名单, decisions.py) are matched to the lists in the 办法's order and pin
    and bar halls inside the rules (confirmation.recognise); ``overrides`` (recorded decisions, overrides.py) are
    applied after the rules, but a withdrawn finding (撤销事项) leaves the hall's year before it is scored. A
    refused list or decision raises ``DecisionError``/``OverrideError`` and nothing is written.
    """
    cases = _cases(halls, records, standard, rules, files, replaced, overrides)
    placements, quotas = assign_tiers(halls, cases.candidates, rules.config, cases.veto_texts)
    lists = recognise(halls, cases.candidates, rules.config, cases.rows, decisions, placements)
    if lists.pins or lists.bars:
        placements, quotas = assign_tiers(halls, cases.candidates, rules.config, cases.veto_texts, lists.pins,
                                          lists.bars)
    if overrides:
        placements = apply_overrides(halls, placements, overrides, rules.config, cases.candidates, lists.records,
                                     cases.refused)
        quotas = quota_use(halls, placements, rules.config)
    rows = _tiered(cases.rows, placements, lists)
    return YearResults(
        schema_version=SCHEMA_VERSION, year=rules.year, standard=_recorded_standard(standard),
        config=recorded_config(rules), quotas=tuple(quotas), intake=dict(intake_summary or {}),
        shortlists=_shortlists(lists, rows, cases.candidates), gaps=average_gaps(halls, rows),
        halls=tuple(rows[h.hall_id] for h in sorted(halls, key=lambda h: h.hall_id)),
        answers=tuple(lists.outcomes))


class _Cases:
    """Every hall's case before tiering: its row, its candidate for tiering, and the refused withdrawals."""

    def __init__(self, veto_texts: dict[str, str], refused: dict[str, str]) -> None:
        self.rows: dict[str, HallRow] = {}
        self.candidates: dict[str, Candidate] = {}
        self.veto_texts = veto_texts
        self.refused = refused


def _cases(halls: Sequence[Hall], records: Iterable[ReturnRecord], standard: Standard, rules: Rules,
           files: Sequence[FileStatus], replaced: Sequence[ReturnRecord], overrides: Sequence[Override]) -> _Cases:
    by_hall: dict[str, list[ReturnRecord]] = {}
    for record in records:
        by_hall.setdefault(record.hall_id, []).append(record)
    round_order = {name: n for n, name in enumerate(rules.rounds)}
    others = other_returns(files, replaced, standard, rules)
    withdrawn, refused = _withdrawn(halls, by_hall, overrides, standard, rules, round_order)
    cases = _Cases({v.id: v.text for v in standard.vetoes}, refused)
    self_order, cap = round_order.get(rules.self_round, 0), rules.bonus_cap
    business = _business_at(standard)
    for hall in halls:
        returns = by_hall.get(hall.hall_id, [])
        if len(returns) > 1:
            returns = sorted(returns, key=lambda r: round_order.get(r.round, -1))
        cards: list[Card] = [(r, report_return(r, standard, cap)) for r in returns]
        gone = withdrawn.get(hall.hall_id, {})
        own_others = others.get(hall.hall_id, ())
        pending = pending_round(cards, own_others, round_order)
        listed = listed_rounds(cards, own_others, round_order)
        if not cards:
            cases.rows[hall.hall_id] = uninspected_row(hall, listed, pending)
            continue
        found = year_card(cards, standard, rules, gone)
        # Ranked: rated, and decided by 市级检查 or higher (a 待重报 市级检查 leaves the 自评 deciding: unranked).
        ranked = rules.config.evaluated(hall) and round_order.get(cards[-1][0].round, -1) > self_order
        cases.rows[hall.hall_id] = hall_row(hall, cards, found, standard, rules, listed, pending, ranked, gone)
        cases.candidates[hall.hall_id] = _candidate(hall, cards[-1][0], found, business, ranked, pending)
    return cases


def _business_at(standard: Standard) -> int | None:
    """Where the 业务办理 section stands among a return's sections (which follow the standard's); None without."""
    return standard.sections.index(BUSINESS_SECTION) if BUSINESS_SECTION in standard.sections else None


def _candidate(hall: Hall, record: ReturnRecord, found: YearCard, business_at: int | None, ranked: bool,
               pending: str | None) -> Candidate:
    """What tiering ranks a hall by: the highest accepted round decides, with the year's events."""
    card = found.reported
    business = None
    if business_at is not None:
        section, business = card.sections[business_at]
        if section != BUSINESS_SECTION:  # never: the sections follow the standard's
            business = dict(card.sections).get(BUSINESS_SECTION)
    return Candidate(hall.hall_id, final=decimal_of(card.final), base=decimal_of(card.base),
                     deduction=decimal_of(card.deduction),
                     business=decimal_of(business) if business is not None else None,
                     vetoes=card.vetoes, ranked=ranked, claim=(record.round, pending or ""))


def _withdrawn(halls: Sequence[Hall], by_hall: Mapping[str, list[ReturnRecord]], overrides: Sequence[Override],
               standard: Standard, rules: Rules, round_order: Mapping[str, int],
               ) -> tuple[dict[str, dict[str, Override]], dict[str, str]]:
    """The findings the decisions withdraw, checked against each named hall's year as recorded (which rounds
    recorded which item): hall id → item → decision, and the withdrawals refused (overrides.withdrawals)."""
    asked = [o for o in overrides if o.withdraw]
    if not asked:
        return {}, {}
    recorded: dict[str, dict[str, list[str]]] = {}
    for hall_id in sorted({o.hall_id for o in asked}):
        returns = sorted(by_hall.get(hall_id, []), key=lambda r: round_order.get(r.round, -1))
        if returns:
            cards = [(r, report_return(r, standard, rules.bonus_cap)) for r in returns]
            recorded[hall_id] = recorded_findings(cards, standard, rules)
    kinds = {item: KIND_WORDS[kind] for item, kind in event_kinds(standard).items()}
    return withdrawals(asked, {h.hall_id for h in halls}, recorded, kinds)


def _tiered(rows: Mapping[str, HallRow], placements: Mapping[str, Placement],
            lists: Recognition) -> dict[str, HallRow]:
    """Each hall's row with its tier, why, and what the answered lists recognised."""
    confirmed: dict[tuple[str, str], tuple[str | None, str | None]] = {}  # (tier, round) → confirm() when unanswered
    out: dict[str, HallRow] = {}
    for hall_id, row in rows.items():
        place = placements[hall_id]
        said = tuple(Decision(**record) for record in lists.records[hall_id]) if hall_id in lists.records else ()
        recognised = [d.tier for d in said if d.result == RECOGNISE]
        if recognised:
            known = confirm(place.tier, row.round, recognised)
        else:
            known = confirmed.get((place.tier, row.round)) or confirmed.setdefault(
                (place.tier, row.round), confirm(place.tier, row.round, ()))
        out[hall_id] = with_fields(row, tier=place.tier, tier_reason=place.reason,
                                   needs_decision=place.needs_decision, pending_tier=place.pending_tier,
                                   rank=place.rank, override=place.override, reason_ranks=place.ranks,
                                   decisions=said, confirmed_tier=known[0], awaiting=known[1])
    return out


def _shortlists(lists: Recognition, rows: Mapping[str, HallRow],
                candidates: Mapping[str, Candidate]) -> tuple[Shortlist, ...]:
    """The year's lists, each nominee with its answer (认定/不认定/None) and whether the list's tier is now
    recognised for it."""
    out = []
    for entry in lists.shortlists:
        nominees = []
        for n in entry["nominees"]:
            row = rows[n["hall_id"]]
            said = next((d for d in row.decisions if d.tier == entry["tier"]), None)
            got = row.confirmed_tier
            nominees.append(Nominee(n["hall_id"], n["name"], candidates[n["hall_id"]].final, n["rank"],
                                    said.result if said else None,
                                    got is not None and RECOGNISED_ORDER.index(got) >= RECOGNISED_ORDER.index(
                                        entry["tier"]), n["city"], n["level"], n["round"]))
        out.append(Shortlist(entry["scope"], entry["tier"], entry["quota"], entry["size"], tuple(nominees),
                             tuple(entry["needs_decision"]), entry["level"], tuple(entry["waiting"]),
                             entry.get("free")))
    return tuple(out)


def _recorded_standard(standard: Standard) -> dict[str, Any]:
    return {"id": standard.id, "version": standard.version, "title": standard.title, "checksum": standard.checksum}


def recorded_config(rules: Rules) -> dict[str, Any]:
    """The year's configuration as results.json records it (rules.Rules.from_record reads it back)."""
    config = rules.config
    return {
        "levels": list(config.levels),
        "hall_types": list(config.hall_types),
        "thresholds": {k: number(v) for k, v in config.thresholds.items()},
        "quotas": {k: str(v) for k, v in config.quotas.items()},
        "quota_scope": config.quota_scope,
        "cap_rounding": config.cap_rounding,
        "shortlist_ratio": str(config.shortlist_ratio),
        "bonus_cap": None if config.bonus_cap is None else number(config.bonus_cap),
        "good_shortlist": config.good_shortlist,
        "rounds": list(config.rounds),
        "improvement": {k: str(v) for k, v in sorted(config.improvement.items())},
        "progress": {k: str(v) for k, v in sorted(config.progress.items())},
        "deadline": config.deadline,
    }
