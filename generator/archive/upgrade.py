"""Older results.json schemas read as this one, in memory: a record written by an earlier hallscore stays readable
(codec.checked upgrades what it reads)."""

from __future__ import annotations

from typing import Any

from generator.evaluate.recognition import confirm
from generator.evaluate.year import SCHEMA_VERSION
from generator.rules.terms import NOT_INSPECTED, NOT_RATED, RECOGNISED_ORDER, SELF_ROUND


def upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A schema-1 record (before 逐级认定) as schema 2, in memory: what it did not record is derived or null.

    Confirmed tier and awaiting level follow from the tier and the deciding round (no list was answered
    then); a nominee is confirmed when that tier is; no hall has decisions.
    """
    halls = []
    for raw in data.get("halls", []):
        hall = dict(raw)
        hall.setdefault("decisions", [])
        if "confirmed_tier" not in hall or "awaiting" not in hall:
            hall["confirmed_tier"], hall["awaiting"] = confirm(hall.get("tier", ""), hall.get("round", ""))
        halls.append(hall)
    confirmed = {h["hall_id"]: h["confirmed_tier"] for h in halls}
    shortlists = []
    for raw in data.get("shortlists") or []:
        entry = dict(raw)
        nominees = []
        for n in entry.get("nominees", []):
            n = dict(n)
            n.setdefault("decision", None)
            got = confirmed.get(n["hall_id"])
            n["confirmed"] = (got is not None and entry["tier"] in RECOGNISED_ORDER
                              and RECOGNISED_ORDER.index(got) >= RECOGNISED_ORDER.index(entry["tier"]))
            nominees.append(n)
        entry["nominees"] = nominees
        entry.setdefault("needs_decision", [])
        shortlists.append(entry)
    return {**data, "schema_version": 2, "halls": halls, "shortlists": shortlists,
            "gaps": data.get("gaps") or {"national": None, "by_province": {}}}


def upgrade_v2(data: dict[str, Any]) -> dict[str, Any]:
    """A schema-2 record (events of the deciding workbook only) as schema 3, in memory: its events were
    recorded by its deciding round, its rounds were all accepted, nothing was 待重报, and a hall was ranked when
    it was tiered from a round above 自评."""
    halls = []
    for raw in data.get("halls", []):
        hall = dict(raw)
        rnd = hall.get("round", "")

        def upgraded(e: dict[str, Any], rnd: str = rnd) -> dict[str, Any]:
            if "item" in e:  # already in this version's form
                return e
            note = e.get("note", "")
            return {"item": e["id"], "count": e.get("count", 1), "points": e.get("points"), "rounds": [rnd],
                    "notes": [[rnd, note]] if note else []}

        hall["bonus_events"] = [upgraded(e) for e in hall.get("bonus_events", [])]
        hall["deduction_events"] = [upgraded(e) for e in hall.get("deduction_events", [])]
        if "veto_events" not in hall:
            hall["veto_events"] = [{k: v for k, v in upgraded(e).items() if k != "points"} | {"count": 1}
                                   for e in hall.pop("vetoes", [])]
        hall["rounds"] = [{"status": "accepted", "note": "", "problems": [], **r} for r in hall.get("rounds", [])]
        hall.setdefault("pending_round", None)
        hall.setdefault("ranked", bool(rnd) and rnd != SELF_ROUND and hall.get("tier") not in (NOT_RATED, NOT_INSPECTED))
        halls.append(hall)
    return {**data, "schema_version": SCHEMA_VERSION, "halls": halls}
