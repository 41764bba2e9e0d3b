"""The evaluation builds its hall rows without the frozen __init__ (evaluate/case.py new_row, with_fields): the
rows must be exactly those HallRow(...) and dataclasses.replace give."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from generator.evaluate.case import new_row, with_fields
from generator.model import HallRow

FIELDS = [f.name for f in dataclasses.fields(HallRow)]


def _values() -> dict[str, object]:
    values: dict[str, object] = {name: f"v-{name}" for name in FIELDS}
    values.update(level=3, base_score=Decimal("91.5"), items={"A01": Decimal("2")}, rounds=(), ranked=True)
    return values


def test_new_row_is_the_dataclass_row() -> None:
    values = _values()
    made, plain = new_row(**values), HallRow(**values)  # type: ignore[arg-type]
    assert made == plain and type(made) is HallRow
    assert list(made.__dict__) == list(plain.__dict__)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.tier = "优秀"  # type: ignore[misc]


def test_new_row_takes_every_field_in_order() -> None:
    values = _values()
    del values["withdrawn"]
    with pytest.raises(TypeError):
        new_row(**values)
    with pytest.raises(TypeError):
        new_row(**dict(reversed(list(_values().items()))))


def test_with_fields_is_replace() -> None:
    row = HallRow(**_values())  # type: ignore[arg-type]
    changed = with_fields(row, tier="良好", rank=7, reason_ranks=((1, 2),))
    assert changed == dataclasses.replace(row, tier="良好", rank=7, reason_ranks=((1, 2),))
    assert list(changed.__dict__) == FIELDS and row.tier == "v-tier"
