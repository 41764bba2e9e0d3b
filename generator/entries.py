"""The entries found under the input paths: what each is called, and those that must not be opened.

Names are kept apart by the bytes the file system gave; entries that are not regular files (a FIFO would block
a reader, a broken link cannot be read) and spreadsheets in other formats get their outcome here, unopened.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from .problems import problem


def discover(paths: Iterable[str | Path]) -> list[tuple[Path, str]]:
    """Every entry under ``paths`` (files, and also FIFOs, broken links …) with the name to report it by, sorted.

    Names are the file system's bytes shown as UTF-8, undecodable bytes (GBK names from old mail and zip tools)
    as U+FFFD, so that every name can be printed, hashed and written to JSON; two names that look the same then
    are told apart by a ``~2`` suffix, in the order of their bytes.
    """
    raw: dict[bytes, tuple[Path, str]] = {}
    for given in paths:
        given = Path(given)
        if given.is_dir():
            for entry, relative in _entries(str(given), ""):
                # An unreadable folder is listed itself (relative "" for the given one): never passed over.
                if not relative:
                    name = given.name or str(given)
                else:
                    name = f"{given.name}/{relative}" if given.name else relative
                raw[os.fsencode(name)] = (Path(entry), name)
        elif os.path.lexists(given):
            raw[os.fsencode(given.name)] = (given, given.name)
    found: dict[str, Path] = {}
    for key in sorted(raw):
        path, name = raw[key]
        shown = display_name(name)
        unique, n = shown, 1
        while unique in found:
            n += 1
            unique = f"{shown}~{n}"
        found[unique] = path
    return [(found[name], name) for name in sorted(found)]


def _entries(folder: str, prefix: str) -> Iterator[tuple[str, str]]:
    """(path, relative name) of every entry under ``folder`` that is not a folder, as ``Path.rglob("*")``
    filtered by ``not is_dir()`` gives them (links to folders are neither listed nor followed; a folder that
    cannot be listed is yielded itself, to be reported), but from one ``scandir`` per folder instead of a stat
    and a Path per entry."""
    try:
        with os.scandir(folder) as listing:
            found = list(listing)
    except OSError:
        yield folder, prefix.rstrip("/")  # reported as a folder that could not be read (early_outcome)
        return
    for entry in found:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            if not entry.is_symlink():
                yield from _entries(entry.path, f"{prefix}{entry.name}/")
            continue
        yield entry.path, f"{prefix}{entry.name}"


def display_name(name: str) -> str:
    """A file name as the OS gave it (surrogate-escaped bytes included) turned into text that is valid UTF-8."""
    return os.fsencode(name).decode("utf-8", "replace")


# Spreadsheets that are not xlsx: a return saved in one of these is sent back with what to send instead.
OTHER_FORMATS = {".ods": "OpenDocument 电子表格(.ods)", ".et": "WPS 表格(.et)", ".ett": "WPS 表格模板(.ett)",
                 ".numbers": "Apple Numbers(.numbers)", ".xlsb": "Excel 二进制工作簿(.xlsb)"}


def is_regular(path: Path) -> bool:
    """A regular file (following links): one that can be opened without blocking; a FIFO could block."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def early_outcome(path: Path, name: str, workbook_suffixes: tuple[str, ...], ignored: object) -> object:
    """The outcome of an entry that must not be opened (not a regular file, or another spreadsheet format).

    None when the entry is a regular file intake may go on with.
    """
    suffix = path.suffix.lower()
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):  # only a folder discover could not list comes here
            return None, [problem("folder-unreadable", file=name, path=name, reason=_reason(path))], ""
        kind = None if stat.S_ISREG(mode) else (
            "命名管道(FIFO)" if stat.S_ISFIFO(mode) else "套接字" if stat.S_ISSOCK(mode) else "设备或特殊文件")
    except FileNotFoundError:
        kind = "失效的链接(指向的文件不存在)" if os.path.islink(path) else "已不存在的文件"
    except OSError as exc:
        kind = f"无法访问的文件({type(exc).__name__})"
    if kind is not None:
        if suffix in workbook_suffixes or suffix in OTHER_FORMATS:
            return None, [problem("file-not-regular", file=name, kind=kind)], ""
        return ignored
    if path.name.startswith(("~$", ".~lock")):
        return None
    if suffix == ".msg":  # an Outlook mail saved as is: its attachments are not readable to us
        return None, [problem("file-outlook-msg", file=name)], ""
    if suffix in OTHER_FORMATS:
        return None, [problem("file-other-format", file=name, format=OTHER_FORMATS[suffix])], ""
    if suffix in workbook_suffixes and not os.access(path, os.R_OK):
        return None, [problem("file-no-permission", file=name, path=name, reason="没有读取权限")], ""
    return None


def _reason(path: Path) -> str:
    try:
        with os.scandir(path):
            return "原因不明"
    except PermissionError:
        return "没有读取或进入的权限"
    except OSError as exc:
        return f"系统错误 {exc.errno}"
