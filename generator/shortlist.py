"""差额 (seed: 按照差额20%认定): each province's nominee list (上报名单) for the group.

A province nominates the top ⌈(1 + ratio) × its 优秀 quota⌉ of its 优秀 candidates — evaluated halls whose
reported deciding score reached the 优秀 line, vetoes excluded — ranked like tiering ranks them. The group
confirms at most the quota: a nominee is confirmed when its final tier (rules, then recorded decisions) is 优秀.
Because the deciding score is the highest round present, the group's confirmation ranks by 集团复核 scores
wherever they exist. The province quota is ⌊ratio × its evaluated halls⌋ whatever the quota scope. With
``good_shortlist`` the same list is made for 良好 (candidates: reached the 良好 line, not placed 优秀).

A tie that straddles the list's size is not cut by hall id: the tied halls are left off and listed under
``needs_decision`` for the province to settle.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from fractions import Fraction

from .config import EXCELLENT, GOOD
from .fsutil import write_bytes_atomic
from .numbers import number
from .tiering import Candidate, quota_caps

FOLDER = "上报名单"


def shortlist_size(config, quota: int) -> int:
    """⌈(1 + 差额 ratio) × quota⌉, exactly."""
    return math.ceil((1 + Fraction(config.shortlist_ratio)) * quota)


def build_shortlists(halls, candidates: dict[str, Candidate], placements: dict, config) -> list[dict]:
    """The 上报名单 of every province, sorted by province then tier, as results.json carries them."""

    provinces: dict[str, list] = {}
    for hall in halls:
        if config.evaluated(hall):
            provinces.setdefault(hall.province, []).append(hall)
    tiers = [EXCELLENT] + ([GOOD] if config.good_shortlist and GOOD in config.quotas else [])
    lists = []
    for province in sorted(provinces):
        members = provinces[province]
        caps = quota_caps(config, len(members))
        for tier in tiers:
            if tier not in caps:
                continue
            line = config.thresholds[tier]
            pool = [candidates[h.hall_id] for h in members if h.hall_id in candidates
                    and not candidates[h.hall_id].vetoes and candidates[h.hall_id].final >= line
                    and (tier == EXCELLENT or placements[h.hall_id].tier != EXCELLENT)]
            pool.sort(key=Candidate.rank_key, reverse=True)
            size = shortlist_size(config, caps[tier])
            chosen, tied = _take(pool, size)
            ranks = _ranks(pool)
            names = {h.hall_id: h.name for h in members}
            lists.append({
                "scope": province,
                "tier": tier,
                "quota": caps[tier],
                "size": size,
                "nominees": [{"hall_id": c.hall_id, "name": names[c.hall_id], "final_score": number(c.final),
                              "rank": ranks[c.hall_id], "confirmed": placements[c.hall_id].tier == tier}
                             for c in chosen],
                "needs_decision": sorted(c.hall_id for c in tied),
            })
    return lists


def _take(pool: list[Candidate], size: int):
    if len(pool) <= size:
        return pool, []
    cut = pool[size].rank_key()
    if size > 0 and pool[size - 1].rank_key() == cut:
        return [c for c in pool if c.rank_key() > cut], [c for c in pool if c.rank_key() == cut]
    return pool[:size], []


def _ranks(pool: list[Candidate]) -> dict[str, int]:
    ranks, previous, rank = {}, None, 0
    for n, cand in enumerate(pool, 1):
        if cand.rank_key() != previous:
            rank, previous = n, cand.rank_key()
        ranks[cand.hall_id] = rank
    return ranks


# -- one workbook per province -----------------------------------------------------------------------------

HEADERS = ("排名", "厅编码", "厅名称", "得分", "集团确认")


def write_shortlists(results: dict, folder) -> list:
    """Write ``<folder>/<省>-上报名单.xlsx`` for every province with a list; byte-stable for the same results."""
    from pathlib import Path

    folder = Path(folder)
    by_province: dict[str, list[dict]] = {}
    for entry in results.get("shortlists", []):
        by_province.setdefault(entry["scope"], []).append(entry)
    paths = []
    for province, entries in sorted(by_province.items()):
        path = folder / f"{_safe(province)}-{FOLDER}.xlsx"
        write_bytes_atomic(path, _workbook_bytes(results["year"], province, entries))
        paths.append(path)
    return paths


def _workbook_bytes(year: int, province: str, entries: list[dict]) -> bytes:
    from openpyxl import Workbook

    from .textcell import append_text_row

    wb = Workbook()
    wb.remove(wb.active)
    for entry in entries:
        ws = wb.create_sheet(entry["tier"])
        # Every string a text cell: a register name starting with "=" is a name, never a formula.
        append_text_row(ws, [f"{year} 年 {province} {entry['tier']}上报名单(差额):名额 {entry['quota']} 个,"
                             f"上报 {entry['size']} 个"])
        append_text_row(ws, list(HEADERS))
        for n in entry["nominees"]:
            append_text_row(ws, [n["rank"], n["hall_id"], n["name"], n["final_score"],
                                 "是" if n["confirmed"] else "否"])
        if entry["needs_decision"]:
            append_text_row(ws, [f"并列于名单分界线、需裁定:{'、'.join(entry['needs_decision'])}"])
        for col, width in zip("ABCDE", (8, 14, 30, 10, 10)):
            ws.column_dimensions[col].width = width
    raw = io.BytesIO()
    wb.save(raw)
    return _stable_zip(raw.getvalue())


def _stable_zip(data: bytes) -> bytes:
    """openpyxl stamps the save time into docProps/core.xml and every zip entry; pin both."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(src.namelist()):
            content = src.read(name)
            if name == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", content)
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, content)
    return out.getvalue()


def _safe(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|]', "_", name)
