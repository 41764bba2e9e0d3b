"""Typed hall rows for tests of pages and exports: a results.json hall mapping with defaults, read as the
archive is read (record.py), so scores become the exact Decimals those modules get."""

from __future__ import annotations

from generator.archive import codec as record
from generator.archive.hall_json import hall_from_json

DEFAULTS = {"hall_id": "H1", "name": "厅", "province": "甲", "city": "甲市", "district": "", "level": 1, "type": "",
            "round": "", "date": "", "inspector": "", "base_score": None, "bonus": None, "deduction": None,
            "final_score": None, "items": {}, "reasons": {}, "sections": {}, "bonus_events": [],
            "deduction_events": [], "veto_events": [], "rounds": [], "self_gap": None, "override": None, "tier": "未检查",
            "tier_reason": "", "confirmed_tier": None, "awaiting": None, "decisions": [], "pending_round": None,
            "ranked": False}


def hall_row(**given) -> record.HallRow:
    return hall_from_json({**DEFAULTS, **given})


def shortlist(entry: dict) -> record.Shortlist:
    """One 上报名单 entry of results.json, typed."""
    return record.shortlists_from_json([entry])[0]
