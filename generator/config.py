"""The yearly configuration: which halls are tiered, thresholds, quotas. Defaults are the seed's rules.

``load_config`` reads a TOML file (``hallscore.toml`` at the repo root is the annotated sample); every key is
optional and falls back to the seed's rule. A bad value raises ``ConfigError`` naming the key and what is allowed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .errors import ConfigError
from .workbook import HALL_TYPES, ROUNDS

EXCELLENT, GOOD, PASS, FAIL = "优秀", "良好", "达标", "不达标"
NOT_RATED, NOT_INSPECTED = "不参评", "未检查"
TIERS = (EXCELLENT, GOOD, PASS, FAIL, NOT_RATED, NOT_INSPECTED)
SCOPES = {"province": "本省", "national": "全国"}
CAP_ROUNDINGS = ("down",)  # 不超过: a cap is never rounded up
KEYS = ("year", "levels", "hall_types", "thresholds", "quotas", "quota_scope", "cap_rounding", "shortlist_ratio",
        "bonus_cap", "rounds", "good_shortlist", "improvement")

# 逐级认定 (standard.md): the one table of authority. Each tier's owner (the level that recognises it) and, per
# round, the tiers a return of that round recognises. A tier is a claim until its owner has spoken.
CITY, PROVINCE, GROUP = "市", "省", "集团"
TIER_OWNER = {FAIL: CITY, PASS: CITY, GOOD: PROVINCE, EXCELLENT: GROUP}
ROUND_AUTHORITY = {
    "自评": (),  # 营业厅自查 recognises nothing
    "市级检查": (PASS, FAIL),
    "省级复核": (GOOD, PASS, FAIL),
    "集团复核": (EXCELLENT, GOOD, PASS, FAIL),
}
# The level whose returned 上报名单 recognises a tier (the sheet of that tier is filled by that level).
LIST_OWNER = {GOOD: PROVINCE, EXCELLENT: GROUP}
RECOGNISED_ORDER = (FAIL, PASS, GOOD, EXCELLENT)  # low → high
# 服务能力提升明显 (结果应用): a province passes when either line is reached against its previous archived year.
DEFAULT_IMPROVEMENT = {"average": Decimal("2.0"), "pass_rate": Decimal("5")}


@dataclass(frozen=True)
class Config:
    """Rules of one evaluation year (seed 二、适用范围 and 四、(一)(二))."""

    year: int
    levels: tuple[int, ...] = (1, 2, 3)
    hall_types: tuple[str, ...] = ("自营",)
    thresholds: dict[str, Decimal] = field(
        default_factory=lambda: {EXCELLENT: Decimal(95), GOOD: Decimal(90), PASS: Decimal(80)}
    )
    quotas: dict[str, Decimal] = field(
        default_factory=lambda: {EXCELLENT: Decimal("0.05"), GOOD: Decimal("0.20")}
    )
    quota_scope: str = "province"
    cap_rounding: str = "down"
    shortlist_ratio: Decimal = Decimal("0.2")  # 差额 20%
    bonus_cap: Decimal | None = None  # None: the standard's own cap
    rounds: tuple[str, ...] = ROUNDS
    good_shortlist: bool = True  # 良好 also goes through a 差额 list at province level (standard.md: both exist)
    improvement: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_IMPROVEMENT))

    def evaluated(self, hall) -> bool:
        """Whether a register hall is tiered this year (and counts in the quota base)."""
        return hall.type in self.hall_types and hall.level in self.levels

    def scope_key(self, hall) -> str:
        return hall.province if self.quota_scope == "province" else "全国"

    @property
    def scope_label(self) -> str:
        return SCOPES[self.quota_scope]


def load_config(path: str | Path, year: int | None = None, default_year: int | None = None) -> Config:
    """Read a TOML configuration.

    ``year`` (given explicitly, e.g. ``--year``) must agree with the file's ``year`` key when both are there;
    ``default_year`` is used only when neither names one.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"无法读取配置文件 {path}:{exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"配置文件 {path} 不是合法的 TOML:{exc}") from exc
    return config_from_dict(data, year, source=str(path), default_year=default_year)


def config_from_dict(data: dict, year: int | None = None, source: str = "配置", default_year: int | None = None
                     ) -> Config:
    def bad(key: str, allowed: str):
        shown = data.get(key) if "." not in key else _dig(data, key)
        return ConfigError(f"配置文件 {source}:{key} = {shown!r} 不合法,应为{allowed}")

    unknown = sorted(k for k in data if k not in KEYS)
    if unknown:
        raise ConfigError(f"配置文件 {source}:未知的配置项 {'、'.join(unknown)}(可用:{'、'.join(KEYS)})")
    default = Config(year=0)
    kwargs: dict = {}

    file_year = data.get("year")
    if file_year is not None and (not _is_int(file_year) or not 2000 <= file_year <= 2100):
        raise bad("year", " 2000 到 2100 之间的整数")
    if file_year is not None and year is not None and file_year != year:
        raise ConfigError(f"配置文件 {source}:year = {file_year} 与命令行的年度 {year} 不一致")
    kwargs["year"] = next((y for y in (file_year, year, default_year) if y is not None), None)
    if kwargs["year"] is None:
        raise bad("year", " 2000 到 2100 之间的整数(配置文件或命令行须给出年度)")

    if "levels" in data:
        levels = data["levels"]
        if (not isinstance(levels, list) or not levels or not all(_is_int(x) and 1 <= x <= 4 for x in levels)
                or len(set(levels)) != len(levels)):
            raise bad("levels", "不重复的级别列表,取值 1、2、3、4,至少一个")
        kwargs["levels"] = tuple(sorted(levels))
    if "hall_types" in data:
        types = data["hall_types"]
        if (not isinstance(types, list) or not types or not all(t in HALL_TYPES for t in types)
                or len(set(types)) != len(types)):
            raise bad("hall_types", f"不重复的厅类型列表,取值 {'、'.join(HALL_TYPES)},至少一个")
        kwargs["hall_types"] = tuple(types)
    if "thresholds" in data:
        kwargs["thresholds"] = _thresholds(data["thresholds"], bad)
    if "quotas" in data:
        kwargs["quotas"] = _quotas(data["quotas"], bad)
    if "quota_scope" in data:
        if data["quota_scope"] not in SCOPES:
            raise bad("quota_scope", " province(各省分别计算)或 national(全国统一计算)")
        kwargs["quota_scope"] = data["quota_scope"]
    if "cap_rounding" in data:
        if data["cap_rounding"] not in CAP_ROUNDINGS:
            raise bad("cap_rounding", " down(名额“不超过”,向下取整)")
        kwargs["cap_rounding"] = data["cap_rounding"]
    if "shortlist_ratio" in data:
        ratio = _decimal(data["shortlist_ratio"])
        if ratio is None or not 0 <= ratio <= 1:
            raise bad("shortlist_ratio", " 0 到 1 之间的小数(差额 20% 写作 0.2)")
        kwargs["shortlist_ratio"] = ratio
    if "bonus_cap" in data:
        cap = _decimal(data["bonus_cap"])
        if cap is None or cap < 0 or cap > 100:
            raise bad("bonus_cap", " 0 到 100 之间的数(加分项合计上限)")
        kwargs["bonus_cap"] = cap
    if "rounds" in data:
        rounds = data["rounds"]
        if (not isinstance(rounds, list) or sorted(rounds, key=str) != sorted(ROUNDS)
                or len(set(rounds)) != len(rounds)):
            raise bad("rounds", f"由低到高排列的全部轮次,恰好包含 {'、'.join(ROUNDS)} 各一次")
        kwargs["rounds"] = tuple(rounds)
    if "good_shortlist" in data:
        if not isinstance(data["good_shortlist"], bool):
            raise bad("good_shortlist", " true 或 false")
        kwargs["good_shortlist"] = data["good_shortlist"]
    if "improvement" in data:
        kwargs["improvement"] = _improvement(data["improvement"], bad)
    config = Config(**{**{k: getattr(default, k) for k in KEYS if k != "year"}, **kwargs})
    return config


def _thresholds(value, bad) -> dict[str, Decimal]:
    allowed = f"包含 {EXCELLENT}、{GOOD}、{PASS} 三个分数线的表,0 到 100 之间且 {EXCELLENT} > {GOOD} > {PASS}"
    if not isinstance(value, dict) or set(value) != {EXCELLENT, GOOD, PASS}:
        raise bad("thresholds", allowed)
    out = {}
    for tier in (EXCELLENT, GOOD, PASS):
        number = _decimal(value[tier])
        if number is None or not 0 <= number <= 100:
            raise bad(f"thresholds.{tier}", " 0 到 100 之间的数")
        out[tier] = number
    if not out[EXCELLENT] > out[GOOD] > out[PASS]:
        raise bad("thresholds", allowed)
    return out


def _quotas(value, bad) -> dict[str, Decimal]:
    allowed = f"只含 {EXCELLENT}、{GOOD} 的表,比例在 0 到 1 之间(5% 写作 0.05)"
    if not isinstance(value, dict) or not set(value) <= {EXCELLENT, GOOD}:
        raise bad("quotas", allowed)
    out = {}
    for tier in (EXCELLENT, GOOD):
        if tier in value:
            ratio = _decimal(value[tier])
            if ratio is None or not 0 <= ratio <= 1:
                raise bad(f"quotas.{tier}", " 0 到 1 之间的小数(5% 写作 0.05)")
            out[tier] = ratio
    return out


def _improvement(value, bad) -> dict[str, Decimal]:
    allowed = " 含 average(平均分提高,分)和/或 pass_rate(达标率提高,百分点)的表,取值 0 到 100"
    if not isinstance(value, dict) or not value or not set(value) <= set(DEFAULT_IMPROVEMENT):
        raise bad("improvement", allowed)
    out = dict(DEFAULT_IMPROVEMENT)
    for key, raw in value.items():
        number = _decimal(raw)
        if number is None or not 0 <= number <= 100:
            raise bad(f"improvement.{key}", allowed)
        out[key] = number
    return out


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _decimal(value) -> Decimal | None:
    """TOML floats go through their shortest text (0.05 → Decimal('0.05')), never through binary."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _dig(data: dict, dotted: str) -> object:
    value: object = data
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
