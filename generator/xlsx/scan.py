"""The fast reader's scanner: one worksheet's rows read with regular expressions over its XML text, for the plain
layout every producer we know writes; anything else is left to the expat parser (:class:`SheetParser`)."""

from __future__ import annotations

import html
import itertools
import re
from datetime import datetime
from xml.parsers import expat

from generator.xlsx.bounds import Budget, SheetTooLarge, Unsupported
from generator.xlsx.sheet_parser import CellXml, SheetParser
from generator.xlsx.xml import MAIN, Attrs, Row, column_number

# The scanner: regular expressions over the sheet XML, much faster than expat callbacks. It takes
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


def _attrs(text: str) -> Attrs:
    if "'" in text:
        raise Unsupported("single-quoted attribute")
    return {k: _xml_text(v) for k, v in _ATTR_RE.findall(text)}


# One token per <row ...> or <c ...>...</c>; the common cell shapes get their own branches so that the lazy
# catch-all (slow in Python's re) runs only for formulas and other rare shapes.
_TOKEN = re.compile(
    r'<c r="([A-Z]{1,3})(\d+)"((?:\s+[\w:]+="[^"]*")*)\s*'
    r'(?:/>|>(?:(<v>[^<]*</v>)|(<is><t>[^<]*</t></is>)|(.*?))</c>)'
    r'|<row\b([^>]*?)/?>', re.S)
_ROW_R = re.compile(r'\br="(\d+)"')

# Rows already scanned, by their XML text: returns from one template repeat almost every row (a year's returns
# have few distinct row texts). A row's value depends on its text and on the context below; rows whose
# value depends on more (shared strings, shared formulas, a row number counted from the row before) are never
# kept. Bounded: cleared when full, the common rows come back at once.
# A row as scanned: its number, its values, how many cells it has, and whether that depends on its text alone.
ScannedRow = tuple[int, tuple[object, ...], int, bool]
KnownRow = tuple[int, tuple[object, ...], int]  # a row remembered: its number, values and cell count
# The context a remembered row's value depends on besides its text: date and duration styles, epoch, bounds.
RowContext = tuple[tuple[int, ...], tuple[int, ...], datetime, int, int]
ROW_MEMO: dict[RowContext, dict[str, KnownRow]] = {}
_ROW_MEMO_MAX = 4_000  # well above a template's common rows; the rows of one return only are few


def scan_sheet(xml: bytes, strings: list[str], date_styles: set[int], td_styles: set[int], epoch: datetime,
               budget: Budget) -> list[Row] | None:
    """The sheet's rows, or None when its layout is not the scanner's (the expat parser then reads it)."""
    text = xml.decode("utf-8")
    if "<![CDATA[" in text or 'xmlns="' + MAIN + '"' not in text:
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


def _scan_rows(xml: bytes, text: str, span: tuple[int, int], strings: list[str], date_styles: set[int],
               td_styles: set[int], epoch: datetime, budget: Budget) -> list[Row] | None:
    body = text[span[0]:span[1]]
    if "<!--" in body or "<?" in body:
        return None  # a comment or instruction could hide a cell the counts below would take as read
    # Single-quoted attributes are rare and left to expat; an apostrophe in text (a formula's '加分扣分'!H2,
    # which every return's scoring sheet has) is not one. Only <row>, <c> and <f> attributes are read here.
    pieces = body.split("<row")  # one row per piece (a token never crosses a row in well-formed XML)
    cells_seen = 0
    memo = _row_memo((tuple(sorted(date_styles)), tuple(sorted(td_styles)), epoch, budget.max_rows, budget.max_cols))
    scan = _RowScanner(strings, date_styles, td_styles, epoch, budget)
    rows: list[Row] = []
    row_no = 0
    unchecked: list[str] = [pieces[0]]  # rows not seen before, checked for well-formedness below
    learnt: list[tuple[str, KnownRow]] = []
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
            raise Unsupported("rows out of order")
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


def _row_memo(context: RowContext) -> dict[str, KnownRow]:
    """The rows remembered for ``context``, a new empty memo when there are none."""
    memo = ROW_MEMO.get(context)
    if memo is None:
        if len(ROW_MEMO) >= 8:  # a run sees one or two stylesheets
            ROW_MEMO.clear()
        memo = ROW_MEMO[context] = {}
    return memo


# Texts known well formed: a sheet's head (up to <sheetData>) and the elements after its rows.
_HEADS: set[str] = set()
_PARTS_AFTER: set[str] = set()
_AFTER_ROWS = re.compile(  # where a worksheet's children after <sheetData> start (CT_Worksheet's sequence)
    r"<(?:sheetCalcPr|sheetProtection|protectedRanges|scenarios|autoFilter|sortState|dataConsolidate|"
    r"customSheetViews|mergeCells|phoneticPr|conditionalFormatting|dataValidations|hyperlinks|printOptions|"
    r"pageMargins|pageSetup|headerFooter|rowBreaks|colBreaks|customProperties|cellWatches|ignoredErrors|"
    r"smartTags|drawing|legacyDrawing|legacyDrawingHF|picture|oleObjects|controls|webPublishItems|tableParts|"
    r"extLst)[\s/>]")  # a literal "<" first: the engine skips to each "<" (a lookahead first is slower)
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

    def __init__(self, strings: list[str], date_styles: set[int], td_styles: set[int], epoch: datetime,
                 budget: Budget) -> None:
        self.strings, self.date_styles, self.budget = strings, date_styles, budget
        self.parser = SheetParser(strings, date_styles, td_styles, epoch, budget)
        self.kinds: dict[str, tuple[str, int]] = {}  # attribute text → (type, style): a sheet has few distinct ones

    def row(self, text: str, prev_row_no: int) -> ScannedRow | None:
        """``(row number, row values, cells, whether the result depends on the text alone)`` or None."""
        budget, strings, date_styles, kinds = self.budget, self.strings, self.date_styles, self.kinds
        # finditer, not findall: a row of a million cells must not become a million tuples before the limit.
        tokens = _TOKEN.finditer(text)
        first = next(tokens, None)
        if first is None or first[1] is not None or "'" in first[7]:  # not a <row>, or not the scanner's layout
            return None
        row_no = int(r[1]) if (r := _ROW_R.search(first[7])) else prev_row_no + 1
        budget.row(row_no)
        row_tag = str(row_no)
        cols: list[int] = []
        values: list[object] = []
        for match in tokens:
            letters, row_ref, attr_text, v, inline, other, row_attrs = match.groups(default="")
            if not letters or row_ref != row_tag:  # a second <row> cannot be in one piece: not our layout
                return None
            kind = kinds.get(attr_text) or self._kind(attr_text)
            if kind is None:
                return None
            t, s = kind
            col = ord(letters) - 64 if len(letters) == 1 else column_number(letters)
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
                    value = self.parser.cell_value({"t": t, "s": s, "v": _xml_text(v), "f_attrs": None})
            elif inline:
                value = _xml_text(inline[7:-9]) if t == "inlineStr" else None
            elif other:
                value = self._other_value(t, s, letters + row_ref, other)
                if value is _NOT_OURS:
                    return None
            else:
                value = None
            cols.append(col)
            values.append(value)
        keep = r is not None and 't="s"' not in text and "shared" not in text
        return row_no, _row_values(cols, values), len(cols), keep

    def _kind(self, attr_text: str) -> tuple[str, int] | None:
        """A cell's (type, style) from its attributes' text, remembered; None when not the scanner's layout."""
        if "'" in attr_text:
            return None
        attrs = _attrs(attr_text)
        if set(attrs) - {"s", "t"}:
            return None
        kind = self.kinds[attr_text] = (attrs.get("t", "n"), int(attrs.get("s") or 0))  # s="" is 0, as openpyxl
        return kind

    def _other_value(self, t: str, s: int, ref: str, other: str) -> object:
        """The value of a cell of the rarer shapes (a formula, <v> beside <is> …); _NOT_OURS when the scanner
        cannot say it."""
        full = _INNER.fullmatch(other)
        if full is None or (full[1] is not None and "'" in full[1]):
            return _NOT_OURS
        cell: CellXml = {"t": t, "s": s, "ref": ref,
                         "f": None if full[2] is None else _xml_text(full[2]),
                         "f_attrs": None if full[1] is None else _attrs(full[1]),
                         "v": None if full[3] is None else _xml_text(full[3]), "is": None}
        if full[4] is not None:
            plain = _PLAIN_T.fullmatch(full[4])
            if plain is None:
                return _NOT_OURS  # rich text: the expat parser knows which runs count
            cell["is"] = _xml_text(plain[1] or "")
        return self.parser.cell_value(cell)


_NOT_OURS = object()  # a cell the scanner does not read (the whole sheet then goes to the expat parser)


def _row_values(cols: list[int], values: list[object]) -> tuple[object, ...]:
    """The row's values by column, None where it has no cell, from its cells' columns and values in order."""
    row: list[object] = [None] * (cols[-1] if cols else 0)
    for col, value in zip(cols, values):
        if col > len(row):
            raise Unsupported("cells out of order")
        row[col - 1] = value
    return tuple(row)


_INNER = re.compile(r"\s*(?:<f\b([^>]*?)(?:/>|>(.*?)</f>)\s*)?(?:<v>(.*?)</v>\s*|<v\s*/>\s*)?(?:<is>(.*?)</is>\s*)?", re.S)

