"""The whole pipeline through the CLI: register → templates → filled returns → build → results.json and site."""

import json
import re
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from support.returns import YEAR

from generator.cli.app import main
from generator.rules.register import Hall

HALLS = [Hall(f"GD{n:04d}", f"广州第{n}营业厅", "广东", "广州", "天河区", 2, "自营") for n in range(25)] + [
    Hall("GD9001", "广州四级厅", "广东", "广州", "越秀区", 4, "自营"),
    Hall("BJ0001", "北京王府井营业厅", "北京", "东城", "东城区", 1, "自营"),
]


def fill_template(path: Path, lose: dict[str, tuple[float, str]], round_name="自评", events=None, veto=None):
    """Type into a generated template the way an inspector does in Excel."""
    wb = openpyxl.load_workbook(path)
    cover = wb["封面"]
    for row in cover.iter_rows(min_row=1):
        label = row[0].value
        if label == "检查轮次":
            row[1].value = round_name
        elif label == "检查日期":
            row[1].value = datetime(YEAR, 6, 1)
        elif label == "检查人":
            row[1].value = "李四"
    items = wb["检查表"]
    for row in items.iter_rows(min_row=2):
        item_id = row[0].value
        if item_id and re.fullmatch(r"[A-F]\d\d", str(item_id)):
            if item_id in lose:
                row[6].value, row[7].value = lose[item_id]
            else:
                row[6].value = row[4].value
    for row in wb["加分扣分"].iter_rows(min_row=2):
        if row[0].value in (events or {}):
            row[5].value, row[6].value = events[row[0].value]
    for row in wb["一票否决"].iter_rows(min_row=2):
        if row[0].value == veto:
            row[2].value, row[3].value = "是", "泄露了客户信息"
    wb.save(path)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    from generator.rules.register import write_register

    write_register(HALLS, root / "register.xlsx")
    runner = CliRunner()
    # --include-unrated: the level-4 hall GD9001 gets one too (it returns it below, and is shown 不参评).
    result = runner.invoke(main, ["templates", "--register", str(root / "register.xlsx"), "--out",
                                  str(root / "templates"), "--year", str(YEAR), "--include-unrated"])
    assert result.exit_code == 0, result.output
    assert "已生成 27 份检查表" in result.output
    returns = root / "returns"
    paths = {p.name.split("_")[0]: p for p in (root / "templates").rglob("*.xlsx")}
    for n, hall in enumerate(HALLS):
        if hall.hall_id == "GD0024":
            continue  # never inspected
        target = returns / paths[hall.hall_id].name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(paths[hall.hall_id].read_bytes())
        lose = {}
        if n >= 2:
            lose["C01"] = (0, "未人像比对")
        if n >= 10:
            lose["A01"] = (0, "无人问候")
        # City checks: only halls a 市级检查 (or higher) decides take quota places.
        fill_template(target, lose, round_name="市级检查",
                      events={"J03": (1, "锦旗")} if n == 3 else None,
                      veto="V02" if n == 1 else None)
    # A broken return beside the good ones.
    broken = returns / "broken.xlsx"
    broken.write_bytes(paths["GD0024"].read_bytes())
    fill_template(broken, {"A02": ("满分", "")})
    result = runner.invoke(main, ["build", str(returns), "--register", str(root / "register.xlsx"), "--year",
                                  str(YEAR), "--archive", str(root / "archive"), "--site-dir", str(root / "site")])
    assert result.exit_code == 0, result.output
    return root, result.output


def results(root):
    return json.loads((root / "archive" / str(YEAR) / "results.json").read_text(encoding="utf-8"))


def test_build_output_summary(built):
    root, output = built
    assert "共 27 个文件:已接收 26,已退回 1,已被替代 0,已忽略 0" in output
    assert f"站点:{(root / 'site' / 'index.html').resolve()}" in output


def test_results_json_contract(built):
    root, _ = built
    data = results(root)
    assert data["schema_version"] == 3 and data["year"] == YEAR
    assert (data["standard"]["id"], data["standard"]["version"]) == ("ct-hall", "2016.1")
    halls = {h["hall_id"]: h for h in data["halls"]}
    assert list(halls) == sorted(h.hall_id for h in HALLS)
    required = {"hall_id", "name", "province", "city", "level", "type", "round", "base_score", "bonus",
                "deduction", "final_score", "tier", "tier_reason", "items"}
    assert all(required <= set(h) for h in data["halls"])
    # GD0000: full marks; 25 level-2 halls → 优秀 cap ⌊25 × 5%⌋ = 1 (GD9001 is level 4, not in the base).
    assert halls["GD0000"]["final_score"] == 100 and halls["GD0000"]["tier"] == "优秀"
    assert halls["GD0001"]["tier"] == "不达标" and "V02" in halls["GD0001"]["tier_reason"]
    # GD0003 lost C01 (5 points) and has one J03 (+0.5): 95.5, over the full 优秀 quota → 良好.
    gd3 = halls["GD0003"]
    assert (gd3["base_score"], gd3["bonus"], gd3["final_score"], gd3["tier"]) == (95, 0.5, 95.5, "良好")
    assert "本省优秀名额 1 个已满" in gd3["tier_reason"]
    assert gd3["items"]["C01"] == 0 and gd3["items"]["A01"] == 4
    assert halls["GD0012"]["final_score"] == 91 and halls["GD9001"]["tier"] == "不参评"
    assert halls["GD0024"]["tier"] == "未检查" and halls["GD0024"]["final_score"] is None
    # 良好 cap ⌊25 × 20%⌋ = 5: GD0003 takes one; GD0002, GD0004-GD0009 tie at 95 across the cut line.
    good = [h["hall_id"] for h in data["halls"] if h["tier"] == "良好"]
    assert good == ["GD0003"]
    tied = [h["hall_id"] for h in data["halls"] if h["needs_decision"]]
    assert tied == ["GD0002"] + [f"GD{n:04d}" for n in range(4, 10)]
    assert all(halls[h]["tier"] == "达标" and halls[h]["pending_tier"] == "良好" for h in tied)
    assert {(q["tier"], q["cap"], q["used"], q["pending"]) for q in data["quotas"] if q["scope"] == "广东"} == {
        ("优秀", 1, 1, 0), ("良好", 5, 1, 7)}
    for hall in data["halls"]:
        numbers = [hall[k] for k in ("base_score", "bonus", "deduction", "final_score")]
        numbers += list(hall["sections"].values()) + list(hall["items"].values())
        for value in numbers:
            assert value in (None, "不适用") or round(value * 10) == value * 10, (hall["hall_id"], value)


def test_hall_page_shows_score_tier_and_lost_items(built):
    root, _ = built
    page = (root / "site" / str(YEAR) / "halls" / "GD0003.html").read_text(encoding="utf-8")
    assert "广州第3营业厅" in page and "95.5" in page and "良好" in page
    assert "未人像比对" in page and "严格执行实名制" in page
    assert "本省优秀名额 1 个已满" in page


def test_hall_pages_are_not_in_the_navigation(built):
    root, _ = built
    overview = (root / "site" / str(YEAR) / "index.html").read_text(encoding="utf-8")
    nav_links = re.findall(r'<a[^>]*href="([^"]*)"[^>]*class="md-(?:nav|tabs)__link', overview)
    nav_links += re.findall(r'<a[^>]*class="md-(?:nav|tabs)__link[^"]*"[^>]*href="([^"]*)"', overview)
    assert "provinces/44.html" in nav_links and "methodology.html" in nav_links
    assert not [link for link in nav_links if "halls/" in link]
    province = (root / "site" / str(YEAR) / "provinces" / "44.html").read_text(encoding="utf-8")
    assert 'href="../halls/GD0003.html"' in province
    assert (root / "site" / str(YEAR) / "provinces" / "44.html").exists()
    assert (root / "site" / str(YEAR) / "methodology.html").exists()
    quality = (root / "site" / str(YEAR) / "quality.html").read_text(encoding="utf-8")
    assert "broken.xlsx" in quality and "score-not-number" in quality


def test_same_inputs_same_bytes(built, tmp_path):
    root, _ = built
    runner = CliRunner()
    result = runner.invoke(main, ["build", str(root / "returns"), "--register", str(root / "register.xlsx"),
                                  "--year", str(YEAR), "--archive", str(tmp_path / "archive"),
                                  "--site-dir", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    for rel in ("archive/2025/results.json", "archive/2025/intake.json"):
        assert (tmp_path / rel).read_bytes() == (root / rel).read_bytes()
    built_files = sorted(p.relative_to(root / "site") for p in (root / "site").rglob("*") if p.is_file())
    again = sorted(p.relative_to(tmp_path / "site") for p in (tmp_path / "site").rglob("*") if p.is_file())
    assert built_files == again
    differ = [str(p) for p in built_files if (root / "site" / p).read_bytes() != (tmp_path / "site" / p).read_bytes()]
    assert differ == []


def test_site_from_a_missing_archive_is_refused_and_the_site_kept(built, tmp_path):
    """A mistyped --archive must not replace the published site with an empty one."""
    root, _ = built
    runner = CliRunner()
    result = runner.invoke(main, ["site", "--archive", str(root / "archive"), "--site-dir", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    before = {p: p.read_bytes() for p in sorted((tmp_path / "site").rglob("*")) if p.is_file()}
    result = runner.invoke(main, ["site", "--archive", str(tmp_path / "archve"), "--site-dir", str(tmp_path / "site")])
    assert result.exit_code == 1
    assert "档案目录" in result.output and "不存在" in result.output and "站点未改动" in result.output
    assert "Traceback" not in result.output
    assert {p: p.read_bytes() for p in sorted((tmp_path / "site").rglob("*")) if p.is_file()} == before


def test_validate_exit_codes_and_json(built, tmp_path):
    root, _ = built
    runner = CliRunner()
    result = runner.invoke(main, ["validate", str(root / "returns"), "--register", str(root / "register.xlsx"),
                                  "--year", str(YEAR), "--json", str(tmp_path / "v.json")])
    assert result.exit_code == 1
    assert "✗ returns/broken.xlsx" in result.output and "[score-not-number] 检查表 G3" in result.output
    data = json.loads((tmp_path / "v.json").read_text(encoding="utf-8"))
    assert data["summary"]["rejected"] == 1 and len(data["files"]) == 27
    good = next(p for p in (root / "returns").glob("*.xlsx") if p.name != "broken.xlsx")
    result = runner.invoke(main, ["validate", str(good), "--register", str(root / "register.xlsx"), "--year", str(YEAR)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["validate", str(good), "--year", str(YEAR)])
    assert result.exit_code == 2


def test_bad_register_is_one_clear_line(tmp_path):
    reg = tmp_path / "r.csv"
    reg.write_text("厅编码,厅名称,省,市,区县,级别\nA,甲,广东,广州,天河,5\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["templates", "--register", str(reg), "--out", str(tmp_path / "t")])
    assert result.exit_code == 1
    assert "第 1 行缺少列:类型" in result.output


def test_every_command_has_help_with_example():
    runner = CliRunner()
    for name in main.commands:
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0
        if name != "problems":
            assert "示例:" in result.output, name
