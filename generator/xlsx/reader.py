"""Read a returned workbook into plain grids of cell values.

Formulas come back as their text (starting with ``=``) and cached values are never used: a return saved by
openpyxl has none, and a cached value can disagree with what the inspector typed. Sheet ``dimension`` tags are
ignored, since Excel, WPS and some mail gateways write wrong ones.

The fast path (:mod:`generator.xlsx.fast`, much faster than openpyxl, which matters at a national year's returns)
gives exactly what openpyxl's read-only mode gives: the same rows, the same int/float split, shared and
inline strings, dates for cells with a date number format. Anything it does not expect (an odd package layout,
strict OOXML, a broken zip or XML) goes to openpyxl, whose error, if any, is what the caller sees.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from generator.xlsx.bounds import Budget, SheetTooLarge
from generator.xlsx.fast import read_sheets

__all__ = ["Budget", "Grid", "SheetTooLarge", "read_grids", "read_grids_fast", "read_grids_openpyxl"]


@dataclass
class Grid:
    """The cells of one sheet: ``rows[r][c]`` with 0-based indexes, ragged rows allowed."""

    rows: list[list[object]] = field(default_factory=list)

    def value(self, row: int, col: int) -> object:
        """Cell value by 1-based row and column, None when outside the data."""
        if row >= 1 and col >= 1:  # (negative indexes would count from the end)
            try:
                return self.rows[row - 1][col - 1]
            except IndexError:
                return None
        return None


def read_grids(path: str | Path, budget_factory: Callable[[], Budget] = Budget,
               parts: dict[str, bytes] | None = None) -> dict[str, Grid]:
    """Every sheet of the workbook at ``path`` as a :class:`Grid`, keyed by sheet name.

    Either reader stops with :class:`SheetTooLarge` once a sheet passes the bounds of ``budget_factory()``.
    ``parts``: the file's XML parts the container check unzipped (the fast reader takes them from there).
    """
    try:
        return read_grids_fast(path, budget_factory(), parts)
    except SheetTooLarge:
        raise
    except Exception:  # anything unexpected: openpyxl decides, and its error is the one reported
        return read_grids_openpyxl(path, budget_factory())


def read_grids_fast(path: str | Path, budget: Budget | None = None,
                    parts: dict[str, bytes] | None = None) -> dict[str, Grid]:
    """The fast path alone (:mod:`generator.xlsx.fast`); raises on anything it does not handle."""
    return {name: Grid(rows) for name, rows in read_sheets(path, budget, parts).items()}


def read_grids_openpyxl(path: str | Path, budget: Budget | None = None) -> dict[str, Grid]:
    """The reference reader: openpyxl in read-only mode, formulas as text, bounded like the fast path.

    openpyxl's warnings ("Unknown extension", "no default style" …) are its notes, not the user's: silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _read_grids_openpyxl(path, budget)


def _read_grids_openpyxl(path: str | Path, budget: Budget | None = None) -> dict[str, Grid]:
    budget = budget or Budget()
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    try:
        grids = {}
        for ws in wb.worksheets:
            ws.reset_dimensions()
            budget.sheet = ws.title
            rows = []
            # Streamed row by row: a row is checked before the next one is parsed, so a claimed million rows
            # stops at the limit.
            for row_no, row in enumerate(ws.iter_rows(values_only=True), 1):
                budget.row(row_no)
                budget.col(len(row))
                budget.add(sum(1 for v in row if v is not None))
                rows.append([_formula_text(v) for v in row])
            grids[ws.title] = Grid(rows)
        return grids
    finally:
        wb.close()


def _formula_text(value: object) -> object:
    # openpyxl gives array formulas as objects; intake wants every formula as "=..." text.
    text = getattr(value, "text", None)
    return text if isinstance(text, str) and type(value).__name__ == "ArrayFormula" else value


