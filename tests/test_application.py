"""结果应用: 省公司服务考核 with the change from the previous year, 划小承包 奖惩, 创先评优 (hand-computed)."""

import io
from decimal import Decimal

import openpyxl

from generator.archive.codec import HallRow
from generator.evaluate.application import eligible, reward_list, service_assessment
from generator.workbooks.exports import application_bytes


def hall(hall_id, province, tier, final, confirmed=None, awaiting=None, name="厅", ranked=None):
    """A hall's typed row (record.HallRow, as pages and exports get it); only what 结果应用 reads is filled in.
    Ranked (inspected: 市级检查 or higher decides) unless it waits for its city or has no rated score."""
    if ranked is None:
        ranked = final is not None and tier not in ("不参评", "未检查") and awaiting != "市"
    return HallRow(hall_id=hall_id, name=name, province=province, city=f"{province}市", district="", level=1, type="",
                   round="", date="", inspector="", base_score=None, bonus=None, deduction=None,
                   final_score=None if final is None else Decimal(str(final)), items={}, reasons={}, sections={},
                   bonus_events=(), deduction_events=(), vetoes=(), rounds=(), self_gap=None, override=None,
                   tier=tier, tier_reason="", confirmed_tier=confirmed, awaiting=awaiting, decisions=(), ranked=ranked)


NOW = {"甲": [hall("A1", "甲", "优秀", 96, "优秀"), hall("A2", "甲", "良好", 91, "达标", "省"),
              hall("A3", "甲", "达标", 85, "达标"), hall("A4", "甲", "不达标", 70, "不达标"),
              hall("A5", "甲", "未检查", None), hall("A6", "甲", "不参评", 99)],
       "乙": [hall("B1", "乙", "达标", 81.5, "达标"), hall("B2", "乙", "不达标", 79.5, None, "市")]}
BEFORE = {"甲": [hall("A1", "甲", "良好", 92, "良好"), hall("A2", "甲", "达标", 88, "达标"),
                 hall("A3", "甲", "不达标", 75, "不达标"), hall("A4", "甲", "不达标", 70, "不达标")],
          "乙": [hall("B1", "乙", "达标", 81, "达标"), hall("B2", "乙", "不达标", 79, "不达标")]}


def test_service_assessment_hand_computed():
    rows = service_assessment(NOW, ["甲", "乙"], BEFORE, {"average": Decimal("2.0"), "pass_rate": Decimal(5)})
    a, b = rows
    # 甲: rated A1-A5 (未检查 A5 counts, 不参评 A6 does not); recognised 达标 or better A1-A3 → 3 of 5 = 60%;
    # inspected A1-A4 → coverage 80%; average over them (96+91+85+70)/4 = 85.5.
    assert (a["tiered"], a["counts"], a["pass_rate"], a["coverage"], a["average"]) == (
        5, {"优秀": 1, "良好": 1, "达标": 1, "不达标": 1}, 60, 80, 85.5)
    assert a["recognised"] == {"优秀": 1, "良好": 0, "达标": 2, "不达标": 1}
    # Before: 2 of 4 → 50.0%, average (92+88+75+70)/4 = 81.25 → 81.3. Change +4.2 and +10 points → marked.
    assert (a["average_change"], a["pass_rate_change"], a["improved"]) == (4.2, 10, True)
    # 乙: B2 is a 自评 claim waiting for its city: not 达标 for the rate, not in the average (81.5 alone);
    # before, (81+79)/2 = 80.0: +1.5, 50% both years → not marked.
    assert (b["pass_rate"], b["coverage"], b["average"], b["average_change"], b["pass_rate_change"], b["improved"]) == (
        50, 50, 81.5, 1.5, 0, False)


def test_no_previous_year_means_no_change_and_no_mark():
    [row] = service_assessment(NOW, ["乙"], None)
    assert (row["average_change"], row["pass_rate_change"], row["improved"]) == (None, None, False)


def test_rewards_follow_recognised_tiers_only():
    got = [(r["hall_id"], r["confirmed_tier"], r["consequence"], r["note"]) for r in reward_list(NOW["甲"])]
    assert got == [("A1", "优秀", "奖励", ""), ("A2", "达标", "—", "按规则良好,待省认定"), ("A3", "达标", "—", ""),
                   ("A4", "不达标", "扣罚", ""), ("A5", None, "—", "")]  # 不参评 A6 is not on the list
    assert [h.hall_id for h in eligible(NOW["甲"] + NOW["乙"])] == ["A1"]


def test_application_workbook_keeps_text_as_text():
    halls = {"甲": [hall("A1", "甲", "优秀", 96, "优秀", name="=HYPERLINK(\"http://x\")")]}
    app = {"assessment": service_assessment(halls, ["甲"], None), "rewards": {"甲": reward_list(halls["甲"])},
           "eligible": eligible(halls["甲"])}
    data = application_bytes(2025, app, ["甲"])
    assert data == application_bytes(2025, app, ["甲"])
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["省公司服务考核", "划小承包奖惩清单", "创先评优"]
    cell = wb["划小承包奖惩清单"]["C2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x")', "s")
    assert [c.value for c in wb["划小承包奖惩清单"][2]][-2:] == ["奖励", None]
