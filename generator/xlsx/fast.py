"""The fast path of :mod:`generator.xlsx.reader`: a .xlsx package read with zipfile, regular expressions and expat.

Sheets come back as plain rows (lists of values), cell for cell what openpyxl's read-only worksheet gives after
``reset_dimensions()``: a row per row number up to the last one present, each as wide as its last cell. Formulas
are ``"=..."`` text; cached values are never looked at. Every rule follows openpyxl's WorkSheetParser, and
tests/test_reader.py holds the two side by side.

This module reads the package (workbook, relationships, shared strings, date styles) and hands each worksheet to
the scanner (:mod:`generator.xlsx.scan`), or to the expat parser (:mod:`generator.xlsx.sheet_parser`) when the
scanner does not take its layout. Returns made from one template repeat most of their bytes, so work is
remembered across files of one process by the exact text it was done on: a part's parse here, a row's values
and the well-formedness of a sheet's head, rows and later elements (each on its own) in the scanner. Nothing is
remembered by a digest or a name; a text seen for the first time is read in full.
"""

from __future__ import annotations

import posixpath
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from openpyxl import Workbook
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

from generator.xlsx.bounds import Budget, SheetTooLarge, Unsupported
from generator.xlsx.scan import scan_sheet
from generator.xlsx.sheet_parser import SheetParser
from generator.xlsx.xml import MAIN, PKG_REL, REL, SEP, Attrs, Row, TextCollector, parse_xml

P = ParamSpec("P")
R = TypeVar("R")

_WORKSHEET_TYPE = REL + "/worksheet"


def _memo(func: Callable[P, R]) -> Callable[P, R]:
    """Remember the parse of a part by its bytes: returns from one template share their workbook, rels and styles."""
    memo: dict[tuple[object, ...], R] = {}

    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:  # called with positional arguments only
        key = args
        if key not in memo:
            if len(memo) > 64:
                memo.clear()
            memo[key] = func(*args, **kwargs)
        return memo[key]

    return wrapper


class _Unzipped:
    """A zip whose parts already unzipped (by the container check) are taken from memory.

    When the sizes of all its parts are known too (container.Parts), the zip itself is opened only if a part
    that was not kept is asked for."""

    def __init__(self, path: str | Path, parts: dict[str, bytes]) -> None:
        self.path, self.parts = path, parts
        self.sizes: dict[str, int] | None = getattr(parts, "sizes", None)
        self.zf: zipfile.ZipFile | None = None

    def _zip(self) -> zipfile.ZipFile:
        if self.zf is None:
            self.zf = zipfile.ZipFile(self.path)
        return self.zf

    def close(self) -> None:
        if self.zf is not None:
            self.zf.close()

    def namelist(self) -> list[str]:
        return list(self.sizes) if self.sizes is not None else self._zip().namelist()

    def file_size(self, name: str) -> int:
        return self.sizes[name] if self.sizes is not None else self._zip().getinfo(name).file_size

    def read(self, name: str) -> bytes:
        data = self.parts.get(name)
        return self._zip().read(name) if data is None else data


def read_sheets(path: str | Path, budget: Budget | None = None,
                parts: dict[str, bytes] | None = None) -> dict[str, list[Row]]:
    """Every worksheet's rows by sheet name; raises on anything this module does not handle.

    Raises :class:`SheetTooLarge` as soon as ``budget`` is exceeded. ``parts``: XML parts of this file already
    unzipped, by name (container.inspect_container), read from there instead of the zip.
    """
    budget = budget or Budget()
    zf = _Unzipped(path, parts or {})
    try:
        return _read_sheets(zf, budget)
    finally:
        zf.close()


def _read_sheets(zf: _Unzipped, budget: Budget) -> dict[str, list[Row]]:
    names = set(zf.namelist())
    wb_part = _workbook_part(zf, names)
    sheets, date1904 = _sheets(zf.read(wb_part))
    rels = _rels(zf, _rels_path(wb_part), posixpath.dirname(wb_part), names)
    strings_part: str | None = None
    for target, kind in rels.values():
        if kind.endswith("/sharedStrings"):
            strings_part = target
    budget.sheet = "sharedStrings"
    if strings_part in names and zf.file_size(strings_part) > budget.max_part_bytes:
        raise SheetTooLarge("sharedStrings", "bytes", zf.file_size(strings_part), budget.max_part_bytes)
    strings = _shared_strings(zf.read(strings_part), budget) if strings_part in names else []
    # openpyxl reads the stylesheet from xl/styles.xml and nowhere else, whatever the relationships say;
    # a package without one (or with it elsewhere) has no date formats for it, and so none here.
    styles_part = "xl/styles.xml"
    date_styles, td_styles = _date_styles(zf.read(styles_part)) if styles_part in names else (set(), set())
    epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
    grids: dict[str, list[Row]] = {}
    for title, rid in sheets:
        target, kind = rels[rid]
        if kind != _WORKSHEET_TYPE:
            if kind.endswith("/chartsheet"):
                continue  # openpyxl's worksheets leave chartsheets out too
            raise Unsupported(kind)
        budget.sheet, spent = title, budget.cells
        size = zf.file_size(target)
        if size > budget.max_part_bytes:  # known from the zip directory: refused before a byte is inflated
            raise SheetTooLarge(title, "bytes", size, budget.max_part_bytes)
        xml = zf.read(target)
        grid = scan_sheet(xml, strings, date_styles, td_styles, epoch, budget)
        if grid is None:  # a layout the scanner does not take: parse it properly
            budget.cells = spent
            grid = SheetParser(strings, date_styles, td_styles, epoch, budget).parse(xml)
        grids[title] = grid
    return grids


def _workbook_part(zf: _Unzipped, names: set[str]) -> str:
    root_rels = _rels(zf, "_rels/.rels", "", names)
    for target, kind in root_rels.values():
        if kind.endswith("/officeDocument"):
            return target
    raise Unsupported("no officeDocument")


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _rels(zf: _Unzipped, rels_part: str, base: str, names: set[str]) -> dict[str, tuple[str, str]]:
    """Relationship id → (part name inside the zip, type)."""
    if rels_part not in names:
        raise Unsupported(rels_part)
    return _parse_rels(zf.read(rels_part), base)


@_memo
def _parse_rels(xml: bytes, base: str) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}

    def start(tag: str, attrs: Attrs) -> None:
        if tag == PKG_REL + SEP + "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs["Target"]
            target = target[1:] if target.startswith("/") else posixpath.join(base, target)
            found[attrs["Id"]] = (posixpath.normpath(target), attrs["Type"])

    parse_xml(xml, start)
    return found


@_memo
def _sheets(xml: bytes) -> tuple[list[tuple[str, str]], bool]:
    sheets: list[tuple[str, str]] = []
    date1904 = [False]

    def start(tag: str, attrs: Attrs) -> None:
        if tag == MAIN + SEP + "sheet":
            sheets.append((attrs["name"], attrs[REL + SEP + "id"]))
        elif tag == MAIN + SEP + "workbookPr":
            date1904[0] = attrs.get("date1904", "false").lower() in ("1", "true")
        elif tag.startswith("http://purl.oclc.org/ooxml/"):
            raise Unsupported("strict OOXML")

    parse_xml(xml, start)
    return sheets, date1904[0]


def _shared_strings(xml: bytes, budget: Budget) -> list[str]:
    strings: list[str] = []
    text = TextCollector()
    inside = [False]
    si = TextCollector.SI

    def start(tag: str, attrs: Attrs) -> None:
        if tag == si:
            inside[0] = True
            text.reset()
        if inside[0]:
            text.start(tag)

    def end(tag: str) -> None:
        if inside[0]:
            text.end(tag)
        if tag == si:
            inside[0] = False
            if len(strings) >= budget.max_cells:
                raise SheetTooLarge("sharedStrings", "strings", len(strings) + 1, budget.max_cells)
            strings.append(text.content().replace("x005F_", ""))  # as openpyxl's read_string_table does

    def chars(data: str) -> None:
        if inside[0]:
            text.chars(data)

    parse_xml(xml, start, end, chars)
    return strings


@_memo
def _date_styles(xml: bytes) -> tuple[set[int], set[int]]:
    """Indexes of cell formats (``s`` attribute) that show a date, and those that show a duration.

    A stylesheet openpyxl cannot apply (a cell style naming a missing cellStyleXfs entry, say) is not read here
    either: the file goes to openpyxl, whose error is the one reported. Memoised, so this costs once per stylesheet.
    """
    _openpyxl_applies(xml)

    custom: dict[int, str] = {}
    xf_formats: list[int] = []
    in_cellxfs = [False]

    def start(tag: str, attrs: Attrs) -> None:
        local = tag.rpartition(SEP)[2]
        if local == "numFmt":
            custom[int(attrs["numFmtId"])] = attrs.get("formatCode", "")
        elif local == "cellXfs":
            in_cellxfs[0] = True
        elif local == "xf" and in_cellxfs[0]:
            xf_formats.append(int(attrs.get("numFmtId", 0)))

    def end(tag: str) -> None:
        if tag.endswith(SEP + "cellXfs"):
            in_cellxfs[0] = False

    parse_xml(xml, start, end)
    dates: set[int] = set()
    durations: set[int] = set()
    for index, fmt_id in enumerate(xf_formats):
        code = custom.get(fmt_id) or BUILTIN_FORMATS.get(fmt_id) or "General"
        if is_date_format(code):
            dates.add(index)
            if is_timedelta_format(code):
                durations.add(index)
    return dates, durations


class _OnePart:
    """The one part openpyxl's apply_stylesheet reads from the "archive" it is given."""

    def __init__(self, xml: bytes) -> None:
        self.xml = xml

    def read(self, name: str) -> bytes:
        return self.xml


def _openpyxl_applies(xml: bytes) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no default style" and the like: openpyxl's notes, not ours
            apply_stylesheet(_OnePart(xml), Workbook())
    except Exception as exc:
        raise Unsupported(f"stylesheet: {type(exc).__name__}") from exc

