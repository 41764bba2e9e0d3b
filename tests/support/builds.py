"""Ways a test runs a build: through the library, through the CLI in-process, or as `hallscore` in a process of
its own (for tests that kill it)."""

from __future__ import annotations

import sys
from pathlib import Path

from click.testing import CliRunner, Result

from generator.build import BuildOptions, build
from generator.build_summary import BuildSummary
from generator.cli.app import main
from support.returns import YEAR


def build_year(register: Path, returns: Path, out: Path, cache: Path | None, site: bool = False,
               workers: int = 1) -> BuildSummary:
    """One build of YEAR from ``returns`` into ``out``/archive (and ``out``/site with ``site``)."""
    return build(BuildOptions.from_files([returns], register, out / "archive", YEAR,
                                         site_dir=out / "site" if site else None, cache_dir=cache, workers=workers))


def invoke(*args: object) -> Result:
    """The CLI run in-process with these arguments (paths and numbers written as text)."""
    return CliRunner().invoke(main, [str(a) for a in args])


def build_command(tmp_path: Path, register: Path, returns: str) -> list[str]:
    """`python -m generator.cli build` of ``tmp_path``/``returns`` into ``tmp_path``/archive and site, one worker."""
    return [sys.executable, "-m", "generator.cli", "build", str(tmp_path / returns), "--register", str(register),
            "--year", str(YEAR), "--archive", str(tmp_path / "archive"), "--site-dir", str(tmp_path / "site"),
            "--workers", "1"]
