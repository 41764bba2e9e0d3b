"""numbers.number keeps a memo of the figures it has written; what it gives never depends on what came first."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pytest

from generator.numbers import number


def _fresh(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


@pytest.mark.parametrize("order", [("3", "3.0", "3.00"), ("3.0", "3"), ("-0", "0", "0.0"), ("94.30", "94.3"),
                                   ("1E+1", "10"), ("0.1", "0.10", "1E-1")])
def test_equal_figures_written_the_same_whichever_came_first(order):
    for text in order + order:
        got, want = number(Decimal(text)), _fresh(Decimal(text))
        assert type(got) is type(want) and repr(got) == repr(want), text
    assert number(None) is None


def test_figures_that_are_not_finite_are_written_as_before():
    assert repr(number(Decimal("NaN"))) == "nan" and repr(number(Decimal("NaN"))) == "nan"
    with pytest.raises(OverflowError):  # as int() says of it: never a cached answer
        number(Decimal("Infinity"))
    with pytest.raises(InvalidOperation):  # not a TypeError from hashing it
        number(Decimal("sNaN"))
