"""Which characters a workbook cell may hold: the XML 1.0 rule, for text read from returns and text written out.

Characters that XML 1.0 forbids or that are not characters (C0 controls but tab and line ends, U+FFFE/U+FFFF,
lone surrogates) would make a file unreadable, and C1 controls have no business in a spreadsheet. Intake and
the register name them as problems; :mod:`generator.xlsx.write` removes them from everything it writes (and keeps
every string a text cell, never a formula).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TypeVar, overload

_Value = TypeVar("_Value")

# C0 except \t \n \r, DEL, C1, surrogates, the noncharacters U+FDD0-U+FDEF and U+xFFFE/U+xFFFF of every plane.
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
                    + "".join(f"{chr(p * 0x10000 + 0xFFFE)}{chr(p * 0x10000 + 0xFFFF)}" for p in range(1, 17))
                    + "]")


@overload
def clean(value: str) -> str: ...


@overload
def clean(value: _Value) -> _Value: ...


def clean(value: object) -> object:
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



def cell_text(value: object) -> str:
    """What a person typed into a cell (or a YAML field), as text: dates as ISO dates, 3.0 as 3, trimmed."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()
