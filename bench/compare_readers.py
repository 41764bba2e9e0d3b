"""Compare the fast reader (generator.xlsx.fast) with openpyxl over a folder of real .xlsx files.

    python bench/compare_readers.py DIR [DIR ...] [--show N]

For every .xlsx/.xlsm under the folders: both readers are run (with the same bounds intake uses); a file is an
agreement when both give the same sheets, rows and typed values (or both fail), handed to openpyxl when the fast
path declines it (what read_grids then does), and a disagreement otherwise. Prints the counts and the first
disagreements. Run it over public corpora (calamine's and SheetJS's test files), never copies in the repository.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.xlsx.fast import read_sheets  # noqa: E402
from generator.xlsx.reader import Budget, SheetTooLarge, read_grids_openpyxl  # noqa: E402

Typed = dict[str, list[list[tuple[str, Any]]]]  # each sheet's rows, each value beside its type's name


def typed(grids: dict[str, Any]) -> Typed:
    return {name: [[(type(v).__name__, v) for v in row] for row in rows] for name, rows in grids.items()}


def compare(path: Path) -> tuple[str, str]:
    """('agree' | 'handed' | 'differ' | 'bounded' | 'both-fail', detail)."""
    try:
        fast = typed(read_sheets(path, Budget()))
        fast_error = None
    except SheetTooLarge as exc:
        return "bounded", str(exc)
    except Exception as exc:  # the fast path declines: read_grids hands the file to openpyxl
        fast, fast_error = None, f"{type(exc).__name__}: {exc}"[:100]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = typed({k: g.rows for k, g in read_grids_openpyxl(path, Budget()).items()})
        ref_error = None
    except SheetTooLarge as exc:
        return "bounded", str(exc)
    except Exception as exc:
        ref, ref_error = None, f"{type(exc).__name__}: {exc}"[:100]
    if fast_error is not None:
        return ("both-fail" if ref_error else "handed"), fast_error
    if ref_error is not None:
        return "differ", f"openpyxl fails ({ref_error}), fast path reads it"
    if fast == ref:
        return "agree", ""
    assert fast is not None and ref is not None  # both read: neither error is set
    return "differ", _first_difference(fast, ref)


def _first_difference(fast: Typed, ref: Typed) -> str:
    if list(fast) != list(ref):
        return f"sheets {list(fast)[:5]} vs {list(ref)[:5]}"
    for name in fast:
        a, b = fast[name], ref[name]
        for r, (ra, rb) in enumerate(zip(a, b), 1):
            if ra != rb:
                for c, (ca, cb) in enumerate(zip(ra, rb), 1):
                    if ca != cb:
                        return f"{name}!R{r}C{c}: fast {ca!r:.60} vs openpyxl {cb!r:.60}"
                return f"{name} row {r}: width {len(ra)} vs {len(rb)}"
        if len(a) != len(b):
            return f"{name}: {len(a)} rows vs {len(b)}"
    return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--show", type=int, default=30, help="disagreements to list")
    args = parser.parse_args(argv)
    files = sorted(p for folder in args.folders for p in folder.rglob("*")
                   if p.suffix.lower() in (".xlsx", ".xlsm") and p.is_file())
    counts = {k: 0 for k in ("agree", "handed", "differ", "bounded", "both-fail")}
    listed: dict[str, list[str]] = {"differ": [], "handed": []}
    for path in files:
        verdict, detail = compare(path)
        counts[verdict] += 1
        if verdict in listed:
            listed[verdict].append(f"{path}: {detail}")
    print(f"files {len(files)}  agreements {counts['agree']}  disagreements {counts['differ']}  "
          f"handed to openpyxl {counts['handed']}  both fail {counts['both-fail']}  over the bounds {counts['bounded']}")
    for label in ("differ", "handed"):
        for line in listed[label][:args.show]:
            print(f"  {label}: {line}")
    return 1 if counts["differ"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
