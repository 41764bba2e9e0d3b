"""A build with no accepted return publishes nothing: exit 1, the likely cause said, archive and site untouched."""

from __future__ import annotations

from click.testing import CliRunner
from support.returns import YEAR, full_fill, make_halls, write_return

from generator.cli.app import main
from generator.rules.register import write_register
from generator.rules.standard_load import load_standard

HALLS = make_halls({"广东": 3})


def _build(tmp_path, returns, year):
    return CliRunner().invoke(main, ["build", str(returns), "--register", str(tmp_path / "register.xlsx"),
                                     "--year", str(year), "--archive", str(tmp_path / "archive"),
                                     "--site-dir", str(tmp_path / "site"), "--no-cache", "--workers", "1"])


def test_a_wrong_year_or_an_empty_folder_publishes_nothing(tmp_path):
    standard = load_standard()
    write_register(HALLS, tmp_path / "register.xlsx")
    returns = tmp_path / "returns"
    for hall in HALLS:
        write_return(standard, hall, full_fill(standard), returns, year=YEAR)

    typo = _build(tmp_path, returns, YEAR - 1)
    assert typo.exit_code == 1, typo.output
    assert f"本次按 {YEAR - 1} 年评价,检查表是 {YEAR} 年的" in typo.output and "--year" in typo.output
    assert "没有发布任何内容" in typo.output and "Traceback" not in typo.output
    assert not (tmp_path / "archive" / str(YEAR - 1)).exists() and not (tmp_path / "site").exists()

    empty = tmp_path / "空文件夹"
    empty.mkdir()
    (empty / "说明.txt").write_text("不是检查表", encoding="utf-8")
    none = _build(tmp_path, empty, YEAR)
    assert none.exit_code == 1 and "没有找到检查表" in none.output and str(empty) in none.output, none.output
    assert not (tmp_path / "site").exists()

    good = _build(tmp_path, returns, YEAR)
    assert good.exit_code == 0, good.output
    assert (tmp_path / "archive" / str(YEAR) / "results.json").is_file()
