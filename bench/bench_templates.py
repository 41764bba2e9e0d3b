"""Time `hallscore templates` on a synthetic register (default 3,000 halls); print figures for docs/benchmarks.md.

    .venv/bin/python bench/bench_templates.py [--halls 3000] [--seed 2025]

Runs the real CLI in a subprocess (with and without --zip) and, for comparison, building workbooks one by one
with openpyxl (the path the stamping replaced).
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from generator.demo import make_register
from generator.rules.register import write_register
from generator.rules.standard_load import load_standard
from generator.workbooks.forms import build_workbook


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    return (f"nproc {os.cpu_count()}, {cpu}, RAM {int(mem) / 1024 / 1024:.1f} GiB, "
            f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} (machine shared with other jobs)")


def run(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--halls", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--openpyxl-sample", type=int, default=30)
    args = parser.parse_args()
    hallscore = str(Path(sys.executable).with_name("hallscore"))
    print(f"date {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}")
    with tempfile.TemporaryDirectory(prefix="bench-templates-") as tmp_name:
        tmp = Path(tmp_name)
        halls = make_register(args.halls, args.seed)
        write_register(halls, tmp / "register.xlsx")
        base = [hallscore, "templates", "--register", str(tmp / "register.xlsx"), "--year", "2025"]
        for label, extra in (("templates", []), ("templates --zip", ["--zip"])):
            out = tmp / "out"
            seconds = run(base + ["--out", str(out)] + extra)
            files = list(out.rglob("*.xlsx"))
            size = sum(p.stat().st_size for p in files)
            zips = len(list(out.rglob("*.zip")))
            print(f"hallscore {label}: {len(files)} workbooks, {zips} zips, {size / 2**20:.1f} MiB "
                  f"in {seconds:.1f} s ({1000 * seconds / len(files):.1f} ms/workbook)")
            shutil.rmtree(out)
        standard = load_standard()
        created = datetime(2025, 1, 1, tzinfo=UTC)
        sample = halls[: args.openpyxl_sample]
        start = time.perf_counter()
        for hall in sample:
            build_workbook(standard, hall, 2025, created).save(io.BytesIO())
        each = (time.perf_counter() - start) / len(sample)
        print(f"openpyxl build+save per workbook (sample of {len(sample)}): {1000 * each:.0f} ms "
              f"→ {each * args.halls:.0f} s for {args.halls} on one core")


if __name__ == "__main__":
    main()
