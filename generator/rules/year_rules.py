"""The rules of one evaluation year in one value: the standard, the year's configuration and 逐级认定.

Made once per run (build, templates) or per archived year (pages, from results.json's ``config``), and
handed to every stage that shows or applies a rule: the workbook writer, scoring, tiering, confirmation, the
pages and the exports. A rule a user can read (a threshold, a quota, a round name, the bonus cap in force,
the score step, the tier names) is read from here, so changing it in its one place changes every output.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from generator.rules.config import KEYS, Config, config_from_dict
from generator.rules.standard import Standard
from generator.rules.terms import LIST_OWNER, RATED, ROUND_AUTHORITY, ROUND_OWNER, TIER_NAMES, TIER_OWNER, TIERS


@dataclass(frozen=True)
class Rules:
    standard: Standard | None  # None only for an archived year whose standard.yaml is missing
    config: Config

    @classmethod
    def of(cls, standard: Standard | None, config: Config | None = None, year: int | None = None) -> Rules:
        """The rules of ``standard`` with ``config`` (the seed's defaults for ``year`` when None)."""
        return cls(standard, config if config is not None else Config(year=year or 0))

    @classmethod
    def from_record(cls, standard: Standard | None, year: int, recorded: dict[str, Any]) -> Rules:
        """The rules an archived year was scored with: results.json's ``config`` read back as configuration."""
        # bonus_cap null: the standard's own; a key this version does not know is not a rule it can show.
        known = {k: v for k, v in recorded.items() if v is not None and k in KEYS}
        return cls(standard, config_from_dict({**known, "year": year}, source=f"{year} 年档案"))

    # -- the year -----------------------------------------------------------------------------------
    @property
    def year(self) -> int:
        return self.config.year

    @property
    def bonus_cap(self) -> Decimal | None:
        """The bonus cap in force this year: the configuration's when set, else the standard's."""
        if self.config.bonus_cap is not None or self.standard is None:
            return self.config.bonus_cap
        return self.standard.bonus_cap

    @property
    def score_step(self) -> Decimal | None:
        return self.standard.score_step if self.standard else None

    @property
    def item_total(self) -> Decimal | None:
        """Points of all base items together (the standard's 合计, 100 in the seed)."""
        return sum((i.max_points for i in self.standard.items), Decimal(0)) if self.standard else None

    # -- tiers --------------------------------------------------------------------------------------
    @property
    def tiers(self) -> tuple[str, ...]:
        """The four rated tiers, highest first."""
        return RATED

    @property
    def tier_names(self) -> dict[str, str]:
        """Named roles, for templates: excellent, good, pass, fail, not_rated, not_inspected."""
        return TIER_NAMES

    @property
    def all_tiers(self) -> tuple[str, ...]:
        return TIERS

    @property
    def capped(self) -> tuple[str, ...]:
        """Tiers with a quota, highest first."""
        return tuple(t for t in self.tiers if t in self.config.quotas)

    def threshold(self, tier: str) -> Decimal | None:
        return self.config.thresholds.get(tier)

    def quota(self, tier: str) -> Decimal | None:
        return self.config.quotas.get(tier)

    # -- rounds and authority (逐级认定) --------------------------------------------------------------
    @property
    def rounds(self) -> tuple[str, ...]:
        """Rounds in ascending authority; the highest present decides."""
        return self.config.rounds

    @property
    def self_round(self) -> str:
        return self.rounds[0]

    def authority(self, round_name: str) -> tuple[str, ...]:
        """Tiers a return of ``round_name`` recognises."""
        return ROUND_AUTHORITY.get(round_name, ())

    def first_round(self, tier: str) -> str | None:
        """The lowest round whose return recognises ``tier``."""
        return next((r for r in self.rounds if tier in self.authority(r)), None)

    def owner(self, tier: str) -> str | None:
        return TIER_OWNER.get(tier)

    def list_owner(self, tier: str) -> str | None:
        return LIST_OWNER.get(tier)

    def round_owner(self, round_name: str) -> str | None:
        """The level whose decision (or a higher one's) withdraws a finding ``round_name`` recorded."""
        return ROUND_OWNER.get(round_name)

    def authority_table(self) -> list[dict[str, Any]]:
        """Each rated tier, highest first: who recognises it, by which rounds, or by whose answered list."""
        return [{"tier": tier, "owner": self.owner(tier),
                 "rounds": [r for r in self.rounds if tier in self.authority(r)],
                 "list": f"{self.list_owner(tier)}答复的{tier}上报名单" if self.list_owner(tier) else "—"}
                for tier in self.tiers]
