"""Demo data, 逐级认定: the province answers its 良好 list, then the group its 优秀 list.

Its own step of the demo (the returns are :mod:`demo`'s): each function fills the issued list workbooks by their
published headers, as a service manager would, and saves the answers outside the archive.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from generator.evaluate.decisions import list_file_name

# The year's results as results.json holds them, and one province's list in them.
Results = dict[str, Any]
Shortlist = dict[str, Any]


def fill_answer(issued: Path, tier: str, said: dict[str, tuple[str, str]], by: str, when: date, out: Path) -> Path:
    """Write ``said`` (厅编码 → (认定结果, 理由)) with ``by`` and ``when`` into the ``tier`` sheet of the issued list
    ``issued``, found by its published headers; save it as ``out``."""
    wb = load_workbook(issued)
    ws = wb[tier]
    header = next(r for r in ws.iter_rows() if any(c.value == "厅编码" for c in r))
    col = {c.value: c.column for c in header if c.value}
    for row in ws.iter_rows(min_row=header[0].row + 1):
        hall_id = row[col["厅编码"] - 1].value
        if hall_id in said:
            r = row[0].row
            result, reason = said[hall_id]
            ws.cell(row=r, column=col["认定结果"], value=result)
            ws.cell(row=r, column=col["理由"], value=reason)
            ws.cell(row=r, column=col["认定人"], value=by)
            ws.cell(row=r, column=col["认定日期"], value=when)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def _lists(results: Results, tier: str) -> list[Shortlist]:
    return [s for s in results["shortlists"] if s["tier"] == tier and s["quota"] and s["nominees"]]


def answer_good_lists(issued_dir: Path, out_dir: Path, results: Results) -> Path:
    """Each province answers its 良好 list: 认定 in rank order up to the quota; in every other province it 不认定
    the second nominee (it falls by the rules) and 认定 the next instead. The spares are left blank."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    for n, entry in enumerate(_lists(results, "良好")):
        ids = [x["hall_id"] for x in entry["nominees"]]
        said = {h: ("认定", "省公司评比:服务规范") for h in ids[:entry["quota"]]}
        if n % 2 == 1 and len(ids) > entry["quota"] > 1:
            said[ids[1]] = ("不认定", "省公司评比:投诉处理不及时,本年度不认定为良好")
            said[ids[entry["quota"]]] = ("认定", "省公司评比:服务规范")
        name = list_file_name(entry["scope"], "良好")
        fill_answer(Path(issued_dir) / name, "良好", said, f"{entry['scope']}省公司评比组",
                    datetime(results["year"], 9, 20), Path(out_dir) / name)
    return Path(out_dir)


def answer_excellent_lists(issued_dir: Path, out_dir: Path, results: Results) -> Path:
    """The group answers the 优秀 lists: 认定 in rank order up to the quota; in every other province it 不认定 the
    first nominee (who stays the province's 良好) and 认定 the spare. The last list is left unanswered, so the
    site still shows halls 待集团认定."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    lists = _lists(results, "优秀")
    for n, entry in enumerate(lists[:-1] if len(lists) > 1 else lists):
        ids = [x["hall_id"] for x in entry["nominees"]]
        said = {h: ("认定", "集团复评:服务规范、现场表现突出") for h in ids[:entry["quota"]]}
        if n % 2 == 1 and len(ids) > entry["quota"]:
            said[ids[0]] = ("不认定", "集团暗访发现实名制执行不到位,本年度不认定为优秀")
            said[ids[entry["quota"]]] = ("认定", "集团复评:服务规范、现场表现突出")
        name = list_file_name(entry["scope"], "优秀")
        fill_answer(Path(issued_dir) / name, "优秀", said, "集团客户服务部评审组", datetime(results["year"], 11, 20),
                     Path(out_dir) / name)
    return Path(out_dir)


def fill_freed_places(issued_dir: Path, earlier: Path, out_dir: Path, results: Results) -> tuple[Path, int]:
    """Where the group recognised 优秀, the province's newer answer (a later 认定日期, replacing its first one)
    认定 as many blank spares of its 良好 list below the 优秀 line, so the 优秀 list it made stays the same."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    rows = {h["hall_id"]: h for h in results["halls"]}
    filled = 0
    for entry in _lists(results, "良好"):
        name = list_file_name(entry["scope"], "良好")
        if not (Path(earlier) / name).is_file():
            continue
        ws = load_workbook(Path(earlier) / name)["良好"]
        said = {}
        for row in ws.iter_rows(min_row=3, values_only=True):
            if row[1] and row[4]:
                said[row[1]] = (row[4], row[5])
        freed = sum(1 for d in (h for x in entry["nominees"] for h in rows[x["hall_id"]]["decisions"])
                    if d["tier"] == "优秀" and d["result"] == "认定")
        spares = [x["hall_id"] for x in entry["nominees"] if x["hall_id"] not in said
                  and x["final_score"] < float(results["config"]["thresholds"]["优秀"])][:freed]
        if not spares:
            continue
        said.update({h: ("认定", "集团认定优秀后空出名额,省公司补充认定") for h in spares})
        fill_answer(Path(issued_dir) / name, "良好", said, f"{entry['scope']}省公司评比组",
                    datetime(results["year"], 12, 5), Path(out_dir) / name)
        filled += len(spares)
    return Path(out_dir), filled
