"""The main job, as named stages: returns → intake → scoring and tiering → results → pages → site.

Each stage takes the value the previous one gave; the CLI decides where the files are.
"""

from __future__ import annotations

import os
import resource
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import collector
from .config import Config, load_config
from .decisions import load_decisions
from .errors import ConfigError, NothingAcceptedError, SiteError
from .fsutil import (
    BuildLock,
    clean_leftovers,
    clean_temp_files,
    file_status,
    recover_swap,
    work_prefix,
)
from .incremental_lists import issue_shortlists
from .inputs_store import Inputs, store_inputs
from .intake import IntakeReport, run_intake
from .journal import clean_asides
from .journal import commit as commit_year
from .journal import recover as recover_year
from .overrides import load_overrides
from .paths import check_outputs, check_site_dir
from .register import load_register
from .results import RESULTS_FILE, evaluate, load_archive, save_year
from .rules import Rules
from .shortlist import FOLDER as SHORTLIST_FOLDER
from .site import build_site
from .standard import DEFAULT_STANDARD, load_standard
from .terms import RECOGNISED_ORDER
from .unchanged import archive_current, last_results, register_cached, remember_archive, remember_results


@dataclass
class BuildSummary:
    """What one build did. ``results`` is the year's results: held from the build, or read back from the archive
    when asked for after a site build (the build lets go of its copy before the pages, the peak of memory);
    ``tally`` has what the command line prints of them."""

    year: int
    intake: IntakeReport  # the files' fates; without the records, which the results hold
    results_data: dict | None
    archive_dir: Path
    site_dir: Path | None
    pages: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    cache_hits: int = 0
    files_read: int = 0
    workers: int = 1
    site_reused: bool = False
    hall_pages: dict = field(default_factory=dict)  # stamped: written, linked (kept from the last site), seconds
    tally: dict = field(default_factory=dict)
    answers: list = field(default_factory=list)  # every answered list read and what was done with it (逐级认定)
    filled_in_archive: list = field(default_factory=list)  # lists answered in place inside the archive: not applied

    results_status: str | None = None  # the archive's results.json as this build left it, once results_data goes

    @property
    def results(self) -> dict:
        if self.results_data is None:
            from . import record as record_io

            path = self.archive_dir / str(self.year) / RESULTS_FILE
            if file_status(path) != self.results_status:  # a later build rewrote it: not this build's results
                raise RuntimeError(f"{path} changed after this build; read its results before the next build")
            self.results_data = record_io.load(path)
        return self.results_data


def _tally(results: dict) -> dict:
    """Tiers, recognitions and waits of the year's halls, for the command line's summary."""
    tiers: dict[str, int] = {}
    claims: dict[str, int] = {}  # unranked halls' tiers: a 自评 claim (or one whose 市级检查 is 待重报), no place
    waiting: dict[str, int] = {}
    recognised = 0
    for hall in results["halls"]:
        counted = claims if hall.get("round") and hall.get("ranked") is False and hall["tier"] in RECOGNISED_ORDER else tiers
        counted[hall["tier"]] = counted.get(hall["tier"], 0) + 1
        if hall.get("awaiting"):
            waiting[hall["awaiting"]] = waiting.get(hall["awaiting"], 0) + 1
        elif hall.get("confirmed_tier"):
            recognised += 1
    return {"halls": len(results["halls"]), "tiers": tiers, "claims": claims, "waiting": waiting,
            "recognised": recognised}


def _own_cache_dir(cache_dir):
    """The cache folder, or None when it is a symlink: a link planted at the default ``.hallscore-cache`` would
    have hallscore write and prune files in someone else's folder."""
    if cache_dir is not None and Path(cache_dir).is_symlink():
        from .errors import notice

        notice(f"提示:缓存目录 {cache_dir} 是符号链接,本次不使用缓存(也不改动链接指向的位置);"
               f"请删除该链接,或用 --cache-dir 指定一个普通目录。")
        return None
    return cache_dir


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
    cache, tick = _intake_options(workers, _own_cache_dir(cache_dir), progress)
    try:
        with collector.paused():
            return run_intake(paths, standard, halls, year, workers=workers, cache=cache, progress=tick)
    finally:
        if cache is not None:
            cache.close()


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the intake workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass(frozen=True)
class BuildOptions:
    """Everything one build is asked to do; the CLI makes it (``from_files`` reads the configuration file).

    ``site_dir=None`` stops after the archive (score only). The 上报名单 workbooks go into
    ``archive/<year>/上报名单/``, next to results.json. ``workers`` processes check the returns; ``cache_dir``
    keeps intake results between builds (:mod:`generator.cache`); ``decisions_paths`` are returned 上报名单
    (files or folders, decisions.py); ``overrides_path`` a file of recorded decisions. ``config_path`` names the
    file ``config`` was read from, so that no output is written over it.
    """

    paths: tuple[Path, ...]
    register_path: Path
    archive_dir: Path
    config: Config
    site_dir: Path | None = None
    standard_path: Path | None = None
    overrides_path: Path | None = None
    decisions_paths: tuple[Path, ...] = ()
    strict: bool = False
    workers: int = 1
    cache_dir: Path | None = None
    lock_wait: float | None = None
    config_path: Path | None = None

    @classmethod
    def from_files(cls, paths, register_path, archive_dir, year: int | None = None, config_path=None,
                   year_explicit: bool = True, **options) -> BuildOptions:
        """Options with the year's configuration read from ``config_path`` (TOML) when given.

        The file's ``year`` wins over a ``year`` that was not given explicitly (``year_explicit=False``, the
        CLI's default year) and must agree with an explicit one.
        """
        if config_path is not None:
            config = load_config(config_path, year if year_explicit else None, default_year=year)
        elif options.get("config") is not None:
            config = options["config"]
        elif year is None:
            raise ConfigError("未给出评价年度:请用 --year 或在配置文件中写 year")
        else:
            config = Config(year=year)
        options.pop("config", None)
        for key in ("site_dir", "standard_path", "overrides_path", "cache_dir"):
            if options.get(key) is not None:
                options[key] = Path(options[key])
        options["decisions_paths"] = tuple(Path(d) for d in options.get("decisions_paths") or ())
        return cls(tuple(Path(p) for p in paths), Path(register_path), Path(archive_dir), config,
                   config_path=Path(config_path) if config_path is not None else None, **options)


def build(options: BuildOptions, progress=None) -> BuildSummary:
    """Run the whole pipeline for one year as ``options`` say.

    ``progress(stage, done, total)`` hears of each stage (``total`` None when a stage cannot count its steps).
    """
    o = options
    inputs = [("检查表路径", p) for p in o.paths] + [("营业厅清单", o.register_path), ("评价标准", o.standard_path),
                                                   ("年度配置", o.config_path), ("裁定文件", o.overrides_path)]
    _keep_inputs_apart(o.decisions_paths, o.archive_dir)
    inputs += [("上报名单答复", p) for p in o.decisions_paths]
    check_outputs(inputs, [("档案目录", o.archive_dir), ("站点目录", o.site_dir), ("缓存目录", o.cache_dir)])
    if o.site_dir is not None:
        check_site_dir(o.site_dir)
    wait = _lock_wait(o.lock_wait)
    with collector.paused(), BuildLock(o.archive_dir, wait), _site_lock(o.site_dir, wait):
        return _build_locked(o, progress)


def nothing_accepted(report: IntakeReport, year: int, paths: Sequence[Path]) -> str:
    """Why a build has no return to score, with the likely cause: a wrong year, a wrong folder, or the returns'
    own problems."""
    from collections import Counter

    from .intake import REJECTED
    from .meta_year import returns_year
    from .problems import CATALOGUE

    rejected = [f for f in report.files if f.status == REJECTED]
    kept = "档案和站点都没有改动,没有发布任何内容。"
    if not rejected:
        where = "、".join(str(p) for p in paths)
        return (f"在 {where} 中没有找到检查表(.xlsx),{kept}请核对路径是否是存放回收检查表的文件夹"
                f"(共 {len(report.files)} 个文件,都不是检查表)。")
    codes = Counter(p.code for f in rejected for p in f.problems if p.severity == "error")
    if codes.get("template-year-mismatch", 0) * 2 >= len(rejected):
        found, _count, _total = returns_year(paths)
        said = f"检查表是 {found} 年的," if found and found != year else ""
        return (f"全部 {len(rejected)} 份检查表都被退回,大多是年度不符:本次按 {year} 年评价,{said}{kept}"
                f"请核对 --year(或 --config 中的 year)是否写错。")
    common = ";".join(f"{CATALOGUE[c].title}({c})× {n}" if c in CATALOGUE else f"{c} × {n}"
                      for c, n in codes.most_common(3))
    return (f"全部 {len(rejected)} 份检查表都被退回,没有可评分的检查表,{kept}"
            f"最常见的问题:{common}。请用 hallscore validate 查看每个文件的问题,改正后重新提交。")


def _site_lock(site_dir, wait: float):
    from contextlib import nullcontext

    return BuildLock.for_site(site_dir, wait) if site_dir is not None else nullcontext()


def _lock_wait(wait: float | None) -> float:
    """Seconds a build waits for another build of the same archive (HALLSCORE_LOCK_WAIT, default 10)."""
    if wait is not None:
        return wait
    try:
        return max(0.0, float(os.environ.get("HALLSCORE_LOCK_WAIT", "10")))
    except ValueError:
        return 10.0


def _build_locked(o: BuildOptions, progress) -> BuildSummary:
    archive_dir, site_dir, cache_dir, workers = o.archive_dir, o.site_dir, _own_cache_dir(o.cache_dir), o.workers
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

    recover_year(archive_dir)  # first: a commit a killed run left is completed (journal.py)
    _clean_archive(archive_dir, cache_dir)
    if site_dir is not None:  # also when the site is reused and build_site (which cleans too) is not called
        site = Path(site_dir).resolve()
        clean_leftovers(site.parent, f".{site.name}.build-")
        clean_asides(site.parent, (site.name,), journal=archive_dir)
    config = o.config
    year = config.year
    standard_path = o.standard_path or DEFAULT_STANDARD
    standard = load_standard(standard_path)
    halls = register_cached(o.register_path, cache_dir)
    overrides = load_overrides(o.overrides_path) if o.overrides_path is not None else ()
    decisions = load_decisions(o.decisions_paths) if o.decisions_paths else ()
    lap("load")
    # Intake first: it needs nothing but the inputs, and its report is part of the record.
    cache, tick = _intake_options(workers, cache_dir, progress)
    try:
        report = run_intake(o.paths, standard, halls, year, workers=workers, cache=cache, progress=tick)
    finally:
        if cache is not None:
            cache.close()
    lap("intake")
    if not report.records:
        raise NothingAcceptedError(nothing_accepted(report, year, o.paths), report)
    announce("scoring")
    rules = Rules.of(standard, config)  # the year's rules, made once
    results, results_key, reused = _evaluate(halls, report, standard, rules, overrides, cache_dir, decisions,
                                             archive_dir)
    # The records are in the results now: the national year is not held twice through the archive and site.
    report = IntakeReport(report.files, [], report.inputs_key)
    lap("scoring")
    announce("archive")
    intake = report.to_dict()  # what intake.json holds: part of the archive's work
    target = archive_dir / str(results["year"])
    archive_key = _archive_key(results_key, intake)
    # Nothing changed and the folder is as the last build left it: no staging, no swap (unchanged.py).
    current = archive_current(cache_dir, results["year"], archive_key, target)
    staged = None
    filled: list[str] = []
    if not current:
        kept = Inputs(o.paths, o.register_path, o.config_path, o.overrides_path, o.decisions_paths)
        staged, filled = _stage_year(archive_dir, results, intake, standard_path, cache_dir, kept)
    try:
        if staged is not None and site_dir is None:
            commit_year(archive_dir, [(staged, target)])  # the year's folder is complete before anyone sees it
        del intake  # written; the site reads the staged copy
        lap("archive")
        summary = BuildSummary(year, report, results, archive_dir, Path(site_dir) if site_dir else None,
                               seconds=seconds, cpu_seconds=cpu_seconds, workers=workers, tally=_tally(results),
                               answers=list(results.get("answers", [])), filled_in_archive=filled)
        if cache is not None:
            summary.cache_hits, summary.files_read = cache.hits, cache.misses
        else:
            summary.files_read = sum(1 for f in report.files if f.status != "ignored")
        if site_dir is not None:
            announce("site")
            # The pages read the archive's copy: the build's is let go (about 100 MB at 20,000 halls).
            summary.results_data = results = None  # type: ignore[assignment]
            # The site is built from the staged year and committed with it: both change or neither does.
            summary.pages, summary.site_reused, summary.hall_pages = _site(
                archive_dir, Path(site_dir), o.strict, cache_dir,
                staged=(summary.year, staged, target) if staged is not None else None)
            summary.results_status = file_status(target / RESULTS_FILE)
            lap("site")
    finally:
        if staged is not None:
            shutil.rmtree(staged.parent, ignore_errors=True)  # empty once committed
    if not reused:
        remember_results(cache_dir, summary.year, results_key, target / RESULTS_FILE)
    if staged is not None:
        remember_archive(cache_dir, summary.year, archive_key, target)
    return summary


def _archive_key(results_key: str | None, intake: dict) -> str | None:
    """The results' key and the intake report: together, every byte of the archive's year folder."""
    if results_key is None:
        return None
    import hashlib
    import json

    report = json.dumps(intake, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(results_key.encode() + b"\n" + report).hexdigest()


def _clean_archive(archive_dir: Path, cache_dir) -> None:
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
    if cache_dir is not None:
        clean_temp_files(cache_dir)


def _stage_year(archive_dir: Path, results: dict, intake: dict, standard_path, cache_dir=None,
                inputs: Inputs | None = None) -> tuple[Path, list[str]]:
    """Every output of the year (results, intake, standard, 上报名单) and every input that made it (inputs_store.py)
    in a folder beside the archive's years; files whose bytes did not change are hard links to the current ones.
    With the names of the lists found answered in place inside the archive (kept aside, not applied)."""
    archive_dir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=work_prefix(".stage-"), dir=archive_dir))
    current = archive_dir / str(results["year"])
    try:
        folder = save_year(root, results, intake, standard_path, previous=current)
        filled = _replace_shortlists(results, folder / SHORTLIST_FOLDER, current / SHORTLIST_FOLDER, cache_dir)
        if inputs is not None:
            store_inputs(folder, inputs, current if current.is_dir() else None)
        _carry_over(archive_dir / str(results["year"]), folder)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return folder, filled


def _carry_over(old: Path, new: Path) -> None:
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


def _keep_inputs_apart(decisions_paths, archive_dir: Path) -> None:
    """The build rewrites the archive's issued lists: an answer kept among them would be lost, so refuse it."""
    from .decisions import decision_files
    from .errors import DecisionError

    archive = archive_dir.resolve()
    for path in decision_files(decisions_paths or ()):
        if archive in path.resolve().parents:
            raise DecisionError(f"上报名单 {path.name}:放在档案目录 {archive} 中,生成时签发目录会被新签发的名单替换;"
                                f"请把答复的名单复制到档案目录之外再用 --decisions 交回")


def _replace_shortlists(results: dict, folder: Path, previous: Path, cache_dir=None) -> list[str]:
    """Write this run's lists into the staged ``folder``; carry over from the ``previous`` issue what is not ours.

    A province's list left from an earlier run is dropped, but a list someone has already answered in place
    (any 认定结果 filled in) is kept beside as ``<name>-答复留存-<hash>.xlsx`` for the user to send back with
    --decisions, and any other file found there (not named like our lists) is carried over untouched.
    """
    import hashlib

    from .decisions import load_decisions
    from .errors import DecisionError

    # Lists whose content is what the current file was issued for are linked, not made again (shortlist.py);
    # a file still as it was issued has not been answered in place, so it need not be read.
    issued = issue_shortlists(results, folder, previous, cache_dir)
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
        if old.name in issued.unanswered:
            continue
        try:
            answered = any(a.decisions for a in load_decisions([old]))
        except DecisionError:
            answered = False  # one of ours gone bad: replaced as before
        if answered:
            digest = hashlib.sha256(old.read_bytes()).hexdigest()[:8]
            kept = f"{old.stem}-答复留存-{digest}.xlsx"
            shutil.copy2(old, folder / kept)
            filled.append(f"{old.name}(已另存为 {kept})")
    return filled


def _evaluate(halls, report: IntakeReport, standard, config, overrides, cache_dir,
              decisions=(), archive_dir: Path | None = None) -> tuple[dict, str | None, bool]:
    """Scores and tiers, or the last ones when nothing they are computed from changed (read back from the
    archive's results.json, which holds exactly them); with the key of what they were computed from (None
    without a cache) and whether they were read back."""
    records, summary, inputs_key = report.records, report.summary(), report.inputs_key
    files, replaced = report.files, report.replaced  # every return of each hall's case file
    if cache_dir is None:
        return evaluate(halls, records, standard, config, summary, overrides, decisions, files, replaced), None, False
    import hashlib
    import json

    from .cache import code_version

    # The intake's inputs key stands for the records and the register (every record is a function of its file's
    # cache key, which holds the register's fingerprint, the standard, the year and the code, and of the day
    # where a date was found in the future); without it, repr of the dataclasses: every field, Decimals with
    # their exponent, dicts in order.
    digest = hashlib.sha256(f"{code_version()}\n".encode())
    inputs = (f"inputs:{inputs_key}",) if inputs_key else (repr(tuple(halls)), repr(list(records)),
                                                          repr(report.files), repr(report.replaced))
    for part in (*inputs, repr(standard), repr(config.config), repr(tuple(overrides)),
                 repr(tuple(decisions)), json.dumps(summary, ensure_ascii=False, sort_keys=True)):
        digest.update(part.encode("utf-8") + b"\x1e")
    key = digest.hexdigest()
    if archive_dir is not None:
        year = config.year  # config: the year's Rules
        last = last_results(cache_dir, year, key, Path(archive_dir) / str(year) / RESULTS_FILE)
        if last is not None:
            return last, key, True
    return evaluate(halls, records, standard, config, summary, overrides, decisions, files, replaced), key, False


def _site(archive_dir: Path, site_dir: Path, strict: bool, cache_dir,
          staged: tuple[int, Path, Path] | None = None) -> tuple[int, bool, dict]:
    """Build the site, or keep it when nothing it is made from changed since the last successful build.

    ``staged``: (year, staged folder, its place in the archive): the site is built from it and both are committed
    together (journal.py)."""
    stamp = key = None
    if cache_dir is not None and staged is None:
        from .cache import site_key
        from .memo import read_memo
        from .site import site_intact

        stamp = Path(cache_dir) / "site.key"
        key = site_key(archive_dir, site_dir, strict)
        try:
            last_key, pages = str(read_memo(stamp, "site-key")).split()  # sealed: a forged stamp reads as none
            # Kept only when it is still what the last build published (a deleted or edited page: rebuilt).
            if last_key == key and (site_dir / "index.html").is_file() and site_intact(site_dir) is not None:
                return int(pages), True, {}
        except (OSError, ValueError):
            pass
    # Pages come from the archive, not from memory: every published year is re-derivable from it.
    years = load_archive(archive_dir, staged[:2] if staged is not None else None)
    for year in years:
        year.record  # noqa: B018 (typed once and kept: the pages read nothing else of results.json)
        year.results = {}  # the parsed mapping besides it would be a second copy of the year in memory
    commit = None
    if staged is not None:
        folder, target = staged[1], staged[2]

        def commit(new_site: Path) -> None:
            commit_year(archive_dir, [(folder, target), (new_site, site_dir)])

    built = build_site(years, site_dir, strict=strict, cache_dir=cache_dir, commit=commit)
    if cache_dir is not None:
        from .cache import site_key

        stamp = Path(cache_dir) / "site.key"
        key = site_key(archive_dir, site_dir, strict)
    if stamp is not None:
        from .memo import write_memo

        write_memo(stamp, "site-key", f"{key} {built['pages']}")
    return built["pages"], False, built.get("hall_pages", {})


def rebuild_site(archive_dir, site_dir, strict: bool = False, lock_wait: float | None = None) -> int:
    """Pages and site from the archive alone; an archive folder that does not exist is refused (a mistyped path
    would otherwise replace the published site with an empty one)."""
    check_outputs([("档案目录", archive_dir)], [("站点目录", site_dir)])
    check_site_dir(site_dir)
    if not Path(archive_dir).is_dir():
        raise SiteError(f"档案目录 {archive_dir} 不存在或不是文件夹:没有可以生成站点的年度结果;"
                        f"请检查 --archive 的路径(站点未改动)")
    wait = _lock_wait(lock_wait)
    with collector.paused(), BuildLock(archive_dir, wait), BuildLock.for_site(site_dir, wait):
        recover_year(archive_dir)
        clean_leftovers(archive_dir, ".stage-")  # a killed build's staging folder (emptied by the commit)
        years = load_archive(archive_dir)
        if not years:  # a wrong but existing folder: the published site is not replaced by an empty one either
            raise SiteError(f"档案目录 {archive_dir} 中没有任何年度的结果(<年度>/results.json):请检查 --archive 的路径,"
                            f"或先用 hallscore build 生成年度结果(站点未改动)")
        return build_site(years, site_dir, strict=strict)["pages"]
