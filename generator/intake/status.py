"""What intake says about the files it found: each file's status, the records of the accepted returns, the report.

Both the intake run and the mailbox reader (whose messages get statuses of their own) speak these types, so they
live apart from either.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from generator.rules.problems import Problem

ACCEPTED, REJECTED, SUPERSEDED, IGNORED = "accepted", "rejected", "superseded", "ignored"
STATUSES = (ACCEPTED, REJECTED, SUPERSEDED, IGNORED)
STATUS_LABELS = {ACCEPTED: "已接收", REJECTED: "已退回", SUPERSEDED: "已被替代", IGNORED: "已忽略"}


@dataclass
class ReturnRecord:
    """What one accepted return says; scores are Decimal, None meaning 不适用."""

    hall_id: str
    round: str
    date: str
    inspector: str
    scores: dict[str, Decimal | None]
    reasons: dict[str, str]
    events: dict[str, int]
    event_notes: dict[str, str]
    vetoes: dict[str, bool]
    veto_notes: dict[str, str]
    file: str = ""
    sha256: str = ""

    def fingerprint(self) -> str:
        """Hash of the content that matters, so that two saves of the same return compare equal."""
        content = {k: v for k, v in asdict(self).items() if k not in ("file", "sha256")}
        blob = json.dumps(content, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# One checked file: the record (None when rejected), its problems, and the hall id (with the round and date
# when readable) as far as known.
CheckOutcome = tuple[ReturnRecord | None, list[Problem], str]
# What became of one entry found: checked, or IGNORED (never a workbook, or an Office lock file).
Outcome = CheckOutcome | str


@dataclass
class FileStatus:
    """The fate of one file found under the input paths."""

    path: str
    status: str
    hall_id: str = ""
    round: str = ""
    problems: list[Problem] = field(default_factory=list)
    note: str = ""
    mail: dict[str, str] = field(default_factory=dict)  # provenance of a return that came by mail
    corrected_by: str = ""  # a superseded rejection: the accepted file of the same hall and round

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "status": self.status,
            "hall_id": self.hall_id,
            "round": self.round,
            "note": self.note,
            # Problem.to_dict's mapping (its fields in order), made without dataclasses.asdict's deep copy.
            "problems": [{"code": p.code, "severity": p.severity, "message": p.message, "file": p.file, "sheet": p.sheet,
                          "cell": p.cell} for p in self.problems],
            **({"corrected_by": self.corrected_by} if self.corrected_by else {}),
            **({"mail": self.mail} if self.mail else {}),
        }


@dataclass
class IntakeReport:
    files: list[FileStatus]
    records: list[ReturnRecord]
    # Hash of every entry's name and cache key: the records are a function of it ("" when not known).
    inputs_key: str = ""
    # Accepted returns a newer one of the same hall and round replaced: the hall page lists them as rounds.
    replaced: list[ReturnRecord] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {s: sum(1 for f in self.files if f.status == s) for s in STATUSES}

    def has_records(self) -> bool:
        """Some return was accepted (asked without decoding the records of a kept report)."""
        return bool(self.records)

    @property
    def ok(self) -> bool:
        """No open rejection: a rejection an accepted return corrected is ``superseded``, no longer rejected."""
        return not any(f.status == REJECTED for f in self.files)

    def problem_counts(self) -> list[tuple[str, int]]:
        """Problem codes by how often they occur, most common first."""
        seen: dict[str, int] = {}
        for f in self.files:
            for p in f.problems:
                seen[p.code] = seen.get(p.code, 0) + 1
        return sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))

    def summary(self) -> dict[str, object]:
        return {"files": len(self.files), **self.counts, "problems": dict(self.problem_counts())}

    def to_dict(self) -> dict[str, object]:
        return {"summary": self.summary(), "files": [f.to_dict() for f in self.files]}


class KeptReport(IntakeReport):
    """A report an earlier intake gave, kept: its records and those replaced are decoded by ``load`` only when
    first asked for (a build that keeps its results from the last build never asks)."""

    _records: list[ReturnRecord]
    _replaced: list[ReturnRecord]

    def __init__(self, files: list[FileStatus], load: Callable[[], tuple[list[ReturnRecord], list[ReturnRecord]]],
                 inputs_key: str, count: int) -> None:
        super().__init__(files, [], inputs_key, [])
        self._load: Callable[[], tuple[list[ReturnRecord], list[ReturnRecord]]] | None = load
        self._count = count

    def has_records(self) -> bool:
        return self._count > 0 if self.__dict__.get("_load") is not None else bool(self._records)

    def _loaded(self) -> None:
        load = self.__dict__.get("_load")
        if load is not None:
            self._load = None
            self._records, self._replaced = load()

    @property
    def records(self) -> list[ReturnRecord]:
        self._loaded()
        return self._records

    @records.setter
    def records(self, value: list[ReturnRecord]) -> None:
        self._loaded()
        self._records = value

    @property
    def replaced(self) -> list[ReturnRecord]:
        self._loaded()
        return self._replaced

    @replaced.setter
    def replaced(self, value: list[ReturnRecord]) -> None:
        self._loaded()
        self._replaced = value


def split_hint(hint: str) -> tuple[str, str, str]:
    """A check outcome's third value: the hall id as far as known, then (``\\x1f``-separated) the round and the
    检查日期 when readable."""
    hall_id, _, rest = hint.partition("\x1f")
    rnd, _, when = rest.partition("\x1f")
    return hall_id, rnd, when
