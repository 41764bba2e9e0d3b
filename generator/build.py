"""The main job, as named stages: returns → intake → scoring and tiering → results → pages → site.

Each stage takes the value the previous one gave; the CLI decides where the files are.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config, load_config
from .decisions import load_decisions
from .fsutil import write_text_atomic
from .intake import IntakeReport, run_intake
from .overrides import load_overrides
from .register import load_register
from .results import evaluate, load_archive, save_year
from .shortlist import FOLDER as SHORTLIST_FOLDER, write_shortlists
from .site import build_site
from .standard import DEFAULT_STANDARD, load_standard


@dataclass
class BuildSummary:
    year: int
    intake: IntakeReport
    results: dict
    archive_dir: Path
    site_dir: Path | None
    pages: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    cache_hits: int = 0
    files_read: int = 0
    workers: int = 1
    site_reused: bool = False


def _intake_options(workers, cache_dir, progress):
    """The cache object and intake progress callback for one run."""
    cache = None
    if cache_dir is not None:
        from .cache import IntakeCache

        cache = IntakeCache(cache_dir)
    tick = (lambda done, total: progress("intake", done, total)) if progress is not None else None
    return cache, tick


def validate(paths, register_path, year: int, standard_path=None, workers: int = 1, cache_dir=None,
             progress=None) -> IntakeReport:
    """Intake only: what `hallscore validate` reports."""
    standard = load_standard(standard_path)
    halls = load_register(register_path)
    cache, tick = _intake_options(workers, cache_dir, progress)
    try:
        return run_intake(paths, standard, halls, year, workers=workers, cache=cache, progress=tick)
    finally:
        if cache is not None:
            cache.close()


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the intake workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def build(paths, register_path, year: int | None, archive_dir, site_dir=None, standard_path=None,
          config: Config | None = None, strict: bool = False, config_path=None,
          overrides_path=None, year_explicit: bool = True, workers: int = 1, cache_dir=None,
          progress=None, decisions_paths=()) -> BuildSummary:
    """Run the whole pipeline for one year; ``site_dir=None`` stops after the archive (score only).

    ``config_path`` is a TOML configuration (its ``year`` wins over a ``year`` that was not given explicitly,
    ``year_explicit=False``, and must agree with an explicit one); ``overrides_path`` a file
    of recorded decisions. The 上报名单 workbooks go into ``archive/<year>/上报名单/``, next to results.json.
    ``workers`` processes check the returns; ``cache_dir`` keeps intake results between builds (see
    :mod:`generator.cache`); ``decisions_paths`` are returned 上报名单 (files or folders, decisions.py);
    ``progress(stage, done, total)`` hears of each stage (``total`` None when a stage
    cannot count its steps).
    """
    seconds: dict[str, float] = {}
    cpu_seconds: dict[str, float] = {}
    clock, cpu_clock = time.perf_counter(), _cpu()

    def lap(stage: str) -> None:
        nonlocal clock, cpu_clock
        now, cpu_now = time.perf_counter(), _cpu()
        seconds[stage] = now - clock
        cpu_seconds[stage] = cpu_now - cpu_clock
        clock, cpu_clock = now, cpu_now

    def announce(stage: str) -> None:
        if progress is not None:
            progress(stage, 0, None)

    if config_path is not None:
        config = load_config(config_path, year if year_explicit else None, default_year=year)
    config = config or Config(year=year)
    year = config.year
    standard_path = Path(standard_path) if standard_path else DEFAULT_STANDARD
    standard = load_standard(standard_path)
    halls = load_register(register_path)
    overrides = load_overrides(overrides_path) if overrides_path is not None else ()
    _keep_inputs_apart(decisions_paths, Path(archive_dir) / str(year) / SHORTLIST_FOLDER)
    decisions = load_decisions(decisions_paths) if decisions_paths else ()
    lap("load")
    # Intake first: it needs nothing but the inputs, and its report is part of the record.
    cache, tick = _intake_options(workers, cache_dir, progress)
    try:
        report = run_intake(paths, standard, halls, year, workers=workers, cache=cache, progress=tick)
    finally:
        if cache is not None:
            cache.close()
    lap("intake")
    announce("scoring")
    intake = report.to_dict()
    results = _evaluate(halls, report.records, standard, config, intake["summary"], overrides, cache_dir, decisions)
    lap("scoring")
    announce("archive")
    archive_dir = Path(archive_dir)
    folder = save_year(archive_dir, results, intake, standard_path)
    _replace_shortlists(results, folder / SHORTLIST_FOLDER)
    lap("archive")
    summary = BuildSummary(year, report, results, archive_dir, Path(site_dir) if site_dir else None, seconds=seconds,
                           cpu_seconds=cpu_seconds, workers=workers)
    if cache is not None:
        summary.cache_hits, summary.files_read = cache.hits, cache.misses
    else:
        summary.files_read = sum(1 for f in report.files if f.status != "ignored")
    if site_dir is not None:
        announce("site")
        summary.pages, summary.site_reused = _site(archive_dir, Path(site_dir), strict, cache_dir)
        lap("site")
    return summary


def _keep_inputs_apart(decisions_paths, issued: Path) -> None:
    """The build rewrites the issued lists: an answer kept among them would be overwritten, so refuse it."""
    from .decisions import decision_files
    from .errors import DecisionError

    issued = issued.resolve()
    for path in decision_files(decisions_paths or ()):
        if issued == path.resolve().parent or issued in path.resolve().parents:
            raise DecisionError(f"上报名单 {path.name}:放在档案的签发目录 {issued} 中,生成时会被新签发的名单覆盖;"
                                f"请把答复的名单复制到档案目录之外再用 --decisions 交回")


def _replace_shortlists(results: dict, folder: Path) -> None:
    """Write this run's lists and drop a province's list left over from an earlier run.

    A list in the folder that someone has already answered (any 认定结果 filled in) is never overwritten or
    dropped: it is kept beside as ``<name>-答复留存-<hash>.xlsx`` for the user to send back with --decisions.
    """
    import hashlib

    from .decisions import FOLDER, load_decisions
    from .errors import DecisionError

    def keep_if_answered(path: Path) -> None:
        try:
            answered = bool(load_decisions([path]))
        except DecisionError:
            answered = False  # not a list we can read: one of ours gone bad, replaced as before
        if answered:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
            path.replace(path.with_name(f"{path.stem}-答复留存-{digest}.xlsx"))

    ours = f"-{FOLDER}.xlsx"
    if folder.is_dir():
        for old in folder.glob(f"*{ours}"):
            keep_if_answered(old)
    written = set(write_shortlists(results, folder))
    if folder.is_dir():
        for old in folder.glob(f"*{ours}"):
            if old not in written:
                old.unlink()


def _evaluate(halls, records, standard, config, summary: dict, overrides, cache_dir, decisions=()) -> dict:
    """Scores and tiers, or the last ones when nothing they are computed from changed (half a second build)."""
    if cache_dir is None:
        return evaluate(halls, records, standard, config, summary, overrides, decisions)
    import hashlib
    import json

    from .cache import code_version

    # repr of the dataclasses: every field, Decimals with their exponent, dicts in order; unlike pickle it does
    # not depend on which equal objects happen to be shared, and it is fast enough for 20,000 records.
    digest = hashlib.sha256(code_version().encode())
    for part in (repr(tuple(halls)), repr(list(records)), standard.checksum, repr(config), repr(tuple(overrides)), repr(tuple(decisions)),
                 json.dumps(summary, ensure_ascii=False, sort_keys=True)):
        digest.update(part.encode("utf-8") + b"\x1e")
    key = digest.hexdigest()
    stored = Path(cache_dir) / f"results-{config.year}.json"
    try:
        last = json.loads(stored.read_text(encoding="utf-8"))
        if last.get("key") == key:
            return last["results"]
    except (OSError, ValueError, AttributeError):
        pass
    results = evaluate(halls, records, standard, config, summary, overrides, decisions)
    write_text_atomic(stored, json.dumps({"key": key, "results": results}, ensure_ascii=False))
    return results


def _site(archive_dir: Path, site_dir: Path, strict: bool, cache_dir) -> tuple[int, bool]:
    """Build the site, or keep it when nothing it is made from changed since the last successful build."""
    stamp = key = None
    if cache_dir is not None:
        from .cache import site_key

        stamp = Path(cache_dir) / "site.key"
        key = site_key(archive_dir, site_dir, strict)
        try:
            last_key, pages = stamp.read_text(encoding="utf-8").split()
            if last_key == key and (site_dir / "index.html").is_file():
                return int(pages), True
        except (OSError, ValueError):
            pass
    # Pages come from the archive, not from memory: every published year is re-derivable from it.
    built = build_site(load_archive(archive_dir), site_dir, strict=strict)
    if stamp is not None:
        write_text_atomic(stamp, f"{key} {built['pages']}\n")
    return built["pages"], False


def rebuild_site(archive_dir, site_dir, strict: bool = False) -> int:
    """Pages and site from the archive alone."""
    return build_site(load_archive(archive_dir), site_dir, strict=strict)["pages"]
