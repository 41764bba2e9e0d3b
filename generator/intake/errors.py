"""The fatal end of an intake: no return accepted, with the report that says why."""

from __future__ import annotations

from generator.errors import HallscoreError
from generator.intake.run import IntakeReport


class NothingAcceptedError(HallscoreError):
    """No return was accepted (none found, or every one rejected): a year built from nothing is not published.
    ``report`` is the intake report, for the list of rejected files."""

    def __init__(self, message: str, report: IntakeReport) -> None:
        super().__init__(message)
        self.report = report
