"""Tiers and quotas, hand-computed (standard.md, 档次与名额)."""

from decimal import Decimal

from support.returns import make_halls

from generator.evaluate.tiering import Candidate, assign_tiers
from generator.rules.config import Config
from generator.rules.register import Hall


def cand(hall_id, final, base=None, deduction=0, business=100, vetoes=()):
    final = Decimal(str(final))
    return Candidate(hall_id, final, Decimal(str(base)) if base is not None else final, Decimal(deduction),
                     Decimal(business), tuple(vetoes))


def tiers(placements):
    return {h: p.tier for h, p in placements.items()}


def test_thresholds_lower_bound_belongs_to_higher_tier():
    halls = make_halls({"甲": 100})
    scores = {"H010000": 95, "H010001": 94.9, "H010002": 90, "H010003": 89.9, "H010004": 80, "H010005": 79.9}
    placed, _ = assign_tiers(halls, {h: cand(h, s) for h, s in scores.items()}, Config(year=2025))
    assert [placed[h].tier for h in scores] == ["优秀", "良好", "良好", "达标", "达标", "不达标"]
    assert placed["H010000"].reason == "得分 95,达到优秀标准(95 分及以上),本省优秀第 1 名,共 5 个名额,评为优秀。"
    assert placed["H010006"].tier == "未检查"


def test_quota_cascades_and_counts_uninspected_halls():
    # 40 halls in the register → 优秀 cap ⌊2⌋ = 2, 良好 cap ⌊8⌋ = 8; only 12 were inspected.
    halls = make_halls({"甲": 40})
    scores = [99, 98, 97, 96, 94, 93, 92, 91, 90.5, 90.4, 90.3, 90.2]
    cands = {f"H01{n:04d}": cand(f"H01{n:04d}", s) for n, s in enumerate(scores)}
    placed, quotas = assign_tiers(halls, cands, Config(year=2025))
    got = [placed[h].tier for h in cands]
    assert got == ["优秀", "优秀"] + ["良好"] * 8 + ["达标", "达标"]
    # Places in each tier's own order: the two 优秀 halls do not count in the 良好 order (10th, not 12th).
    assert placed["H010002"].reason == "得分 97,本省优秀名额 2 个已满(本厅为优秀第 3 名),按规则评为良好。"
    assert placed["H010011"].reason == "得分 90.2,本省良好名额 8 个已满(本厅为良好第 10 名),按规则评为达标。"
    assert placed["H010009"].reason == "得分 90.4,达到良好标准(90 分及以上),本省良好第 8 名,共 8 个名额,评为良好。"
    assert {(q.tier, q.base, q.cap, q.used) for q in quotas} == {("优秀", 40, 2, 2), ("良好", 40, 8, 8)}
    assert sum(1 for p in placed.values() if p.tier == "未检查") == 28


def test_small_province_has_no_excellent_quota():
    halls = make_halls({"小": 19})
    placed, quotas = assign_tiers(halls, {"H010000": cand("H010000", 99)}, Config(year=2025))
    assert placed["H010000"].tier == "良好"
    assert placed["H010000"].reason == (
        "得分 99,本省优秀名额为 0 个(评价范围内 19 个厅 × 5% 向下取整),按规则评为良好。")


def test_ranking_tiebreaks_then_unbroken_tie_needs_decision():
    halls = make_halls({"甲": 40})  # 优秀 cap 2
    cands = {
        "H010000": cand("H010000", 97, base=96),
        "H010001": cand("H010001", 97, base=97),           # wins on base
        "H010002": cand("H010002", 96, base=96, deduction=0, business=90),
        "H010003": cand("H010003", 96, base=96, deduction=0, business=90),  # same key as H010002
    }
    placed, _ = assign_tiers(halls, cands, Config(year=2025))
    assert tiers(placed)["H010001"] == "优秀" and tiers(placed)["H010000"] == "优秀"
    assert placed["H010002"].tier == "良好" and not placed["H010002"].needs_decision

    cands["H010000"] = cand("H010000", 96, base=96, business=90)  # now three halls tie for the last place
    placed, quotas = assign_tiers(halls, cands, Config(year=2025))
    assert placed["H010001"].tier == "优秀"
    for h in ("H010000", "H010002", "H010003"):
        assert placed[h].tier == "良好" and placed[h].needs_decision and placed[h].pending_tier == "优秀"
        assert "需裁定" in placed[h].reason and "裁定前暂评为良好" in placed[h].reason
    excellent = next(q for q in quotas if q.tier == "优秀")
    assert (excellent.cap, excellent.used, excellent.pending) == (2, 1, 3)


def test_veto_level_four_and_partner_halls():
    halls = make_halls({"甲": 40}) + [
        Hall("L4", "四级厅", "甲", "甲市", "甲区", 4, "自营"),
        Hall("P1", "合作厅", "甲", "甲市", "甲区", 2, "社会合作"),
    ]
    cands = {"H010000": cand("H010000", 98, vetoes=("V02",)), "L4": cand("L4", 99), "P1": cand("P1", 99)}
    placed, quotas = assign_tiers(halls, cands, Config(year=2025), {"V02": "泄露客户个人信息"})
    assert placed["H010000"].tier == "不达标"
    assert placed["H010000"].reason == "得分 98,但发生一票否决事项 V02(泄露客户个人信息),无论得分均评为不达标。"
    assert placed["L4"].tier == "不参评" and "本年度只对 1-3 级自营厅评价(hallscore.toml)" in placed["L4"].reason
    assert placed["P1"].tier == "不参评" and "社会合作厅" in placed["P1"].reason
    assert all(q.base == 40 for q in quotas)  # level 4 and partner halls are not in the quota base


def test_national_scope():
    halls = make_halls({"甲": 10, "乙": 10})  # 20 halls nationally → 1 优秀
    cands = {"H010000": cand("H010000", 99), "H020000": cand("H020000", 98)}
    placed, _ = assign_tiers(halls, cands, Config(year=2025, quota_scope="national"))
    assert (placed["H010000"].tier, placed["H020000"].tier) == ("优秀", "良好")
    assert "全国优秀名额 1 个已满" in placed["H020000"].reason


def test_uninspected_hall_counts_in_base_and_says_so():
    # 20 halls, one inspected: the 19 未检查 halls still make the base, so 优秀 cap is ⌊20 × 5%⌋ = 1.
    halls = make_halls({"甲": 20})
    placed, quotas = assign_tiers(halls, {"H010000": cand("H010000", 96)}, Config(year=2025))
    assert placed["H010000"].tier == "优秀"
    assert placed["H010001"].reason == "没有被接收的检查表,未检查;仍计入本省名额基数(20 个厅)。"
    assert {(q.tier, q.base, q.cap, q.used) for q in quotas} == {("优秀", 20, 1, 1), ("良好", 20, 4, 0)}


def test_falls_through_two_full_quotas():
    # 20 halls: 优秀 cap 1, 良好 cap ⌊4⌋ = 4. Six halls reach 95.
    halls = make_halls({"甲": 20})
    scores = {"H010000": 99, "H010001": 98, "H010002": 97, "H010003": 96, "H010004": 95.5, "H010005": 95.2}
    placed, quotas = assign_tiers(halls, {h: cand(h, s) for h, s in scores.items()}, Config(year=2025))
    assert [placed[h].tier for h in scores] == ["优秀", "良好", "良好", "良好", "良好", "达标"]
    assert placed["H010005"].reason == (
        "得分 95.2,本省优秀名额 1 个已满(本厅为优秀第 6 名);本省良好名额 4 个已满(本厅为良好第 5 名),按规则评为达标。")
    assert placed["H010005"].rank == 6


def test_tie_at_the_good_cut_line():
    halls = make_halls({"甲": 20})  # 良好 cap 4
    scores = {"H010000": 99, "H010001": 93, "H010002": 92, "H010003": 91, "H010004": 90.5, "H010005": 90.5}
    placed, quotas = assign_tiers(halls, {h: cand(h, s) for h, s in scores.items()}, Config(year=2025))
    assert [placed[h].tier for h in scores] == ["优秀", "良好", "良好", "良好", "达标", "达标"]
    for h in ("H010004", "H010005"):
        assert placed[h].needs_decision and placed[h].pending_tier == "良好"
    # The tie names the hall it ties with, its place in the 良好 order (the 优秀 hall not counted) and who decides.
    other = {"H010004": "H010005", "H010005": "H010004"}
    for h in ("H010004", "H010005"):
        assert placed[h].reason == (f"得分 90.5,与甲第{other[h][-1]}营业厅({other[h]})得分及排名依据相同,并列本省良好第 4 名,"
                                    "本省良好共 4 个名额、只剩 1 个,按规则不以厅编码决定,需裁定,由省公司决定,裁定前暂评为达标。")
    good = next(q for q in quotas if q.tier == "良好")
    assert (good.cap, good.used, good.pending) == (4, 3, 2)


def test_small_province_good_cap_and_level_four_with_score():
    # 19 halls: 优秀 ⌊0.95⌋ = 0, 良好 ⌊3.8⌋ = 3; a level 4 hall scoring 99 is not in the base and not tiered.
    halls = make_halls({"小": 19}) + [Hall("L4", "四级厅", "小", "小市", "小区", 4, "自营")]
    scores = {"H010000": 99, "H010001": 97, "H010002": 96, "H010003": 95, "L4": 99}
    placed, quotas = assign_tiers(halls, {h: cand(h, s) for h, s in scores.items()}, Config(year=2025))
    assert [placed[h].tier for h in scores] == ["良好", "良好", "良好", "达标", "不参评"]
    assert placed["H010003"].reason == (
        "得分 95,本省优秀名额为 0 个(评价范围内 19 个厅 × 5% 向下取整);本省良好名额 3 个已满(本厅为良好第 4 名),按规则评为达标。")
    # The scope is said as the year's configuration, never as the 办法's 2016 rule worded as this year's.
    assert placed["L4"].reason == "得分 99;本年度只对 1-3 级自营厅评价(hallscore.toml),本厅为 4 级厅,不参评。"
    assert {(q.tier, q.base, q.cap) for q in quotas} == {("优秀", 19, 0), ("良好", 19, 3)}


def test_reasons_are_facts_said_by_the_catalogue():
    """Placements carry structured facts; the sentence is the catalogue's, and a tie is known from the facts."""
    import pytest

    from generator.evaluate.tier_reasons import CATALOGUE, Fact, say, waits_for_decision

    halls = make_halls({"甲": 20})
    cands = {h.hall_id: cand(h.hall_id, 96) for h in halls[:2]}  # two tie for the one 优秀 place
    placed, _ = assign_tiers(halls, cands, Config(year=2025))
    fact = placed[halls[0].hall_id].fact
    assert fact.code == "fell-awaiting" and placed[halls[0].hall_id].reason == say(fact)
    [tie] = [f for f in fact.get("falls") if f.code == "tie"]
    assert dict(tie.values) == {"others": 1, "rank": 1, "scope": "本省", "tier": "优秀", "cap": 1, "left": 1,
                                "owner": "集团", "tied_with": f"{halls[1].name}({halls[1].hall_id})"}
    assert waits_for_decision(fact.get("falls")) and not waits_for_decision(["需裁定"])  # text is never read
    assert placed[halls[5].hall_id].fact.code == "not-inspected"
    assert set(CATALOGUE) >= {f.code for f in (fact, tie)}
    with pytest.raises(KeyError):
        Fact.of("no-such-reason")


def test_the_ranks_a_reason_quotes_are_found_from_its_facts():
    """reasons.said_with_ranks: where each quota rank stands in the sentence, made from the facts the way say()
    fills the catalogue (one rank, two ranks in one sentence, a tie, none); every placement's sentence is its
    facts'."""
    from generator.evaluate.tier_reasons import said_with_ranks, say

    halls = make_halls({"甲": 20})
    scores = {"H010000": 99, "H010001": 98, "H010002": 97, "H010003": 96, "H010004": 95.5, "H010005": 95.2,
              "H010006": 90.5, "H010007": 90.5, "H010008": 85}
    placed, _ = assign_tiers(halls, {h: cand(h, s) for h, s in scores.items()}, Config(year=2025))
    spans = {h: said_with_ranks(p.fact)[1] for h, p in placed.items() if p.fact is not None}
    assert all(say(p.fact) == p.reason and p.ranks == spans[h] for h, p in placed.items() if p.fact is not None)
    said = {h: [placed[h].reason[a:b] for a, b in s] for h, s in spans.items()}
    assert said["H010000"] == ["1"] and said["H010005"] == ["6", "5"] and said["H010008"] == []
    assert said["H010006"] == said["H010007"] == ["6"]  # equal scores below the 良好 line quote a shared place
    assert all(placed[h].reason[a - 2:a] == "第 " for h, found in spans.items() for a, _b in found)


def test_a_refusal_that_bars_two_tiers_is_said_once():
    """A province's 不认定 bars 良好 and 优秀 with the same record (confirmation.py): a hall whose score reached
    优秀 falls past both, and its reason names the refusal once, not once per tier."""
    from generator.evaluate.tier_reasons import Fact

    halls = make_halls({"甲": 40})
    refusal = Fact.of("list-refused", tier="良好", said=Fact.of(
        "list-said", owner="省", decided_by="省评比组", date="2025-09-20", result="不认定", tier="良好",
        reason="投诉处理不及时", where="甲-良好上报名单.xlsx 工作表 良好 第 4 行"))
    cands = {"H010000": cand("H010000", 98.9), "H010001": cand("H010001", 91)}
    placed, _ = assign_tiers(halls, cands, Config(year=2025), bars={"H010000": {"良好": refusal, "优秀": refusal}})
    reason = placed["H010000"].reason
    assert placed["H010000"].tier == "达标"
    assert reason.count("投诉处理不及时") == 1, reason
    assert reason == ("得分 98.9,省(省评比组,2025-09-20)不认定为良好:投诉处理不及时(上报名单 甲-良好上报名单.xlsx"
                      " 工作表 良好 第 4 行),不得评为良好,按规则评为达标。")
