"""The check of one returned workbook: every problem it has, pinned to sheet and cell, before it is accepted.

:func:`check_file` checks the container before any XML parser sees the file, reads the sheets within bounds,
and lets :class:`~generator.intake.return_checker.ReturnChecker` compare them with the template contract, the
standard and the register. This module keeps the file's side (container, hallscore's own workbooks, reading,
the bound on problems); the sheets' checks live in ``return_checker`` and ``cover_check``.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

from generator.intake.return_checker import ReturnChecker
from generator.intake.status import CheckOutcome
from generator.rules.container_check import check_container
from generator.rules.problems import ERROR, Problem, problem
from generator.rules.register import Hall
from generator.rules.standard import Standard
from generator.why import why
from generator.xlsx.container import DEFAULT_LIMITS, Limits, Parts
from generator.xlsx.reader import Budget, SheetTooLarge, read_grids

ISSUED_PROPERTY = "hallscore.issued"  # custom property of the workbooks hallscore sends out that are no returns
_ISSUED = re.compile(br'name="hallscore\.issued"[^>]*>\s*<vt:lpwstr>([^<]{1,40})</vt:lpwstr>')


def issued_as(parts: dict[str, bytes]) -> str:
    """What hallscore issued this workbook as ("问题清单" …), from its custom properties; "" for a return."""
    found = _ISSUED.search(parts.get("docProps/custom.xml", b""))
    return found[1].decode("utf-8", "replace") if found else ""


def check_file(path: Path, name: str, standard: Standard, register: dict[str, Hall], year: int,
               today: date | None = None, limits: Limits = DEFAULT_LIMITS) -> CheckOutcome:
    """Validate one returned workbook: ``(record or None, problems, hall id as far as known)``.

    Never raises on bad content: whatever is wrong with the file becomes a problem. The container is
    checked before any XML parser sees the file.
    """
    today = today or date.today()
    try:
        parts = Parts()  # unzipped once: scanned for entities, then read (the zip opened once)
        found = check_container(Path(path), name, limits, parts)
    except OSError as exc:  # vanished or unreadable between discovery and now
        return None, [problem("file-unreadable", file=name, detail=why(exc))], ""
    if any(p.severity == ERROR for p in found):
        return None, found, ""
    issued = issued_as(parts)
    if issued:  # a workbook hallscore issued (a 问题清单 …) among the returns: its own, not a return
        return None, [problem("hallscore-issued", file=name, kind=issued)], ""
    try:
        data = path.read_bytes()
        grids = read_grids(path, lambda: Budget(limits.max_rows, limits.max_cols, limits.max_cells,
                                                     limits.max_part_bytes), parts)
    except SheetTooLarge as exc:
        return None, found + [problem("sheet-too-large", file=name, sheet=exc.sheet, what=exc.what_said, found=exc.found,
                                      limit=exc.limit)], ""
    except Exception as exc:  # any parser failure is a property of the file, not of our run
        detail = why(exc)
        return None, found + [problem("file-unreadable", file=name, detail=detail)], ""
    checker = ReturnChecker(name, standard, register, year, today, grids)
    try:
        record = checker.run()
    except Exception as exc:  # a bug of ours must not stop the other files; it is reported, not hidden
        detail = why(exc)
        return None, _bounded(found + checker.problems + [problem("check-failed", file=name, detail=detail)],
                              name, limits), checker.hint()
    if record is not None:
        record.file = name
        record.sha256 = hashlib.sha256(data).hexdigest()
    return record, _bounded(found + checker.problems, name, limits), checker.hint()


def _bounded(problems: list[Problem], name: str, limits: Limits) -> list[Problem]:
    """At most ``max_problems`` per file, errors first kept; the rest summed up in one problem."""
    if len(problems) <= limits.max_problems:
        return problems
    kept = problems[:limits.max_problems]
    return kept + [problem("problems-truncated", file=name, count=len(problems) - len(kept), total=len(problems))]
