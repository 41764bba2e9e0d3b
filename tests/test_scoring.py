"""Scoring against hand-computed cases from standard.md."""

from decimal import Decimal
from fractions import Fraction

import pytest
from support.returns import lose_points

from generator.evaluate.scoring import half_up, score_return
from generator.intake.run import ReturnRecord


def record(standard, scores=None, events=None, vetoes=None):
    full = {i.id: Decimal(i.max_points) for i in standard.items}
    full.update(scores or {})
    return ReturnRecord("H1", "自评", "2025-05-01", "张三", full, {}, events or {}, {},
                        {v.id: v.id in (vetoes or ()) for v in standard.vetoes}, {})


@pytest.mark.parametrize("value, expected", [
    (Fraction("94.25"), "94.3"), (Fraction("93.75"), "93.8"), (Fraction("94.15"), "94.2"),
    (Fraction("0.05"), "0.1"), (Fraction(0), "0.0"), (Fraction(100), "100.0"), (Fraction(200, 3), "66.7"),
    (Fraction("94.2499999"), "94.2"),
])
def test_half_up(value, expected):
    assert str(half_up(value)) == expected


def test_issue_example_not_applicable_and_bonus(standard):
    # 不适用 on A06 and F03 leaves 96 applicable points; 90 earned gives 93.75; J03 (+0.5) gives 94.25 → 94.3.
    scores = {"A06": None, "F03": None, "A01": Decimal(0), "A02": Decimal(1)}  # loses 4 + 2 = 6 of 96
    card = score_return(record(standard, scores, events={"J03": 1}), standard)
    assert card.applicable_max == 96 and card.earned == 90
    assert card.base == Fraction("93.75")
    assert card.final == Fraction("94.25")
    assert half_up(card.final) == Decimal("94.3")
    assert round(94.25, 1) == 94.2  # what Python's round() would have reported
    assert half_up(card.base) == Decimal("93.8")


def test_full_marks_and_section_not_applicable(standard):
    card = score_return(record(standard), standard)
    assert card.base == 100 and card.final == 100
    na_all = {i.id: None for i in standard.items if i.allow_na}
    # D05 is the only 不适用-able item of 咨询投诉: the section stays applicable through its other items.
    card = score_return(record(standard, na_all), standard)
    assert card.section("咨询投诉").rate == 100
    assert all(s.rate is not None for s in card.sections)


def test_section_with_nothing_applicable_shows_none(standard):
    from dataclasses import replace

    # A standard in which every 服务设施与信息公开 item may be 不适用.
    items = tuple(replace(i, allow_na=True) if i.section == "服务设施与信息公开" else i for i in standard.items)
    std = replace(standard, items=items)
    scores = {i.id: None for i in items if i.section == "服务设施与信息公开"}
    card = score_return(record(std, scores), std)
    assert card.section("服务设施与信息公开").rate is None
    assert card.applicable_max == 90 and card.base == 100


def test_bonus_caps_per_item_and_total(standard):
    # J03: 5 letters × 0.5 = 2.5, capped at 1; J01 2 + J02 2 + J04 3×1 capped at 2 → 7, capped at 5.
    card = score_return(record(standard, events={"J01": 1, "J02": 1, "J03": 5, "J04": 3}), standard)
    assert card.bonus_items == {"J01": 2, "J02": 2, "J03": 1, "J04": 2}
    assert card.bonus == 5
    assert card.final == 105  # full marks + 5: the final score is not capped at 100
    assert score_return(record(standard, events={"J03": 1}), standard, bonus_cap=Decimal(0)).bonus == 0


def test_deductions_and_floor(standard):
    card = score_return(record(standard, events={"K01": 2, "K02": 1}), standard)
    assert card.deduction == 5 and card.final == 95
    zero = {i.id: Decimal(0) for i in standard.items}
    card = score_return(record(standard, zero, events={"K03": 1}), standard)
    assert card.base == 0 and card.final == 0


def test_vetoes_are_reported(standard):
    card = score_return(record(standard, vetoes=("V02",)), standard)
    assert card.vetoes == ("V02",) and card.final == 100


def test_repeating_base_is_kept_exact(standard):
    # 不适用 on A06, B05, F03 leaves 94 points; losing C01 (5) and C03 (4) earns 85: 100 × 85/94 = 90.4255…
    scores = {"A06": None, "B05": None, "F03": None, "C01": Decimal(0), "C03": Decimal(0)}
    card = score_return(record(standard, scores, events={"J03": 1}), standard)
    assert card.base == Fraction(8500, 94)
    assert card.final == Fraction(8500, 94) + Fraction(1, 2)
    assert (str(half_up(card.base)), str(half_up(card.final))) == ("90.4", "90.9")
    assert card.section("业务办理").rate == Fraction(1600, 25)


def test_rounds_highest_present_decides_all_kept_and_gaps(standard):
    from support.returns import make_halls

    from generator.archive.store import evaluate
    from generator.rules.config import Config

    halls = make_halls({"甲": 20, "乙": 20})  # each province: 优秀 cap 1; H01… is 乙, H02… is 甲 (sorted)
    records = [
        lose_points(standard, "H010000", "省级复核", Decimal("3.5")),  # found out of order on disk
        lose_points(standard, "H010000", "自评"),
        lose_points(standard, "H010000", "市级检查", Decimal(3)),
        lose_points(standard, "H010001", "集团复核", Decimal(6)),
        lose_points(standard, "H010001", "自评", Decimal(2)),
        lose_points(standard, "H010002", "自评", Decimal(7)),
        lose_points(standard, "H010003", "自评", Decimal(2), vetoes=("V02",)),
        lose_points(standard, "H020000", "自评", Decimal(0)),
        lose_points(standard, "H020000", "市级检查", Decimal("0.5")),
    ]
    results = evaluate(halls, records, standard, Config(year=2025))
    rows = {h["hall_id"]: h for h in results["halls"]}
    first = rows["H010000"]
    assert [r["round"] for r in first["rounds"]] == ["自评", "市级检查", "省级复核"]
    assert [r["final_score"] for r in first["rounds"]] == [100, 97, 96.5]
    assert first["round"] == "省级复核" and first["final_score"] == 96.5 and first["self_gap"] == -3.5
    assert first["tier"] == "优秀" and first["override"] is None
    assert rows["H010001"]["round"] == "集团复核" and rows["H010001"]["self_gap"] == -4
    assert rows["H010001"]["tier"] == "良好"
    assert rows["H010002"]["self_gap"] is None and len(rows["H010002"]["rounds"]) == 1
    # A veto on a 98-point hall: the score is still reported, the tier is 不达标.
    assert rows["H010003"]["final_score"] == 98 and rows["H010003"]["tier"] == "不达标"
    assert "一票否决事项 V02" in rows["H010003"]["tier_reason"]
    # 乙: (−3.5 − 4) / 2 = −3.75 → −3.8 (half away from zero); 甲: −0.5; nationally (−3.5 − 4 − 0.5) / 3 = −2.666…
    assert results["gaps"] == {"national": -2.7, "by_province": {"乙": -3.8, "甲": -0.5}}


def _reported_by_cards(card):
    """What the slow exact path reports: half_up of every ScoreCard figure, as tenths."""
    def t(value):
        return int(half_up(value).scaleb(1))
    return (t(card.base), t(card.bonus), t(card.deduction), t(card.final),
            tuple((s.section, None if s.rate is None else t(s.rate)) for s in card.sections),
            {k: t(v) for k, v in card.bonus_items.items()}, {k: t(v) for k, v in card.deduction_items.items()},
            card.vetoes)


def test_integer_figures_equal_the_exact_fractions_rounded(standard):
    """report_return (integers of half-points) reports what half_up over score_return's Fractions reports,
    on random returns: any score step, 不适用, events up to past every cap, vetoes, a zero bonus cap."""
    import random

    from generator.evaluate.scoring import report_return

    rnd = random.Random(15)
    checked = 0
    for n in range(600):
        scores = {}
        for item in standard.items:
            if item.allow_na and rnd.random() < 0.2:
                scores[item.id] = None
            else:
                scores[item.id] = Decimal(rnd.randint(0, int(item.max_points * 2))) / 2
        events = {r.id: rnd.choice([0, 0, 1, 2, 7]) for r in (*standard.bonus, *standard.deductions)}
        if n % 7 == 0:  # a heavy deduction: the final score is held at 0
            events[standard.deductions[0].id] = 400
        vetoes = [v.id for v in standard.vetoes if rnd.random() < 0.05]
        rec = record(standard, scores, events, vetoes)
        for cap in (None, Decimal(0), Decimal("2.5")):
            got = tuple(report_return(rec, standard, cap))
            assert got == _reported_by_cards(score_return(rec, standard, cap))
            checked += 1
    assert checked == 1800


def test_scores_off_the_half_point_grid_take_the_exact_path(standard):
    from generator.evaluate.scoring import report_return

    rec = record(standard, {"A01": Decimal("3.3")}, {standard.bonus[0].id: 1})
    got = report_return(rec, standard)
    card = score_return(rec, standard)
    assert got.final == int(half_up(card.final).scaleb(1)) and got.base == int(half_up(card.base).scaleb(1))
    assert card.final % Fraction(1, 2) != 0  # really off the grid: the integer path could not have done it
