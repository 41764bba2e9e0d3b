"""One year's archive folder and the site, committed together through one journal file.

Both new states are staged in full first. Writing the journal (sealed, fsynced) is the commit: from then on the
moves are only ever completed, by this run or, after a crash at any point, by the next command that locks the
archive (:func:`recover`). Before the journal exists nothing published has moved, so a crash leaves the old pair.
The folders the moves put aside are removed only after the journal is gone: no earlier archive is deleted before
the new pair is in place.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from generator.errors import HallscoreError
from generator.fs.memo import read_memo, write_memo

NAME = ".hallscore.journal"
_PURPOSE = "year-journal"


def journal_path(archive_dir: str | Path) -> Path:
    return Path(archive_dir) / NAME


def commit(archive_dir: str | Path, moves: list[tuple[Path, Path]]) -> None:
    """Put each staged ``new`` folder at its ``target`` as one change (the old targets removed afterwards)."""
    token = secrets.token_hex(6)
    plan: list[dict[str, Any]] = []
    for _new, target in moves:
        target = Path(target).resolve()
        # The staged folders first go beside their targets, under names no run's clean-up of its work folders
        # touches: once the journal names them, they must be there until the moves are done.
        plan.append({"new": str(target.with_name(f".{target.name}.new-{token}")), "target": str(target),
                     "aside": str(target.with_name(f".{target.name}.old-{token}")), "ino": None})
    path = journal_path(archive_dir)
    try:
        for (new, _target), move in zip(moves, plan):
            os.rename(new, move["new"])
            move["ino"] = _inode(move["new"])  # how recovery tells whether the move was already made
        write_memo(path, _PURPOSE, {"moves": plan})
        if read_memo(path, _PURPOSE) != {"moves": plan}:
            raise HallscoreError(f"无法写入档案目录的提交记录 {path}:请检查档案目录是否可写、磁盘是否已满"
                                 f"(档案与站点均未改动)")
    except BaseException:
        if not os.path.lexists(path):  # not committed: nothing published moved, the staged copies go
            for move in plan:
                shutil.rmtree(move["new"], ignore_errors=True)
        raise
    _fsync_dir(path.parent)
    _finish(path, plan)


def recover(archive_dir: str | Path) -> bool:
    """Complete a commit a killed run left (True when there was one). Called with the archive locked."""
    path = journal_path(archive_dir)
    if not os.path.lexists(path):
        return False
    memo = read_memo(path, _PURPOSE)
    plan = memo.get("moves") if isinstance(memo, dict) else None
    if not isinstance(plan, list) or not all(
            isinstance(m, dict) and {"new", "target", "aside", "ino"} <= m.keys() and isinstance(m["ino"], int)
            and all(isinstance(m[k], str) for k in ("new", "target", "aside")) for m in plan):
        raise HallscoreError(f"档案目录中的提交记录 {path} 不是本机 hallscore 写下的(或已损坏),无法据此完成上次"
                             f"中断的生成:请检查档案目录与站点目录,确认无误后删除该文件再运行")
    _finish(path, plan)
    return True


def _finish(path: Path, plan: list[dict[str, Any]]) -> None:
    for move in plan:
        new, target, aside, ino = move["new"], move["target"], move["aside"], move.get("ino")
        if ino is not None and _inode(target) == ino:  # already in place (by exchange: the old folder may still be at ``new``)
            if os.path.lexists(new):
                os.rename(new, aside)
            continue
        if not os.path.lexists(new):
            continue
        if os.path.lexists(target):
            if os.path.lexists(aside):
                raise HallscoreError(f"无法完成提交:{aside} 已存在;请检查档案目录与站点目录后再运行")
            if _exchange(new, target):  # one step: readers never find the target missing
                os.rename(new, aside)
            else:
                os.rename(target, aside)
                os.rename(new, target)
        else:
            os.rename(new, target)
        _fsync_dir(Path(target).parent)
    os.unlink(path)  # the pair is in place: nothing to complete any more
    _fsync_dir(path.parent)
    for move in plan:
        shutil.rmtree(move["aside"], ignore_errors=True)


def _inode(path: str) -> int | None:
    try:
        return os.stat(path, follow_symlinks=False).st_ino
    except OSError:
        return None


def _exchange(a: str, b: str) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if done != 0:
        err = ctypes.get_errno()
        if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            return False
        raise OSError(err, os.strerror(err), a, None, b)
    return True


def clean_asides(folder: str | Path, names: tuple[str, ...] = (), journal: str | Path | None = None) -> None:
    """Folders a run left beside a year (all digits) or one of ``names``: ``.<name>.old-<token>`` put aside by a
    committed run, ``.<name>.new-<token>`` staged by one killed before its journal was written. ``journal``: the
    archive whose journal must not be pending (``folder`` itself by default)."""
    folder = Path(folder)
    if not folder.is_dir() or os.path.lexists(journal_path(journal or folder)):
        return
    for entry in folder.iterdir():
        for kind in (".old-", ".new-"):
            name, _, token = entry.name[1:].rpartition(kind)
            if entry.name.startswith(".") and token and (name.isdigit() or name in names) \
                    and entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
                break


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
