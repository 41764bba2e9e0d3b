"""What the fast reader refuses: bounds on what one file may make it hold, and the files it hands to openpyxl."""

from __future__ import annotations


class Unsupported(Exception):
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
