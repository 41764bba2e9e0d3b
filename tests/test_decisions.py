"""逐级认定: the authority table, hand-computed, and 上报名单 sent back with 认定/不认定 (real workbooks)."""

import random
from decimal import Decimal

import openpyxl
import pytest
from support.lists import fill_list
from support.returns import lose_points, make_halls

from generator.archive.store import evaluate
from generator.errors import DecisionError
from generator.evaluate.decisions import load_decisions
from generator.evaluate.recognition import confirm, label
from generator.fs.files import dumps_stable
from generator.rules.config import Config
from generator.workbooks.lists import write_lists

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
    ("良好", "省级复核", (), ("达标", "省")),      # a review round gives scores, never a recognition
    ("良好", "市级检查", ("良好",), ("良好", None)),  # the province's 良好 list said 认定
    ("良好", "集团复核", (), ("达标", "省")),
    ("优秀", "自评", (), (None, "市")),              # 自评 confirms nothing, whatever the score
    # 市 → 省 → 集团: an 优秀 claim the city recognised 达标 waits for the province's 良好 list first
    ("优秀", "市级检查", (), ("达标", "省")),
    ("优秀", "省级复核", (), ("达标", "省")),
    ("优秀", "集团复核", (), ("达标", "省")),
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
    # Whatever round a workbook declares, only the answered lists recognise 良好 and 优秀.
    assert got == {"H010000": (96, "优秀", "达标", "省"), "H020000": (96, "优秀", "达标", "省"),
                   "H030000": (96, "优秀", "达标", "省")}
    assert rows["H010001"]["tier"] == "未检查" and rows["H010001"]["awaiting"] is None


# -- lists sent back -----------------------------------------------------------------------------------

SIXTY = make_halls({"甲": 60})  # 优秀 quota ⌊3⌋ = 3 → list ⌈3.6⌉ = 4; 良好 quota 12 → list 15
LOSSES = {"H010000": 1, "H010001": 2, "H010002": 3, "H010003": "3.5", "H010004": 6, "H010005": 7}


def records_for(standard, losses=LOSSES, round_name="市级检查"):
    return [lose_points(standard, h, round_name, Decimal(str(lose))) for h, lose in losses.items()]


@pytest.fixture
def issued(tmp_path, standard):
    """The year's results without answers and the province's 良好 list they issue (the 优秀 list waits)."""
    results = evaluate(SIXTY, records_for(standard), standard, CONFIG)
    paths = write_lists(results, tmp_path / "issued")
    assert [p.name for p in paths] == ["甲-良好上报名单.xlsx", "甲-优秀上报名单.xlsx"]
    return results, paths[0]


def tiers_of(results):
    return {h["hall_id"]: (h["tier"], h["confirmed_tier"], h["awaiting"]) for h in results["halls"]
            if h["final_score"] is not None}


def province_answered(tmp_path, standard, path, said=None):
    """The province's answer (认定 the four over 95 and H010004) and the group's list it lets be issued."""
    said = said or {"H010000": "认定", "H010001": "认定", "H010002": "认定", "H010003": "认定", "H010004": "认定",
                    "H010005": "不认定"}
    answer = fill_list(path, "良好", said, tmp_path / "province" / "甲.xlsx", by="甲省评审委员会")
    results = evaluate(SIXTY, records_for(standard), standard, CONFIG, decisions=load_decisions([answer]))
    paths = write_lists(results, tmp_path / "issued2")
    return answer, results, paths[1]


def test_issued_list_is_locked_with_a_dropdown_and_a_hidden_record(issued):
    results, path = issued
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["良好", "签发记录"] and wb["签发记录"].sheet_state == "veryHidden"
    ws = wb["良好"]
    assert [c.value for c in ws[2]] == ["排名", "厅编码", "厅名称", "得分", "认定结果", "理由", "认定人", "认定日期",
                                        "市", "级别", "检查轮次"]
    assert [ws.cell(row=r, column=2).value for r in range(3, 9)] == [f"H01000{n}" for n in range(6)]
    assert [ws.cell(row=3, column=c).value for c in (9, 10, 11)] == ["甲市", 2, "市级检查"]
    assert ws.protection.sheet and ws["B3"].protection.locked and not ws["E3"].protection.locked
    assert not ws["H8"].protection.locked and ws["I3"].protection.locked
    [dv] = [d for d in ws.data_validations.dataValidation if d.type == "list"]
    assert dv.formula1 == '"认定,不认定"' and str(dv.sqref) == "E3:E8"
    assert wb.security.lockStructure


def test_group_list_after_the_province_and_its_spare(tmp_path, standard, issued):
    results, path = issued
    assert tiers_of(results)["H010003"] == ("良好", "达标", "省")  # 96.5, 4th: over the 优秀 quota of 3
    _answer, after, group_list = province_answered(tmp_path, standard, path)
    assert tiers_of(after)["H010003"] == ("良好", "良好", None)  # the province's 认定; not 优秀 by the rules
    assert tiers_of(after)["H010000"] == ("优秀", "良好", "集团")
    ws = openpyxl.load_workbook(group_list)["优秀"]
    assert [ws.cell(row=r, column=2).value for r in range(3, 7)] == ["H010000", "H010001", "H010002", "H010003"]
    filled = fill_list(group_list, "优秀", {"H010000": "认定", "H010001": "认定", "H010003": "认定"},
                       tmp_path / "back.xlsx")
    decided = evaluate(SIXTY, records_for(standard), standard, CONFIG,
                       decisions=load_decisions([_answer, filled]))
    got = tiers_of(decided)
    assert got["H010000"] == got["H010001"] == got["H010003"] == ("优秀", "优秀", None)
    assert got["H010002"] == ("良好", "良好", None)  # 97.0 but the group chose the spare: stays the province's 良好
    row = next(h for h in decided["halls"] if h["hall_id"] == "H010003")
    assert row["decisions"][0] == {"tier": "优秀", "result": "认定", "by_level": "集团", "decided_by": "集团评审组",
                                   "date": "2025-11-20", "reason": "认定:评比结果",
                                   "source": "back.xlsx 工作表 优秀 第 6 行"}
    assert "经集团(集团评审组,2025-11-20)认定为优秀" in row["tier_reason"]
    excellent = next(s for s in decided["shortlists"] if s["tier"] == "优秀")
    assert [n["decision"] for n in excellent["nominees"]] == ["认定", "认定", None, "认定"]


def test_province_refusal_bars_good_and_above(tmp_path, standard, issued):
    _, path = issued
    said = {"H010000": "不认定", "H010001": "认定"}
    _answer, after, _group_list = province_answered(tmp_path, standard, path, said)
    got = tiers_of(after)
    assert got["H010000"] == ("达标", "达标", None)  # 99.0 refused by the province: falls to 达标
    assert got["H010001"] == ("优秀", "良好", "集团")
    assert got["H010002"] == ("优秀", "达标", "省")  # blank: a claim, still waiting for the province (the 良好 list comes first)


def test_group_answer_over_the_quota_is_refused(tmp_path, standard, issued):
    _, path = issued
    answer, _after, group_list = province_answered(tmp_path, standard, path)
    filled = fill_list(group_list, "优秀", dict.fromkeys(["H010000", "H010001", "H010002", "H010003"], "认定"),
                       tmp_path / "back.xlsx")
    with pytest.raises(DecisionError) as err:
        evaluate(SIXTY, records_for(standard), standard, CONFIG, decisions=load_decisions([answer, filled]))
    assert "back.xlsx 工作表 优秀 第 6 行" in str(err.value) and "超过甲优秀名额 3 个" in str(err.value)


def test_a_stale_answer_is_set_aside_not_fatal(tmp_path, standard, issued):
    _, path = issued
    filled = fill_list(path, "良好", {"H010003": "认定"}, tmp_path / "back.xlsx")
    # Later returns: H010003 found at 89.0 by the province, so the list changed after it was answered.
    later = records_for(standard) + [lose_points(standard, "H010003", "省级复核", Decimal(11))]
    results = evaluate(SIXTY, later, standard, CONFIG, decisions=load_decisions([filled]))
    [said] = results["answers"]
    assert said["status"] == "set-aside" and "移出 H010003" in said["why"]
    assert said["changed_by"] == ["省级复核/H010003.xlsx"]
    assert tiers_of(results)["H010003"] == ("达标", "达标", None)


def test_edited_or_foreign_lists_are_refused(tmp_path, issued):
    _, path = issued
    wb = openpyxl.load_workbook(path)
    wb["良好"].protection.sheet = False
    wb["良好"]["B4"] = "H010009"  # someone swaps in another hall
    wb.save(tmp_path / "edited.xlsx")
    with pytest.raises(DecisionError, match="edited.xlsx 工作表 良好 单元格 B4.*签发时为“H010001”"):
        load_decisions([tmp_path / "edited.xlsx"])
    wb = openpyxl.load_workbook(path)
    wb["签发记录"]["E2"] = 20
    wb.save(tmp_path / "record.xlsx")
    with pytest.raises(DecisionError, match="record.xlsx 工作表 签发记录:签发记录与校验码不符"):
        load_decisions([tmp_path / "record.xlsx"])
    foreign = openpyxl.Workbook()
    foreign.active.append(["厅编码", "认定结果"])
    foreign.save(tmp_path / "foreign.xlsx")
    with pytest.raises(DecisionError, match="foreign.xlsx:缺少签发记录"):
        load_decisions([tmp_path / "foreign.xlsx"])
    filled = fill_list(path, "良好", {"H010000": "同意"}, tmp_path / "typo.xlsx")
    with pytest.raises(DecisionError, match="typo.xlsx 工作表 良好 第 3 行:认定结果“同意”不合法"):
        load_decisions([filled])


def test_copies_that_disagree_are_refused_and_agreeing_copies_are_one(tmp_path, standard, issued):
    _, path = issued
    a = fill_list(path, "良好", {"H010000": "认定"}, tmp_path / "a.xlsx")
    b = fill_list(path, "良好", {"H010000": "不认定"}, tmp_path / "b.xlsx")
    with pytest.raises(DecisionError, match="a.xlsx 与 b.xlsx|b.xlsx 与 a.xlsx"):
        evaluate(SIXTY, records_for(standard), standard, CONFIG, decisions=load_decisions([a, b]))
    c = fill_list(path, "良好", {"H010000": "认定"}, tmp_path / "c.xlsx")
    once = evaluate(SIXTY, records_for(standard), standard, CONFIG, decisions=load_decisions([a]))
    twice = evaluate(SIXTY, records_for(standard), standard, CONFIG, decisions=load_decisions([c, a]))
    assert tiers_of(once) == tiers_of(twice)
    assert [x["status"] for x in twice["answers"]] == ["applied", "replaced"] or \
        sorted(x["status"] for x in twice["answers"]) == ["applied", "replaced"]


def test_province_and_group_answers_together_in_any_order(tmp_path, standard, issued):
    _, path = issued
    province, _after, group_list = province_answered(tmp_path, standard, path)
    group = fill_list(group_list, "优秀", {"H010000": "认定", "H010002": "不认定"}, tmp_path / "group" / "甲.xlsx")
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
    assert got["H010002"] == ("良好", "良好", None)     # 不认定 优秀 by the group: stays the province's 良好
    assert got["H010004"] == ("良好", "良好", None)     # 认定 良好 by the province
    assert got["H010005"] == ("达标", "达标", None)     # 不认定 良好: falls to 达标, recognised by the city


def test_a_list_answered_and_saved_by_libreoffice_is_read_the_same(tmp_path, standard, issued):
    """The province may answer in WPS or LibreOffice: a real soffice round trip keeps the list and the answers."""
    import os
    import shutil

    from support.libreoffice import convert

    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI 中找不到 LibreOffice(soffice)")
        pytest.skip("LibreOffice (soffice) is not installed")
    _, path = issued
    filled = fill_list(path, "良好", {"H010000": "不认定", "H010003": "认定"}, tmp_path / "answer" / "甲.xlsx")
    [saved] = convert(found, [filled], tmp_path / "lo", tmp_path / "profile")
    a, b = load_decisions([saved]), load_decisions([filled])
    assert [x.decisions for x in a] == [x.decisions for x in b] and [x.grid for x in a] == [x.grid for x in b]
    once = evaluate(SIXTY, records_for(standard), standard, CONFIG, decisions=b)
    again = evaluate(SIXTY, records_for(standard), standard, CONFIG, decisions=a)
    assert tiers_of(once) == tiers_of(again)
