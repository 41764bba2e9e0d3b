"""The archive: one folder per year (``archive/<Y>/``) holding results.json, intake.json and the standard used.

``save_year`` writes a year's record (the typed year through codec.py, the intake report, the standard) and
``load_archive`` reads every archived year back, from which every page can be rebuilt. ``evaluate`` gives the
evaluated year as results.json holds it (the mapping tests and byte comparisons read).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.archive import codec as record_io
from generator.archive.lines import keep_line_keys, line_key, read_lines
from generator.errors import SiteError
from generator.evaluate.decisions import Answer
from generator.evaluate.overrides import Override
from generator.evaluate.year import evaluate_year
from generator.fs.files import write_chunks_atomic
from generator.intake.run import FileStatus, ReturnRecord
from generator.model import YearResults
from generator.rules.config import Config
from generator.rules.register import Hall
from generator.rules.standard import Standard
from generator.rules.standard_load import archived_text, load_standard
from generator.rules.year_rules import Rules

RESULTS_FILE = "results.json"
INTAKE_FILE = "intake.json"
STANDARD_FILE = "standard.yaml"


def evaluate(halls: Sequence[Hall], records: Iterable[ReturnRecord], standard: Standard, config: Config | Rules,
             intake_summary: Mapping[str, Any] | None = None, overrides: Sequence[Override] = (),
             decisions: Sequence[Answer] = (), files: Sequence[FileStatus] = (),
             replaced: Sequence[ReturnRecord] = ()) -> dict[str, Any]:
    """The year :func:`evaluate_year.evaluate_year` gives, as results.json holds it (record.to_json)."""
    rules = config if isinstance(config, Rules) else Rules.of(standard, config)
    return record_io.to_json(evaluate_year(halls, records, standard, rules, intake_summary, overrides, decisions,
                                           files, replaced))


@dataclass
class YearData:
    """One archived year as read back: results.json's mapping, its intake report and the standard used."""

    year: int
    results: dict[str, Any]  # results.json's mapping, upgraded to this version
    intake: dict[str, Any]
    standard: Standard | None
    source: str = "results.json"  # where the results were read from, for messages
    lines: list[str] | None = None  # each hall's line in the file (read_lines), until the year is typed

    @functools.cached_property
    def record(self) -> YearResults:
        """The same results typed (codec.py): attributes and exact Decimal scores; each row typed from a line of
        the file keeps that line's key (lines.py)."""
        record = record_io.from_json(self.results, self.source)
        if self.lines is not None and len(self.lines) == len(record.halls):
            keep_line_keys(record.halls, map(line_key, record.halls, self.lines))
        self.lines = None
        return record


def save_year(archive: str | Path, results: YearResults | dict[str, Any], intake: dict[str, Any],
              standard_path: str | Path, previous: str | Path | None = None) -> Path:
    """Write a year's record (results, intake report, the standard used) into ``archive/<year>/``.

    ``results``: the typed year, or the mapping of a results.json read back unchanged (a build that reuses it).
    A file whose bytes are those of the same file in ``previous`` (the year's folder as it stands) is a hard
    link to it, not written again.
    """
    return write_year(archive, results, intake, standard_path, previous)[0]


def write_year(archive: str | Path, results: YearResults | dict[str, Any], intake: dict[str, Any],
               standard_path: str | Path, previous: str | Path | None = None) -> tuple[Path, YearResults | None]:
    """:func:`save_year`, giving also the typed year exactly as :func:`load_archive` would read it back from
    the folder (codec.save_as_read), so that the site need not parse what was just written; None when it must
    be read back (an untyped or older year)."""
    folder = Path(archive) / str(results.year if isinstance(results, YearResults) else results["year"])

    def same(name: str) -> Path | None:
        return Path(previous) / name if previous is not None else None

    as_read = None
    if isinstance(results, YearResults):
        as_read = record_io.save_as_read(folder / RESULTS_FILE, results, same(RESULTS_FILE))
    else:
        record_io.save(folder / RESULTS_FILE, results, same(RESULTS_FILE))
    write_chunks_atomic(folder / INTAKE_FILE, record_io.dump_chunks(intake), same(INTAKE_FILE))
    write_chunks_atomic(folder / STANDARD_FILE, [archived_text(standard_path).encode("utf-8")], same(STANDARD_FILE))
    return folder, as_read


def load_archive(archive: str | Path, staged: tuple[int, Path] | None = None,
                 held: YearResults | None = None) -> list[YearData]:
    """Every archived year, latest first; ``staged``: (year, folder) read in place of the archive's folder of that
    year (the state a build is about to commit); ``held``: the staged year's results as :func:`write_year` gave
    them (exactly what its results.json reads back as), taken instead of reading that file again."""
    years: list[YearData] = []
    root = Path(archive)
    if not root.is_dir():
        return years
    folders = [f for f in root.iterdir() if staged is None or f.name != str(staged[0])]
    if staged is not None:
        folders.append(staged[1])
    for folder in folders:
        if folder.is_dir() and folder.name.isdigit() and (folder / RESULTS_FILE).is_file():
            mine = held if staged is not None and folder == staged[1] else None
            # version checked, older ones upgraded
            results, lines = _load(folder / RESULTS_FILE) if mine is None else ({}, None)
            try:
                intake_path = folder / INTAKE_FILE
                intake = json.loads(intake_path.read_text(encoding="utf-8")) if intake_path.is_file() else {}
            except (OSError, ValueError, RecursionError):  # a hand-edited or damaged record: say which
                raise SiteError(f"档案 {folder / INTAKE_FILE} 无法读取(不是有效的 JSON 或嵌套过深):该文件已损坏或被"
                                f"手工改动;请从备份恢复,或用 hallscore build 重新生成该年度") from None
            files = intake.get("files", []) if isinstance(intake, dict) else None
            if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
                raise SiteError(f"档案 {folder / INTAKE_FILE} 不是 hallscore 写的校验报告:请从备份恢复,"
                                f"或用 hallscore build 重新生成该年度")
            standard = load_standard(folder / STANDARD_FILE) if (folder / STANDARD_FILE).is_file() else None
            year = YearData(int(folder.name), results, intake, standard, str(folder / RESULTS_FILE), lines)
            if mine is not None:
                year.__dict__["record"] = mine  # functools.cached_property's own slot
            year.record  # noqa: B018 (typed and checked here: a damaged year is named before anything is built)
            years.append(year)
    return sorted(years, key=lambda y: -y.year)


def _load(path: Path) -> tuple[dict[str, Any], list[str] | None]:
    """record_io.load, a hall line at a time when the file is laid out so (lines.read_lines): with the lines."""
    try:
        got = read_lines(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        got = None
    if got is None:
        return record_io.load(path), None  # names what is wrong, if anything
    return record_io.checked(got[0], str(path)), got[1]
