"""The yearly configuration: which halls are tiered, thresholds, quotas. Defaults are the seed's rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .workbook import ROUNDS

EXCELLENT, GOOD, PASS, FAIL = "优秀", "良好", "达标", "不达标"
NOT_RATED, NOT_INSPECTED = "不参评", "未检查"
TIERS = (EXCELLENT, GOOD, PASS, FAIL, NOT_RATED, NOT_INSPECTED)
SCOPES = {"province": "本省", "national": "全国"}


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
    shortlist_ratio: Decimal = Decimal("0.2")  # 差额 20%
    bonus_cap: Decimal | None = None  # None: the standard's own cap
    rounds: tuple[str, ...] = ROUNDS

    def evaluated(self, hall) -> bool:
        """Whether a register hall is tiered this year (and counts in the quota base)."""
        return hall.type in self.hall_types and hall.level in self.levels

    def scope_key(self, hall) -> str:
        return hall.province if self.quota_scope == "province" else "全国"

    @property
    def scope_label(self) -> str:
        return SCOPES[self.quota_scope]
