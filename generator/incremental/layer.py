"""The incremental layer: the one object that keeps work between builds and wraps the pipeline's pure stages.

The stages (build.py) take typed inputs and give typed outputs and do not know whether they are cached.
:class:`IncrementalLayer` owns everything that lets a build skip work: the cache folder and its stores (the intake
cache, intake_cache.py; the register, the results' and the archive's keys, unchanged.py; the issued lists' record,
lists.py; the site's key), the hard links that keep unchanged files, and the pause of the cyclic
garbage collector (collector.py). A layer without a cache folder keeps nothing and runs every stage as it is: the
pure pipeline, which gives the same bytes (tests/test_layer.py builds both).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.archive.year import Issued, StagedYear
from generator.errors import notice
from generator.evaluate.inputs import YearInputs
from generator.evaluate.year import Tally, tally
from generator.fs.files import clean_temp_files, file_sha256, stat_status
from generator.fs.memo import read_memo, write_memo
from generator.incremental import collector
from generator.incremental.fingerprints import code_version
from generator.incremental.intake_cache import IntakeCache
from generator.incremental.lists import issue_linked, write_all
from generator.incremental.unchanged import (
    KeptResults,
    archive_current,
    last_results,
    read_results,
    register_cached,
    remember_archive,
    remember_results,
    site_key,
)
from generator.intake.run import IntakeReport
from generator.model import YearResults
from generator.rules.register import Hall

SITE_MEMO = "site-key"


@dataclass(frozen=True)
class SitePublished:
    """What the site stage did: pages in the site, and the hall pages' figures (written, linked, seconds)."""

    pages: int
    hall_pages: dict[str, Any] = field(default_factory=dict)
    reused: bool = False  # the site was kept as the last build published it


class EvaluatedYear:
    """The year's results as the evaluation stage gave them, or kept from the last build: the summary at hand, the
    typed year (:meth:`results`) made or read back once, when a stage first asks for it."""

    def __init__(self, tally: Tally, answers: tuple[dict[str, Any], ...], make: Callable[[], YearResults],
                 results: YearResults | None = None) -> None:
        self.tally = tally
        self.answers = answers
        self._make = make
        self._results = results

    @classmethod
    def of(cls, results: YearResults) -> EvaluatedYear:
        """Results just evaluated."""
        return cls(tally(results), results.answers, lambda: results, results)

    def held(self) -> YearResults | None:
        """The typed year if it was made or read back, else None (never read back for this)."""
        return self._results

    def let_go(self) -> None:
        """No more stage asks for the year: its memory is freed."""
        self._results = None
        self._make = self.gone

    @staticmethod
    def gone() -> YearResults:
        raise RuntimeError("the year's results were let go")

    def results(self) -> YearResults:
        if self._results is None:
            self._results = self._make()
        return self._results


def results_key(inputs: YearInputs) -> str:
    """What the year's results are a function of, as one key.

    The intake's inputs key stands for the records and the register (every record is a function of its file's
    cache key, which holds the register's fingerprint, the standard, the year and the code, and of the day where a
    date was found in the future); without it, repr of the dataclasses: every field, Decimals with their
    exponent, dicts in order."""
    report = inputs.report
    digest = hashlib.sha256(f"{code_version()}\n".encode())
    sources = (f"inputs:{report.inputs_key}",) if report.inputs_key else (
        repr(tuple(inputs.halls)), repr(list(report.records)), repr(report.files), repr(report.replaced))
    for part in (*sources, repr(inputs.standard), repr(inputs.rules.config), repr(tuple(inputs.overrides)),
                 repr(tuple(inputs.decisions)), json.dumps(report.summary(), ensure_ascii=False, sort_keys=True)):
        digest.update(part.encode("utf-8") + b"\x1e")
    return digest.hexdigest()


def archive_key(key: str, intake: dict[str, Any]) -> str:
    """The results' key and the intake report: together, every byte of the archive's year folder."""
    report = json.dumps(intake, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(key.encode() + b"\n" + report).hexdigest()


class IncrementalLayer:
    """Keeps, in ``folder``, what lets the next build skip the work whose inputs did not change; ``folder=None``
    keeps nothing (every stage runs). One layer serves one build."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self.intake_hits = 0
        self.intake_misses: int | None = None  # files the intake cache did not know (None without a cache)
        self.results_reused = False
        self._results_key: str | None = None
        self._archive_key: str | None = None
        self._digests: Mapping[bytes, tuple[str, str]] = {}

    @classmethod
    def at(cls, folder: Path | None) -> IncrementalLayer:
        """The layer keeping its stores in ``folder``; none when it is a symlink: a link planted at the default
        ``.hallscore-cache`` would have hallscore write and prune files in someone else's folder."""
        if folder is not None and Path(folder).is_symlink():
            notice(f"提示:缓存目录 {folder} 是符号链接,本次不使用缓存(也不改动链接指向的位置);"
                   f"请删除该链接,或用 --cache-dir 指定一个普通目录。")
            return cls(None)
        return cls(Path(folder) if folder is not None else None)

    def paused(self) -> AbstractContextManager[None]:
        """No cyclic garbage collection while a build runs (collector.py)."""
        return collector.paused()

    def clean(self) -> None:
        """Temporary files a killed build left in the cache folder."""
        if self.folder is not None:
            clean_temp_files(self.folder)

    def register(self, path: Path) -> tuple[Hall, ...]:
        """The register at ``path``, parsed once per distinct content."""
        return register_cached(path, self.folder)

    def intake(self, stage: Callable[[IntakeCache | None], IntakeReport]) -> IntakeReport:
        """The intake stage, given the store of files already checked (None without a cache folder)."""
        cache = IntakeCache(self.folder) if self.folder is not None else None
        try:
            report = stage(cache)
        finally:
            if cache is not None:
                self._digests = cache.known_digests()
                cache.close()
        if cache is not None:
            self.intake_hits, self.intake_misses = cache.hits, cache.misses
        return report

    def content_sha256(self, path: Path, status: os.stat_result | None = None) -> str:
        """A file's SHA-256: the one intake knew when the file's status (``status``, a regular file's os.lstat,
        when the caller has it) is still the one it was known by (the rule of intake_cache.py), else read from its
        bytes."""
        known = self._digests.get(os.fsencode(os.path.abspath(path)))
        if known is not None and known[0] == stat_status(status if status is not None else os.stat(path)):
            return known[1]
        return file_sha256(path)

    def files_read(self, report: IntakeReport) -> int:
        """Files this build read: those the cache did not know, or every file intake looked at."""
        if self.intake_misses is not None:
            return self.intake_misses
        return sum(1 for f in report.files if f.status != "ignored")

    def evaluate(self, stage: Callable[[YearInputs], YearResults], inputs: YearInputs,
                 results_file: Path) -> EvaluatedYear:
        """The evaluation stage, or the last build's results kept in ``results_file`` (the archive's results.json,
        which holds exactly them) when nothing they are computed from changed: then only their noted summary is
        at hand, and the file is read back when a later stage asks for the year."""
        if self.folder is None:
            return EvaluatedYear.of(stage(inputs))
        self._results_key = results_key(inputs)
        kept = last_results(self.folder, inputs.year, self._results_key, results_file)
        if kept is None:
            return EvaluatedYear.of(stage(inputs))
        self.results_reused = True

        def read_back() -> YearResults:
            results = read_results(results_file, inputs.year)
            if results is None:  # changed or damaged since it was checked: evaluated again, and noted again
                self.results_reused = False
                results = stage(inputs)
            return results

        return EvaluatedYear(kept.tally, kept.answers, read_back)

    def archive(self, stage: Callable[[YearResults], StagedYear], evaluated: EvaluatedYear, year: int,
                intake: dict[str, Any], target: Path) -> StagedYear | None:
        """The archive stage (it stages the year's folder and gives it), or None when ``target`` is exactly what
        the last build wrote for these results and this intake report: nothing to stage, nothing to swap."""
        if self._results_key is not None:
            self._archive_key = archive_key(self._results_key, intake)
            if archive_current(self.folder, year, self._archive_key, target):
                return None
        return stage(evaluated.results())

    def issue_lists(self, results: YearResults, folder: Path, previous: Path) -> Issued:
        """The 上报名单 into ``folder``; with a cache folder, the ones that did not change linked from
        ``previous`` (lists.py). Each list is an openpyxl workbook, whose cells and sheets hold reference cycles:
        collected once the lists are written, not held to the build's end (collector.py)."""
        with collector.collected_after():
            if self.folder is None:
                return write_all(results, folder, previous)
            return issue_linked(self.folder, results, folder, previous)

    def site(self, stage: Callable[[], SitePublished], archive_dir: Path, site_dir: Path, strict: bool,
             staged: bool, intact: Callable[[Path], bool]) -> SitePublished:
        """The site stage, or the site as the last build published it when nothing it is made from changed and
        ``intact`` finds it as published (never when a year was staged: the site is then committed with it)."""
        self._digests = {}  # the intake's digests served the archive stage's kept inputs: not held through the site
        if self.folder is None:
            return stage()
        memo = self.folder / "site.key"
        if not staged:
            kept = self._kept_site(memo, site_key(archive_dir, site_dir, strict), site_dir, intact)
            if kept is not None:
                return kept
        published = stage()
        write_memo(memo, SITE_MEMO, f"{site_key(archive_dir, site_dir, strict)} {published.pages}")
        return published

    @staticmethod
    def _kept_site(memo: Path, key: str, site_dir: Path, intact: Callable[[Path], bool]) -> SitePublished | None:
        try:
            last_key, pages = str(read_memo(memo, SITE_MEMO)).split()  # sealed: a forged memo reads as none
            # Kept only when it is still what the last build published (a deleted or edited page: rebuilt).
            if last_key == key and (site_dir / "index.html").is_file() and intact(site_dir):
                return SitePublished(int(pages), {}, reused=True)
        except (OSError, ValueError):
            pass
        return None

    def remember(self, year: int, target: Path, results_file: Path, staged: bool, evaluated: EvaluatedYear) -> None:
        """Note what this build left in the archive, for the next build's keys."""
        if self.folder is None:
            return
        if not self.results_reused:
            remember_results(self.folder, year, self._results_key, results_file,
                             KeptResults(evaluated.tally, evaluated.answers))
        if staged:
            remember_archive(self.folder, year, self._archive_key, target)
