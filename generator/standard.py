"""The evaluation standard: data, never code, loaded and checked here.

A standard is data (seed: 评分标准可以根据具体情况进行调整), so the group, a province or a later year loads its own,
either as a standard workbook (评价标准工作簿, read by :mod:`generator.standard_book`) or as a YAML data file in the
shape of ``standards/ct-hall-2016.yaml``. Both are checked by the same rules here, and every problem found is
reported at once with a stable code from :mod:`generator.problems`.

The shipped standards are **examples** (their 来源 says so): the 办法's own 检查手册 is not in the seed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from .errors import StandardError
from .numbers import plain
from .problems import Problem, problem
from .why import why

STANDARDS_DIR = Path(__file__).parent / "standards"
DEFAULT_STANDARD = STANDARDS_DIR / "ct-hall-2016.yaml"
# The shipped examples, by the name `hallscore standard export --example` and the README use.
EXAMPLES = {"hall": DEFAULT_STANDARD, "kefu": STANDARDS_DIR / "kefu-example.yaml"}
BASE_TOTAL = Decimal(100)
# The 业务办理 section breaks the last ties in quota ranking (standard.md).
BUSINESS_SECTION = "业务办理"
NOT_APPLICABLE = "不适用"


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
        shape: dict = {
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


def is_workbook(path: str | Path) -> bool:
    return Path(path).suffix.lower() in (".xlsx", ".xlsm")


def load_standard(path: str | Path | None = None) -> Standard:
    """Load and check a standard (workbook or YAML data file); raise :class:`StandardError` listing every
    problem found, each with its code and, for a workbook, its sheet and cell."""
    path = Path(path) if path else DEFAULT_STANDARD
    standard, problems = check_standard(path)
    if standard is None:
        raise StandardError(report(path, problems), problems)
    return standard


def archived_text(path: str | Path) -> str:
    """What the year's archive keeps of the standard used: a data file as it is, a workbook as its canonical
    YAML (standard_book.canonical_yaml), which loads back to the same standard and checksum."""
    path = Path(path)
    if is_workbook(path):
        from .standard_book import canonical_yaml

        return canonical_yaml(load_standard(path))
    return path.read_text(encoding="utf-8")


def check_standard(path: str | Path) -> tuple[Standard | None, list[Problem]]:
    """The standard in ``path`` and every problem found in it; the standard is None when there is any error."""
    path = Path(path)
    if is_workbook(path):
        from .standard_book import read_book

        raw, problems = read_book(path)
    else:
        raw, problems = _read_yaml(path)
    if raw is None:
        return None, problems
    standard = _parse(raw, problems, path.name)
    if standard is not None:
        _check(standard, raw, problems, path.name)
    if is_workbook(path):  # in the workbook's order: sheet by sheet, row by row, as the group reads it
        from .standard_book import SHEET_ORDER

        def place(p: Problem) -> tuple:
            m = re.match(r"([A-Z]*)(\d*)$", p.cell)
            col, row = (m[1], int(m[2] or 0)) if m else ("", 0)
            return (SHEET_ORDER.index(p.sheet) if p.sheet in SHEET_ORDER else 99, row, len(col), col)

        problems.sort(key=place)
    if problems or standard is None:
        return None, problems
    return standard, problems


def report(path: Path, problems: list[Problem]) -> str:
    """Every problem as one line: where (sheet and cell, when the file has them), what, and its code."""
    lines = [f"评价标准文件 {path} 有误(共 {len(problems)} 处):"]
    lines += [f"  - {place_said(p)}{p.message}〔{p.code}〕" for p in problems]
    return "\n".join(lines)


def place_said(p: Problem) -> str:
    """Where a problem of a standard workbook is: 工作表“评分项”第 3 行 A 列(A3):, or nothing for a data file."""
    if not p.sheet:
        return ""
    m = re.fullmatch(r"([A-Z]+)(\d+)", p.cell)
    if m:
        return f"工作表“{p.sheet}”第 {m[2]} 行 {m[1]} 列({p.cell}):"
    return f"工作表“{p.sheet}”第 {p.cell} 行:" if p.cell.isdigit() else f"工作表“{p.sheet}”:"


def _read_yaml(path: Path) -> tuple[dict | None, list[Problem]]:
    from .yamlsafe import load_yaml

    name = path.name
    try:
        raw = load_yaml(path)  # no aliases, bounded size
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else ("?", "?")
        return None, [problem("standard-yaml-syntax", file=name, line=line, column=column,
                              what=_yaml_said(exc.problem or exc.context or ""))]
    except (OSError, ValueError, UnicodeDecodeError, yaml.YAMLError) as exc:
        detail = why(exc) if isinstance(exc, OSError) else "文件不是 UTF-8 文本或超出大小上限"
        if isinstance(exc, ValueError) and str(exc).startswith("文件"):
            detail = str(exc)
        return None, [problem("standard-unreadable", file=name, detail=detail)]
    if not isinstance(raw, dict):
        return None, [problem("standard-not-mapping", file=name)]
    return raw, []


# PyYAML's English phrases, said in Chinese; anything else is named by its position alone.
_YAML_PHRASES = (
    ("expected the node content", "此处缺少内容,可能括号或引号没有闭合"),
    ("found unexpected end of stream", "文件在引号或括号闭合前结束"),
    ("expected ',' or ']'", "列表 [ ] 没有正确闭合或缺少逗号"),
    ("expected ',' or '}'", "键值表 { } 没有正确闭合或缺少逗号"),
    ("mapping values are not allowed here", "此处不应出现冒号,含冒号的文字请加引号"),
    ("found character '\\t'", "含制表符,YAML 只能用空格缩进"),
    ("could not find expected ':'", "缺少冒号"),
    ("别名", "不允许使用 YAML 别名(*alias)"),
    ("锚点", "不允许使用 YAML 锚点(&anchor)"),
)


def _yaml_said(phrase: str) -> str:
    return next((said for english, said in _YAML_PHRASES if english in phrase), "缩进、冒号或括号不符合 YAML 格式")


# -- parse: one neutral shape for both sources --------------------------------------------------------
# An entry is a dict of fields; a workbook's entries carry "_at" (field → (sheet, cell)) and "_row" so that a
# problem names the cell; a YAML file's entries name their list and id instead.

def _spot(entry: dict, fld: str = "id") -> tuple[str, str]:
    return entry.get("_at", {}).get(fld, (entry.get("_sheet", ""), entry.get("_cell", "")))


def _label(entry: dict, kind: str) -> str:
    """How a message names the entry: 编号 A05 (a workbook row), items A05 (a YAML entry), or its row."""
    if "_label" in entry:
        return entry["_label"]
    rid = entry.get("id")
    if "_at" in entry:
        return f"编号 {rid}" if rid not in (None, "") else f"第 {entry.get('_row', '?')} 行"
    return f"{kind} {rid}" if rid not in (None, "") else f"{kind} 中的一项"


class _Said:
    """Problems of one file, each placed at a sheet and cell when the entry has them."""

    def __init__(self, problems: list[Problem], name: str):
        self.problems, self.name = problems, name

    def at(self, entry: dict | None, fld: str, code: str, **fields: object) -> None:
        sheet, cell = _spot(entry or {}, fld)
        self.problems.append(problem(code, file=self.name, sheet=sheet, cell=cell, **fields))


def _number(value: object, entry: dict, fld: str, what: str, said: _Said, kind: str) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        number = None
    # A standard's points, steps and weights are small: 1e400 is a typo, and Decimal cannot divide it by a step.
    if number is None or not number.is_finite() or isinstance(value, bool) or abs(number) >= 10**6:
        said.at(entry, fld, "standard-not-number", where=_label(entry, kind), field=what, found=value)
        return None
    return number


def _entries(raw: dict, key: str, fields: tuple[str, ...], names: dict[str, str], said: _Said,
             required: bool) -> list[dict]:
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
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value  # type: ignore[operator]


def _yes_no(value: object, entry: dict, said: _Said) -> bool:
    if isinstance(value, bool) or value is None or value == "":
        return bool(value)
    text = str(value).strip()
    if text in ("是", "否"):
        return text == "是"
    said.at(entry, "na", "standard-yesno-invalid", where=_label(entry, "items"), found=text)
    return False


def _parse(raw: dict, problems: list[Problem], name: str) -> Standard | None:
    said = _Said(problems, name)
    info_at = raw.get("_info_at", {})
    for key, label in (("id", "标识"), ("version", "版本"), ("title", "名称"), ("source", "来源")):
        if key == "source" and "_info_at" not in raw and "source" not in raw:
            continue  # a YAML file written before 来源 existed: it says nothing about what it is
        if key == "id" and "_info_at" in raw and not raw.get("id"):
            raw["id"] = raw.get("title", "")  # a workbook may leave 标识 out: its name stands in
        if not str(raw.get(key) or "").strip():
            sheet, cell = info_at.get(key, (raw.get("_info_sheet", ""), ""))
            problems.append(problem("standard-info-missing", file=name, sheet=sheet, cell=cell, field=label))
    sections = raw.get("sections")
    if not isinstance(sections, list) or not sections:
        said.at(None, "", "standard-list-missing", list="环节(sections)")
        sections = []
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
    where = "“说明”" if "_info_at" in raw else "文件"
    step = _number(raw.get("score_step", "0.5"), {"_at": {"x": info_at.get("score_step", ("", ""))}, "_label": where},
                   "x", "分值步长", said, "score_step")
    cap = _number(raw.get("bonus_cap", "5"), {"_at": {"x": info_at.get("bonus_cap", ("", ""))}, "_label": where},
                  "x", "加分上限", said, "bonus_cap")
    raw["_numbers_bad"] = step is None or cap is None  # said once: not again as "步长应大于 0"
    step, cap = step or Decimal(0), cap or Decimal(0)

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
    bonus = []
    for e in _entries(raw, "bonus", ("id", "text", "per", "cap"), _BONUS_NAMES, said, False):
        bonus.append(BonusRule(id=str(e["id"]).strip(), text=str(e["text"]).strip(),
                               per_event=_number(e["per"], e, "per", "每次", said, "bonus") or Decimal(0),
                               cap=_number(e["cap"], e, "cap", "本项上限", said, "bonus") or Decimal(0)))
    deductions = []
    for e in _entries(raw, "deductions", ("id", "text", "per"), _MINUS_NAMES, said, False):
        deductions.append(DeductionRule(id=str(e["id"]).strip(), text=str(e["text"]).strip(),
                                        per_event=_number(e["per"], e, "per", "每次", said, "deductions")
                                        or Decimal(0)))
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


def _check(std: Standard, raw: dict, problems: list[Problem], name: str) -> None:
    said = _Said(problems, name)
    entries: dict[str, list[dict]] = {}
    for key in ("items", "bonus", "deductions", "vetoes"):
        listed = raw.get(key)
        for e in listed if isinstance(listed, list) else []:
            if isinstance(e, dict) and e.get("id") not in (None, ""):
                entries.setdefault(str(e["id"]).strip(), []).append(e)
    first: Callable[[str], dict] = lambda rid: entries.get(rid, [{}])[0]  # noqa: E731
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
    if std.score_step <= 0 and not raw.get("_numbers_bad"):
        problems.append(problem("standard-step-invalid", file=name, sheet=raw.get("_info_at", {}).get(
            "score_step", ("", ""))[0], cell=raw.get("_info_at", {}).get("score_step", ("", ""))[1],
            found=plain(std.score_step)))
    if std.bonus_cap < 0 and not raw.get("_numbers_bad"):
        sheet, cell = raw.get("_info_at", {}).get("bonus_cap", ("", ""))
        problems.append(problem("standard-cap-invalid", file=name, sheet=sheet, cell=cell, found=plain(std.bonus_cap)))
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
        problems.append(problem("standard-points-total", file=name, sheet=sheet, found=plain(total)))
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
