"""Standards the group writes in Excel (评价标准工作簿): read, checked, used end to end, exported and read back.

The workbooks here are written by hand with openpyxl by the published sheet contract (README, standard.md),
not by hallscore's own writer; returns are typed into the forms `hallscore templates` made from them.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from generator.cli.app import main
from generator.rules import contract as wbk
from generator.rules.register import Hall, write_register
from generator.rules.standard import EXAMPLES
from generator.rules.standard_book import book_bytes
from generator.rules.standard_load import check_standard, load_standard
from generator.workbooks.forms import template_path

YEAR = 2025


def _sheet(wb: Workbook, title: str, rows: list[list]) -> None:
    ws = wb.create_sheet(title)
    for row in rows:
        ws.append(row)


def hand_standard(path: Path, **broken: list[list]) -> Path:
    """A small standard: two weighted sections (响应 60, 环境 blank = its 40 points), level-rated and numbered
    items, one bonus item, no deduction and no veto sheet. ``broken`` replaces a sheet's rows."""
    sheets = {
        "说明": [["项目", "内容"], ["名称", "测试中心服务标准"], ["版本", "2027.1"], ["来源", "集团 2027 年检查手册(测试用)"],
               ["加分上限", 3], ["分值步长", 1]],
        "环节": [["环节", "权重"], ["响应", 60], ["环境", None]],
        "评分项": [["编号", "环节", "检查内容", "评分标准", "分值", "可不适用", "等级"],
                ["X1", "响应", "来电及时接听", "按抽查结果评定", 40, "否", "优秀=100%;良好=75%;差=0"],
                ["X2", "响应", "解答准确", "每错一次扣 1 分", 20, "否", None],
                ["Y1", "环境", "营业场所整洁", "每处不洁扣 1 分", 30, "是", None],
                ["Y2", "环境", "标识齐全", "齐全为达标", 10, "是", "达标=10;不达标=0"]],
        "加分项": [["编号", "项目", "每次", "本项上限"], ["B1", "客户书面表扬", 1, 2]],
    }
    sheets.update(broken)
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        if rows:
            _sheet(wb, title, rows)
    wb.save(path)
    return path


def test_hand_written_workbook_is_read_as_written(tmp_path):
    std = load_standard(hand_standard(tmp_path / "标准.xlsx"))
    assert (std.title, std.version, std.source) == ("测试中心服务标准", "2027.1", "集团 2027 年检查手册(测试用)")
    assert std.id == "测试中心服务标准"  # no 标识 row: the name stands in
    assert std.sections == ("响应", "环境") and std.weighted
    assert [(s, str(std.weight(s))) for s in std.sections] == [("响应", "60"), ("环境", "40")]
    assert [(lv.name, str(lv.points)) for lv in std.items[0].levels] == [("优秀", "40"), ("良好", "30"), ("差", "0")]
    assert [(lv.name, str(lv.points)) for lv in std.items[3].levels] == [("达标", "10"), ("不达标", "0")]
    assert [b.id for b in std.bonus] == ["B1"] and std.deductions == () and std.vetoes == ()
    assert not std.is_example


def _fill(path: Path, rnd: str, scores: dict[str, object], reasons: dict[str, str], events: dict[str, int]) -> None:
    """Type a return into a form as an inspector would: the cover, the scores or levels, the reasons, events."""
    wb = load_workbook(path)
    cover = wb[wbk.SHEET_COVER]
    rows = wbk.cover_rows()
    cover.cell(row=rows["检查轮次"], column=2, value=rnd)
    cover.cell(row=rows["检查日期"], column=2, value=datetime(YEAR, 6, 1))
    cover.cell(row=rows["检查人"], column=2, value="李四")
    items = wb[wbk.SHEET_ITEMS]
    head = [c.value for c in items[1]]
    for r in range(2, items.max_row + 1):
        rid = items.cell(row=r, column=1).value
        if rid in scores:
            items.cell(row=r, column=head.index("得分") + 1, value=scores[rid])
            items.cell(row=r, column=head.index("扣分原因") + 1, value=reasons.get(rid))
    ev = wb[wbk.SHEET_EVENTS]
    for r in range(2, ev.max_row + 1):
        rid = ev.cell(row=r, column=1).value
        if rid in events:
            ev.cell(row=r, column=wbk.EVENTS_HEADERS.index("次数") + 1, value=events[rid])
            ev.cell(row=r, column=wbk.EVENTS_HEADERS.index("说明") + 1, value="表扬信")
    wb.save(path)


def test_hand_written_standard_scores_and_tiers_as_computed_by_hand(tmp_path):
    std_path = hand_standard(tmp_path / "标准.xlsx")
    halls = [Hall(f"H{n}", f"测试厅{n}", "甲省", "乙市", "丙区", 2, "自营") for n in (1, 2, 3)]
    register = tmp_path / "清单.xlsx"
    write_register(halls, register)
    config = tmp_path / "hallscore.toml"
    config.write_text('[quotas]\n"优秀" = 0.34\n"良好" = 0.34\n', encoding="utf-8")  # 3 halls: one place each
    forms = tmp_path / "检查表"
    runner = CliRunner()
    made = runner.invoke(main, ["templates", "--register", str(register), "--out", str(forms), "--year", str(YEAR),
                                "--standard", str(std_path)])
    assert made.exit_code == 0, made.output
    form = {h.hall_id: template_path(forms, h) for h in halls}
    book = load_workbook(form["H1"])
    assert wbk.SHEET_VETO not in book.sheetnames and wbk.SHEET_EVENTS in book.sheetnames  # nothing to fill: left out
    items = book[wbk.SHEET_ITEMS]
    dv = next(d for d in items.data_validations.dataValidation if "G2" in str(d.sqref))
    assert dv.prompt == "按抽查结果评定(折合:优秀 40 分,良好 30 分,差 0 分)"
    assert "优秀/良好/差" in dv.error
    assert "来源:集团 2027 年检查手册(测试用)" in book[wbk.SHEET_COVER]["A2"].value

    city = wbk.ROUNDS[1]
    # H1: everything full, 2 表扬 → base 100, bonus 2, final 102.
    _fill(form["H1"], city, {"X1": "优秀", "X2": 20, "Y1": 30, "Y2": "达标"}, {}, {"B1": 2})
    # H2: 响应 (30 + 18)/60 = 0.8, 环境 Y1 不适用 so 10/10 = 1 → base = 100 × (60·0.8 + 40·1)/100 = 88.0
    # (the plain sum would give 58/70 = 82.9).
    _fill(form["H2"], city, {"X1": "良好", "X2": 18, "Y1": "不适用", "Y2": "达标"},
          {"X1": "两次未及时接听", "X2": "两处解答有误"}, {})
    # H3: 响应 59/60, 环境 28/30 (Y2 不适用) → base = 59 + 40·28/30 = 96.333… → 96.3; 1 表扬 → final 97.3.
    _fill(form["H3"], city, {"X1": "优秀", "X2": 19, "Y1": 28, "Y2": "不适用"},
          {"X2": "一处解答有误", "Y1": "两处不洁"}, {"B1": 1})
    archive, site = tmp_path / "archive", tmp_path / "site"
    built = runner.invoke(main, ["build", str(forms), "--register", str(register), "--year", str(YEAR), "--standard",
                                 str(std_path), "--config", str(config), "--archive", str(archive), "--site-dir",
                                 str(site), "--no-cache", "--workers", "1"])
    assert built.exit_code == 0, built.output
    results = json.loads((archive / str(YEAR) / "results.json").read_text(encoding="utf-8"))
    got = {h["hall_id"]: (h["base_score"], h["bonus"], h["final_score"], h["tier"]) for h in results["halls"]}
    assert got == {"H1": (100, 2, 102, "优秀"),
                   "H2": (88, 0, 88, "达标"),
                   "H3": (96.3, 1, 97.3, "良好")}  # 优秀 full (one place, H1 has it): falls to 良好
    # The archive keeps the canonical copy of the standard used, with its checksum, and it loads back the same.
    kept = load_standard(archive / str(YEAR) / "standard.yaml")
    assert kept == load_standard(std_path) and results["standard"]["checksum"] == kept.checksum
    # The hall page says the level, with the points it gave.
    page = next(site.rglob("H2*/index.html"), None) or next(p for p in site.rglob("*.html") if "测试厅2" in
                                                          p.read_text(encoding="utf-8") and "两次未及时接听" in
                                                          p.read_text(encoding="utf-8"))
    text = page.read_text(encoding="utf-8")
    assert "良好 30 / 40" in text and "良好(30)" in text


def test_a_level_outside_the_list_is_refused_with_its_cell(tmp_path):
    std_path = hand_standard(tmp_path / "标准.xlsx")
    halls = [Hall("H1", "测试厅1", "甲省", "乙市", "丙区", 2, "自营")]
    register = tmp_path / "清单.xlsx"
    write_register(halls, register)
    forms = tmp_path / "检查表"
    runner = CliRunner()
    assert runner.invoke(main, ["templates", "--register", str(register), "--out", str(forms), "--year", str(YEAR),
                                "--standard", str(std_path)]).exit_code == 0
    # 30 is a number between the levels, 一般 is a level of another standard: neither is one of X1's levels.
    _fill(template_path(forms, halls[0]), wbk.ROUNDS[1], {"X1": 30, "X2": 20, "Y1": 30, "Y2": "一般"}, {"X1": "x"}, {})
    out = tmp_path / "report.json"
    res = runner.invoke(main, ["validate", str(forms), "--register", str(register), "--year", str(YEAR),
                               "--standard", str(std_path), "--json", str(out), "--cache-dir", str(tmp_path / "cache"),
                               "--workers", "1"])
    assert res.exit_code == 1, res.output
    problems = [p for f in json.loads(out.read_text(encoding="utf-8"))["files"] for p in f["problems"]]
    said = {(p["code"], p["sheet"], p["cell"]) for p in problems}
    assert ("score-level-invalid", "检查表", "G2") in said and ("score-level-invalid", "检查表", "G5") in said
    assert any("应从下拉列表中选择:优秀/良好/差" in p["message"] for p in problems)


def test_broken_workbook_reports_every_planted_problem_with_sheet_and_cell(tmp_path):
    path = hand_standard(
        tmp_path / "坏标准.xlsx",
        说明=[["项目", "内容"], ["名称", "坏标准"], ["版本", "1"], ["加分上限", 3], ["分值步长", "半分"]],  # no 来源, step not a number
        环节=[["环节", "权重"], ["响应", 60], ["环境", -5], ["服务创新", 10]],  # negative weight, weight on a section without items
        评分项=[["编号", "环节", "检查内容", "评分标准", "分值", "可不适用", "等级"],
             ["X1", "响应", "来电及时接听", "", 40, "否", "优秀:100;良好"],  # a level list that does not parse
             ["X1", "响应", "解答准确", "", 20, "也许", None],  # duplicate id, 可不适用 not 是/否
             ["Y1", "环境", "营业场所整洁", "", 30.5, "是", None],  # total 100.5
             ["Y2", "场地", "标识齐全", "", 10, "是", None]],  # a section not in 环节
        加分项=[["编号", "项目", "每次", "本项上限"], ["B1", "表扬", 2, 1]],  # cap below one event
    )
    runner = CliRunner()
    res = runner.invoke(main, ["standard", "check", str(path)])
    assert res.exit_code == 1
    _, problems = check_standard(path)
    said = {(p.code, p.sheet, p.cell) for p in problems}
    assert said >= {
        ("standard-info-missing", "说明", ""),
        ("standard-not-number", "说明", "B5"),
        ("standard-weight-invalid", "环节", "B3"),
        ("standard-weight-unknown", "环节", "B4"),
        ("standard-levels-invalid", "评分项", "G2"),
        ("standard-id-duplicate", "评分项", "A3"),
        ("standard-yesno-invalid", "评分项", "F3"),
        ("standard-section-unknown", "评分项", "B5"),
        ("standard-points-total", "评分项", ""),
        ("standard-bonus-invalid", "加分项", "D2"),
    }, said
    # Every line is Chinese and names its sheet; no parser English reaches the user.
    lines = [line for line in res.output.strip().splitlines() if not line.startswith("✗")]
    assert len(lines) == len(problems) == 10
    for line in lines:
        assert line.startswith("[standard-") and "工作表“" in line, line
        assert "Error" not in line and "expected" not in line
    assert "工作表“评分项”第 3 行 A 列(A3):编号 X1 重复(已出现在 评分项 A2)" in res.output
    assert "工作表“评分项”第 2 行 G 列(G2):编号 X1 的等级“优秀:100;良好”无法使用" in res.output


def test_missing_sheets_and_headers_are_said(tmp_path):
    path = hand_standard(tmp_path / "缺表.xlsx", 评分项=[])
    _, problems = check_standard(path)
    assert [(p.code, p.sheet) for p in problems] == [("standard-sheet-missing", "评分项")]
    path = hand_standard(tmp_path / "缺列.xlsx", 评分项=[["编号", "环节", "内容", "分值"], ["X1", "响应", "a", 100]])
    _, problems = check_standard(path)
    assert ("standard-header-missing", "评分项") in [(p.code, p.sheet) for p in problems]
    assert "检查内容" in problems[0].message


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_export_is_byte_stable_and_reads_back_the_same_standard(tmp_path, example):
    runner = CliRunner()
    out = tmp_path / f"{example}.xlsx"
    res = runner.invoke(main, ["standard", "export", "--example", example, "--out", str(out)])
    assert res.exit_code == 0, res.output
    first = out.read_bytes()
    assert first == book_bytes(load_standard(EXAMPLES[example]))  # same standard, same bytes, every run
    assert runner.invoke(main, ["standard", "export", "--example", example, "--out", str(out)]).exit_code == 0
    assert out.read_bytes() == first
    again = load_standard(out)
    assert again == load_standard(EXAMPLES[example]) and again.checksum == load_standard(EXAMPLES[example]).checksum
    assert "示例" in again.source
    # An edited workbook at --out is never written over.
    wb = load_workbook(out)
    wb["说明"]["B2"] = "改过的"
    wb.save(out)
    res = runner.invoke(main, ["standard", "export", "--example", example, "--out", str(out)])
    assert res.exit_code != 0 and "已存在且内容不同" in res.output
    if example == "kefu":
        assert {"加分项", "扣分项", "否决项"}.isdisjoint(load_workbook(tmp_path / "kefu.xlsx").sheetnames)


def test_exported_default_standard_gives_byte_identical_results(tmp_path, standard):
    from support.returns import fill_scoring, make_halls, write_return

    halls = make_halls({"甲省": 6, "乙省": 4})
    register = tmp_path / "清单.xlsx"
    write_register(halls, register)
    returns = tmp_path / "returns"
    for n, hall in enumerate(halls):
        write_return(standard, hall, fill_scoring(standard, 100 - 3.5 * n, round_name=wbk.ROUNDS[1]), returns)
    exported = tmp_path / "标准.xlsx"
    runner = CliRunner()
    assert runner.invoke(main, ["standard", "export", "--out", str(exported)]).exit_code == 0
    outputs = []
    for label, std in (("yaml", []), ("xlsx", ["--standard", str(exported)])):
        archive = tmp_path / f"archive-{label}"
        res = runner.invoke(main, ["build", str(returns), "--register", str(register), "--year", str(YEAR),
                                   "--archive", str(archive), "--site-dir", str(tmp_path / f"site-{label}"),
                                   "--no-cache", "--workers", "1", *std])
        assert res.exit_code == 0, res.output
        outputs.append((archive / str(YEAR) / "results.json").read_bytes())
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["standard"]["title"] == "营业厅服务评价标准(示例)"


def test_kefu_example_forms_and_scoring(tmp_path):
    """The 客服部门 example: every item rated by level, weights 20/30/20/15/15, no event or veto sheet."""
    from generator.demo import Fill, apply_fill
    from generator.intake.run import check_file
    from generator.workbooks.forms import build_workbook

    std = load_standard(EXAMPLES["kefu"])
    hall = Hall("K1", "客服一部", "甲省", "乙市", "丙区", 1, "自营")
    wb = build_workbook(std, hall, YEAR)
    assert wb.sheetnames[:3] == ["说明", "封面", "检查表"] and "加分扣分" not in wb.sheetnames
    assert "示例" in wb["封面"]["A2"].value
    levels = {i.id: "优秀" for i in std.items}
    # 问题解决率 (weight 30): S01 一般 (6/10), S02 差 (0) → rate 6/20; 服务创新能力 (15): N02 不适用 → 10/10.
    levels.update({"S01": "一般", "S02": "差", "N02": "不适用"})
    apply_fill(wb, std, Fill(wbk.ROUNDS[1], datetime(YEAR, 5, 1).date(), "王五", levels,
                             {"S01": "按期解决率 84%", "S02": "重复报障率 12%"}, {}, {}, {}, {}))
    path = tmp_path / "k.xlsx"
    wb.save(path)
    record, problems, _ = check_file(path, "k.xlsx", std, {"K1": hall}, YEAR, today=datetime(YEAR, 12, 1).date())
    assert record is not None, problems
    from generator.evaluate.scoring import report_return

    reported = report_return(record, std)
    # base = 100 × (20·1 + 30·0.3 + 20·1 + 15·1 + 15·1) / 100 = 79.0
    assert reported.base == 790 and reported.final == 790
    assert std.level_of("S01", record.scores["S01"]) == "一般"


def test_level_rated_return_saved_again_by_libreoffice_scores_the_same(tmp_path):
    """The level dropdown and the level names survive a LibreOffice save; the return scores as before."""
    import shutil

    from generator.demo import Fill, apply_fill
    from generator.evaluate.scoring import report_return
    from generator.intake.run import check_file
    from generator.workbooks.forms import build_workbook
    from tests.test_libreoffice import convert

    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    std = load_standard(EXAMPLES["kefu"])
    hall = Hall("K1", "客服一部", "甲省", "乙市", "丙区", 1, "自营")
    wb = build_workbook(std, hall, YEAR)
    levels = {i.id: "优秀" for i in std.items} | {"R01": "良好", "Q02": "不适用"}
    apply_fill(wb, std, Fill(wbk.ROUNDS[1], datetime(YEAR, 5, 1).date(), "王五", levels, {"R01": "两条超时"},
                             {}, {}, {}, {}))
    original = tmp_path / "in" / "k.xlsx"
    original.parent.mkdir()
    wb.save(original)
    [again] = convert(office, [original], tmp_path / "out", tmp_path / "profile")
    scored = []
    for path in (original, again):
        record, problems, _ = check_file(path, path.name, std, {"K1": hall}, YEAR, today=datetime(YEAR, 12, 1).date())
        assert record is not None, problems
        scored.append(report_return(record, std))
    # 服务响应时间 (18/20, weight 20), 服务质量评价 Q02 不适用 (10/10): base = 100 × (20·0.9 + 80) / 100 = 98.0
    assert scored[0] == scored[1] and scored[0].base == 980
    dv = [d for d in load_workbook(again)["检查表"].data_validations.dataValidation if "G2" in str(d.sqref)]
    assert dv and dv[0].type == "list"


@pytest.mark.parametrize("given", ["yaml", "xlsx"])
def test_templates_take_the_kefu_example_as_data_file_or_workbook(tmp_path, given):
    runner = CliRunner()
    path = EXAMPLES["kefu"]
    if given == "xlsx":
        path = tmp_path / "kefu.xlsx"
        assert runner.invoke(main, ["standard", "export", "--example", "kefu", "--out", str(path)]).exit_code == 0
    res = runner.invoke(main, ["templates", "--master", "--standard", str(path), "--out", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    book = load_workbook(tmp_path / "m" / "kefu-example_1.xlsx")
    assert book.sheetnames[:3] == ["说明", "封面", "检查表"] and "一票否决" not in book.sheetnames
    assert book["_meta"]["B4"].value == load_standard(EXAMPLES["kefu"]).checksum
    items = book["检查表"]
    assert items["I1"].value == "折合分值(自动)" and items["I2"].value.startswith('=IF(G2="优秀",10,')


def test_a_workbook_laid_out_a_little_differently_reads_the_same(tmp_path):
    """说明 as one header row with values below, a title row above a header, 可填不适用/满分 as headers, weights
    typed as "60%" text, levels separated by 、: the same standard as the contract's layout."""
    plain = load_standard(hand_standard(tmp_path / "a.xlsx", 环节=[["环节", "权重"], ["响应", 60], ["环境", 40]]))
    other = load_standard(hand_standard(
        tmp_path / "b.xlsx",
        说明=[["名称", "版本", "来源", "加分上限", "分值步长"], ["测试中心服务标准", "2027.1", "集团 2027 年检查手册(测试用)", 3, 1]],
        环节=[["测试中心评分环节"], ["环节", "权重"], ["响应", "60%"], ["环境", "40%"]],
        评分项=[["编号", "环节", "检查内容", "评分标准", "满分", "可填不适用", "等级"],
             ["X1", "响应", "来电及时接听", "按抽查结果评定", 40, "否", "优秀=100%、良好=75%、差=0"],
             ["X2", "响应", "解答准确", "每错一次扣 1 分", 20, "否", None],
             ["Y1", "环境", "营业场所整洁", "每处不洁扣 1 分", 30, "是", None],
             ["Y2", "环境", "标识齐全", "齐全为达标", 10, "是", "达标=10;不达标=0"]],
    ))
    assert other.checksum == plain.checksum and other.weights == plain.weights


def test_where_every_section_has_its_weight_the_points_need_not_add_to_100(tmp_path):
    """Weights on every section set the scale; points adding to 50 are then no mistake. A section that weighs by
    its points (blank weight) keeps the 100-point check."""
    halves = [["编号", "环节", "检查内容", "评分标准", "分值", "可不适用", "等级"],
              ["X1", "响应", "来电及时接听", "", 20, "否", None], ["X2", "响应", "解答准确", "", 10, "否", None],
              ["Y1", "环境", "营业场所整洁", "", 15, "是", None], ["Y2", "环境", "标识齐全", "", 5, "是", None]]
    _, problems = check_standard(hand_standard(tmp_path / "a.xlsx", 环节=[["环节", "权重"], ["响应", 60], ["环境", 40]],
                                               评分项=halves))
    assert problems == []
    _, problems = check_standard(hand_standard(tmp_path / "b.xlsx", 评分项=halves))  # 环境's weight is blank
    assert [p.code for p in problems] == ["standard-points-total"]
