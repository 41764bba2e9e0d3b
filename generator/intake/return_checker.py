"""The check of one workbook's sheets against the standard: the scored items, the events and the vetoes.

:class:`ReturnChecker` runs the whole check of a read workbook (its ``_meta`` and 封面 by
:class:`~generator.intake.cover_check.CoverChecker`, then the table sheets here) and turns a clean one into a
:class:`~generator.intake.status.ReturnRecord`, its typed text cleaned.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from enum import Enum
from typing import Literal

from generator.intake.cell_values import cell_decimal, cell_text, column_letter, fmt_points
from generator.intake.cover_check import CoverChecker
from generator.intake.status import ReturnRecord
from generator.rules import contract as wbk
from generator.rules.problems import ERROR
from generator.rules.standard import Item
from generator.xlsx.textcell import UNSAFE, unsafe_chars

MAX_EVENTS = 10_000


class ReturnChecker(CoverChecker):
    """Collects every problem of one workbook before deciding whether it is accepted."""

    def run(self) -> ReturnRecord | None:
        meta = self.check_meta()
        if meta is None:
            return None
        self.hall_id = meta["hall_id"]
        missing = [s for s in wbk.sheets_for(self.standard) if s not in self.grids]
        for sheet in missing:
            self.add("template-sheet-missing", sheet=sheet)
        if missing:
            return None
        hall_id, rnd, when, inspector = self.check_cover(meta)
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

    # -- tables ------------------------------------------------------------------------------------
    def _table(self, sheet: str, needed: tuple[str, ...],
               expected_ids: list[str]) -> tuple[dict[str, TableRow] | None, dict[str, int]]:
        """Map 编号 → (row number, {header: value}) for one sheet, reporting structural problems."""
        grid = self.grids[sheet]
        header = [cell_text(v) for v in (grid.rows[wbk.HEADER_ROW - 1] if grid.rows else [])]
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
            rid = cell_text(grid.value(r, cols["编号"]))
            if not rid:
                continue
            if rid in rows:
                self.add("template-row-duplicate", sheet=sheet, cell=f"{column_letter(cols['编号'])}{r}", id=rid)
                continue
            if rid not in expected_ids:
                self.add("template-row-extra", sheet=sheet, cell=f"{column_letter(cols['编号'])}{r}", id=rid)
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
                self.add("template-row-order", sheet=sheet, cell=f"{column_letter(cols['编号'])}{rows[got][0]}",
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
                return f"{column_letter(cols[name])}{r}"

            if cell_text(cells["检查内容"]) != item.text:
                self.add("template-item-edited", sheet=sheet, cell=at("检查内容"), id=item.id, field="检查内容",
                         found=cell_text(cells["检查内容"]), expected=item.text)
            if cell_decimal(cells["分值"]) != item.max_points:
                self.add("template-item-edited", sheet=sheet, cell=at("分值"), id=item.id, field="分值",
                         found=cell_text(cells["分值"]), expected=fmt_points(item.max_points))
            score = self._score(item, cells["得分"], at("得分"))
            reason = cell_text(cells["扣分原因"])
            if score is Invalid.SCORE:
                continue
            scores[item.id] = score
            if reason:
                reasons[item.id] = reason
            if score is not None and score < item.max_points and not reason:
                self.add("reason-missing", sheet=sheet, cell=at("扣分原因"), id=item.id,
                         found=fmt_points(score), max=fmt_points(item.max_points))
        return scores, reasons

    def _score(self, item: Item, value: object, cell: str) -> Score:
        sheet = wbk.SHEET_ITEMS
        na = ",或填“不适用”" if item.allow_na else ""
        mx = fmt_points(item.max_points)
        text = cell_text(value)
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
        number = cell_decimal(value)
        if number is None:
            self.add("score-not-number", sheet=sheet, cell=cell, id=item.id, found=text, max=mx, na=na)
            return Invalid.SCORE
        if number < 0 or number > item.max_points:
            self.add("score-out-of-range", sheet=sheet, cell=cell, id=item.id, found=fmt_points(number), max=mx)
            return Invalid.SCORE
        if number % self.standard.score_step:
            self.add("score-step", sheet=sheet, cell=cell, id=item.id, found=fmt_points(number),
                     step=fmt_points(self.standard.score_step))
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
            text = cell_text(value)
            count = cell_decimal(value) if text else Decimal(0)
            if (isinstance(value, str) and text.startswith("=")) or count is None or not 0 <= count <= MAX_EVENTS \
                    or count % 1:
                self.add("event-count-invalid", sheet=sheet, cell=f"{column_letter(cols['次数'])}{r}", id=rid,
                         found=text)
                continue
            events[rid] = int(count)
            note = cell_text(cells["说明"])
            if note:
                notes[rid] = note
            elif count and rid in bonus:  # a gained point needs its evidence as much as a lost one
                self.add("bonus-note-missing", sheet=sheet, cell=f"{column_letter(cols['说明'])}{r}", id=rid,
                         found=int(count))
            elif count:
                self.add("event-note-missing", sheet=sheet, cell=f"{column_letter(cols['说明'])}{r}", id=rid,
                         found=int(count))
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
        if cell_text(cells["项目"]) != expected:
            self.add("template-item-edited", sheet=sheet, cell=f"{column_letter(cols['项目'])}{r}", id=rid,
                     field="项目", found=cell_text(cells["项目"]), expected=expected)

    def _vetoes(self) -> tuple[dict[str, bool], dict[str, str]]:
        sheet = wbk.SHEET_VETO
        if sheet not in self.grids:  # a standard without veto items: the sheet is left out
            return {}, {}
        texts = {v.id: v.text for v in self.standard.vetoes}
        vetoes: dict[str, bool] = {}
        notes: dict[str, str] = {}
        for rid, r, cells, cols in self._listed_rows(sheet, ("编号", "项目", "是否发生", "说明"), texts):
            answer = cell_text(cells["是否发生"])
            if answer not in (wbk.YES, wbk.NO):
                self.add("veto-invalid", sheet=sheet, cell=f"{column_letter(cols['是否发生'])}{r}", id=rid,
                         found=answer)
                continue
            vetoes[rid] = answer == wbk.YES
            if cell_text(cells["说明"]):
                notes[rid] = cell_text(cells["说明"])
            elif vetoes[rid]:  # like points lost without a reason: a veto must say what happened
                self.add("veto-note-missing", sheet=sheet, cell=f"{column_letter(cols['说明'])}{r}", id=rid,
                         text=texts[rid])
        return vetoes, notes


class Invalid(Enum):
    """A score cell that cannot be used (its problem already added): neither a score nor 不适用."""

    SCORE = "invalid"


# A score as read: the points, None for 不适用, or Invalid.SCORE.
Score = Decimal | None | Literal[Invalid.SCORE]
# One row of a table sheet: its row number and its cells by header.
TableRow = tuple[int, dict[str, object]]
