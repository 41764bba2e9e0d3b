"""A workbook file's container checks said as catalogued problems, and the bounds on a workbook given beside the
returns (--overrides, --decisions) before openpyxl reads it."""

from __future__ import annotations

import html
import re
from pathlib import Path

from generator.rules.problems import ERROR, Problem, problem
from generator.xlsx.container import DEFAULT_LIMITS, Limits, Parts, inspect_container, megabytes


def check_container(path: Path, name: str, limits: Limits = DEFAULT_LIMITS,
                    parts: dict[str, bytes] | None = None) -> list[Problem]:
    """Problems of the file as a container, for the file shown as ``name``; an error among them means it must
    not be parsed. ``parts``: as for :func:`generator.xlsx.container.inspect_container`."""
    return [problem(fault.code, file=name, **dict(fault.fields)) for fault in inspect_container(path, limits, parts)]


# Workbooks given beside the returns (--overrides, --decisions): bounded like a return before openpyxl loads
# them, since a full load of a crafted sheet costs far more time and memory than any real list; the bounds
# leave room for a national list.
SIDE_LIMITS = Limits(max_file_bytes=20 * 1024 * 1024, max_total_bytes=64 * 1024 * 1024,
                     max_part_bytes=48 * 1024 * 1024, max_cells=600_000)
_CELL = re.compile(rb"<(?:\w+:)?c[\s>/]")
_FORMULA_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{1,3}[0-9]{1,7})\"[^>]*>(?:(?!</(?:\w+:)?c>).){0,400}?"
                           rb"<(?:\w+:)?f[\s>/]", re.S)


def side_workbook_fault(path: Path, limits: Limits = SIDE_LIMITS) -> str | None:
    """Why a workbook given with --overrides or --decisions must not be read (in Chinese), or None.

    The container checks of a return, then each sheet's size and cell count, then any formula: those workbooks
    are read by value, and a formula's value is what the program that saved it computed (none at all when it
    was written by a script), so a formula cell is named rather than read as empty."""
    parts = Parts()
    found = [p for p in check_container(path, path.name, limits, parts) if p.severity == ERROR]
    if found:
        return found[0].message
    sizes = parts.sizes or {}
    for part, size in sorted(sizes.items()):
        if not part.startswith("xl/worksheets/") or not part.endswith(".xml"):
            continue
        data = parts.get(part)
        if data is None or size > limits.max_part_bytes:
            return f"工作表部件 {part} 解压后为 {megabytes(size)},超过上限 {megabytes(limits.max_part_bytes)};请提交下发的工作簿"
        cells = len(_CELL.findall(data))
        if cells > limits.max_cells:
            return f"工作表部件 {part} 有 {cells} 个单元格,超过上限 {limits.max_cells};请提交下发的工作簿"
        formula = _FORMULA_CELL.search(data)
        if formula:
            sheet = _sheet_title(parts, part)
            return (f"工作表 {sheet} 单元格 {formula.group(1).decode('ascii')} 是公式,系统只读取直接填写的值;"
                    f"请把公式改为直接填写的内容(复制后“选择性粘贴 → 数值”)再提交")
    return None


def _sheet_title(parts: dict[str, bytes], part: str) -> str:
    """The title the user sees for a worksheet part (its file name when the workbook does not say)."""
    rels, book = parts.get("xl/_rels/workbook.xml.rels", b""), parts.get("xl/workbook.xml", b"")
    target = part[len("xl/"):]
    rel = re.search(rb"<Relationship\b[^>]*Id=\"([^\"]+)\"[^>]*Target=\"/?(?:xl/)?" + re.escape(target.encode())
                    + rb"\"", rels) or re.search(rb"<Relationship\b[^>]*Target=\"/?(?:xl/)?" +
                                                 re.escape(target.encode()) + rb"\"[^>]*Id=\"([^\"]+)\"", rels)
    if rel:
        sheet = re.search(rb"<(?:\w+:)?sheet\b[^>]*name=\"([^\"]*)\"[^>]*r:id=\"" + re.escape(rel.group(1)) + rb"\"",
                          book)
        if sheet:
            return html.unescape(sheet.group(1).decode("utf-8", "replace"))
    return part.rsplit("/", 1)[-1]
