"""The rules a standard must keep, one neutral shape for both of its sources: a raw standard (a workbook's sheets
or a YAML file, as a dict) parsed into a :class:`generator.rules.standard.Standard`, every problem found said at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from generator.numbers import plain
from generator.rules.problems import Problem, problem
from generator.rules.standard import (
    BASE_TOTAL,
    NOT_APPLICABLE,
    BonusRule,
    DeductionRule,
    Entry,
    Item,
    Level,
    RawStandard,
    Standard,
    VetoRule,
)

# An entry is a dict of fields; a workbook's entries carry "_at" (field → (sheet, cell)) and "_row" so that a
# problem names the cell; a YAML file's entries name their list and id instead.

def _spot(entry: Entry, fld: str = "id") -> tuple[str, str]:
    spot: tuple[str, str] = entry.get("_at", {}).get(fld, (entry.get("_sheet", ""), entry.get("_cell", "")))
    return spot


def _label(entry: Entry, kind: str) -> str:
    """How a message names the entry: 编号 A05 (a workbook row), items A05 (a YAML entry), or its row."""
    if "_label" in entry:
        label: str = entry["_label"]
        return label
    rid = entry.get("id")
    if "_at" in entry:
        return f"编号 {rid}" if rid not in (None, "") else f"第 {entry.get('_row', '?')} 行"
    return f"{kind} {rid}" if rid not in (None, "") else f"{kind} 中的一项"


class _Said:
    """Problems of one file, each placed at a sheet and cell when the entry has them."""

    def __init__(self, problems: list[Problem], name: str):
        self.problems, self.name = problems, name

    def at(self, entry: Entry | None, fld: str, code: str, **fields: object) -> None:
        sheet, cell = _spot(entry or {}, fld)
        self.problems.append(problem(code, file=self.name, sheet=sheet, cell=cell, **fields))


def _number(value: object, entry: Entry, fld: str, what: str, said: _Said, kind: str) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        number = None
    # A standard's points, steps and weights are small: 1e400 is a typo, and Decimal cannot divide it by a step.
    if number is None or not number.is_finite() or isinstance(value, bool) or abs(number) >= 10**6:
        said.at(entry, fld, "standard-not-number", where=_label(entry, kind), field=what, found=value)
        return None
    return number


def _entries(raw: RawStandard, key: str, fields: tuple[str, ...], names: dict[str, str], said: _Said,
             required: bool) -> list[Entry]:
    entries = raw.get(key)
    if entries is None or entries == []:
        if required and not raw.get("_items_unread"):
            said.at(raw.get("_sheets", {}).get(key), "", "standard-list-missing", list=names["_list"])
        return []
    if not isinstance(entries, list):
        said.at(None, "", "standard-list-missing", list=names["_list"])
        return []
    good = []
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            said.at(None, "", "standard-entry-invalid", list=names["_list"], n=n)
            continue
        missing = [f for f in fields if entry.get(f) in (None, "")]
        for f in missing:
            said.at(entry, f, "standard-field-missing", where=_label(entry, key), field=names[f])
        if not missing:
            good.append(entry)
    return good


_ITEM_NAMES = {"_list": "评分项(items)", "id": "编号", "section": "环节", "text": "检查内容", "max": "分值"}
_BONUS_NAMES = {"_list": "加分项(bonus)", "id": "编号", "text": "项目", "per": "每次", "cap": "本项上限"}
_MINUS_NAMES = {"_list": "扣分项(deductions)", "id": "编号", "text": "项目", "per": "每次"}
_VETO_NAMES = {"_list": "否决项(vetoes)", "id": "编号", "text": "项目"}
_LEVEL = re.compile(r"^\s*([^=＝]+?)\s*[=＝]\s*([0-9]+(?:\.[0-9]+)?)\s*([%%])?\s*$")


def parse_levels(text: str, max_points: Decimal) -> tuple[tuple[Level, ...], str]:
    """``优秀=100%;良好=80%;一般=60%;差=0`` → levels; the second value says what is wrong, "" when nothing.

    ``%`` means a share of the item's points; a bare number is points.
    """
    parts = [p for p in re.split(r"[;;,,、\n]", text) if p.strip()]
    levels: list[Level] = []
    for part in parts:
        m = _LEVEL.match(part)
        if not m:
            return (), f"“{part.strip()}”不是“等级=百分比”的写法"
        name, value, pct = m[1].strip(), Decimal(m[2]), m[3]
        if name == NOT_APPLICABLE:
            return (), f"等级不能叫“{NOT_APPLICABLE}”(不适用由“可不适用”决定)"
        if pct:
            if value > 100:
                return (), f"等级“{name}”的 {m[2]}% 超过 100%"
            points = max_points * value / 100
            levels.append(Level(name, _tidy(points), value))
        else:
            if value > max_points:
                return (), f"等级“{name}”的 {m[2]} 分超过本项分值 {plain(max_points)}"
            levels.append(Level(name, value))
    if len(levels) < 2:
        return (), "至少要有两个等级,用分号隔开"
    names = [lv.name for lv in levels]
    if len(set(names)) != len(names):
        return (), "等级名称重复"
    given = [lv.points for lv in levels]
    if len(set(given)) != len(given):
        return (), "两个等级的得分相同,无法从得分看出等级"
    return tuple(levels), ""


def _tidy(value: Decimal) -> Decimal:
    """10.00 → 10, 2.40 → 2.4: one spelling per value (the checksum hashes the text)."""
    value = value.normalize()
    exponent = value.as_tuple().exponent  # an int: the value is finite
    return value.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else value


def _yes_no(value: object, entry: Entry, said: _Said) -> bool:
    if isinstance(value, bool) or value is None or value == "":
        return bool(value)
    text = str(value).strip()
    if text in ("是", "否"):
        return text == "是"
    said.at(entry, "na", "standard-yesno-invalid", where=_label(entry, "items"), found=text)
    return False


def parse_standard(raw: RawStandard, problems: list[Problem], name: str) -> Standard | None:
    said = _Said(problems, name)
    _check_info(raw, said)
    sections = raw.get("sections")
    if not isinstance(sections, list) or not sections:
        said.at(None, "", "standard-list-missing", list="环节(sections)")
        sections = []
    weights = _weights(raw, sections, said)
    step, cap = _step_and_cap(raw, said)
    items = _items(raw, said)
    bonus = [BonusRule(id=str(e["id"]).strip(), text=str(e["text"]).strip(),
                       per_event=_number(e["per"], e, "per", "每次", said, "bonus") or Decimal(0),
                       cap=_number(e["cap"], e, "cap", "本项上限", said, "bonus") or Decimal(0))
             for e in _entries(raw, "bonus", ("id", "text", "per", "cap"), _BONUS_NAMES, said, False)]
    deductions = [DeductionRule(id=str(e["id"]).strip(), text=str(e["text"]).strip(),
                                per_event=_number(e["per"], e, "per", "每次", said, "deductions") or Decimal(0))
                  for e in _entries(raw, "deductions", ("id", "text", "per"), _MINUS_NAMES, said, False)]
    vetoes = [VetoRule(id=str(e["id"]).strip(), text=str(e["text"]).strip())
              for e in _entries(raw, "vetoes", ("id", "text"), _VETO_NAMES, said, False)]
    return Standard(
        id=str(raw.get("id") or "").strip(),
        version=str(raw.get("version") or "").strip(),
        title=str(raw.get("title") or "").strip(),
        score_step=step,
        bonus_cap=cap,
        sections=tuple(str(s).strip() for s in sections),
        items=tuple(items),
        bonus=tuple(bonus),
        deductions=tuple(deductions),
        vetoes=tuple(vetoes),
        source=str(raw.get("source") or "").strip(),
        weights=tuple(weights),
    )


def _check_info(raw: RawStandard, said: _Said) -> None:
    """标识, 版本, 名称 and 来源 present (a workbook's 名称 standing in for a 标识 left out)."""
    info_at = raw.get("_info_at", {})
    for key, label in (("id", "标识"), ("version", "版本"), ("title", "名称"), ("source", "来源")):
        if key == "source" and "_info_at" not in raw and "source" not in raw:
            continue  # a YAML file written before 来源 existed: it says nothing about what it is
        if key == "id" and "_info_at" in raw and not raw.get("id"):
            raw["id"] = raw.get("title", "")  # a workbook may leave 标识 out: its name stands in
        if not str(raw.get(key) or "").strip():
            sheet, cell = info_at.get(key, (raw.get("_info_sheet", ""), ""))
            said.problems.append(problem("standard-info-missing", file=said.name, sheet=sheet, cell=cell,
                                         field=label))


def _weights(raw: RawStandard, sections: list[Any], said: _Said) -> list[tuple[str, Decimal]]:
    """The sections' weights as written, each checked, in the sections' order."""
    weights: list[tuple[str, Decimal]] = []
    written_weights = raw.get("weights") or {}
    if not isinstance(written_weights, dict):
        said.at(None, "", "standard-entry-invalid", list="环节权重(weights)", n=1)
        written_weights = {}
    for section, written in written_weights.items():
        entry = raw.get("_weights_at", {}).get(section, {})
        if isinstance(written, str) and written.strip().endswith(("%", "%")):
            written = written.strip()[:-1]  # "20%" typed as text: the same weight as 20
        weight = _number(written, entry, "weight", "权重", said, "weights")
        if weight is None:
            continue
        if weight <= 0:
            said.at(entry, "weight", "standard-weight-invalid", section=section, found=plain(weight))
        elif str(section) not in [str(s) for s in sections]:
            said.at(entry, "weight", "standard-weight-unknown", section=section)
        else:
            weights.append((str(section), weight))
    if weights:  # kept in the sections' order, whatever order they were written in
        order = {str(s): n for n, s in enumerate(sections)}
        weights.sort(key=lambda sw: order[sw[0]])
    return weights


def _step_and_cap(raw: RawStandard, said: _Said) -> tuple[Decimal, Decimal]:
    """分值步长 and 加分上限 as numbers (0 when not one; ``raw["_numbers_bad"]`` then says so)."""
    info_at = raw.get("_info_at", {})
    where = "“说明”" if "_info_at" in raw else "文件"
    step = _number(raw.get("score_step", "0.5"), {"_at": {"x": info_at.get("score_step", ("", ""))}, "_label": where},
                   "x", "分值步长", said, "score_step")
    cap = _number(raw.get("bonus_cap", "5"), {"_at": {"x": info_at.get("bonus_cap", ("", ""))}, "_label": where},
                  "x", "加分上限", said, "bonus_cap")
    raw["_numbers_bad"] = step is None or cap is None  # said once: not again as "步长应大于 0"
    return step or Decimal(0), cap or Decimal(0)


def _items(raw: RawStandard, said: _Said) -> list[Item]:
    items = []
    for e in _entries(raw, "items", ("id", "section", "text", "max"), _ITEM_NAMES, said, True):
        points = _number(e["max"], e, "max", "分值", said, "items")
        levels: tuple[Level, ...] = ()
        if points is not None and e.get("levels") not in (None, ""):
            levels, wrong = parse_levels(str(e["levels"]), points)
            if wrong:
                said.at(e, "levels", "standard-levels-invalid", where=_label(e, "items"), found=e["levels"],
                        detail=wrong)
        items.append(Item(id=str(e["id"]).strip(), section=str(e["section"]).strip(), text=str(e["text"]).strip(),
                          guidance=str(e.get("guidance") or "").strip(), max_points=points or Decimal(0),
                          allow_na=_yes_no(e.get("na", False), e, said), levels=levels))
    return items


def check_rules(std: Standard, raw: RawStandard, problems: list[Problem], name: str) -> None:
    said = _Said(problems, name)
    entries: dict[str, list[Entry]] = {}
    for key in ("items", "bonus", "deductions", "vetoes"):
        listed = raw.get(key)
        for e in listed if isinstance(listed, list) else []:
            if isinstance(e, dict) and e.get("id") not in (None, ""):
                entries.setdefault(str(e["id"]).strip(), []).append(e)
    first: Callable[[str], Entry] = lambda rid: entries.get(rid, [{}])[0]  # noqa: E731
    for rid, found in entries.items():
        for e in found[1:]:
            sheet, cell = _spot(found[0])
            said.at(e, "id", "standard-id-duplicate", id=rid, other=f"{sheet} {cell}".strip() or "前面")
    seen: set[str] = set()
    for n, section in enumerate(std.sections):
        entry = raw.get("_sections_at", {}).get(n, {})
        if section in seen:
            said.at(entry, "section", "standard-section-duplicate", section=section)
        seen.add(section)
    _check_step_and_cap(std, raw, said)
    for item in std.items:
        e = first(item.id)
        if item.section not in std.sections:
            said.at(e, "section", "standard-section-unknown", where=_label(e, "items"), section=item.section)
        if item.max_points <= 0:
            said.at(e, "max", "standard-points-invalid", where=_label(e, "items"), found=plain(item.max_points))
        elif std.score_step > 0 and item.max_points % std.score_step:
            said.at(e, "max", "standard-points-step", where=_label(e, "items"), found=plain(item.max_points),
                    step=plain(std.score_step))
    if raw.get("_items_unread"):  # the 评分项 header is said already: no problem follows from items unread
        return
    _check_sections_and_total(std, raw, said)
    _check_event_rules(std, first, said)


def _check_step_and_cap(std: Standard, raw: RawStandard, said: _Said) -> None:
    if std.score_step <= 0 and not raw.get("_numbers_bad"):
        said.problems.append(problem("standard-step-invalid", file=said.name, sheet=raw.get("_info_at", {}).get(
            "score_step", ("", ""))[0], cell=raw.get("_info_at", {}).get("score_step", ("", ""))[1],
            found=plain(std.score_step)))
    if std.bonus_cap < 0 and not raw.get("_numbers_bad"):
        sheet, cell = raw.get("_info_at", {}).get("bonus_cap", ("", ""))
        said.problems.append(problem("standard-cap-invalid", file=said.name, sheet=sheet, cell=cell,
                                     found=plain(std.bonus_cap)))


def _check_sections_and_total(std: Standard, raw: RawStandard, said: _Said) -> None:
    """Every section has items (or a weight would weigh nothing), and the points add up to 100 where they count."""
    for n, section in enumerate(std.sections):
        if not std.items_in(section) and section not in dict(std.weights):
            said.at(raw.get("_sections_at", {}).get(n, {}), "section", "standard-section-empty", section=section)
        elif not std.items_in(section):
            said.at(raw.get("_sections_at", {}).get(n, {}), "weight", "standard-weight-unknown", section=section)
    total = sum((item.max_points for item in std.items), Decimal(0))
    # Points are on the 100-point scale only where a section weighs by its points (no written weight); where
    # every section with items has its weight, the weights alone set the scale and the points may add to anything.
    weighs_by_points = any(std.weight_written(s) is None for s in std.sections if std.items_in(s))
    if std.items and weighs_by_points and total != BASE_TOTAL:
        sheet = "评分项" if "_info_at" in raw else ""
        said.problems.append(problem("standard-points-total", file=said.name, sheet=sheet, found=plain(total)))


def _check_event_rules(std: Standard, first: Callable[[str], Entry], said: _Said) -> None:
    for rule in std.bonus:
        e = first(rule.id)
        if rule.per_event <= 0 or rule.cap <= 0:
            said.at(e, "per", "standard-bonus-invalid", where=_label(e, "bonus"),
                    detail="每次和本项上限都应大于 0")
        elif rule.cap < rule.per_event:
            said.at(e, "cap", "standard-bonus-invalid", where=_label(e, "bonus"),
                    detail=f"本项上限 {plain(rule.cap)} 小于每次 {plain(rule.per_event)}")
    for deduction in std.deductions:
        if deduction.per_event <= 0:
            e = first(deduction.id)
            said.at(e, "per", "standard-deduction-invalid", where=_label(e, "deductions"),
                    found=plain(deduction.per_event))
