"""Read a returned workbook into plain grids of cell values.

Formulas come back as their text (starting with ``=``) and cached values are never used: a return saved by
openpyxl has none, and a cached value can disagree with what the inspector typed. Sheet ``dimension`` tags are
ignored, since Excel, WPS and some mail gateways write wrong ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    try:
        grids = {}
        for ws in wb.worksheets:
            ws.reset_dimensions()
            grids[ws.title] = Grid([list(row) for row in ws.iter_rows(values_only=True)])
        return grids
    finally:
        wb.close()
