"""What one year is evaluated from: the register, the intake's report, the standard, the year's rules and the
recorded decisions, as one value the evaluation stage takes and the incremental layer keys."""

from __future__ import annotations

from dataclasses import dataclass

from .decisions import Answer
from .intake import IntakeReport
from .overrides import Override
from .register import Hall
from .rules import Rules
from .standard import Standard


@dataclass(frozen=True)
class YearInputs:
    """Everything the year's scores, tiers and recognitions are a function of."""

    halls: tuple[Hall, ...]
    report: IntakeReport  # the records and every file's fate (a hall's case file lists them all)
    standard: Standard
    rules: Rules
    overrides: tuple[Override, ...] = ()
    decisions: tuple[Answer, ...] = ()

    @property
    def year(self) -> int:
        return self.rules.config.year
