"""Returns saved again by LibreOffice (headless, real soffice) score exactly like the originals.

In CI (env CI set) a missing soffice is a failure, not a skip: .ci/run installs libreoffice-calc-nogui.
"""

import os
import random
import re
import shutil
import subprocess
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from support.libreoffice import convert
from support.returns import YEAR, fill_scoring, make_halls

from generator.archive.store import evaluate
from generator.demo import apply_fill, plan_fill
from generator.evaluate.scoring import score_return
from generator.intake.run import ACCEPTED, run_intake
from generator.rules import contract as wbk
from generator.rules.config import Config
from generator.workbooks.forms import write_templates
from generator.xlsx.reader import read_grids

CREATED = datetime(YEAR, 1, 2, tzinfo=UTC)
TODAY = date(YEAR, 12, 31)


@pytest.fixture(scope="module")
def soffice():
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI 中找不到 LibreOffice(soffice):.ci/run 应安装 libreoffice-calc-nogui")
        pytest.skip("LibreOffice (soffice) is not installed")
    return found


@pytest.fixture(scope="module")
def trip(tmp_path_factory, standard, soffice):
    """Filled returns (openpyxl, no cached values) and the same returns saved by LibreOffice."""
    root = tmp_path_factory.mktemp("lo")
    halls = make_halls({"广东": 5, "江苏": 4}, level=2)
    templates = write_templates(halls, standard, root / "templates", YEAR, CREATED)
    rng = random.Random(7)
    original = root / "original"
    original.mkdir()
    files = []
    for n, (hall, path) in enumerate(zip(halls, templates)):
        fill = fill_scoring(standard, 96.5) if n == 0 else plan_fill(standard, hall, YEAR, rng)
        if n == 1:  # bonus and deduction events, with notes
            fill = plan_fill(standard, hall, YEAR, rng)
            fill = fill.__class__(**{**fill.__dict__, "events": {"J01": 1, "J03": 3, "K01": 2},
                                     "event_notes": {"J01": "创新", "J03": "锦旗", "K01": "投诉"}})
        wb = openpyxl.load_workbook(path)
        apply_fill(wb, standard, fill)
        target = original / f"{hall.hall_id}.xlsx"
        wb.save(target)
        files.append(target)
    saved = convert(soffice, files, root / "libreoffice", root / "profile")
    return halls, files, saved


def outcome(folder: Path, standard, halls):
    report = run_intake([folder], standard, halls, YEAR, today=TODAY)
    assert [f.status for f in report.files] == [ACCEPTED] * len(halls), report.to_dict()
    results = evaluate(halls, report.records, standard, Config(year=YEAR))
    for hall in results["halls"]:
        for visit in hall["rounds"]:
            visit.pop("file"), visit.pop("sha256")  # the bytes differ by design
    return report, results


def test_libreoffice_copy_scores_and_tiers_the_same(trip, standard):
    halls, files, saved = trip
    report_a, results_a = outcome(files[0].parent, standard, halls)
    report_b, results_b = outcome(saved[0].parent, standard, halls)
    assert [r.fingerprint() for r in report_a.records] == [r.fingerprint() for r in report_b.records]
    assert results_a == results_b
    tiers = [(h["hall_id"], h["final_score"], h["tier"]) for h in results_a["halls"]]
    assert all(final is not None for _, final, _ in tiers)
    assert any(h["bonus"] for h in results_a["halls"]) and any(h["deduction"] for h in results_a["halls"])


def test_live_totals_match_the_scoring(trip, standard):
    """LibreOffice computes the sheet's formulas: the inspector's live figures equal the real scores."""
    halls, files, saved = trip
    report, _ = outcome(saved[0].parent, standard, halls)
    cards = {r.hall_id: score_return(r, standard) for r in report.records}
    col = wbk.ITEMS_HEADERS.index("得分")
    for hall, path in zip(halls, saved):
        ws = openpyxl.load_workbook(path, data_only=True)[wbk.SHEET_ITEMS]
        figures = {row[2].value: row[col].value for row in ws.iter_rows(min_row=2) if row[0].value is None}
        card = cards[hall.hall_id]
        assert figures["基础分(按百分制折算)"] == pytest.approx(float(card.base), abs=1e-9)
        assert figures["预计最终得分(仅供参考)"] == pytest.approx(float(card.final), abs=1e-9)
        for section in card.sections:
            assert figures[f"小计:{section.section}"] == pytest.approx(float(section.earned))


def test_guards_survive_libreoffice(trip, standard):
    halls, files, saved = trip
    wb = openpyxl.load_workbook(saved[0])
    assert wb.sheetnames[: len(wbk.SHEETS)] == list(wbk.SHEETS)
    assert wb[wbk.SHEET_META].sheet_state == "hidden" and wb[wbk.SHEET_LISTS].sheet_state == "hidden"
    props = {p.name: p.value for p in wb.custom_doc_props}
    assert props["hallscore.hall_id"] == halls[0].hall_id and props["hallscore.year"] == str(YEAR)
    items = wb[wbk.SHEET_ITEMS]
    assert items.protection.sheet and not items["G2"].protection.locked and items["C2"].protection.locked
    dv = next(dv for dv in items.data_validations.dataValidation if "G2" in dv.sqref)
    assert dv.type == "list" and dv.showErrorMessage and dv.formula1 in wb.defined_names
    rules = [r.formula[0] for cf in items.conditional_formatting for r in cf.rules]
    assert any("LEN(TRIM(" in f for f in rules)


def test_reader_ignores_how_the_file_was_saved(trip, tmp_path):
    """openpyxl (inline strings, no cached values) and LibreOffice (shared strings, cached values) read alike."""
    halls, files, saved = trip
    a, b = read_grids(files[1]), read_grids(saved[1])
    for sheet in (wbk.SHEET_COVER, wbk.SHEET_ITEMS, wbk.SHEET_EVENTS, wbk.SHEET_VETO, wbk.SHEET_META):
        rows_a = [[v for v in row if not _formula(v)] for row in a[sheet].rows]
        rows_b = [[v for v in row if not _formula(v)] for row in b[sheet].rows]
        assert _trim(rows_a) == _trim(rows_b), sheet
    # Formulas come back as text, never as LibreOffice's cached values.
    assert any(_formula(v) for row in b[wbk.SHEET_ITEMS].rows for v in row)


def test_reader_ignores_wrong_dimension_tags(trip, tmp_path):
    """Excel, WPS and mail gateways write wrong <dimension ref>; the reader must not stop there."""
    halls, files, saved = trip
    for source in (files[2], saved[2]):
        broken = tmp_path / f"dim_{source.parent.name}.xlsx"
        with zipfile.ZipFile(source) as zin, zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info)
                if info.filename.startswith("xl/worksheets/sheet"):
                    data, n = re.subn(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1"/>', data)
                    assert n == 1
                zout.writestr(info, data)
        assert read_grids(broken) == read_grids(source)


def _formula(value) -> bool:
    return isinstance(value, str) and value.startswith("=")


def _trim(rows):
    """Drop trailing empty cells and rows: writers differ in how far they write empties."""
    out = []
    for row in rows:
        while row and row[-1] in (None, ""):
            row = row[:-1]
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


def test_printed_workbook_shows_every_criterion_whole(tmp_path, standard, soffice):
    """LibreOffice prints the workbook to PDF: each 评分标准 and 检查内容 text is there whole, nothing cut by a row."""
    hall = make_halls({"广东": 1}, level=2)[0]
    [path] = write_templates([hall], standard, tmp_path / "templates", YEAR, CREATED)
    out = tmp_path / "pdf"
    done = subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                           "--norestore", "--convert-to", "pdf", "--outdir", str(out), str(path)],
                          capture_output=True, text=True, timeout=300)
    pdf = out / (path.stem + ".pdf")
    assert done.returncode == 0 and pdf.exists(), done.stderr[-2000:]
    shutil.copy(pdf, Path(__file__).resolve().parent.parent / "build" / "workbook.pdf") if (
        Path(__file__).resolve().parent.parent / "build").is_dir() else None
    columns = _pdf_columns(pdf, ("检查内容", "评分标准", "分值"))
    missing = [item.id for item in standard.items
               if "".join(item.text.split()) not in columns["检查内容"]
               or "".join(item.guidance.split()) not in columns["评分标准"]]
    assert not missing, missing
    # Whole in the text is not whole on paper: a last line cut at the cell's edge is still in the PDF's text.
    # Every line of 检查内容 and 评分标准 must end above the next item's row.
    assert not _overflowing(pdf), _overflowing(pdf)[:5]
    flat = "".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    for label in ("检查人签字", "营业厅负责人签字"):
        assert label in flat
    # The guide's lines stay inside the page: line 1 ends before 2. starts on the next printed line.
    guide = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout
    widest = max(len(line.rstrip()) for line in guide.splitlines())
    assert widest <= 100, widest


def _overflowing(pdf: Path) -> list[tuple]:
    """Words of the 检查内容 and 评分标准 columns that reach into the next item's row: (item, word, bottom, next)."""
    import xml.etree.ElementTree as ET

    xhtml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    bad = []
    for page in ET.fromstring(xhtml).iterfind(".//h:page", ns):
        words = [(float(w.get("yMin")), float(w.get("yMax")), float(w.get("xMin")), w.text or "")
                 for w in page.iterfind("h:word", ns)]
        starts = {t: x for _, _, x, t in words if t in ("检查内容", "分值")}
        if len(starts) != 2:
            continue
        ids = sorted((y, t) for y, _, x, t in words if re.fullmatch(r"[A-Z]\d\d", t) and x < starts["检查内容"])
        for top, bottom, x, text in words:
            if not starts["检查内容"] - 2 <= x < starts["分值"] - 2 or not ids or top < ids[0][0] - 1:
                continue
            below = [i for i in ids if i[0] > top + 1]
            own = [i for i in ids if i[0] <= top + 1]
            if below and bottom > below[0][0] - 0.5:
                bad.append((own[-1][1] if own else "?", text, bottom, below[0][1]))
    return bad


def _pdf_columns(pdf: Path, headers: tuple[str, ...]) -> dict[str, str]:
    """The text of each table column of the 检查表 pages, top to bottom, whitespace removed.

    A column runs from its header word's left edge to the next header's; words come from ``pdftotext -bbox``.
    """
    import xml.etree.ElementTree as ET

    xhtml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    out = {h: "" for h in headers[:-1]}
    for page in ET.fromstring(xhtml).iterfind(".//h:page", ns):
        words = [(float(w.get("yMin")), float(w.get("xMin")), w.text or "") for w in page.iterfind("h:word", ns)]
        starts = {text: x for y, x, text in words if text in headers}
        if len(starts) != len(headers):
            continue  # not a 检查表 page
        for here, after in zip(headers, headers[1:]):
            left, right = starts[here] - 2, starts[after] - 2
            head_y = min(y for y, x, text in words if text == here)
            # Lines of one cell share a y; rows come in order. Round y so a line's words sort left to right.
            cells = sorted((round(y), x, t) for y, x, t in words if left <= x < right and y > head_y + 1)
            out[here] += "".join(t for _, _, t in cells)
    return {h: "".join(v.split()) for h, v in out.items()}
