"""The evaluation standard: data, never code; the types a loaded and checked standard is made of.

A standard is data (seed: 评分标准可以根据具体情况进行调整), so the group, a province or a later year loads its own
(:mod:`generator.rules.standard_load`). The shipped standards are **examples** (their 来源 says so): the 办法's own
检查手册 is not in the seed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from generator.numbers import plain
from generator.resources import STANDARDS

STANDARDS_DIR = STANDARDS
DEFAULT_STANDARD = STANDARDS_DIR / "ct-hall-2016.yaml"
# The shipped examples, by the name `hallscore standard export --example` and the README use.
EXAMPLES = {"hall": DEFAULT_STANDARD, "kefu": STANDARDS_DIR / "kefu-example.yaml"}
BASE_TOTAL = Decimal(100)
# The 业务办理 section breaks the last ties in quota ranking (standard.md).
BUSINESS_SECTION = "业务办理"
NOT_APPLICABLE = "不适用"
# A standard as read from its file, before it is checked: a YAML mapping, or a workbook's sheets in the same shape.
# Its values are whatever the file held; the checks (rules_standard_check) find out what each one is.
RawStandard = dict[str, Any]
Entry = dict[str, Any]  # one entry of a list (an item, a rule) as read: field → value, and where it was read


@dataclass(frozen=True)
class Level:
    """One level an inspector may pick for a level-rated item, and the points it gives."""

    name: str
    points: Decimal
    percent: Decimal | None = None  # as written: a share of the item's points; None when written as points

    @property
    def written(self) -> str:
        return f"{self.name}={plain(self.percent)}%" if self.percent is not None else f"{self.name}={plain(self.points)}"


@dataclass(frozen=True)
class Item:
    """One base item (基础项)."""

    id: str
    section: str
    text: str
    guidance: str
    max_points: Decimal
    allow_na: bool
    levels: tuple[Level, ...] = ()  # empty: scored with a number on the step

    @property
    def levels_text(self) -> str:
        """The levels as a standard workbook writes them: ``优秀=100%;良好=80%;一般=60%;差=0%``."""
        return ";".join(level.written for level in self.levels)


@dataclass(frozen=True)
class BonusRule:
    """One bonus item (加分项): points per event, capped per item."""

    id: str
    text: str
    per_event: Decimal
    cap: Decimal


@dataclass(frozen=True)
class DeductionRule:
    """One deduction item (倒扣分项): points per event, no cap."""

    id: str
    text: str
    per_event: Decimal


@dataclass(frozen=True)
class VetoRule:
    """One veto item (一票否决)."""

    id: str
    text: str


@dataclass(frozen=True)
class Standard:
    """A whole evaluation standard, checked and ready for templates and scoring."""

    id: str
    version: str
    title: str
    score_step: Decimal
    bonus_cap: Decimal
    sections: tuple[str, ...]
    items: tuple[Item, ...]
    bonus: tuple[BonusRule, ...]
    deductions: tuple[DeductionRule, ...]
    vetoes: tuple[VetoRule, ...]
    source: str = ""  # 来源: what this standard is ("示例,非集团正式标准" for the shipped ones)
    # Section weights as written; a section left out weighs its max points. Empty: the plain sum of points.
    weights: tuple[tuple[str, Decimal], ...] = field(default=())

    def items_in(self, section: str) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.section == section)

    def section_max(self, section: str) -> Decimal:
        return sum((item.max_points for item in self.items_in(section)), Decimal(0))

    @property
    def weighted(self) -> bool:
        return bool(self.weights)

    def weight(self, section: str) -> Decimal:
        """The section's weight in the base score: as written, else its max points (standard.md)."""
        return dict(self.weights).get(section) or self.section_max(section)

    def weight_written(self, section: str) -> Decimal | None:
        return dict(self.weights).get(section)

    @property
    def is_example(self) -> bool:
        return "示例" in self.source

    @property
    def has_levels(self) -> bool:
        return any(item.levels for item in self.items)

    def allowed_scores(self, item: Item) -> list[Decimal]:
        """Every value an inspector may enter for ``item``: 0 to max in steps of ``score_step``."""
        steps = int(item.max_points / self.score_step)
        return [self.score_step * n for n in range(steps + 1)]

    def level_named(self, item: Item, name: str) -> Level | None:
        return next((level for level in item.levels if level.name == name), None)

    def level_of(self, item_id: str, points: Decimal | None) -> str | None:
        """The level a level-rated item's points stand for (levels give distinct points), else None."""
        if points is None:
            return None
        item = self._items_by_id.get(item_id)
        if item is None or not item.levels:
            return None
        return next((level.name for level in item.levels if level.points == points), None)

    @property
    def _items_by_id(self) -> dict[str, Item]:
        got = _BY_ID.get(id(self))
        if got is None or got[0] is not self:
            got = _BY_ID[id(self)] = (self, {item.id: item for item in self.items})
        return got[1]

    @property
    def checksum(self) -> str:
        """SHA-256 of the structure a workbook depends on (ids, texts, points), not of comments.

        Weights and levels enter only when a standard has them, so a standard without either keeps the checksum
        (and the workbooks made from it) it always had.
        """
        shape: dict[str, object] = {
            "id": self.id,
            "version": self.version,
            "step": str(self.score_step),
            "items": [[i.id, i.section, i.text, str(i.max_points), i.allow_na] for i in self.items],
            "bonus": [[b.id, b.text, str(b.per_event), str(b.cap)] for b in self.bonus],
            "deductions": [[d.id, d.text, str(d.per_event)] for d in self.deductions],
            "vetoes": [[v.id, v.text] for v in self.vetoes],
        }
        if self.weights:
            shape["weights"] = [[s, str(w)] for s, w in self.weights]
        if self.has_levels:
            shape["levels"] = [[i.id, [[lv.name, str(lv.points)] for lv in i.levels]] for i in self.items if i.levels]
        blob = json.dumps(shape, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()


_BY_ID: dict[int, tuple[Standard, dict[str, Item]]] = {}
