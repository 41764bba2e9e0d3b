"""Fatal errors: a broken input the run cannot go on without. Data problems in returns are never exceptions."""

from __future__ import annotations

import errno
import sys
from collections.abc import Iterable

from generator.why import os_reason


class HallscoreError(Exception):
    """Base class: the CLI prints the message as one clear line and exits non-zero."""


class StandardError(HallscoreError):
    """The standard file is unreadable or inconsistent; ``problems`` lists each problem found (problems.Problem)."""

    def __init__(self, message: str, problems: Iterable[object] = ()) -> None:
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


class DecisionError(HallscoreError):
    """A returned 上报名单 is unreadable, edited, foreign or breaks a rule: it is refused whole."""


def notice(message: str) -> None:
    """A Chinese line on stderr for something that costs only time (a cache not used), never a stop."""
    print(message, file=sys.stderr)


def os_error_message(exc: OSError) -> str:
    """One Chinese line for a failed read or write: the path, why, and what to do."""
    where = f"{exc.filename}" if exc.filename is not None else ""  # none: the terminal or a pipe
    if exc.filename2 is not None:
        where = f"{where} → {exc.filename2}"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        advice = "请腾出磁盘空间(或换一个空间足够的位置)后重新运行"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        advice = "请检查该位置的权限(当前用户需要可读写),或换一个可写的目录后重新运行"
    else:
        advice = "请检查该路径后重新运行"
    return f"{f'读写 {where} 时' if where else '读写时'}出错({os_reason(exc)}):{advice}。本次运行未完成,已发布的档案和站点保持原样。"
