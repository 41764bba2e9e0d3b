"""Register and workbook text: control characters refused with row and column, text never a formula, never a link."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from support.returns import YEAR, full_fill, make_halls, write_return

from generator.cli.app import main
from generator.rules.register import COLUMNS, Hall, read_register

EVIL = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "[x](javascript:alert(1))",
        "<script>alert(1)</script>"]


def _csv(path: Path, rows, encoding="utf-8", delimiter=","):
    text = "\r\n".join(delimiter.join(r) for r in [list(COLUMNS)] + rows) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


ROW = ["A1", "甲厅", "广东", "广州", "天河", "2", "自营"]


@pytest.mark.parametrize("bad", ["\x85", "\x80", "\x9f", "\ufffe", "\uffff", "\x07", "\x00", "a\tb", "\ufdd0"])
def test_register_control_characters_are_refused_with_row_and_column(tmp_path, bad):
    path = _csv(tmp_path / "r.csv", [ROW, ["A2", "乙厅", "广东", "广" + bad + "州", "天河", "2", "自营"]])
    result = CliRunner().invoke(main, ["validate", str(tmp_path), "--register", str(path), "--year", str(YEAR)])
    assert result.exit_code == 2, result.output
    assert "第 3 行 D 列(市):含不可见字符" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["templates", "--register", str(path), "--out", str(tmp_path / "t")])
    assert result.exit_code == 1 and "第 3 行 D 列(市)" in result.output
    assert not (tmp_path / "t").exists()


@pytest.mark.parametrize("level", ["inf", "-inf", "nan", "1e999", "二级", "2.5", "0x2"])
def test_junk_levels_are_a_clear_problem(tmp_path, level):
    path = _csv(tmp_path / "r.csv", [ROW[:5] + [level, "自营"]])
    result = CliRunner().invoke(main, ["templates", "--register", str(path), "--out", str(tmp_path / "t")])
    assert result.exit_code == 1 and f"级别应为 1-4 的整数,实际为“{level}”" in result.output, result.output


@pytest.mark.parametrize("encoding,label,delimiter", [
    ("utf-8", "UTF-8 编码的 CSV", ","), ("utf-8-sig", "UTF-8(带 BOM)编码的 CSV", ","),
    ("gbk", "GBK/GB18030 编码的 CSV", ","), ("gb18030", "GBK/GB18030 编码的 CSV", ","),
    ("utf-16", "UTF-16 编码的文本(Excel“Unicode 文本”),制表符分隔", "\t")])
def test_registers_in_the_encodings_excel_writes(tmp_path, encoding, label, delimiter):
    name = "r.txt" if encoding == "utf-16" else "r.csv"
    path = _csv(tmp_path / name, [ROW, ["A2", "乙厅(旗舰)", "广东", "广州", "越秀", "1", "社会合作"]], encoding,
                delimiter)
    halls, how = read_register(path)
    assert how == label
    assert [h.name for h in halls] == ["甲厅", "乙厅(旗舰)"] and halls[1].type == "社会合作"
    # --include-unrated: the partner hall 乙厅 is 不参评 and gets a workbook only when asked.
    result = CliRunner().invoke(main, ["templates", "--register", str(path), "--out", str(tmp_path / "t"),
                                       "--include-unrated"])
    assert result.exit_code == 0 and "已生成 2 份检查表" in result.output


def test_undecodable_csv_is_a_clear_message(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(",".join(COLUMNS).encode("utf-8") + b"\n\xff\xfe\xfd\x80\x81,x\n")
    result = CliRunner().invoke(main, ["templates", "--register", str(path), "--out", str(tmp_path / "t")])
    assert result.exit_code == 1 and "无法识别营业厅清单" in result.output


def test_xlsx_register_on_a_sheet_named_qingdan(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["本文件第二个工作表是清单"])
    ws = wb.create_sheet("清单")
    ws.append(list(COLUMNS))
    ws.append(ROW)
    wb.save(tmp_path / "r.xlsx")
    halls, how = read_register(tmp_path / "r.xlsx")
    assert [h.hall_id for h in halls] == ["A1"] and how == "xlsx 工作表“清单”"


def _cells(path: Path):
    wb = openpyxl.load_workbook(path)  # not read-only: data_type is the cell's own
    try:
        return [(ws.title, c.coordinate, c.data_type, c.value) for ws in wb.worksheets for row in ws.iter_rows()
                for c in row if c.value is not None]
    finally:
        wb.close()


def test_no_export_ever_holds_a_formula_and_no_name_becomes_a_link(tmp_path, standard, write_reg):
    halls = [Hall(f"GD{n:04d}", EVIL[n % len(EVIL)] + f"{n}", "广东", "广州", "天河", 2, "自营") for n in range(12)]
    register = write_reg(halls)
    returns = tmp_path / "returns"
    for hall in halls:
        write_return(standard, hall, full_fill(standard), returns)
    # A broken return whose file name starts with "=" for the 问题清单.
    (returns / "=cmd.xlsx").write_bytes(b"not a workbook")
    result = CliRunner().invoke(main, ["build", str(returns), "--register", str(register), "--year", str(YEAR),
                                       "--archive", str(tmp_path / "archive"), "--site-dir", str(tmp_path / "site"),
                                       "--workers", "1", "--no-cache"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["validate", str(returns), "--register", str(register), "--year", str(YEAR),
                                       "--report", str(tmp_path / "问题清单.xlsx")])
    assert result.exit_code == 1
    exports = sorted((tmp_path / "site").rglob("*.xlsx")) + sorted((tmp_path / "archive").rglob("*.xlsx"))
    exports.append(tmp_path / "问题清单.xlsx")
    assert any("上报名单" in p.name for p in exports) and len(exports) >= 4
    seen = set()
    for path in exports:
        cells = _cells(path)
        assert not [c for c in cells if c[2] == "f"], path
        with zipfile.ZipFile(path) as zf:
            assert not [n for n in zf.namelist() if n.startswith("xl/worksheets/") and b"<f>" in zf.read(n)]
        seen |= {c[3] for c in cells if isinstance(c[3], str)}
    assert "=HYPERLINK(\"http://x\",\"y\")0" in seen and "@SUM(A1)3" in seen and "=cmd.xlsx" in " ".join(seen)
    # On the site: every name shown as text; no javascript: link anywhere.
    for page in (tmp_path / "site").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", text, re.I), page
        assert "<script>alert(1)" not in text
    hall_page = next((tmp_path / "site").rglob("GD0004*/index.html"), None) or next(
        p for p in (tmp_path / "site").rglob("*.html") if "GD0004" in p.as_posix())
    assert "[x](javascript:alert(1))4" in hall_page.read_text(encoding="utf-8")


def test_control_characters_typed_into_a_return_are_removed_and_said(tmp_path, standard, write_reg):
    halls = make_halls({"广东": 1})
    register = write_reg(halls)
    item = standard.items[0]
    fill = full_fill(standard, inspector="张\x85三\x9f", scores={**full_fill(standard).scores, item.id: 0},
                     reasons={item.id: "未\x80问候"})
    write_return(standard, halls[0], fill, tmp_path / "returns")
    result = CliRunner().invoke(main, ["build", str(tmp_path / "returns"), "--register", str(register), "--year",
                                       str(YEAR), "--archive", str(tmp_path / "archive"), "--site-dir",
                                       str(tmp_path / "site"), "--workers", "1", "--no-cache"])
    assert result.exit_code == 0, result.output
    import json

    intake = json.loads((tmp_path / "archive" / str(YEAR) / "intake.json").read_text(encoding="utf-8"))
    f = intake["files"][0]
    assert f["status"] == "accepted"
    messages = [p["message"] for p in f["problems"] if p["code"] == "text-cleaned"]
    assert any("检查人" in m and "U+0085" in m for m in messages), f["problems"]
    results = (tmp_path / "archive" / str(YEAR) / "results.json").read_text(encoding="utf-8")
    assert "张三" in results and "\\u0085" not in results and "\x85" not in results
    for page in (tmp_path / "site").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]", text), page
