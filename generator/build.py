"""The main job, as named stages: returns → intake → scoring and tiering → results → pages → site.

Each stage takes the value the previous one gave; the CLI decides where the files are.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config, load_config
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


def validate(paths, register_path, year: int, standard_path=None) -> IntakeReport:
    """Intake only: what `hallscore validate` reports."""
    standard = load_standard(standard_path)
    halls = load_register(register_path)
    return run_intake(paths, standard, halls, year)


def build(paths, register_path, year: int | None, archive_dir, site_dir=None, standard_path=None,
          config: Config | None = None, strict: bool = False, config_path=None,
          overrides_path=None, year_explicit: bool = True) -> BuildSummary:
    """Run the whole pipeline for one year; ``site_dir=None`` stops after the archive (score only).

    ``config_path`` is a TOML configuration (its ``year`` wins over a ``year`` that was not given explicitly,
    ``year_explicit=False``, and must agree with an explicit one); ``overrides_path`` a file
    of recorded decisions. The 上报名单 workbooks go into ``archive/<year>/上报名单/``, next to results.json.
    """
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = now - clock
        clock = now

    if config_path is not None:
        config = load_config(config_path, year if year_explicit else None, default_year=year)
    config = config or Config(year=year)
    year = config.year
    standard_path = Path(standard_path) if standard_path else DEFAULT_STANDARD
    standard = load_standard(standard_path)
    halls = load_register(register_path)
    overrides = load_overrides(overrides_path) if overrides_path is not None else ()
    lap("load")
    # Intake first: it needs nothing but the inputs, and its report is part of the record.
    report = run_intake(paths, standard, halls, year)
    lap("intake")
    intake = report.to_dict()
    results = evaluate(halls, report.records, standard, config, intake["summary"], overrides)
    lap("scoring")
    archive_dir = Path(archive_dir)
    folder = save_year(archive_dir, results, intake, standard_path)
    _replace_shortlists(results, folder / SHORTLIST_FOLDER)
    lap("archive")
    summary = BuildSummary(year, report, results, archive_dir, Path(site_dir) if site_dir else None, seconds=seconds)
    if site_dir is not None:
        # Pages come from the archive, not from memory: every published year is re-derivable from it.
        built = build_site(load_archive(archive_dir), site_dir, strict=strict)
        summary.pages = built["pages"]
        lap("site")
    return summary


def _replace_shortlists(results: dict, folder: Path) -> None:
    """Write this run's lists and drop a province's list left over from an earlier run."""
    written = set(write_shortlists(results, folder))
    if folder.is_dir():
        for old in folder.glob("*.xlsx"):
            if old not in written:
                old.unlink()


def rebuild_site(archive_dir, site_dir, strict: bool = False) -> int:
    """Pages and site from the archive alone."""
    return build_site(load_archive(archive_dir), site_dir, strict=strict)["pages"]
