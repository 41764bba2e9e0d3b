"""The hall register (营业厅清单): an .xlsx or .csv with one row per hall."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import openpyxl
from openpyxl.utils import get_column_letter

from generator.errors import RegisterError
from generator.rules.contract import COVER_HALL_FIELDS, HALL_TYPES
from generator.why import why
from generator.xlsx.bounds import Budget
from generator.xlsx.reader import read_grids_fast
from generator.xlsx.textcell import unsafe_chars
from generator.xlsx.write import write_only_row

COLUMNS = COVER_HALL_FIELDS
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
    return read_register(path)[0]


def read_register(path: str | Path) -> tuple[tuple[Hall, ...], str]:
    """The halls and how the file was read (“UTF-8 编码的 CSV”, “xlsx 工作表“清单””…)."""
    path = Path(path)
    rows, how = read_rows(path)
    if not rows:
        raise RegisterError(f"营业厅清单 {path} 是空的")
    try:
        return _halls(path, rows), how
    except RegisterError as exc:
        raise RegisterError(f"{exc}\n(读取方式:{how})") from None


def _halls(path: Path, rows: list[list[object]]) -> tuple[Hall, ...]:
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
        bad = [(name, unsafe_chars(v) or [f"U+{ord(c):04X}" for c in "\t\n\r" if c in v])
               for name, v in cells.items()]
        bad = [(name, chars) for name, chars in bad if chars]
        if bad:
            # Control characters and non-characters would break workbooks and pages: refused, not guessed at.
            problems += [f"第 {n} 行 {get_column_letter(col[name] + 1)} 列({name}):含不可见字符 {'、'.join(chars)}"
                         f"(控制字符或非字符),请删除后重新保存" for name, chars in bad]
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
        number = float(level_text) if level_text else None
        level = int(number) if number is not None and number.is_integer() else None
    except (ValueError, OverflowError):  # “inf”, “二级”, “1e999” …
        pass
    if level_text and level not in LEVELS:
        problems.append(f"级别应为 1-4 的整数,实际为“{level_text}”")
    if cells["类型"] and cells["类型"] not in HALL_TYPES:
        problems.append(f"类型应为 {' 或 '.join(HALL_TYPES)},实际为“{cells['类型']}”")
    if problems or level is None:
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


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# Encodings a register CSV comes in, tried in this order: Excel's “CSV UTF-8”, plain UTF-8, and what Chinese Excel
# and WPS write for “CSV” (GBK, read as its superset GB18030). UTF-16 (Excel's “Unicode 文本”) is told by its BOM.
_CSV_ENCODINGS = (("utf-8", "UTF-8"), ("gb18030", "GBK/GB18030"))
MAX_REGISTER_BYTES = 64 * 1024 * 1024
SHEET_NAMES = ("清单", "营业厅清单")


def read_rows(path: Path) -> tuple[list[list[object]], str]:
    """Rows of a register-shaped spreadsheet (xlsx, CSV in its detected encoding, UTF-16 text) and how it was read."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".tsv") or (suffix == ".txt" and _utf16(path)):  # .txt: Excel's “Unicode 文本”
            return _csv_rows(path)
        if suffix in (".xlsx", ".xlsm"):
            if path.stat().st_size > MAX_REGISTER_BYTES:
                raise RegisterError(f"营业厅清单 {path} 超过 {MAX_REGISTER_BYTES // 1024 // 1024} MB,不像是营业厅清单")

            fast = fast_register_rows(path)
            if fast is not None:
                return fast
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                ws = _register_sheet(wb)
                return _bounded_rows(ws, path), f"xlsx 工作表“{ws.title}”"
            finally:
                wb.close()
    except RegisterError:
        raise
    except (OSError, UnicodeDecodeError, ValueError, KeyError) as exc:
        raise RegisterError(f"无法读取营业厅清单 {path}:{why(exc)};请用 Excel/WPS 打开确认,另存为 .xlsx 或 .csv") from exc
    except Exception as exc:  # openpyxl raises zipfile/xml errors on a damaged file
        raise RegisterError(f"无法读取营业厅清单 {path}:{why(exc)};请用 Excel/WPS 打开确认,另存为 .xlsx 或 .csv") from exc
    raise RegisterError(f"营业厅清单 {path} 应为 .xlsx 或 .csv 文件(或 Excel 另存的“Unicode 文本” .txt)")


SheetT = TypeVar("SheetT")  # a sheet as one reader or the other gives it: its name, or an openpyxl worksheet
MAX_REGISTER_ROWS = 500_000  # far above a national register
MAX_REGISTER_COLS = 64  # the columns needed are in the first few; a stray cell in column XFD is not kept


def _bounded_rows(ws: Any, path: Path) -> list[list[object]]:
    rows: list[list[object]] = []
    for row in ws.iter_rows(values_only=True):
        if len(rows) >= MAX_REGISTER_ROWS:
            raise RegisterError(f"营业厅清单 {path} 超过 {MAX_REGISTER_ROWS} 行,不像是营业厅清单")
        rows.append(list(row[:MAX_REGISTER_COLS]))
    return rows


def fast_register_rows(path: Path) -> tuple[list[list[object]], str] | None:
    """The register through the returns' fast reader (much faster than openpyxl), or None for openpyxl to
    decide: on anything the fast reader does not take, past its bounds, or when a cell holds a formula (the
    fast reader gives a formula's text, the register wants the value Excel last computed)."""
    # A cell past column 64 (a stray one in XFD): openpyxl reads it, keeping only the first 64 columns.
    budget = Budget(max_rows=MAX_REGISTER_ROWS, max_cols=MAX_REGISTER_COLS, max_cells=MAX_REGISTER_ROWS * MAX_REGISTER_COLS,
                    max_part_bytes=MAX_REGISTER_BYTES)
    try:
        grids = read_grids_fast(path, budget)
    except Exception:  # noqa: BLE001 - openpyxl reads it again and says what is wrong
        return None
    if not grids:
        return None
    chosen = _pick_sheet(list(grids), str, lambda n: (grids[n].rows[:1] or [[]])[0])
    rows = [list(row[:MAX_REGISTER_COLS]) for row in grids[chosen].rows]
    if any(isinstance(v, str) and v.startswith("=") for row in rows for v in row):
        return None
    return rows, f"xlsx 工作表“{chosen}”"


def _utf16(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) in (b"\xff\xfe", b"\xfe\xff")


def _register_sheet(wb: Any) -> Any:
    if not wb.worksheets:
        raise RegisterError("营业厅清单中没有工作表")
    return _pick_sheet(wb.worksheets, lambda ws: ws.title,
                       lambda ws: next(ws.iter_rows(max_row=1, values_only=True), ()))


def _pick_sheet(sheets: list[SheetT], title: Callable[[SheetT], str],
                first_row: Callable[[SheetT], Iterable[object]]) -> SheetT:
    """A sheet named 清单 (or 营业厅清单), else the first sheet whose first row has 厅编码, else the first sheet
    (whichever reader gave the sheets)."""
    for sheet in [s for s in sheets if title(s).strip() in SHEET_NAMES] + sheets:
        if any(str(c).strip() == COLUMNS[0] for c in first_row(sheet) if c is not None):
            return sheet
    return sheets[0]


def _csv_rows(path: Path) -> tuple[list[list[object]], str]:
    if path.stat().st_size > MAX_REGISTER_BYTES:
        raise RegisterError(f"营业厅清单 {path} 超过 {MAX_REGISTER_BYTES // 1024 // 1024} MB,不像是营业厅清单")
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        text, label = data[3:].decode("utf-8", errors="strict"), "UTF-8(带 BOM)编码的 CSV"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, label = data.decode("utf-16"), "UTF-16 编码的文本(Excel“Unicode 文本”)"
    else:
        for encoding, name in _CSV_ENCODINGS:
            try:
                text, label = data.decode(encoding), f"{name} 编码的 CSV"
                break
            except UnicodeDecodeError:
                continue
        else:
            raise RegisterError(f"无法识别营业厅清单 {path} 的编码(不是 UTF-8、GBK/GB18030 或 UTF-16);"
                                f"请在 Excel 中另存为“CSV UTF-8(逗号分隔)”或 .xlsx")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    if delimiter == "\t":
        label += ",制表符分隔"
    return [list[object](row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)], label


def write_register(halls: Iterable[Hall], path: str | Path) -> None:
    """Write a register as .xlsx or .csv (used by the demo and by tests)."""
    path = Path(path)
    rows = [list(COLUMNS)] + [
        [h.hall_id, h.name, h.province, h.city, h.district, h.level, h.type] for h in halls
    ]
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerows(rows)
        return
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("营业厅清单")
    for row in rows:
        ws.append(write_only_row(ws, row))  # a name that starts with "=" is text, never a formula
    wb.save(path)
