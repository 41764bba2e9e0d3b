"""The evaluation standard: a versioned data file, loaded and checked here.

A standard is data, never code (seed: 评分标准可以根据具体情况进行调整), so a province or a later year can ship
its own YAML file in the shape of ``standards/ct-hall-2016.yaml``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from .errors import StandardError
from .why import why

DEFAULT_STANDARD = Path(__file__).parent / "standards" / "ct-hall-2016.yaml"
BASE_TOTAL = Decimal(100)
# The 业务办理 section breaks the last ties in quota ranking (standard.md).
BUSINESS_SECTION = "业务办理"


@dataclass(frozen=True)
class Item:
    """One base item (基础项)."""

    id: str
    section: str
    text: str
    guidance: str
    max_points: Decimal
    allow_na: bool


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

    def items_in(self, section: str) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.section == section)

    def section_max(self, section: str) -> Decimal:
        return sum((item.max_points for item in self.items_in(section)), Decimal(0))

    def allowed_scores(self, item: Item) -> list[Decimal]:
        """Every value an inspector may enter for ``item``: 0 to max in steps of ``score_step``."""
        steps = int(item.max_points / self.score_step)
        return [self.score_step * n for n in range(steps + 1)]

    @property
    def checksum(self) -> str:
        """SHA-256 of the structure a workbook depends on (ids, texts, points), not of comments."""
        shape = {
            "id": self.id,
            "version": self.version,
            "step": str(self.score_step),
            "items": [[i.id, i.section, i.text, str(i.max_points), i.allow_na] for i in self.items],
            "bonus": [[b.id, b.text, str(b.per_event), str(b.cap)] for b in self.bonus],
            "deductions": [[d.id, d.text, str(d.per_event)] for d in self.deductions],
            "vetoes": [[v.id, v.text] for v in self.vetoes],
        }
        blob = json.dumps(shape, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()


def load_standard(path: str | Path | None = None) -> Standard:
    """Load and check a standard file; raise :class:`StandardError` listing every problem found."""
    path = Path(path) if path else DEFAULT_STANDARD
    try:
        from .yamlsafe import load_yaml

        raw = load_yaml(path)  # no aliases, bounded size
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise StandardError(f"无法读取评价标准文件 {path}:{why(exc)}") from exc
    problems: list[str] = []
    standard = _parse(raw, problems)
    if standard is not None:
        _check(standard, problems)
    if problems or standard is None:  # _parse returns None only with a problem said
        raise StandardError(f"评价标准文件 {path} 有误:\n  - " + "\n  - ".join(problems))
    return standard


def _number(value: object, where: str, problems: list[str]) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        problems.append(f"{where} 应为数字,实际为 {value!r}")
        return Decimal(0)
    if not number.is_finite():
        problems.append(f"{where} 应为数字,实际为 {value!r}")
        return Decimal(0)
    return number


def _entries(raw: dict, key: str, fields: tuple[str, ...], problems: list[str]) -> list[dict]:
    entries = raw.get(key)
    if not isinstance(entries, list) or not entries:
        problems.append(f"缺少 {key} 列表")
        return []
    good = []
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            problems.append(f"{key} 第 {n} 项不是键值表")
            continue
        missing = [f for f in fields if entry.get(f) in (None, "")]
        if missing:
            label = entry.get("id", f"第 {n} 项")
            problems.append(f"{key} {label} 缺少字段:{', '.join(missing)}")
            continue
        good.append(entry)
    return good


def _parse(raw: object, problems: list[str]) -> Standard | None:
    if not isinstance(raw, dict):
        problems.append("文件内容应为键值表(YAML mapping)")
        return None
    for key in ("id", "version", "title"):
        if not raw.get(key):
            problems.append(f"缺少 {key}")
    sections = raw.get("sections")
    if not isinstance(sections, list) or not sections:
        problems.append("缺少 sections 列表")
        sections = []
    items = tuple(
        Item(
            id=str(e["id"]),
            section=str(e["section"]),
            text=str(e["text"]),
            guidance=str(e.get("guidance", "")),
            max_points=_number(e["max"], f"items {e['id']} 的 max", problems),
            allow_na=bool(e.get("na", False)),
        )
        for e in _entries(raw, "items", ("id", "section", "text", "max"), problems)
    )
    bonus = tuple(
        BonusRule(
            id=str(e["id"]),
            text=str(e["text"]),
            per_event=_number(e["per"], f"bonus {e['id']} 的 per", problems),
            cap=_number(e["cap"], f"bonus {e['id']} 的 cap", problems),
        )
        for e in _entries(raw, "bonus", ("id", "text", "per", "cap"), problems)
    )
    deductions = tuple(
        DeductionRule(
            id=str(e["id"]),
            text=str(e["text"]),
            per_event=_number(e["per"], f"deductions {e['id']} 的 per", problems),
        )
        for e in _entries(raw, "deductions", ("id", "text", "per"), problems)
    )
    vetoes = tuple(
        VetoRule(id=str(e["id"]), text=str(e["text"]))
        for e in _entries(raw, "vetoes", ("id", "text"), problems)
    )
    return Standard(
        id=str(raw.get("id", "")),
        version=str(raw.get("version", "")),
        title=str(raw.get("title", "")),
        score_step=_number(raw.get("score_step", "0.5"), "score_step", problems),
        bonus_cap=_number(raw.get("bonus_cap", "5"), "bonus_cap", problems),
        sections=tuple(str(s) for s in sections),
        items=items,
        bonus=bonus,
        deductions=deductions,
        vetoes=vetoes,
    )


def _check(std: Standard, problems: list[str]) -> None:
    ids = [e.id for group in (std.items, std.bonus, std.deductions, std.vetoes) for e in group]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"编号 {dup} 重复")
    if len(set(std.sections)) != len(std.sections):
        problems.append("sections 中有重复的环节名称")
    if std.score_step <= 0:
        problems.append("score_step 应大于 0")
    if std.bonus_cap < 0:
        problems.append("bonus_cap 不能为负数")
    for item in std.items:
        if item.section not in std.sections:
            problems.append(f"items {item.id} 的环节“{item.section}”不在 sections 中")
        if item.max_points <= 0:
            problems.append(f"items {item.id} 的分值应大于 0")
        elif std.score_step > 0 and item.max_points % std.score_step:
            problems.append(f"items {item.id} 的分值 {item.max_points} 不是 score_step 的整数倍")
    for section in std.sections:
        if not std.items_in(section):
            problems.append(f"环节“{section}”没有任何检查项")
    total = sum((item.max_points for item in std.items), Decimal(0))
    if std.items and total != BASE_TOTAL:
        problems.append(f"基础项分值合计应为 100,实际为 {total}")
    for rule in std.bonus:
        if rule.per_event <= 0 or rule.cap <= 0:
            problems.append(f"bonus {rule.id} 的 per 和 cap 应大于 0")
        elif rule.cap < rule.per_event:
            problems.append(f"bonus {rule.id} 的 cap 小于单次分值 per")
    for deduction in std.deductions:
        if deduction.per_event <= 0:
            problems.append(f"deductions {deduction.id} 的 per 应大于 0(填写扣分的绝对值)")
