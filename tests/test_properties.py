"""Properties of tiering over random registers and scores (hypothesis, modest example counts)."""

import random
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.returns import lose_points

from generator.archive.store import evaluate
from generator.evaluate.tiering import Candidate, assign_tiers
from generator.fs.files import dumps_stable
from generator.rules.config import Config
from generator.rules.register import Hall

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ORDER = ("优秀", "良好", "达标", "不达标")  # best first
# A coarse grid of reported scores, so that ties and threshold edges come up often.
FINALS = [Decimal(x) for x in ("70", "79.9", "80", "85", "89.5", "90", "92", "94.5", "95", "95.5", "97", "99", "100")]


@st.composite
def worlds(draw):
    halls = []
    for p in range(draw(st.integers(1, 3))):
        for n in range(draw(st.integers(0, 45))):
            level = draw(st.sampled_from((1, 2, 2, 3, 3, 4)))
            kind = draw(st.sampled_from(("自营",) * 9 + ("社会合作",)))
            halls.append(Hall(f"P{p}H{n:03d}", f"厅{p}-{n}", f"省{p}", "市", "区", level, kind))
    cands = {}
    for hall in halls:
        if draw(st.integers(0, 9)) == 0:
            continue  # 未检查
        final = draw(st.sampled_from(FINALS))
        cands[hall.hall_id] = Candidate(
            # Mostly equal secondary numbers, so that unbroken ties at cut lines are common.
            hall.hall_id, final, final - draw(st.sampled_from((Decimal(0),) * 3 + (Decimal(1),))),
            draw(st.sampled_from((Decimal(0),) * 3 + (Decimal(1),))),
            draw(st.sampled_from((Decimal(100),) * 3 + (None, Decimal(80)))),
            ("V01",) if draw(st.integers(0, 29)) == 0 else ())
    ratios = st.sampled_from((Decimal("0.05"), Decimal("0.1"), Decimal("0.2")))
    config = Config(year=2025, quota_scope=draw(st.sampled_from(("province", "national"))),
                    quotas={"优秀": draw(ratios), "良好": draw(ratios)})
    return halls, cands, config


def claimed(placement) -> int:
    """Index in ORDER of the tier a hall holds, or of the capped tier it waits for when 需裁定."""
    return ORDER.index(placement.pending_tier if placement.needs_decision else placement.tier)


@SETTINGS
@given(worlds())
def test_no_quota_is_ever_exceeded(world):
    halls, cands, config = world
    placed, quotas = assign_tiers(halls, cands, config)
    bases: dict[str, int] = {}
    for hall in halls:
        if config.evaluated(hall):
            bases[config.scope_key(hall)] = bases.get(config.scope_key(hall), 0) + 1
    for scope, base in bases.items():
        for tier, ratio in config.quotas.items():
            cap = int(ratio * base)  # 不超过: truncating a positive Decimal is rounding down
            members = [h for h in halls if config.evaluated(h) and config.scope_key(h) == scope]
            assert sum(1 for h in members if placed[h.hall_id].tier == tier) <= cap
    assert all(q.used <= q.cap for q in quotas)
    # And nobody is above what their score reached, and a veto is always 不达标.
    for hall_id, cand in cands.items():
        if placed[hall_id].tier in ORDER:
            reached = next((t for t in ORDER[:3] if cand.final >= config.thresholds[t]), "不达标")
            assert ORDER.index(placed[hall_id].tier) >= ORDER.index(reached)
            assert not cand.vetoes or placed[hall_id].tier == "不达标"


@SETTINGS
@given(worlds(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(world, rnd):
    halls, cands, config = world
    placed, quotas = assign_tiers(halls, cands, config)
    shuffled_halls = list(halls)
    rnd.shuffle(shuffled_halls)
    items = list(cands.items())
    rnd.shuffle(items)
    again, quotas_again = assign_tiers(shuffled_halls, dict(items), config)
    assert again == placed and quotas_again == quotas


@SETTINGS
@given(worlds(), st.data())
def test_raising_a_score_never_lowers_the_claimed_tier(world, data):
    """Raise one hall's reported final score (its other numbers and everyone else's unchanged).

    Precise statement: the hall's *claimed* tier — the tier it holds, or, when it is 需裁定, the capped tier it
    waits for (``pending_tier``) — never gets worse. Its provisional tier alone may: with 优秀 cap 1 and 良好 cap 1,
    A = 97 holds 优秀 and X = 96 holds 良好; raise X to 97 and A and X tie at the 优秀 cut line and again at the
    良好 cut line, so X is provisionally 达标 while waiting for 优秀 (a tie is never cut by hall id). Other halls'
    tiers may change either way. Halls not tiered (不参评) and vetoed halls are outside the statement.
    """
    halls, cands, config = world
    eligible = sorted(h.hall_id for h in halls if config.evaluated(h) and h.hall_id in cands
                      and not cands[h.hall_id].vetoes)
    if not eligible:
        return
    hall_id = data.draw(st.sampled_from(eligible))
    old = cands[hall_id]
    higher = [f for f in FINALS if f > old.final] + [old.final + Decimal("0.1")]
    new_final = data.draw(st.sampled_from(higher))
    before, _ = assign_tiers(halls, cands, config)
    raised = dict(cands)
    raised[hall_id] = Candidate(hall_id, new_final, old.base, old.deduction, old.business, old.vetoes)
    after, _ = assign_tiers(halls, raised, config)
    assert claimed(after[hall_id]) <= claimed(before[hall_id])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 24), st.sampled_from(("自评", "市级检查", "省级复核", "集团复核")),
                          st.integers(0, 40)), max_size=40, unique_by=lambda t: t[:2]),
       st.integers(0, 2**32 - 1))
def test_running_twice_gives_the_same_bytes(standard, returns, seed):
    halls = [Hall(f"H{n:03d}", f"厅{n}", "甲" if n % 2 else "乙", "市", "区", 1 + n % 4, "自营") for n in range(25)]
    records = [lose_points(standard, f"H{n:03d}", round_name, Decimal(lose) / 2) for n, round_name, lose in returns]
    first = dumps_stable(evaluate(halls, records, standard, Config(year=2025)))
    assert dumps_stable(evaluate(halls, records, standard, Config(year=2025))) == first
    rnd = random.Random(seed)
    rnd.shuffle(records)
    shuffled = list(halls)
    rnd.shuffle(shuffled)
    assert dumps_stable(evaluate(shuffled, records, standard, Config(year=2025))) == first


def test_the_docstring_example_provisional_tier_can_drop_claimed_cannot():
    halls = [Hall(f"H{n:02d}", f"厅{n}", "甲", "市", "区", 2, "自营") for n in range(20)]
    config = Config(year=2025, quotas={"优秀": Decimal("0.05"), "良好": Decimal("0.05")})  # caps 1 and 1

    def place(x_final):
        cands = {"A": Candidate("H00", Decimal(97), Decimal(97), Decimal(0), None),
                 "X": Candidate("H01", Decimal(x_final), Decimal(x_final), Decimal(0), None)}
        return assign_tiers(halls, {c.hall_id: c for c in cands.values()}, config)[0]["H01"]

    before, after = place(96), place(97)
    assert (before.tier, before.needs_decision) == ("良好", False)
    assert (after.tier, after.needs_decision, after.pending_tier) == ("达标", True, "优秀")
    assert claimed(after) < claimed(before)


@SETTINGS
@given(worlds(), st.randoms(use_true_random=False))
def test_decisions_pin_bar_and_never_break_a_quota(world, rnd):
    """Random lists answered within the rules, in the 办法's order: quotas hold, 认定 pins, 不认定 bars."""
    from generator.evaluate.shortlist import excellent_lists, good_lists

    halls, cands, config = world
    info = {h.hall_id: {"name": h.name, "city": h.city, "level": h.level, "round": "市级检查"} for h in halls}
    pins, bars = {}, {}
    recognised: dict[str, set[str]] = {}
    for entry in good_lists(halls, cands, config, set(cands), info):
        ids = [n["hall_id"] for n in entry["nominees"]]
        yes = rnd.sample(ids, rnd.randint(0, min(entry["quota"], len(ids))))
        recognised[entry["scope"]] = set(yes)
        for hall_id in ids:
            if hall_id in yes:
                pins[hall_id] = ("良好", "认定。")
            elif rnd.random() < 0.4:
                bars[hall_id] = {"良好": "不认定", "优秀": "不认定"}
    for entry in excellent_lists(halls, cands, config, recognised, info):
        ids = [n["hall_id"] for n in entry["nominees"]]
        yes = rnd.sample(ids, rnd.randint(0, min(entry["quota"], len(ids))))
        for hall_id in ids:
            if hall_id in yes:
                pins[hall_id] = ("优秀", "认定。")
            elif rnd.random() < 0.4:
                bars.setdefault(hall_id, {})["优秀"] = "不认定"
    decided, quotas = assign_tiers(halls, cands, config, pins=pins, bars=bars)
    assert all(q.used <= q.cap for q in quotas)
    for hall_id, (tier, _) in pins.items():
        assert decided[hall_id].tier == tier
    for hall_id, barred in bars.items():
        if hall_id not in pins:
            assert decided[hall_id].tier not in barred
