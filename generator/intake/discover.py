"""The entries found under the input paths: what each is called, and those that must not be opened.

Names are kept apart by the bytes the file system gave; entries that are not regular files (a FIFO would block
a reader, a broken link cannot be read) and spreadsheets in other formats get their outcome here, unopened.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import overload

from generator.intake.status import IGNORED, Outcome
from generator.rules.problems import problem
from generator.why import os_reason, why

# .xls is not readable, but a return saved in it must be sent back with a reason, not silently ignored.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")


def discover(paths: Iterable[str | Path]) -> Found:
    """Every entry under ``paths`` (files, and also FIFOs, broken links …) with the name to report it by, sorted.

    Names are the file system's bytes shown as UTF-8, undecodable bytes (GBK names from old mail and zip tools)
    as U+FFFD, so that every name can be printed, hashed and written to JSON; two names that look the same then
    are told apart by a ``~2`` suffix, in the order of their bytes.
    """
    raw: dict[bytes, tuple[str, str]] = {}
    given_paths = [Path(p) for p in paths]
    labels = _labels(given_paths)
    for given in given_paths:
        label = labels[given]
        if given.is_dir():
            for entry, relative in _entries(str(given), ""):
                # An unreadable folder is listed itself (relative "" for the given one): never passed over.
                name = (f"{label}/{relative}" if label else relative) if relative else (label or str(given))
                raw[os.fsencode(name)] = (entry, name)
        elif os.path.lexists(given):
            raw[os.fsencode(label)] = (os.fspath(given), label)
    found: dict[str, str] = {}
    for key in sorted(raw):
        place, name = raw[key]
        shown = display_name(name)
        unique, n = shown, 1
        while unique in found:
            n += 1
            unique = f"{shown}~{n}"
        found[unique] = place
    names = sorted(found)
    return Found([found[name] for name in names], names)


class Found(Sequence[tuple[Path, str]]):
    """The entries found, sorted by name, as ``(path, name)``. Each path is kept as the text the walk gave
    (``places``) and made a Path when a caller first goes through the entries: a build that finds every entry as
    the last one did only stats them (:func:`listing`)."""

    def __init__(self, places: list[str], names: list[str]) -> None:
        self.places = places
        self.names = names
        self._pairs: list[tuple[Path, str]] | None = None

    @classmethod
    def of(cls, pairs: Iterable[tuple[Path, str]]) -> Found:
        """``pairs`` (as :func:`discover` gives them) as found entries."""
        if isinstance(pairs, Found):
            return pairs
        listed = list(pairs)
        found = cls([os.fspath(path) for path, _ in listed], [name for _, name in listed])
        found._pairs = listed
        return found

    def pairs(self) -> list[tuple[Path, str]]:
        if self._pairs is None:
            self._pairs = [(Path(place), name) for place, name in zip(self.places, self.names)]
        return self._pairs

    @overload
    def __getitem__(self, index: int) -> tuple[Path, str]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[Path, str]]: ...

    def __getitem__(self, index: int | slice) -> tuple[Path, str] | list[tuple[Path, str]]:
        return self.pairs()[index]

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[tuple[Path, str]]:
        return iter(self.pairs())


def _labels(given: list[Path]) -> dict[Path, str]:
    """What each given path's entries are named under: its own name, or, where two different paths share a name
    (2024/returns and 2025/returns), as many of its last folders as tell them apart, so that no entry of one
    hides an entry of the other."""
    full = {p: Path(os.path.abspath(p)) for p in given}
    depth = dict.fromkeys(given, 1)

    def label(p: Path) -> str:
        if depth[p] == 1:
            return p.name
        parts = full[p].parts
        return "/".join(parts[-depth[p]:]) if depth[p] < len(parts) else full[p].as_posix().lstrip("/")

    while True:
        owners: dict[str, set[Path]] = {}
        for p in given:
            owners.setdefault(label(p), set()).add(full[p])
        clashing = [p for p in given if len(owners[label(p)]) > 1 and depth[p] < len(full[p].parts)]
        if not clashing:
            return {p: label(p) for p in given}
        for p in clashing:
            depth[p] += 1


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


def listing(found: Found, limits: object, window_ns: int) -> tuple[str, list[str] | None]:
    """What the entries found are, as one digest, and the names of those whose status may not show a write.

    The digest holds each entry's name, path and status (``os.stat``: size, mtime, inode, device, ctime, mode,
    owner and group; for an entry that cannot be stat'ed, the error and its own ``lstat``), who reads them (the
    user's and groups' ids, which ``os.access`` answers by), the working folder and the reading ``limits``: two
    equal digests mean every entry would be checked as it was, but for the entries named second: those set less
    than ``window_ns`` before the listing began (a status taken in the clock tick of a write may not show a second
    write in that tick), whose bytes only tell. None instead when an entry vanished since it was found."""
    began = time.time_ns()
    horizon = began - window_ns
    racy: list[str] | None = []
    lines = [f"{os.getcwd()}\x1f{os.geteuid()}:{os.getegid()}:{sorted(os.getgroups())}\x1f{limits!r}"]
    for path, name in zip(found.places, found.names):
        try:
            st = os.stat(path)
        except OSError as exc:
            try:
                st = os.lstat(path)
            except OSError:
                racy = None  # gone since it was found: nothing to stand for
                lines.append(f"{name}\x1f{path}\x1f!")
                continue
            lines.append(f"{name}\x1f{path}\x1f!{exc.errno}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}:{st.st_dev}:"
                         f"{st.st_ctime_ns}:{st.st_mode}:{st.st_uid}:{st.st_gid}")
        else:
            lines.append(f"{name}\x1f{path}\x1f{st.st_size}:{st.st_mtime_ns}:{st.st_ino}:{st.st_dev}:"
                         f"{st.st_ctime_ns}:{st.st_mode}:{st.st_uid}:{st.st_gid}")
        if (st.st_ctime_ns > horizon or st.st_mtime_ns > horizon) and racy is not None:
            racy.append(name)
    return hashlib.sha256("\x1e".join(lines).encode("utf-8", "surrogateescape")).hexdigest(), racy


def display_name(name: str) -> str:
    """A file name as the OS gave it (surrogate-escaped bytes included) turned into text that is valid UTF-8."""
    return os.fsencode(name).decode("utf-8", "replace")


# Spreadsheets that are not xlsx: a return saved in one of these is sent back with what to do instead, in the
# words of the suite that saves it (the problem code carries them: see generator/rules/problems.py).
OTHER_FORMATS = {".ods": ("OpenDocument 电子表格(.ods,LibreOffice 的默认格式)", "file-opendocument"),
                 ".fods": ("OpenDocument 平面 XML 电子表格(.fods)", "file-opendocument"),
                 ".et": ("WPS 表格(.et)", "file-other-format"), ".ett": ("WPS 表格模板(.ett)", "file-other-format"),
                 ".numbers": ("Apple Numbers(.numbers)", "file-other-format"),
                 ".xlsb": ("Excel 二进制工作簿(.xlsb)", "file-other-format"),
                 ".slk": ("SYLK 符号链接(.slk)", "file-text-export"),
                 ".csv": ("CSV 文本(.csv)", "file-text-export"),
                 ".msg": ("Outlook 邮件(.msg)", "mail-outlook-msg")}
# Sniffed: only a file that is such a spreadsheet (an .xml or a .csv is often something else).
_SNIFFED = {".xml": ("Excel 2003 XML 电子表格(.xml)", "file-other-format")}
_SNIFF_BYTES = 64 * 1024
_TEMPLATE_MARKERS = ("厅编码", "检查人", "评分标准", "hallscore")


def other_format(path: Path) -> tuple[str, str] | None:
    """(format, problem code) when ``path`` is a spreadsheet saved in a format other than xlsx, else None."""
    suffix = path.suffix.lower()
    if suffix not in OTHER_FORMATS and suffix not in _SNIFFED:
        return None
    if suffix not in (".xml", ".csv"):
        return OTHER_FORMATS[suffix]
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError:
        return None
    if suffix == ".xml":
        return _SNIFFED[suffix] if b"urn:schemas-microsoft-com:office:spreadsheet" in head else None
    for encoding in ("utf-8-sig", "gb18030", "utf-16"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            continue
        if any(marker in text for marker in _TEMPLATE_MARKERS):  # a return saved as CSV, not any table
            return OTHER_FORMATS[suffix]
    return None


OTHER_SUFFIXES = tuple(OTHER_FORMATS) + tuple(_SNIFFED)


def is_regular(path: Path) -> bool:
    """A regular file (following links): one that can be opened without blocking; a FIFO could block."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def suffix_of(name: str) -> str:
    """``Path(name).suffix`` of a file's own name, without making a Path."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def early_outcome(path: Path, name: str) -> Outcome | None:
    """The outcome of an entry that must not be opened (not a regular file, or another spreadsheet format).

    None when the entry is a regular file intake may go on with.
    """
    return examine(path, name)[0]


def examine(path: Path, name: str) -> tuple[Outcome | None, os.stat_result | None]:
    """:func:`early_outcome`, and the status of a regular file intake may go on with (one ``stat`` serves the
    check and the cache's look-up)."""
    base = path.name
    suffix = suffix_of(base).lower()
    st = None
    try:
        st = os.stat(path)
        mode = st.st_mode
        if stat.S_ISDIR(mode):  # only a folder discover could not list comes here
            return (None, [problem("folder-unreadable", file=name, path=name, reason=_reason(path))], ""), None
        kind = None if stat.S_ISREG(mode) else (
            "命名管道(FIFO)" if stat.S_ISFIFO(mode) else "套接字" if stat.S_ISSOCK(mode) else "设备或特殊文件")
    except FileNotFoundError:
        kind = "失效的链接(指向的文件不存在)" if os.path.islink(path) else "已不存在的文件"
    except OSError as exc:
        kind = f"无法访问的文件({why(exc)})"
    if kind is not None:
        if suffix in WORKBOOK_SUFFIXES or suffix in OTHER_FORMATS:
            return (None, [problem("file-not-regular", file=name, kind=kind)], ""), None
        return IGNORED, None
    if suffix in OTHER_SUFFIXES and not base.startswith(("~$", ".~lock")):
        found = other_format(path)
        if found is not None:
            return (None, [problem(found[1], file=name, format=found[0])], ""), None
    if suffix in WORKBOOK_SUFFIXES and not base.startswith(("~$", ".~lock")) and not os.access(path, os.R_OK):
        return (None, [problem("file-no-permission", file=name, path=name, reason="没有读取权限")], ""), None
    return None, st


def _reason(path: Path) -> str:
    try:
        with os.scandir(path):
            return "原因不明"
    except PermissionError:
        return "没有读取或进入的权限"
    except OSError as exc:
        return os_reason(exc)
