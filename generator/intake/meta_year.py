"""The evaluation year the returns say they are for, read from each workbook's ``hallscore.year`` property.

``hallscore validate`` without ``--year`` checks last year's returns against the year they carry instead of
rejecting them all as template-year-mismatch. Every workbook counts, wherever it came: loose, in a zip, attached
to a mail (the same unpacking intake does), so that the year is known before anything is judged. The property mirrors ``_meta`` (forms.py writes both); only
``docProps/custom.xml`` is read, so this stays fast on thousands of files. Intake still checks ``_meta``.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

from generator.intake.discover import discover
from generator.intake.mailbox import MailInputs
from generator.rules import contract as wbk
from generator.xlsx.reader import read_grids

_YEAR = re.compile(rb'name="hallscore\.year"[^>]*>\s*<vt:lpwstr>(\d{4})</vt:lpwstr>')


def returns_year(paths: Iterable[str | Path]) -> tuple[int | None, int, int]:
    """(most common year, files carrying it, files with any year); ties go to the later year."""
    where = years_found(paths)
    if not where:
        return None, 0, 0
    year, names = max(where.items(), key=lambda kv: (len(kv[1]), kv[0]))
    return year, len(names), sum(len(n) for n in where.values())


def years_found(paths: Iterable[str | Path]) -> dict[int, list[str]]:
    """Each year the workbooks carry, with the names (as intake reports them) of the workbooks carrying it."""
    years: dict[int, list[str]] = {}
    inputs = MailInputs(discover(paths))
    try:
        for path, name in inputs.found:
            if path.suffix.lower() not in (".xlsx", ".xlsm"):
                continue
            year = _property_year(path) or _sheet_year(path)
            if year:
                years.setdefault(year, []).append(name)
    finally:
        inputs.cleanup()
    return dict(sorted(years.items()))


def _property_year(path: Path) -> int | None:
    try:
        with zipfile.ZipFile(path) as zf:
            found = _YEAR.search(zf.read("docProps/custom.xml"))
    except (OSError, KeyError, zipfile.BadZipFile, RuntimeError):
        return None
    return int(found[1]) if found else None


def _sheet_year(path: Path) -> int | None:
    """The ``_meta`` sheet's year, for a file saved by a program that dropped the custom properties."""
    try:
        grid = read_grids(path).get(wbk.SHEET_META)
    except Exception:  # noqa: BLE001 - unreadable files are intake's to report, with their code
        return None
    for row in grid.rows if grid else ():
        if len(row) >= 2 and str(row[0]) == "year" and str(row[1] or "").strip().isdigit():
            return int(str(row[1]).strip())
    return None


def templates_years(folder: str | Path) -> dict[int, list[str]]:
    """Each year the issued templates under ``folder`` carry: one workbook looked at per city zip (a zip holds one
    city's templates of one run), every loose workbook; named as the zip or the workbook."""
    years: dict[int, list[str]] = {}
    root = Path(folder)
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(root).as_posix()
        year = None
        if path.suffix.lower() == ".zip":
            try:
                with zipfile.ZipFile(path) as zf:
                    first = next((i for i in zf.infolist() if i.filename.lower().endswith(".xlsx")), None)
                    if first is not None and first.file_size < 20 * 1024 * 1024:
                        with zipfile.ZipFile(io.BytesIO(zf.read(first))) as inner:
                            found = _YEAR.search(inner.read("docProps/custom.xml"))
                            year = int(found[1]) if found else None
            except (OSError, KeyError, zipfile.BadZipFile, RuntimeError, ValueError):
                year = None
        elif path.suffix.lower() == ".xlsx":
            year = _property_year(path)
        if year:
            years.setdefault(year, []).append(name)
    return dict(sorted(years.items()))
