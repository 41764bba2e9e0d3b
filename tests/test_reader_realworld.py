"""Shapes that other producers write, as found in calamine's and SheetJS's test files (bench/compare_readers.py):
the fast reader gives what openpyxl gives, or hands the file to openpyxl."""

from __future__ import annotations

from datetime import datetime

import openpyxl
import pytest
from support.readers import assert_same
from support.zip_parts import rewrite

from generator.xlsx.fast import read_sheets
from generator.xlsx.reader import read_grids, read_grids_openpyxl


def _book(tmp_path, name="src.xlsx"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表"
    ws.append(["課きく 毛こ", "普通", 3, 4.5])
    ws.append([datetime(2025, 6, 1), "第二行"])
    path = tmp_path / name
    wb.save(path)
    return path


SST = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def test_phonetic_runs_are_not_text(tmp_path):
    # As Japanese Excel writes it (calamine's rph.xlsx): ruby runs, one of them inside its own <r>.
    src = _book(tmp_path)
    sst = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">'
           '<si><r><t>課きく 毛こ</t></r><rPh sb="0" eb="1"><r><t>カ</t></r></rPh><rPh sb="4" eb="5"><t>ケ</t></rPh>'
           '<phoneticPr fontId="1"/></si><si><t>漢字</t><rPh sb="0" eb="2"><t>カンジ</t></rPh></si></sst>')
    edits = {
        "xl/sharedStrings.xml": lambda _: sst.encode(),
        "xl/worksheets/sheet1.xml": lambda d: d.replace(
            '<c r="A1" t="inlineStr"><is><t>課きく 毛こ</t></is></c>'.encode(), b'<c r="A1" t="s"><v>0</v></c>')
        .replace('<c r="B1" t="inlineStr"><is><t>普通</t></is></c>'.encode(), b'<c r="B1" t="s"><v>1</v></c>'),
        "xl/_rels/workbook.xml.rels": lambda d: d.replace(
            b"</Relationships>", f'<Relationship Type="{SST}" Target="sharedStrings.xml" Id="rId9" /></Relationships>'
            .encode()),
        "[Content_Types].xml": lambda d: d.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" '
                                                   b'ContentType="application/vnd.openxmlformats-officedocument.'
                                                   b'spreadsheetml.sharedStrings+xml" /></Types>'),
    }
    path = rewrite(src, tmp_path / "rph.xlsx", edits)
    fast = assert_same(path)
    assert fast["表"].rows[0][:2] == ["課きく 毛こ", "漢字"]


def test_no_stylesheet_where_openpyxl_looks_means_no_dates(tmp_path):
    src = _book(tmp_path)
    moved = {"xl/styles.xml": None,
             "xl/styles/odd.xml": lambda _: _read(src, "xl/styles.xml"),
             "xl/_rels/workbook.xml.rels": lambda d: d.replace(b"/xl/styles.xml", b"/xl/styles/odd.xml")
             .replace(b'"styles.xml"', b'"styles/odd.xml"'),
             "[Content_Types].xml": lambda d: d.replace(b"/xl/styles.xml", b"/xl/styles/odd.xml")}
    path = rewrite(src, tmp_path / "odd.xlsx", moved)
    fast = assert_same(path)
    assert not isinstance(fast["表"].rows[1][0], datetime)  # openpyxl sees no date format either
    gone = rewrite(src, tmp_path / "none.xlsx", {"xl/styles.xml": None})
    assert_same(gone)


def test_an_empty_style_attribute_is_style_zero(tmp_path):
    src = _book(tmp_path)
    sheet = "xl/worksheets/sheet1.xml"
    path = rewrite(src, tmp_path / "s.xlsx", {sheet: lambda d: d.replace(b'<c r="C1" t="n"', b'<c r="C1" s="" t="n"')})
    assert b's=""' in _read(path, sheet)
    assert_same(path)


def test_a_stylesheet_openpyxl_cannot_apply_is_handed_to_openpyxl(tmp_path):
    src = _book(tmp_path)
    broken = lambda d: d.replace(b"<cellStyleXfs", b"<cellStyleXfsGone").replace(  # noqa: E731
        b"</cellStyleXfs>", b"</cellStyleXfsGone>")
    path = rewrite(src, tmp_path / "b.xlsx", {"xl/styles.xml": broken})
    with pytest.raises(Exception) as ref:
        read_grids_openpyxl(path)
    with pytest.raises(Exception) as ours:
        read_grids(path)
    assert type(ours.value) is type(ref.value)
    with pytest.raises(Exception, match="stylesheet"):
        read_sheets(path)


def _read(path, name) -> bytes:
    import zipfile

    with zipfile.ZipFile(path) as zf:
        return zf.read(name)
