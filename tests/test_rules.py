"""A rule changed in its one place changes the workbook, the scores, the pages and the exports alike.

Each test issues real workbooks with the templates writer, fills them, runs a real build (mkdocs included)
and reads the hall's page, the methodology page and the national export back.
"""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal

import openpyxl
import pytest
from support.returns import YEAR, fill_scoring, make_halls

from generator.build import BuildOptions, build
from generator.demo import apply_fill
from generator.rules import contract as wbk
from generator.rules.config import Config, config_from_dict
from generator.rules.register import write_register
from generator.rules.year_rules import Rules
from generator.site.pages import hall_slug
from generator.workbooks.exports import export_name
from generator.workbooks.forms import build_workbook, write_templates


def run_year(tmp_path, standard, config: Config, fills: dict):
    """Issue, fill and build one year; give (issued workbooks by hall id, results, site folder)."""
    halls = make_halls({"甲": len(fills)})
    register = tmp_path / "register.xlsx"
    write_register(halls, register)
    rules = Rules.of(standard, config)
    issued = dict(zip((h.hall_id for h in halls), write_templates(halls, standard, tmp_path / "issued", YEAR,
                                                                   rules=rules)))
    returns = tmp_path / "returns"
    for hall in halls:
        wb = openpyxl.load_workbook(issued[hall.hall_id])
        apply_fill(wb, standard, fills[hall.hall_id.removeprefix("H01")])
        returns.mkdir(exist_ok=True)
        wb.save(returns / f"{hall.hall_id}.xlsx")
    summary = build(BuildOptions(paths=(returns,), register_path=register, archive_dir=tmp_path / "archive",
                                 config=config, site_dir=tmp_path / "site"))
    assert summary.intake.ok, [p for f in summary.intake.files for p in f.problems]
    return issued, summary.results, tmp_path / "site"


def page_text(site, rel: str) -> str:
    """The visible text of a built page, tags dropped and entities decoded."""
    raw = (site / rel).read_text(encoding="utf-8")
    raw = raw[raw.index('<article'):] if '<article' in raw else raw
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def export_row(site, hall_id: str) -> dict:
    wb = openpyxl.load_workbook(site / str(YEAR) / "downloads" / export_name(YEAR), read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    headers = rows[0]
    return next(dict(zip(headers, r)) for r in rows[1:] if r[0] == hall_id)


def hall_of(results, hall_id):
    return next(h for h in results["halls"] if h["hall_id"] == hall_id)


@pytest.mark.parametrize("cap", [None, Decimal(3)])
def test_the_bonus_cap_of_the_year_reaches_every_output(tmp_path, standard, cap):
    # Two bonus events worth 2 each: 4 points before the cap; 90 base.
    fills = {"0000": fill_scoring(standard, 90, events={"J01": 1, "J02": 1},
                                  event_notes={"J01": "表扬信", "J02": "获奖"}),
             "0001": fill_scoring(standard, 85)}
    config = Config(year=YEAR) if cap is None else Config(year=YEAR, bonus_cap=cap)
    issued, results, site = run_year(tmp_path, standard, config, fills)
    in_force = standard.bonus_cap if cap is None else cap
    bonus = min(Decimal(4), in_force)

    # The workbook: the live subtotal caps with the year's figure and says it.
    sheet = openpyxl.load_workbook(issued["H010000"])[wbk.SHEET_ITEMS]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert f"加分(合计上限 {in_force} 分,见“加分扣分”)" in cells
    assert any(v.startswith(f"=MIN({in_force},") for v in cells)
    # The scores.
    hall = hall_of(results, "H010000")
    assert Decimal(str(hall["bonus"])) == bonus and Decimal(str(hall["final_score"])) == 90 + bonus
    assert results["config"]["bonus_cap"] == (None if cap is None else 3)
    # The pages: the methodology says the cap in force, the hall page the capped bonus.
    method = page_text(site, f"{YEAR}/methodology.html")
    assert f"合计不超过 {in_force} 分" in method and f"加分项(合计最高 +{in_force})" in method
    assert f"{90 + bonus:.1f}" in page_text(site, f"{YEAR}/halls/{hall_slug('H010000')}.html")
    # The export.
    row = export_row(site, "H010000")
    assert Decimal(str(row["加分"])) == bonus and Decimal(str(row["最终得分"])) == 90 + bonus


@pytest.mark.parametrize("line", [95, 97])
def test_a_threshold_changed_in_the_config_changes_tiers_pages_and_exports(tmp_path, standard, line):
    # Quotas wide open, so only the line decides: a 96 is 优秀 with the seed's 95 and 良好 with 97.
    config = config_from_dict({"thresholds": {"优秀": line, "良好": 90, "达标": 80},
                               "quotas": {"优秀": 1, "良好": 1}}, YEAR)
    # City checks: only a hall a 市级检查 (or higher) decides takes a quota place and a rank.
    fills = {"0000": fill_scoring(standard, 96, round_name="市级检查"),
             "0001": fill_scoring(standard, 91, round_name="市级检查")}
    issued, results, site = run_year(tmp_path, standard, config, fills)
    expected = "优秀" if line <= 96 else "良好"
    hall = hall_of(results, "H010000")
    assert hall["tier"] == expected and f"达到{expected}标准" in hall["tier_reason"]
    assert results["config"]["thresholds"]["优秀"] == line
    method = page_text(site, f"{YEAR}/methodology.html")
    squeezed = re.sub(r"\s+", "", method)
    assert f"优秀{line}分及以上" in squeezed and f"良好90至{line}分" in squeezed
    hall_page = page_text(site, f"{YEAR}/halls/{hall_slug('H010000')}.html")
    # The page says the record's sentence whole, the quota rank it quotes included (no script needed).
    reason, spans = hall["tier_reason"], hall.get("reason_ranks", [])
    assert len(spans) == 1  # "本省{tier}第 1 名,共 1 个名额"
    assert f"{expected}第 1 名" in reason and reason in hall_page
    row = export_row(site, "H010000")
    assert row["服务等级"] == expected and row["定级说明"] == hall["tier_reason"]


def test_rules_read_back_from_the_record_are_the_rules_scored_with(standard):
    config = config_from_dict({"bonus_cap": 3, "thresholds": {"优秀": 96.5, "良好": 90, "达标": 80},
                               "rounds": ["自评", "市级检查", "省级复核", "集团复核"]}, YEAR)
    from generator.archive.store import evaluate

    recorded = evaluate([], [], standard, config)["config"]
    back = Rules.from_record(standard, YEAR, recorded)
    assert back.config == config and back.bonus_cap == Decimal(3) and back.threshold("优秀") == Decimal("96.5")
    plain = Rules.from_record(standard, YEAR, evaluate([], [], standard, Config(year=YEAR))["config"])
    assert plain.bonus_cap == standard.bonus_cap and plain.score_step == standard.score_step
    # 良好 is recognised by the province's answered list alone: no round recognises it (逐级认定).
    assert plain.item_total == Decimal(100) and plain.first_round("达标") == "市级检查"
    assert plain.first_round("良好") is None


ROUND_SCRIPT = r'''
import json, sys
from pathlib import Path

import openpyxl

from generator.rules import contract as wbk
from generator.build import BuildOptions, build
from generator.rules.config import Config
from generator.demo import apply_fill
from generator.rules.register import write_register
from generator.rules.year_rules import Rules
from generator.rules.standard_load import load_standard
from generator.workbooks.forms import write_templates
from support.returns import fill_scoring, make_halls

root = Path(sys.argv[1])
assert wbk.ROUNDS[1] == "地市检查", wbk.ROUNDS
standard = load_standard()
halls = make_halls({"甲": 3})
write_register(halls, root / "register.xlsx")
issued = write_templates(halls, standard, root / "issued", 2025, rules=Rules.of(standard, Config(year=2025)))
(root / "returns").mkdir()
for hall, path, name in zip(halls, issued, ("地市检查", "自评", "市级检查")):
    wb = openpyxl.load_workbook(path)
    apply_fill(wb, standard, fill_scoring(standard, 96, round_name=name))
    wb.save(root / "returns" / f"{hall.hall_id}.xlsx")
summary = build(BuildOptions.from_files([root / "returns"], root / "register.xlsx", root / "archive", 2025,
                                        site_dir=root / "site"))
print(json.dumps({"issued": str(issued[0]),
                  "problems": [p.message for f in summary.intake.files for p in f.problems],
                  "halls": [[h["hall_id"], h["round"], h["confirmed_tier"], h["awaiting"]]
                            for h in summary.results["halls"]]}, ensure_ascii=False))
'''


def test_a_round_renamed_in_workbook_rounds_is_renamed_everywhere(tmp_path):
    """Rename 市级检查 in terms.ROUNDS of a copy of the package: workbook, intake, scores, pages, exports follow."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    copy = tmp_path / "pkg"
    shutil.copytree(repo / "generator", copy / "generator", ignore=shutil.ignore_patterns("__pycache__", "_shipped"))
    shutil.copytree(repo / "templates", copy / "templates")
    shutil.copy(repo / "mkdocs.yml", copy / "mkdocs.yml")
    source = copy / "generator" / "rules" / "terms.py"
    text = source.read_text(encoding="utf-8")
    line = 'ROUNDS = ("自评", "市级检查", "省级复核", "集团复核")'
    assert text.count(line) == 1
    source.write_text(text.replace(line, line.replace("市级检查", "地市检查")), encoding="utf-8")
    out = tmp_path / "run"
    out.mkdir()
    env = {"PYTHONPATH": f"{copy}:{repo / 'tests'}", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", ROUND_SCRIPT, str(out)], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    said = json.loads(done.stdout.strip().splitlines()[-1])
    # The workbook: guide, dropdown list.
    wb = openpyxl.load_workbook(said["issued"])
    guide = " ".join(str(c.value) for row in wb[wbk.SHEET_GUIDE].iter_rows() for c in row if c.value)
    lists = [str(c.value) for row in wb[wbk.SHEET_LISTS].iter_rows() for c in row if c.value]
    assert "自评/地市检查/省级复核/集团复核" in guide and "地市检查" in lists and "市级检查" not in lists
    # Intake: the old name is refused, the message names the new one.
    assert any("检查轮次为“市级检查”;应为 自评、地市检查、省级复核 或 集团复核" in m for m in said["problems"])
    # Scores and 逐级认定: the renamed round keeps its authority (达标 recognised by the city).
    assert said["halls"][:2] == [["H010000", "地市检查", "达标", None], ["H010001", "自评", None, "市"]]
    # Pages.
    site = out / "site"
    method = re.sub(r"\s+", "", page_text(site, f"{YEAR}/methodology.html"))
    assert "(自评、地市检查、省级复核、集团复核)" in method and "市级检查" not in method
    assert "由市公司认定(地市检查或更高轮次)" in re.sub(r"\s+", "", page_text(site, f"{YEAR}/index.html"))
    # Exports: the deciding round column and the notes.
    assert export_row(site, "H010000")["定级轮次"] == "地市检查"
    notes = openpyxl.load_workbook(site / str(YEAR) / "downloads" / export_name(YEAR), read_only=True)
    text = " ".join(str(v) for ws in notes.worksheets for row in ws.iter_rows(values_only=True) for v in row if v)
    assert "已经地市检查的营业厅" in text


@pytest.mark.parametrize("step", ["0.5", "1"])
def test_the_workbook_guide_says_the_standards_score_step(tmp_path, standard, step):
    from dataclasses import replace

    changed = replace(standard, score_step=Decimal(step))
    wb = build_workbook(changed, make_halls({"甲": 1})[0], YEAR)
    guide = " ".join(str(c.value) for row in wb[wbk.SHEET_GUIDE].iter_rows() for c in row if c.value)
    assert f"以 {step} 分为步长" in guide
    assert Rules.of(changed).score_step == Decimal(step)


def test_templates_command_issues_workbooks_with_the_years_bonus_cap(tmp_path):
    from click.testing import CliRunner

    from generator.cli.app import main

    write_register(make_halls({"甲": 1}), tmp_path / "register.xlsx")
    (tmp_path / "y.toml").write_text("year = 2025\nbonus_cap = 2.5\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["templates", "--register", str(tmp_path / "register.xlsx"),
                                       "--out", str(tmp_path / "out"), "--config", str(tmp_path / "y.toml")])
    assert result.exit_code == 0, result.output
    [path] = list((tmp_path / "out").rglob("*.xlsx"))
    cells = [c.value for row in openpyxl.load_workbook(path)[wbk.SHEET_ITEMS].iter_rows() for c in row]
    assert "加分(合计上限 2.5 分,见“加分扣分”)" in cells and any(str(v).startswith("=MIN(2.5,") for v in cells)
    refused = CliRunner().invoke(main, ["templates", "--register", str(tmp_path / "register.xlsx"), "--year", "2024",
                                        "--out", str(tmp_path / "out2"), "--config", str(tmp_path / "y.toml")])
    assert refused.exit_code != 0 and "与命令行的年度 2024 不一致" in refused.output
