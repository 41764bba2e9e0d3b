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


def os_reason(exc: OSError) -> str:
    """The operating system's error in Chinese (its English strerror never reaches a user)."""
    import errno

    reasons = {errno.ENOSPC: "磁盘已满", errno.EDQUOT: "超出磁盘配额", errno.EFBIG: "文件超过系统允许的大小",
               errno.EACCES: "没有权限", errno.EPERM: "没有权限", errno.EROFS: "只读的文件系统",
               errno.ENOENT: "不存在", errno.ENOTDIR: "路径中有一段不是文件夹", errno.EISDIR: "是文件夹",
               errno.ENAMETOOLONG: "路径过长", errno.ELOOP: "符号链接过多或指向自身", errno.EIO: "读写设备出错",
               errno.EEXIST: "已存在", errno.ENOTEMPTY: "文件夹不是空的", errno.EXDEV: "不在同一个文件系统上"}
    return reasons.get(exc.errno or 0, f"系统错误 {exc.errno}" if exc.errno else "系统错误")


def os_error_message(exc: OSError) -> str:
    """One Chinese line for a failed read or write: the path, why, and what to do."""
    import errno

    where = exc.filename if exc.filename is not None else "(未知路径)"
    if exc.filename2 is not None:
        where = f"{where} → {exc.filename2}"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        advice = "请腾出磁盘空间(或换一个空间足够的位置)后重新运行"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        advice = "请检查该位置的权限(当前用户需要可读写),或换一个可写的目录后重新运行"
    else:
        advice = "请检查该路径后重新运行"
    return f"读写 {where} 时出错({os_reason(exc)}):{advice}。本次运行未完成,已发布的档案和站点保持原样。"
