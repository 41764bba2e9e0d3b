"""The pure pipeline and the pipeline through the incremental layer give the same bytes: results.json, intake.json,
the 上报名单 and every page of the site, after a cold build and after a build in which one return changed, an
answered list came back and a return arrived (incremental_layer.py)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from support.lists import fill_list
from support.returns import YEAR, fill_scoring, make_halls, write_return

from generator.build import BuildOptions, build
from generator.build_summary import BuildSummary
from generator.rules.config import GOOD
from generator.rules.register import write_register

HALLS = make_halls({"广东": 6, "北京": 6})
REVIEW = "市级检查"  # the city's round: its halls are on the 上报名单


def run(register: Path, returns: Path, out: Path, cache: Path | None, answers: tuple[Path, ...] = ()) -> BuildSummary:
    return build(BuildOptions.from_files([returns], register, out / "archive", YEAR, site_dir=out / "site",
                                         cache_dir=cache, decisions_paths=answers))


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def outputs(out: Path) -> dict[str, bytes]:
    """What the year publishes: the archive's year folder but the kept inputs, and the whole site."""
    year = {f"archive/{k}": v for k, v in tree(out / "archive" / str(YEAR)).items() if not k.startswith("输入/")}
    return {**year, **{f"site/{k}": v for k, v in tree(out / "site").items()}}


def test_the_pipeline_with_and_without_the_layer_gives_the_same_bytes(standard, tmp_path):
    register, returns = tmp_path / "register.xlsx", tmp_path / "returns"
    write_register(HALLS, register)
    for n, hall in enumerate(HALLS[:-1]):  # the last hall's return arrives later
        write_return(standard, hall, fill_scoring(standard, 99 - n, round_name=REVIEW), returns)
    layered, cache = tmp_path / "layered", tmp_path / "cache"
    first = run(register, returns, layered, cache)
    run(register, returns, layered, cache)  # nothing changed: everything kept
    assert outputs(layered) == outputs_of_pure(register, returns, tmp_path / "pure-1")
    assert first.files_read == len(HALLS) - 1

    changed = next((returns / REVIEW).rglob(f"{HALLS[3].hall_id}*.xlsx"))
    write_return(standard, HALLS[3], fill_scoring(standard, 60, round_name=REVIEW), changed.parent, name=changed.name)
    write_return(standard, HALLS[-1], fill_scoring(standard, 98.5, round_name=REVIEW), returns)
    lists = sorted((layered / "archive" / str(YEAR) / "上报名单").glob("*良好*.xlsx"))
    assert lists, "the city's round puts each province's halls on a 良好 list"
    # The province answers its 良好 list: 认定 for its best hall (the quota is one).
    best = next(h for h in HALLS if lists[0].name.startswith(f"{h.province}-"))
    answered = fill_list(lists[0], GOOD, {best.hall_id: "认定"}, tmp_path / "answers" / lists[0].name,
                         by="省评审组")
    warm = run(register, returns, layered, cache, (answered,))
    assert warm.files_read == 2 and not warm.site_reused  # only what changed was read again
    pure = tmp_path / "pure-2"
    assert outputs(layered) == outputs_of_pure(register, returns, pure, (answered,))
    assert any(name.startswith("site/") and name.endswith(".html") for name in outputs(pure))


def outputs_of_pure(register: Path, returns: Path, out: Path, answers: tuple[Path, ...] = ()) -> dict[str, bytes]:
    summary = run(register, returns, out, None, answers)
    assert summary.cache_hits == 0 and not summary.site_reused
    return outputs(out)


def test_the_lists_workbooks_are_collected_once_written_while_the_build_pauses_the_collector(standard, tmp_path):
    import gc

    from openpyxl import Workbook
    from support.returns import lose_points

    from generator.evaluate.year import evaluate_year
    from generator.incremental import collector
    from generator.incremental.layer import IncrementalLayer
    from generator.rules.config import Config
    from generator.rules.year_rules import Rules

    halls = make_halls({"甲": 20})
    records = [lose_points(standard, f"H01{n:04d}", REVIEW, Decimal(n)) for n in range(6)]
    results = evaluate_year(halls, records, standard, Rules.of(standard, Config(year=YEAR)))
    assert results.shortlists  # a 良好 list at least: workbooks to write

    def workbooks() -> int:
        return sum(isinstance(o, Workbook) for o in gc.get_objects())

    gc.collect()
    with collector.paused():
        before = workbooks()
        for folder in (None, tmp_path / "cache"):  # without and with a cache folder
            out = tmp_path / f"lists-{folder is None}"
            IncrementalLayer(folder).issue_lists(results, out, tmp_path / "none")
            assert sorted(p.name for p in out.iterdir())  # the lists were written
            # Their openpyxl cycles are gone already, not left for the end of the build.
            assert workbooks() == before


def test_the_heaps_freed_pages_go_back_to_the_system(tmp_path):
    """Large blocks freed below one still held stay in glibc's heap, resident, and Python's small-object arenas
    never reuse them: heap_given_back returns their pages (in a fresh process, with real allocations)."""
    import platform
    import subprocess
    import sys

    import pytest

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("malloc_trim is glibc's")
    script = (
        "from generator.incremental.collector import heap_given_back\n"
        "def rss():\n"
        "    return next(int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmRSS:'))\n"
        "blocks = [bytes(2000) for _ in range(50_000)]\n"  # about 100 MB in the heap, each page touched
        "held = bytes(2000)\n"  # above them: the heap's top cannot shrink past it
        "del blocks\n"
        "freed = rss()\n"
        "heap_given_back()\n"
        "print(freed - rss())\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parent.parent,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 60_000  # kB: most of the 100 MB freed, given back


def test_the_heap_is_left_alone_where_there_is_no_glibc(monkeypatch):
    """On Windows or macOS (no malloc_trim, and no ctypes.CDLL(None) on Windows) the call is a no-op, not an
    error at import."""
    import sys

    from generator.incremental import collector

    monkeypatch.setattr(sys, "platform", "win32")
    assert collector._malloc_trim() is None
    monkeypatch.setattr(collector, "_TRIM", None)
    collector.heap_given_back()
