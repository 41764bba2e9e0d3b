"""The values of workbook cells as the checks read them: text, numbers, dates, column letters.

A cell holds whatever the filler typed or Excel stored (str, int, float, datetime, None); the checks of
``cover_check`` and ``return_checker`` compare and report them through these, so every sheet reads a value the
same way.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from openpyxl.utils import get_column_letter

from generator.numbers import MEMO_LIMIT, plain


def column_letter(n: int) -> str:
    return str(get_column_letter(n))


def cell_text(value: object) -> str:
    if type(value) is str:  # most cells: the quick way first
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


# Each distinct cell value's Decimal made once per process: a return's scores are a handful of values, and a
# record sent from a worker then holds the same object for each, which the pickle to the build writes once per
# job instead of once per cell. Keyed by type too: 7 and 7.0 are equal keys, Decimal 7 and 7.0 are not. As in
# archive/hall_json.py, 0.0 and -0.0 (one key, two figures) and NaN (never finds itself) are not kept, and only
# short texts are (a score as typed, not whatever a cell holds): the same figures whatever order cells come in.
_DECIMALS: dict[tuple[type, object], Decimal | None] = {}
_SHORT_TEXT = 32


def cell_decimal(value: object) -> Decimal | None:
    if not (type(value) is int or (type(value) is float and value and value == value)
            or (type(value) is str and len(value) <= _SHORT_TEXT)):
        return _cell_decimal(value)
    key = (type(value), value)
    try:
        return _DECIMALS[key]
    except KeyError:
        pass
    number = _cell_decimal(value)
    if len(_DECIMALS) < MEMO_LIMIT:
        _DECIMALS[key] = number
    return number


def _cell_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        if isinstance(value, (int, float)):
            # repr of a float is its shortest round-trip text: 7.5 stays 7.5, never 7.4999…
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        else:
            number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def fmt_points(number: Decimal) -> str:
    return plain(number)


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)


def cell_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return None
    return None
