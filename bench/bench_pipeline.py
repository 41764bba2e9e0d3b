"""Time the pipeline on a dataset made by bench/make_national.py: per stage wall and CPU seconds, rate, peak
memory of the whole process tree, site and search index size; a cold build, then a second build with unchanged
inputs (cache warm), a third, one after one return changed and one after 100 returns arrived, an openpyxl
read-only loop over the same files beside our reader, and scoring and tiering alone on the same records
(``evaluate`` three times: on a busy host one cold stage says little), in the same run. Each build runs in a
process of its own, as `hallscore build` does, and its memory is sampled there (process tree, by stage).

    python bench/bench_pipeline.py --data /tmp/national/subset-1000 --work /tmp/bench-1000 --workers 2

The openpyxl loop is single-process, as are the "our reader" and python-calamine loops beside it;
``--baseline-sample N`` limits them to N files spread over the set (every k-th), since openpyxl needs minutes for
20,000. python-calamine is the bench extra (``pip install -e '.[bench]'``), never a dependency of hallscore.
Prints Markdown for docs/benchmarks.md (the headline first: machine, load, date, command, then the figures) and
writes ``<work>/bench.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

try:
    import python_calamine as calamine  # the bench extra: a reference loop only, hallscore never reads with it
except ImportError:
    calamine_module: ModuleType | None = None
else:
    calamine_module = calamine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.build import BuildOptions, build  # noqa: E402
from generator.intake.run import WORKBOOK_SUFFIXES, discover  # noqa: E402
from generator.rules.register import Hall, load_register  # noqa: E402
from generator.rules.standard import Standard  # noqa: E402
from generator.xlsx.reader import read_grids, read_grids_openpyxl  # noqa: E402

YEAR = 2025
Info = dict[str, Any]  # what bench.json holds: plain JSON values


class PeakMemory:
    """Peak resident memory of this process and all its descendants together, sampled every 50 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self.peak_pss = 0  # proportional: pages shared by the forked intake workers counted once in all
        self.stage = "load"  # set from the build's progress callback: which stage the peak fell in
        self.stage_pss: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, pss = tree_rss(os.getpid()), tree_pss(os.getpid())
            self.peak, self.peak_pss = max(self.peak, rss), max(self.peak_pss, pss)
            self.stage_pss[self.stage] = max(self.stage_pss.get(self.stage, 0), pss)
            self._stop.wait(0.05)


def tree_rss(pid: int) -> int:
    """Sum of VmRSS over the process tree."""
    total, stack = 0, [pid]
    while stack:  # /proc: VmRSS of each process, children from /proc/<pid>/task/*/children
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            pass
    return total


def tree_pss(pid: int) -> int:
    """Sum of Pss over the process tree (/proc/<pid>/smaps_rollup); 0 where the kernel does not offer it."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
                    break
            for task in Path(f"/proc/{p}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            pass
    return total


def cpu_seconds() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def read_calamine(path: Path) -> None:
    """Every sheet's values, as python-calamine gives them (no formulas, numbers as floats)."""
    assert calamine_module is not None
    workbook = calamine_module.CalamineWorkbook.from_path(str(path))
    for name in workbook.sheet_names:
        workbook.get_sheet_by_name(name).to_python()


def reader_loops(files: list[Path]) -> Info:
    """Single-process loops over the same files: openpyxl read-only (the old reader), ours and python-calamine
    (None when the bench extra is not installed)."""
    out: Info = {}
    loops: list[tuple[str, Callable[[Path], object]]] = [("openpyxl", read_grids_openpyxl), ("ours", read_grids)]
    if calamine_module is not None:
        loops.append(("calamine", read_calamine))
    for label, func in loops:
        started, cpu0 = time.perf_counter(), cpu_seconds()
        for path in files:
            func(path)
        wall = time.perf_counter() - started
        out[label] = {"files": len(files), "wall": wall, "cpu": cpu_seconds() - cpu0, "rate": len(files) / wall}
    out.setdefault("calamine", None)
    return out


def link_returns(data: Path, inbox: Path, held: int) -> list[tuple[Path, Path]]:
    """The dataset's returns hard-linked into ``inbox`` (files are replaced, never written through), but for
    ``held`` workbooks spread over the set, kept back for the "returns arrived" build; those come back as
    (source, target) pairs."""
    files = sorted(p for p in (data / "returns").rglob("*") if p.is_file())
    workbooks = [p for p in files if p.suffix == ".xlsx" and not p.name.startswith("~$") and "重复发送" not in p.parts]
    step = max(1, len(workbooks) // held) if held else 0
    keep_back = set(workbooks[step // 2::step][:held]) if held else set()
    pairs = []
    for path in files:
        target = inbox / path.relative_to(data / "returns")
        if path in keep_back:
            pairs.append((path, target))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, target)
    return pairs


def change_one_return(data: Path, inbox: Path) -> Path:
    """One hall resends its self-assessment with other scores: a new file in place of the linked one."""
    from generator.rules.standard_load import load_standard

    halls, returns = self_assessments(data, inbox)
    target = returns[0]
    send_again(load_standard(), halls[target.name.split("_", 1)[0]], target, random.Random(99), 0.6)
    return target


def self_assessments(data: Path, inbox: Path) -> tuple[dict[str, Hall], list[Path]]:
    """The register's halls by id, and the self-assessments in ``inbox`` of halls in it, sorted."""
    halls = {h.hall_id: h for h in load_register(data / "register.xlsx")}
    return halls, [p for p in sorted((inbox / "自评").rglob("*.xlsx")) if p.name.split("_", 1)[0] in halls]


def send_again(standard: Standard, hall: Hall, target: Path, rng: random.Random, quality: float) -> None:
    """``hall``'s self-assessment at ``target`` written again against ``standard``, with scores drawn from ``rng``."""
    from generator.demo import plan_fill, write_planned_return

    fill = plan_fill(standard, hall, YEAR, rng, quality=quality)
    target.unlink()  # a hard link to the dataset: never write through it
    write_planned_return((standard, hall, YEAR, fill, None, target, datetime(YEAR, 6, 1, tzinfo=UTC)))


def inodes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_ino for p in folder.glob("*.html")} if folder.is_dir() else {}


def scoring_loop(data: Path, inbox: Path, cache: Path, workers: int, repeats: int = 3) -> Info:
    """The evaluation stage alone (evaluate_year: scoring, tiering, recognition; what the build's scoring stage
    runs, without results.json's encoding), ``repeats`` times on the same records (the intake from the warm cache,
    as `hallscore validate` reads it), each with the cyclic collector paused as in a build: its best and median,
    less at the mercy of a busy host than the one cold stage."""
    import statistics

    from generator.build import validate
    from generator.evaluate.year import evaluate_year
    from generator.incremental.collector import paused
    from generator.rules.config import Config
    from generator.rules.register import load_register
    from generator.rules.standard_load import load_standard
    from generator.rules.year_rules import Rules

    report = validate([inbox], data / "register.xlsx", YEAR, workers=workers, cache_dir=cache)
    standard, halls = load_standard(), load_register(data / "register.xlsx")
    rules, summary, times = Rules.of(standard, Config(year=YEAR)), report.summary(), []
    count = 0
    for _ in range(repeats):
        with paused():
            started = time.perf_counter()
            results = evaluate_year(halls, report.records, standard, rules, summary, (), (), report.files,
                                    report.replaced)
            times.append(time.perf_counter() - started)
        count = len(results.halls)
        del results  # the next run does not hold two years at once
    return {"halls": count, "best": min(times), "median": statistics.median(times), "repeats": repeats,
            "rate_best": count / min(times), "rate_median": count / statistics.median(times)}


def run_build(data: Path, work: Path, workers: int, cache: Path, inbox: Path | None = None) -> Info:
    """One build in a fresh process, as `hallscore build` is run: memory an earlier build left in this process
    (Python keeps freed arenas) would otherwise be counted in the next build's peak."""
    out = work.parent / f".one-build-{time.monotonic_ns()}.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--one-build", str(out), "--data", str(data),
               "--work", str(work), "--workers", str(workers), "--cache", str(cache)]
    if inbox is not None:
        command += ["--inbox", str(inbox)]
    launched = time.time()
    subprocess.run(command, check=True)
    info: Info = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    # From the launch to the end of build() in the child: with the interpreter's start and the imports, without
    # the bench's own counting of the site afterwards.
    info["process_wall"] = info.pop("build_end") - launched
    return info


def one_build(data: Path, work: Path, workers: int, cache: Path, inbox: Path | None) -> Info:
    """The measured build itself (run in the child process)."""
    archive, site = work / "archive", work / "site"
    halls_dir = site / str(YEAR) / "halls"
    before = inodes(halls_dir)
    started, cpu0 = time.perf_counter(), cpu_seconds()
    with PeakMemory() as mem:
        def progress(stage: str, done: int, total: int | None) -> None:
            mem.stage = stage

        summary = build(BuildOptions.from_files([inbox or data / "returns"], data / "register.xlsx", archive, YEAR,
                                                site_dir=site, workers=workers, cache_dir=cache), progress=progress)
    wall, build_end, cpu = time.perf_counter() - started, time.time(), cpu_seconds() - cpu0
    files = len(summary.intake.files)
    # A hall page kept from the last site is the same file (hard link); a written one has a new inode.
    written = sum(1 for name, ino in inodes(halls_dir).items() if before.get(name) != ino)
    halls = summary.tally.halls
    hall_pages = sum(1 for _ in (site / str(YEAR) / "halls").glob("*.html"))
    index = site / "search" / "search_index.json"
    stages = {}
    for stage, seconds in summary.seconds.items():
        count = {"intake": files, "scoring": halls, "site": summary.pages}.get(stage)
        stages[stage] = {"wall": seconds, "cpu": summary.cpu_seconds.get(stage, 0.0),
                         "rate": (count / seconds) if count and seconds else None,
                         "peak_pss": mem.stage_pss.get(stage, 0)}
    return {
        "wall": wall, "build_end": build_end, "cpu": cpu, "peak_rss": mem.peak, "peak_pss": mem.peak_pss, "files": files,
        "halls": halls, "accepted": summary.intake.counts["accepted"], "rejected": summary.intake.counts["rejected"],
        "files_read": summary.files_read, "cache_hits": summary.cache_hits, "pages": summary.pages,
        "site_reused": summary.site_reused, "hall_pages_written": written, "stamp": summary.hall_pages,
        "hall_pages": hall_pages, "stages": stages, "site_bytes": dir_size(site),
        "search_index_bytes": index.stat().st_size if index.exists() else 0,
        "results_json": hashlib.sha256((archive / str(YEAR) / "results.json").read_bytes()).hexdigest(),
    }


def machine() -> Info:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    load = os.getloadavg()
    return {"nproc": os.cpu_count(), "cpu": model, "ram_gb": round(mem_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "load_before": [round(x, 2) for x in load]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with register.xlsx and returns/")
    parser.add_argument("--work", type=Path, required=True, help="scratch folder (emptied first)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--baseline-sample", type=int, default=2000,
                        help="files for the single-process reader loops (0: all)")
    parser.add_argument("--arrive", type=int, default=100,
                        help="returns held back from the first builds and added for the last one")
    parser.add_argument("--one-build", type=Path, help=argparse.SUPPRESS)  # internal: run_build's child
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--inbox", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_build is not None:
        info = one_build(args.data, args.work, args.workers, args.cache, args.inbox)
        args.one_build.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
        return
    if args.work.exists():
        shutil.rmtree(args.work)
    args.work.mkdir(parents=True)
    info = {"machine": machine(), "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "command": " ".join(["python"] + sys.argv), "workers": args.workers}
    workbooks = [p for p, _ in discover([args.data / "returns"])
                 if p.suffix.lower() in WORKBOOK_SUFFIXES and p.stat().st_size and not p.name.startswith("~$")]
    sample = workbooks
    if args.baseline_sample and len(workbooks) > args.baseline_sample:
        step = len(workbooks) / args.baseline_sample
        sample = [workbooks[int(i * step)] for i in range(args.baseline_sample)]
    # Warm the page cache for every run alike, so the first measured stage is not paying for disk reads.
    for path in workbooks:
        path.read_bytes()
    info["readers"] = reader_loops(sample)
    cache, inbox = args.work / "cache", args.work / "inbox"
    held = link_returns(args.data, inbox, args.arrive)
    # The second build is what happens when the build is simply run again: same archive, same site, same cache.
    cold = run_build(args.data, args.work / "out", args.workers, cache, inbox)
    warm = run_build(args.data, args.work / "out", args.workers, cache, inbox)
    info["same_results"] = cold.pop("results_json") == warm.pop("results_json")
    info["cold"], info["warm"] = cold, warm
    # A third run: files the cold build hashed within 2 s of their linking (the cache's racy rule) were hashed
    # again by the second; from here on every file is found by its status.
    info["warm_again"] = run_build(args.data, args.work / "out", args.workers, cache, inbox)
    info["warm_again"].pop("results_json", None)
    # During the collection weeks: one hall resends its return, then a batch of late returns arrives.
    changed = change_one_return(args.data, inbox)
    info["one_changed"] = run_build(args.data, args.work / "out", args.workers, cache, inbox)
    info["one_changed"]["file"] = changed.relative_to(inbox).as_posix()
    for source, target in held:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(source, target)
    info["arrived"] = run_build(args.data, args.work / "out", args.workers, cache, inbox)
    info["arrived"]["count"] = len(held)
    for key in ("one_changed", "arrived"):
        info[key].pop("results_json")
    info["scoring_loop"] = scoring_loop(args.data, inbox, cache, args.workers)
    info["load_after"] = [round(x, 2) for x in os.getloadavg()]
    (args.work / "bench.json").write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    print(report(info))


def mb(size: int | None) -> str:
    return f"{size / 2**20:.0f}" if size else "—"


def rate(loop: Info | None) -> str:
    return f"{loop['rate']:.0f}" if loop else "not installed (pip install -e '.[bench]')"


def headline(info: Info) -> list[str]:
    """What docs/benchmarks.md quotes: where and how it ran, the five builds, peak memory and the intake rates."""
    m, cold, rd = info["machine"], info["cold"], info["readers"]
    builds = [("cold", cold), ("nothing changed (second build)", info["warm"]),
              ("nothing changed (third build)", info.get("warm_again")),
              ("one return changed", info["one_changed"]), (f"{info['arrived']['count']} returns arrived",
                                                            info["arrived"])]
    intake = cold["stages"]["intake"]["rate"]
    calamine = rd.get("calamine")
    return [
        f"### {cold['halls']} halls, {info['date']}",
        "",
        f"- machine: {m['nproc']} CPU ({m['cpu']}), {m['ram_gb']} GB RAM, Python {m['python']}; load average "
        f"before the run {m['load_before']}, after {info['load_after']}",
        f"- date: {info['date']}; command: `{info['command']}`",
        f"- dataset: {cold['halls']} halls, {cold['files']} files ({cold['accepted']} accepted, "
        f"{cold['rejected']} rejected); intake workers: {info['workers']}",
        "",
        "| build | wall s | CPU s | peak PSS MB | files read | hall pages written |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *[f"| {name} | {row['wall']:.2f} | {row['cpu']:.2f} | {mb(row['peak_pss'])} | {row['files_read']} | "
          f"{row['hall_pages_written']} |" for name, row in builds if row is not None],
        "",
        "| files/s | intake of the cold build | our reader loop | openpyxl loop | python-calamine loop |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| rate | {intake:.0f} | {rate(rd['ours'])} | {rate(rd['openpyxl'])} | {rate(calamine)} |",
        "",
        f"- the build's intake checks {cold['files']} files with {info['workers']} workers; the three loops read the "
        f"same {rd['ours']['files']} workbooks in this one process",
        f"- intake ÷ openpyxl loop = **{intake / rd['openpyxl']['rate']:.1f}×**"
        + (f"; intake ÷ python-calamine loop = {intake / calamine['rate']:.1f}×" if calamine else ""),
    ]


def report(info: Info) -> str:
    return "\n".join(headline(info) + ["", "#### Details", ""] + details(info))


def details(info: Info) -> list[str]:
    cold, warm, rd = info["cold"], info["warm"], info["readers"]
    one, arr = info["one_changed"], info["arrived"]
    intake = cold["stages"]["intake"]
    lines = [
        "| stage | wall s | CPU s | rate |",
        "| --- | ---: | ---: | ---: |",
    ]
    units = {"intake": "files/s", "scoring": "halls/s", "site": "pages/s"}
    for stage, row in cold["stages"].items():
        rate = f"{row['rate']:.0f} {units[stage]}" if row["rate"] else ""
        lines.append(f"| {stage} | {row['wall']:.2f} | {row['cpu']:.2f} | {rate} |")
    lines += [
        f"| **whole build (cold)** | **{cold['wall']:.1f}** | {cold['cpu']:.1f} | |",
        f"| whole build (second, unchanged inputs) | {warm['wall']:.1f} | {warm['cpu']:.1f} | "
        f"{cold['wall'] / warm['wall']:.1f}× faster; {warm['cache_hits']} cache hits"
        f"{', site kept' if warm['site_reused'] else ''} |",
        *([f"| whole build (third, unchanged again) | {info['warm_again']['wall']:.1f} | "
           f"{info['warm_again']['cpu']:.1f} | intake {info['warm_again']['stages']['intake']['wall']:.2f} s, "
           f"scoring {info['warm_again']['stages']['scoring']['wall']:.2f} s |"] if "warm_again" in info else []),
        "",
        f"| whole build, one return changed | {one['wall']:.1f} | {one['cpu']:.1f} | {one['files_read']} read, "
        f"{one['hall_pages_written']} hall pages written |",
        f"| whole build, {info['arrived']['count']} returns arrived | {arr['wall']:.1f} | {arr['cpu']:.1f} | "
        f"{arr['files_read']} read, {arr['hall_pages_written']} hall pages written |",
        "",
        "| stage | second build (unchanged) wall / CPU s | one return changed | returns arrived |",
        "| --- | ---: | ---: | ---: |",
        *[f"| {stage} | {row['wall']:.2f} / {row['cpu']:.2f} | {one['stages'][stage]['wall']:.2f} / "
          f"{one['stages'][stage]['cpu']:.2f} | {arr['stages'][stage]['wall']:.2f} / {arr['stages'][stage]['cpu']:.2f} |"
          for stage, row in warm["stages"].items() if stage in one["stages"] and stage in arr["stages"]],
        "",
        f"- intake: {intake['rate']:.0f} workbooks/s with {info['workers']} workers; single-process reader loops "
        f"over {rd['openpyxl']['files']} of the same files: openpyxl read-only {rd['openpyxl']['rate']:.0f}/s, "
        f"ours {rd['ours']['rate']:.0f}/s" + (f", python-calamine {rd['calamine']['rate']:.0f}/s (reference)"
                                              if rd.get("calamine") else "")
        + f"; intake ÷ openpyxl loop = **{intake['rate'] / rd['openpyxl']['rate']:.1f}×**",
        *([f"- scoring and tiering alone (evaluate() on the last build's records in this process, "
           f"{info['scoring_loop']['repeats']} runs): best {info['scoring_loop']['rate_best']:.0f} halls/s, "
           f"median {info['scoring_loop']['rate_median']:.0f} halls/s"] if "scoring_loop" in info else []),
        f"- peak memory (process tree): cold {cold['peak_rss'] / 2**20:.0f} MB, second {warm['peak_rss'] / 2**20:.0f} MB, "
        f"one changed {one['peak_rss'] / 2**20:.0f} MB, arrived {arr['peak_rss'] / 2**20:.0f} MB (RSS, shared pages "
        f"counted in each process); PSS: cold {cold['peak_pss'] / 2**20:.0f} MB, second {warm['peak_pss'] / 2**20:.0f} MB, "
        f"one changed {one['peak_pss'] / 2**20:.0f} MB, arrived {arr['peak_pss'] / 2**20:.0f} MB",
        "- peak PSS by stage (MB), cold / one changed: " + ", ".join(
            f"{stage} {mb(row.get('peak_pss'))} / {mb(one['stages'].get(stage, {}).get('peak_pss'))}"
            for stage, row in cold["stages"].items()) + " (— : the stage was shorter than one 50 ms sample)",
        f"- each build runs in its own process, as `hallscore build` does; with the interpreter's start and imports: "
        f"cold {cold['process_wall']:.1f} s, unchanged {warm['process_wall']:.1f} s, one changed "
        f"{one['process_wall']:.1f} s, arrived {arr['process_wall']:.1f} s",
        f"- hall pages stamped into the shell (cold build): {cold['stamp'].get('written', 0)} in "
        f"{cold['stamp'].get('seconds', 0):.2f} s = **{cold['stamp'].get('written', 0) / max(cold['stamp'].get('seconds', 0), 1e-9):.0f} pages/s**; "
        f"one return changed: {one['stamp'].get('written', 0)} written, {one['stamp'].get('linked', 0)} kept",
        f"- site: {cold['pages']} pages ({cold['hall_pages']} hall pages), {cold['site_bytes'] / 2**20:.1f} MB; "
        f"search index {cold['search_index_bytes'] / 2**20:.2f} MB",
        f"- results.json of the second build identical to the cold one: {info['same_results']}",
    ]
    return lines


if __name__ == "__main__":
    main()
