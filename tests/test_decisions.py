"""逐级认定: the authority table, hand-computed, and 上报名单 sent back with 认定/不认定 (real workbooks)."""

import random
from decimal import Decimal

import openpyxl
import pytest
from conftest import make_halls
from listfill import fill_list
from test_scoring import lose_points

from generator.config import Config
from generator.confirmation import confirm, label
from generator.decisions import load_decisions, write_lists
from generator.errors import DecisionError
from generator.fsutil import dumps_stable
from generator.results import evaluate

CONFIG = Config(year=2025)


@pytest.mark.parametrize("tier, round_name, recognised, expected", [
    # standard.md's table, row by row
    ("不达标", "自评", (), (None, "市")),
    ("不达标", "市级检查", (), ("不达标", None)),
    ("达标", "自评", (), (None, "市")),
    ("达标", "市级检查", (), ("达标", None)),
    ("达标", "省级复核", (), ("达标", None)),
    ("良好", "自评", (), (None, "市")),
    ("良好", "市级检查", (), ("达标", "省")),
    ("良好", "省级复核", (), ("良好", None)),
    ("良好", "市级检查", ("良好",), ("良好", None)),  # the province's 良好 list said 认定
    ("良好", "集团复核", (), ("良好", None)),
    ("优秀", "自评", (), (None, "市")),              # 自评 confirms nothing, whatever the score
    # standard.md's examples: 市级检查 96.0 → 达标 待集团; 省级复核 96.0 → 良好 待集团; 集团复核 96.0 → 优秀
    ("优秀", "市级检查", (), ("达标", "集团")),
    ("优秀", "省级复核", (), ("良好", "集团")),
    ("优秀", "集团复核", (), ("优秀", None)),
    ("优秀", "市级检查", ("优秀",), ("优秀", None)),
    ("优秀", "市级检查", ("良好",), ("良好", "集团")),
    ("达标", "市级检查", ("优秀",), ("达标", None)),  # never above the tier
    ("未检查", "", (), (None, None)),
    ("不参评", "市级检查", (), (None, None)),
])
def test_authority_table(tier, round_name, recognised, expected):
    assert confirm(tier, round_name, recognised) == expected


def test_labels_say_claims_are_claims():
    assert label("优秀", "达标", "集团") == "优秀 · 待集团认定"
    assert label("达标", None, "市") == "达标 · 待市认定"
    assert label("良好", "良好", None) == "良好"


def test_examples_of_the_standard_through_evaluate(standard):
    halls = make_halls({"甲": 20, "乙": 20, "丙": 20})  # H01 甲, H02 乙, H03 丙
    records = [lose_points(standard, "H010000", "市级检查", Decimal(4)),   # 96.0
               lose_points(standard, "H020000", "省级复核", Decimal(4)),
               lose_points(standard, "H030000", "集团复核", Decimal(4))]
    rows = {h["hall_id"]: h for h in evaluate(halls, records, standard, CONFIG)["halls"]}
    got = {h: (rows[h]["final_score"], rows[h]["tier"], rows[h]["confirmed_tier"], rows[h]["awaiting"])
           for h in ("H010000", "H020000", "H030000")}
    assert got == {"H010000": (96, "优秀", "达标", "集团"), "H020000": (96, "优秀", "良好", "集团"),
                   "H030000": (96, "优秀", "优秀", None)}
    assert rows["H010001"]["tier"] == "未检查" and rows["H010001"]["awaiting"] is None


# -- lists sent back -----------------------------------------------------------------------------------

SIXTY = make_halls({"甲": 60})  # 优秀 quota ⌊3⌋ = 3 → list ⌈3.6⌉ = 4; 良好 quota 12 → list 15
LOSSES = {"H010000": 1, "H010001": 2, "H010002": 3, "H010003": "3.5", "H010004": 6, "H010005": 7}


def records_for(standard, losses=LOSSES, round_name="市级检查"):
    return [lose_points(standard, h, round_name, Decimal(str(lose))) for h, lose in losses.items()]


@pytest.fixture
def issued(tmp_path, standard):
    """The year's results without decisions and the 上报名单 workbook they issue."""
    results = evaluate(SIXTY, records_for(standard), standard, CONFIG)
    [path] = write_lists(results, tmp_path / "issued")
    return results, path


def tiers_of(results):
    return {h["hall_id"]: (h["tier"], h["confirmed_tier"], h["awaiting"]) for h in results["halls"]
            if h["final_score"] is not None}


def test_issued_list_is_locked_with_a_dropdown_and_a_hidden_record(issued):
    results, path = issued
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["优秀", "良好", "签发记录"] and wb["签发记录"].sheet_state == "veryHidden"
    ws = wb["优秀"]
    assert [c.value for c in ws[2]] == ["排名", "厅编码", "厅名称", "得分", "认定结果", "理由", "认定人", "认定日期"]
    assert [ws.cell(row=r, column=2).value for r in range(3, 7)] == ["H010000", "H010001", "H010002", "H010003"]
    assert ws.protection.sheet and ws["B3"].protection.locked and not ws["E3"].protection.locked
    assert not ws["H6"].protection.locked
    [dv] = [d for d in ws.data_validations.dataValidation if d.type == "list"]
    assert dv.formula1 == '"认定,不认定"' and str(dv.sqref) == "E3:E6"
    assert wb.security.lockStructure


def test_pin_below_the_quota_line_takes_the_place_of_the_rules(tmp_path, standard, issued):
    results, path = issued
    assert tiers_of(results)["H010003"] == ("良好", "达标", "省")  # 96.5, 4th: the 差额 spare
    filled = fill_list(path, "优秀", {"H010000": "认定", "H010001": "认定", "H010003": "认定"}, tmp_path / "back.xlsx")
    decided = evaluate(SIXTY, records_for(standard), standard, CONFIG, decisions=load_decisions([filled]))
    got = tiers_of(decided)
    assert got["H010000"] == got["H010001"] == got["H010003"] == ("优秀", "优秀", None)
    assert got["H010002"] == ("良好", "达标", "省")  # 97.0 but the group chose the spare: quota full
    row = next(h for h in decided["halls"] if h["hall_id"] == "H010003")
    assert row["decisions"] == [{"tier": "优秀", "result": "认定", "by_level": "集团", "decided_by": "集团评审组",
                                 "date": "2025-11-20", "reason": "认定:评比结果",
                                 "source": "back.xlsx 工作表 优秀 第 6 行"}]
    assert "经集团(集团评审组,2025-11-20)认定为优秀" in row["tier_reason"]
    # The list itself is the same list: computed from the returns alone.
    assert [n["hall_id"] for n in decided["shortlists"][0]["nominees"]] == [
        n["hall_id"] for n in results["shortlists"][0]["nominees"]]
    assert [n["decision"] for n in decided["shortlists"][0]["nominees"]] == ["认定", "认定", None, "认定"]


def test_refusal_cascades_and_blank_rows_are_no_decision(tmp_path, standard, issued):
    results, path = issued
    filled = fill_list(path, "优秀", {"H010000": "不认定"}, tmp_path / "back.xlsx")
    got = tiers_of(evaluate(SIXTY, records_for(standard), standard, CONFIG, decisions=load_decisions([filled])))
    # 99.0 barred from 优秀: falls to 良好 (still a claim for the province); the spare 96.5 moves up by the rules.
    assert got["H010000"] == ("良好", "达标", "省")
    assert [got[h][0] for h in ("H010001", "H010002", "H010003")] == ["优秀", "优秀", "优秀"]
    assert got["H010003"] == ("优秀", "达标", "集团")  # placed by the rules: still waits for the group


def test_list_with_more_recognitions_than_the_quota_is_refused(tmp_path, standard, issued):
    _, path = issued
    filled = fill_list(path, "优秀", dict.fromkeys(["H010000", "H010001", "H010002", "H010003"], "认定"),
                       tmp_path / "back.xlsx")
    with pytest.raises(DecisionError) as err:
        evaluate(SIXTY, records_for(standard), standard, CONFIG, decisions=load_decisions([filled]))
    assert "back.xlsx 工作表 优秀 第 6 行" in str(err.value) and "超过名额 3 个" in str(err.value)


def test_list_naming_a_hall_that_is_not_nominated_is_refused(tmp_path, standard, issued):
    _, path = issued
    filled = fill_list(path, "优秀", {"H010003": "认定"}, tmp_path / "back.xlsx")
    # Later returns: H010003 found at 94.0 by the province, so it is no longer a nominee of the 优秀 list.
    later = records_for(standard) + [lose_points(standard, "H010003", "省级复核", Decimal(6))]
    with pytest.raises(DecisionError) as err:
        evaluate(SIXTY, later, standard, CONFIG, decisions=load_decisions([filled]))
    assert str(err.value).startswith("上报名单 back.xlsx 工作表 优秀 第 6 行:厅编码 H010003 不在 2025 年甲优秀上报名单中")


def test_edited_or_foreign_lists_are_refused(tmp_path, issued):
    _, path = issued
    wb = openpyxl.load_workbook(path)
    wb["优秀"].protection.sheet = False
    wb["优秀"]["B4"] = "H010009"  # someone swaps in another hall
    wb.save(tmp_path / "edited.xlsx")
    with pytest.raises(DecisionError, match="edited.xlsx 工作表 优秀 第 4 行:厅编码应为签发时的 H010001"):
        load_decisions([tmp_path / "edited.xlsx"])
    wb = openpyxl.load_workbook(path)
    wb["签发记录"]["E2"] = "H010009,H010001"
    wb.save(tmp_path / "record.xlsx")
    with pytest.raises(DecisionError, match="record.xlsx 工作表 签发记录 第 2 行:签发记录与校验码不符"):
        load_decisions([tmp_path / "record.xlsx"])
    foreign = openpyxl.Workbook()
    foreign.active.append(["厅编码", "认定结果"])
    foreign.save(tmp_path / "foreign.xlsx")
    with pytest.raises(DecisionError, match="foreign.xlsx:缺少签发记录"):
        load_decisions([tmp_path / "foreign.xlsx"])
    filled = fill_list(path, "优秀", {"H010000": "同意"}, tmp_path / "typo.xlsx")
    with pytest.raises(DecisionError, match="typo.xlsx 工作表 优秀 第 3 行:认定结果“同意”不合法"):
        load_decisions([filled])


def test_copies_that_disagree_are_refused_and_agreeing_copies_are_one(tmp_path, standard, issued):
    _, path = issued
    a = fill_list(path, "优秀", {"H010000": "认定"}, tmp_path / "a.xlsx")
    b = fill_list(path, "优秀", {"H010000": "不认定"}, tmp_path / "b.xlsx")
    with pytest.raises(DecisionError, match="a.xlsx 工作表 优秀 第 3 行:厅编码 H010000 为“认定”,与 b.xlsx 工作表 优秀 第 3 行 的“不认定”矛盾"):
        evaluate(SIXTY, records_for(standard), standard, CONFIG, decisions=load_decisions([a, b]))
    c = fill_list(path, "优秀", {"H010000": "认定"}, tmp_path / "c.xlsx")
    once = evaluate(SIXTY, records_for(standard), standard, CONFIG, decisions=load_decisions([a]))
    twice = evaluate(SIXTY, records_for(standard), standard, CONFIG, decisions=load_decisions([c, a]))
    assert dumps_stable(once) == dumps_stable(twice)


def test_province_good_list_and_group_excellent_list_together_in_any_order(tmp_path, standard, issued):
    _, path = issued
    group = fill_list(path, "优秀", {"H010000": "认定", "H010002": "不认定"}, tmp_path / "group" / "甲.xlsx")
    province = fill_list(path, "良好", {"H010004": "认定", "H010005": "不认定"}, tmp_path / "prov" / "甲.xlsx",
                         by="甲省评审委员会")
    records = records_for(standard)
    outputs = set()
    for seed in range(4):
        rng = random.Random(seed)
        paths = [tmp_path / "group", province]
        rng.shuffle(paths)
        shuffled = list(records)
        rng.shuffle(shuffled)
        outputs.add(dumps_stable(evaluate(SIXTY, shuffled, standard, CONFIG, decisions=load_decisions(paths))))
    assert len(outputs) == 1
    got = tiers_of(evaluate(SIXTY, records, standard, CONFIG, decisions=load_decisions([group, province])))
    assert got["H010000"] == ("优秀", "优秀", None)
    assert got["H010002"] == ("良好", "达标", "省")     # 不认定 优秀, not yet decided for 良好
    assert got["H010004"] == ("良好", "良好", None)     # 认定 良好 by the province
    assert got["H010005"] == ("达标", "达标", None)     # 不认定 良好: falls to 达标, recognised by the city


def test_a_list_answered_and_saved_by_libreoffice_is_read_the_same(tmp_path, standard, issued):
    """The group may answer in WPS or LibreOffice: a real soffice round trip keeps the list and the answers."""
    import os
    import shutil

    from test_libreoffice import convert

    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI 中找不到 LibreOffice(soffice)")
        pytest.skip("LibreOffice (soffice) is not installed")
    _, path = issued
    filled = fill_list(path, "优秀", {"H010000": "不认定", "H010003": "认定"}, tmp_path / "answer" / "甲.xlsx")
    [saved] = convert(found, [filled], tmp_path / "lo", tmp_path / "profile")
    assert load_decisions([saved]) == load_decisions([filled])  # same file name, same rows, same answers
    once = evaluate(SIXTY, records_for(standard), standard, CONFIG, decisions=load_decisions([filled]))
    again = evaluate(SIXTY, records_for(standard), standard, CONFIG, decisions=load_decisions([saved]))
    assert tiers_of(once) == tiers_of(again)
