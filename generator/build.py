"""The main job as the pipeline's named stages: load → intake → evaluate → archive → lists → site.

Each stage is a function from typed inputs to typed outputs and does not know whether it is cached: ``build``
runs them through an :class:`~generator.incremental.layer.IncrementalLayer`, which keeps between builds what did
not change (without a cache folder it keeps nothing: the pure pipeline, same bytes). The CLI decides where the
files are. What a build reports, progress as it goes and its summary when done, is in build_summary.py.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from generator.archive.inputs import Inputs
from generator.archive.store import RESULTS_FILE, load_archive
from generator.archive.year import StagedYear, clean_archive, issue_lists, stage_year
from generator.build_summary import BuildSummary, Progress, StageClock, intake_ticks
from generator.errors import ConfigError, DecisionError, SiteError
from generator.evaluate.decisions import Answer, decision_files, load_decisions
from generator.evaluate.inputs import YearInputs
from generator.evaluate.overrides import Override, load_overrides
from generator.evaluate.shortlist import FOLDER as SHORTLIST_FOLDER
from generator.evaluate.year import evaluate_year
from generator.fs.files import BuildLock, clean_leftovers, file_status
from generator.fs.journal import clean_asides
from generator.fs.journal import commit as commit_year
from generator.fs.journal import recover as recover_year
from generator.fs.paths import check_outputs, check_site_dir
from generator.incremental.intake_cache import IntakeCache
from generator.incremental.layer import EvaluatedYear, IncrementalLayer, SitePublished
from generator.intake.errors import NothingAcceptedError
from generator.intake.meta_year import returns_year
from generator.intake.run import REJECTED, IntakeReport, discover, run_intake
from generator.model import YearResults
from generator.rules.config import Config, load_config
from generator.rules.problems import CATALOGUE
from generator.rules.register import Hall, load_register
from generator.rules.standard import DEFAULT_STANDARD, Standard
from generator.rules.standard_load import load_standard
from generator.rules.year_rules import Rules
from generator.site.render import build_site, site_intact


def validate(paths: Sequence[Path], register_path: Path, year: int, standard_path: Path | None = None,
             workers: int = 1, cache_dir: Path | None = None, progress: Progress | None = None) -> IntakeReport:
    """Intake only: what `hallscore validate` reports."""
    standard = load_standard(standard_path)
    halls = load_register(register_path)
    layer = IncrementalLayer.at(cache_dir)
    with layer.paused():
        return layer.intake(partial(check_returns, paths, standard, halls, year, workers, intake_ticks(progress)))


def check_returns(paths: Sequence[Path], standard: Standard, halls: Sequence[Hall], year: int, workers: int,
                  tick: Callable[[int, int], None] | None, cache: IntakeCache | None,
                  found: Sequence[tuple[Path, str]] | None = None) -> IntakeReport:
    """The intake stage: every file found under ``paths`` (``found``: as discover found them) checked against
    the standard and the register."""
    return run_intake(paths, standard, halls, year, workers=workers, cache=cache, progress=tick, found=found)


@dataclass(frozen=True)
class BuildOptions:
    """Everything one build is asked to do; the CLI makes it (``from_files`` reads the configuration file).

    ``site_dir=None`` stops after the archive (score only). The 上报名单 workbooks go into
    ``archive/<year>/上报名单/``, next to results.json. ``workers`` processes check the returns; ``cache_dir``
    keeps what did not change between builds (incremental/layer.py); ``decisions_paths`` are returned 上报名单
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
    def from_files(cls, paths: Iterable[str | Path], register_path: str | Path, archive_dir: str | Path,
                   year: int | None = None, config_path: str | Path | None = None, year_explicit: bool = True,
                   **options: Any) -> BuildOptions:
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

    def kept_inputs(self, found: Sequence[tuple[Path, str]] | None = None) -> Inputs:
        """The inputs as the archive keeps them (archive/inputs.py); ``found``: the entries under the paths as the
        intake found them."""
        return Inputs(self.paths, self.register_path, self.config_path, self.overrides_path, self.decisions_paths,
                      found)


def build(options: BuildOptions, progress: Progress | None = None) -> BuildSummary:
    """Run the whole pipeline for one year as ``options`` say.

    ``progress(stage, done, total)`` hears of each stage (``total`` None when a stage cannot count its steps).
    """
    o = options
    inputs = [("检查表路径", p) for p in o.paths] + [("营业厅清单", o.register_path), ("评价标准", o.standard_path),
                                                   ("年度配置", o.config_path), ("裁定文件", o.overrides_path)]
    keep_inputs_apart(o.decisions_paths, o.archive_dir)
    inputs += [("上报名单答复", p) for p in o.decisions_paths]
    check_outputs(inputs, [("档案目录", o.archive_dir), ("站点目录", o.site_dir), ("缓存目录", o.cache_dir)])
    if o.site_dir is not None:
        check_site_dir(o.site_dir)
    wait = wait_seconds(o.lock_wait)
    layer = IncrementalLayer.at(o.cache_dir)
    with layer.paused(), BuildLock(o.archive_dir, wait), site_lock(o.site_dir, wait):
        return run_pipeline(o, layer, progress)


def run_pipeline(o: BuildOptions, layer: IncrementalLayer, progress: Progress | None) -> BuildSummary:
    """The stages in order, each through ``layer``: the year's archive and its site change together or not at all."""
    clock = StageClock(progress)
    clean_after_killed_builds(o, layer)
    sources = load_sources(o, layer)
    clock.lap("load")
    found = discover(o.paths)  # once: the intake checks these entries and the archive keeps them
    report = intake_stage(o, layer, sources, found, progress)
    clock.lap("intake")
    if not report.has_records():
        raise NothingAcceptedError(nothing_accepted(report, o.config.year, o.paths), report)
    clock.announce("scoring")
    evaluated, report = scoring_stage(o, layer, sources, report)
    clock.lap("scoring")
    clock.announce("archive")
    target = o.archive_dir / str(o.config.year)
    staged_year = archive_stage(o, layer, sources, found, report, evaluated, target)
    staged = staged_year.folder if staged_year is not None else None
    summary = start_summary(o, layer, report, evaluated)
    try:
        if staged is not None:
            summary.filled_in_archive = lists_stage(layer, evaluated, staged, target)
            if o.site_dir is None:
                commit_year(o.archive_dir, [(staged, target)])  # the year's folder is complete before anyone sees it
        clock.lap("archive")
        if o.site_dir is None:
            summary.results_data = evaluated.held()
        else:
            clock.announce("site")
            # The pages read the staged year as its results.json reads back (made while it was written, so not
            # parsed again): the build's own copy is let go (the peak of memory is in the pages).
            evaluated.let_go()
            as_read = staged_year.as_read if staged_year is not None else None
            staged_year = None
            site_stage(o, o.site_dir, layer, summary, staged, target, as_read)
            del as_read
            clock.lap("site")
    finally:
        if staged is not None:
            shutil.rmtree(staged.parent, ignore_errors=True)  # empty once committed
    summary.results_status = file_status(target / RESULTS_FILE)
    layer.remember(o.config.year, target, target / RESULTS_FILE, staged is not None, evaluated)
    summary.seconds, summary.cpu_seconds = clock.seconds, clock.cpu_seconds
    return summary


def intake_stage(o: BuildOptions, layer: IncrementalLayer, sources: Sources, found: Sequence[tuple[Path, str]],
                 progress: Progress | None) -> IntakeReport:
    """The intake stage through ``layer``: the entries ``found`` checked against the standard and the register."""
    return layer.intake(partial(check_returns, o.paths, sources.standard, sources.halls, o.config.year, o.workers,
                                intake_ticks(progress), found=found))


def scoring_stage(o: BuildOptions, layer: IncrementalLayer, sources: Sources,
                  report: IntakeReport) -> tuple[EvaluatedYear, IntakeReport]:
    """The evaluation stage through ``layer`` (or the results the archive keeps when nothing they come from
    changed), and the intake report without its records, which the results now hold."""
    inputs = YearInputs(sources.halls, report, sources.standard, sources.rules, sources.overrides, sources.decisions)
    evaluated = layer.evaluate(evaluate_stage, inputs, o.archive_dir / str(o.config.year) / RESULTS_FILE)
    del inputs  # the records are in the results now: the year is not held twice through the archive and site
    return evaluated, IntakeReport(report.files, [], report.inputs_key)


def archive_stage(o: BuildOptions, layer: IncrementalLayer, sources: Sources, found: Sequence[tuple[Path, str]],
                  report: IntakeReport, evaluated: EvaluatedYear, target: Path) -> StagedYear | None:
    """The archive stage through ``layer``: the year staged beside ``target``, or None when it is already there."""
    intake = report.to_dict()  # what intake.json holds
    return layer.archive(partial(stage_year, o.archive_dir, intake=intake, standard_path=sources.standard_path,
                                 inputs=o.kept_inputs(found), sha256_of=layer.content_sha256),
                         evaluated, o.config.year, intake, target)


def lists_stage(layer: IncrementalLayer, evaluated: EvaluatedYear, staged: Path, target: Path) -> list[str]:
    """The lists stage through ``layer``: the 上报名单 into the staged year; the names of those found answered."""
    return issue_lists(evaluated.results(), staged, target / SHORTLIST_FOLDER, layer.issue_lists)


def start_summary(o: BuildOptions, layer: IncrementalLayer, report: IntakeReport,
                  evaluated: EvaluatedYear) -> BuildSummary:
    """The build's summary as intake and evaluation leave it; the archive and site stages fill in the rest."""
    return BuildSummary(o.config.year, report, None, o.archive_dir, o.site_dir, workers=o.workers,
                        tally=evaluated.tally, answers=evaluated.answers, cache_hits=layer.intake_hits,
                        files_read=layer.files_read(report))


def site_stage(o: BuildOptions, site_dir: Path, layer: IncrementalLayer, summary: BuildSummary, staged: Path | None,
               target: Path, as_read: YearResults | None) -> None:
    """The site stage through ``layer`` into ``site_dir`` (``o.site_dir``), its figures into ``summary``."""
    published = layer.site(partial(publish_site, o.archive_dir, site_dir, o.strict, staged, target, as_read),
                           o.archive_dir, site_dir, o.strict, staged is not None, still_published)
    summary.pages, summary.site_reused, summary.hall_pages = (published.pages, published.reused,
                                                              published.hall_pages)


@dataclass(frozen=True)
class Sources:
    """What the year is evaluated from besides the returns."""

    standard_path: Path
    standard: Standard
    halls: tuple[Hall, ...]
    overrides: tuple[Override, ...]
    decisions: tuple[Answer, ...]
    rules: Rules


def load_sources(o: BuildOptions, layer: IncrementalLayer) -> Sources:
    """The load stage: standard, register, recorded decisions and answered lists, and the year's rules."""
    standard_path = o.standard_path or DEFAULT_STANDARD
    standard = load_standard(standard_path)
    halls = layer.register(o.register_path)
    overrides = load_overrides(o.overrides_path) if o.overrides_path is not None else ()
    decisions = load_decisions(o.decisions_paths) if o.decisions_paths else ()
    return Sources(standard_path, standard, halls, overrides, decisions, Rules.of(standard, o.config))


def evaluate_stage(inputs: YearInputs) -> YearResults:
    """The evaluation stage: scores, tiers and recognitions of the year (evaluate/year.py)."""
    report = inputs.report
    return evaluate_year(inputs.halls, report.records, inputs.standard, inputs.rules, report.summary(), inputs.overrides,
                    inputs.decisions, report.files, report.replaced)


def nothing_accepted(report: IntakeReport, year: int, paths: Sequence[Path]) -> str:
    """Why a build has no return to score, with the likely cause: a wrong year, a wrong folder, or the returns'
    own problems."""
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


def site_lock(site_dir: Path | None, wait: float) -> AbstractContextManager[object]:
    return BuildLock.for_site(site_dir, wait) if site_dir is not None else nullcontext()


def wait_seconds(wait: float | None) -> float:
    """Seconds a build waits for another build of the same archive (HALLSCORE_LOCK_WAIT, default 10)."""
    if wait is not None:
        return wait
    try:
        return max(0.0, float(os.environ.get("HALLSCORE_LOCK_WAIT", "10")))
    except ValueError:
        return 10.0


def clean_after_killed_builds(o: BuildOptions, layer: IncrementalLayer) -> None:
    """First a commit a killed run left is completed (journal.py), then its leftovers go."""
    recover_year(o.archive_dir)
    clean_archive(o.archive_dir)
    layer.clean()
    if o.site_dir is not None:  # also when the site is kept and build_site (which cleans too) is not called
        site = Path(o.site_dir).resolve()
        clean_leftovers(site.parent, f".{site.name}.build-")
        clean_asides(site.parent, (site.name,), journal=o.archive_dir)


def keep_inputs_apart(decisions_paths: Iterable[Path], archive_dir: Path) -> None:
    """The build rewrites the archive's issued lists: an answer kept among them would be lost, so refuse it."""
    archive = archive_dir.resolve()
    for path in decision_files(decisions_paths or ()):
        if archive in path.resolve().parents:
            raise DecisionError(f"上报名单 {path.name}:放在档案目录 {archive} 中,生成时签发目录会被新签发的名单替换;"
                                f"请把答复的名单复制到档案目录之外再用 --decisions 交回")


def publish_site(archive_dir: Path, site_dir: Path, strict: bool, staged: Path | None, target: Path,
                 as_read: YearResults | None = None) -> SitePublished:
    """The site stage: pages from the archive (every published year is re-derivable from it).

    ``staged``: the year's staged folder, whose place in the archive is ``target``: the site is built from it and
    both are committed together (journal.py); ``as_read``: its results exactly as its results.json reads back
    (archive/store.write_year), taken instead of parsing that file again."""
    years = load_archive(archive_dir, (int(target.name), staged) if staged is not None else None, as_read)
    del as_read
    for year in years:
        year.record  # noqa: B018 (typed once and kept: the pages read nothing else of results.json)
        year.results = {}  # the parsed mapping besides it would be a second copy of the year in memory
    commit = None
    if staged is not None:
        def commit(new_site: Path) -> None:
            commit_year(archive_dir, [(staged, target), (new_site, site_dir)])

    built = build_site(years, site_dir, strict=strict, commit=commit)
    return SitePublished(built["pages"], built.get("hall_pages", {}))


def still_published(site_dir: Path) -> bool:
    """The site is as the last build published it (site/render.py's manifest)."""
    return site_intact(site_dir) is not None


def rebuild_site(archive_dir: Path, site_dir: Path, strict: bool = False, lock_wait: float | None = None) -> int:
    """Pages and site from the archive alone; an archive folder that does not exist is refused (a mistyped path
    would otherwise replace the published site with an empty one)."""
    check_outputs([("档案目录", archive_dir)], [("站点目录", site_dir)])
    check_site_dir(site_dir)
    if not Path(archive_dir).is_dir():
        raise SiteError(f"档案目录 {archive_dir} 不存在或不是文件夹:没有可以生成站点的年度结果;"
                        f"请检查 --archive 的路径(站点未改动)")
    wait = wait_seconds(lock_wait)
    with IncrementalLayer().paused(), BuildLock(archive_dir, wait), BuildLock.for_site(site_dir, wait):
        recover_year(archive_dir)
        clean_leftovers(archive_dir, ".stage-")  # a killed build's staging folder (emptied by the commit)
        years = load_archive(archive_dir)
        if not years:  # a wrong but existing folder: the published site is not replaced by an empty one either
            raise SiteError(f"档案目录 {archive_dir} 中没有任何年度的结果(<年度>/results.json):请检查 --archive 的路径,"
                            f"或先用 hallscore build 生成年度结果(站点未改动)")
        pages: int = build_site(years, site_dir, strict=strict)["pages"]
        return pages
