"""The archive is the record: a year rebuilt from its archived inputs alone gives the same bytes (hallscore verify),
and one altered archived input is named."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest
import yaml
from click.testing import CliRunner
from support.lists import fill_list
from support.returns import fill_scoring, make_halls, write_return

from generator.cli.app import main
from generator.rules.register import write_register

HALLS = make_halls({"甲": 20, "乙": 20})


@pytest.fixture(scope="module")
def year(tmp_path_factory, standard):
    """A year built through the CLI with returns, a province's answer and a decisions file, then the returns
    folder cleaned up (the archive must not need it)."""
    root = tmp_path_factory.mktemp("verify")
    write_register(HALLS, root / "register.xlsx")
    by_id = {h.hall_id: h for h in HALLS}
    for hall_id, earned in {"H010000": 99, "H010001": 97, "H010002": 92, "H010003": 85, "H020000": 96,
                            "H020001": 91}.items():
        write_return(standard, by_id[hall_id], fill_scoring(standard, earned, round_name="市级检查",
                                                            when=date(2025, 6, 1)), root / "returns")
    (root / "returns" / "说明.txt").write_text("不是检查表\n", encoding="utf-8")
    (root / "hallscore.toml").write_text("year = 2025\nshortlist_ratio = 0.5\n", encoding="utf-8")

    def run(*extra):
        return CliRunner().invoke(main, ["build", str(root / "returns"), "--register", str(root / "register.xlsx"),
                                         "--config", str(root / "hallscore.toml"), "--archive",
                                         str(root / "archive"), "--no-cache", "--workers", "1", *extra])

    assert run().exit_code == 0
    lists = root / "archive" / "2025" / "上报名单"
    answer = fill_list(lists / "甲-良好上报名单.xlsx", "良好", {"H010000": "认定", "H010002": "不认定"},
                       root / "答复" / "甲.xlsx", by="甲省公司", when=date(2025, 9, 1))
    (root / "裁定.yaml").write_text(yaml.safe_dump([{
        "厅编码": "H010001", "档次": "达标", "理由": "材料不全", "裁定人": "甲省公司", "日期": "2025-09-02",
        "层级": "省"}], allow_unicode=True), encoding="utf-8")
    done = run("--decisions", str(answer.parent), "--overrides", str(root / "裁定.yaml"))
    assert done.exit_code == 0, done.output
    shutil.rmtree(root / "returns")
    shutil.rmtree(root / "答复")
    return root


def verify(root):
    return CliRunner().invoke(main, ["verify", "--year", "2025", "--archive", str(root / "archive")])


def test_the_archive_keeps_every_input_once(year):
    folder = year / "archive" / "2025" / "输入"
    manifest = json.loads((folder / "清单.json").read_text(encoding="utf-8"))
    names = [name for name, _sha in manifest["returns"]]
    assert len(names) == 7 and "returns/说明.txt" in names
    assert [name for name, _ in manifest["answers"]] == ["甲.xlsx"]
    assert manifest["register"][0] == "register.xlsx" and manifest["config"][0] == "hallscore.toml"
    assert manifest["overrides"][0] == "裁定.yaml"
    shas = {sha for _, sha in manifest["returns"] + manifest["answers"]} | {manifest["register"][1]}
    assert {p.name for p in (folder / "文件").iterdir()} >= shas


def test_verify_says_consistent_then_names_an_altered_input(year, tmp_path, standard):
    result = verify(year)
    assert result.exit_code == 0, result.output
    assert "2025 年:一致" in result.output
    # Alter one archived return: the rebuilt year differs, and verify says which input and which hall.
    altered = tmp_path / "archive"
    shutil.copytree(year / "archive", altered)
    manifest = json.loads((altered / "2025" / "输入" / "清单.json").read_text(encoding="utf-8"))
    name, sha = next(pair for pair in manifest["returns"] if "H020001" in pair[0])
    stored = altered / "2025" / "输入" / "文件" / sha
    stored.unlink()  # a hard link shared with the original archive: replaced, not written through
    hall = next(h for h in HALLS if h.hall_id == "H020001")
    write_return(standard, hall, fill_scoring(standard, 70, round_name="市级检查", when=date(2025, 6, 1)),
                 tmp_path / "new")
    [made] = list((tmp_path / "new").rglob("*.xlsx"))
    shutil.copyfile(made, stored)
    result = CliRunner().invoke(main, ["verify", "--year", "2025", "--archive", str(altered)])
    assert result.exit_code == 1, result.output
    assert "不一致" in result.output and f"输入 {name} 的内容与输入清单记录的校验码不符" in result.output
    assert f"营业厅 {hall.hall_id} 不同" in result.output and "final_score" in result.output
    assert "Traceback" not in result.output


def test_verify_of_a_year_without_kept_inputs_says_so(tmp_path, year):
    old = tmp_path / "archive"
    shutil.copytree(year / "archive", old)
    shutil.rmtree(old / "2025" / "输入")
    result = CliRunner().invoke(main, ["verify", "--year", "2025", "--archive", str(old)])
    assert result.exit_code == 1 and "没有保存输入" in result.output and "Traceback" not in result.output
