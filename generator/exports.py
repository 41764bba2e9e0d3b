"""Downloads: a year's results as .xlsx, national and per province, with the 上报名单 when the year has one.

Files are written with openpyxl's write-only mode (rows stream; a national year is ~20,000 rows) and then
normalised so the same results give the same bytes: openpyxl stamps the save time into docProps/core.xml
and into every zip entry, both replaced here by a date fixed by the data (31 December of the year).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

HALL_HEADERS = ["厅编码", "厅名称", "省", "市", "区县", "级别", "类型", "定级轮次", "服务等级", "定级说明", "需裁定",
                "最终得分", "基础分", "加分", "扣分", "自评差值", "已认定等级", "待认定"]
SHORTLIST_HEADERS = ["范围", "等级", "名额", "名单人数", "名次", "厅编码", "厅名称", "最终得分", "认定结果", "已认定"]


def hall_rows(halls, section_names):
    for h in halls:
        yield [h["hall_id"], h["name"], h["province"], h["city"], h["district"], h["level"], h["type"], h["round"],
               h["tier"], h["tier_reason"], "是" if h.get("needs_decision") else "",
               h["final_score"], h["base_score"], h["bonus"], h["deduction"], h.get("self_gap"),
               h.get("confirmed_tier") or "", f"待{h['awaiting']}认定" if h.get("awaiting") else ""] + [
            _cell(h["sections"].get(name)) for name in section_names]


def shortlist_rows(shortlists, scope: str | None = None):
    for s in shortlists or []:
        if scope is not None and s.get("scope") != scope:
            continue
        for n in s.get("nominees", []):
            yield [s.get("scope"), s.get("tier"), s.get("quota"), s.get("size"), n.get("rank"), n.get("hall_id"),
                   n.get("name"), n.get("final_score"), n.get("decision") or "", "是" if n.get("confirmed") else "否"]


def _cell(value):
    return value if value is None or isinstance(value, (int, float)) else str(value)


def _row(ws, values):
    # openpyxl writes a string starting with '=' as a formula: text from workbooks stays text, unchanged.
    out = []
    for value in values:
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(ws, value)
            cell.data_type = "s"
            value = cell
        out.append(value)
    return out


def workbook_bytes(year: int, halls, section_names, shortlists=None, scope: str | None = None) -> bytes:
    """One results workbook: sheet 营业厅 (one row per hall; none when ``halls`` is None) and, when present,
    sheet 上报名单."""
    wb = Workbook(write_only=True)
    if halls is not None:
        ws = wb.create_sheet("营业厅")
        ws.append(HALL_HEADERS + [f"{name}得分率(%)" for name in section_names])
        for row in hall_rows(halls, section_names):
            ws.append(_row(ws, row))
    rows = list(shortlist_rows(shortlists, scope))
    if rows:
        sl = wb.create_sheet("上报名单")
        sl.append(SHORTLIST_HEADERS)
        for row in rows:
            sl.append(_row(sl, row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return _normalise(buffer.getvalue(), year)


def _normalise(data: bytes, year: int) -> bytes:
    """Fixed timestamps inside and on every zip entry, entries in a fixed order."""
    stamp = f"{year}-12-31T00:00:00Z"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            body = src.read(name)
            if name == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", body)
            info = zipfile.ZipInfo(name, date_time=(year, 12, 31, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, body)
    return out.getvalue()


SHORTLIST_NAME = "shortlist-{year}.xlsx"


def export_name(year: int, scope: str | None = None) -> str:
    from .regions import province_slug

    return f"results-{year}.xlsx" if scope is None else f"results-{year}-{province_slug(scope)}.xlsx"


def write_exports(view, docs_dir: Path) -> list[str]:
    """Write the national and per-province workbooks of one year under ``<docs>/<Y>/downloads/``."""
    folder = Path(docs_dir) / str(view.year) / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    shortlists = view.results.get("shortlists") or []
    written = []
    name = export_name(view.year)
    (folder / name).write_bytes(workbook_bytes(view.year, view.halls, view.section_names, shortlists))
    written.append(name)
    for province in view.provinces:
        name = export_name(view.year, province)
        (folder / name).write_bytes(workbook_bytes(view.year, view.by_province[province], view.section_names,
                                                   shortlists, scope=province))
        written.append(name)
    if shortlists:
        name = SHORTLIST_NAME.format(year=view.year)
        (folder / name).write_bytes(workbook_bytes(view.year, None, [], shortlists))
        written.append(name)
    return written


# -- 结果应用 (application.py) --------------------------------------------------------------------------

ASSESSMENT_HEADERS = ["省", "参评厅数", "优秀", "良好", "达标", "不达标", "已认定优秀", "已认定良好", "达标率(%)",
                      "平均得分", "平均得分变化", "达标率变化(百分点)", "服务能力提升明显"]
REWARD_HEADERS = ["省", "厅编码", "厅名称", "市", "按规则等级", "已认定等级", "奖惩", "说明"]
ELIGIBLE_HEADERS = ["省", "厅编码", "厅名称", "市", "已认定等级", "最终得分"]


def application_name(year: int, scope: str | None = None) -> str:
    from .regions import province_slug

    return f"application-{year}.xlsx" if scope is None else f"application-{year}-{province_slug(scope)}.xlsx"


def application_bytes(year: int, application: dict, provinces) -> bytes:
    """省公司服务考核, 划小承包奖惩清单 and 创先评优 of ``provinces`` as one workbook; text stays text."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("省公司服务考核")
    ws.append(ASSESSMENT_HEADERS)
    wanted = set(provinces)
    for r in application["assessment"]:
        if r["province"] in wanted:
            ws.append(_row(ws, [r["province"], r["tiered"]] + [r["counts"][t] for t in ("优秀", "良好", "达标", "不达标")]
                           + [r["recognised"]["优秀"], r["recognised"]["良好"], r["pass_rate"], r["average"],
                              r["average_change"], r["pass_rate_change"], "是" if r["improved"] else ""]))
    ws = wb.create_sheet("划小承包奖惩清单")
    ws.append(REWARD_HEADERS)
    for province in provinces:
        for r in application["rewards"].get(province, []):
            ws.append(_row(ws, [province, r["hall_id"], r["name"], r["city"], r["tier"], r["confirmed_tier"] or "",
                                r["consequence"], r["note"]]))
    ws = wb.create_sheet("创先评优")
    ws.append(ELIGIBLE_HEADERS)
    for h in application["eligible"]:
        if h["province"] in wanted:
            ws.append(_row(ws, [h["province"], h["hall_id"], h["name"], h["city"], h["confirmed_tier"],
                                h["final_score"]]))
    buffer = io.BytesIO()
    wb.save(buffer)
    return _normalise(buffer.getvalue(), year)


def write_application_exports(view, docs_dir: Path) -> list[str]:
    """``application-<Y>.xlsx`` (all provinces) and one per province, beside the results downloads."""
    folder = Path(docs_dir) / str(view.year) / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    written = [application_name(view.year)]
    (folder / written[0]).write_bytes(application_bytes(view.year, view.application, view.provinces))
    for province in view.provinces:
        name = application_name(view.year, province)
        (folder / name).write_bytes(application_bytes(view.year, view.application, [province]))
        written.append(name)
    return written
