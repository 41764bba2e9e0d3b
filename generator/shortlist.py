"""差额 (seed: 按照差额20%认定): each province's nominee list (上报名单) for the group.

A province nominates the top ⌈(1 + ratio) × its 优秀 quota⌉ of its 优秀 candidates — evaluated halls whose
reported deciding score reached the 优秀 line, vetoes excluded, and whose city has recognised them (a 市级检查
or higher return: 上报 comes after the city's 认定) — ranked like tiering ranks them. The lists are computed from
the returns and the rules alone, never from decisions, so a list means the same whenever it comes back; the
higher level answers in the list workbook (decisions.py). The province quota is ⌊ratio × its evaluated halls⌋
whatever the quota scope. With ``good_shortlist`` (the default) the same list is made for 良好 (candidates:
reached the 良好 line, not placed 优秀 by the rules).

A tie that straddles the list's size is not cut by hall id: the tied halls are left off and listed under
``needs_decision`` for the province to settle.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from .config import EXCELLENT, GOOD, Config
from .numbers import number
from .register import Hall
from .tiering import Candidate, competition_ranks, quota_caps, take_until_tie

FOLDER = "上报名单"


def shortlist_size(config: Config, quota: int) -> int:
    """⌈(1 + 差额 ratio) × quota⌉, exactly."""
    return math.ceil((1 + Fraction(config.shortlist_ratio)) * quota)


def build_shortlists(halls: Iterable[Hall], candidates: dict[str, Candidate], placements: dict, config: Config,
                     deciding_rounds: dict[str, str] | None = None) -> list[dict]:
    """The 上报名单 of every province, sorted by province then tier, as results.json carries them.

    ``placements`` are the rules' own (no decisions); ``deciding_rounds`` (hall id → round) keeps halls known
    only from their 自评 off the lists; None skips that check.
    """
    from .config import PASS, ROUND_AUTHORITY

    def city_recognised(hall_id: str) -> bool:
        return deciding_rounds is None or PASS in ROUND_AUTHORITY.get(deciding_rounds.get(hall_id, ""), ())

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
                    and city_recognised(h.hall_id)
                    and (tier == EXCELLENT or placements[h.hall_id].tier != EXCELLENT)]
            # Equal halls listed by hall id, so the list does not depend on the register's order.
            pool.sort(key=lambda c: (tuple(-x for x in c.rank_key()), c.hall_id))
            size = shortlist_size(config, caps[tier])
            chosen, tied, _below = take_until_tie(pool, size)
            ranks = competition_ranks(pool)
            names = {h.hall_id: h.name for h in members}
            lists.append({
                "scope": province,
                "tier": tier,
                "quota": caps[tier],
                "size": size,
                "nominees": [{"hall_id": c.hall_id, "name": names[c.hall_id], "final_score": number(c.final),
                              "rank": ranks[c.hall_id]}
                             for c in chosen],
                "needs_decision": sorted(c.hall_id for c in tied),
            })
    return lists


# -- one workbook per province: written and read back by decisions.py -----------------------------------------


def write_shortlists(results: dict, folder: str | Path) -> list[Path]:
    """Write ``<folder>/<省>-上报名单.xlsx`` for every province with a list; byte-stable for the same results."""
    from .decisions import write_lists

    return write_lists(results, folder)


@dataclass
class Issued:
    """The lists of one build: their paths, and the names of the current lists still exactly as issued."""

    paths: list[Path]
    unanswered: set[str] = field(default_factory=set)


def issue_shortlists(results: dict, folder: str | Path, previous: str | Path | None = None,
                     cache_dir: str | Path | None = None) -> Issued:
    """:func:`write_shortlists`, re-making only the provinces whose lists changed.

    Each province's workbook is keyed by its lists' content (and the code and year); ``<cache_dir>/shortlists-
    <year>.json`` remembers the key and the SHA-256 of the file issued for it. A file of ``previous`` (the year's
    current 上报名单 folder) that still has those bytes is linked into ``folder`` instead of being made again:
    same content, same bytes. A missing, damaged or foreign record only means every list is made.
    """
    folder = Path(folder)
    if cache_dir is None or previous is None:
        return Issued(write_shortlists(results, folder))
    import hashlib
    import json

    from .cache import code_version
    from .decisions import list_file_name, write_lists
    from .fsutil import write_text_atomic

    year = results["year"]
    record = Path(cache_dir) / f"shortlists-{year}.json"
    known = _issued_record(record)
    by_province: dict[str, list[dict]] = {}
    for entry in results.get("shortlists", []):
        by_province.setdefault(entry["scope"], []).append(entry)
    code = code_version()
    current = {name: _sha256(Path(previous) / name) for _key, (name, _sha) in known.items()}
    issued, paths = {}, []
    for province, entries in sorted(by_province.items()):
        content = json.dumps([code, year, province, entries], ensure_ascii=False, sort_keys=True)
        key = hashlib.sha256(content.encode("utf-8")).hexdigest()
        name = list_file_name(province)
        last_name, sha = known.get(key, ("", ""))
        if last_name == name and current.get(name) == sha and _link(Path(previous) / name, folder / name):
            path = folder / name
        else:
            [path] = write_lists({"year": year, "shortlists": entries}, folder)
            sha = _sha256(path) or ""
        issued[key] = (path.name, sha)
        paths.append(path)
    unanswered = {name for name, sha in known.values() if current.get(name) == sha}
    write_text_atomic(record, json.dumps({"lists": issued}, ensure_ascii=False, sort_keys=True))
    return Issued(paths, unanswered)


def _issued_record(path: Path) -> dict[str, tuple[str, str]]:
    """key → (file name, SHA-256) of the lists issued last; {} when missing or not of our shape."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        lists = data["lists"]
        return {k: (v[0], v[1]) for k, v in lists.items()
                if isinstance(k, str) and isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v)
                and v[0] == Path(v[0]).name and not v[0].startswith(".")}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def _sha256(path: Path) -> str | None:
    import hashlib

    try:
        if path.is_symlink() or not path.is_file():
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _link(source: Path, target: Path) -> bool:
    """``target`` as a hard link to ``source`` (a copy where links are not possible); False if neither works."""
    import os
    import shutil

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)
        return True
    except OSError:
        return False
