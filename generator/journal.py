"""One year's archive folder and the site, committed together through one journal file.

Both new states are staged in full first. Writing the journal (sealed, fsynced) is the commit: from then on the
moves are only ever completed, by this run or, after a crash at any point, by the next command that locks the
archive (:func:`recover`). Before the journal exists nothing published has moved, so a crash leaves the old pair.
The folders the moves put aside are removed only after the journal is gone: no earlier archive is deleted before
the new pair is in place.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from .errors import HallscoreError
from .memo import read_memo, write_memo

NAME = ".hallscore.journal"
_PURPOSE = "year-journal"


def journal_path(archive_dir: str | Path) -> Path:
    return Path(archive_dir) / NAME


def commit(archive_dir: str | Path, moves: list[tuple[Path, Path]]) -> None:
    """Put each staged ``new`` folder at its ``target`` as one change (the old targets removed afterwards)."""
    token = secrets.token_hex(6)
    plan = [{"new": str(Path(new).resolve()), "target": str(Path(target).resolve()),
             "aside": str(Path(target).resolve().with_name(f".{Path(target).name}.old-{token}"))}
            for new, target in moves]
    path = journal_path(archive_dir)
    write_memo(path, _PURPOSE, {"moves": plan})
    if read_memo(path, _PURPOSE) != {"moves": plan}:
        raise HallscoreError(f"无法写入档案目录的提交记录 {path}:请检查档案目录是否可写、磁盘是否已满"
                             f"(档案与站点均未改动)")
    _fsync_dir(path.parent)
    _finish(path, plan)


def recover(archive_dir: str | Path) -> bool:
    """Complete a commit a killed run left (True when there was one). Called with the archive locked."""
    path = journal_path(archive_dir)
    if not os.path.lexists(path):
        return False
    memo = read_memo(path, _PURPOSE)
    plan = memo.get("moves") if isinstance(memo, dict) else None
    if not isinstance(plan, list) or not all(isinstance(m, dict) and {"new", "target", "aside"} <= m.keys()
                                             and all(isinstance(v, str) for v in m.values()) for m in plan):
        raise HallscoreError(f"档案目录中的提交记录 {path} 不是本机 hallscore 写下的(或已损坏),无法据此完成上次"
                             f"中断的生成:请检查档案目录与站点目录,确认无误后删除该文件再运行")
    _finish(path, plan)
    return True


def _finish(path: Path, plan: list[dict]) -> None:
    for move in plan:
        new, target, aside = move["new"], move["target"], move["aside"]
        if os.path.lexists(new):
            if os.path.lexists(target):
                if os.path.lexists(aside):
                    raise HallscoreError(f"无法完成提交:{aside} 已存在;请检查档案目录与站点目录后再运行")
                os.rename(target, aside)
            os.rename(new, target)
            _fsync_dir(Path(target).parent)
    os.unlink(path)  # the pair is in place: nothing to complete any more
    _fsync_dir(path.parent)
    for move in plan:
        shutil.rmtree(move["aside"], ignore_errors=True)


def clean_asides(folder: str | Path, names: tuple[str, ...] = ()) -> None:
    """Old folders a committed run put aside but did not get to remove, ``.<name>.old-<token>`` for a year (all
    digits) or one of ``names``; never while a journal is pending in ``folder``."""
    folder = Path(folder)
    if not folder.is_dir() or os.path.lexists(journal_path(folder)):
        return
    for entry in folder.iterdir():
        name, _, token = entry.name[1:].rpartition(".old-")
        if entry.name.startswith(".") and token and (name.isdigit() or name in names) \
                and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)


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
