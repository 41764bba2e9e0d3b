"""Fatal errors: a broken input the run cannot go on without. Data problems in returns are never exceptions."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .intake import IntakeReport


class HallscoreError(Exception):
    """Base class: the CLI prints the message as one clear line and exits non-zero."""


class StandardError(HallscoreError):
    """The standard file is unreadable or inconsistent; ``problems`` lists each problem found (problems.Problem)."""

    def __init__(self, message: str, problems: list | tuple = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class RegisterError(HallscoreError):
    """The hall register is unreadable or inconsistent."""


class ConfigError(HallscoreError):
    """The yearly configuration has a bad value."""


class SiteError(HallscoreError):
    """Rendering pages or building the site failed."""


class OverrideError(HallscoreError):
    """The overrides file (recorded decisions) is unreadable or would break a rule."""


class NothingAcceptedError(HallscoreError):
    """No return was accepted (none found, or every one rejected): a year built from nothing is not published.
    ``report`` is the intake report, for the list of rejected files."""

    def __init__(self, message: str, report: IntakeReport):
        super().__init__(message)
        self.report = report


class DecisionError(HallscoreError):
    """A returned 上报名单 is unreadable, edited, foreign or breaks a rule: it is refused whole."""
