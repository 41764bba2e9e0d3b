"""Messages a user reads are Chinese and say what to do: no exception name or English parser text in them."""

from __future__ import annotations

import re
from datetime import date

import pytest
from support.returns import YEAR, full_fill, make_halls

from generator.demo import apply_fill
from generator.errors import ConfigError
from generator.intake.run import run_intake
from generator.rules.config import load_config
from generator.rules.standard_load import load_standard
from generator.workbooks.forms import write_master

ENGLISH = re.compile(r"[A-Za-z]{4,}")  # an exception name or a parser's sentence; codes and sheet names are shorter
HALLS = make_halls({"广东": 2})


def test_a_filled_blank_master_is_named_as_such(tmp_path):
    import openpyxl

    standard = load_standard()
    master = write_master(standard, tmp_path / "母版")
    wb = openpyxl.load_workbook(master)
    apply_fill(wb, standard, full_fill(standard))
    returns = tmp_path / "回收"
    returns.mkdir()
    wb.save(returns / f"{HALLS[0].hall_id}_母版填写.xlsx")
    report = run_intake([returns], standard, HALLS, YEAR, today=date(YEAR, 12, 1))
    [problem] = report.files[0].problems
    assert problem.code == "template-master" and "这是空白母版" in problem.message
    assert "本厅检查表" in problem.message and "_meta" not in problem.message


def test_unreadable_files_are_said_in_chinese(tmp_path):
    standard = load_standard()
    returns = tmp_path / "回收"
    returns.mkdir()
    # A zip that is no workbook, and a workbook whose part is not XML: openpyxl's and zipfile's own words
    # (InvalidFileException, BadZipFile, "File is not a zip file") must not reach the inspector.
    import zipfile

    with zipfile.ZipFile(returns / f"{HALLS[0].hall_id}_a.xlsx", "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<<not xml")
    (returns / f"{HALLS[1].hall_id}_b.xlsx").write_bytes(b"PK\x03\x04" + b"\0" * 40)
    report = run_intake([returns], standard, HALLS, YEAR, today=date(YEAR, 12, 1))
    messages = [p.message for f in report.files for p in f.problems]
    assert messages and all(not ENGLISH.search(m.replace("xlsx", "").replace("Excel", "").replace("WPS", ""))
                            for m in messages), messages


def test_a_broken_config_says_where_in_chinese(tmp_path):
    path = tmp_path / "hallscore.toml"
    path.write_text("year = 2025\n[quotas]\n优秀 0.05\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    said = str(caught.value)
    assert "第 3 行" in said and "=" in said and "Expected" not in said and "TOML" in said
    assert not ENGLISH.search(said.replace(str(path), "").replace("TOML", "").replace("hallscore.toml", ""))
