"""Our workbook readers held to openpyxl's read-only mode on the same file."""

from __future__ import annotations

from generator.xlsx.reader import read_grids, read_grids_fast, read_grids_openpyxl


def typed(grids):
    """Rows with the type of every value: 4 and 4.0, None and '' must not pass for each other."""
    return {name: [[(type(v).__name__, v) for v in row] for row in grid.rows] for name, grid in grids.items()}


def assert_same(path):
    fast = read_grids_fast(path)
    assert typed(fast) == typed(read_grids_openpyxl(path))
    assert typed(read_grids(path)) == typed(fast)
    return fast
