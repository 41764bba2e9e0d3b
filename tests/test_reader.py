"""The fast reader gives exactly what openpyxl's read-only mode gives, on real workbooks and on the XML shapes
other producers write; formulas come back as text and their cached values are never used."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from support.readers import assert_same
from support.returns import YEAR, full_fill, make_halls, write_return

from generator.demo import plan_fill
from generator.rules import contract as wbk
from generator.workbooks.forms import build_workbook
from generator.xlsx.reader import Budget, SheetTooLarge, read_grids, read_grids_fast, read_grids_openpyxl

HALL = make_halls({"广东": 1})[0]


def test_blank_template(standard, tmp_path):
    path = tmp_path / "blank.xlsx"
    build_workbook(standard, HALL, YEAR).save(path)
    grids = assert_same(path)
    assert set(wbk.SHEETS) <= set(grids)


@pytest.mark.parametrize("seed", range(6))
def test_filled_returns(standard, tmp_path, seed):
    fill = plan_fill(standard, HALL, YEAR, random.Random(seed))
    path = write_return(standard, HALL, fill, tmp_path)
    grids = assert_same(path)
    cover = grids[wbk.SHEET_COVER]
    dates = [v for row in cover.rows for v in row if isinstance(v, datetime)]
    assert dates == [datetime(fill.date.year, fill.date.month, fill.date.day)]


def test_not_applicable_text_formulas_and_odd_values(standard, tmp_path):
    scores = {i.id: float(i.max_points) for i in standard.items}
    na_item = next(i for i in standard.items if i.allow_na)
    scores[na_item.id] = wbk.NOT_APPLICABLE
    ids = [i.id for i in standard.items]
    scores[ids[0]] = "=E2-1"  # a formula typed into an input cell
    scores[ids[1]] = 3  # an int, not a float
    scores[ids[3]] = "  4 "
    fill = full_fill(standard, scores=scores, reasons={ids[0]: "公式 & <扣分> \"引号\"", ids[1]: "第一行\n第二行"})
    path = write_return(standard, HALL, fill, tmp_path)
    wb = openpyxl.load_workbook(path)
    wb[wbk.SHEET_COVER]["D1"] = date(YEAR, 7, 1)
    wb[wbk.SHEET_COVER]["D2"] = True
    wb[wbk.SHEET_COVER]["D3"] = 1e-7
    wb[wbk.SHEET_COVER]["D40"] = "行尾空行之后"
    wb.save(path)
    grids = assert_same(path)
    items = grids[wbk.SHEET_ITEMS]
    values = [v for row in items.rows for v in row]
    assert "=E2-1" in values and wbk.NOT_APPLICABLE in values and 3 in values
    assert "公式 & <扣分> \"引号\"" in values and "第一行\n第二行" in values


def rewrite(path: Path, out: Path, part: str, edit) -> Path:
    """Copy a workbook, passing one part's XML text through ``edit``: the shapes Excel, WPS and others write."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == part:
                data = edit(data.decode("utf-8")).encode("utf-8")
            dst.writestr(info, data)
    return out


def _sheet_part(path: Path, title: str) -> str:
    wb = openpyxl.load_workbook(path, read_only=True)
    index = wb.sheetnames.index(title)
    wb.close()
    return f"xl/worksheets/sheet{index + 1}.xml"


@pytest.fixture
def filled(standard, tmp_path):
    return write_return(standard, HALL, full_fill(standard), tmp_path)


EDITS = {
    # Excel writes shared strings; cached formula values sit beside the formula and must be ignored.
    "cached-formula-value": lambda x: x.replace("<f>", "<f>", 1).replace("</f>", "</f><v>999</v>", 1),
    "wrong-dimension": lambda x: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:B2"', x),
    "no-cell-refs": lambda x: re.sub(r' r="[A-Z]+\d+"', "", x),
    "rich-inline-text": lambda x: x.replace("<is><t>A01</t></is>", "<is><r><rPr><b/></rPr><t>A</t></r><r><t>01</t></r>"
                                            "<rPh sb=\"0\" eb=\"1\"><t>ア</t></rPh></is>", 1),
    "spaced-xml": lambda x: x.replace("><row", ">\n  <row").replace("><c ", ">\n    <c "),
    "typed-cells": lambda x: x.replace(
        "</sheetData>", '<row r="60"><c r="A60" t="d"><v>2025-05-01T00:00:00</v></c><c r="B60" t="b"><v>1</v></c>'
        '<c r="C60" t="e"><v>#N/A</v></c><c r="D60" t="str"><v>text</v></c><c r="E60" s="0"/></row></sheetData>'),
    "single-quotes": lambda x: x.replace('t="inlineStr"', "t='inlineStr'"),
    "single-quoted-rows": lambda x: re.sub(r'<row r="(\d+)"', r"<row r='\1'", x),
    "single-quoted-formula-attrs": lambda x: x.replace(
        "</sheetData>", "<row r=\"62\"><c r=\"A62\"><f t='shared' ref='A62:B62' si='0'>B1&amp;\"x\"</f></c>"
        "<c r=\"B62\"><f t='shared' si='0'/></c></row></sheetData>"),
    "apostrophe-in-attribute-value": lambda x: x.replace('<c r="A1"', '<c r="A1" cm="it\'s"', 1),
    "shared-formula": lambda x: x.replace(
        "</sheetData>", '<row r="61"><c r="A61"><f t="shared" ref="A61:C61" si="0">B1&amp;"x"</f><v>1</v></c>'
        '<c r="B61"><f t="shared" si="0"/><v>2</v></c><c r="C61"><f t="shared" si="0"/></c></row></sheetData>'),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_other_producers_shapes(filled, tmp_path, edit):
    part = _sheet_part(filled, wbk.SHEET_ITEMS)
    path = rewrite(filled, tmp_path / f"{edit}.xlsx", part, EDITS[edit])
    grids = assert_same(path)
    values = [v for row in grids[wbk.SHEET_ITEMS].rows for v in row]
    assert 999 not in values  # never a cached value


def test_shared_strings_as_excel_and_wps_write_them(filled, tmp_path):
    """Turn every inline string into a shared one (with a rich-text entry and escapes), as Excel does."""
    strings: list[str] = []

    def to_shared(xml):
        def repl(m):
            strings.append(m[3])
            return f'<c r="{m[1]}"{m[2]} t="s"><v>{len(strings) - 1}</v></c>'

        return re.sub(r'<c r="([A-Z]+\d+)"([^>]*?) t="inlineStr"><is><t>([^<]*)</t></is></c>', repl, xml)

    part = _sheet_part(filled, wbk.SHEET_ITEMS)
    step1 = rewrite(filled, tmp_path / "step1.xlsx", part, to_shared)
    sst = "".join(f"<si><t>{s}</t></si>" for s in strings[:-1])
    sst += f"<si><r><t>{strings[-1][:1]}</t></r><r><rPr><i/></rPr><t>{strings[-1][1:]}</t></r></si>"
    sst_xml = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
               f'2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>')
    out = tmp_path / "shared.xlsx"
    with zipfile.ZipFile(step1) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdSST" Type="http://schemas.openxml'
                                    b'formats.org/officeDocument/2006/relationships/sharedStrings" '
                                    b'Target="sharedStrings.xml"/></Relationships>')
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            dst.writestr(info, data)
        dst.writestr("xl/sharedStrings.xml", sst_xml)
    grids = assert_same(out)
    assert strings and all(isinstance(s, str) for s in strings)
    assert grids[wbk.SHEET_ITEMS].value(1, 1) == "编号"


def test_date1904_workbook(filled, tmp_path):
    path = rewrite(filled, tmp_path / "1904.xlsx", "xl/workbook.xml",
                   lambda x: re.sub(r"<workbookPr[^>]*/>", '<workbookPr date1904="1"/>', x)
                   if "<workbookPr" in x else x.replace("<bookViews>", '<workbookPr date1904="1"/><bookViews>'))
    grids = assert_same(path)
    assert any(isinstance(v, datetime) for row in grids[wbk.SHEET_COVER].rows for v in row)


def test_broken_files_fail_like_openpyxl(filled, tmp_path):
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(filled.read_bytes()[:3000])
    not_zip = tmp_path / "text.xlsx"
    not_zip.write_text("这不是工作簿", encoding="utf-8")
    bad_xml = rewrite(filled, tmp_path / "badxml.xlsx", _sheet_part(filled, wbk.SHEET_ITEMS),
                      lambda x: x.replace("</sheetData>", "<row></sheetData>"))
    for path in (truncated, not_zip, bad_xml):
        with pytest.raises(Exception) as ours:
            read_grids(path)
        with pytest.raises(Exception) as theirs:
            read_grids_openpyxl(path)
        assert type(ours.value) is type(theirs.value)


# In CI (env CI set) a missing soffice fails the test rather than skipping it: .ci/run installs LibreOffice.
@pytest.mark.skipif(shutil.which("soffice") is None and not os.environ.get("CI"), reason="LibreOffice not installed")
def test_saved_by_libreoffice(standard, tmp_path):
    """A return opened and saved again by LibreOffice: shared strings, cached formula values, its own styles."""
    scores = {i.id: float(i.max_points) for i in standard.items}
    scores[standard.items[0].id] = "=1+1"
    path = write_return(standard, HALL, full_fill(standard, scores=scores), tmp_path / "in", name="return.xlsx")
    out = tmp_path / "out"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
                    "--convert-to", "xlsx", "--outdir", str(out), str(path)], check=True, capture_output=True,
                   timeout=180)
    saved = out / "return.xlsx"
    with zipfile.ZipFile(saved) as zf:
        assert "xl/sharedStrings.xml" in zf.namelist()
        assert b"<v>2</v>" in zf.read(_sheet_part(saved, wbk.SHEET_ITEMS))  # LibreOffice cached the result
    grids = assert_same(saved)
    values = [v for row in grids[wbk.SHEET_ITEMS].rows for v in row]
    assert "=1+1" in values
    assert [v for row in grids[wbk.SHEET_COVER].rows for v in row if isinstance(v, datetime)]


def test_scanner_takes_the_scoring_sheet_with_quoted_sheet_names_in_formulas(filled):
    """Every return's scoring sheet has formulas like SUM('加分扣分'!H2:H5): an apostrophe in text, not a
    single-quoted attribute, so the regular-expression scanner reads it (the same grid as openpyxl)."""
    from generator.xlsx import scan as xlsx_scan

    part = _sheet_part(filled, wbk.SHEET_ITEMS)
    with zipfile.ZipFile(filled) as zf:
        xml = zf.read(part)
    assert b"'!" in xml
    grid = xlsx_scan.scan_sheet(xml, [], set(), set(), None, Budget())
    assert grid is not None
    assert_same(filled)


def _items_xml(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(_sheet_part(path, wbk.SHEET_ITEMS))


def _scan(xml: bytes, budget=None):
    from generator.xlsx import scan as xlsx_scan

    return xlsx_scan.scan_sheet(xml, [], set(), set(), None, budget or Budget())


def test_rows_seen_before_give_the_same_grids_as_openpyxl(standard, tmp_path):
    """Returns of one template share most rows: those are taken from the rows already scanned. Returns that
    differ in a few cells, read one after the other in one process, still each give openpyxl's grid."""
    paths = []
    for seed in range(4):
        fill = plan_fill(standard, HALL, YEAR, random.Random(100 + seed))
        folder = tmp_path / f"r{seed}"
        paths.append(write_return(standard, HALL, fill, folder))
    for path in paths + paths[::-1]:
        assert_same(path)
    # The same text in another row position is another row: row numbers are part of what is remembered.
    moved = rewrite(paths[0], tmp_path / "moved.xlsx", _sheet_part(paths[0], wbk.SHEET_ITEMS),
                    lambda x: x.replace('<row r="3"', '<row r="3" spans="1:8"', 1))
    assert_same(moved)


def test_a_broken_row_or_frame_is_caught_after_good_ones(filled, tmp_path):
    """Well-formedness is checked on frames and rows not seen before only; whatever new is broken still fails
    like a parse of the whole part (and a remembered row does not make a broken one pass)."""
    from xml.parsers import expat

    xml = _items_xml(filled)
    assert _scan(xml) is not None  # everything remembered now
    edits = {
        "row": lambda x: x.replace("</sheetData>", '<row r="99"><c r="A99" t="inlineStr"><is><t>a &bogus; b</t>'
                                                   "</is></c></row></sheetData>"),
        "frame": lambda x: x.replace("</sheetData>", '</sheetData><pageMargins left="1" left="2"/>'),
        "unclosed": lambda x: x.replace("</c></row>", "</row>", 1),
        "between-rows": lambda x: x.replace("</row><row", "</row>&bogus;<row", 1),
        "head": lambda x: x.replace("<sheetData>", '<bad a="1" a="2"/><sheetData>'),
        "unclosed-after-rows": lambda x: x.replace("</worksheet>", "<pageSetup></worksheet>"),
        "split-element": lambda x: x.replace("</sheetData>", "</sheetData><pageMargins><pageSetup/>"),
        "after-root": lambda x: x + "<worksheet/>",
    }
    part = _sheet_part(filled, wbk.SHEET_ITEMS)
    for label, edit in [*edits.items(), *edits.items()]:  # twice: a broken row is never remembered
        bad = edit(xml.decode("utf-8")).encode("utf-8")
        with pytest.raises(expat.ExpatError):
            expat.ParserCreate().Parse(bad, True)
        try:
            assert _scan(bad) is None  # given up on (the expat parser then fails on it) …
        except expat.ExpatError:
            pass  # … or failed at once
        path = rewrite(filled, tmp_path / f"{label}.xlsx", part, edit)
        with pytest.raises(Exception):  # noqa: B017 - the fast path gives no grid for it
            read_grids_fast(path)
        with pytest.raises(Exception):  # noqa: B017 - and neither does openpyxl
            read_grids_openpyxl(path)
        assert _scan(xml) is not None


def test_comments_in_sheet_data_go_to_the_parser(filled):
    """A comment may hold text shaped like a cell; openpyxl ignores it, and so the scanner gives up."""
    xml = _items_xml(filled)
    commented = xml.replace(b"</sheetData>", b'<!-- <row r="90"><c r="A90"><v>1</v></c></row> --></sheetData>')
    assert _scan(commented) is None


def test_bounds_hold_on_remembered_rows(filled):
    """The cell bound is met at the same cell whether the rows were remembered or not, and a sheet both broken
    and too large is reported as broken, as a parse of the whole part would."""
    from xml.parsers import expat

    from generator.xlsx import scan as xlsx_scan

    xml = _items_xml(filled)
    xlsx_scan.ROW_MEMO.clear()
    with pytest.raises(SheetTooLarge) as cold:
        _scan(xml, Budget(max_cells=100))
    assert _scan(xml) is not None
    with pytest.raises(SheetTooLarge) as warm:
        _scan(xml, Budget(max_cells=100))
    assert (warm.value.what, warm.value.found, warm.value.limit) == (cold.value.what, cold.value.found, 100)
    broken = xml.replace(b"</sheetData>", b"</sheetData><bad a='1' a='2'/>")
    with pytest.raises(expat.ExpatError):
        _scan(broken, Budget(max_cells=100))


def test_halves_of_an_element_are_never_remembered(filled):
    """Two rows that are well formed only together (an element opened after one and closed after the other)
    are not remembered as rows known well formed: a later sheet holding one of them without the other is
    still found broken."""
    from xml.parsers import expat

    xml = _items_xml(filled)
    good_pair = xml.replace(b"</sheetData>", b'<row r="90"><c r="A90" t="inlineStr"><is><t>x</t></is></c></row>'
                                              b'<extra><row r="91"><c r="A91" t="inlineStr"><is><t>y</t></is></c>'
                                              b"</row></extra></sheetData>")
    expat.ParserCreate().Parse(good_pair, True)  # well formed as a whole
    _scan(good_pair)
    half = xml.replace(b"</sheetData>", b'<row r="90"><c r="A90" t="inlineStr"><is><t>x</t></is></c></row>'
                                        b"<extra><row r=\"91\"><c r=\"A91\"><v>2</v></c></row></sheetData>")
    with pytest.raises(expat.ExpatError):
        expat.ParserCreate().Parse(half, True)
    try:
        assert _scan(half) is None
    except expat.ExpatError:
        pass
