"""差额 (seed: 按照差额20%认定): the 上报名单 of 逐级认定, in the 办法's order 市 → 省 → 集团 (standard.md).

1. The 良好 list, one per province, answered by the province: ranked halls (the case file's ``ranked``) with no standing
   veto whose deciding score reaches the 良好 line, ranked as for quotas, the top ⌈(1 + ratio) × the province's
   良好 quota⌉ — halls over the 优秀 line included (认定 on it means 良好 or above).
2. The 优秀 list, answered by the group: only once the province's answer is applied; nominees are the halls that
   answer recognised whose deciding score reaches the 优秀 line, top ⌈(1 + ratio) × 优秀 quota⌉. With national
   quota scope there is one national list (national quota) from the provinces that have answered.

The lists come from the returns, the rules and the province's applied answer only, never from decisions, so a
list means the same whenever an answer to it comes back. A tie that straddles a list's size is not cut by hall
id: the tied halls are left off and listed under ``needs_decision``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from .config import EXCELLENT, GOOD, GROUP, PROVINCE, Config
from .numbers import number
from .register import Hall
from .tiering import Candidate, competition_ranks, quota_caps, take_until_tie

FOLDER = "上报名单"
NATIONAL = "全国"


def shortlist_size(config: Config, quota: int) -> int:
    """⌈(1 + 差额 ratio) × quota⌉, exactly."""
    return math.ceil((1 + Fraction(config.shortlist_ratio)) * quota)


def _rated_by_province(halls: Iterable[Hall], config: Config) -> dict[str, list[Hall]]:
    provinces: dict[str, list[Hall]] = {}
    for hall in halls:
        if config.evaluated(hall):
            provinces.setdefault(hall.province, []).append(hall)
    return provinces


def _entry(scope: str, tier: str, quota: int, size: int, pool: list[Candidate], info: Mapping[str, dict],
           waiting: Iterable[str] = ()) -> dict:
    # Equal halls listed by hall id, so the list does not depend on the register's order.
    pool.sort(key=lambda c: (tuple(-x for x in c.rank_key()), c.hall_id))
    chosen, tied, _below = take_until_tie(pool, size)
    ranks = competition_ranks(pool)
    return {
        "scope": scope, "tier": tier, "level": PROVINCE if tier == GOOD else GROUP, "quota": quota, "size": size,
        "nominees": [{"hall_id": c.hall_id, "rank": ranks[c.hall_id], "final_score": number(c.final),
                      **info[c.hall_id]} for c in chosen],
        "needs_decision": sorted(c.hall_id for c in tied),
        "waiting": sorted(waiting),
    }


def good_lists(halls: Iterable[Hall], candidates: Mapping[str, Candidate], config: Config,
               ranked: Collection[str], info: Mapping[str, dict]) -> list[dict]:
    """Step 1: every province's 良好 list from the ``ranked`` halls (their case file's ``ranked``: rated, and
    市级检查 or higher decides); ``info``: hall id → name, city, level, round as the list prints them."""
    lists: list[dict] = []
    line = config.thresholds[GOOD]
    for province, members in sorted(_rated_by_province(halls, config).items()):
        pool = [candidates[h.hall_id] for h in members if h.hall_id in candidates
                and h.hall_id in ranked and not candidates[h.hall_id].vetoes
                and candidates[h.hall_id].final >= line]
        # A year without a 良好 cap lists every candidate and the province may recognise them all.
        quota = quota_caps(config, len(members)).get(GOOD, len(pool))
        lists.append(_entry(province, GOOD, quota, shortlist_size(config, quota) if GOOD in config.quotas
                            else len(pool), pool, info))
    return lists


def excellent_lists(halls: Iterable[Hall], candidates: Mapping[str, Candidate], config: Config,
                    recognised: Mapping[str, set[str]], info: Mapping[str, dict]) -> list[dict]:
    """Step 2: the group's 优秀 lists from ``recognised`` (province → the halls its applied answer 认定).

    A province missing from ``recognised`` has not answered: its list (or its share of the national list)
    waits for it and holds no nominee of it."""
    lists: list[dict] = []
    if EXCELLENT not in config.quotas:
        return lists
    line = config.thresholds[EXCELLENT]
    provinces = _rated_by_province(halls, config)

    def pool_of(members: list[Hall]) -> list[Candidate]:
        return [candidates[h.hall_id] for h in members if h.hall_id in candidates
                and h.hall_id in recognised.get(h.province, ()) and not candidates[h.hall_id].vetoes
                and candidates[h.hall_id].final >= line]

    if config.quota_scope == "national":
        everyone = [h for members in provinces.values() for h in members]
        quota = quota_caps(config, len(everyone))[EXCELLENT]
        waiting = [p for p in provinces if p not in recognised]
        return [_entry(NATIONAL, EXCELLENT, quota, shortlist_size(config, quota), pool_of(everyone), info, waiting)]
    for province, members in sorted(provinces.items()):
        quota = quota_caps(config, len(members))[EXCELLENT]
        waiting = [] if province in recognised else [province]
        lists.append(_entry(province, EXCELLENT, quota, shortlist_size(config, quota), pool_of(members), info,
                            waiting))
    return lists


# -- one workbook per list, for the level that answers it: written and read back by decisions.py -----------------------------------------


def write_shortlists(results: dict, folder: str | Path) -> list[Path]:
    """Write every list's workbook into ``folder``; byte-stable for the same results."""
    from .decisions import write_lists

    return write_lists(results, folder)


@dataclass
class Issued:
    """The lists of one build: their paths, and the names of the current lists still exactly as issued."""

    paths: list[Path]
    unanswered: set[str] = field(default_factory=set)


def issue_shortlists(results: dict, folder: str | Path, previous: str | Path | None = None,
                     cache_dir: str | Path | None = None) -> Issued:
    """:func:`write_shortlists`, re-making only the lists that changed.

    Each list's workbook is keyed by its content (and the code and year); ``<cache_dir>/shortlists-
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
    from .installkey import keyed_digest
    from .memo import write_memo

    year = results["year"]
    record = Path(cache_dir) / f"shortlists-{year}.json"
    known = _issued_record(record)
    code = code_version()
    signer = keyed_digest("上报名单/缓存", b"")  # a list signed with another installation key is made again
    current = {name: _sha256(Path(previous) / name) for _key, (name, _sha) in known.items()}
    issued, paths = {}, []
    for entry in results.get("shortlists", []):
        content = json.dumps([code, signer, year, entry], ensure_ascii=False, sort_keys=True)
        key = hashlib.sha256(content.encode("utf-8")).hexdigest()
        name = list_file_name(entry["scope"], entry["tier"])
        last_name, sha = known.get(key, ("", ""))
        if last_name == name and current.get(name) == sha and _link(Path(previous) / name, folder / name):
            path = folder / name
        else:
            [path] = write_lists({"year": year, "shortlists": [entry]}, folder)
            sha = _sha256(path) or ""
        issued[key] = (path.name, sha)
        paths.append(path)
    unanswered = {name for name, sha in known.values() if current.get(name) == sha}
    write_memo(record, _ISSUED_MEMO, {"lists": issued})
    return Issued(paths, unanswered)


_ISSUED_MEMO = "shortlists-issued"


def _issued_record(path: Path) -> dict[str, tuple[str, str]]:
    """key → (file name, SHA-256) of the lists issued last, from the sealed memo (memo.py); {} when missing,
    forged or not of our shape: a list is then made again, never taken from the archive on the memo's word."""
    from .memo import read_memo

    try:
        data = read_memo(path, _ISSUED_MEMO)
        lists = data["lists"]  # type: ignore[index]
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
