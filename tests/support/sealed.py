"""Spoiling one of the intake cache's sealed files (its snapshot, its kept report) as a failing disk, a forger,
another cache folder or a careless hand would; and writing its store again behind it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from generator.fs.memo import seal
from generator.incremental.intake_cache import IntakeCache

SPOILED = ["damaged", "forged", "unsealed", "foreign", "linked"]


def spoil(path: Path, how: str, victim: Path, foreign: Callable[[], Path]) -> bytes | None:
    """``path`` spoiled as ``how`` says (one of ``SPOILED``); ``foreign()`` gives the same file of another cache
    folder. For "linked", ``path`` becomes a link to ``victim`` and the victim's bytes are returned (a build must
    not write through the link); else None."""
    data = path.read_bytes()
    head, _, body = data.partition(b"\n")
    assert b'"4"' in body  # a score the forgeries below inflate
    if how == "damaged":
        path.write_bytes(data[:-40] + b"\xff" * 40)
    elif how == "forged":  # a score inflated, the seal kept
        path.write_bytes(head + b"\n" + body.replace(b'"4"', b'"34000"', 1))
    elif how == "unsealed":  # sealed for another purpose (a memo's)
        path.write_bytes(seal("site-pages", body.replace(b'"4"', b'"34000"', 1)))
    elif how == "foreign":  # another cache folder's: it stands for another store
        shutil.copyfile(foreign(), path)
    elif how == "linked":
        path.unlink()
        victim.write_bytes(data)
        path.symlink_to(victim)
        return victim.read_bytes()
    else:
        raise ValueError(how)
    return None


def write_store_again(cache_dir: Path) -> None:
    """The store written since (its rows the same): the sealed files beside it no longer stand for it."""
    real = IntakeCache(cache_dir)
    db = real._open()
    assert db is not None
    with db:
        db.execute("UPDATE intake SET used = used")
    db.execute("VACUUM")
    real.close()
