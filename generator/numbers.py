"""How numbers are written out: in JSON, in spreadsheets and as text. One place, so every output agrees."""

from __future__ import annotations

from decimal import Decimal


def number(value: Decimal | None):
    """A reported number as JSON or a spreadsheet holds it: int when whole, else float (e.g. 94.3)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def plain(value) -> str:
    """A number as people write it, without trailing zeros or exponent: 3, 2.5, 100."""
    return format(Decimal(str(value)).normalize(), "f")


def percent(ratio) -> str:
    """A ratio as a percentage: 0.05 → 5%."""
    return plain(Decimal(str(ratio)) * 100) + "%"
