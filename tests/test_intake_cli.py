"""`hallscore validate` and `build` through the CLI: exit codes, --json, --report, inputs left untouched."""

from __future__ import annotations

import hashlib
import json

import openpyxl
import pytest
from support import faults as ff
from support.builds import invoke as run
from support.returns import YEAR, fill_scoring, full_fill, make_halls, write_return

from generator.rules.register import write_register


@pytest.fixture(scope="module")
def season(tmp_path_factory, standard):
    """A register of two provinces, good returns, bad ones, a duplicate and stray files."""
    root = tmp_path_factory.mktemp("season")
    halls = make_halls({"甲": 4, "乙": 3})
    write_register(halls, root / "register.xlsx")
    returns = root / "returns"
    for n, hall in enumerate(halls[:6]):
        write_return(standard, hall, fill_scoring(standard, 92 + n), returns)
    write_return(standard, halls[0], fill_scoring(standard, 92), returns / "重发")  # same content: superseded
    bad = write_return(standard, halls[6], full_fill(standard), returns)
    ff.edit_cells(bad, {("检查表", "G2"): "满分", ("封面", "B12"): None})
    ff.truncated(write_return(standard, halls[5], full_fill(standard), root / "tmp"), returns / "H010001_截断.xlsx")
    (returns / "=HYPERLINK(1).xlsx").write_bytes(b"not a workbook")
    (returns / "<img src=x onerror=alert(1)>.xlsx").write_bytes(b"PK\x03\x04broken")
    (returns / "~$lock.xlsx").write_bytes(b"")
    (returns / "说明.txt").write_text("附件", encoding="utf-8")
    return root, halls


def fingerprints(folder):
    return {p.relative_to(folder).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_validate_reports_counts_problems_and_rejected_files(season):
    root, _ = season
    result = run("validate", root / "returns", "--register", root / "register.xlsx", "--year", YEAR,
                 "--json", root / "v.json", "--report", root / "问题清单.xlsx")
    assert result.exit_code == 1, result.output
    assert "共 13 个文件:已接收 6,已退回 4,已被替代 1,已忽略 2" in result.output
    assert "最常见的问题" in result.output and "退回的文件" in result.output
    assert "score-not-number" in result.output and "H010001_截断.xlsx" in result.output
    data = json.loads((root / "v.json").read_text(encoding="utf-8"))
    assert set(data) == {"summary", "files", "year"} and data["year"] == YEAR  # the year: for mail reminders
    assert data["summary"]["files"] == 13 and data["summary"]["rejected"] == 4
    paths = [f["path"] for f in data["files"]]
    assert paths == sorted(paths)
    for f in data["files"]:
        assert {"path", "status", "hall_id", "round", "problems"} <= set(f)
        for p in f["problems"]:
            assert {"code", "severity", "sheet", "cell", "message"} <= set(p)
    bad = next(f for f in data["files"] if f["hall_id"] == season[1][6].hall_id)
    assert [(p["code"], p["sheet"], p["cell"]) for p in bad["problems"]] == [
        ("cover-inspector-missing", "封面", "B12"), ("score-not-number", "检查表", "G2")]


def test_report_lists_every_problem_grouped_by_province_and_city(season):
    root, halls = season
    out = root / "r1.xlsx"
    assert run("validate", root / "returns", "--register", root / "register.xlsx", "--year", YEAR,
               "--report", out).exit_code == 1
    ws = openpyxl.load_workbook(out)["问题清单"]
    rows = [tuple(c.value for c in row) for row in ws.iter_rows(values_only=False)]
    assert rows[0][:3] == ("省", "市", "文件")
    body = rows[1:]
    assert [r[:2] for r in body] == sorted(r[:2] for r in body)
    codes = {(r[0], r[1], r[3], r[8]) for r in body}
    assert (halls[6].province, halls[6].city, halls[6].hall_id, "score-not-number") in codes
    assert ("乙", "乙市", "H010001", "file-damaged") in codes  # placed by the id in its file name
    assert ("(未能识别)", "(未能识别)", None, "file-not-zip") in codes
    # A file name that looks like a formula stays text.
    cell = next(c for row in ws.iter_rows() for c in row if c.value == "returns/=HYPERLINK(1).xlsx")
    assert cell.data_type == "s"
    # Same inputs, same bytes.
    again = root / "r2.xlsx"
    run("validate", root / "returns", "--register", root / "register.xlsx", "--year", YEAR, "--report", again)
    assert out.read_bytes() == again.read_bytes()


def test_exit_codes(season, tmp_path, standard):
    root, halls = season
    good = tmp_path / "good"
    write_return(standard, halls[0], full_fill(standard), good)
    assert run("validate", good, "--register", root / "register.xlsx", "--year", YEAR).exit_code == 0
    assert run("validate", good, "--year", YEAR).exit_code == 2  # --register missing
    assert run("validate", tmp_path / "nowhere", "--register", root / "register.xlsx").exit_code == 2
    (tmp_path / "bad.csv").write_text("这不是清单\n", encoding="utf-8")
    result = run("validate", good, "--register", tmp_path / "bad.csv", "--year", YEAR)
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_validate_and_build_leave_every_input_file_unchanged(season, tmp_path):
    root, _ = season
    before_returns, before_register = fingerprints(root / "returns"), fingerprints(root)["register.xlsx"]
    run("validate", root / "returns", "--register", root / "register.xlsx", "--year", YEAR,
        "--json", tmp_path / "v.json", "--report", tmp_path / "r.xlsx")
    result = run("build", root / "returns", "--register", root / "register.xlsx", "--year", YEAR,
                 "--archive", tmp_path / "archive", "--site-dir", tmp_path / "site")
    assert result.exit_code == 0, result.output
    assert fingerprints(root / "returns") == before_returns
    assert fingerprints(root)["register.xlsx"] == before_register
    quality = (tmp_path / "site" / str(YEAR) / "quality.html").read_text(encoding="utf-8")
    assert "score-not-number" in quality and "H010001_截断.xlsx" in quality
    assert "=HYPERLINK(1).xlsx" in quality
    assert "&lt;img src=x onerror=alert(1)&gt;.xlsx" in quality and "<img src=x" not in quality


def test_the_report_files_suffix_decides_its_format_or_is_refused(season, tmp_path):
    """--report x.csv is CSV (UTF-8 with BOM, formula-like names kept as text), x.xlsx a workbook; any other
    suffix, and --json without .json, is refused before anything is read (exit 2, nothing written)."""
    root, _ = season
    args = ("validate", root / "returns", "--register", root / "register.xlsx", "--year", YEAR)
    result = run(*args, "--report", tmp_path / "问题清单.csv")
    assert result.exit_code == 1, result.output
    data = (tmp_path / "问题清单.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and not data.startswith(b"\xef\xbb\xbfPK")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("省,市,文件,厅编码") and "score-not-number" in text
    import csv

    cells = [c for row in csv.reader(text.splitlines()) for c in row]
    assert "returns/=HYPERLINK(1).xlsx" in cells and not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    from generator.intake.run import REJECTED, FileStatus, IntakeReport
    from generator.rules.problems import problem
    from generator.workbooks.problem_report import build_report_csv

    named = IntakeReport([FileStatus("=HYPERLINK(1).xlsx", REJECTED, problems=[problem("file-empty", file="x")])],
                         [], "")
    row = next(csv.reader(build_report_csv(named, []).decode("utf-8-sig").splitlines()[1:]))
    assert row[2] == "'=HYPERLINK(1).xlsx"
    for option, name in (("--report", "问题清单.txt"), ("--report", "问题清单"), ("--json", "v.xlsx")):
        refused = run(*args, option, tmp_path / name)
        assert refused.exit_code == 2 and option in refused.output and "结尾" in refused.output, refused.output
        assert not (tmp_path / name).exists() and "Traceback" not in refused.output
