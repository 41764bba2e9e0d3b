"""Collection state per city for the data-quality page: what was expected, what came in, what is missing.

Built from a year's results (halls with 省/市) and its intake report (each file's status, hall and, for
returns that came by mail, the mail's date), so the archive alone is enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from generator.model import HallRow
from generator.rules.regions import province_order
from generator.rules.terms import NOT_RATED


def collection_rows(halls: Sequence[HallRow], files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per city, in 省, 市 order: expected, received, accepted, rejected, missing halls, latest return.

    Only rated halls are expected (a 不参评 hall is neither 应收 nor 未回传, whatever it sent); ``rejected`` counts
    halls with an open rejection (已退回待重报), whatever else they returned: a corrected one is ``superseded``."""
    received: dict[str, set[str]] = {}
    latest: dict[str, str] = {}
    for f in files:
        hall_id, status = f.get("hall_id"), f.get("status")
        if not hall_id or not status or status == "ignored":
            continue
        received.setdefault(hall_id, set()).add(status)
        when = _day((f.get("mail") or {}).get("date", ""))
        if when and when > latest.get(hall_id, ""):
            latest[hall_id] = when
    for hall in halls:  # a return from a folder has no mail date: its 检查日期 stands in
        dates = [r.date or "" for r in hall.rounds]
        if hall.hall_id not in latest and any(dates):
            latest[hall.hall_id] = max(dates)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for hall in halls:
        if hall.tier == NOT_RATED:
            continue
        row = rows.setdefault((hall.province, hall.city), {
            "province": hall.province, "city": hall.city, "expected": 0, "received": 0, "accepted": 0,
            "rejected": 0, "missing": 0, "latest": ""})
        got = received.get(hall.hall_id, set())
        row["expected"] += 1
        row["received"] += bool(got)
        row["accepted"] += "accepted" in got
        row["rejected"] += "rejected" in got
        row["missing"] += not got
        row["latest"] = max(row["latest"], latest.get(hall.hall_id, ""))
    return [rows[k] for k in sorted(rows, key=lambda pc: (province_order(pc[0]), pc[1]))]


def mail_returns(files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The files that came by mail with their provenance, for the page's table (sorted by path already)."""
    return [f for f in files if f.get("mail")]


def _day(text: str) -> str:
    try:
        return datetime.fromisoformat(text).date().isoformat() if text else ""
    except ValueError:
        return ""
