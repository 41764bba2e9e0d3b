"""Cost of the container checks next to the workbook read, on a real generated return and on two bombs.

Run: .venv/bin/python bench/container.py   (prints milliseconds per call; figures go in the report)
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support import faults as ff  # noqa: E402
from support.returns import YEAR, full_fill, make_halls, write_return  # noqa: E402

from generator.intake.run import check_file  # noqa: E402
from generator.rules.container_check import check_container  # noqa: E402
from generator.rules.standard_load import load_standard  # noqa: E402
from generator.xlsx.reader import read_grids  # noqa: E402


def per_call(func: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        func()
    return (time.perf_counter() - start) / n * 1000


def main(n: int = 50) -> None:
    standard = load_standard()
    halls = make_halls({"甲": 1})
    register = {h.hall_id: h for h in halls}
    folder = Path(tempfile.mkdtemp())
    path = write_return(standard, halls[0], full_fill(standard), folder, name="a.xlsx")
    print(f"return: {path.stat().st_size} bytes")
    print(f"check_container  {per_call(lambda: check_container(path, 'a'), n):7.2f} ms")
    print(f"read_grids       {per_call(lambda: read_grids(path), n):7.2f} ms")
    print(f"check_file       {per_call(lambda: check_file(path, 'a', standard, register, YEAR, date(YEAR, 12, 1)), n):7.2f} ms")
    sheet = ff.sheet_part(path, "检查表")
    bomb = ff.rezip(path, folder / "bomb.xlsx", {sheet: b"<a>" + b" " * (60 * 1024 * 1024) + b"</a>"})
    laughs = ff.rezip(path, folder / "laughs.xlsx", {"xl/sharedStrings.xml": ff.BILLION_LAUGHS})
    print(f"zip bomb (60 MB) {per_call(lambda: check_container(bomb, 'b'), n):7.2f} ms  {bomb.stat().st_size} bytes")
    print(f"billion laughs   {per_call(lambda: check_container(laughs, 'l'), n):7.2f} ms")


if __name__ == "__main__":
    main()
