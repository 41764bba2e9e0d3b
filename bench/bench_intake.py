"""Intake alone, cold (no cache): run_intake with the given workers, and single-process reader loops over a
sample of the same files (openpyxl read-only, ours), measured in the same run. Quicker than bench_pipeline.py,
for a figure taken when the machine is quiet.

    python bench/bench_intake.py --data /tmp/national --workers 2 --baseline-sample 1000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_pipeline import PeakMemory, cpu_seconds, reader_loops  # noqa: E402

from generator.intake.run import WORKBOOK_SUFFIXES, discover, run_intake  # noqa: E402
from generator.rules.register import load_register  # noqa: E402
from generator.rules.standard_load import load_standard  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--baseline-sample", type=int, default=1000)
    args = parser.parse_args()
    standard, halls = load_standard(), load_register(args.data / "register.xlsx")
    workbooks = [p for p, _ in discover([args.data / "returns"]) if p.suffix.lower() in WORKBOOK_SUFFIXES
                 and p.stat().st_size]
    for path in workbooks:
        path.read_bytes()  # page cache warm, as for every run
    step = max(1, len(workbooks) // args.baseline_sample)
    loops = reader_loops(workbooks[::step][:args.baseline_sample])
    started, cpu0 = time.perf_counter(), cpu_seconds()
    with PeakMemory() as mem:
        report = run_intake([args.data / "returns"], standard, halls, 2025, workers=args.workers)
    wall = time.perf_counter() - started
    rate = len(report.files) / wall
    print(f"load average {os.getloadavg()[0]:.2f}; {len(report.files)} files, {args.workers} workers: "
          f"{wall:.1f} s wall, {cpu_seconds() - cpu0:.1f} s CPU, {rate:.0f} files/s, peak {mem.peak / 2**20:.0f} MB; "
          f"loops over {loops['ours']['files']} files: openpyxl {loops['openpyxl']['rate']:.0f}/s, "
          f"ours {loops['ours']['rate']:.0f}/s; intake ÷ openpyxl loop = {rate / loops['openpyxl']['rate']:.1f}×")


if __name__ == "__main__":
    main()
