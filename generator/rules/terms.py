"""Every tier, round and level name, their orders, and who owns what under 逐级认定 (standard.md): one place.

The evaluation, the pages, the exports and the reason texts read these names from here; the year's
configuration (config.py), the rules object (year_rules.py) and the workbook contract (contract.py, whose cover
names a return's round) build on them.
"""

from __future__ import annotations

# -- tiers ---------------------------------------------------------------------------------------------
EXCELLENT, GOOD, PASS, FAIL = "优秀", "良好", "达标", "不达标"
NOT_RATED, NOT_INSPECTED = "不参评", "未检查"
RATED = (EXCELLENT, GOOD, PASS, FAIL)  # the rated tiers, highest first
TIERS = (*RATED, NOT_RATED, NOT_INSPECTED)  # every tier a hall can have, in the order pages and tallies list them
RECOGNISED_ORDER = tuple(reversed(RATED))  # low → high: the order 认定 climbs
LIST_TIERS = (EXCELLENT, GOOD)  # the tiers recognised through a returned 上报名单
# Named roles, for templates: excellent, good, pass, fail, not_rated, not_inspected.
TIER_NAMES = {"excellent": EXCELLENT, "good": GOOD, "pass": PASS, "fail": FAIL,
              "not_rated": NOT_RATED, "not_inspected": NOT_INSPECTED}

# -- levels --------------------------------------------------------------------------------------------
CITY, PROVINCE, GROUP = "市", "省", "集团"
LEVELS = (CITY, PROVINCE, GROUP)  # the 办法's order 市 → 省 → 集团: low → high
LEVEL_COMPANIES = {CITY: "市公司", PROVINCE: "省公司", GROUP: "集团"}  # the level as a sentence names who acts
NATIONAL = "全国"  # the scope of a national quota and of the national 优秀 list

# -- rounds --------------------------------------------------------------------------------------------
# Rounds in ascending authority: the highest present decides the tier (自评上报,逐级认定).
ROUNDS = ("自评", "市级检查", "省级复核", "集团复核")
SELF_ROUND = ROUNDS[0]  # 自评: the hall's own check, which recognises nothing

# -- who owns what (the one table of authority) -----------------------------------------------------------
# Each tier's owner: the level that recognises it. A tier is a claim until its owner has spoken.
TIER_OWNER = {FAIL: CITY, PASS: CITY, GOOD: PROVINCE, EXCELLENT: GROUP}
# Per round, the tiers a return of that round recognises; keyed by position in ROUNDS.
ROUND_AUTHORITY: dict[str, tuple[str, ...]] = dict(zip(ROUNDS, (
    (),  # 自评: 营业厅自查 recognises nothing
    (PASS, FAIL),  # 市级检查
    (PASS, FAIL),  # 省级复核: scores and findings; 良好 is the province's answered list's alone
    (PASS, FAIL),  # 集团复核: likewise; 优秀 is the group's answered list's alone
), strict=True))
# The level that owns each round (its findings are withdrawn by a decision of that level or a higher one): the
# city company answers for its halls' 自评 as for its own 市级检查.
ROUND_OWNER = dict(zip(ROUNDS, (CITY, CITY, PROVINCE, GROUP), strict=True))
# The level whose returned 上报名单 recognises a tier (the sheet of that tier is filled by that level).
LIST_OWNER = {GOOD: PROVINCE, EXCELLENT: GROUP}



def owners_said() -> str:
    """Who recognises which tier, as a sentence says it: 市认定达标/不达标,省认定良好,集团认定优秀."""
    return ",".join(f"{level}认定{'/'.join(t for t in RATED if TIER_OWNER[t] == level)}" for level in LEVELS)


# -- findings ------------------------------------------------------------------------------------------
KIND_WORDS = {"bonus": "加分", "deduction": "扣分", "veto": "一票否决"}  # a withdrawn finding's kind, as pages say it
