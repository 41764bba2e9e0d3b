"""Read a returned workbook into plain grids of cell values.

Formulas come back as their text (starting with ``=``) and cached values are never used: a return saved by
openpyxl has none, and a cached value can disagree with what the inspector typed. Sheet ``dimension`` tags are
ignored, since Excel, WPS and some mail gateways write wrong ones.

The fast path (:mod:`generator.xlsx`, five to seven times faster than openpyxl, which matters at 20,000 returns
a year) gives exactly what openpyxl's read-only mode gives: the same rows, the same int/float split, shared and
inline strings, dates for cells with a date number format. Anything it does not expect (an odd package layout,
strict OOXML, a broken zip or XML) goes to openpyxl, whose error, if any, is what the caller sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .xlsx import read_sheets


@dataclass
class Grid:
    """The cells of one sheet: ``rows[r][c]`` with 0-based indexes, ragged rows allowed."""

    rows: list[list] = field(default_factory=list)

    def value(self, row: int, col: int):
        """Cell value by 1-based row and column, None when outside the data."""
        if 1 <= row <= len(self.rows):
            cells = self.rows[row - 1]
            if 1 <= col <= len(cells):
                return cells[col - 1]
        return None


def read_grids(path) -> dict[str, Grid]:
    """Every sheet of the workbook at ``path`` as a :class:`Grid`, keyed by sheet name."""
    try:
        return read_grids_fast(path)
    except Exception:  # anything unexpected: openpyxl decides, and its error is the one reported
        return read_grids_openpyxl(path)


def read_grids_fast(path) -> dict[str, Grid]:
    """The fast path alone (:mod:`generator.xlsx`); raises on anything it does not handle."""
    return {name: Grid(rows) for name, rows in read_sheets(path).items()}


def read_grids_openpyxl(path) -> dict[str, Grid]:
    """The reference reader: openpyxl in read-only mode, formulas as text."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    try:
        grids = {}
        for ws in wb.worksheets:
            ws.reset_dimensions()
            grids[ws.title] = Grid([[_formula_text(v) for v in row] for row in ws.iter_rows(values_only=True)])
        return grids
    finally:
        wb.close()


def _formula_text(value):
    # openpyxl gives array formulas as objects; intake wants every formula as "=..." text.
    text = getattr(value, "text", None)
    return text if isinstance(text, str) and type(value).__name__ == "ArrayFormula" else value


