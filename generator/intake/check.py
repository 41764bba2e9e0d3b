"""The check of one returned workbook: every problem it has, pinned to sheet and cell, before it is accepted.

:func:`check_file` checks the container before any XML parser sees the file, reads the sheets within bounds,
and lets :class:`ReturnChecker` compare them with the template contract, the standard and the register.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Literal

from openpyxl.utils import get_column_letter

from generator.intake.status import CheckOutcome, ReturnRecord
from generator.numbers import plain
from generator.rules import contract as wbk
from generator.rules.container_check import check_container
from generator.rules.problems import ERROR, Problem, problem
from generator.rules.register import Hall
from generator.rules.standard import Item, Standard
from generator.why import why
from generator.xlsx.container import DEFAULT_LIMITS, Limits, Parts
from generator.xlsx.reader import Budget, Grid, SheetTooLarge, read_grids
from generator.xlsx.textcell import UNSAFE, unsafe_chars

MAX_EVENTS = 10_000

ISSUED_PROPERTY = "hallscore.issued"  # custom property of the workbooks hallscore sends out that are no returns
_ISSUED = re.compile(br'name="hallscore\.issued"[^>]*>\s*<vt:lpwstr>([^<]{1,40})</vt:lpwstr>')


def issued_as(parts: dict[str, bytes]) -> str:
    """What hallscore issued this workbook as ("问题清单" …), from its custom properties; "" for a return."""
    found = _ISSUED.search(parts.get("docProps/custom.xml", b""))
    return found[1].decode("utf-8", "replace") if found else ""


def check_file(path: Path, name: str, standard: Standard, register: dict[str, Hall], year: int,
               today: date | None = None, limits: Limits = DEFAULT_LIMITS) -> CheckOutcome:
    """Validate one returned workbook: ``(record or None, problems, hall id as far as known)``.

    Never raises on bad content: whatever is wrong with the file becomes a problem. The container is
    checked before any XML parser sees the file.
    """
    today = today or date.today()
    try:
        parts = Parts()  # unzipped once: scanned for entities, then read (the zip opened once)
        found = check_container(Path(path), name, limits, parts)
    except OSError as exc:  # vanished or unreadable between discovery and now
        return None, [problem("file-unreadable", file=name, detail=why(exc))], ""
    if any(p.severity == ERROR for p in found):
        return None, found, ""
    issued = issued_as(parts)
    if issued:  # a workbook hallscore issued (a 问题清单 …) among the returns: its own, not a return
        return None, [problem("hallscore-issued", file=name, kind=issued)], ""
    try:
        data = path.read_bytes()
        grids = read_grids(path, lambda: Budget(limits.max_rows, limits.max_cols, limits.max_cells,
                                                     limits.max_part_bytes), parts)
    except SheetTooLarge as exc:
        return None, found + [problem("sheet-too-large", file=name, sheet=exc.sheet, what=exc.what_said, found=exc.found,
                                      limit=exc.limit)], ""
    except Exception as exc:  # any parser failure is a property of the file, not of our run
        detail = why(exc)
        return None, found + [problem("file-unreadable", file=name, detail=detail)], ""
    checker = ReturnChecker(name, standard, register, year, today, grids)
    try:
        record = checker.run()
    except Exception as exc:  # a bug of ours must not stop the other files; it is reported, not hidden
        detail = why(exc)
        return None, _bounded(found + checker.problems + [problem("check-failed", file=name, detail=detail)],
                              name, limits), checker.hint()
    if record is not None:
        record.file = name
        record.sha256 = hashlib.sha256(data).hexdigest()
    return record, _bounded(found + checker.problems, name, limits), checker.hint()


def _bounded(problems: list[Problem], name: str, limits: Limits) -> list[Problem]:
    """At most ``max_problems`` per file, errors first kept; the rest summed up in one problem."""
    if len(problems) <= limits.max_problems:
        return problems
    kept = problems[:limits.max_problems]
    return kept + [problem("problems-truncated", file=name, count=len(problems) - len(kept), total=len(problems))]


class ReturnChecker:
    """Collects every problem of one workbook before deciding whether it is accepted."""

    def __init__(self, name: str, standard: Standard, register: dict[str, Hall], year: int, today: date,
                 grids: dict[str, Grid]) -> None:
        self.name, self.standard, self.register = name, standard, register
        self.year, self.today, self.grids = year, today, grids
        self.problems: list[Problem] = []
        self.hall_id = ""
        self.round = ""
        self.date = ""

    def hint(self) -> str:
        """The hall id as far as known and the round when readable (``split_hint``): a rejection names both, so
        the accepted return of the same hall and round can close it."""
        return f"{self.hall_id}\x1f{self.round}\x1f{self.date}" if self.round else self.hall_id

    def add(self, code: str, sheet: str = "", cell: str = "", **fields: object) -> None:
        self.problems.append(problem(code, file=self.name, sheet=sheet, cell=cell, **fields))

    def run(self) -> ReturnRecord | None:
        meta = self._meta()
        if meta is None:
            return None
        self.hall_id = meta["hall_id"]
        missing = [s for s in wbk.sheets_for(self.standard) if s not in self.grids]
        for sheet in missing:
            self.add("template-sheet-missing", sheet=sheet)
        if missing:
            return None
        hall_id, rnd, when, inspector = self._cover(meta)
        if rnd in wbk.ROUNDS and hall_id == self.hall_id:
            self.round, self.date = rnd, when
        scores, reasons = self._items()
        events, event_notes = self._events()
        vetoes, veto_notes = self._vetoes()
        if any(p.severity == ERROR for p in self.problems):
            return None
        inspector = self._clean(wbk.SHEET_COVER, "检查人", inspector)
        reasons = {k: self._clean(wbk.SHEET_ITEMS, f"编号 {k} 的扣分原因", v) for k, v in reasons.items()}
        event_notes = {k: self._clean(wbk.SHEET_EVENTS, f"编号 {k} 的说明", v) for k, v in event_notes.items()}
        veto_notes = {k: self._clean(wbk.SHEET_VETO, f"编号 {k} 的说明", v) for k, v in veto_notes.items()}
        return ReturnRecord(hall_id, rnd, when, inspector, scores, reasons, events, event_notes, vetoes, veto_notes)

    def _clean(self, sheet: str, field: str, text: str) -> str:
        """Typed text goes on into pages and exports: control characters and non-characters removed, and said."""
        bad = unsafe_chars(text)
        if not bad:
            return text
        self.add("text-cleaned", sheet=sheet, field=field, chars="、".join(bad[:5]))
        return UNSAFE.sub("", text)

    # -- _meta and cover ---------------------------------------------------------------------------
    def _meta(self) -> dict[str, str] | None:
        grid = self.grids.get(wbk.SHEET_META)
        if grid is None:
            self.add("template-unknown", sheet=wbk.SHEET_META, detail="没有 _meta 工作表")
            return None
        meta = {str(r[0]): _text(r[1]) for r in grid.rows if len(r) >= 2 and r[0] is not None}
        lacking = [k for k in wbk.META_KEYS if not meta.get(k)]
        blank = {"hall_id", "year", "created"}
        if set(lacking) == blank and meta["template_id"].startswith(wbk.TEMPLATE_PREFIX + ":"):
            self.add("template-master", sheet=wbk.SHEET_META)  # forms.write_master leaves just these empty
            return None
        if lacking or not meta["template_id"].startswith(wbk.TEMPLATE_PREFIX + ":"):
            self.add("template-unknown", sheet=wbk.SHEET_META, detail="缺少 " + "、".join(lacking or ["template_id"]))
            return None
        std = self.standard
        found = f"{meta['standard_id']} {meta['standard_version']}"
        if (meta["standard_id"], meta["standard_version"]) != (std.id, std.version) or meta[
            "standard_checksum"
        ] != _checksum(std):
            self.add("template-standard-mismatch", sheet=wbk.SHEET_META, cell="B2",
                     found=found, expected=f"{std.id} {std.version}")
            return None
        if meta["year"] != str(self.year):
            self.add("template-year-mismatch", sheet=wbk.SHEET_META, cell="B6",
                     found=meta["year"], expected=self.year)
            return None
        return meta

    def _cover(self, meta: dict[str, str]) -> tuple[str, str, str, str]:
        """(hall id, round, 检查日期, inspector) from the 封面, each field checked; "" for what is not usable."""
        grid = self.grids[wbk.SHEET_COVER]
        sheet = wbk.SHEET_COVER
        where: dict[str, tuple[int, object]] = {}
        for r, row in enumerate(grid.rows, 1):
            label = _text(row[0]) if row else ""
            if label in wbk.COVER_FIELDS and label not in where:
                where[label] = (r, row[1] if len(row) > 1 else None)
        for label in wbk.COVER_FIELDS:
            if label not in where:
                self.add("template-header-missing", sheet=sheet, column=label)
        if len(where) != len(wbk.COVER_FIELDS):
            return "", "", "", ""

        def cell(label: str) -> str:
            return f"B{where[label][0]}"

        hall_id = _text(where["厅编码"][1])
        self._cover_hall(meta, hall_id, {label: _text(value) for label, (_, value) in where.items()}, cell)
        rnd = _text(where["检查轮次"][1])
        if not rnd:
            self.add("cover-round-missing", sheet=sheet, cell=cell("检查轮次"))
        elif rnd not in wbk.ROUNDS:
            self.add("cover-round-invalid", sheet=sheet, cell=cell("检查轮次"), found=rnd)
        when = self._cover_date(where["检查日期"][1], cell("检查日期"))
        inspector = _text(where["检查人"][1])
        if not inspector:
            self.add("cover-inspector-missing", sheet=sheet, cell=cell("检查人"))
        return hall_id, rnd, when.isoformat() if when else "", inspector

    def _cover_hall(self, meta: dict[str, str], hall_id: str, texts: dict[str, str],
                    cell: Callable[[str], str]) -> None:
        """The 厅编码 against the file name, the _meta sheet and the register; the hall's data left as issued."""
        sheet = wbk.SHEET_COVER
        hall = self.register.get(hall_id)
        named = wbk.FILE_HALL_ID.match(Path(self.name).name)
        # Only a prefix shaped like a hall id counts: "2025_自评.xlsx" names a year, not a hall.
        if named and named[1] != hall_id and (named[1] in self.register or len(named[1]) == len(hall_id)):
            self.add("hall-filename-mismatch", sheet=sheet, cell=cell("厅编码"), found=hall_id, expected=named[1])
        if hall_id != meta["hall_id"]:
            self.add("hall-meta-mismatch", sheet=sheet, cell=cell("厅编码"), found=hall_id, expected=meta["hall_id"])
        elif hall is None:
            self.add("hall-unknown", sheet=sheet, cell=cell("厅编码"), found=hall_id)
        else:
            expected = {"厅名称": hall.name, "省": hall.province, "市": hall.city, "区县": hall.district,
                        "级别": str(hall.level), "类型": hall.type}
            for label, want in expected.items():
                got = texts[label]
                if got != want:
                    self.add("hall-data-edited", sheet=sheet, cell=cell(label), field=label, found=got, expected=want)

    def _cover_date(self, raw_date: object, at: str) -> date | None:
        """The 检查日期 when it is a date of the evaluation year not after today; each other case said."""
        sheet = wbk.SHEET_COVER
        when = _as_date(raw_date)
        if _text(raw_date) == "":
            self.add("cover-date-missing", sheet=sheet, cell=at, year=self.year)
        elif when is None:
            self.add("cover-date-invalid", sheet=sheet, cell=at, found=_text(raw_date), year=self.year)
        elif when.year != self.year:
            self.add("cover-date-wrong-year", sheet=sheet, cell=at, found=when.isoformat(), year=self.year)
        elif when > self.today:
            self.add("cover-date-future", sheet=sheet, cell=at, found=when.isoformat(), today=self.today.isoformat())
        if when is not None and (when.year != self.year or when > self.today):
            return None
        return when

    # -- tables ------------------------------------------------------------------------------------
    def _table(self, sheet: str, needed: tuple[str, ...],
               expected_ids: list[str]) -> tuple[dict[str, TableRow] | None, dict[str, int]]:
        """Map 编号 → (row number, {header: value}) for one sheet, reporting structural problems."""
        grid = self.grids[sheet]
        header = [_text(v) for v in (grid.rows[wbk.HEADER_ROW - 1] if grid.rows else [])]
        cols = {}
        for name in needed:
            if name in header:
                cols[name] = header.index(name) + 1
            else:
                self.add("template-header-missing", sheet=sheet, cell=f"{wbk.HEADER_ROW}", column=name)
        if len(cols) != len(needed):
            return None, cols
        rows: dict[str, TableRow] = {}
        for r in range(wbk.HEADER_ROW + 1, len(grid.rows) + 1):
            rid = _text(grid.value(r, cols["编号"]))
            if not rid:
                continue
            if rid in rows:
                self.add("template-row-duplicate", sheet=sheet, cell=f"{_col(cols['编号'])}{r}", id=rid)
                continue
            if rid not in expected_ids:
                self.add("template-row-extra", sheet=sheet, cell=f"{_col(cols['编号'])}{r}", id=rid)
                continue
            rows[rid] = (r, {name: grid.value(r, c) for name, c in cols.items()})
        for rid in expected_ids:
            if rid not in rows:
                self.add("template-row-missing", sheet=sheet, id=rid)
        # Rows moved or sorted: compare the order found with the standard's, ignoring missing rows.
        order = sorted(rows, key=lambda rid: rows[rid][0])
        wanted = [rid for rid in expected_ids if rid in rows]
        for got, want in zip(order, wanted):
            if got != want:
                self.add("template-row-order", sheet=sheet, cell=f"{_col(cols['编号'])}{rows[got][0]}",
                         expected=want, found=got)
                break
        return rows, cols

    def _items(self) -> tuple[dict[str, Decimal | None], dict[str, str]]:
        sheet = wbk.SHEET_ITEMS
        std = self.standard
        rows, cols = self._table(sheet, ("编号", "检查内容", "分值", "得分", "扣分原因"), [i.id for i in std.items])
        scores: dict[str, Decimal | None] = {}
        reasons: dict[str, str] = {}
        if rows is None:
            return scores, reasons
        for item in std.items:
            if item.id not in rows:
                continue
            r, cells = rows[item.id]

            def at(name: str, r: int = r) -> str:
                return f"{_col(cols[name])}{r}"

            if _text(cells["检查内容"]) != item.text:
                self.add("template-item-edited", sheet=sheet, cell=at("检查内容"), id=item.id, field="检查内容",
                         found=_text(cells["检查内容"]), expected=item.text)
            if _decimal(cells["分值"]) != item.max_points:
                self.add("template-item-edited", sheet=sheet, cell=at("分值"), id=item.id, field="分值",
                         found=_text(cells["分值"]), expected=_fmt(item.max_points))
            score = self._score(item, cells["得分"], at("得分"))
            reason = _text(cells["扣分原因"])
            if score is Invalid.SCORE:
                continue
            scores[item.id] = score
            if reason:
                reasons[item.id] = reason
            if score is not None and score < item.max_points and not reason:
                self.add("reason-missing", sheet=sheet, cell=at("扣分原因"), id=item.id,
                         found=_fmt(score), max=_fmt(item.max_points))
        return scores, reasons

    def _score(self, item: Item, value: object, cell: str) -> Score:
        sheet = wbk.SHEET_ITEMS
        na = ",或填“不适用”" if item.allow_na else ""
        mx = _fmt(item.max_points)
        text = _text(value)
        if text == "" and item.levels:
            return self._level(item, text, cell)
        if text == "":
            self.add("score-blank", sheet=sheet, cell=cell, id=item.id, max=mx, na=na)
            return Invalid.SCORE
        if isinstance(value, str) and text.startswith("="):
            self.add("score-formula", sheet=sheet, cell=cell, id=item.id, found=text)
            return Invalid.SCORE
        if item.levels and text != wbk.NOT_APPLICABLE:
            return self._level(item, text, cell)
        if text == wbk.NOT_APPLICABLE:
            if not item.allow_na:
                self.add("score-na-forbidden", sheet=sheet, cell=cell, id=item.id, max=mx)
                return Invalid.SCORE
            return None
        number = _decimal(value)
        if number is None:
            self.add("score-not-number", sheet=sheet, cell=cell, id=item.id, found=text, max=mx, na=na)
            return Invalid.SCORE
        if number < 0 or number > item.max_points:
            self.add("score-out-of-range", sheet=sheet, cell=cell, id=item.id, found=_fmt(number), max=mx)
            return Invalid.SCORE
        if number % self.standard.score_step:
            self.add("score-step", sheet=sheet, cell=cell, id=item.id, found=_fmt(number),
                     step=_fmt(self.standard.score_step))
            return Invalid.SCORE
        return number

    def _level(self, item: Item, text: str, cell: str) -> Score:
        """A level-rated item takes one of its levels (the dropdown's), never a number: the level's points."""
        level = self.standard.level_named(item, text)
        if level is None:
            self.add("score-level-invalid", sheet=wbk.SHEET_ITEMS, cell=cell, id=item.id, found=text,
                     levels="/".join(lv.name for lv in item.levels), na="(或“不适用”)" if item.allow_na else "")
            return Invalid.SCORE
        return level.points

    def _events(self) -> tuple[dict[str, int], dict[str, str]]:
        sheet = wbk.SHEET_EVENTS
        if sheet not in self.grids:  # a standard without bonus and deduction items: the sheet is left out
            return {}, {}
        texts = {r.id: r.text for r in self.standard.bonus} | {r.id: r.text for r in self.standard.deductions}
        bonus = {r.id for r in self.standard.bonus}
        events: dict[str, int] = {}
        notes: dict[str, str] = {}
        for rid, r, cells, cols in self._listed_rows(sheet, ("编号", "项目", "次数", "说明"), texts):
            value = cells["次数"]
            text = _text(value)
            count = _decimal(value) if text else Decimal(0)
            if (isinstance(value, str) and text.startswith("=")) or count is None or not 0 <= count <= MAX_EVENTS \
                    or count % 1:
                self.add("event-count-invalid", sheet=sheet, cell=f"{_col(cols['次数'])}{r}", id=rid, found=text)
                continue
            events[rid] = int(count)
            note = _text(cells["说明"])
            if note:
                notes[rid] = note
            elif count and rid in bonus:  # a gained point needs its evidence as much as a lost one
                self.add("bonus-note-missing", sheet=sheet, cell=f"{_col(cols['说明'])}{r}", id=rid, found=int(count))
            elif count:
                self.add("event-note-missing", sheet=sheet, cell=f"{_col(cols['说明'])}{r}", id=rid, found=int(count))
        return events, notes

    def _listed_rows(self, sheet: str, headers: tuple[str, ...],
                     texts: dict[str, str]) -> Iterator[tuple[str, int, dict[str, object], dict[str, int]]]:
        """(id, row, cells, columns) of each row of ``sheet`` the standard lists, its 项目 checked unedited."""
        rows, cols = self._table(sheet, headers, list(texts))
        for rid in texts if rows is not None else ():
            if rows is not None and rid in rows:
                r, cells = rows[rid]
                self._same_text(sheet, r, cols, cells, rid, texts[rid])
                yield rid, r, cells, cols

    def _same_text(self, sheet: str, r: int, cols: dict[str, int], cells: dict[str, object], rid: str,
                   expected: str) -> None:
        if _text(cells["项目"]) != expected:
            self.add("template-item-edited", sheet=sheet, cell=f"{_col(cols['项目'])}{r}", id=rid, field="项目",
                     found=_text(cells["项目"]), expected=expected)

    def _vetoes(self) -> tuple[dict[str, bool], dict[str, str]]:
        sheet = wbk.SHEET_VETO
        if sheet not in self.grids:  # a standard without veto items: the sheet is left out
            return {}, {}
        texts = {v.id: v.text for v in self.standard.vetoes}
        vetoes: dict[str, bool] = {}
        notes: dict[str, str] = {}
        for rid, r, cells, cols in self._listed_rows(sheet, ("编号", "项目", "是否发生", "说明"), texts):
            answer = _text(cells["是否发生"])
            if answer not in (wbk.YES, wbk.NO):
                self.add("veto-invalid", sheet=sheet, cell=f"{_col(cols['是否发生'])}{r}", id=rid, found=answer)
                continue
            vetoes[rid] = answer == wbk.YES
            if _text(cells["说明"]):
                notes[rid] = _text(cells["说明"])
            elif vetoes[rid]:  # like points lost without a reason: a veto must say what happened
                self.add("veto-note-missing", sheet=sheet, cell=f"{_col(cols['说明'])}{r}", id=rid, text=texts[rid])
        return vetoes, notes


class Invalid(Enum):
    """A score cell that cannot be used (its problem already added): neither a score nor 不适用."""

    SCORE = "invalid"


# A score as read: the points, None for 不适用, or Invalid.SCORE.
Score = Decimal | None | Literal[Invalid.SCORE]
# One row of a table sheet: its row number and its cells by header.
TableRow = tuple[int, dict[str, object]]

# The last standard checksummed and its checksum: one standard serves a whole run, hashed once.
_last_checksum: tuple[Standard | None, str] = (None, "")


def _checksum(standard: Standard) -> str:
    global _last_checksum
    if _last_checksum[0] is not standard:  # a Standard is frozen: same object, same checksum
        _last_checksum = (standard, standard.checksum)
    return _last_checksum[1]


def _col(n: int) -> str:
    return str(get_column_letter(n))


def _text(value: object) -> str:
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


def _decimal(value: object) -> Decimal | None:
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


def _fmt(number: Decimal) -> str:
    return plain(number)


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return None
    return None
