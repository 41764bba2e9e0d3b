"""Intake: read and validate returned workbooks; every file found ends with exactly one status.

``run_intake`` checks every file found (:func:`generator.intake.check.check_file`, in worker processes when
there are many), settles duplicate returns, and gives an :class:`IntakeReport`. Input files are only ever
opened for reading.
"""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Protocol

from generator.intake import discover as entries
from generator.intake.check import check_file
from generator.intake.discover import WORKBOOK_SUFFIXES
from generator.intake.mailbox import MailInputs
from generator.intake.status import (
    ACCEPTED,
    IGNORED,
    REJECTED,
    STATUS_LABELS,
    STATUSES,
    SUPERSEDED,
    CheckOutcome,
    FileStatus,
    IntakeReport,
    Outcome,
    ReturnRecord,
    split_hint,
)
from generator.rules import contract as wbk
from generator.rules.problems import problem
from generator.rules.register import Hall
from generator.rules.standard import Standard
from generator.xlsx.container import DEFAULT_LIMITS, Limits

# Importers may keep reaching the report's types and check_file through this module.
__all__ = ["ACCEPTED", "IGNORED", "REJECTED", "STATUSES", "STATUS_LABELS", "SUPERSEDED", "WORKBOOK_SUFFIXES", "CheckCache",
           "FileStatus", "IntakeReport", "ReturnRecord", "check_file", "discover", "init_worker", "run_intake"]


class CheckCache(Protocol):
    """What intake asks of a store of earlier check outcomes (the incremental layer provides one)."""

    def bind(self, standard: Standard, halls: Iterable[Hall], year: int, today: date) -> None: ...
    def content_sha256(self, path: Path, taken: os.stat_result | None = None) -> str: ...
    def key(self, name: str, content_sha256: str) -> str: ...
    def get_many(self, keys: list[str]) -> Mapping[str, CheckOutcome]: ...
    def put(self, key: str, value: CheckOutcome) -> None: ...
    def flush(self) -> None: ...
    def day_mark(self, outcome: Outcome) -> str: ...
    def racy_window(self) -> int: ...
    def last_report(self, listing: str, found: entries.Found) -> IntakeReport | None: ...
    def keep_report(self, listing: str, racy: list[tuple[str, str]] | None, report: IntakeReport,
                    keys: tuple[list[str], list[str]]) -> None: ...


Progress = Callable[[int], None]  # called with how many more files are done
CheckJob = tuple[int, Path, str]  # (index among the entries found, path, reported name)


def discover(paths: Iterable[str | Path]) -> entries.Found:
    """Every entry under ``paths`` with the name to report it by, sorted (see :func:`generator.intake.discover.discover`)."""
    return entries.discover(paths)


def run_intake(paths: Iterable[str | Path], standard: Standard, halls: Iterable[Hall], year: int,
               today: date | None = None, workers: int = 1, cache: CheckCache | None = None,
               progress: Callable[[int, int], None] | None = None,
               limits: Limits = DEFAULT_LIMITS, found: Iterable[tuple[Path, str]] | None = None) -> IntakeReport:
    """Check every file found under ``paths`` against the standard and the register.

    ``workers`` > 1 checks files in that many processes; ``cache`` skips files already checked with the same
    content and context; ``progress(done, total)`` is called as files are done (``done`` files more, out of
    ``total``). The report is the same whatever the workers, the cache or the order of completion.
    """
    today = today or date.today()
    entered = discover(paths) if found is None else entries.Found.of(found)  # ``found``: discover(paths), as given
    listing: tuple[str, list[str] | None] = ("", None)
    if cache is not None:
        cache.bind(standard, halls, year, today)
        # Every entry as the last build found it: its report, as that build gave it (never with mail: see below).
        listing = entries.listing(entered, limits, cache.racy_window())
        kept = cache.last_report(listing[0], entered)
        if kept is not None:
            if progress is not None:
                progress(len(entered), len(entered))
            return kept
    register = {h.hall_id: h for h in halls}
    mail = MailInputs(entered)  # .eml/mbox → their attachments, in a temporary folder
    found = mail.found
    settled, keys = _check_entries(found, cache, (standard, register, year, today, limits), workers,
                                   _ticker(progress, len(found)))
    statuses, candidates, dated = _statuses(found, settled)
    records, replaced = _settle_duplicates(candidates)
    _flag_round_dates(candidates, records)
    _close_corrected(statuses, records, dated)
    mail.cleanup()
    report = IntakeReport(mail.annotate(statuses), records, _inputs_key(cache, found, settled, keys, mail), replaced)
    if cache is not None and mail.plain and report.inputs_key:  # the entries found are all the inputs, all keyed
        cache.keep_report(listing[0], _racy_keys(listing[1], found, keys), report,
                          _record_keys(settled, keys, records, replaced))
    return report


def _ticker(progress: Callable[[int, int], None] | None, total: int) -> Progress | None:
    """``progress(done, total)`` told of files done as they come (``tick(n)``: ``n`` files more)."""
    if progress is None:
        return None

    def tick(n: int) -> None:
        progress(n, total)

    return tick


def _check_entries(found: list[tuple[Path, str]], cache: CheckCache | None, context: CheckContext, workers: int,
                   tick: Progress | None) -> tuple[list[Outcome], dict[int, str]]:
    """Every entry's outcome, in the order found (known without checking, from the cache, or checked, the new
    ones then put in the cache), and each file's cache key by its index."""
    outcomes: list[Outcome | None] = [None] * len(found)
    keys: dict[int, str] = {}
    batches = _sort_entries(found, cache, outcomes, keys, tick)
    for index, outcome in _check_all(batches, context, workers, tick):
        outcomes[index] = outcome
        if cache is not None and keys.get(index):
            cache.put(keys[index], outcome)
    if cache is not None:
        cache.flush()
    settled = [outcome for outcome in outcomes if outcome is not None]
    assert len(settled) == len(found)  # every entry has its outcome by now
    return settled, keys


def _racy_keys(racy: list[str] | None, found: list[tuple[Path, str]],
               keys: dict[int, str]) -> list[tuple[str, str]] | None:
    """(name, cache key) of each entry named in ``racy``; None when one of them has no key (its bytes did not
    decide its outcome alone, or it could not be read)."""
    if racy is None:
        return None
    if not racy:  # none in the window (most builds): no index of the entries to make
        return []
    index_of = {name: index for index, (_path, name) in enumerate(found)}
    named = [(name, keys.get(index_of.get(name, -1), "")) for name in racy]
    return None if any(not key for _name, key in named) else named


def _record_keys(outcomes: list[Outcome], keys: dict[int, str], records: list[ReturnRecord],
                 replaced: list[ReturnRecord]) -> tuple[list[str], list[str]]:
    """The cache key of each record's outcome, for the records and for those replaced."""
    key_of = {id(outcome[0]): keys[index] for index, outcome in enumerate(outcomes)
              if not isinstance(outcome, str) and outcome[0] is not None}
    return [key_of[id(r)] for r in records], [key_of[id(r)] for r in replaced]


def _sort_entries(found: list[tuple[Path, str]], cache: CheckCache | None, outcomes: list[Outcome | None],
                  keys: dict[int, str], progress: Progress | None) -> Iterator[list[CheckJob]]:
    """The jobs of the files left to check, batch after batch of entries (``SORT_BATCH``), so that workers
    check the first files while the next are still hashed; sets in ``outcomes`` the outcome of every entry known
    without checking it (never opened, no workbook, or in the cache) and in ``keys`` each file's cache key."""
    for start in range(0, max(len(found), 1), SORT_BATCH):  # one batch, maybe empty, when nothing is found
        todo: list[CheckJob] = []
        for index in range(start, min(start + SORT_BATCH, len(found))):
            path, name = found[index]
            early, status = entries.examine(path, name)
            if early is not None:  # never opened: a FIFO would block, a broken link cannot be read
                outcomes[index] = early
                continue
            base = path.name
            if base.startswith(("~$", ".~lock")) or entries.suffix_of(base).lower() not in WORKBOOK_SUFFIXES:
                outcomes[index] = IGNORED
                continue
            if cache is not None:
                try:
                    keys[index] = cache.key(name, cache.content_sha256(path, status))
                except OSError:
                    keys[index] = ""  # unreadable now: check_file will say why
            todo.append((index, path, name))
        if cache is not None:  # looked up together: a few queries per batch, not one per file
            hits = cache.get_many([keys[index] for index, _, _ in todo if keys[index]])
            for index, _, _ in todo:
                if keys[index] in hits:
                    outcomes[index] = hits[keys[index]]
            todo = [job for job in todo if outcomes[job[0]] is None]
        if progress is not None:
            progress(min(SORT_BATCH, len(found) - start) - len(todo))
        yield todo


def _statuses(found: list[tuple[Path, str]], outcomes: list[Outcome]) -> tuple[
        list[FileStatus], list[tuple[FileStatus, ReturnRecord]], dict[int, str]]:
    """Each entry's status from its outcome; the accepted ones with their records; a rejection's 检查日期 (when
    readable) by ``id`` of its status."""
    statuses: list[FileStatus] = []
    candidates: list[tuple[FileStatus, ReturnRecord]] = []
    dated: dict[int, str] = {}
    for (_path, name), outcome in zip(found, outcomes):
        if isinstance(outcome, str):  # IGNORED, the one outcome that is no check's
            statuses.append(FileStatus(name, IGNORED, note="不是检查表工作簿(或为 Office 临时锁文件)"))
            continue
        record, problems, hint = outcome
        hall_hint, round_hint, date_hint = split_hint(hint)
        if problems and problems[0].code == "hallscore-issued":  # listed as hallscore's own, never answered
            statuses.append(FileStatus(name, IGNORED, note=problems[0].message))
            continue
        # Copies: settling duplicates appends to problems, and a cached outcome must stay as it was.
        status = FileStatus(name, REJECTED if record is None else ACCEPTED, hall_id=hall_hint, problems=list(problems))
        if record is not None:
            status.round = record.round
            candidates.append((status, record))
        else:
            status.round = round_hint
            dated[id(status)] = date_hint
        statuses.append(status)
    return statuses, candidates, dated


def _close_corrected(statuses: list[FileStatus], records: list[ReturnRecord], dated: dict[int, str]) -> None:
    """A rejected return stays open until an accepted return of the same hall and round corrects it; then it is
    superseded and names the file that corrected it. An accepted return dated before the rejection does not
    correct it (the rejected one is the newer inspection), and a rejection whose hall or round could not be read
    stays open: nothing says which return would correct it."""
    accepted = {(r.hall_id, r.round): r for r in records}
    for status in statuses:
        if status.status != REJECTED or not status.hall_id or not status.round:
            continue
        fixed = accepted.get((status.hall_id, status.round))
        if fixed is not None and fixed.date >= dated.get(id(status), ""):
            status.status = SUPERSEDED
            status.note = f"已更正:以 {fixed.file} 为准"
            status.corrected_by = fixed.file


def _inputs_key(cache: CheckCache | None, found: list[tuple[Path, str]], outcomes: list[Outcome],
                keys: dict[int, str], mail: MailInputs) -> str:
    """What the records were made from: each entry's name with its cache key (or its never-opened outcome)."""
    if cache is None or mail.provenance:
        return ""
    digest = hashlib.sha256()
    for index, (_path, name) in enumerate(found):
        if index in keys:
            if not keys[index]:
                return ""  # unreadable when keyed: no key stands for what was checked
            mark = keys[index] + cache.day_mark(outcomes[index])  # a future date's outcome holds for one day
        else:
            mark = "ignored" if outcomes[index] is IGNORED else repr(outcomes[index])
        digest.update(f"{name}\x1f{mark}\x1e".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _flag_round_dates(candidates: list[tuple[FileStatus, ReturnRecord]], records: list[ReturnRecord]) -> None:
    """A 自评 dated after a higher round of the same hall: a warning on the 自评's file, never a rejection."""
    kept = {id(r) for r in records}
    by_hall: dict[str, list[tuple[FileStatus, ReturnRecord]]] = {}
    for status, record in candidates:
        if id(record) in kept:
            by_hall.setdefault(record.hall_id, []).append((status, record))
    for hall_id in sorted(by_hall):
        rounds = by_hall[hall_id]
        for status, record in rounds:
            if record.round != wbk.ROUNDS[0]:
                continue
            later = sorted((r.date, r.round) for _, r in rounds if r.round != record.round and str(r.date) < str(record.date))
            if later:
                when, other = later[0]
                status.problems.append(problem("round-date-order", file=status.path, sheet=wbk.SHEET_COVER,
                                               cell=f"B{wbk.cover_rows()['检查日期']}", found=record.date, other=other, expected=when))


# What every check of one run shares: the standard, the register, the year, today and the limits.
CheckContext = tuple[Standard, dict[str, Hall], int, date, Limits]
CHUNK = 32  # files per job sent to a worker process
SORT_BATCH = 256  # entries examined and looked up in the cache before their jobs go out
worker_context: CheckContext | None = None  # set in each worker process by init_worker


@contextmanager
def _collecting() -> Iterator[None]:
    """Cyclic collection on while returns are read, also inside a build that paused it (a workbook openpyxl
    reads, or an error's traceback, can hold a cycle); the collector as it was after."""
    enabled = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if not enabled:
            gc.disable()


def init_worker(context: CheckContext) -> None:
    """A worker process keeps the run's context, and collects as usual even when forked from a paused build:
    it reads file after file."""
    global worker_context
    worker_context = context
    gc.enable()


def _check_chunk(jobs: list[CheckJob]) -> list[tuple[int, CheckOutcome]]:
    if worker_context is None:
        raise RuntimeError("init_worker() must come first")
    standard, register, year, today, limits = worker_context
    return [(index, check_file(path, name, standard, register, year, today, limits)) for index, path, name in jobs]


def _check_all(batches: Iterable[list[CheckJob]], context: CheckContext, workers: int,
               progress: Progress | None) -> Iterator[tuple[int, CheckOutcome]]:
    """``(index, check_file outcome)`` for every job, in processes when it pays: when there are ``workers`` > 1
    and at least ``2 * CHUNK`` jobs. Chunks go to the workers as their batch comes, before the next is sorted."""
    pending: list[CheckJob] = []
    futures: list[Future[list[tuple[int, CheckOutcome]]]] = []
    pool: ProcessPoolExecutor | None = None
    try:
        for batch in batches:
            pending.extend(batch)
            if pool is None and workers > 1 and len(pending) >= 2 * CHUNK:
                pool = ProcessPoolExecutor(max_workers=workers, initializer=init_worker, initargs=(context,))
            while pool is not None and len(pending) >= CHUNK:
                futures.append(pool.submit(_check_chunk, pending[:CHUNK]))
                del pending[:CHUNK]
        if pool is None:
            yield from _check_here(pending, context, progress)
            return
        if pending:
            futures.append(pool.submit(_check_chunk, pending))
        for future in as_completed(futures):
            done = future.result()
            yield from done
            if progress is not None:
                progress(len(done))
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _check_here(todo: list[CheckJob], context: CheckContext,
                progress: Progress | None) -> Iterator[tuple[int, CheckOutcome]]:
    """``(index, check_file outcome)`` for every job, in this process."""
    standard, register, year, today, limits = context
    for index, path, name in todo:
        with _collecting():
            outcome = check_file(path, name, standard, register, year, today, limits)
        yield index, outcome
        if progress is not None:
            progress(1)


def _settle_duplicates(candidates: list[tuple[FileStatus, ReturnRecord]]) -> tuple[list[ReturnRecord], list[ReturnRecord]]:
    """One return per hall and round, the newest: later 检查日期 wins, then the file's content hash (a stable
    order whatever the files are called or found: "… - 副本.xlsx" settles like any other). ``(kept, replaced)``."""
    groups: dict[tuple[str, str], list[tuple[FileStatus, ReturnRecord]]] = {}
    for status, record in candidates:
        groups.setdefault((record.hall_id, record.round), []).append((status, record))
    kept: list[ReturnRecord] = []
    replaced: list[ReturnRecord] = []
    for key in sorted(groups):
        if len(groups[key]) == 1:  # the usual case
            kept.append(groups[key][0][1])
            continue
        # The path only orders byte-identical copies, which say the same whichever is named.
        group = sorted(groups[key], key=lambda sr: (sr[1].date, sr[1].sha256, sr[0].path))
        winner = group[-1]
        kept.append(winner[1])
        winner[0].note = "替代了 " + "、".join(s.path for s, _ in group[:-1])
        for status, record in group[:-1]:
            status.status = SUPERSEDED
            if record.fingerprint() == winner[1].fingerprint():
                how = "内容相同"
            elif record.date < winner[1].date:
                how = "检查日期较早"
            else:
                how = "检查日期相同,按文件内容摘要取定"
            status.note = f"{how},以 {winner[0].path} 为准"
            replaced.append(record)
    return kept, replaced

