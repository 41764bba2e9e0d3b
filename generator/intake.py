"""Intake: read and validate returned workbooks; every file found ends with exactly one status.

``check_file`` turns one file into a :class:`ReturnRecord` (or none) plus its problems; ``run_intake`` does
that for every file found, settles duplicate returns, and gives an :class:`IntakeReport`. Input files are
only ever opened for reading.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from openpyxl.utils import get_column_letter

from . import collector, entries
from . import workbook as wbk
from .container import DEFAULT_LIMITS, Limits, Parts
from .numbers import plain
from .problems import ERROR, Problem, problem
from .reader import Budget, Grid, SheetTooLarge, read_grids
from .rules_container_check import check_container
from .textcell import clean as clean_text
from .textcell import unsafe_chars
from .why import why

ACCEPTED, REJECTED, SUPERSEDED, IGNORED = "accepted", "rejected", "superseded", "ignored"
STATUSES = (ACCEPTED, REJECTED, SUPERSEDED, IGNORED)
STATUS_LABELS = {ACCEPTED: "已接收", REJECTED: "已退回", SUPERSEDED: "已被替代", IGNORED: "已忽略"}
# .xls is not readable, but a return saved in it must be sent back with a reason, not silently ignored.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
MAX_EVENTS = 10_000


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


@dataclass
class FileStatus:
    """The fate of one file found under the input paths."""

    path: str
    status: str
    hall_id: str = ""
    round: str = ""
    problems: list[Problem] = field(default_factory=list)
    note: str = ""
    mail: dict = field(default_factory=dict)  # provenance of a return that came by mail (mailbox_intake)
    corrected_by: str = ""  # a superseded rejection: the accepted file of the same hall and round

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "status": self.status,
            "hall_id": self.hall_id,
            "round": self.round,
            "note": self.note,
            "problems": [p.to_dict() for p in self.problems],
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

    def summary(self) -> dict:
        return {"files": len(self.files), **self.counts, "problems": dict(self.problem_counts())}

    def to_dict(self) -> dict:
        return {"summary": self.summary(), "files": [f.to_dict() for f in self.files]}


def discover(paths) -> list[tuple[Path, str]]:
    """Every entry under ``paths`` with the name to report it by, sorted (see :func:`generator.entries.discover`)."""
    return entries.discover(paths)


def run_intake(paths, standard, halls, year: int, today: date | None = None, workers: int = 1,
               cache=None, progress=None,
               limits: Limits = DEFAULT_LIMITS) -> IntakeReport:
    """Check every file found under ``paths`` against the standard and the register.

    ``workers`` > 1 checks files in that many processes; ``cache`` (a :class:`generator.cache.IntakeCache`)
    skips files already checked with the same content and context; ``progress(done, total)`` is called as files
    are done (``done`` files more, out of ``total``).
    The report is the same whatever the workers, the cache or the order of completion.
    """
    today = today or date.today()
    register = {h.hall_id: h for h in halls}
    from .mailbox_intake import MailInputs

    mail = MailInputs(discover(paths))  # .eml/mbox → their attachments, in a temporary folder
    found = mail.found
    outcomes: list = [None] * len(found)
    todo: list[tuple[int, Path, str]] = []
    keys: dict[int, str] = {}
    if cache is not None:
        cache.bind(standard, halls, year, today)
    for index, (path, name) in enumerate(found):
        early = entries.early_outcome(path, name, WORKBOOK_SUFFIXES, IGNORED)
        if early is not None:  # never opened: a FIFO would block, a broken link cannot be read
            outcomes[index] = early
            continue
        if path.name.startswith(("~$", ".~lock")) or path.suffix.lower() not in WORKBOOK_SUFFIXES:
            outcomes[index] = IGNORED
            continue
        if cache is not None:
            try:
                keys[index] = cache.key(name, cache.content_sha256(path))
            except OSError:
                keys[index] = ""  # unreadable now: check_file will say why
        todo.append((index, path, name))
    if cache is not None:  # looked up together: a few queries, not one per file
        hits = cache.get_many([keys[index] for index, _, _ in todo if keys[index]])
        for index, _, _ in todo:
            if keys[index] in hits:
                outcomes[index] = hits[keys[index]]
        todo = [job for job in todo if outcomes[job[0]] is None]
    total = len(found)
    tick = (lambda n: progress(n, total)) if progress is not None else None
    if tick is not None:
        tick(total - len(todo))
    for index, outcome in _check_all(todo, standard, register, year, today, limits, workers, tick):
        outcomes[index] = outcome
        if cache is not None and keys.get(index):
            cache.put(keys[index], outcome)
    if cache is not None:
        cache.flush()
    statuses: list[FileStatus] = []
    candidates: list[tuple[FileStatus, ReturnRecord]] = []
    dated: dict[int, str] = {}  # a rejection's 检查日期 when readable
    for (_path, name), outcome in zip(found, outcomes):
        if outcome is IGNORED:
            statuses.append(FileStatus(name, IGNORED, note="不是检查表工作簿(或为 Office 临时锁文件)"))
            continue
        record, problems, hint = outcome
        hall_hint, round_hint, date_hint = split_hint(hint)
        if problems and problems[0].code == "hallscore-issued":  # listed as hallscore's own, never answered
            statuses.append(FileStatus(name, IGNORED, note=problems[0].message))
            continue
        # Copies: settling duplicates appends to problems, and a cached outcome must stay as it was.
        status = FileStatus(name, REJECTED if record is None else ACCEPTED, hall_id=hall_hint, problems=list(problems))
        if record is not None:
            status.round = record.round
            candidates.append((status, record))
        else:
            status.round = round_hint
            dated[id(status)] = date_hint
        statuses.append(status)
    records, replaced = _settle_duplicates(candidates)
    _flag_round_dates(candidates, records)
    _close_corrected(statuses, records, dated)
    mail.cleanup()
    return IntakeReport(mail.annotate(statuses), records, _inputs_key(cache, found, outcomes, keys, mail), replaced)


def split_hint(hint: str) -> tuple[str, str, str]:
    """``check_file``'s third value: the hall id as far as known, then (``\x1f``-separated) the round and the
    检查日期 when readable."""
    hall_id, _, rest = hint.partition("\x1f")
    rnd, _, when = rest.partition("\x1f")
    return hall_id, rnd, when


def _close_corrected(statuses: list[FileStatus], records: list[ReturnRecord], dated: dict[int, str]) -> None:
    """A rejected return stays open until an accepted return of the same hall and round corrects it; then it is
    superseded and names the file that corrected it. An accepted return dated before the rejection does not
    correct it (the rejected one is the newer inspection), and a rejection whose hall or round could not be read
    stays open: nothing says which return would correct it."""
    accepted = {(r.hall_id, r.round): r for r in records}
    for status in statuses:
        if status.status != REJECTED or not status.hall_id or not status.round:
            continue
        fixed = accepted.get((status.hall_id, status.round))
        if fixed is not None and fixed.date >= dated.get(id(status), ""):
            status.status = SUPERSEDED
            status.note = f"已更正:以 {fixed.file} 为准"
            status.corrected_by = fixed.file


def _inputs_key(cache, found, outcomes, keys: dict[int, str], mail) -> str:
    """What the records were made from: each entry's name with its cache key (or its never-opened outcome)."""
    if cache is None or mail.provenance:
        return ""
    digest = hashlib.sha256()
    for index, (_path, name) in enumerate(found):
        if index in keys:
            if not keys[index]:
                return ""  # unreadable when keyed: no key stands for what was checked
            mark = keys[index] + cache.day_mark(outcomes[index])  # a future date's outcome holds for one day
        else:
            mark = "ignored" if outcomes[index] is IGNORED else repr(outcomes[index])
        digest.update(f"{name}\x1f{mark}\x1e".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _flag_round_dates(candidates, records) -> None:
    """A 自评 dated after a higher round of the same hall: a warning on the 自评's file, never a rejection."""
    kept = {id(r) for r in records}
    by_hall: dict[str, list] = {}
    for status, record in candidates:
        if id(record) in kept:
            by_hall.setdefault(record.hall_id, []).append((status, record))
    for hall_id in sorted(by_hall):
        rounds = by_hall[hall_id]
        for status, record in rounds:
            if record.round != wbk.ROUNDS[0]:
                continue
            later = sorted((r.date, r.round) for _, r in rounds if r.round != record.round and str(r.date) < str(record.date))
            if later:
                when, other = later[0]
                status.problems.append(problem("round-date-order", file=status.path, sheet=wbk.SHEET_COVER,
                                               cell=f"B{wbk.cover_rows()['检查日期']}", found=record.date, other=other, expected=when))


_CHUNK = 32
_WORKER_CONTEXT: tuple = ()


def _init_worker(context: tuple) -> None:
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = context
    collector.in_worker()


def _check_chunk(jobs: list[tuple[int, Path, str]]) -> list[tuple[int, tuple]]:
    standard, register, year, today, limits = _WORKER_CONTEXT
    return [(index, check_file(path, name, standard, register, year, today, limits)) for index, path, name in jobs]


def _check_all(todo, standard, register, year, today, limits, workers: int, progress):
    """``(index, check_file outcome)`` for every job, in processes when it pays."""
    if workers <= 1 or len(todo) < 2 * _CHUNK:
        for index, path, name in todo:
            with collector.resumed():
                outcome = check_file(path, name, standard, register, year, today, limits)
            yield index, outcome
            if progress is not None:
                progress(1)
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed

    chunks = [todo[i:i + _CHUNK] for i in range(0, len(todo), _CHUNK)]
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                             initargs=((standard, register, year, today, limits),)) as pool:
        futures = [pool.submit(_check_chunk, chunk) for chunk in chunks]
        for future in as_completed(futures):
            done = future.result()
            yield from done
            if progress is not None:
                progress(len(done))


def _settle_duplicates(candidates: list[tuple[FileStatus, ReturnRecord]]) -> tuple[list[ReturnRecord], list[ReturnRecord]]:
    """One return per hall and round, the newest: later 检查日期 wins, then the file's content hash (a stable
    order whatever the files are called or found: "… - 副本.xlsx" settles like any other). ``(kept, replaced)``."""
    groups: dict[tuple[str, str], list[tuple[FileStatus, ReturnRecord]]] = {}
    for status, record in candidates:
        groups.setdefault((record.hall_id, record.round), []).append((status, record))
    kept: list[ReturnRecord] = []
    replaced: list[ReturnRecord] = []
    for key in sorted(groups):
        if len(groups[key]) == 1:  # the usual case
            kept.append(groups[key][0][1])
            continue
        # The path only orders byte-identical copies, which say the same whichever is named.
        group = sorted(groups[key], key=lambda sr: (sr[1].date, sr[1].sha256, sr[0].path))
        winner = group[-1]
        kept.append(winner[1])
        winner[0].note = "替代了 " + "、".join(s.path for s, _ in group[:-1])
        for status, record in group[:-1]:
            status.status = SUPERSEDED
            if record.fingerprint() == winner[1].fingerprint():
                how = "内容相同"
            elif record.date < winner[1].date:
                how = "检查日期较早"
            else:
                how = "检查日期相同,按文件内容摘要取定"
            status.note = f"{how},以 {winner[0].path} 为准"
            replaced.append(record)
    return kept, replaced


ISSUED_PROPERTY = "hallscore.issued"  # custom property of the workbooks hallscore sends out that are no returns
_ISSUED = re.compile(br'name="hallscore\.issued"[^>]*>\s*<vt:lpwstr>([^<]{1,40})</vt:lpwstr>')


def _issued(parts: dict[str, bytes]) -> str:
    """What hallscore issued this workbook as ("问题清单" …), from its custom properties; "" for a return."""
    found = _ISSUED.search(parts.get("docProps/custom.xml", b""))
    return found[1].decode("utf-8", "replace") if found else ""


def check_file(path: Path, name: str, standard, register: dict, year: int, today: date | None = None,
               limits: Limits = DEFAULT_LIMITS):
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
    issued = _issued(parts)
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
    checker = _Checker(name, standard, register, year, today, grids)
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


class _Checker:
    """Collects every problem of one workbook before deciding whether it is accepted."""

    def __init__(self, name, standard, register, year, today, grids: dict[str, Grid]):
        self.name, self.standard, self.register = name, standard, register
        self.year, self.today, self.grids = year, today, grids
        self.problems: list[Problem] = []
        self.hall_id = ""
        self.round = ""
        self.date = ""

    def hint(self) -> str:
        """The hall id as far as known and the round when readable (``split_hint``): a rejection names both, so
        the accepted return of the same hall and round can close it."""
        return f"{self.hall_id}\x1f{self.round}\x1f{self.date}" if self.round else self.hall_id

    def add(self, code: str, sheet: str = "", cell: str = "", **fields) -> None:
        self.problems.append(problem(code, file=self.name, sheet=sheet, cell=cell, **fields))

    def run(self) -> ReturnRecord | None:
        meta = self._meta()
        if meta is None:
            return None
        self.hall_id = meta["hall_id"]
        missing = [s for s in wbk.sheets_for(self.standard) if s not in self.grids]
        for sheet in missing:
            self.add("template-sheet-missing", sheet=sheet)
        if missing:
            return None
        hall_id, rnd, when, inspector = self._cover(meta)
        if rnd in wbk.ROUNDS and hall_id == self.hall_id:
            self.round, self.date = rnd, when
        scores, reasons = self._items()
        events, event_notes = self._events()
        vetoes, veto_notes = self._vetoes()
        if any(p.severity == ERROR for p in self.problems):
            return None
        inspector = self._clean(wbk.SHEET_COVER, "检查人", inspector)
        reasons = {k: self._clean(wbk.SHEET_ITEMS, f"编号 {k} 的扣分原因", v) for k, v in reasons.items()}
        event_notes = {k: self._clean(wbk.SHEET_EVENTS, f"编号 {k} 的说明", v) for k, v in event_notes.items()}
        veto_notes = {k: self._clean(wbk.SHEET_VETO, f"编号 {k} 的说明", v) for k, v in veto_notes.items()}
        return ReturnRecord(hall_id, rnd, when, inspector, scores, reasons, events, event_notes, vetoes, veto_notes)

    def _clean(self, sheet: str, field: str, text: str) -> str:
        """Typed text goes on into pages and exports: control characters and non-characters removed, and said."""
        bad = unsafe_chars(text)
        if not bad:
            return text
        self.add("text-cleaned", sheet=sheet, field=field, chars="、".join(bad[:5]))
        return clean_text(text)

    # -- _meta and cover ---------------------------------------------------------------------------
    def _meta(self) -> dict | None:
        grid = self.grids.get(wbk.SHEET_META)
        if grid is None:
            self.add("template-unknown", sheet=wbk.SHEET_META, detail="没有 _meta 工作表")
            return None
        meta = {str(r[0]): _text(r[1]) for r in grid.rows if len(r) >= 2 and r[0] is not None}
        lacking = [k for k in wbk.META_KEYS if not meta.get(k)]
        blank = {"hall_id", "year", "created"}
        if set(lacking) == blank and meta["template_id"].startswith(wbk.TEMPLATE_PREFIX + ":"):
            self.add("template-master", sheet=wbk.SHEET_META)  # forms.write_master leaves just these empty
            return None
        if lacking or not meta["template_id"].startswith(wbk.TEMPLATE_PREFIX + ":"):
            self.add("template-unknown", sheet=wbk.SHEET_META, detail="缺少 " + "、".join(lacking or ["template_id"]))
            return None
        std = self.standard
        found = f"{meta['standard_id']} {meta['standard_version']}"
        if (meta["standard_id"], meta["standard_version"]) != (std.id, std.version) or meta[
            "standard_checksum"
        ] != _checksum(std):
            self.add("template-standard-mismatch", sheet=wbk.SHEET_META, cell="B2",
                     found=found, expected=f"{std.id} {std.version}")
            return None
        if meta["year"] != str(self.year):
            self.add("template-year-mismatch", sheet=wbk.SHEET_META, cell="B6",
                     found=meta["year"], expected=self.year)
            return None
        return meta

    def _cover(self, meta: dict):
        grid = self.grids[wbk.SHEET_COVER]
        sheet = wbk.SHEET_COVER
        where: dict[str, tuple[int, object]] = {}
        for r, row in enumerate(grid.rows, 1):
            label = _text(row[0]) if row else ""
            if label in wbk.COVER_FIELDS and label not in where:
                where[label] = (r, row[1] if len(row) > 1 else None)
        for label in wbk.COVER_FIELDS:
            if label not in where:
                self.add("template-header-missing", sheet=sheet, column=label)
        if len(where) != len(wbk.COVER_FIELDS):
            return "", "", "", ""

        def cell(label):
            return f"B{where[label][0]}"

        hall_id = _text(where["厅编码"][1])
        hall = self.register.get(hall_id)
        named = wbk.FILE_HALL_ID.match(Path(self.name).name)
        # Only a prefix shaped like a hall id counts: "2025_自评.xlsx" names a year, not a hall.
        if named and named[1] != hall_id and (named[1] in self.register or len(named[1]) == len(hall_id)):
            self.add("hall-filename-mismatch", sheet=sheet, cell=cell("厅编码"), found=hall_id, expected=named[1])
        if hall_id != meta["hall_id"]:
            self.add("hall-meta-mismatch", sheet=sheet, cell=cell("厅编码"), found=hall_id, expected=meta["hall_id"])
        elif hall is None:
            self.add("hall-unknown", sheet=sheet, cell=cell("厅编码"), found=hall_id)
        else:
            expected = {"厅名称": hall.name, "省": hall.province, "市": hall.city, "区县": hall.district,
                        "级别": str(hall.level), "类型": hall.type}
            for label, want in expected.items():
                got = _text(where[label][1])
                if got != want:
                    self.add("hall-data-edited", sheet=sheet, cell=cell(label), field=label, found=got, expected=want)

        rnd = _text(where["检查轮次"][1])
        if not rnd:
            self.add("cover-round-missing", sheet=sheet, cell=cell("检查轮次"))
        elif rnd not in wbk.ROUNDS:
            self.add("cover-round-invalid", sheet=sheet, cell=cell("检查轮次"), found=rnd)
        raw_date = where["检查日期"][1]
        when = _as_date(raw_date)
        at = cell("检查日期")
        if _text(raw_date) == "":
            self.add("cover-date-missing", sheet=sheet, cell=at, year=self.year)
        elif when is None:
            self.add("cover-date-invalid", sheet=sheet, cell=at, found=_text(raw_date), year=self.year)
        elif when.year != self.year:
            self.add("cover-date-wrong-year", sheet=sheet, cell=at, found=when.isoformat(), year=self.year)
        elif when > self.today:
            self.add("cover-date-future", sheet=sheet, cell=at, found=when.isoformat(), today=self.today.isoformat())
        if when is not None and (when.year != self.year or when > self.today):
            when = None
        inspector = _text(where["检查人"][1])
        if not inspector:
            self.add("cover-inspector-missing", sheet=sheet, cell=cell("检查人"))
        return hall_id, rnd, when.isoformat() if when else "", inspector

    # -- tables ------------------------------------------------------------------------------------
    def _table(self, sheet: str, needed: tuple[str, ...], expected_ids: list[str]):
        """Map 编号 → (row number, {header: value}) for one sheet, reporting structural problems."""
        grid = self.grids[sheet]
        header = [_text(v) for v in (grid.rows[wbk.HEADER_ROW - 1] if grid.rows else [])]
        cols = {}
        for name in needed:
            if name in header:
                cols[name] = header.index(name) + 1
            else:
                self.add("template-header-missing", sheet=sheet, cell=f"{wbk.HEADER_ROW}", column=name)
        if len(cols) != len(needed):
            return None, cols
        rows: dict[str, tuple[int, dict]] = {}
        for r in range(wbk.HEADER_ROW + 1, len(grid.rows) + 1):
            rid = _text(grid.value(r, cols["编号"]))
            if not rid:
                continue
            if rid in rows:
                self.add("template-row-duplicate", sheet=sheet, cell=f"{_col(cols['编号'])}{r}", id=rid)
                continue
            if rid not in expected_ids:
                self.add("template-row-extra", sheet=sheet, cell=f"{_col(cols['编号'])}{r}", id=rid)
                continue
            rows[rid] = (r, {name: grid.value(r, c) for name, c in cols.items()})
        for rid in expected_ids:
            if rid not in rows:
                self.add("template-row-missing", sheet=sheet, id=rid)
        # Rows moved or sorted: compare the order found with the standard's, ignoring missing rows.
        order = sorted(rows, key=lambda rid: rows[rid][0])
        wanted = [rid for rid in expected_ids if rid in rows]
        for got, want in zip(order, wanted):
            if got != want:
                self.add("template-row-order", sheet=sheet, cell=f"{_col(cols['编号'])}{rows[got][0]}",
                         expected=want, found=got)
                break
        return rows, cols

    def _items(self):
        sheet = wbk.SHEET_ITEMS
        std = self.standard
        rows, cols = self._table(sheet, ("编号", "检查内容", "分值", "得分", "扣分原因"), [i.id for i in std.items])
        scores: dict[str, Decimal | None] = {}
        reasons: dict[str, str] = {}
        if rows is None:
            return scores, reasons
        for item in std.items:
            if item.id not in rows:
                continue
            r, cells = rows[item.id]
            at = lambda name, r=r: f"{_col(cols[name])}{r}"  # noqa: E731
            if _text(cells["检查内容"]) != item.text:
                self.add("template-item-edited", sheet=sheet, cell=at("检查内容"), id=item.id, field="检查内容",
                         found=_text(cells["检查内容"]), expected=item.text)
            if _decimal(cells["分值"]) != item.max_points:
                self.add("template-item-edited", sheet=sheet, cell=at("分值"), id=item.id, field="分值",
                         found=_text(cells["分值"]), expected=_fmt(item.max_points))
            score = self._score(item, cells["得分"], at("得分"))
            reason = _text(cells["扣分原因"])
            if score is _INVALID:
                continue
            scores[item.id] = score
            if reason:
                reasons[item.id] = reason
            if score is not None and score < item.max_points and not reason:
                self.add("reason-missing", sheet=sheet, cell=at("扣分原因"), id=item.id,
                         found=_fmt(score), max=_fmt(item.max_points))
        return scores, reasons

    def _score(self, item, value, cell: str):
        sheet = wbk.SHEET_ITEMS
        na = ",或填“不适用”" if item.allow_na else ""
        mx = _fmt(item.max_points)
        text = _text(value)
        if text == "" and item.levels:
            return self._level(item, text, cell)
        if text == "":
            self.add("score-blank", sheet=sheet, cell=cell, id=item.id, max=mx, na=na)
            return _INVALID
        if isinstance(value, str) and text.startswith("="):
            self.add("score-formula", sheet=sheet, cell=cell, id=item.id, found=text)
            return _INVALID
        if item.levels and text != wbk.NOT_APPLICABLE:
            return self._level(item, text, cell)
        if text == wbk.NOT_APPLICABLE:
            if not item.allow_na:
                self.add("score-na-forbidden", sheet=sheet, cell=cell, id=item.id, max=mx)
                return _INVALID
            return None
        number = _decimal(value)
        if number is None:
            self.add("score-not-number", sheet=sheet, cell=cell, id=item.id, found=text, max=mx, na=na)
            return _INVALID
        if number < 0 or number > item.max_points:
            self.add("score-out-of-range", sheet=sheet, cell=cell, id=item.id, found=_fmt(number), max=mx)
            return _INVALID
        if number % self.standard.score_step:
            self.add("score-step", sheet=sheet, cell=cell, id=item.id, found=_fmt(number),
                     step=_fmt(self.standard.score_step))
            return _INVALID
        return number

    def _level(self, item, text: str, cell: str):
        """A level-rated item takes one of its levels (the dropdown's), never a number: the level's points."""
        level = self.standard.level_named(item, text)
        if level is None:
            self.add("score-level-invalid", sheet=wbk.SHEET_ITEMS, cell=cell, id=item.id, found=text,
                     levels="/".join(lv.name for lv in item.levels), na="(或“不适用”)" if item.allow_na else "")
            return _INVALID
        return level.points

    def _events(self):
        sheet = wbk.SHEET_EVENTS
        if sheet not in self.grids:  # a standard without bonus and deduction items: the sheet is left out
            return {}, {}
        texts = {r.id: r.text for r in (*self.standard.bonus, *self.standard.deductions)}
        bonus = {r.id for r in self.standard.bonus}
        events: dict[str, int] = {}
        notes: dict[str, str] = {}
        for rid, r, cells, cols in self._listed_rows(sheet, ("编号", "项目", "次数", "说明"), texts):
            value = cells["次数"]
            text = _text(value)
            count = _decimal(value) if text else Decimal(0)
            if (isinstance(value, str) and text.startswith("=")) or count is None or not 0 <= count <= MAX_EVENTS \
                    or count % 1:
                self.add("event-count-invalid", sheet=sheet, cell=f"{_col(cols['次数'])}{r}", id=rid, found=text)
                continue
            events[rid] = int(count)
            note = _text(cells["说明"])
            if note:
                notes[rid] = note
            elif count and rid in bonus:  # a gained point needs its evidence as much as a lost one
                self.add("bonus-note-missing", sheet=sheet, cell=f"{_col(cols['说明'])}{r}", id=rid, found=int(count))
            elif count:
                self.add("event-note-missing", sheet=sheet, cell=f"{_col(cols['说明'])}{r}", id=rid, found=int(count))
        return events, notes

    def _listed_rows(self, sheet: str, headers: tuple[str, ...], texts: dict[str, str]):
        """(id, row, cells, columns) of each row of ``sheet`` the standard lists, its 项目 checked unedited."""
        rows, cols = self._table(sheet, headers, list(texts))
        for rid in texts if rows is not None else ():
            if rid in rows:
                r, cells = rows[rid]
                self._same_text(sheet, r, cols, cells, rid, texts[rid])
                yield rid, r, cells, cols

    def _same_text(self, sheet, r, cols, cells, rid, expected) -> None:
        if _text(cells["项目"]) != expected:
            self.add("template-item-edited", sheet=sheet, cell=f"{_col(cols['项目'])}{r}", id=rid, field="项目",
                     found=_text(cells["项目"]), expected=expected)

    def _vetoes(self):
        sheet = wbk.SHEET_VETO
        if sheet not in self.grids:  # a standard without veto items: the sheet is left out
            return {}, {}
        texts = {v.id: v.text for v in self.standard.vetoes}
        vetoes: dict[str, bool] = {}
        notes: dict[str, str] = {}
        for rid, r, cells, cols in self._listed_rows(sheet, ("编号", "项目", "是否发生", "说明"), texts):
            answer = _text(cells["是否发生"])
            if answer not in (wbk.YES, wbk.NO):
                self.add("veto-invalid", sheet=sheet, cell=f"{_col(cols['是否发生'])}{r}", id=rid, found=answer)
                continue
            vetoes[rid] = answer == wbk.YES
            if _text(cells["说明"]):
                notes[rid] = _text(cells["说明"])
            elif vetoes[rid]:  # like points lost without a reason: a veto must say what happened
                self.add("veto-note-missing", sheet=sheet, cell=f"{_col(cols['说明'])}{r}", id=rid, text=texts[rid])
        return vetoes, notes


_INVALID = object()
_CHECKSUM: list = [None, ""]  # (standard, its checksum): hashing the standard's JSON is ~0.1 ms, once a run


def _checksum(standard) -> str:
    if _CHECKSUM[0] is not standard:  # a Standard is frozen: same object, same checksum
        _CHECKSUM[:] = [standard, standard.checksum]
    return _CHECKSUM[1]


def _col(n: int) -> str:
    return get_column_letter(n)


def _text(value) -> str:
    if type(value) is str:  # most cells: the quick way first
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _decimal(value) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        if isinstance(value, (int, float)):
            # repr of a float is its shortest round-trip text: 7.5 stays 7.5, never 7.4999…
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        else:
            number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _fmt(number: Decimal) -> str:
    return plain(number)


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)


def _as_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return None
    return None
