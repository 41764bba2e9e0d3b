"""The evaluation gives the typed year (model.YearResults), and record.py writes it as results.json: the same
bytes whether the year is written as evaluated or read back first. terms.py holds the names and who owns what."""

from __future__ import annotations

import json
from decimal import Decimal

from support.returns import lose_points, make_halls

from generator.archive.codec import dumps, from_json, to_json
from generator.evaluate.year import evaluate_year
from generator.model import Event, HallRow, Nominee, RoundScore, Shortlist, YearResults
from generator.rules import terms
from generator.rules.config import Config
from generator.rules.contract import NOT_APPLICABLE
from generator.rules.contract import ROUNDS as CONTRACT_ROUNDS
from generator.rules.year_rules import Rules

YEAR = 2025


def _year(standard) -> YearResults:
    halls = make_halls({"甲": 12, "乙": 8})
    bonus = standard.bonus[0].id
    records = []
    for n, hall in enumerate(halls):
        if n % 7 == 6:
            continue  # 未检查
        records.append(lose_points(standard, hall.hall_id, "自评", Decimal(n % 3)))
        records.append(lose_points(standard, hall.hall_id, "市级检查", Decimal(n % 11) / 2,
                                   events={bonus: 1} if n % 4 == 0 else None))
    return evaluate_year(halls, records, standard, Rules.of(standard, Config(year=YEAR)))


def test_the_evaluation_gives_typed_rows_with_exact_scores(standard):
    year = _year(standard)
    assert isinstance(year, YearResults) and year.year == YEAR
    assert all(isinstance(h, HallRow) for h in year.halls)
    scored = [h for h in year.halls if h.final_score is not None]
    assert scored and all(isinstance(h.final_score, Decimal) and isinstance(h.base_score, Decimal) for h in scored)
    assert all(isinstance(r, RoundScore) for h in year.halls for r in h.rounds)
    assert all(isinstance(v, Decimal) or v == NOT_APPLICABLE for h in scored for v in h.items.values())
    assert any(isinstance(e, Event) for h in scored for e in h.bonus_events)
    gaps = [h.self_gap for h in scored]
    assert all(isinstance(g, Decimal) for g in gaps)
    assert {h.tier for h in year.halls} >= {terms.NOT_INSPECTED}
    assert all(isinstance(s, Shortlist) and all(isinstance(n, Nominee) for n in s.nominees) for s in year.shortlists)


def test_the_typed_year_writes_the_bytes_it_reads_back(standard):
    year = _year(standard)
    written = dumps(to_json(year))
    again = from_json(json.loads(written))
    assert dumps(to_json(again)) == written
    assert [h.hall_id for h in again.halls] == [h.hall_id for h in year.halls]
    # Read back, every score is the same number (the exponent may differ: 95.0 is written as 95).
    assert [h.final_score for h in again.halls] == [h.final_score for h in year.halls]


def test_terms_name_each_tier_round_and_level_once_and_who_owns_them():
    assert tuple(reversed(terms.RATED)) == terms.RECOGNISED_ORDER
    assert terms.TIERS[:4] == terms.RATED and set(terms.TIERS[4:]) == {terms.NOT_RATED, terms.NOT_INSPECTED}
    assert CONTRACT_ROUNDS is terms.ROUNDS and terms.ROUNDS[0] == terms.SELF_ROUND
    assert set(terms.ROUND_OWNER) == set(terms.ROUNDS) == set(terms.ROUND_AUTHORITY)
    assert set(terms.TIER_OWNER) == set(terms.RATED) and set(terms.TIER_OWNER.values()) == set(terms.LEVELS)
    assert all(terms.LIST_OWNER[t] == terms.TIER_OWNER[t] for t in terms.LIST_TIERS)
    # Owners climb with the tiers: a higher tier is never recognised by a lower level.
    levels = [terms.LEVELS.index(terms.TIER_OWNER[t]) for t in terms.RECOGNISED_ORDER]
    assert levels == sorted(levels)
    assert terms.owners_said() == "市认定达标/不达标,省认定良好,集团认定优秀"
