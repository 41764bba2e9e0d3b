"""Data rows of a write-only sheet serialized directly, byte for byte what openpyxl would write for them.

openpyxl builds a cell object and an element per value, which for a national results workbook was most of a
one-return site rebuild (docs/benchmarks.md). The rows of a sheet here hold only text (always a text
cell, never a formula: :mod:`generator.xlsx.write`), ints and floats, each optionally with one number format, so
their XML is simple to write exactly. openpyxl still writes everything else (sheet head and tail, styles,
workbook parts): it gets one probe row in place of the data, which registers the number format's style as
the first formatted data cell would have, and the saved sheet has that row replaced by the real ones
(:func:`splice`). Anything of another type (a date, a bool, NaN) makes :func:`plain` say no, and the
caller lets openpyxl write the rows as before. ``tests/test_xlsxrows.py`` compares both ways.

A row's XML depends only on its values and its row number, so a rebuild takes the rows whose hall did not
change from the sheet the last build saved (:class:`RowReuse`): a row given as bytes is that XML, as is (the
saved sheet's bytes are sliced, never decoded and encoded again).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from generator.xlsx.textcell import UNSAFE, clean

_ESCAPE = re.compile(r"[&<>]")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def _text(value: str, unsafe: bool) -> str:
    # What openpyxl keeps (clean: no unsafe characters; at most 32,767 characters) and ElementTree escapes.
    value = (clean(value) if unsafe else value)[:32767]
    if "&" in value or "<" in value or ">" in value:
        value = _ESCAPE.sub(_entity, value)
    return value


def _entity(match: re.Match[str]) -> str:
    return _ENTITIES[match[0]]


def plain(rows: Sequence[Sequence[Any]], formatted: Iterable[int]) -> bool | None:
    """Whether any formatted column (indices from 0) holds a number; None when a value is of a type
    :func:`rows_xml` does not write (a date, a bool, NaN): openpyxl then writes the rows. A kept row (its
    XML, bytes) is styled when one of its cells carries a style."""
    formatted = set(formatted)
    styled = False
    for row in rows:
        if type(row) is bytes:
            styled = styled or _STYLED.search(row) is not None
            continue
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


def rows_xml(rows: Sequence[Sequence[Any] | bytes], formatted: Iterable[int], style: str, first: int = 2) -> bytes:
    """The ``<row>`` elements of ``rows`` (checked by :func:`plain`) from row number ``first``, UTF-8; numbers
    in the ``formatted`` columns carry style number ``style``."""
    formatted = set(formatted)
    made: list[str] = []
    parts = _rows_xml(rows, formatted, style, first, unsafe=False, made=made)
    # Text almost never holds a character XML cannot: look for one in the rows made here (kept rows were
    # cleaned when they were made), clean each text only then.
    if has_unsafe("".join(made)):
        parts = _rows_xml(rows, formatted, style, first, unsafe=True)
    return _joined(parts)


def _joined(parts: list[str | bytes]) -> bytes:
    """``parts`` as UTF-8 bytes, each run of made rows (strings) encoded in one go."""
    out: list[bytes] = []
    run: list[str] = []
    for part in parts:
        if isinstance(part, bytes):
            if run:
                out.append("".join(run).encode("utf-8"))
                run = []
            out.append(part)
        else:
            run.append(part)
    if run:
        out.append("".join(run).encode("utf-8"))
    return b"".join(out)


# textcell.UNSAFE's characters of the Basic Multilingual Plane: a plain class, much faster to search
# than UNSAFE itself; the rest of UNSAFE is looked for only in text that has characters beyond that plane.
_BMP_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def has_unsafe(text: str) -> bool:
    """Whether ``text`` holds a character of textcell.UNSAFE."""
    if _BMP_UNSAFE.search(text):
        return True
    return _ASTRAL.search(text) is not None and UNSAFE.search(text) is not None


def _rows_xml(rows: Sequence[Sequence[Any] | bytes], formatted: set[int], style: str, first: int, unsafe: bool,
              made: list[str] | None = None) -> list[str | bytes]:
    starts: list[str] = []  # per column, a cell's start up to its row number: '<c r="B'
    numbers: list[str] = []  # per column, what follows a number cell's row number (its style, when formatted)
    out: list[str | bytes] = []
    for r, row in enumerate(rows, first):
        if type(row) is bytes:  # a row kept from the last build: its XML (RowReuse)
            out.append(row)
            continue
        if len(row) > len(starts):
            for n in range(len(starts), len(row)):
                starts.append(f'<c r="{get_column_letter(n + 1)}')
                numbers.append(f'" s="{style}" t="n"><v>' if n in formatted else '" t="n"><v>')
        cells = [f'<row r="{r}">']
        for c, value in enumerate(row):
            if value is None:
                continue
            if type(value) is str:
                if unsafe:
                    text = _text(value, True)
                else:  # _text without the call: most cells
                    text = value if len(value) <= 32767 else value[:32767]
                    if "&" in text or "<" in text or ">" in text:
                        text = _ESCAPE.sub(_entity, text)
                if not text:
                    cells.append(f'{starts[c]}{r}" t="inlineStr" />')
                elif (text[0].isspace() or text[-1].isspace()) and not text.isspace():
                    # what text.strip() would take off, leaving something: kept, with xml:space
                    cells.append(f'{starts[c]}{r}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
                else:
                    cells.append(f'{starts[c]}{r}" t="inlineStr"><is><t>{text}</t></is></c>')
            else:
                # openpyxl's safe_string, exactly
                cells.append(f'{starts[c]}{r}{numbers[c]}{"%.16g" % value}</v></c>')  # noqa: UP031
        cells.append("</row>")
        xml = "".join(cells)
        out.append(xml)
        if made is not None:
            made.append(xml)
    return out


def probe_row(ws: Any, fmt: str | None) -> list[Any]:
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


def splice(sheet: bytes, rows: bytes) -> bytes:
    """The saved sheet with its probe row replaced by the real rows (their UTF-8 XML)."""
    match = _PROBE.search(sheet)
    if match is None:
        raise ValueError("probe row missing from the saved sheet")
    return b"".join((sheet[:match.start()], rows, sheet[match.end():]))


# A styled cell of a kept row ("<" never occurs unescaped in a cell's text, so this matches a cell's tag only).
_STYLED = re.compile(rb'<c r="[A-Z]+[0-9]+" s="')
_ROW_START = re.compile(rb'<row r="([0-9]+)"')


def split_rows(sheet: bytes, count: int, first: int = 2) -> list[bytes] | None:
    """The XML of the ``count`` data rows of a saved sheet's bytes, numbered from ``first``; None when the
    sheet does not hold exactly those rows."""
    start, end = sheet.find(b"<sheetData>"), sheet.find(b"</sheetData>")
    if start < 0 or end < start:
        return None
    marks = [m for m in _ROW_START.finditer(sheet, start, end) if int(m[1]) >= first]
    if len(marks) != count or any(int(m[1]) != first + n for n, m in enumerate(marks)):
        return None
    bounds = [m.start() for m in marks] + [end]
    return [sheet[bounds[n]:bounds[n + 1]] for n in range(count)]


class RowReuse:
    """One sheet's data rows across builds: ``digests`` (one per row, of what the row is made of, from the
    caller) make each row's key with the row's own extra values; rows whose key and position match the last
    build's are taken from its saved sheet (``load_sheet``: its part's bytes, or None), the rest are made.
    After the build ``made`` is the memo entry of the sheet written (the caller keeps it as data)."""

    def __init__(self, context: str, digests: Sequence[str], old: Any, load_sheet: Callable[[str], bytes | None]):
        self.context, self.digests, self.old, self._load = context, digests, old, load_sheet
        self.made: dict[str, object] | None = None
        self.reused = 0

    def keys(self, extra: Sequence[object], context: str) -> tuple[str, list[str]]:
        context = hashlib.sha256(f"{self.context}\n{context}".encode("utf-8", "surrogatepass")).hexdigest()
        return context, [f"{d}:{x}" for d, x in zip(self.digests, extra, strict=True)]

    def kept(self, context: str, keys: list[str]) -> list[bytes | None]:
        """Per row, the last build's XML of it when its key is the same, else None."""
        nothing: list[bytes | None] = [None] * len(keys)
        old = self.old
        if not (isinstance(old, dict) and old.get("context") == context and isinstance(old.get("keys"), list)
                and isinstance(old.get("sheet"), str) and isinstance(old.get("part"), str)
                and len(old["keys"]) == len(keys)):
            return nothing
        same = [k == o for k, o in zip(keys, old["keys"])]
        if not any(same):
            return nothing
        data = self._load(old["part"])
        if data is None or hashlib.sha256(data).hexdigest() != old["sheet"]:
            return nothing  # not the sheet the memo was made with: a damaged or foreign file
        rows = split_rows(data, len(keys))
        if rows is None:
            return nothing
        self.reused = sum(same)
        return [row if keep else None for row, keep in zip(rows, same)]

    def saved(self, context: str, keys: list[str], part: str, sheet: bytes) -> None:
        self.made = {"context": context, "keys": keys, "part": part, "sheet": hashlib.sha256(sheet).hexdigest()}
