"""Results: the canonical, versioned record of one year (``archive/<Y>/results.json``).

``evaluate`` runs scoring and tiering over the accepted returns and gives the results as plain JSON-ready
data; ``save_year`` and ``load_archive`` keep the archive, one folder per year, from which every page can be
rebuilt. No timestamps and no paths outside the inputs' own names go in, so the same inputs give the same bytes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from . import collector
from . import record as record_io
from .config import NOT_INSPECTED, RECOGNISED_ORDER
from .confirmation import confirm
from .decisions import RECOGNISE
from .decisions import resolve as resolve_decisions
from .fsutil import write_chunks_atomic
from .numbers import number
from .overrides import apply_overrides
from .record import SCHEMA_VERSION
from .rules import Rules
from .scoring import decimal_of, figure, half_up, report_return
from .shortlist import build_shortlists
from .standard import BUSINESS_SECTION, load_standard
from .tiering import Candidate, assign_tiers, quota_use
from .workbook import NOT_APPLICABLE

if TYPE_CHECKING:
    from decimal import Decimal

    from .config import Config
    from .decisions import Decision
    from .intake import ReturnRecord
    from .overrides import Override
    from .register import Hall
    from .scoring import Reported
    from .standard import BonusRule, DeductionRule, Standard

RESULTS_FILE = "results.json"
INTAKE_FILE = "intake.json"
STANDARD_FILE = "standard.yaml"


def evaluate(halls: Sequence[Hall], records: Iterable[ReturnRecord], standard: Standard, config: Config | Rules,
             intake_summary: dict | None = None, overrides: Sequence[Override] = (),
             decisions: Sequence[Decision] = ()) -> dict:
    """Score every accepted return, pick each hall's deciding round, tier the halls: the year's results.

    ``decisions`` (rows of returned 上报名单, decisions.py) pin and bar halls inside the rules; ``overrides``
    (recorded decisions, overrides.py) are applied after the rules. A refused list or decision raises
    ``DecisionError``/``OverrideError`` and nothing is written.
    """
    with collector.paused():  # the rows hold no cycles: no collection walks them (collector.py)
        return _evaluate(halls, records, standard, config, intake_summary, overrides, decisions)


def _evaluate(halls: Sequence[Hall], records: Iterable[ReturnRecord], standard: Standard, config: Config | Rules,
              intake_summary: dict | None, overrides: Sequence[Override], decisions: Sequence[Decision]) -> dict:
    rules = config if isinstance(config, Rules) else Rules.of(standard, config)
    config = rules.config
    by_hall: dict[str, list] = {}
    for record in records:
        by_hall.setdefault(record.hall_id, []).append(record)
    round_order = {name: n for n, name in enumerate(config.rounds)}

    hall_rows: dict[str, dict] = {}
    candidates: dict[str, Candidate] = {}
    business_rate = BUSINESS_SECTION in standard.sections
    for hall in halls:
        returns = sorted(by_hall.get(hall.hall_id, []), key=lambda r: round_order.get(r.round, -1))
        cards = [(r, report_return(r, standard, rules.bonus_cap)) for r in returns]
        hall_rows[hall.hall_id] = _hall_row(hall, cards, standard, rules.self_round)
        if cards:
            record, card = cards[-1]  # the highest round present decides
            business = dict(card.sections).get(BUSINESS_SECTION) if business_rate else None
            candidates[hall.hall_id] = Candidate(
                hall.hall_id,
                final=decimal_of(card.final),
                base=decimal_of(card.base),
                deduction=decimal_of(card.deduction),
                business=decimal_of(business) if business is not None else None,
                vetoes=card.vetoes,
            )
    veto_texts = {v.id: v.text for v in standard.vetoes}
    placements, quotas = assign_tiers(halls, candidates, config, veto_texts)
    deciding = {h: row["round"] for h, row in hall_rows.items() if row["round"]}
    # The lists come from the returns and the rules alone, before any decision.
    shortlists = build_shortlists(halls, candidates, placements, config, deciding)
    records_by_hall: dict[str, list[dict]] = {}
    if decisions:
        pins, bars, records_by_hall = resolve_decisions(decisions, shortlists, config.year)
        placements, quotas = assign_tiers(halls, candidates, config, veto_texts, pins, bars)
    if overrides:
        placements = apply_overrides(halls, placements, overrides, config, candidates)
        quotas = quota_use(halls, placements, config)
    confirmed: dict[tuple[str, str], tuple] = {}  # (tier, round) → confirm(), for the halls no list answered
    for hall_id, row in hall_rows.items():
        place = placements[hall_id]
        row.update(tier=place.tier, tier_reason=place.reason, needs_decision=place.needs_decision,
                   pending_tier=place.pending_tier, rank=place.rank, override=place.override)
        if place.ranks:  # only where the sentence quotes a rank: older records have no such key, and mean none
            row["reason_ranks"] = [list(span) for span in place.ranks]
        said = row["decisions"] = records_by_hall.get(hall_id, [])
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
        },
        "quotas": [
            {"scope": q.scope, "tier": q.tier, "base": q.base, "cap": q.cap, "used": q.used, "pending": q.pending}
            for q in quotas
        ],
        "intake": intake_summary or {},
        "shortlists": shortlists,
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


def _hall_row(hall: Hall, cards: list[tuple[ReturnRecord, Reported]], standard: Standard, self_round: str) -> dict:
    if not cards:
        return {
            "hall_id": hall.hall_id, "name": hall.name, "province": hall.province, "city": hall.city,
            "district": hall.district, "level": hall.level, "type": hall.type, "round": "", "date": "",
            "inspector": "", "base_score": None, "bonus": None, "deduction": None, "final_score": None,
            "items": {}, "reasons": {}, "sections": {}, "bonus_events": [], "deduction_events": [], "vetoes": [],
            "rounds": [], "self_gap": None, "override": None, "tier": NOT_INSPECTED, "tier_reason": "",
            "confirmed_tier": None, "awaiting": None, "decisions": [],
        }
    rounds = [{"round": r.round, "date": r.date, "inspector": r.inspector, "base_score": figure(c.base),
               "final_score": figure(c.final), "file": r.file, "sha256": r.sha256} for r, c in cards]
    record, card = cards[-1]
    counts, notes = record.events, record.event_notes
    first_record, first = cards[0]
    # Gap between the deciding review and the self-assessment, both as reported.
    gap = figure(card.final - first.final) if len(cards) > 1 and first_record.round == self_round else None
    return {
        "hall_id": hall.hall_id, "name": hall.name, "province": hall.province, "city": hall.city,
        "district": hall.district, "level": hall.level, "type": hall.type,
        "round": record.round, "date": record.date, "inspector": record.inspector,
        "base_score": figure(card.base), "bonus": figure(card.bonus), "deduction": figure(card.deduction),
        "final_score": figure(card.final),
        "items": _items(record.scores, _item_ids(standard)),
        "reasons": dict(sorted(record.reasons.items())),
        "sections": {s: (NOT_APPLICABLE if rate is None else figure(rate)) for s, rate in card.sections},
        "bonus_events": [{"id": r, "count": counts.get(r, 0), "points": figure(points), "note": notes.get(r, "")}
                         for r, points in _in_order(standard.bonus, card.bonus_items)],
        "deduction_events": [{"id": r, "count": counts.get(r, 0), "points": figure(points), "note": notes.get(r, "")}
                             for r, points in _in_order(standard.deductions, card.deduction_items)],
        "vetoes": [{"id": v, "note": record.veto_notes.get(v, "")} for v in card.vetoes],
        "rounds": rounds, "self_gap": gap, "override": None, "tier": NOT_INSPECTED, "tier_reason": "",
        "confirmed_tier": None, "awaiting": None, "decisions": [],
    }


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


def _in_order(rules: Iterable[BonusRule | DeductionRule], points: dict[str, int]) -> list[tuple[str, int]]:
    """The events a return scored, in the standard's order."""
    if not points:
        return []
    return [(r.id, points[r.id]) for r in rules if r.id in points]


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
    write_chunks_atomic(folder / STANDARD_FILE, [Path(standard_path).read_text(encoding="utf-8").encode("utf-8")], same(STANDARD_FILE))
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
