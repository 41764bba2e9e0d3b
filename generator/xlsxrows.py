"""Data rows of a write-only sheet serialized directly, byte for byte what openpyxl would write for them.

openpyxl builds a cell object and an element per value (≈ 25 µs a cell): a national results workbook of
20,000 rows was most of a one-return site rebuild. The rows of a sheet here hold only text (always a text
cell, never a formula: :mod:`generator.xlsxout`), ints and floats, each optionally with one number format, so
their XML is simple to write exactly. openpyxl still writes everything else (sheet head and tail, styles,
workbook parts): it gets one probe row in place of the data, which registers the number format's style as
the first formatted data cell would have, and the saved sheet has that row replaced by the real ones
(:func:`splice`). Anything of another type (a date, a bool, NaN) makes :func:`plain` say no, and the
caller lets openpyxl write the rows as before. ``tests/test_xlsxrows.py`` compares both ways.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from .textcell import UNSAFE, clean

_ESCAPE = re.compile(r"[&<>]")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def _text(value: str, unsafe: bool) -> str:
    # What openpyxl keeps (clean: no unsafe characters; at most 32,767 characters) and ElementTree escapes.
    value = (clean(value) if unsafe else value)[:32767]
    if "&" in value or "<" in value or ">" in value:
        value = _ESCAPE.sub(lambda m: _ENTITIES[m[0]], value)
    return value


def plain(rows: Sequence[Sequence[Any]], formatted: Iterable[int]) -> bool | None:
    """Whether any formatted column (indices from 0) holds a number; None when a value is of a type
    :func:`rows_xml` does not write (a date, a bool, NaN): openpyxl then writes the rows."""
    formatted = set(formatted)
    styled = False
    for row in rows:
        for c, value in enumerate(row):
            kind = type(value)
            if kind is str or value is None or kind is int:
                pass
            elif kind is float:
                if not math.isfinite(value):
                    return None
            else:
                return None
            if not styled and c in formatted and (kind is int or kind is float):
                styled = True
    return styled


def rows_xml(rows: Sequence[Sequence[Any]], formatted: Iterable[int], style: str, first: int = 2) -> str:
    """The ``<row>`` elements of ``rows`` (checked by :func:`plain`) from row number ``first``; numbers in the
    ``formatted`` columns carry style number ``style``."""
    xml = _rows_xml(rows, set(formatted), style, first, unsafe=False)
    # Text almost never holds a character XML cannot: look for one in the whole, clean each text only then.
    return _rows_xml(rows, set(formatted), style, first, unsafe=True) if has_unsafe(xml) else xml


# textcell.UNSAFE's characters of the Basic Multilingual Plane: a plain class, ten times faster to search
# than UNSAFE itself; the rest of UNSAFE is looked for only in text that has characters beyond that plane.
_BMP_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def has_unsafe(text: str) -> bool:
    """Whether ``text`` holds a character of textcell.UNSAFE."""
    if _BMP_UNSAFE.search(text):
        return True
    return _ASTRAL.search(text) is not None and UNSAFE.search(text) is not None


def _rows_xml(rows: Sequence[Sequence[Any]], formatted: set[int], style: str, first: int, unsafe: bool) -> str:
    letters: list[str] = []
    out: list[str] = []
    for r, row in enumerate(rows, first):
        if len(row) > len(letters):
            letters += [get_column_letter(n) for n in range(len(letters) + 1, len(row) + 1)]
        cells = [f'<row r="{r}">']
        for c, value in enumerate(row):
            if value is None:
                continue
            if type(value) is str:
                text = _text(value, unsafe)
                stripped = text.strip()
                if not text:
                    cells.append(f'<c r="{letters[c]}{r}" t="inlineStr" />')
                    continue
                space = ' xml:space="preserve"' if stripped and stripped != text else ""
                cells.append(f'<c r="{letters[c]}{r}" t="inlineStr"><is><t{space}>{text}</t></is></c>')
            else:
                s = f' s="{style}"' if c in formatted else ""
                # openpyxl's safe_string, exactly
                cells.append(f'<c r="{letters[c]}{r}"{s} t="n"><v>{"%.16g" % value}</v></c>')  # noqa: UP031
        cells.append("</row>")
        out.append("".join(cells))
    return "".join(out)


def probe_row(ws: Any, fmt: str | None) -> list:
    """The row openpyxl writes in place of the data: one number cell, with ``fmt`` when any data cell has a
    number format, so the workbook's styles come out as they would with the real rows."""
    cell = WriteOnlyCell(ws, 0)
    if fmt:
        cell.number_format = fmt
    return [cell]


def style_id(ws: Any, fmt: str) -> str:
    """The style number openpyxl gives a plain cell with number format ``fmt`` (registered by the probe)."""
    cell = WriteOnlyCell(ws, 0)
    cell.number_format = fmt
    return str(cell.style_id)


_PROBE = re.compile(rb'<row r="2">.*?</row>', re.S)


def splice(sheet: bytes, rows: str) -> bytes:
    """The saved sheet with its probe row replaced by the real rows."""
    match = _PROBE.search(sheet)
    if match is None:
        raise ValueError("probe row missing from the saved sheet")
    return sheet[:match.start()] + rows.encode("utf-8") + sheet[match.end():]
