"""The evaluation year the returns say they are for, read from each workbook's ``hallscore.year`` property.

``hallscore validate`` without ``--year`` checks last year's returns against the year they carry instead of
rejecting them all as template-year-mismatch. The property mirrors ``_meta`` (forms.py writes both); only
``docProps/custom.xml`` is read, so this stays fast on thousands of files. Intake still checks ``_meta``.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from .intake import discover

_YEAR = re.compile(rb'name="hallscore\.year"[^>]*>\s*<vt:lpwstr>(\d{4})</vt:lpwstr>')


def returns_year(paths: Iterable[str | Path]) -> tuple[int | None, int, int]:
    """(most common year, files carrying it, files with any year); ties go to the later year."""
    years: Counter[int] = Counter()
    for path, _name in discover(paths):
        if path.suffix.lower() not in (".xlsx", ".xlsm"):
            continue
        year = _property_year(path) or _sheet_year(path)
        if year:
            years[year] += 1
    if not years:
        return None, 0, 0
    year, count = max(years.items(), key=lambda kv: (kv[1], kv[0]))
    return year, count, sum(years.values())


def _property_year(path: Path) -> int | None:
    try:
        with zipfile.ZipFile(path) as zf:
            found = _YEAR.search(zf.read("docProps/custom.xml"))
    except (OSError, KeyError, zipfile.BadZipFile, RuntimeError):
        return None
    return int(found[1]) if found else None


def _sheet_year(path: Path) -> int | None:
    """The ``_meta`` sheet's year, for a file saved by a program that dropped the custom properties."""
    from . import workbook as wbk
    from .reader import read_grids

    try:
        grid = read_grids(path).get(wbk.SHEET_META)
    except Exception:  # noqa: BLE001 - unreadable files are intake's to report, with their code
        return None
    for row in grid.rows if grid else ():
        if len(row) >= 2 and str(row[0]) == "year" and str(row[1] or "").strip().isdigit():
            return int(str(row[1]).strip())
    return None
