"""Make a national benchmark dataset: a register of N halls and their returned workbooks.

Every workbook is written by openpyxl from the real template builder and filled by the demo's inspector model
(generator.demo.plan_fill/apply_fill), so each file is a distinct, realistic return: its own hall data, scores,
reasons, events and dates. No file is a copy of another, except the few sent twice on purpose. About 1 % of
returns carry a typical fault, about 25 % of halls also have a city inspection, a few halls send nothing.

Smaller sets for the growth curve are taken from the big one: ``--subsets 1000,5000`` writes
``subset-1000/`` with a register of every k-th hall (so all provinces stay in) and hard links to those halls'
returns. Usage:

    python bench/make_national.py --halls 20000 --out /tmp/national --subsets 1000,5000
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from generator.demo import Fill
    from generator.rules.register import Hall
    from generator.rules.standard import Standard

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.demo import FAULTS, ROUND_CITY, ROUND_SELF, make_register, plan_fill, write_planned_return  # noqa: E402
from generator.rules.register import write_register  # noqa: E402
from generator.rules.standard_load import load_standard  # noqa: E402
from generator.workbooks.forms import template_path  # noqa: E402

YEAR = 2025


def plan(halls: list[Hall], standard: Standard, seed: int,
         fault_rate: float = 0.01) -> list[tuple[Hall, Fill, str | None, Path]]:
    """One job per return: (hall, fill, fault, relative path)."""
    rng = random.Random(seed + 1)
    jobs = []
    for hall in halls:
        if rng.random() >= 0.97:
            continue  # this hall sent nothing
        fill = plan_fill(standard, hall, YEAR, rng)
        fault = rng.choice(FAULTS) if rng.random() < fault_rate else None
        jobs.append((hall, fill, fault, template_path(Path(ROUND_SELF), hall)))
        if rng.random() < 0.25:
            review = plan_fill(standard, hall, YEAR, rng, ROUND_CITY, quality=0.85)
            jobs.append((hall, review, None, template_path(Path(ROUND_CITY), hall)))
    return jobs


_STANDARD: Standard | None = None


def _init(standard: Standard) -> None:
    global _STANDARD
    _STANDARD = standard


def _write(job):
    hall, fill, fault, path = job
    return write_planned_return((_STANDARD, hall, YEAR, fill, fault, path, datetime(YEAR, 1, 1, tzinfo=UTC)))


def make(count: int, out: Path, seed: int, workers: int) -> dict[str, Any]:
    standard = load_standard()
    halls = make_register(count, seed)
    out.mkdir(parents=True, exist_ok=True)
    write_register(halls, out / "register.xlsx")
    returns = out / "returns"
    jobs = [(h, f, fault, returns / rel) for h, f, fault, rel in plan(halls, standard, seed)]
    started = time.perf_counter()
    done = 0
    with ProcessPoolExecutor(max_workers=workers, initializer=_init, initargs=(standard,)) as pool:
        for _ in pool.map(_write, jobs, chunksize=32):
            done += 1
            if done % 1000 == 0:
                print(f"  {done}/{len(jobs)} workbooks, {time.perf_counter() - started:.0f}s", file=sys.stderr)
    # What a real inbox also holds: one return sent twice, a note, an office lock file.
    first = jobs[0][3]
    (returns / "重复发送").mkdir(exist_ok=True)
    shutil.copyfile(first, returns / "重复发送" / first.name)
    (returns / "说明.txt").write_text("请查收本省各厅的检查表。\n", encoding="utf-8")
    (returns / f"~${halls[0].hall_id}.xlsx").write_bytes(b"")
    return {"halls": halls, "jobs": jobs, "seconds": time.perf_counter() - started}


def subset(made: dict[str, Any], out: Path, size: int) -> Path:
    """Every k-th hall of the big set and hard links to its returns."""
    halls = made["halls"]
    step = len(halls) / size
    chosen = [halls[int(i * step)] for i in range(size)]
    ids = {h.hall_id for h in chosen}
    folder = out / f"subset-{size}"
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "returns").mkdir(parents=True)
    write_register(chosen, folder / "register.xlsx")
    for hall, _, _, path in made["jobs"]:
        if hall.hall_id in ids:
            target = folder / "returns" / path.relative_to(out / "returns")
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target)
    (folder / "returns" / "说明.txt").write_text("请查收本省各厅的检查表。\n", encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--halls", type=int, default=20000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--subsets", default="", help="comma-separated sizes, e.g. 1000,5000")
    args = parser.parse_args()
    if (args.out / "returns").exists():
        shutil.rmtree(args.out / "returns")
    made = make(args.halls, args.out, args.seed, args.workers)
    print(f"{args.halls} halls, {len(made['jobs'])} returns written in {made['seconds']:.0f}s → {args.out}")
    for size in [int(s) for s in args.subsets.split(",") if s.strip()]:
        print(f"subset of {size} halls → {subset(made, args.out, size)}")


if __name__ == "__main__":
    main()
