"""The workbook contract shared by the forms writer, the intake reader, the register and the demo filler.

Sheet names, header names, cover labels (the register's columns) and the file name's hall id live here only.
The reader finds rows by 编号 and columns by header name, so a later layout change in the writer does not break
returns made from older forms.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

# A return's cover names its round: the names and their order are terms.py's, read here under the same name.
from generator.rules.terms import ROUNDS as ROUNDS

SHEET_GUIDE = "说明"
SHEET_COVER = "封面"
SHEET_ITEMS = "检查表"
SHEET_EVENTS = "加分扣分"
SHEET_VETO = "一票否决"
SHEET_META = "_meta"
SHEETS = (SHEET_GUIDE, SHEET_COVER, SHEET_ITEMS, SHEET_EVENTS, SHEET_VETO, SHEET_META)
# Hidden sheet holding the dropdown lists behind defined names (not part of what intake needs).
SHEET_LISTS = "_lists"

# 封面: labels in column A, values in column B.
# The hall fields are the register's columns, in the same order (register.COLUMNS).
COVER_HALL_FIELDS = ("厅编码", "厅名称", "省", "市", "区县", "级别", "类型")
HALL_TYPES = ("自营", "社会合作")
COVER_INPUT_FIELDS = ("检查轮次", "检查日期", "检查人")
COVER_FIELDS = COVER_HALL_FIELDS + COVER_INPUT_FIELDS
COVER_FIRST_ROW = 3  # row 1 holds the title

# Header rows: one row naming the columns, data from the next row on.
HEADER_ROW = 1
ITEMS_HEADERS = ("编号", "环节", "检查内容", "评分标准", "分值", "可填不适用", "得分", "扣分原因")
EVENTS_HEADERS = ("编号", "类别", "项目", "每次分值", "本项上限", "次数", "说明")
VETO_HEADERS = ("编号", "项目", "是否发生", "说明")

NOT_APPLICABLE = "不适用"
YES, NO = "是", "否"
EVENT_BONUS, EVENT_DEDUCTION = "加分", "扣分"


# _meta keys (also written as custom document properties, always as strings).
META_KEYS = ("template_id", "standard_id", "standard_version", "standard_checksum", "hall_id", "year", "created")
TEMPLATE_PREFIX = "hallscore"

# A form's file name is `<厅编码>_<厅名称>.xlsx` (forms.template_path); intake checks a name that starts like an
# id against the cover, and the 问题清单 places an unreadable file by it. An id has at least one digit, so a word
# such as "final_" is not taken for one.
FILE_HALL_ID = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*\d[A-Za-z0-9-]*)_")


class Listed(Protocol):
    """An entry of a standard with its 编号 (an item, a bonus, deduction or veto rule)."""

    @property
    def id(self) -> str: ...


class StandardLayout(Protocol):
    """What of a standard decides a workbook's sheets and rows (the standard itself has it): the contract
    names no richer type, so that it stays below the standard."""

    @property
    def id(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def items(self) -> Sequence[Listed]: ...

    @property
    def bonus(self) -> Sequence[Listed]: ...

    @property
    def deductions(self) -> Sequence[Listed]: ...

    @property
    def vetoes(self) -> Sequence[Listed]: ...


def template_id(standard: StandardLayout) -> str:
    return f"{TEMPLATE_PREFIX}:{standard.id}:{standard.version}"


def sheets_for(standard: StandardLayout) -> tuple[str, ...]:
    """The sheets a workbook of ``standard`` has: one with nothing to fill (no bonus or deduction items, no veto
    items) is left out, and a return need not have it."""
    left_out: set[str] = set()
    if not standard.bonus and not standard.deductions:
        left_out.add(SHEET_EVENTS)
    if not standard.vetoes:
        left_out.add(SHEET_VETO)
    return tuple(s for s in SHEETS if s not in left_out)


def item_rows(standard: StandardLayout) -> dict[str, int]:
    """Row of each base item on 检查表 in a fresh template."""
    return {item.id: HEADER_ROW + 1 + n for n, item in enumerate(standard.items)}


def event_rows(standard: StandardLayout) -> dict[str, int]:
    """Row of each bonus and deduction item on 加分扣分 in a fresh template."""
    ids = [r.id for r in standard.bonus] + [r.id for r in standard.deductions]
    return {rid: HEADER_ROW + 1 + n for n, rid in enumerate(ids)}


def veto_rows(standard: StandardLayout) -> dict[str, int]:
    return {v.id: HEADER_ROW + 1 + n for n, v in enumerate(standard.vetoes)}


def cover_rows() -> dict[str, int]:
    return {label: COVER_FIRST_ROW + n for n, label in enumerate(COVER_FIELDS)}


def column_letter(headers: tuple[str, ...], name: str) -> str:
    return chr(ord("A") + headers.index(name))
