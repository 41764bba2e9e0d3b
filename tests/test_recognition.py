"""逐级认定 in the 办法's order, on a province worked out by hand from standard.md (real list workbooks).

Province 甲, 20 rated halls: 优秀 quota ⌊5% × 20⌋ = 1, 良好 quota ⌊20% × 20⌋ = 4; the 良好 list holds
⌈1.2 × 4⌉ = 5, the 优秀 list ⌈1.2 × 1⌉ = 2. Deciding scores:

    H010008 省级复核 99 · H010000 98 · H010001 97 · H010002 96 · H010003 93 · H010004 92 · H010005 91 ·
    H010006 90.5 · H010007 自评 85 (not ranked) · H010009 85 · H010010 75 · H010011 97 with a veto ·
    H010012-19 no return

Rules alone: 08 优秀 (one place); 00, 01, 02, 03 良好 (four places); 04, 05, 06 达标 (良好 full).
良好 list: 08, 00, 01, 02, 03 (the 优秀-line halls included; 11 vetoed, 07 not ranked).
"""

from __future__ import annotations

import itertools
import re
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from support.lists import fill_list
from support.returns import lose_points, make_halls

from generator.archive.store import evaluate
from generator.errors import DecisionError
from generator.evaluate.decisions import list_file_name, load_decisions
from generator.fs.files import dumps_stable
from generator.rules.config import Config
from generator.workbooks.lists import write_lists

CONFIG = Config(year=2025)
HALLS = make_halls({"甲": 20})
GOOD_LIST, EXCELLENT_LIST = list_file_name("甲", "良好"), list_file_name("甲", "优秀")


def returns(standard, late: bool = False):
    city = {"H010000": "2", "H010001": "3", "H010002": "4", "H010003": "7", "H010004": "8", "H010005": "9",
            "H010006": "9.5", "H010009": "15", "H010010": "25"}
    records = [lose_points(standard, h, "市级检查", Decimal(lose)) for h, lose in city.items()]
    records += [lose_points(standard, "H010008", "省级复核", Decimal(1)),
                lose_points(standard, "H010007", "自评", Decimal(15)),
                lose_points(standard, "H010011", "市级检查", Decimal(3), vetoes=(standard.vetoes[0].id,))]
    if late:  # the province's review of H010003 after the answers: 89, below the 良好 line
        records.append(lose_points(standard, "H010003", "省级复核", Decimal(11), date="2025-10-01"))
    return records


def run(standard, answers=(), late=False):
    return evaluate(HALLS, returns(standard, late), standard, CONFIG, decisions=load_decisions(answers))


def states(results) -> dict[str, tuple]:
    return {h["hall_id"]: (h["tier"], h["confirmed_tier"], h["awaiting"]) for h in results["halls"]
            if h["hall_id"] <= "H010011"}


def issued(results, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_lists(results, folder)
    return folder


def nominees(results, tier: str) -> list[str]:
    [entry] = [s for s in results["shortlists"] if s["tier"] == tier]
    return [n["hall_id"] for n in entry["nominees"]]


def answer(folder: Path, name: str, tier: str, said: dict[str, str], out: Path, when: date, by: str) -> Path:
    return fill_list(folder / name, tier, said, out, by=by, when=when)


STAGE1 = {
    "H010000": ("良好", "达标", "省"), "H010001": ("良好", "达标", "省"), "H010002": ("良好", "达标", "省"),
    "H010003": ("良好", "达标", "省"), "H010004": ("达标", "达标", None), "H010005": ("达标", "达标", None),
    "H010006": ("达标", "达标", None), "H010007": ("达标", None, "市"), "H010008": ("优秀", "达标", "省"),
    "H010009": ("达标", "达标", None), "H010010": ("不达标", "不达标", None), "H010011": ("不达标", "不达标", None),
}


@pytest.fixture()
def province_answer(standard, tmp_path):
    """Stage 2's answer: the province 认定 08, 00, 01, 03 and 不认定 02 on its 良好 list."""
    first = run(standard)
    lists = issued(first, tmp_path / "issued1")
    said = {"H010008": "认定", "H010000": "认定", "H010001": "认定", "H010003": "认定", "H010002": "不认定"}
    return answer(lists, GOOD_LIST, "良好", said, tmp_path / "省答复" / "甲-良好-1.xlsx", date(2025, 9, 1),
                  "江苏省公司评比组")


@pytest.fixture()
def group_answer(standard, tmp_path, province_answer):
    """Stage 3's answer: the group 不认定 08 (its 暗访) and 认定 00 on the 优秀 list."""
    second = run(standard, [province_answer])
    lists = issued(second, tmp_path / "issued2")
    return answer(lists, EXCELLENT_LIST, "优秀", {"H010008": "不认定", "H010000": "认定"},
                  tmp_path / "集团答复" / "甲-优秀-1.xlsx", date(2025, 11, 20), "集团客户服务部")


def test_stage1_returns_only(standard, tmp_path):
    results = run(standard)
    assert states(results) == STAGE1
    assert nominees(results, "良好") == ["H010008", "H010000", "H010001", "H010002", "H010003"]
    [excellent] = [s for s in results["shortlists"] if s["tier"] == "优秀"]
    assert excellent["nominees"] == [] and excellent["waiting"] == ["甲"]
    assert results["answers"] == [] and results["shortlists"][0]["free"] is None
    # The folder says the 优秀 list waits: its workbook names the province it waits for.
    folder = issued(results, tmp_path / "lists")
    title = openpyxl.load_workbook(folder / EXCELLENT_LIST)["优秀"]["A1"].value
    assert "待甲省公司答复良好上报名单后签发" in title


def test_rounds_above_the_city_recognise_nothing(standard):
    row = next(h for h in run(standard)["halls"] if h["hall_id"] == "H010008")
    assert (row["round"], row["final_score"], row["confirmed_tier"], row["awaiting"]) == ("省级复核", 99, "达标", "省")


def test_stage2_province_answer(standard, province_answer):
    results = run(standard, [province_answer])
    expected = dict(STAGE1)
    expected.update({
        "H010008": ("优秀", "良好", "集团"),  # recognised 良好 or above; its 优秀 claim now waits for the group
        "H010000": ("良好", "良好", None), "H010001": ("良好", "良好", None), "H010003": ("良好", "良好", None),
        "H010002": ("达标", "达标", None),  # 不认定: barred from 良好 this year, falls by the rules
        "H010004": ("良好", "达标", "省"),  # the place 02 left goes by the rules: a claim, off the list
    })
    assert states(results) == expected
    assert nominees(results, "优秀") == ["H010008", "H010000"]  # recognised halls over 95, top ⌈1.2⌉ = 2
    [said] = results["answers"]
    assert (said["status"], said["recognised"], said["refused"], said["level"]) == ("applied", 4, 1, "省")


def test_stage3_group_answer_refused_nominee_stays_good(standard, province_answer, group_answer):
    results = run(standard, [province_answer, group_answer])
    states3 = states(results)
    assert states3["H010000"] == ("优秀", "优秀", None)
    assert states3["H010008"] == ("良好", "良好", None)  # the group refused it: it stays 良好 (the province's)
    assert states3["H010001"] == states3["H010003"] == ("良好", "良好", None)
    assert states3["H010002"] == ("达标", "达标", None)
    row = next(h for h in results["halls"] if h["hall_id"] == "H010008")
    assert [(d["tier"], d["result"], d["by_level"]) for d in row["decisions"]] == [("优秀", "不认定", "集团"),
                                                                                  ("良好", "认定", "省")]
    assert sorted(a["status"] for a in results["answers"]) == ["applied", "applied"]
    # 4 recognised by the province, 1 of them made 优秀 by the group: one 良好 place is free.
    assert next(s for s in results["shortlists"] if s["tier"] == "良好")["free"] == 1


def test_stage4_late_return_sets_answers_aside(standard, province_answer, group_answer):
    results = run(standard, [province_answer, group_answer], late=True)  # not fatal
    assert nominees(results, "良好") == ["H010008", "H010000", "H010001", "H010002", "H010004"]
    by_tier = {a["tier"]: a for a in results["answers"]}
    assert by_tier["良好"]["status"] == by_tier["优秀"]["status"] == "set-aside"
    why = by_tier["良好"]["why"]
    assert "移出 H010003" in why and "新增 H010004" in why and "省级复核/H010003.xlsx" in why
    assert "请省公司在新签发的 甲-良好上报名单.xlsx 上重新答复" in why
    assert "请集团公司" in by_tier["优秀"]["why"]
    got = states(results)
    assert got["H010003"] == ("达标", "达标", None)
    assert got["H010008"] == ("优秀", "达标", "省") and got["H010000"] == ("良好", "达标", "省")


def test_stage5_newer_province_answer_fills_the_freed_place(standard, tmp_path, province_answer, group_answer):
    late = run(standard, [province_answer, group_answer], late=True)
    lists = issued(late, tmp_path / "issued4")
    base = {"H010008": "认定", "H010000": "认定", "H010001": "认定", "H010004": "认定", "H010002": "不认定"}
    second = answer(lists, GOOD_LIST, "良好", base, tmp_path / "省答复" / "甲-良好-2.xlsx", date(2025, 10, 10),
                    "江苏省公司评比组")
    results = run(standard, [province_answer, group_answer, second], late=True)
    # The 优秀 list made from the new answer is the one the group answered: its answer applies again.
    assert {a["file"]: a["status"] for a in results["answers"]} == {
        "甲-良好-1.xlsx": "set-aside", "甲-良好-2.xlsx": "applied", "甲-优秀-1.xlsx": "applied"}
    assert states(results)["H010002"] == ("达标", "达标", None)
    # The group made 00 优秀: one 良好 place is free, and a newer province answer fills it with 02.
    third = answer(lists, GOOD_LIST, "良好", {**base, "H010002": "认定"}, tmp_path / "省答复" / "甲-良好-3.xlsx",
                   date(2025, 12, 1), "江苏省公司评比组")
    results = run(standard, [province_answer, group_answer, second, third], late=True)
    got = states(results)
    assert got["H010000"] == ("优秀", "优秀", None)
    for hall_id in ("H010008", "H010001", "H010002", "H010004"):
        assert got[hall_id] == ("良好", "良好", None), hall_id
    assert got["H010005"] == got["H010006"] == got["H010003"] == ("达标", "达标", None)
    assert {a["file"]: a["status"] for a in results["answers"]}["甲-良好-2.xlsx"] == "replaced"
    assert next(s for s in results["shortlists"] if s["tier"] == "良好")["free"] == 0
    # Without the group's 认定 of 00 there is no free place: five 认定 for four places is refused whole.
    with pytest.raises(DecisionError, match="甲-良好-3.xlsx.*超过甲良好名额 4 个"):
        run(standard, [third], late=True)


def test_answers_in_any_order_give_the_same_bytes(standard, tmp_path, province_answer, group_answer):
    files = [province_answer, group_answer]
    outputs = set()
    for n, order in enumerate(itertools.permutations(files)):
        folder = tmp_path / f"order{n}"
        folder.mkdir()
        for k, path in enumerate(order):  # different folders and copy times: only the content counts
            shutil.copy(path, folder / path.name) if k else shutil.copy2(path, folder / path.name)
        outputs.add(dumps_stable(run(standard, [folder])))
    assert len(outputs) == 1


def test_over_the_group_quota_is_refused(standard, tmp_path, province_answer):
    second = run(standard, [province_answer])
    lists = issued(second, tmp_path / "issued2")
    both = answer(lists, EXCELLENT_LIST, "优秀", {"H010008": "认定", "H010000": "认定"},
                  tmp_path / "集团答复" / "x.xlsx", date(2025, 11, 20), "集团客户服务部")
    with pytest.raises(DecisionError, match="x.xlsx.*超过甲优秀名额 1 个"):
        run(standard, [province_answer, both])


def test_two_answers_of_one_date_that_disagree_are_refused(standard, tmp_path):
    lists = issued(run(standard), tmp_path / "issued")
    one = answer(lists, GOOD_LIST, "良好", {"H010000": "认定"}, tmp_path / "a" / "1.xlsx", date(2025, 9, 1), "省")
    two = answer(lists, GOOD_LIST, "良好", {"H010000": "不认定"}, tmp_path / "a" / "2.xlsx", date(2025, 9, 1), "省")
    with pytest.raises(DecisionError, match="认定日期同为 2025-09-01"):
        run(standard, [one, two])


# -- the list workbooks: signed for their level, locked cells as issued -----------------------------------

def test_an_edited_locked_cell_is_refused_and_named(standard, tmp_path):
    lists = issued(run(standard), tmp_path / "issued")
    path = answer(lists, GOOD_LIST, "良好", {"H010000": "认定"}, tmp_path / "a.xlsx", date(2025, 9, 1), "省")
    wb = openpyxl.load_workbook(path)
    wb["良好"]["D4"] = 99.5  # H010000's score
    wb.save(path)
    with pytest.raises(DecisionError, match=re.escape("a.xlsx 工作表 良好 单元格 D4(得分):锁定的单元格被改动,签发时为“98”,现为“99.5”")):
        load_decisions([path])


def test_a_formula_in_an_answer_is_named_as_a_formula(standard, tmp_path):
    lists = issued(run(standard), tmp_path / "issued")
    path = answer(lists, GOOD_LIST, "良好", {"H010000": "认定"}, tmp_path / "a.xlsx", date(2025, 9, 1), "省")
    wb = openpyxl.load_workbook(path)
    wb["良好"]["F4"] = '=CONCATENATE("a","b")'
    wb.save(path)
    with pytest.raises(DecisionError, match=re.escape("单元格 F4(理由):是公式")):
        load_decisions([path])


def test_a_forged_issue_record_and_an_added_sheet_are_refused(standard, tmp_path):
    lists = issued(run(standard), tmp_path / "issued")
    # The province writes itself an 优秀 sheet into its own 良好 list, as if it were the group's.
    path = answer(lists, GOOD_LIST, "良好", {"H010000": "认定"}, tmp_path / "a.xlsx", date(2025, 9, 1), "省")
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("优秀")
    wb.save(path)
    with pytest.raises(DecisionError, match="多出工作表 优秀"):
        load_decisions([path])
    # A digest recomputed without the installation's key (plain SHA-256 of the record) does not pass.
    wb = openpyxl.load_workbook(lists / GOOD_LIST)
    record = wb["签发记录"]
    record["B2"] = 2024
    wb.save(tmp_path / "b.xlsx")
    with pytest.raises(DecisionError, match="签发记录与校验码不符"):
        load_decisions([tmp_path / "b.xlsx"])


def test_a_list_past_the_bounds_is_refused(standard, tmp_path):
    lists = issued(run(standard), tmp_path / "issued")
    wb = openpyxl.load_workbook(lists / GOOD_LIST)
    wb["良好"].cell(row=30000, column=1, value="x")
    wb.save(tmp_path / "big.xlsx")
    with pytest.raises(DecisionError, match="big.xlsx 工作表 良好:行数 30000,超过上限 20000"):
        load_decisions([tmp_path / "big.xlsx"])


def test_national_scope_makes_one_excellent_list_from_the_provinces_that_answered(standard, tmp_path):
    halls = make_halls({"甲": 20, "乙": 20})  # national: 优秀 ⌊5% × 40⌋ = 2 → list 3; 良好 per province 4 → 5
    config = Config(year=2025, quota_scope="national")
    records = [lose_points(standard, h, "市级检查", Decimal(lose)) for h, lose in
               {"H010000": 1, "H010001": 2, "H020000": "1.5", "H020001": 3}.items()]
    first = evaluate(halls, records, standard, config)
    [national] = [s for s in first["shortlists"] if s["tier"] == "优秀"]
    assert (national["scope"], national["quota"], national["nominees"], national["waiting"]) == ("全国", 2, [],
                                                                                                 ["乙", "甲"])
    lists = issued(first, tmp_path / "issued")
    said = answer(lists, list_file_name("乙", "良好"), "良好", {"H010000": "认定", "H010001": "认定"},
                  tmp_path / "乙.xlsx", date(2025, 9, 1), "乙省公司")
    second = evaluate(halls, records, standard, config, decisions=load_decisions([said]))
    [national] = [s for s in second["shortlists"] if s["tier"] == "优秀"]
    assert [n["hall_id"] for n in national["nominees"]] == ["H010000", "H010001"] and national["waiting"] == ["甲"]
    title = openpyxl.load_workbook(issued(second, tmp_path / "issued2") / list_file_name("全国", "优秀"))["优秀"]
    assert [c.value for c in title["B"][2:4]] == ["H010000", "H010001"]
