"""What one year is evaluated from: the register, the intake's report, the standard, the year's rules and the
recorded decisions, as one value the evaluation stage takes and the incremental layer keys."""

from __future__ import annotations

from dataclasses import dataclass

from generator.evaluate.decisions import Answer
from generator.evaluate.overrides import Override
from generator.intake.run import IntakeReport
from generator.rules.register import Hall
from generator.rules.standard import Standard
from generator.rules.year_rules import Rules


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
