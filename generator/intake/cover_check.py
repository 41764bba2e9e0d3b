"""What the check of one workbook holds, and the checks of its ``_meta`` and 封面 sheets: whose return it is.

:class:`CoverChecker` keeps the problems found so far and the hall and round as far as known, and checks the
template, standard and year of ``_meta`` and the hall, round, 检查日期 and inspector of the 封面 against the file
name, the register and today. The table sheets are checked by its subclass
:class:`~generator.intake.return_checker.ReturnChecker`, kept apart so that each stays readable.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from generator.intake.cell_values import cell_date, cell_text
from generator.rules import contract as wbk
from generator.rules.problems import Problem, problem
from generator.rules.register import Hall
from generator.rules.standard import Standard
from generator.xlsx.reader import Grid


class CoverChecker:
    """The state of one workbook's check (its problems, hall, round and date) and its _meta and 封面 checks."""

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

    # -- _meta and cover ---------------------------------------------------------------------------
    def check_meta(self) -> dict[str, str] | None:
        grid = self.grids.get(wbk.SHEET_META)
        if grid is None:
            self.add("template-unknown", sheet=wbk.SHEET_META, detail="没有 _meta 工作表")
            return None
        meta = {str(r[0]): cell_text(r[1]) for r in grid.rows if len(r) >= 2 and r[0] is not None}
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

    def check_cover(self, meta: dict[str, str]) -> tuple[str, str, str, str]:
        """(hall id, round, 检查日期, inspector) from the 封面, each field checked; "" for what is not usable."""
        grid = self.grids[wbk.SHEET_COVER]
        sheet = wbk.SHEET_COVER
        where: dict[str, tuple[int, object]] = {}
        for r, row in enumerate(grid.rows, 1):
            label = cell_text(row[0]) if row else ""
            if label in wbk.COVER_FIELDS and label not in where:
                where[label] = (r, row[1] if len(row) > 1 else None)
        for label in wbk.COVER_FIELDS:
            if label not in where:
                self.add("template-header-missing", sheet=sheet, column=label)
        if len(where) != len(wbk.COVER_FIELDS):
            return "", "", "", ""

        def cell(label: str) -> str:
            return f"B{where[label][0]}"

        hall_id = cell_text(where["厅编码"][1])
        self._cover_hall(meta, hall_id, {label: cell_text(value) for label, (_, value) in where.items()}, cell)
        rnd = cell_text(where["检查轮次"][1])
        if not rnd:
            self.add("cover-round-missing", sheet=sheet, cell=cell("检查轮次"))
        elif rnd not in wbk.ROUNDS:
            self.add("cover-round-invalid", sheet=sheet, cell=cell("检查轮次"), found=rnd)
        when = self._cover_date(where["检查日期"][1], cell("检查日期"))
        inspector = cell_text(where["检查人"][1])
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
        when = cell_date(raw_date)
        if cell_text(raw_date) == "":
            self.add("cover-date-missing", sheet=sheet, cell=at, year=self.year)
        elif when is None:
            self.add("cover-date-invalid", sheet=sheet, cell=at, found=cell_text(raw_date), year=self.year)
        elif when.year != self.year:
            self.add("cover-date-wrong-year", sheet=sheet, cell=at, found=when.isoformat(), year=self.year)
        elif when > self.today:
            self.add("cover-date-future", sheet=sheet, cell=at, found=when.isoformat(), today=self.today.isoformat())
        if when is not None and (when.year != self.year or when > self.today):
            return None
        return when


# The last standard checksummed and its checksum: one standard serves a whole run, hashed once.
_last_checksum: tuple[Standard | None, str] = (None, "")


def _checksum(standard: Standard) -> str:
    global _last_checksum
    if _last_checksum[0] is not standard:  # a Standard is frozen: same object, same checksum
        _last_checksum = (standard, standard.checksum)
    return _last_checksum[1]
