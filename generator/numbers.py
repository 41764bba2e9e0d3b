"""How numbers are written out: in JSON, in spreadsheets and as text. One place, so every output agrees."""

from __future__ import annotations

from decimal import Decimal
from typing import overload

# A year's figures repeat (scores on a fixed step), and number() runs for every cell of every export and chart.
# The result depends on the numeric value alone (3 and 3.0 both give 3), so equal Decimals may share it.
_NUMBERS: dict[Decimal, int | float] = {}
# How many entries any memo of figures keeps (a year holds a few hundred distinct ones): past it, work is redone.
MEMO_LIMIT = 1 << 16


@overload
def number(value: Decimal) -> int | float:
    ...


@overload
def number(value: None) -> None:
    ...


@overload
def number(value: Decimal | None) -> int | float | None:
    ...


def number(value: Decimal | None) -> int | float | None:
    """A reported number as JSON or a spreadsheet holds it: int when whole, else float (e.g. 94.3)."""
    if value is None:
        return None
    if type(value) is Decimal and value.is_finite():  # NaN never finds itself, sNaN cannot be hashed
        got = _NUMBERS.get(value)
        if got is None:
            got = int(value) if value == value.to_integral_value() else float(value)
            if len(_NUMBERS) < MEMO_LIMIT:
                _NUMBERS[value] = got
        return got
    return int(value) if value == value.to_integral_value() else float(value)


def plain(value: object) -> str:
    """A number as people write it, without trailing zeros or exponent: 3, 2.5, 100."""
    return format(Decimal(str(value)).normalize(), "f")


def percent(ratio: object) -> str:
    """A ratio as a percentage: 0.05 → 5%."""
    return plain(Decimal(str(ratio)) * 100) + "%"
