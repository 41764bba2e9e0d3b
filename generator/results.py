"""Results: the canonical, versioned record of one year (``archive/<Y>/results.json``).

``evaluate`` runs scoring and tiering over the accepted returns and gives the results as plain JSON-ready
data; ``save_year`` and ``load_archive`` keep the archive, one folder per year, from which every page can be
rebuilt. No timestamps and no paths outside the inputs' own names go in, so the same inputs give the same bytes.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from . import collector
from . import record as record_io
from .config import NOT_INSPECTED, RECOGNISED_ORDER
from .confirmation import confirm, recognise
from .decisions import RECOGNISE
from .fsutil import write_chunks_atomic
from .numbers import number
from .overrides import apply_overrides, withdrawals
from .record import KIND_WORDS, SCHEMA_VERSION
from .rules import Rules
from .rules_standard_load import archived_text, load_standard
from .scoring import decimal_of, figure, half_up, report_return
from .standard import BUSINESS_SECTION
from .tiering import Candidate, assign_tiers, quota_use
from .workbook import NOT_APPLICABLE

if TYPE_CHECKING:
    from decimal import Decimal

    from .config import Config
    from .decisions import Answer
    from .intake import FileStatus, ReturnRecord
    from .overrides import Override
    from .problems import Problem
    from .register import Hall
    from .scoring import Reported
    from .standard import BonusRule, DeductionRule, Standard

RESULTS_FILE = "results.json"
INTAKE_FILE = "intake.json"
STANDARD_FILE = "standard.yaml"


def evaluate(halls: Sequence[Hall], records: Iterable[ReturnRecord], standard: Standard, config: Config | Rules,
             intake_summary: dict | None = None, overrides: Sequence[Override] = (),
             decisions: Sequence[Answer] = (), files: Sequence[FileStatus] = (),
             replaced: Sequence[ReturnRecord] = ()) -> dict:
    """Score every accepted return, pick each hall's deciding round, tier the halls: the year's results.

    ``files`` (the intake's statuses) and ``replaced`` (accepted returns a newer one replaced) complete each
    hall's case file: every return is listed, and an open rejection above the deciding round makes the hall
    待重报. ``decisions`` (answered 上报名单, decisions.py) are matched to the lists in the 办法's order and pin
    and bar halls inside the rules (confirmation.recognise); ``overrides`` (recorded decisions, overrides.py) are
    applied after the rules, but a withdrawn finding (撤销事项) leaves the hall's year before it is scored. A
    refused list or decision raises ``DecisionError``/``OverrideError`` and nothing is written.
    """
    with collector.paused():  # the rows hold no cycles: no collection walks them (collector.py)
        return _evaluate(halls, records, standard, config, intake_summary, overrides, decisions, files, replaced)


def _evaluate(halls: Sequence[Hall], records: Iterable[ReturnRecord], standard: Standard, config: Config | Rules,
              intake_summary: dict | None, overrides: Sequence[Override], decisions: Sequence[Answer],
              files: Sequence[FileStatus] = (), replaced: Sequence[ReturnRecord] = ()) -> dict:
    rules = config if isinstance(config, Rules) else Rules.of(standard, config)
    config = rules.config
    by_hall: dict[str, list] = {}
    for record in records:
        by_hall.setdefault(record.hall_id, []).append(record)
    round_order = {name: n for n, name in enumerate(config.rounds)}
    others = _other_returns(files, replaced, standard, rules)
    withdrawn, refused = _withdrawn(halls, by_hall, overrides, standard, rules, round_order)

    hall_rows: dict[str, dict] = {}
    candidates: dict[str, Candidate] = {}
    business_rate = BUSINESS_SECTION in standard.sections
    for hall in halls:
        returns = sorted(by_hall.get(hall.hall_id, []), key=lambda r: round_order.get(r.round, -1))
        cards = [(r, report_return(r, standard, rules.bonus_cap)) for r in returns]
        gone = withdrawn.get(hall.hall_id, {})
        year_card = _year_card(cards, standard, rules, gone) if cards else None
        pending = _pending_round(cards, others.get(hall.hall_id, ()), round_order)
        # Ranked: rated, and decided by 市级检查 or higher (a 待重报 市级检查 leaves the 自评 deciding: unranked).
        ranked = bool(cards) and config.evaluated(hall) and \
            round_order.get(cards[-1][0].round, -1) > round_order.get(rules.self_round, 0)
        hall_rows[hall.hall_id] = _hall_row(hall, cards, year_card, standard, rules.self_round, round_order,
                                            others.get(hall.hall_id, ()), pending, ranked, gone)
        if cards and year_card is not None:
            record, card = cards[-1][0], year_card[0]  # the highest accepted round decides, with the year's events
            business = dict(card.sections).get(BUSINESS_SECTION) if business_rate else None
            candidates[hall.hall_id] = Candidate(
                hall.hall_id,
                final=decimal_of(card.final),
                base=decimal_of(card.base),
                deduction=decimal_of(card.deduction),
                business=decimal_of(business) if business is not None else None,
                vetoes=card.vetoes,
                ranked=ranked,
                claim=(record.round, pending or ""),
            )
    veto_texts = {v.id: v.text for v in standard.vetoes}
    placements, quotas = assign_tiers(halls, candidates, config, veto_texts)
    lists = recognise(halls, candidates, config, hall_rows, decisions, placements)
    shortlists = lists.shortlists
    if lists.pins or lists.bars:
        placements, quotas = assign_tiers(halls, candidates, config, veto_texts, lists.pins, lists.bars)
    if overrides:
        placements = apply_overrides(halls, placements, overrides, config, candidates, lists.records, refused)
        quotas = quota_use(halls, placements, config)
    confirmed: dict[tuple[str, str], tuple] = {}  # (tier, round) → confirm(), for the halls no list answered
    for hall_id, row in hall_rows.items():
        place = placements[hall_id]
        row.update(tier=place.tier, tier_reason=place.reason, needs_decision=place.needs_decision,
                   pending_tier=place.pending_tier, rank=place.rank, override=place.override)
        if place.ranks:  # only where the sentence quotes a rank: older records have no such key, and mean none
            row["reason_ranks"] = [list(span) for span in place.ranks]
        said = row["decisions"] = lists.records.get(hall_id, [])
        recognised = [d["tier"] for d in said if d["result"] == RECOGNISE]
        if recognised:
            row["confirmed_tier"], row["awaiting"] = confirm(place.tier, row["round"], recognised)
        else:
            known = confirmed.get((place.tier, row["round"]))
            if known is None:
                known = confirmed[place.tier, row["round"]] = confirm(place.tier, row["round"], ())
            row["confirmed_tier"], row["awaiting"] = known
    _mark_nominees(shortlists, hall_rows)
    return {
        "schema_version": SCHEMA_VERSION,
        "year": config.year,
        "standard": {"id": standard.id, "version": standard.version, "title": standard.title,
                     "checksum": standard.checksum},
        "config": {
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
        },
        "quotas": [
            {"scope": q.scope, "tier": q.tier, "base": q.base, "cap": q.cap, "used": q.used, "pending": q.pending}
            for q in quotas
        ],
        "intake": intake_summary or {},
        "shortlists": shortlists,
        "answers": lists.outcomes,
        "gaps": _gaps(halls, hall_rows),
        "halls": [hall_rows[h.hall_id] for h in sorted(halls, key=lambda h: h.hall_id)],
    }


def _mark_nominees(shortlists: list[dict], rows: dict[str, dict]) -> None:
    """Each nominee's answer (认定/不认定/None) and whether its list's tier is now recognised."""
    for entry in shortlists:
        for n in entry["nominees"]:
            row = rows[n["hall_id"]]
            said = next((d for d in row["decisions"] if d["tier"] == entry["tier"]), None)
            n["decision"] = said["result"] if said else None
            confirmed = row["confirmed_tier"]
            n["confirmed"] = confirmed is not None and RECOGNISED_ORDER.index(confirmed) >= RECOGNISED_ORDER.index(
                entry["tier"])


def _other_returns(files: Sequence[FileStatus], replaced: Sequence[ReturnRecord], standard: Standard,
                   rules: Rules) -> dict[str, list[dict]]:
    """Each hall's returns that do not count: open rejections, corrected ones and replaced accepted ones, as
    the rounds list shows them (a replaced return with its own score, a rejection with its problems)."""
    from .intake import REJECTED, SUPERSEDED

    scored = {r.file: r for r in replaced}
    out: dict[str, list[dict]] = {}
    entry: dict[str, object]
    for f in files:
        if f.status not in (REJECTED, SUPERSEDED) or not f.hall_id:
            continue
        record = scored.get(f.path)
        if record is not None:
            card = report_return(record, standard, rules.bonus_cap)
            entry = {"round": record.round, "status": SUPERSEDED, "date": record.date, "inspector": record.inspector,
                     "base_score": figure(card.base), "final_score": figure(card.final), "file": f.path,
                     "sha256": record.sha256, "note": f.note, "problems": []}
        else:
            if not f.round:
                continue  # no round read: the quality page and the to-do lists name it, not a round of the case
            entry = {"round": f.round, "status": f.status, "date": "", "inspector": "", "base_score": None,
                     "final_score": None, "file": f.path, "sha256": "", "note": f.note,
                     "problems": [_problem_text(p) for p in f.problems if p.severity == "error"]}
        out.setdefault(f.hall_id, []).append(entry)
    return out


def _problem_text(p: Problem) -> str:
    where = " ".join(x for x in (p.sheet, p.cell) if x)
    return f"{where}:{p.message}" if where else p.message


def _pending_round(cards: list, others: Iterable[dict], round_order: dict[str, int]) -> str | None:
    """The round a hall is 待重报 at: its highest round when that round exists only as an open rejection."""
    from .intake import REJECTED

    top = round_order.get(cards[-1][0].round, -1) if cards else -1
    open_rounds = [o["round"] for o in others if o["status"] == REJECTED and round_order.get(o["round"], -1) > top]
    return max(open_rounds, key=lambda r: round_order.get(r, -1)) if open_rounds else None




def _event_kinds(standard: Standard) -> dict[str, str]:
    """Every bonus, deduction and veto item of the standard → its kind, in the standard's order."""
    return {**{b.id: "bonus" for b in standard.bonus}, **{d.id: "deduction" for d in standard.deductions},
            **{v.id: "veto" for v in standard.vetoes}}


def _withdrawn(halls: Sequence[Hall], by_hall: dict[str, list], overrides: Sequence[Override], standard: Standard,
               rules: Rules, round_order: dict[str, int]) -> tuple[dict[str, dict[str, Override]], dict[str, str]]:
    """The findings the decisions withdraw, checked against each named hall's year as recorded (which rounds
    recorded which item): hall id → item → decision, and the withdrawals refused (overrides.withdrawals)."""
    asked = [o for o in overrides if o.withdraw]
    if not asked:
        return {}, {}
    recorded: dict[str, dict[str, list]] = {}
    for hall_id in sorted({o.hall_id for o in asked}):
        returns = sorted(by_hall.get(hall_id, []), key=lambda r: round_order.get(r.round, -1))
        if returns:
            _, events, vetoes = _year_card([(r, report_return(r, standard, rules.bonus_cap)) for r in returns],
                                           standard, rules)
            recorded[hall_id] = {item: rounds for item, (_, rounds, _) in events.items()}
            recorded[hall_id].update((item, rounds) for item, (rounds, _) in vetoes.items())
    kinds = {item: KIND_WORDS[kind] for item, kind in _event_kinds(standard).items()}
    return withdrawals(asked, {h.hall_id for h in halls}, recorded, kinds)


def _year_card(cards: list, standard: Standard, rules: Rules,
               drop: Collection[str] = ()) -> tuple[Reported, dict, dict]:
    """The deciding round's base with the year's events: per item the largest count any accepted inspection
    round recorded (自评's only while 自评 decides), each with the rounds that recorded it and their 说明.
    ``(reported figures, {item: (count, rounds, notes)} for bonus and deduction items, {veto: (rounds, notes)})``.
    The items in ``drop`` (withdrawn by a decision) are still listed but count for nothing in the figures."""
    record, card = cards[-1]
    sources = [r for r, _ in cards if r.round != rules.self_round] or [record]
    if len(sources) == 1 and not any(record.events.values()) and not any(record.vetoes.values()):
        return card, {}, {}  # the usual return: nothing recorded, nothing to merge
    counts: dict[str, int] = {}
    events: dict[str, tuple[int, list, list]] = {}
    event_rules: list[BonusRule | DeductionRule] = [*standard.bonus, *standard.deductions]
    for rule in event_rules:
        found = [(r.round, r.events.get(rule.id, 0), r.event_notes.get(rule.id, "")) for r in sources]
        best = max(n for _, n, _ in found)
        if best:
            counts[rule.id] = best
            events[rule.id] = (best, [rnd for rnd, n, _ in found if n], [[rnd, t] for rnd, n, t in found if n and t])
    flags: dict[str, bool] = {}
    vetoes: dict[str, tuple[list, list]] = {}
    for veto in standard.vetoes:
        said = [(r.round, r.veto_notes.get(veto.id, "")) for r in sources if r.vetoes.get(veto.id)]
        flags[veto.id] = bool(said)
        if said:
            vetoes[veto.id] = ([rnd for rnd, _ in said], [[rnd, t] for rnd, t in said if t])
    if not drop and len(sources) == 1 and sources[0] is record:
        return card, events, vetoes
    merged = dataclasses.replace(record, events={k: n for k, n in counts.items() if k not in drop},
                                 vetoes={k: flag and k not in drop for k, flag in flags.items()})
    return report_return(merged, standard, rules.bonus_cap), events, vetoes


def _hall_row(hall: Hall, cards: list[tuple[ReturnRecord, Reported]], year_card: tuple | None, standard: Standard,
              self_round: str, round_order: dict[str, int], others: Iterable[dict], pending: str | None,
              ranked: bool, gone: Mapping[str, Override] | None = None) -> dict:
    listed = sorted([{"round": r.round, "status": "accepted", "date": r.date, "inspector": r.inspector,
                      "base_score": figure(c.base), "final_score": figure(c.final), "file": r.file, "sha256": r.sha256,
                      "note": "", "problems": []} for r, c in cards] + list(others),
                    key=lambda e: (round_order.get(e["round"], -1), e["date"], e["file"]))
    if not cards or year_card is None:
        return {
            "hall_id": hall.hall_id, "name": hall.name, "province": hall.province, "city": hall.city,
            "district": hall.district, "level": hall.level, "type": hall.type, "round": "", "date": "",
            "inspector": "", "base_score": None, "bonus": None, "deduction": None, "final_score": None,
            "items": {}, "reasons": {}, "sections": {}, "bonus_events": [], "deduction_events": [], "veto_events": [],
            "rounds": listed, "self_gap": None, "override": None, "tier": NOT_INSPECTED, "tier_reason": "",
            "confirmed_tier": None, "awaiting": None, "decisions": [], "pending_round": pending, "ranked": False,
        }
    record = cards[-1][0]
    card, events, vetoes = year_card
    first_record, first = cards[0]
    # Gap between the deciding review (with the year's events) and the self-assessment, both as reported.
    gap = figure(card.final - first.final) if len(cards) > 1 and first_record.round == self_round else None

    def event_rows(rules: Iterable[BonusRule | DeductionRule], points: dict[str, int]) -> list[dict]:
        return [{"item": r.id, "count": events[r.id][0], "points": figure(points[r.id]), "rounds": events[r.id][1],
                 "notes": events[r.id][2]} for r in rules if r.id in points and r.id in events]

    row = {
        "hall_id": hall.hall_id, "name": hall.name, "province": hall.province, "city": hall.city,
        "district": hall.district, "level": hall.level, "type": hall.type,
        "round": record.round, "date": record.date, "inspector": record.inspector,
        "base_score": figure(card.base), "bonus": figure(card.bonus), "deduction": figure(card.deduction),
        "final_score": figure(card.final),
        "items": _items(record.scores, _item_ids(standard)),
        "reasons": dict(sorted(record.reasons.items())),
        "sections": {s: (NOT_APPLICABLE if rate is None else figure(rate)) for s, rate in card.sections},
        "bonus_events": event_rows(standard.bonus, card.bonus_items),
        "deduction_events": event_rows(standard.deductions, card.deduction_items),
        "veto_events": [{"item": v, "count": 1, "rounds": vetoes[v][0], "notes": vetoes[v][1]} for v in card.vetoes],
        "rounds": listed, "self_gap": gap, "override": None, "tier": NOT_INSPECTED, "tier_reason": "",
        "confirmed_tier": None, "awaiting": None, "decisions": [], "pending_round": pending, "ranked": ranked,
    }
    if gone:  # only where a decision withdrew a finding: every other hall's record stays as it was
        row["withdrawn"] = [_withdrawal(item, kind, events, vetoes, gone[item])
                            for item, kind in _event_kinds(standard).items() if item in gone]
    return row


def _withdrawal(item: str, kind: str, events: dict, vetoes: dict, o: Override) -> dict:
    """A withdrawn finding as recorded (count, rounds, 说明) with the decision that withdrew it."""
    count, rounds, notes = (1, *vetoes[item]) if kind == "veto" else events[item]
    return {"item": item, "kind": kind, "count": count, "rounds": rounds, "notes": notes, "level": o.level,
            "decided_by": o.decided_by, "date": o.date, "reason": o.reason}


_ITEM_IDS: dict[int, tuple] = {}
_NUMBERS: dict = {}


def _item_ids(standard: Standard) -> tuple[str, ...]:
    got = _ITEM_IDS.get(id(standard))
    if got is None or got[0] is not standard:
        if len(_ITEM_IDS) > 16:
            _ITEM_IDS.clear()
        got = _ITEM_IDS[id(standard)] = (standard, tuple(i.id for i in standard.items))
    return got[1]


def _items(scores: dict, ids: tuple[str, ...]) -> dict:
    """Every item's score as JSON holds it, in the standard's order."""
    try:  # in C when every value was seen before (None → 不适用 is among them)
        return dict(zip(ids, map(_NUMBERS.__getitem__, map(scores.get, ids))))
    except (KeyError, TypeError):
        return {i: _item_number(scores.get(i)) for i in ids}


def _item_number(score: Decimal | None) -> object:
    """An item's score as JSON holds it (不适用 for None); a handful of distinct values, so remembered."""
    if score is None:
        _NUMBERS[None] = NOT_APPLICABLE
        return NOT_APPLICABLE
    try:
        got = _NUMBERS.get(score)
    except TypeError:  # not hashable (a signalling NaN): converted as it is
        return number(score)
    if got is None:
        if len(_NUMBERS) > 4096:
            _NUMBERS.clear()
        got = _NUMBERS[score] = number(score)
    return got


def _gaps(halls: Iterable[Hall], rows: dict[str, dict]) -> dict:
    """Average gap (deciding review − 自评), nationally and per province, half up on the exact mean."""
    def average(values):
        return number(half_up(sum(values, Fraction(0)) / len(values))) if values else None

    by_province: dict[str, list[Fraction]] = {h.province: [] for h in halls}
    everyone = []
    for hall in halls:
        gap = rows[hall.hall_id]["self_gap"]
        if gap is not None:
            exact = Fraction(str(gap))  # a reported one-decimal number: its text is exact
            by_province[hall.province].append(exact)
            everyone.append(exact)
    return {"national": average(everyone),
            "by_province": {p: average(v) for p, v in sorted(by_province.items())}}


# -- the archive: one folder per year ------------------------------------------------------------------

@dataclass
class YearData:
    year: int
    results: dict  # results.json's mapping, upgraded to this version
    intake: dict
    standard: object
    source: str = "results.json"  # where the results were read from, for messages

    @functools.cached_property
    def record(self) -> record_io.YearResults:
        """The same results typed (record.py): attributes and exact Decimal scores."""
        return record_io.from_json(self.results, self.source)


def save_year(archive: str | Path, results: dict, intake: dict, standard_path: str | Path,
              previous: str | Path | None = None) -> Path:
    """Write a year's record (results, intake report, the standard used) into ``archive/<year>/``.

    A file whose bytes are those of the same file in ``previous`` (the year's folder as it stands) is a hard
    link to it, not written again.
    """
    folder = Path(archive) / str(results["year"])

    def same(name: str) -> Path | None:
        return Path(previous) / name if previous is not None else None

    record_io.save(folder / RESULTS_FILE, results, same(RESULTS_FILE))
    write_chunks_atomic(folder / INTAKE_FILE, record_io.dump_chunks(intake), same(INTAKE_FILE))
    write_chunks_atomic(folder / STANDARD_FILE, [archived_text(standard_path).encode("utf-8")], same(STANDARD_FILE))
    return folder


def load_archive(archive: str | Path, staged: tuple[int, Path] | None = None) -> list[YearData]:
    """Every archived year, latest first; ``staged``: (year, folder) read in place of the archive's folder of that
    year (the state a build is about to commit)."""
    years: list[YearData] = []
    root = Path(archive)
    if not root.is_dir():
        return years
    folders = [f for f in root.iterdir() if staged is None or f.name != str(staged[0])]
    if staged is not None:
        folders.append(staged[1])
    for folder in folders:
        if folder.is_dir() and folder.name.isdigit() and (folder / RESULTS_FILE).is_file():
            results = record_io.load(folder / RESULTS_FILE)  # version checked, older ones upgraded
            try:
                intake_path = folder / INTAKE_FILE
                intake = json.loads(intake_path.read_text(encoding="utf-8")) if intake_path.is_file() else {}
            except (OSError, ValueError, RecursionError):  # a hand-edited or damaged record: say which
                from .errors import SiteError

                raise SiteError(f"档案 {folder / INTAKE_FILE} 无法读取(不是有效的 JSON 或嵌套过深):该文件已损坏或被"
                                f"手工改动;请从备份恢复,或用 hallscore build 重新生成该年度") from None
            files = intake.get("files", []) if isinstance(intake, dict) else None
            if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
                from .errors import SiteError

                raise SiteError(f"档案 {folder / INTAKE_FILE} 不是 hallscore 写的校验报告:请从备份恢复,"
                                f"或用 hallscore build 重新生成该年度")
            standard = load_standard(folder / STANDARD_FILE) if (folder / STANDARD_FILE).is_file() else None
            year = YearData(int(folder.name), results, intake, standard, str(folder / RESULTS_FILE))
            year.record  # noqa: B018 (typed and checked here: a damaged year is named before anything is built)
            years.append(year)
    return sorted(years, key=lambda y: -y.year)
