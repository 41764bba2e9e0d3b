"""The hall register (营业厅清单): an .xlsx or .csv with one row per hall."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from .errors import RegisterError

COLUMNS = ("厅编码", "厅名称", "省", "市", "区县", "级别", "类型")
HALL_TYPES = ("自营", "社会合作")
LEVELS = (1, 2, 3, 4)


@dataclass(frozen=True)
class Hall:
    """One hall of the register."""

    hall_id: str
    name: str
    province: str
    city: str
    district: str
    level: int
    type: str


def load_register(path: str | Path) -> tuple[Hall, ...]:
    """Read a register file; raise :class:`RegisterError` listing every bad row. Halls come sorted by id."""
    path = Path(path)
    rows = _read_rows(path)
    if not rows:
        raise RegisterError(f"营业厅清单 {path} 是空的")
    header = [str(c).strip() if c is not None else "" for c in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise RegisterError(
            f"营业厅清单 {path} 第 1 行缺少列:{'、'.join(missing)}(应包含:{'、'.join(COLUMNS)})"
        )
    col = {name: header.index(name) for name in COLUMNS}
    halls: dict[str, Hall] = {}
    problems: list[str] = []
    for n, row in enumerate(rows[1:], 2):
        cells = {name: _text(row[i] if i < len(row) else None) for name, i in col.items()}
        if not any(cells.values()):
            continue
        hall, row_problems = _hall(cells)
        problems += [f"第 {n} 行:{p}" for p in row_problems]
        if hall is None:
            continue
        if hall.hall_id in halls:
            problems.append(f"第 {n} 行:厅编码 {hall.hall_id} 重复")
            continue
        halls[hall.hall_id] = hall
    if problems:
        shown = problems[:50] + ([f"……另有 {len(problems) - 50} 处"] if len(problems) > 50 else [])
        raise RegisterError(f"营业厅清单 {path} 有误:\n  - " + "\n  - ".join(shown))
    return tuple(halls[k] for k in sorted(halls))


def _hall(cells: dict[str, str]) -> tuple[Hall | None, list[str]]:
    problems = [f"{name} 为空" for name in COLUMNS if not cells[name]]
    level_text = cells["级别"]
    level = None
    try:
        level = int(float(level_text)) if level_text else None
    except ValueError:
        pass
    if level_text and (level not in LEVELS or float(level_text) != level):
        problems.append(f"级别应为 1-4 的整数,实际为“{level_text}”")
    if cells["类型"] and cells["类型"] not in HALL_TYPES:
        problems.append(f"类型应为 自营 或 社会合作,实际为“{cells['类型']}”")
    if problems:
        return None, problems
    return (
        Hall(
            hall_id=cells["厅编码"],
            name=cells["厅名称"],
            province=cells["省"],
            city=cells["市"],
            district=cells["区县"],
            level=level,
            type=cells["类型"],
        ),
        [],
    )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read_rows(path: Path) -> list[list]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            # utf-8-sig: Excel writes a BOM when it saves CSV as UTF-8.
            with path.open(encoding="utf-8-sig", newline="") as fh:
                return [row for row in csv.reader(fh)]
        if suffix in (".xlsx", ".xlsm"):
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                return [list(row) for row in wb.worksheets[0].iter_rows(values_only=True)]
            finally:
                wb.close()
    except (OSError, UnicodeDecodeError, ValueError, KeyError) as exc:
        raise RegisterError(f"无法读取营业厅清单 {path}:{exc}") from exc
    except Exception as exc:  # openpyxl raises zipfile/xml errors on a damaged file
        raise RegisterError(f"无法读取营业厅清单 {path}:{exc}") from exc
    raise RegisterError(f"营业厅清单 {path} 应为 .xlsx 或 .csv 文件")


def write_register(halls, path: str | Path) -> None:
    """Write a register as .xlsx or .csv (used by the demo and by tests)."""
    path = Path(path)
    rows = [list(COLUMNS)] + [
        [h.hall_id, h.name, h.province, h.city, h.district, h.level, h.type] for h in halls
    ]
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerows(rows)
        return
    import openpyxl

    from openpyxl.cell import WriteOnlyCell

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("营业厅清单")
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # a name that starts with "=" is text, never a formula
            cells.append(cell)
        ws.append(cells)
    wb.save(path)
