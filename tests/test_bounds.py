"""Bounded work per file: absurd sheets are refused while streaming, with small memory and small outputs."""

from __future__ import annotations

import json
import tracemalloc
from datetime import date

import pytest
from click.testing import CliRunner
from support.returns import YEAR, full_fill, make_halls, write_return
from support.zip_parts import append_rows, rewrite, sheet_part

from generator.cli.app import main
from generator.intake.run import check_file
from generator.xlsx.container import Limits
from generator.xlsx.reader import Budget, SheetTooLarge, read_grids_fast, read_grids_openpyxl

HALLS = make_halls({"广东": 2})
PEAK_LIMIT = 64 * 1024 * 1024


def _return(standard, tmp_path):
    return write_return(standard, HALLS[0], full_fill(standard), tmp_path / "src", name=f"{HALLS[0].hall_id}_x.xlsx")


def _xfd(start: int, n: int):
    return (f'<row r="{r}"><c r="XFD{r}" t="inlineStr"><is><t>x</t></is></c></row>' for r in range(start, start + n))


def _many(start: int, n: int):
    return (f'<row r="{r}"><c r="A{r}"><v>1</v></c></row>' for r in range(start, start + n))


def _peak(func):
    tracemalloc.start()
    try:
        result = func()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def absurd(tmp_path, standard):
    src = _return(standard, tmp_path)
    part = sheet_part(src, "检查表")
    returns = tmp_path / "returns"
    returns.mkdir()
    xfd = rewrite(src, returns / f"{HALLS[0].hall_id}_xfd.xlsx", {part: append_rows(_xfd(1000, 100_000))})
    many = rewrite(src, returns / f"{HALLS[1].hall_id}_rows.xlsx", {part: append_rows(_many(1000, 1_000_000))})
    return tmp_path, xfd, many


def test_column_xfd_on_100000_rows_is_refused_in_small_memory(absurd, standard):
    _, xfd, _ = absurd
    register = {h.hall_id: h for h in HALLS}
    (record, problems, _), peak = _peak(lambda: check_file(xfd, xfd.name, standard, register, YEAR,
                                                           date(YEAR, 12, 1)))
    assert record is None and [p.code for p in problems] == ["sheet-too-large"]
    assert problems[0].sheet == "检查表" and "列数" in problems[0].message
    assert peak < PEAK_LIMIT, peak
    # The openpyxl fallback is bounded the same way.
    with pytest.raises(SheetTooLarge):
        _, peak = _peak(lambda: read_grids_openpyxl(xfd, Budget()))
    _, peak = _peak(lambda: pytest.raises(SheetTooLarge, read_grids_openpyxl, xfd, Budget()))
    assert peak < PEAK_LIMIT, peak


def test_a_million_extra_rows_are_refused_in_small_memory(absurd, standard):
    _, _, many = absurd
    register = {h.hall_id: h for h in HALLS}
    (record, problems, _), peak = _peak(lambda: check_file(many, many.name, standard, register, YEAR,
                                                           date(YEAR, 12, 1)))
    assert record is None and [p.code for p in problems] == ["sheet-too-large"]
    assert peak < PEAK_LIMIT, peak
    # Under a byte limit large enough to inflate the part, the row bound stops both readers.
    budget = lambda: Budget(max_part_bytes=1 << 30)  # noqa: E731
    for reader in (read_grids_fast, read_grids_openpyxl):
        with pytest.raises(SheetTooLarge) as err:
            reader(many, budget())
        assert err.value.what == "rows" and err.value.sheet == "检查表"


def test_absurd_files_leave_small_outputs_through_the_cli(absurd, standard, write_reg):
    root, xfd, many = absurd
    register = write_reg(HALLS)
    returns = xfd.parent
    write_return(standard, HALLS[1], full_fill(standard), returns)  # a good return among the bad ones
    result = CliRunner().invoke(main, ["build", str(returns), "--register", str(register), "--year", str(YEAR),
                                       "--archive", str(root / "archive"), "--site-dir", str(root / "site"),
                                       "--workers", "1", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert "已接收 1,已退回 2" in result.output
    intake = root / "archive" / str(YEAR) / "intake.json"
    assert intake.stat().st_size < 20_000
    site = sum(p.stat().st_size for p in (root / "site").rglob("*") if p.is_file())
    assert site < 30 * 1024 * 1024, site
    data = json.loads(intake.read_text(encoding="utf-8"))
    assert data["summary"]["problems"] == {"sheet-too-large": 2}


def test_problems_per_file_are_capped_and_summed_up(tmp_path, standard):
    # Every base item's score blank: one problem per item, far more than the cap allows.
    fill = full_fill(standard, scores={i.id: None for i in standard.items})
    path = write_return(standard, HALLS[0], fill, tmp_path, name=f"{HALLS[0].hall_id}_x.xlsx")
    register = {h.hall_id: h for h in HALLS}
    record, problems, _ = check_file(path, path.name, standard, register, YEAR, date(YEAR, 12, 1), Limits(max_problems=10))
    assert record is None and len(problems) == 11
    last = problems[-1]
    assert last.code == "problems-truncated" and f"共 {len(standard.items)} 个" in last.message


def test_a_register_with_a_cell_in_column_xfd_on_every_row_stays_small(tmp_path):
    import openpyxl

    from generator.rules.register import COLUMNS, load_register

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(COLUMNS))
    for n in range(3000):
        ws.append([f"A{n:05d}", f"厅{n}", "广东", "广州", "天河", 2, "自营"])
        ws.cell(row=n + 2, column=16384, value="x")
    wb.save(tmp_path / "r.xlsx")
    halls, peak = _peak(lambda: load_register(tmp_path / "r.xlsx"))
    assert len(halls) == 3000 and peak < PEAK_LIMIT, peak


def test_an_overrides_workbook_with_column_xfd_stays_small(tmp_path):
    import openpyxl

    from generator.evaluate.overrides import load_overrides

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["厅编码", "档次", "理由", "裁定人", "日期", "层级"])
    for n in range(2000):
        ws.append([f"A{n:05d}", "优秀", "复核", "张三", "2025-12-01", "集团"])
        ws.cell(row=n + 2, column=16384, value="x")
    wb.save(tmp_path / "o.xlsx")
    rows, peak = _peak(lambda: load_overrides(tmp_path / "o.xlsx"))
    assert len(rows) == 2000 and peak < PEAK_LIMIT, peak
