"""The main job, as named stages: returns → intake → scoring and tiering → results → pages → site.

Each stage takes the value the previous one gave; the CLI decides where the files are.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .intake import IntakeReport, run_intake
from .register import load_register
from .results import evaluate, load_archive, save_year
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


def build(paths, register_path, year: int, archive_dir, site_dir=None, standard_path=None,
          config: Config | None = None, strict: bool = False) -> BuildSummary:
    """Run the whole pipeline for one year; ``site_dir=None`` stops after the archive (score only)."""
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = now - clock
        clock = now

    standard_path = Path(standard_path) if standard_path else DEFAULT_STANDARD
    standard = load_standard(standard_path)
    halls = load_register(register_path)
    config = config or Config(year=year)
    lap("load")
    # Intake first: it needs nothing but the inputs, and its report is part of the record.
    report = run_intake(paths, standard, halls, year)
    lap("intake")
    intake = report.to_dict()
    results = evaluate(halls, report.records, standard, config, intake["summary"])
    lap("scoring")
    archive_dir = Path(archive_dir)
    save_year(archive_dir, results, intake, standard_path)
    lap("archive")
    summary = BuildSummary(year, report, results, archive_dir, Path(site_dir) if site_dir else None, seconds=seconds)
    if site_dir is not None:
        # Pages come from the archive, not from memory: every published year is re-derivable from it.
        built = build_site(load_archive(archive_dir), site_dir, strict=strict)
        summary.pages = built["pages"]
        lap("site")
    return summary


def rebuild_site(archive_dir, site_dir, strict: bool = False) -> int:
    """Pages and site from the archive alone."""
    return build_site(load_archive(archive_dir), site_dir, strict=strict)["pages"]
