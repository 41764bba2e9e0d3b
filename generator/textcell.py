"""Text into exported workbooks: always a text cell, never a formula, never a character XML cannot hold.

openpyxl makes any string that starts with ``=`` a formula; a hall name or a file name from a return must stay
the text it was (``=HYPERLINK(…)`` in a register would otherwise be a live formula in 上报名单). Characters that
XML 1.0 forbids or that are not characters (C0 controls but tab and line ends, U+FFFE/U+FFFF, lone surrogates)
would make the file unreadable, and C1 controls have no business in a spreadsheet; all are removed.
"""

from __future__ import annotations

import re

from openpyxl.cell import WriteOnlyCell

# C0 except \t \n \r, DEL, C1, surrogates, the noncharacters U+FDD0-U+FDEF and U+xFFFE/U+xFFFF of every plane.
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
                    + "".join(f"{chr(p * 0x10000 + 0xFFFE)}{chr(p * 0x10000 + 0xFFFF)}" for p in range(1, 17))
                    + "]")


def clean(value):
    """``value`` with the unsafe characters removed when it is a string; anything else unchanged."""
    return UNSAFE.sub("", value) if isinstance(value, str) else value


def unsafe_chars(text: str) -> list[str]:
    """The unsafe characters of ``text`` as ``U+XXXX`` names, each once, in order of appearance."""
    seen: list[str] = []
    for ch in UNSAFE.findall(text):
        name = f"U+{ord(ch):04X}"
        if name not in seen:
            seen.append(name)
    return seen


def write_only_row(ws, values) -> list:
    """A row for ``ws.append`` of a write-only sheet: every string as a text cell."""
    out = []
    for value in values:
        if isinstance(value, str):
            cell = WriteOnlyCell(ws, clean(value))
            cell.data_type = "s"
            value = cell
        out.append(value)
    return out


def append_text_row(ws, values) -> None:
    """``ws.append`` for a normal sheet, every string kept as a text cell."""
    ws.append([clean(v) for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
