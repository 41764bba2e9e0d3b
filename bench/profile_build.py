"""Where a warm build's time goes: one build on a work folder bench/bench_pipeline.py left (its inbox, cache and
output), after ``--change N`` self-assessments were sent again with other scores, timed by stage and, with
``--profile``, under cProfile as a tree from each of the pipeline's stages down to the calls that take at least
``--share`` of the build.

    python bench/profile_build.py --data /tmp/national20k --work /tmp/bench-20k --change 1
    python bench/profile_build.py --data /tmp/national20k --work /tmp/bench-20k --change 1 --profile
    python bench/profile_build.py --data /tmp/national20k --work /tmp/bench-20k --change 1 --steps

``--steps`` times, in a plain build, the steps inside the stages named in ``STEPS`` (each function wrapped with a
clock where the module calls it; a name the code no longer has is said and left out).

Each run changes other returns (``--seed``), so two runs in a row both see a change. A profiled build runs
slower than a plain one (the profiler's own cost per call): read its shares, and take the seconds from a plain
run. The work folder's inbox holds hard links to the dataset; a changed return replaces its link, never writes
through it. Prints Markdown.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import importlib
import pstats
import random
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_pipeline import YEAR, self_assessments, send_again  # noqa: E402 (beside this script)

from generator.build import BuildOptions, build  # noqa: E402
from generator.rules.standard_load import load_standard  # noqa: E402

STAGES = ("load_sources", "intake_stage", "scoring_stage", "archive_stage", "lists_stage", "site_stage")
Func = tuple[str, int, str]  # pstats' key of a function: file, line, name
# The steps inside the stages, by the module that calls them (bench only: these names may move with the code).
STEPS = {
    "generator.intake.run": ("_check_entries", "MailInputs", "_statuses", "_settle_duplicates"),
    "generator.evaluate.year": ("_cases", "assign_tiers", "recognise", "average_gaps"),
    "generator.archive.year": ("write_year", "store_inputs"),
    "generator.site.render": ("attach_application", "_reusable_site", "_year_files", "_write_pages",
                              "_mkdocs_config", "_mkdocs_build", "_stamp", "link_unchanged", "_publish"),
}


def clock_steps(spent: dict[str, float]) -> list[str]:
    """Each of ``STEPS`` wrapped so that its seconds add up in ``spent``; the names not found."""
    missing = []
    for module_name, names in STEPS.items():
        module = importlib.import_module(module_name)
        for name in names:
            func = getattr(module, name, None)
            if not callable(func):
                missing.append(f"{module_name}.{name}")
                continue
            setattr(module, name, _clocked(func, f"{module_name.rsplit('.', 1)[1]}.{name}", spent))
    return missing


def _clocked(func: Callable[..., Any], label: str, spent: dict[str, float]) -> Callable[..., Any]:
    @functools.wraps(func)
    def clocked(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

    return clocked


def change_returns(data: Path, inbox: Path, count: int, seed: int) -> list[Path]:
    """``count`` self-assessments of halls in the register, spread over the inbox, written again with other
    scores (a new file in place of each hard link)."""
    halls, returns = self_assessments(data, inbox)
    rng, standard = random.Random(seed), load_standard()
    changed = rng.sample(returns, count)
    for target in changed:
        send_again(standard, halls[target.name.split("_", 1)[0]], target, random.Random(rng.random()),
                   rng.choice((0.4, 0.6, 0.9)))
    return changed


def callees(stats: dict[Func, Any]) -> dict[Func, dict[Func, float]]:
    """Each function's callees with the cumulative seconds spent in them from it (pstats keeps callers only)."""
    out: dict[Func, dict[Func, float]] = {}
    for func, (_cc, _nc, _tt, _ct, callers) in stats.items():
        for caller, (_ccc, _cnc, _ctt, cct) in callers.items():
            out.setdefault(caller, {})[func] = cct
    return out


def tree(stats: dict[Func, Any], below: dict[Func, dict[Func, float]], root: Func, floor: float,
         depth: int = 7) -> Iterator[tuple[int, Func, float]]:
    """(depth, function, cumulative seconds) from ``root`` down, heaviest first, calls of at least ``floor`` s;
    ``below``: :func:`callees` of ``stats``."""

    def walk(func: Func, seconds: float, level: int, seen: frozenset[Func]) -> Iterator[tuple[int, Func, float]]:
        yield level, func, seconds
        if level >= depth:
            return
        for child, spent in sorted(below.get(func, {}).items(), key=lambda kv: -kv[1]):
            if spent >= floor and child not in seen:
                yield from walk(child, spent, level + 1, seen | {child})

    yield from walk(root, stats[root][3], 0, frozenset({root}))


def label(func: Func) -> str:
    """A function as ``module-path:name``, the package's own shown from its root."""
    path, _line, name = func
    for marker in ("/generator/", "/site-packages/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1] if marker != "/generator/" else "generator/" + path.split(marker, 1)[1]
            break
    return f"{path}:{name}" if path != "~" else name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with register.xlsx (bench/make_national.py)")
    parser.add_argument("--work", type=Path, required=True, help="a work folder bench/bench_pipeline.py left")
    parser.add_argument("--change", type=int, default=1, help="self-assessments to send again before the build")
    parser.add_argument("--seed", type=int, default=None, help="which returns change (default: from the clock)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="run the build under cProfile and print the tree")
    parser.add_argument("--steps", action="store_true", help="time the steps inside the stages (STEPS)")
    parser.add_argument("--share", type=float, default=0.03, help="smallest share of the build shown in the tree")
    args = parser.parse_args()
    work, inbox = args.work, args.work / "inbox"
    seed = time.time_ns() if args.seed is None else args.seed
    changed = change_returns(args.data, inbox, args.change, seed) if args.change else []
    options = BuildOptions.from_files([inbox], args.data / "register.xlsx", work / "out" / "archive", YEAR,
                                      site_dir=work / "out" / "site", workers=args.workers, cache_dir=work / "cache")
    spent: dict[str, float] = {}
    missing = clock_steps(spent) if args.steps else []
    profiler = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    summary = build(options)
    if profiler is not None:
        profiler.disable()
    wall = time.perf_counter() - started
    print(f"- {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {len(changed)} returns changed (seed {seed}); "
          f"{'profiled' if profiler else 'plain'} build {wall:.2f} s; files read {summary.files_read}")
    print("- stages, wall s: " + ", ".join(f"{k} {v:.2f}" for k, v in summary.seconds.items()))
    if spent or missing:
        print("- steps, wall s: " + ", ".join(f"{k} {v:.2f}" for k, v in spent.items())
              + (f"; not found: {', '.join(missing)}" if missing else ""))
    if profiler is None:
        return
    stats: dict[Func, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    below = callees(stats)
    print("\n| call (profiled) | cumulative s | share |\n| --- | ---: | ---: |")
    for root in sorted((f for f in stats if f[2] in STAGES and f[0].endswith("generator/build.py")),
                       key=lambda f: STAGES.index(f[2])):
        for level, func, seconds in tree(stats, below, root, args.share * wall):
            print(f"| {'· ' * level}{label(func)} | {seconds:.2f} | {seconds / wall:.0%} |")


if __name__ == "__main__":
    main()
