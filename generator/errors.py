"""Fatal errors: a broken input the run cannot go on without. Data problems in returns are never exceptions."""


class HallscoreError(Exception):
    """Base class: the CLI prints the message as one clear line and exits non-zero."""


class StandardError(HallscoreError):
    """The standard file is unreadable or inconsistent."""


class RegisterError(HallscoreError):
    """The hall register is unreadable or inconsistent."""


class ConfigError(HallscoreError):
    """The yearly configuration has a bad value."""


class SiteError(HallscoreError):
    """Rendering pages or building the site failed."""


class OverrideError(HallscoreError):
    """The overrides file (recorded decisions) is unreadable or would break a rule."""


class DecisionError(HallscoreError):
    """A returned 上报名单 is unreadable, edited, foreign or breaks a rule: it is refused whole."""


def notice(message: str) -> None:
    """A Chinese line on stderr for something that costs only time (a cache not used), never a stop."""
    import sys

    print(message, file=sys.stderr)
