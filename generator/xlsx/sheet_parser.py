"""One worksheet's XML parsed with expat into rows, cell for cell as openpyxl's WorkSheetParser reads it: the
fast reader's parser for any layout its scanner (:mod:`generator.xlsx.scan`) does not take."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from openpyxl.formula.translate import Translator
from openpyxl.utils.datetime import from_excel, from_ISO8601

from generator.xlsx.bounds import Budget, Unsupported
from generator.xlsx.xml import CELL_REF, MAIN, SEP, Attrs, Row, TextCollector, column_number, parse_xml

# One <c> as read so far: its type (t) and style (s) attributes, the text of its <v>, <f> (and <f>'s attributes)
# and <is>, and its reference. The scanner builds the same shape for the cells it hands over.
CellXml = TypedDict("CellXml", {"t": str, "s": int, "v": str | None, "f": str | None, "f_attrs": Attrs | None,
                                "in_is": bool, "is": str | None, "ref": str | None}, total=False)


class SheetParser:
    """One worksheet's <sheetData> into rows, following openpyxl's WorkSheetParser cell by cell."""

    ROW, C, V, F, IS = (MAIN + SEP + n for n in ("row", "c", "v", "f", "is"))

    def __init__(self, strings: list[str], date_styles: set[int], td_styles: set[int], epoch: datetime,
                 budget: Budget | None = None) -> None:
        self.strings, self.date_styles, self.td_styles, self.epoch = strings, date_styles, td_styles, epoch
        self.budget = budget or Budget()
        self.rows: list[Row] = []
        self.row_no = 0
        self.cells: list[tuple[int, object]] | None = None
        self.col_no = 0
        self.cell: CellXml | None = None
        self.text = TextCollector()
        self.buf: list[str] | None = None
        self.shared_formulae: dict[str | None, Translator] = {}

    def parse(self, xml: bytes) -> list[Row]:
        parse_xml(xml, self.start, self.end, self.chars)
        return self.rows

    def start(self, tag: str, attrs: Attrs) -> None:
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
                m = CELL_REF.match(ref)
                if m is None:
                    raise Unsupported(ref)
                self.col_no = column_number(m[1])
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

    def chars(self, data: str) -> None:
        if self.buf is not None:
            self.buf.append(data)
        elif self.cell is not None and self.cell["in_is"]:
            self.text.chars(data)

    def end(self, tag: str) -> None:
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
                    raise Unsupported("cell outside a row")
                self.cells.append((self.col_no, self.cell_value(cell)))
                self.cell = None
        elif tag == self.ROW:
            self._flush_row()

    def _flush_row(self) -> None:
        # openpyxl yields an empty row for each row number skipped, and a row as wide as its last cell.
        while len(self.rows) < self.row_no - 1:
            self.rows.append([])
        if len(self.rows) >= self.row_no:
            raise Unsupported("rows out of order")
        cells = self.cells or []
        width = cells[-1][0] if cells else 0
        row: list[object] = [None] * width
        for col, value in cells:
            if col > width:
                raise Unsupported("cells out of order")
            row[col - 1] = value
        self.rows.append(row)
        self.cells = None

    def cell_value(self, cell: CellXml) -> object:
        """The value openpyxl gives the cell: a formula as its text, a date-formatted number as a date."""
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
        raise Unsupported(kind)

    def _formula(self, cell: CellXml) -> str:
        attrs = cell["f_attrs"] or {}
        value = "=" + (cell["f"] or "")
        kind = attrs.get("t")
        if kind == "shared":
            idx = attrs.get("si")
            if idx in self.shared_formulae:
                translated: str = self.shared_formulae[idx].translate_formula(cell["ref"])
                return translated
            if cell["f"]:
                self.shared_formulae[idx] = Translator(value, cell["ref"])
        return value

