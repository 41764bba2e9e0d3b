"""What a build tells its caller: progress while it runs, and the summary of what it did once it is done.

``Progress`` hears of each stage as it starts (and of the intake's files as they are checked, ``intake_ticks``);
:class:`StageClock` times each stage, wall and CPU; :class:`BuildSummary` is what ``build`` returns and the
command line prints. They are the build's bookkeeping, not its stages: build.py keeps the pipeline and imports
them from here, and the CLI reads the summary without reaching into the pipeline.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.archive import codec as record_io
from generator.archive.store import RESULTS_FILE
from generator.evaluate.year import Tally
from generator.fs.files import file_status
from generator.intake.run import IntakeReport
from generator.model import YearResults

Progress = Callable[[str, int, int | None], None]


@dataclass
class BuildSummary:
    """What one build did. ``results_data`` is the year's typed results while the build holds them (it lets go of
    them before the pages, the peak of memory, and never reads back a year it kept unchanged); ``results`` gives
    them as results.json holds them, read back from the archive when they are not held; ``tally`` has what the
    command line prints of them."""

    year: int
    intake: IntakeReport  # the files' fates; without the records, which the results hold
    results_data: YearResults | None
    archive_dir: Path
    site_dir: Path | None
    pages: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    cache_hits: int = 0
    files_read: int = 0
    workers: int = 1
    site_reused: bool = False
    hall_pages: dict[str, Any] = field(default_factory=dict)  # stamped: written, linked (kept), seconds
    tally: Tally = field(default_factory=lambda: Tally(0))
    # every answered list read and what was done with it (逐级认定)
    answers: tuple[dict[str, Any], ...] = ()
    filled_in_archive: list[str] = field(default_factory=list)  # lists answered in place in the archive: not applied

    results_status: str | None = None  # the archive's results.json as this build left it
    results_json: dict[str, Any] | None = None  # ``results`` once asked for

    @property
    def results(self) -> dict[str, Any]:
        """The year's results as results.json holds them (read back once when the build does not hold them)."""
        if self.results_json is None:
            self.results_json = self.read_results()
        return self.results_json

    def read_results(self) -> dict[str, Any]:
        if self.results_data is not None:
            return record_io.to_json(self.results_data)
        path = self.archive_dir / str(self.year) / RESULTS_FILE
        if file_status(path) != self.results_status:  # a later build rewrote it: not this build's results
            raise RuntimeError(f"{path} changed after this build; read its results before the next build")
        return record_io.load(path)


def intake_ticks(progress: Progress | None) -> Callable[[int, int], None] | None:
    """The intake's progress callback, reporting to the build's."""
    if progress is None:
        return None
    return lambda done, total: progress("intake", done, total)


def cpu_seconds() -> float:
    """CPU seconds of this process and of its finished children (the intake workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class StageClock:
    """Wall and CPU seconds of each stage, and the progress callback told of each stage as it starts."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.seconds: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}
        self._wall, self._cpu = time.perf_counter(), cpu_seconds()

    def announce(self, stage: str) -> None:
        if self.progress is not None:
            self.progress(stage, 0, None)

    def lap(self, stage: str) -> None:
        wall, cpu = time.perf_counter(), cpu_seconds()
        self.seconds[stage] = wall - self._wall
        self.cpu_seconds[stage] = cpu - self._cpu
        self._wall, self._cpu = wall, cpu
