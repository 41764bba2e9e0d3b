"""The fast path of :mod:`generator.reader`: a .xlsx package read with zipfile, regular expressions and expat.

Sheets come back as plain rows (lists of values), cell for cell what openpyxl's read-only worksheet gives after
``reset_dimensions()``: a row per row number up to the last one present, each as wide as its last cell. Formulas
are ``"=..."`` text; cached values are never looked at. Every rule here follows openpyxl's WorkSheetParser, and
tests/test_reader.py holds the two side by side.

Returns made from one template repeat most of their bytes, so work is remembered across files of one process by
the exact text it was done on: a row's values, the well-formedness of a sheet's head, rows and later elements
(each on its own). Nothing is remembered by a digest or a name; a text seen for the first time is read in full.
"""

from __future__ import annotations

import html
import itertools
import posixpath
import re
import warnings
import zipfile
from xml.parsers import expat

from openpyxl import Workbook
from openpyxl.formula.translate import Translator
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601


class _Unsupported(Exception):
    """The fast path does not handle this file; openpyxl will."""


class SheetTooLarge(Exception):
    """A sheet holds more rows, columns or cells than any return can: reading stops at once (not handed on)."""

    SAID = {"rows": "行数", "columns": "列数", "cells": "单元格数", "strings": "共享字符串数", "bytes": "解压后大小(字节)"}

    def __init__(self, sheet: str, what: str, found: int, limit: int):
        super().__init__(f"{sheet}: {what} {found} > {limit}")
        self.sheet, self.what, self.found, self.limit = sheet, what, found, limit

    @property
    def what_said(self) -> str:
        """What was too large, as a user reads it."""
        return self.SAID.get(self.what, self.what)


class Budget:
    """Bounds on what one file may make us hold: rows and columns per sheet, cells (and strings) per file.

    Checked while streaming, so a sheet that claims a million rows or a cell in column XFD costs no memory.
    """

    def __init__(self, max_rows: int = 5_000, max_cols: int = 200, max_cells: int = 200_000,
                 max_part_bytes: int = 16 * 1024 * 1024):
        self.max_rows, self.max_cols, self.max_cells = max_rows, max_cols, max_cells
        self.max_part_bytes = max_part_bytes
        self.cells = 0
        self.sheet = ""

    def row(self, row_no: int) -> None:
        if row_no > self.max_rows:
            raise SheetTooLarge(self.sheet, "rows", row_no, self.max_rows)

    def col(self, col_no: int) -> None:
        if col_no > self.max_cols:
            raise SheetTooLarge(self.sheet, "columns", col_no, self.max_cols)

    def add(self, n: int = 1) -> None:
        self.cells += n
        if self.cells > self.max_cells:
            raise SheetTooLarge(self.sheet, "cells", self.cells, self.max_cells)


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_WORKSHEET_TYPE = _REL + "/worksheet"
_SEP = "}"


def _memo(func):
    """Remember the parse of a part by its bytes: returns from one template share their workbook, rels and styles."""
    memo: dict = {}

    def wrapper(*args):
        key = args
        if key not in memo:
            if len(memo) > 64:
                memo.clear()
            memo[key] = func(*args)
        return memo[key]

    return wrapper


class _Unzipped:
    """A zip whose parts already unzipped (by the container check) are taken from memory.

    When the sizes of all its parts are known too (container.Parts), the zip itself is opened only if a part
    that was not kept is asked for."""

    def __init__(self, path, parts: dict[str, bytes]):
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


def read_sheets(path, budget: Budget | None = None, parts: dict[str, bytes] | None = None) -> dict[str, list[list]]:
    """Every worksheet's rows by sheet name; raises on anything this module does not handle.

    Raises :class:`SheetTooLarge` as soon as ``budget`` is exceeded. ``parts``: XML parts of this file already
    unzipped, by name (container.check_container), read from there instead of the zip.
    """
    budget = budget or Budget()
    zf = _Unzipped(path, parts or {})
    try:
        return _read_sheets(zf, budget)
    finally:
        zf.close()


def _read_sheets(zf: _Unzipped, budget: Budget) -> dict[str, list[list]]:
    names = set(zf.namelist())
    wb_part = _workbook_part(zf, names)
    sheets, date1904 = _sheets(zf.read(wb_part))
    rels = _rels(zf, _rels_path(wb_part), posixpath.dirname(wb_part), names)
    strings_part = None
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
    grids = {}
    for title, rid in sheets:
        target, kind = rels[rid]
        if kind != _WORKSHEET_TYPE:
            if kind.endswith("/chartsheet"):
                continue  # openpyxl's worksheets leave chartsheets out too
            raise _Unsupported(kind)
        budget.sheet, spent = title, budget.cells
        size = zf.file_size(target)
        if size > budget.max_part_bytes:  # known from the zip directory: refused before a byte is inflated
            raise SheetTooLarge(title, "bytes", size, budget.max_part_bytes)
        xml = zf.read(target)
        grid = _scan_sheet(xml, strings, date_styles, td_styles, epoch, budget)
        if grid is None:  # a layout the scanner does not take: parse it properly
            budget.cells = spent
            grid = _SheetParser(strings, date_styles, td_styles, epoch, budget).parse(xml)
        grids[title] = grid
    return grids


def _workbook_part(zf, names) -> str:
    root_rels = _rels(zf, "_rels/.rels", "", names)
    for target, kind in root_rels.values():
        if kind.endswith("/officeDocument"):
            return target
    raise _Unsupported("no officeDocument")


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _rels(zf, rels_part: str, base: str, names) -> dict[str, tuple[str, str]]:
    """Relationship id → (part name inside the zip, type)."""
    if rels_part not in names:
        raise _Unsupported(rels_part)
    return _parse_rels(zf.read(rels_part), base)


@_memo
def _parse_rels(xml: bytes, base: str) -> dict[str, tuple[str, str]]:
    found = {}

    def start(tag, attrs):
        if tag == _PKG_REL + _SEP + "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs["Target"]
            target = target[1:] if target.startswith("/") else posixpath.join(base, target)
            found[attrs["Id"]] = (posixpath.normpath(target), attrs["Type"])

    _parse(xml, start)
    return found


@_memo
def _sheets(xml: bytes) -> tuple[list[tuple[str, str]], bool]:
    sheets: list[tuple[str, str]] = []
    date1904 = [False]

    def start(tag, attrs):
        if tag == _MAIN + _SEP + "sheet":
            sheets.append((attrs["name"], attrs[_REL + _SEP + "id"]))
        elif tag == _MAIN + _SEP + "workbookPr":
            date1904[0] = attrs.get("date1904", "false").lower() in ("1", "true")
        elif tag.startswith("http://purl.oclc.org/ooxml/"):
            raise _Unsupported("strict OOXML")

    _parse(xml, start)
    return sheets, date1904[0]


def _parse(xml: bytes, start, end=None, chars=None) -> None:
    parser = expat.ParserCreate(namespace_separator=_SEP)
    parser.buffer_text = True
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if chars is not None:
        parser.CharacterDataHandler = chars
    parser.Parse(xml, True)


class _TextCollector:
    """Plain text of an <si> or <is> element the way openpyxl's Text.content gives it.

    The <t> directly under the element comes first, then the <t> of each run; phonetic runs (<rPh>) are left out.
    """

    SI, IS, T, R, RPH = (_MAIN + _SEP + n for n in ("si", "is", "t", "r", "rPh"))

    def __init__(self):
        self.plain: str | None = None
        self.runs: list[str] = []
        self.path: list[str] = []
        self.buf: list[str] | None = None

    def reset(self):
        self.plain, self.runs, self.path, self.buf = None, [], [], None

    def start(self, tag):
        self.path.append(tag)
        if tag == self.T:
            self.buf = []

    def end(self, tag):
        self.path.pop()
        if tag == self.T and self.buf is not None and self.RPH in self.path:
            self.buf = None  # a phonetic run's text (even inside its own <r>) is not part of the string
            return
        if tag == self.T and self.buf is not None:
            text = "".join(self.buf)
            parent = self.path[-1] if self.path else ""
            if parent == self.R:
                self.runs.append(text)
            elif parent in (self.SI, self.IS) and self.plain is None:
                self.plain = text
            self.buf = None

    def chars(self, data):
        if self.buf is not None:
            self.buf.append(data)

    def content(self) -> str:
        return (self.plain or "") + "".join(self.runs)


def _shared_strings(xml: bytes, budget: Budget) -> list[str]:
    strings: list[str] = []
    text = _TextCollector()
    inside = [False]
    si = _TextCollector.SI

    def start(tag, attrs):
        if tag == si:
            inside[0] = True
            text.reset()
        if inside[0]:
            text.start(tag)

    def end(tag):
        if inside[0]:
            text.end(tag)
        if tag == si:
            inside[0] = False
            if len(strings) >= budget.max_cells:
                raise SheetTooLarge("sharedStrings", "strings", len(strings) + 1, budget.max_cells)
            strings.append(text.content().replace("x005F_", ""))  # as openpyxl's read_string_table does

    def chars(data):
        if inside[0]:
            text.chars(data)

    _parse(xml, start, end, chars)
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

    def start(tag, attrs):
        local = tag.rpartition(_SEP)[2]
        if local == "numFmt":
            custom[int(attrs["numFmtId"])] = attrs.get("formatCode", "")
        elif local == "cellXfs":
            in_cellxfs[0] = True
        elif local == "xf" and in_cellxfs[0]:
            xf_formats.append(int(attrs.get("numFmtId", 0)))

    def end(tag):
        if tag.endswith(_SEP + "cellXfs"):
            in_cellxfs[0] = False

    _parse(xml, start, end)
    dates, durations = set(), set()
    for index, fmt_id in enumerate(xf_formats):
        code = custom.get(fmt_id) or BUILTIN_FORMATS.get(fmt_id) or "General"
        if is_date_format(code):
            dates.add(index)
            if is_timedelta_format(code):
                durations.add(index)
    return dates, durations


class _OnePart:
    def __init__(self, xml: bytes):
        self.xml = xml

    def read(self, name):
        return self.xml


def _openpyxl_applies(xml: bytes) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no default style" and the like: openpyxl's notes, not ours
            apply_stylesheet(_OnePart(xml), Workbook())
    except Exception as exc:
        raise _Unsupported(f"stylesheet: {type(exc).__name__}") from exc


_CELL_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


def _column(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


class _SheetParser:
    """One worksheet's <sheetData> into rows, following openpyxl's WorkSheetParser cell by cell."""

    ROW, C, V, F, IS = (_MAIN + _SEP + n for n in ("row", "c", "v", "f", "is"))

    def __init__(self, strings, date_styles, td_styles, epoch, budget: Budget | None = None):
        self.strings, self.date_styles, self.td_styles, self.epoch = strings, date_styles, td_styles, epoch
        self.budget = budget or Budget()
        self.rows: list[list] = []
        self.row_no = 0
        self.cells: list[tuple[int, object]] | None = None
        self.col_no = 0
        self.cell: dict | None = None
        self.text = _TextCollector()
        self.buf: list[str] | None = None
        self.shared_formulae: dict[str, Translator] = {}

    def parse(self, xml: bytes) -> list[list]:
        _parse(xml, self.start, self.end, self.chars)
        return self.rows

    def start(self, tag, attrs):
        cell = self.cell
        if cell is not None:
            if cell["in_is"]:
                self.text.start(tag)
            elif tag == self.V:
                self.buf = []
            elif tag == self.F:
                self.buf = []
                cell["f_attrs"] = attrs
            elif tag == self.IS:
                cell["in_is"] = True
                self.text.reset()
                self.text.start(tag)
        elif tag == self.C:
            ref = attrs.get("r")
            if ref:
                m = _CELL_REF.match(ref)
                if m is None:
                    raise _Unsupported(ref)
                self.col_no = _column(m[1])
            else:
                self.col_no += 1
            self.budget.col(self.col_no)
            self.budget.add()
            self.cell = {"t": attrs.get("t", "n"), "s": int(attrs.get("s") or 0), "v": None, "f": None,
                         "f_attrs": None, "in_is": False, "is": None, "ref": ref}
        elif tag == self.ROW:
            r = attrs.get("r")
            self.row_no = int(r) if r else self.row_no + 1
            self.budget.row(self.row_no)
            self.cells = []
            self.col_no = 0

    def chars(self, data):
        if self.buf is not None:
            self.buf.append(data)
        elif self.cell is not None and self.cell["in_is"]:
            self.text.chars(data)

    def end(self, tag):
        cell = self.cell
        if cell is not None:
            if cell["in_is"]:
                self.text.end(tag)
                if tag == self.IS:
                    cell["in_is"] = False
                    cell["is"] = self.text.content()
                return
            if tag == self.V:
                cell["v"] = "".join(self.buf or ())
                self.buf = None
            elif tag == self.F:
                cell["f"] = "".join(self.buf or ())
                self.buf = None
            elif tag == self.C:
                if self.cells is None:
                    raise _Unsupported("cell outside a row")
                self.cells.append((self.col_no, self._value(cell)))
                self.cell = None
        elif tag == self.ROW:
            self._flush_row()

    def _flush_row(self):
        # openpyxl yields an empty row for each row number skipped, and a row as wide as its last cell.
        while len(self.rows) < self.row_no - 1:
            self.rows.append([])
        if len(self.rows) >= self.row_no:
            raise _Unsupported("rows out of order")
        cells = self.cells or []
        width = cells[-1][0] if cells else 0
        row: list[object] = [None] * width
        for col, value in cells:
            if col > width:
                raise _Unsupported("cells out of order")
            row[col - 1] = value
        self.rows.append(row)
        self.cells = None

    def _value(self, cell):
        kind = cell["t"]
        if cell["f_attrs"] is not None:
            return self._formula(cell)
        if kind == "inlineStr":
            return cell["is"]
        value = cell["v"]
        if value is None:
            return None
        if kind == "n":
            number = float(value) if ("." in value or "E" in value or "e" in value) else int(value)
            if cell["s"] in self.date_styles:
                try:
                    return from_excel(number, self.epoch, timedelta=cell["s"] in self.td_styles)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "s":
            return self.strings[int(value)]
        if kind == "str" or kind == "e":
            return value
        if kind == "b":
            return bool(int(value))
        if kind == "d":
            return from_ISO8601(value)
        raise _Unsupported(kind)

    def _formula(self, cell):
        attrs = cell["f_attrs"]
        value = "=" + (cell["f"] or "")
        kind = attrs.get("t")
        if kind == "shared":
            idx = attrs.get("si")
            if idx in self.shared_formulae:
                return self.shared_formulae[idx].translate_formula(cell["ref"])
            if cell["f"]:
                self.shared_formulae[idx] = Translator(value, cell["ref"])
        return value


# The scanner: regular expressions over the sheet XML, about three times faster than expat callbacks. It takes
# only the plain layout every producer we know writes (default namespace, double-quoted attributes, children of
# <c> in schema order); it checks the XML is well formed and that it saw every <row> and <c>, else it returns None.
_SHEET_DATA = re.compile(r"<sheetData\s*>(.*)</sheetData\s*>|<sheetData\s*/>", re.S)
_ATTR_RE = re.compile(r'([\w:]+)="([^"]*)"')
_PLAIN_T = re.compile(r"\s*<t(?:\s[^>]*)?>([^<]*)</t>\s*|\s*<t(?:\s[^>]*)?/>\s*")


def _well_formed(xml: bytes) -> None:
    expat.ParserCreate().Parse(xml, True)


def _xml_text(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")  # what any XML parser does to line ends
    if "&" in text:
        text = html.unescape(text)
    return text


def _attrs(text: str) -> dict:
    if "'" in text:
        raise _Unsupported("single-quoted attribute")
    return {k: _xml_text(v) for k, v in _ATTR_RE.findall(text)}


# One token per <row ...> or <c ...>...</c>; the common cell shapes get their own branches so that the lazy
# catch-all (slow in Python's re) runs only for formulas and other rare shapes.
_TOKEN = re.compile(
    r'<c r="([A-Z]{1,3})(\d+)"((?:\s+[\w:]+="[^"]*")*)\s*'
    r'(?:/>|>(?:(<v>[^<]*</v>)|(<is><t>[^<]*</t></is>)|(.*?))</c>)'
    r'|<row\b([^>]*?)/?>', re.S)
_ROW_R = re.compile(r'\br="(\d+)"')

# Rows already scanned, by their XML text: returns from one template repeat almost every row (48,800 rows of
# 400 returns are 1,969 distinct texts). A row's value depends on its text and on the context below; rows whose
# value depends on more (shared strings, shared formulas, a row number counted from the row before) are never
# kept. Bounded: cleared when full, the common rows come back at once.
_ROW_MEMO: dict[tuple, dict[str, tuple[int, tuple, int]]] = {}
_ROW_MEMO_MAX = 4_000  # ~10 MB: a template's common rows are under a thousand; rows of one return only, ~3 each


def _scan_sheet(xml: bytes, strings, date_styles, td_styles, epoch, budget: Budget) -> list[list] | None:
    text = xml.decode("utf-8")
    if "<![CDATA[" in text or 'xmlns="' + _MAIN + '"' not in text:
        return None
    span = _sheet_data(text)
    if span is None:
        return None if "sheetData" in text else []
    if span is _EMPTY:
        _well_formed(xml)
        return []
    try:
        return _scan_rows(xml, text, span, strings, date_styles, td_styles, epoch, budget)
    except SheetTooLarge:
        _well_formed(xml)  # a sheet both broken and too large is reported as broken, as it always was
        raise


_EMPTY = (0, 0)


def _sheet_data(text: str) -> tuple[int, int] | None:
    """Where the rows are: the span of what _SHEET_DATA's group 1 matches, _EMPTY for <sheetData/>, or None."""
    start = text.find("<sheetData>")
    if start != -1 and start == text.find("<sheetData"):  # the usual spelling: no regular expression needed
        end = text.rfind("</sheetData")
        if end > start and text.startswith("</sheetData>", end):
            return start + len("<sheetData>"), end
    found = _SHEET_DATA.search(text)
    if found is None:
        return None
    return _EMPTY if found[1] is None else found.span(1)


def _scan_rows(xml, text, span, strings, date_styles, td_styles, epoch, budget: Budget) -> list[list] | None:
    body = text[span[0]:span[1]]
    if "<!--" in body or "<?" in body:
        return None  # a comment or instruction could hide a cell the counts below would take as read
    # Single-quoted attributes are rare and left to expat; an apostrophe in text (a formula's '加分扣分'!H2,
    # which every return's scoring sheet has) is not one. Only <row>, <c> and <f> attributes are read here.
    pieces = body.split("<row")  # one row per piece (a token never crosses a row in well-formed XML)
    cells_seen = 0
    context = (tuple(sorted(date_styles)), tuple(sorted(td_styles)), epoch, budget.max_rows, budget.max_cols)
    memo = _ROW_MEMO.get(context)
    if memo is None:
        if len(_ROW_MEMO) >= 8:  # a run sees one or two stylesheets
            _ROW_MEMO.clear()
        memo = _ROW_MEMO[context] = {}
    scan = _RowScanner(strings, date_styles, td_styles, epoch, budget)
    rows: list[list] = []
    row_no = 0
    unchecked: list[str] = [pieces[0]]  # rows not seen before, checked for well-formedness below
    learnt: list[tuple[str, tuple]] = []
    recall, add_row = memo.get, rows.append
    for piece in itertools.islice(pieces, 1, None):
        known = recall(piece)
        if known is not None and budget.cells + known[2] <= budget.max_cells:
            row_no, cells, n = known
            budget.cells += n  # within the bound: checked just above
        else:
            scanned = scan.row("<row" + piece, row_no)
            if scanned is None:
                return None
            row_no, cells, n, keep = scanned
            unchecked.append(piece)
            if keep:
                learnt.append((piece, (row_no, cells, n)))
        cells_seen += n
        if len(rows) >= row_no:
            raise _Unsupported("rows out of order")
        while len(rows) < row_no - 1:
            add_row([])
        add_row(list(cells))
    # Every <row> was a piece; every <c> must have been read too. One count of "<c" is an upper bound of the
    # cells ("<c " also starts <color …> in rich text): only when it disagrees are the exact spellings counted.
    if cells_seen != body.count("<c") and \
            cells_seen != body.count("<c ") + body.count("<c>") + body.count("<c/>"):
        return None
    if _check_well_formed(xml, text, span, unchecked):  # (raises if the part is not well formed)
        if len(memo) + len(learnt) > _ROW_MEMO_MAX:
            memo.clear()
        memo.update(learnt)  # only rows known well formed each on its own
    return rows


# Texts known well formed: a sheet's head (up to <sheetData>) and the elements after its rows.
_HEADS: set[str] = set()
_PARTS_AFTER: set[str] = set()
_AFTER_ROWS = re.compile(  # where a worksheet's children after <sheetData> start (CT_Worksheet's sequence)
    r"<(?:sheetCalcPr|sheetProtection|protectedRanges|scenarios|autoFilter|sortState|dataConsolidate|"
    r"customSheetViews|mergeCells|phoneticPr|conditionalFormatting|dataValidations|hyperlinks|printOptions|"
    r"pageMargins|pageSetup|headerFooter|rowBreaks|colBreaks|customProperties|cellWatches|ignoredErrors|"
    r"smartTags|drawing|legacyDrawing|legacyDrawingHF|picture|oleObjects|controls|webPublishItems|tableParts|"
    r"extLst)[\s/>]")  # a literal "<" first: the engine skips to each "<" (a lookahead first is 5× slower)
_UTF8_DECLARED = re.compile(r'<\?xml[^>]*encoding="(?i:utf-8)"')


def _check_well_formed(xml: bytes, text: str, span: tuple[int, int], unchecked: list[str]) -> bool:
    """Raise as expat does on the whole part, parsing only what was not seen well formed before.

    The part is a head (``<worksheet …>…<sheetData>``), rows, ``</sheetData>``, the elements after the rows and
    ``</worksheet>``. If the head closed by ``</sheetData></worksheet>`` is well formed, and the rows and the
    elements after them are each well formed on their own (a sequence of well-formed elements, split where an
    element starts, is well formed), the part is well formed: so a head, a row or an element already seen (the
    same text) is not parsed again. Anything that fails here, the whole part is parsed, and expat's verdict on
    it is the answer. True when the rows in ``unchecked`` were each found well formed on their own."""
    head, tail = text[:span[0]], text[span[1]:]
    after = tail.rstrip()
    try:
        if not (tail.startswith("</sheetData>") and after.endswith("</worksheet>")) or "<!--" in tail \
                or "<?" in tail or (head.startswith("<?xml") and "encoding" in head[:head.find(">")]
                                    and not _UTF8_DECLARED.match(head)):
            raise expat.ExpatError("not the usual layout")  # parsed whole below
        if head not in _HEADS:
            expat.ParserCreate().Parse((head + "</sheetData></worksheet>").encode("utf-8"), True)
            _remember(_HEADS, [head])
        rest = after[len("</sheetData>"):-len("</worksheet>")]
        cuts = [0, *(m.start() for m in _AFTER_ROWS.finditer(rest)), len(rest)]
        elements = [rest[cuts[i]:cuts[i + 1]] for i in range(len(cuts) - 1)]
        new = [e for e in elements if e not in _PARTS_AFTER]
        # Each on its own, not together: a text remembered must be well formed alone (two halves of an
        # element, each remembered, could otherwise stand in another part beside anything).
        _content_well_formed(unchecked[0])
        for piece in itertools.islice(unchecked, 1, None):
            _content_well_formed("<row" + piece)
        for element in new:
            _content_well_formed(element)
        _remember(_PARTS_AFTER, new)
    except expat.ExpatError:
        _well_formed(xml)
        return False
    return True


def _content_well_formed(text: str) -> None:
    if text:
        # Unprefixed wrapper: the parse is namespace-unaware, as _well_formed's is.
        expat.ParserCreate().Parse(("<x>" + text + "</x>").encode("utf-8"), True)


def _remember(known: set[str], texts: list[str]) -> None:
    if len(known) + len(texts) > 4096:
        known.clear()
    known.update(texts)


class _RowScanner:
    """One <row> of the scanner's layout into its cells; per sheet, since shared formulas span rows."""

    def __init__(self, strings, date_styles, td_styles, epoch, budget: Budget):
        self.strings, self.date_styles, self.budget = strings, date_styles, budget
        self.parser = _SheetParser(strings, date_styles, td_styles, epoch, budget)
        self.kinds: dict[str, tuple[str, int]] = {}  # attribute text → (type, style): a sheet has few distinct ones

    def row(self, text: str, prev_row_no: int) -> tuple[int, tuple, int, bool] | None:
        """``(row number, row values, cells, whether the result depends on the text alone)`` or None."""
        budget, strings, date_styles, kinds = self.budget, self.strings, self.date_styles, self.kinds
        # finditer, not findall: a row of a million cells must not become a million tuples before the limit.
        tokens = _TOKEN.finditer(text)
        first = next(tokens, None)
        if first is None or first[1] is not None:
            return None
        row_attrs = first[7]
        if "'" in row_attrs:
            return None
        r = _ROW_R.search(row_attrs)
        row_no = int(r[1]) if r else prev_row_no + 1
        budget.row(row_no)
        row_tag = str(row_no)
        cells: list = []
        for match in tokens:
            letters, row_ref, attr_text, v, inline, other, row_attrs = match.groups(default="")
            if not letters or row_ref != row_tag:  # a second <row> cannot be in one piece: not our layout
                return None
            kind = kinds.get(attr_text)
            if kind is None:
                if "'" in attr_text:
                    return None
                attrs = _attrs(attr_text)
                if set(attrs) - {"s", "t"}:
                    return None
                kind = kinds[attr_text] = (attrs.get("t", "n"), int(attrs.get("s") or 0))  # s="" is 0, as openpyxl
            t, s = kind
            col = ord(letters) - 64 if len(letters) == 1 else _column(letters)
            budget.col(col)
            budget.add()
            value: object
            if v:
                v = v[3:-4]
                if t == "n" and s not in date_styles:
                    value = float(v) if ("." in v or "E" in v or "e" in v) else int(v)
                elif t == "s":
                    value = strings[int(v)]
                elif t == "str":
                    value = _xml_text(v)
                else:
                    value = self.parser._value({"t": t, "s": s, "v": _xml_text(v), "f_attrs": None})
            elif inline:
                value = _xml_text(inline[7:-9]) if t == "inlineStr" else None
            elif other:
                full = _INNER.fullmatch(other)
                if full is None or (full[1] is not None and "'" in full[1]):
                    return None
                cell = {"t": t, "s": s, "ref": letters + row_ref,
                        "f": None if full[2] is None else _xml_text(full[2]),
                        "f_attrs": None if full[1] is None else _attrs(full[1]),
                        "v": None if full[3] is None else _xml_text(full[3]), "is": None}
                if full[4] is not None:
                    plain = _PLAIN_T.fullmatch(full[4])
                    if plain is None:
                        return None  # rich text: the expat parser knows which runs count
                    cell["is"] = _xml_text(plain[1] or "")
                value = self.parser._value(cell)
            else:
                value = None
            cells.append(col)
            cells.append(value)
        row: list = [None] * (cells[-2] if cells else 0)
        for i in range(0, len(cells), 2):
            if cells[i] > len(row):
                raise _Unsupported("cells out of order")
            row[cells[i] - 1] = cells[i + 1]
        keep = r is not None and 't="s"' not in text and "shared" not in text
        return row_no, tuple(row), len(cells) // 2, keep


_INNER = re.compile(r"\s*(?:<f\b([^>]*?)(?:/>|>(.*?)</f>)\s*)?(?:<v>(.*?)</v>\s*|<v\s*/>\s*)?(?:<is>(.*?)</is>\s*)?", re.S)
