"""The yearly configuration: which halls are tiered, thresholds, quotas.

Defaults are the 办法's rules where it gives them (95/90/80, the 5% and 20% caps, 差额 20% for 优秀, levels 1-3
and no partner halls, said for 2016) and this tool's own reading elsewhere (the quota scope, rounding down, the 良好
差额 list, the bonus cap of the example standard, the rounds, the improvement lines); ``hallscore.toml`` at the repo
root is the annotated sample and marks each key as one or the other. ``load_config`` reads it; every key is
optional and falls back to its default. A bad value raises ``ConfigError`` naming the key and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from generator.errors import ConfigError
from generator.rules.contract import HALL_TYPES, ROUNDS
from generator.rules.register import Hall
from generator.rules.terms import EXCELLENT, GOOD, NATIONAL, PASS
from generator.why import why

SCOPES = {"province": "本省", "national": NATIONAL}
CAP_ROUNDINGS = ("down",)  # 不超过: a cap is never rounded up
KEYS = ("year", "levels", "hall_types", "thresholds", "quotas", "quota_scope", "cap_rounding", "shortlist_ratio",
        "bonus_cap", "rounds", "good_shortlist", "improvement", "progress", "deadline")
# 服务能力提升明显 (结果应用): a province passes when either line is reached against its previous archived year.
DEFAULT_IMPROVEMENT = {"average": Decimal("2.0"), "pass_rate": Decimal("5")}
# 推进落实到位 (结果应用), this tool's reading of the 办法's other half: a province passes when every line holds —
# 检查覆盖率 (%) at least `coverage`, every 上报名单 it was issued answered (`answered_lists` 1 = required),
# at most `open_rejections` returns 已退回待重报, and at least `on_time` % of its accepted returns dated on or
# before the year's `deadline` (not measured while no deadline is configured).
DEFAULT_PROGRESS = {"coverage": Decimal("100"), "answered_lists": Decimal("1"), "open_rejections": Decimal("0"),
                    "on_time": Decimal("90")}


Bad = Callable[[str, str], None]  # records one bad key and what is allowed


@dataclass(frozen=True)
class Config:
    """Rules of one evaluation year (办法 二、适用范围 and 四、(一)(二), and this tool's defaults where it is silent)."""

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
    good_shortlist: bool = True  # the 良好 list is step 1 of 逐级认定 (shortlist.py): only true is accepted
    improvement: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_IMPROVEMENT))
    progress: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_PROGRESS))
    deadline: str = ""  # 回传截止日期 YYYY-MM-DD ("" when none): on-time returns for 推进落实到位

    def evaluated(self, hall: Hall) -> bool:
        """Whether a register hall is tiered this year (and counts in the quota base)."""
        return hall.type in self.hall_types and hall.level in self.levels

    def scope_key(self, hall: Hall) -> str:
        return hall.province if self.quota_scope == "province" else NATIONAL

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
        raise ConfigError(f"无法读取配置文件 {path}:{why(exc)}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"配置文件 {path} 不是合法的 TOML:{why(exc)};请对照仓库根目录带注释的 hallscore.toml 改正") from exc
    return config_from_dict(data, year, source=str(path), default_year=default_year)


def config_from_dict(data: dict[str, Any], year: int | None = None, source: str = "配置", default_year: int | None = None
                     ) -> Config:
    """Check every key, then raise one ``ConfigError`` listing all that are wrong (as the standard does)."""
    problems: list[str] = []

    def bad(key: str, allowed: str) -> None:
        shown = data.get(key) if "." not in key else _dig(data, key)
        problems.append(f"{key} = {shown!r} 不合法,应为{allowed}")

    unknown = sorted(k for k in data if k not in KEYS)
    if unknown:
        problems.append(f"未知的配置项 {'、'.join(unknown)}(可用:{'、'.join(KEYS)})")
    default = Config(year=0)
    kwargs: dict[str, Any] = {}  # each key checked to its field's type

    file_year = data.get("year")
    if file_year is not None and (not _is_int(file_year) or not 2000 <= file_year <= 2100):
        bad("year", " 2000 到 2100 之间的整数")
        file_year = None
    elif file_year is not None and year is not None and file_year != year:
        problems.append(f"year = {file_year} 与命令行的年度 {year} 不一致")
    kwargs["year"] = next((y for y in (file_year, year, default_year) if y is not None), None)
    if kwargs["year"] is None and "year" not in data:
        bad("year", " 2000 到 2100 之间的整数(配置文件或命令行须给出年度)")

    for key, check in _CHECKS.items():
        if key in data:
            value = check(data[key], bad)
            if value is not None:
                kwargs[key] = value
    if problems:
        raise ConfigError(_problem_text(source, problems))
    return Config(**{**{k: getattr(default, k) for k in KEYS if k != "year"}, **kwargs})


def _problem_text(source: str, problems: list[str]) -> str:
    """One problem as one sentence; several numbered on one line, so a user fixes them all in one go."""
    if len(problems) == 1:
        return f"配置文件 {source}:{problems[0]}"
    listed = ";".join(f"({n}){p}" for n, p in enumerate(problems, 1))
    return f"配置文件 {source} 有 {len(problems)} 处问题:{listed}"


def _levels(levels: object, bad: Bad) -> tuple[int, ...] | None:
    if (not isinstance(levels, list) or not levels or not all(_is_int(x) and 1 <= x <= 4 for x in levels)
            or len(set(levels)) != len(levels)):
        bad("levels", "不重复的级别列表,取值 1、2、3、4,至少一个")
        return None
    return tuple(sorted(levels))


def _hall_types(types: object, bad: Bad) -> tuple[str, ...] | None:
    if (not isinstance(types, list) or not types or not all(t in HALL_TYPES for t in types)
            or len(set(types)) != len(types)):
        bad("hall_types", f"不重复的厅类型列表,取值 {'、'.join(HALL_TYPES)},至少一个")
        return None
    return tuple(types)


def _quota_scope(value: object, bad: Bad) -> str | None:
    if not isinstance(value, str) or value not in SCOPES:
        bad("quota_scope", " province(各省分别计算)或 national(全国统一计算)")
        return None
    return value


def _cap_rounding(value: object, bad: Bad) -> str | None:
    if not isinstance(value, str) or value not in CAP_ROUNDINGS:
        bad("cap_rounding", " down(名额“不超过”,向下取整)")
        return None
    return value


def _shortlist_ratio(value: object, bad: Bad) -> Decimal | None:
    ratio = _decimal(value)
    if ratio is None or not 0 <= ratio <= 1:
        bad("shortlist_ratio", " 0 到 1 之间的小数(差额 20% 写作 0.2)")
        return None
    return ratio


def _bonus_cap(value: object, bad: Bad) -> Decimal | None:
    cap = _decimal(value)
    if cap is None or cap < 0 or cap > 100:
        bad("bonus_cap", " 0 到 100 之间的数(加分项合计上限)")
        return None
    return cap


def _rounds(rounds: object, bad: Bad) -> tuple[str, ...] | None:
    if (not isinstance(rounds, list) or sorted(rounds, key=str) != sorted(ROUNDS)
            or len(set(rounds)) != len(rounds)):
        bad("rounds", f"由低到高排列的全部轮次,恰好包含 {'、'.join(ROUNDS)} 各一次")
        return None
    return tuple(rounds)


def _good_shortlist(value: object, bad: Bad) -> bool | None:
    # Kept as a key so that older configuration files still load; the 良好 list can no longer be switched off.
    if value is not True:
        bad("good_shortlist", " true(良好上报名单是逐级认定的第一步,省公司答复后才签发优秀上报名单,不能关闭)")
        return None
    return True


def _thresholds(value: object, bad: Bad) -> dict[str, Decimal] | None:
    allowed = f"包含 {EXCELLENT}、{GOOD}、{PASS} 三个分数线的表,0 到 100 之间且 {EXCELLENT} > {GOOD} > {PASS}"
    if not isinstance(value, dict) or set(value) != {EXCELLENT, GOOD, PASS}:
        bad("thresholds", allowed)
        return None
    out: dict[str, Decimal] = {}
    for tier in (EXCELLENT, GOOD, PASS):
        number = _decimal(value[tier])
        if number is None or not 0 <= number <= 100:
            bad(f"thresholds.{tier}", " 0 到 100 之间的数")
        else:
            out[tier] = number
    if len(out) < 3:
        return None
    if not out[EXCELLENT] > out[GOOD] > out[PASS]:
        bad("thresholds", allowed)
        return None
    return out


def _quotas(value: object, bad: Bad) -> dict[str, Decimal] | None:
    allowed = f"只含 {EXCELLENT}、{GOOD} 的表,比例在 0 到 1 之间(5% 写作 0.05)"
    if not isinstance(value, dict) or not set(value) <= {EXCELLENT, GOOD}:
        bad("quotas", allowed)
        return None
    out: dict[str, Decimal] = {}
    ok = True
    for tier in (EXCELLENT, GOOD):
        if tier in value:
            ratio = _decimal(value[tier])
            if ratio is None or not 0 <= ratio <= 1:
                bad(f"quotas.{tier}", " 0 到 1 之间的小数(5% 写作 0.05)")
                ok = False
            else:
                out[tier] = ratio
    return out if ok else None


def _improvement(value: object, bad: Bad) -> dict[str, Decimal] | None:
    allowed = " 含 average(平均分提高,分)和/或 pass_rate(达标率提高,百分点)的表,取值 0 到 100"
    if not isinstance(value, dict) or not value or not set(value) <= set(DEFAULT_IMPROVEMENT):
        bad("improvement", allowed)
        return None
    out, ok = dict(DEFAULT_IMPROVEMENT), True
    for key, raw in value.items():
        number = _decimal(raw)
        if number is None or not 0 <= number <= 100:
            bad(f"improvement.{key}", allowed)
            ok = False
        else:
            out[key] = number
    return out if ok else None


def _progress(value: object, bad: Bad) -> dict[str, Decimal] | None:
    allowed = (" 含 coverage(检查覆盖率下限,%)、answered_lists(1 要求上报名单均已答复,0 不要求)、"
               "open_rejections(待重报上限,个)、on_time(按期回传下限,%)的表,取值 0 到 100")
    if not isinstance(value, dict) or not value or not set(value) <= set(DEFAULT_PROGRESS):
        bad("progress", allowed)
        return None
    out, ok = dict(DEFAULT_PROGRESS), True
    for key, raw in value.items():
        number = _decimal(raw)
        if number is None or not 0 <= number <= (1 if key == "answered_lists" else 100000 if key == "open_rejections"
                                                 else 100):
            bad(f"progress.{key}", allowed)
            ok = False
        else:
            out[key] = number
    return out if ok else None


def _deadline(value: object, bad: Bad) -> str | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if value == "":
        return ""
    if not isinstance(value, str):
        bad("deadline", " 日期 YYYY-MM-DD(回传截止日期)")
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        bad("deadline", " 日期 YYYY-MM-DD(回传截止日期)")
        return None


_CHECKS = {"levels": _levels, "hall_types": _hall_types, "thresholds": _thresholds, "quotas": _quotas,
           "quota_scope": _quota_scope, "cap_rounding": _cap_rounding, "shortlist_ratio": _shortlist_ratio,
           "bonus_cap": _bonus_cap, "rounds": _rounds, "good_shortlist": _good_shortlist,
           "improvement": _improvement, "progress": _progress, "deadline": _deadline}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _decimal(value: object) -> Decimal | None:
    """TOML floats go through their shortest text (0.05 → Decimal('0.05')), never through binary."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _dig(data: dict[str, Any], dotted: str) -> object:
    value: object = data
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
