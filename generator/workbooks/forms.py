"""Inspector workbooks issued: one per hall, pre-filled from the register, written where nothing is lost.

:func:`generator.workbooks.form_sheets.build_workbook` describes the workbook; :func:`issue_templates` renders it
once per run with placeholders and stamps each hall into a copy of the saved bytes (a test checks both give the
same content), never replacing a workbook already there that differs (an inspector may have filled it).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import load_workbook

from generator.errors import HallscoreError
from generator.fs.files import write_bytes_atomic
from generator.rules import contract as wbk
from generator.rules.register import Hall
from generator.rules.standard import Standard
from generator.rules.year_rules import Rules
from generator.workbooks.form_sheets import build_workbook
from generator.xlsx.textcell import UNSAFE

# Callers may keep taking the workbook's description from here, beside the issuing.
__all__ = ["Issued", "build_workbook", "issue_templates", "master_path", "safe_name", "template_path",
           "unrated_reason", "write_master", "write_templates", "zip_cities"]


def safe_name(text: str, limit: int = 80) -> str:
    """A file or folder name that every file system accepts (Windows is the strictest)."""
    text = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", str(text)).strip().rstrip(".")
    if re.fullmatch(r"(?i)(con|prn|aux|nul|com\d|lpt\d)(\..*)?", text):
        text = "_" + text  # reserved device names on Windows
    return (text or "_")[:limit]


def template_path(out_dir: Path, hall: Hall) -> Path:
    return (
        Path(out_dir)
        / safe_name(hall.province)
        / safe_name(hall.city)
        # ext4 allows 255 bytes per name: 40 + 60 Chinese characters (3 bytes each) + ".xlsx" stay below it.
        / f"{safe_name(hall.hall_id, 40)}_{safe_name(hall.name, 60)}.xlsx"
    )


def master_path(out_dir: Path, standard: Standard) -> Path:
    """Where the blank master workbook of ``standard`` lives, e.g. ``input_templates/ct-hall_2016.1.xlsx``."""
    return Path(out_dir) / f"{safe_name(standard.id)}_{safe_name(standard.version)}.xlsx"


# -- writing many -------------------------------------------------------------------------------------

# Placeholders stamped per hall: text fields in shared strings, custom properties and page headers, and the
# level (a number cell) by a sentinel value no real workbook holds.
_TOKENS = {field: f"@@hallscore.{field}@@" for field in ("hall_id", "name", "province", "city", "district", "type")}
_LEVEL_SENTINEL = 987654321
_STAMPED_PARTS = re.compile(r"^(xl/sharedStrings\.xml|xl/worksheets/sheet\d+\.xml|docProps/custom\.xml)$")
_HEADER_FOOTER = re.compile(r"<(odd|even|first)(Header|Footer)>.*?</\1\2>", re.S)
_ILLEGAL_XML = UNSAFE  # the register refuses these; never written into a workbook


class _Stamper:
    """Renders the workbook once with placeholders, then fills in one hall per copy, at the XML level."""

    def __init__(self, standard: Standard, year: int, created: datetime, rules: Rules | None = None,
                 unrated: str = "") -> None:
        placeholder = Hall(_TOKENS["hall_id"], _TOKENS["name"], _TOKENS["province"], _TOKENS["city"],
                           _TOKENS["district"], _LEVEL_SENTINEL, _TOKENS["type"])
        buffer = io.BytesIO()
        build_workbook(standard, placeholder, year, created, rules, unrated).save(buffer)
        with zipfile.ZipFile(buffer) as zf:
            self.parts = [(info.filename, zf.read(info)) for info in zf.infolist()]
        self.stamp_time = created.timetuple()[:6]
        level = f"<v>{_LEVEL_SENTINEL}</v>".encode()
        assert any(level in data for _, data in self.parts), "level placeholder not found"

    def render(self, hall: Hall) -> bytes:
        values = {"hall_id": hall.hall_id, "name": hall.name, "province": hall.province, "city": hall.city,
                  "district": hall.district, "type": hall.type}
        for field, value in values.items():
            if _ILLEGAL_XML.search(value):
                raise ValueError(f"营业厅 {hall.hall_id} 的{field}含有不可见控制字符,无法写入工作簿")
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for name, data in self.parts:
                if _STAMPED_PARTS.match(name):
                    data = self._stamp(name, data, values, hall.level)
                info = zipfile.ZipInfo(name, self.stamp_time)
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
        return out.getvalue()

    @staticmethod
    def _stamp(name: str, data: bytes, values: dict[str, str], level: int) -> bytes:
        def fill(text: str, header: bool) -> str:
            for field, token in _TOKENS.items():
                # In page headers and footers "&" starts a code, so a literal one is doubled.
                text = text.replace(token, escape(values[field].replace("&", "&&") if header else values[field]))
            return text

        text = _HEADER_FOOTER.sub(lambda m: fill(m[0], True), data.decode("utf-8"))
        text = fill(text, False)
        return text.replace(f"<v>{_LEVEL_SENTINEL}</v>", f"<v>{int(level)}</v>").encode("utf-8")


@dataclass
class Issued:
    """What one ``templates`` run did with each hall's workbook."""

    wrote: list[Path] = dc_field(default_factory=list)
    kept: list[Path] = dc_field(default_factory=list)  # already there, exactly as this run would write it
    refused: list[Path] = dc_field(default_factory=list)  # already there and different (a filled one): left alone
    unrated: int = 0  # 不参评 halls given no workbook

    @property
    def paths(self) -> list[Path]:
        return self.wrote + self.kept


def unrated_reason(hall: Hall, rules: Rules) -> str:
    """Why a hall is 不参评 this year, quoting the year's configuration (never the 办法)."""
    config = rules.config
    if hall.type not in config.hall_types:
        return f"本年度只对{'、'.join(config.hall_types)}厅评价(hallscore.toml),本厅为{hall.type}厅"
    levels = "、".join(str(x) for x in sorted(config.levels))
    return f"本年度只对 {levels} 级厅评价(hallscore.toml),本厅为 {hall.level} 级厅"


def issue_templates(halls: Iterable[Hall], standard: Standard, out_dir: str | Path, year: int,
                    created: datetime | None = None, zip_by_city: bool = False, rules: Rules | None = None,
                    include_unrated: bool = False) -> Issued:
    """One workbook per rated hall under ``out_dir/<省>/<市>/`` (不参评 halls too with ``include_unrated``, their
    cover saying so). A workbook already there is never replaced by a different one: inspectors often fill it
    where they unzipped it. It is kept when it is what this run would write (the same issue, untouched) and
    refused otherwise. With ``zip_by_city`` also ``out_dir/<省>/<市>.zip`` of the city's workbooks."""
    created = created or datetime.now(UTC).replace(microsecond=0)
    rules = rules or Rules.of(standard, year=year)
    stampers: dict[tuple[str, datetime], _Stamper] = {}

    def render(hall: Hall, note: str, when: datetime) -> bytes:
        stamper = stampers.get((note, when))
        if stamper is None:
            stamper = stampers[note, when] = _Stamper(standard, year, when, rules, note)
        return stamper.render(hall)

    issued = Issued()
    for hall in halls:
        note = "" if rules.config.evaluated(hall) else unrated_reason(hall, rules)
        if note and not include_unrated:
            issued.unrated += 1
            continue
        path = template_path(Path(out_dir), hall)
        if path.exists() or path.is_symlink():
            when = _issued_at(path)
            same = when is not None and path.is_file() and _same_parts(path.read_bytes(), render(hall, note, when))
            (issued.kept if same else issued.refused).append(path)
            continue
        write_bytes_atomic(path, render(hall, note, created))
        issued.wrote.append(path)
    if zip_by_city:
        zip_cities(issued.paths, created)
    return issued


def _same_parts(existing: bytes, fresh: bytes) -> bool:
    """Whether two workbooks hold the same parts, save for docProps/core.xml (the moment openpyxl saved it)."""
    def parts(data: bytes) -> dict[str, bytes]:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return {i.filename: zf.read(i) for i in zf.infolist() if i.filename != "docProps/core.xml"}

    try:
        return parts(existing) == parts(fresh)
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _issued_at(path: Path) -> datetime | None:
    """The creation stamp in an existing workbook's _meta sheet, or None when it has none (not one of ours)."""
    try:
        wb = load_workbook(path, read_only=True)
        try:
            rows = {str(r[0]): r[1] for r in wb[wbk.SHEET_META].iter_rows(values_only=True) if len(r) >= 2}
        finally:
            wb.close()
        return datetime.fromisoformat(str(rows.get("created")))
    except Exception:  # any file that is not a readable workbook of ours: not ours to replace
        return None


def write_templates(halls: Iterable[Hall], standard: Standard, out_dir: str | Path, year: int,
                    created: datetime | None = None, zip_by_city: bool = False,
                    rules: Rules | None = None) -> list[Path]:
    """Every hall's workbook (不参评 ones included, marked) into a folder of new ones; return the paths in register
    order. A different workbook already in the way is refused (:func:`issue_templates`), never replaced."""
    issued = issue_templates(halls, standard, out_dir, year, created, zip_by_city, rules, include_unrated=True)
    if issued.refused:
        raise HallscoreError(f"已有内容不同的检查表(可能已填写),未覆盖:{issued.refused[0]};请换一个输出目录")
    return issued.paths


def zip_cities(paths: Iterable[Path], created: datetime) -> list[Path]:
    """One zip per city folder, next to it; members sorted and dated ``created`` so reruns give equal bytes."""
    by_city: dict[Path, list[Path]] = {}
    for path in paths:
        by_city.setdefault(Path(path).parent, []).append(Path(path))
    zips = []
    for folder in sorted(by_city):
        target = folder.with_name(folder.name + ".zip")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:  # xlsx is compressed already
            for path in sorted(by_city[folder]):
                zf.writestr(zipfile.ZipInfo(f"{folder.name}/{path.name}", created.timetuple()[:6]),
                            path.read_bytes())
        write_bytes_atomic(target, buffer.getvalue())
        zips.append(target)
    return zips


def write_master(standard: Standard, out_dir: str | Path) -> Path:
    """Write the blank master workbook of ``standard`` (no hall, no year, no date: reproducible content)."""
    path = master_path(Path(out_dir), standard)
    buffer = io.BytesIO()
    build_workbook(standard, None, None).save(buffer)
    write_bytes_atomic(path, buffer.getvalue())
    return path
