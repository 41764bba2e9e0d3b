"""The archive's year, staged: the archive stage writes every output and kept input of the year into a folder
beside the archive's years, the lists stage adds the 上报名单; journal.py commits the folder (with the site)."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.archive.inputs import Digest, Inputs, bytes_sha256, store_inputs
from generator.archive.store import write_year
from generator.errors import DecisionError
from generator.evaluate.decisions import load_decisions
from generator.evaluate.shortlist import FOLDER as SHORTLIST_FOLDER
from generator.fs.files import clean_leftovers, clean_temp_files, recover_swap, work_prefix
from generator.fs.journal import clean_asides
from generator.model import YearResults


@dataclass
class Issued:
    """The lists of one build: their paths, and the names of the current lists still exactly as issued."""

    paths: list[Path]
    unanswered: set[str] = field(default_factory=set)


# How the lists stage issues the lists: (results, staged 上报名单 folder, the current one) → what was issued.
IssueLists = Callable[[YearResults, Path, Path], Issued]


def clean_archive(archive_dir: Path) -> None:
    """Leftovers of killed runs: half-done swaps put right, staging folders and temporary files removed."""
    if not archive_dir.is_dir():
        return
    for entry in archive_dir.iterdir():
        name = entry.name
        if name.startswith(".") and name.endswith(".old") and name[1:-4].isdigit():
            recover_swap(archive_dir / name[1:-4])
    clean_leftovers(archive_dir, ".stage-")
    clean_asides(archive_dir)
    for folder in [archive_dir, *(p for p in archive_dir.iterdir() if p.is_dir() and p.name.isdigit())]:
        clean_temp_files(folder)


@dataclass
class StagedYear:
    """The year's staged folder, and its results exactly as the folder's results.json reads back (None: read it
    back): the site takes them from here instead of parsing the file just written."""

    folder: Path
    as_read: YearResults | None = None


def stage_year(archive_dir: Path, results: YearResults, intake: dict[str, Any], standard_path: Path,
               inputs: Inputs | None = None, sha256_of: Digest = bytes_sha256) -> StagedYear:
    """The archive stage: every output of the year (results, intake, standard) and every input that made it
    (inputs.py) in a folder beside the archive's years; files whose bytes did not change are hard links to
    the current ones. The 上报名单 come next (``issue_lists``)."""
    archive_dir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=work_prefix(".stage-"), dir=archive_dir))
    current = archive_dir / str(results.year)
    try:
        folder, as_read = write_year(root, results, intake, standard_path, previous=current)
        if inputs is not None:
            store_inputs(folder, inputs, current if current.is_dir() else None, sha256_of)
        carry_over(current, folder)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return StagedYear(folder, as_read)


def carry_over(old: Path, new: Path) -> None:
    """Files in the year's folder that this run does not write (someone's notes, say) go into the new folder.

    This run's own outputs replace their old copies; the 上报名单 folder is this run's alone (a province's list
    left from an earlier run is dropped).
    """
    if not old.is_dir():
        return
    for entry in old.iterdir():
        if entry.name.startswith(".") or entry.name == SHORTLIST_FOLDER or (new / entry.name).exists():
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, new / entry.name, symlinks=True)
        else:
            shutil.copy2(entry, new / entry.name, follow_symlinks=False)


def issue_lists(results: YearResults, staged: Path, previous: Path, issue: IssueLists) -> list[str]:
    """The lists stage: this run's 上报名单 into the staged year; from the ``previous`` issue what is not ours.

    A province's list left from an earlier run is dropped, but a list someone has already answered in place
    (any 认定结果 filled in) is kept beside as ``<name>-答复留存-<hash>.xlsx`` for the user to send back with
    --decisions, and any other file found there (not named like our lists) is carried over untouched. Gives the
    names of the lists found answered in place (kept aside, not applied).
    """
    folder = staged / SHORTLIST_FOLDER
    issued = issue(results, folder, previous)  # a file still as it was issued has not been answered: not read
    filled: list[str] = []
    if not previous.is_dir():
        return filled
    ours = f"{SHORTLIST_FOLDER}.xlsx"
    for old in sorted(previous.iterdir()):
        if old.name.startswith(".") or old.is_dir() or old.is_symlink():
            continue
        if not old.name.endswith(ours) or "-答复留存-" in old.name:
            shutil.copy2(old, folder / old.name)
            continue
        if old.name in issued.unanswered or not answered_in_place(old):
            continue
        digest = hashlib.sha256(old.read_bytes()).hexdigest()[:8]
        kept = f"{old.stem}-答复留存-{digest}.xlsx"
        shutil.copy2(old, folder / kept)
        filled.append(f"{old.name}(已另存为 {kept})")
    return filled


def answered_in_place(path: Path) -> bool:
    """Whether an issued list in the archive has an answer filled in (one of ours gone bad has not)."""
    try:
        return any(a.decisions for a in load_decisions([path]))
    except DecisionError:
        return False
