"""The standard workbook (评价标准工作簿): how the group writes a standard in Excel, read and written here.

The sheet contract (standard.md, "Standards the group writes"), XLSForm-like; columns are found by their header
in row 1, so their order is free, and a sheet the standard does not need may be left out:
- 说明: 项目 | 内容 rows 名称, 版本, 来源, 加分上限, 分值步长 (and 标识, the short id in file names).
- 环节: 环节, 权重 (blank: the section's max points; no weight at all: the plain sum of points).
- 评分项: 编号, 环节, 检查内容, 评分标准, 分值, 可不适用, 等级.
- 加分项 (编号, 项目, 每次, 本项上限), 扣分项 (编号, 项目, 每次), 否决项 (编号, 项目): optional.

:func:`read_book` turns a workbook into the neutral shape :mod:`generator.rules.standard_check` checks (every
entry knowing its sheet and cell); :func:`book_bytes` writes any standard back as such a workbook, byte for byte
the same on every run; :func:`canonical_yaml` is the text the year's archive keeps of the standard used.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import yaml
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

from generator.numbers import number
from generator.rules.container_check import check_container
from generator.rules.problems import ERROR, Problem, problem
from generator.rules.standard import Entry, RawStandard, Standard
from generator.xlsx.bounds import Budget, SheetTooLarge
from generator.xlsx.fast import read_sheets
from generator.xlsx.textcell import cell_text

SHEET_INFO, SHEET_SECTIONS, SHEET_ITEMS = "说明", "环节", "评分项"
SHEET_BONUS, SHEET_DEDUCTIONS, SHEET_VETOES = "加分项", "扣分项", "否决项"
SHEET_ORDER = (SHEET_INFO, SHEET_SECTIONS, SHEET_ITEMS, SHEET_BONUS, SHEET_DEDUCTIONS, SHEET_VETOES)
INFO_KEYS = {"标识": "id", "名称": "title", "版本": "version", "来源": "source", "加分上限": "bonus_cap",
             "分值步长": "score_step"}
# sheet → (key in the neutral shape, {header: field}, headers that must be there)
TABLES = {
    SHEET_ITEMS: ("items", {"编号": "id", "环节": "section", "检查内容": "text", "评分标准": "guidance", "分值": "max",
                            "可不适用": "na", "等级": "levels"}, ("编号", "环节", "检查内容", "分值")),
    SHEET_BONUS: ("bonus", {"编号": "id", "项目": "text", "每次": "per", "本项上限": "cap"}, ("编号", "项目", "每次", "本项上限")),
    SHEET_DEDUCTIONS: ("deductions", {"编号": "id", "项目": "text", "每次": "per"}, ("编号", "项目", "每次")),
    SHEET_VETOES: ("vetoes", {"编号": "id", "项目": "text"}, ("编号", "项目")),
}
# Fixed in every exported workbook: the same standard gives the same bytes on every run and machine.
EXPORT_TIME = datetime(2016, 1, 1)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WRAP = Alignment(wrap_text=True, vertical="top")



def read_book(path: Path) -> tuple[RawStandard | None, list[Problem]]:
    """The workbook as the neutral shape, and the problems of its layout (sheets, headers)."""
    name = path.name
    try:
        found = check_container(path, name)
        if any(p.severity == ERROR for p in found):
            return None, [problem("standard-unreadable", file=name, detail=p.message) for p in found
                          if p.severity == ERROR][:1]
        sheets = read_sheets(path, Budget(max_rows=5_000, max_cols=50, max_cells=100_000))
    except SheetTooLarge as exc:
        return None, [problem("standard-unreadable", file=name, detail=f"工作表“{exc.sheet}”过大")]
    except Exception as exc:  # noqa: BLE001 - whatever the parser makes of a bad file, it is said in Chinese
        return None, [problem("standard-unreadable", file=name,
                              detail="文件不是可读取的 .xlsx 工作簿" if not isinstance(exc, OSError) else "无法打开文件")]
    problems: list[Problem] = []
    for sheet in (SHEET_INFO, SHEET_ITEMS):
        if sheet not in sheets:
            problems.append(problem("standard-sheet-missing", file=name, sheet=sheet))
    if problems:
        return None, problems
    raw: RawStandard = {"_info_at": {}, "_info_sheet": SHEET_INFO, "_sheets": {}}
    for key, (value, cell) in _info(sheets[SHEET_INFO]).items():
        raw[key] = cell_text(value) if key in ("id", "title", "version", "source") else value
        raw["_info_at"][key] = (SHEET_INFO, cell)
    for key in ("bonus_cap", "score_step"):
        if raw.get(key) in (None, ""):
            raw.pop(key, None)  # not written: the default (5, 0.5)
    for sheet, (key, fields, needed) in TABLES.items():
        if sheet in sheets:
            before = len(problems)
            raw[key] = _rows(sheets[sheet], sheet, fields, needed, problems, name)
            if key == "items" and len(problems) > before:
                raw["_items_unread"] = True
            raw["_sheets"][key] = {"_sheet": sheet, "_cell": "A1"}
    if SHEET_SECTIONS in sheets:
        entries = _rows(sheets[SHEET_SECTIONS], SHEET_SECTIONS, {"环节": "section", "权重": "weight"}, ("环节",),
                        problems, name, key_field="section")
        raw["sections"] = [e["section"] for e in entries]
        raw["_sections_at"] = dict(enumerate(entries))
        raw["weights"] = {e["section"]: e["weight"] for e in entries if e.get("weight") not in (None, "")}
        raw["_weights_at"] = {e["section"]: e for e in entries}
    else:  # no 环节 sheet: the sections of the items, in their order, unweighted
        raw["sections"] = list(dict.fromkeys(cell_text(e.get("section")) for e in raw.get("items", [])
                                             if cell_text(e.get("section"))))
    return raw, problems


def _info(rows: list[list[object]]) -> dict[str, tuple[object, str]]:
    """说明 either as label | value rows (项目 | 内容) or as one header row of labels with the values below it."""
    def label(value: object) -> str:
        return _ALIASES.get(cell_text(value), cell_text(value))

    for r, row in enumerate(rows[:5], 1):
        across = [(c, INFO_KEYS[label(v)]) for c, v in enumerate(row) if label(v) in INFO_KEYS]
        if len(across) >= 2 and len(rows) > r:  # labels across a row: values in the row below
            below = rows[r]
            return {key: (below[c] if c < len(below) else None, f"{get_column_letter(c + 1)}{r + 1}")
                    for c, key in across}
    found: dict[str, tuple[object, str]] = {}
    for r, row in enumerate(rows, 1):
        for c, v in enumerate(row[:3]):  # the label in one of the first columns, its value just right of it
            key = INFO_KEYS.get(label(v))
            if key and key not in found:
                found[key] = (row[c + 1] if c + 1 < len(row) else None, f"{get_column_letter(c + 2)}{r}")
                break
    return found


# Headers and labels as people also write them → the contract's name.
_ALIASES = {"可填不适用": "可不适用", "是否可不适用": "可不适用", "允许不适用": "可不适用", "满分": "分值", "评分说明": "评分标准",
            "等级(可选)": "等级", "每次分值": "每次", "每次加分": "每次", "每次扣分": "每次", "上限": "本项上限",
            "加分项目": "项目", "扣分项目": "项目", "否决事项": "项目", "环节名称": "环节", "权重(%)": "权重",
            "标准名称": "名称", "版本号": "版本", "步长": "分值步长", "得分步长": "分值步长", "加分合计上限": "加分上限"}
HEADER_ROWS = 5  # a title above the header is fine: the header is the first row naming the needed columns


def _rows(rows: list[list[object]], sheet: str, fields: dict[str, str], needed: tuple[str, ...], problems: list[Problem],
          name: str, key_field: str = "id") -> list[Entry]:
    at, header = 0, [_ALIASES.get(cell_text(v), cell_text(v)) for v in (rows[0] if rows else [])]
    for n, row in enumerate(rows[:HEADER_ROWS]):
        named = [_ALIASES.get(cell_text(v), cell_text(v)) for v in row]
        if all(h in named for h in needed):
            at, header = n, named
            break
    cols: dict[str, int] = {}
    for n, h in enumerate(header):
        if h in fields and fields[h] not in cols:
            cols[fields[h]] = n
    for h in needed:
        if fields[h] not in cols:
            problems.append(problem("standard-header-missing", file=name, sheet=sheet, cell=str(at + 1), column=h))
    if any(fields[h] not in cols for h in needed):
        return []
    entries = []
    for r, row in enumerate(rows[at + 1:], at + 2):
        values = {f: (row[c] if c < len(row) else None) for f, c in cols.items()}
        if all(cell_text(v) == "" for v in values.values()):
            continue  # blank rows between entries are fine
        entry: Entry = {f: (cell_text(v) if f in ("id", "section", "text", "guidance", "levels", "na") else v)
                       for f, v in values.items()}
        entry["_row"] = r
        entry["_at"] = {f: (sheet, f"{get_column_letter(c + 1)}{r}") for f, c in cols.items()}
        if key_field != "id":
            entry["_at"]["id"] = entry["_at"][key_field]
        entries.append(entry)
    return entries


# -- writing -------------------------------------------------------------------------------------------

def build_book(standard: Standard) -> Workbook:
    """The standard as a standard workbook; a list the standard does not have gets no sheet."""
    wb = Workbook()
    info = wb.active
    info.title = SHEET_INFO
    _write_info(info, standard)
    sections = wb.create_sheet(SHEET_SECTIONS)
    sections.append(["环节", "权重"])
    for section in standard.sections:
        written = standard.weight_written(section)
        sections.append([section, number(written) if written is not None else None])
    _write_items(wb.create_sheet(SHEET_ITEMS), standard)
    _write_rule_sheets(wb, standard)
    _format_sheets(wb)
    wb.properties.creator = "hallscore"
    wb.properties.title = standard.title
    return wb


def _write_info(info: Worksheet, standard: Standard) -> None:
    """The 说明 sheet: the standard's 项目 | 内容 rows, then how to fill the workbook in."""
    info.append(["项目", "内容"])
    for label, value in (("标识", standard.id), ("名称", standard.title), ("版本", standard.version),
                         ("来源", standard.source), ("加分上限", number(standard.bonus_cap)),
                         ("分值步长", number(standard.score_step))):
        info.append([label, value])
    info.append([])
    info.append(["填写说明", "本工作簿按 hallscore 评价标准工作簿的约定填写:各表第 1 行为表头;环节的权重留空表示按该环节"
                            "分值合计计算;评分项的等级写成 优秀=100%;良好=80%;一般=60%;差=0%(百分比为占本项分值的比例),"
                            "留空表示按分值步长打分;加分项、扣分项、否决项没有时可删除该表。检查:hallscore standard check 本文件。"])


def _write_items(items: Worksheet, standard: Standard) -> None:
    """The 评分项 sheet, its 可不适用 column a 是/否 dropdown."""
    items.append(list(TABLES[SHEET_ITEMS][1]))
    for item in standard.items:
        items.append([item.id, item.section, item.text, item.guidance, number(item.max_points),
                      "是" if item.allow_na else "否", item.levels_text or None])
    yes_no = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    yes_no.add(f"F2:F{max(2, len(standard.items) + 1)}")
    items.add_data_validation(yes_no)


def _write_rule_sheets(wb: Workbook, standard: Standard) -> None:
    """The 加分项, 扣分项 and 否决项 sheets, each only when the standard has such rules."""
    if standard.bonus:
        ws = wb.create_sheet(SHEET_BONUS)
        ws.append(list(TABLES[SHEET_BONUS][1]))
        for b in standard.bonus:
            ws.append([b.id, b.text, number(b.per_event), number(b.cap)])
    if standard.deductions:
        ws = wb.create_sheet(SHEET_DEDUCTIONS)
        ws.append(list(TABLES[SHEET_DEDUCTIONS][1]))
        for d in standard.deductions:
            ws.append([d.id, d.text, number(d.per_event)])
    if standard.vetoes:
        ws = wb.create_sheet(SHEET_VETOES)
        ws.append(list(TABLES[SHEET_VETOES][1]))
        for v in standard.vetoes:
            ws.append([v.id, v.text])


def _format_sheets(wb: Workbook) -> None:
    """Every sheet: a bold header row kept in view, set column widths, wrapped cells whose texts stay texts."""
    widths = {SHEET_INFO: (12, 80), SHEET_SECTIONS: (24, 8), SHEET_ITEMS: (6, 14, 40, 50, 6, 8, 30),
              SHEET_BONUS: (6, 40, 6, 8), SHEET_DEDUCTIONS: (6, 40, 6), SHEET_VETOES: (6, 50)}
    for ws in wb.worksheets:
        for cell in ws[1]:
            cell.font, cell.fill = Font(bold=True), HEADER_FILL
        for n, width in enumerate(widths[ws.title], 1):
            ws.column_dimensions[get_column_letter(n)].width = width
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = WRAP
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text stays text: a "=…" text never becomes a formula
        ws.freeze_panes = "A2"


def book_bytes(standard: Standard) -> bytes:
    """The standard workbook's bytes: fixed times and properties, so one standard always gives the same file."""
    wb = build_book(standard)
    buffer = io.BytesIO()
    wb.save(buffer)  # openpyxl stamps "modified" with the time of saving: the core part is written again below
    wb.properties.created = wb.properties.modified = EXPORT_TIME
    wb.properties.lastModifiedBy = None
    core = tostring(wb.properties.to_tree())
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = core if info.filename == "docProps/core.xml" else src.read(info)
            fixed = zipfile.ZipInfo(info.filename, EXPORT_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, data)
    return out.getvalue()


def canonical_yaml(standard: Standard) -> str:
    """The standard as a YAML data file (the archive's copy of a standard read from a workbook)."""
    def num(value: Decimal) -> int | float:
        return number(value)

    data: dict[str, object] = {"id": standard.id, "version": standard.version, "title": standard.title, "source": standard.source,
                  "score_step": num(standard.score_step), "bonus_cap": num(standard.bonus_cap),
                  "sections": list(standard.sections)}
    if standard.weights:
        data["weights"] = {s: num(w) for s, w in standard.weights}
    data["items"] = [dict({"id": i.id, "section": i.section, "text": i.text, "guidance": i.guidance,
                           "max": num(i.max_points), "na": i.allow_na},
                          **({"levels": i.levels_text} if i.levels else {})) for i in standard.items]
    for key, rules in (("bonus", [{"id": b.id, "text": b.text, "per": num(b.per_event), "cap": num(b.cap)}
                                  for b in standard.bonus]),
                       ("deductions", [{"id": d.id, "text": d.text, "per": num(d.per_event)} for d in standard.deductions]),
                       ("vetoes", [{"id": v.id, "text": v.text} for v in standard.vetoes])):
        if rules:
            data[key] = rules
    head = f"# {standard.title}(版本 {standard.version};来源:{standard.source or '未注明'})\n" \
           f"# 由 hallscore 从评价标准工作簿转写,结构校验码 {standard.checksum}\n"
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)

