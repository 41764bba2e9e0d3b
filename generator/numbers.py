"""How numbers are written out: in JSON, in spreadsheets and as text. One place, so every output agrees."""

from __future__ import annotations

from decimal import Decimal
from typing import overload


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
    return int(value) if value == value.to_integral_value() else float(value)


def plain(value: object) -> str:
    """A number as people write it, without trailing zeros or exponent: 3, 2.5, 100."""
    return format(Decimal(str(value)).normalize(), "f")


def percent(ratio: object) -> str:
    """A ratio as a percentage: 0.05 → 5%."""
    return plain(Decimal(str(ratio)) * 100) + "%"
