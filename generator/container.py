"""Checks on a returned file as a zip container, made before any XML parser sees it.

An xlsx is a zip of XML parts. A hostile or broken file can expand to gigabytes (a zip bomb), declare XML
entities that expand exponentially ("billion laughs") or point outside the file, be an encrypted Office file
(an OLE compound file, not a zip), or carry macros. Everything here works on the zip directory and on bounded
reads of each part, so a bad file costs little time and memory. The file is only opened for reading.
"""

from __future__ import annotations

import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from .problems import Problem, problem
from .why import why

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted xlsx is an OLE file holding these streams (names are UTF-16LE in the directory).
ENCRYPTED_MARKERS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
REQUIRED_PARTS = ("[Content_Types].xml",)
STANDARD_WORKBOOK = "xl/workbook.xml"
_OFFICE_DOCUMENT = re.compile(rb'<Relationship\b[^>]*?Type="[^"]*/officeDocument"[^>]*>')
_TARGET = re.compile(rb'\bTarget="([^"]+)"')
XML_SUFFIXES = (".xml", ".rels", ".vml")
# Entity declarations in the encodings an XML part may use.
DANGEROUS = tuple(
    token.encode(enc) for token in ("<!DOCTYPE", "<!ENTITY") for enc in ("utf-8", "utf-16-le", "utf-16-be")
)
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """Sane bounds for a returned workbook: a filled 120-item return is ~40 KB zipped, ~400 KB unzipped."""

    max_file_bytes: int = 20 * 1024 * 1024
    max_entries: int = 1000
    max_total_bytes: int = 100 * 1024 * 1024
    max_ratio: int = 100  # per part, checked once the part is larger than ratio_floor
    ratio_floor: int = 1024 * 1024
    # What the reader may hold of one file (a return has ~150 rows of ~10 columns on its largest sheet).
    max_rows: int = 5_000
    max_cols: int = 200
    max_cells: int = 200_000
    max_part_bytes: int = 16 * 1024 * 1024  # one sheet's XML unzipped (a filled return's is ~100 KB)
    max_problems: int = 100  # per file; the rest are counted in one problems-truncated problem


DEFAULT_LIMITS = Limits()


KEEP_BYTES = 32 * 1024 * 1024  # the most of one file's unzipped XML kept for the reader
# Every declaration holds a "!" byte, in UTF-8 and UTF-16 alike; most parts have none (memchr-fast to find).
_BANG = b"!"


class Parts(dict):
    """The XML parts the container check unzipped, by name, with the size of every part of the zip.

    Knowing every part's size, the reader need not open the zip again for the parts kept here."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: dict[str, int] | None = None  # set once the zip's directory has been checked


def _dangerous(data: bytes) -> bool:
    # A declaration starts "<!" in UTF-8, "<\0!" in UTF-16 (LE or BE): the full search only where one is.
    return _BANG in data and (b"<!" in data or b"<\x00!" in data) and any(token in data for token in DANGEROUS)


def check_container(path: Path, name: str, limits: Limits = DEFAULT_LIMITS,
                    parts: dict[str, bytes] | None = None) -> list[Problem]:
    """Problems of the file as a container; an error among them means it must not be parsed.

    ``parts``, when given, receives the XML parts the entity scan unzipped (those of at most
    ``limits.max_part_bytes``, up to ``KEEP_BYTES`` in all), so that the reader need not unzip them again;
    a :class:`Parts` also receives every part's size, so that the reader need not open the zip at all."""
    size = path.stat().st_size
    if size == 0:
        return [problem("file-empty", file=name)]
    if size > limits.max_file_bytes:
        return [problem("file-too-large", file=name, found=megabytes(size), limit=megabytes(limits.max_file_bytes))]
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head == OLE_SIGNATURE:
        data = path.read_bytes()
        if any(marker in data for marker in ENCRYPTED_MARKERS):
            return [problem("file-encrypted", file=name)]
        return [problem("file-legacy-xls", file=name)]
    if not head.startswith(b"PK"):
        return [problem("file-not-zip", file=name)]
    try:
        with zipfile.ZipFile(path) as zf:
            return _check_zip(zf, path, name, limits, parts)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, struct.error, EOFError, OSError, ValueError,
            NotImplementedError, RuntimeError) as exc:
        # Truncated by a mail gateway, bytes flipped (CRC error), an unsupported compression method …
        return [problem("file-damaged", file=name, detail=why(exc))]


def _check_zip(zf: zipfile.ZipFile, path: Path, name: str, limits: Limits,
               parts: dict[str, bytes] | None = None) -> list[Problem]:
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        return [problem("file-zip-limits", file=name, detail=f"包含 {len(infos)} 个部件,上限 {limits.max_entries}")]
    total = sum(i.file_size for i in infos)
    if total > limits.max_total_bytes:
        return [problem("file-zip-limits", file=name,
                        detail=f"解压后共 {megabytes(total)},上限 {megabytes(limits.max_total_bytes)}")]
    for info in infos:
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            return [problem("file-zip-limits", file=name,
                            detail=f"部件 {info.filename[:60]} 压缩比 {ratio}:1,上限 {limits.max_ratio}:1")]
    if any(i.flag_bits & 0x1 for i in infos):
        return [problem("file-encrypted", file=name)]
    names = {i.filename for i in infos}
    if isinstance(parts, Parts):
        parts.sizes = {i.filename: i.file_size for i in infos}
    missing = [p for p in REQUIRED_PARTS if p not in names]
    workbook = workbook_part(zf, names)
    if workbook is None:
        missing.append(STANDARD_WORKBOOK)
    if missing:
        return [problem("file-not-xlsx", file=name, detail="缺少 " + "、".join(missing))]
    assert workbook is not None
    with zf.open(workbook) as part:  # strict OOXML names its own namespace at the top of the part
        if b"purl.oclc.org/ooxml/spreadsheetml" in part.read(4096):
            return [problem("file-strict-ooxml", file=name)]
    kept = 0
    for info in infos:
        if not info.filename.lower().endswith(XML_SUFFIXES):
            continue
        if parts is not None and info.file_size <= limits.max_part_bytes and kept + info.file_size <= KEEP_BYTES:
            data = _inflate(zf, info)
            if _dangerous(data):
                parts.clear()
                return [problem("file-xml-entities", file=name, part=info.filename[:80])]
            parts[info.filename] = data
            kept += len(data)
        elif _declares_entities(zf, info):
            if parts is not None:
                parts.clear()
            return [problem("file-xml-entities", file=name, part=info.filename[:80])]
    found: list[Problem] = []
    if path.suffix.lower() == ".xlsm" or any(n.lower().endswith("vbaproject.bin") for n in names):
        found.append(problem("file-macros", file=name))
    return found


def workbook_part(zf: zipfile.ZipFile, names: set[str]) -> str | None:
    """The workbook part, found as Excel finds it: the officeDocument relationship of ``_rels/.rels`` (a valid
    package may name its parts as it likes); ``xl/workbook.xml`` when the package has no usable one."""
    if "_rels/.rels" in names:
        info = zf.getinfo("_rels/.rels")
        if info.file_size <= 64 * 1024:
            try:
                with zf.open(info) as part:
                    found = _OFFICE_DOCUMENT.search(part.read(64 * 1024))
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError):
                found = None
            target = _TARGET.search(found[0]) if found else None
            if target:
                text = target[1].decode("utf-8", "replace")
                part_name = posixpath.normpath(text[1:] if text.startswith("/") else text)
                if part_name in names:
                    return part_name
    return STANDARD_WORKBOOK if STANDARD_WORKBOOK in names else None




# Parts inflated before, by everything their inflation depends on (the compressed bytes themselves included):
# returns of one template share their theme, styles, workbook and relationships byte for byte.
_INFLATED: dict[tuple, bytes] = {}
_INFLATED_MAX_PART = 16 * 1024
_INFLATED_MAX = 256
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile's structFileHeader: a part's local header


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The part unzipped whole, asking for no more than its declared size (checked before), so that a part
    lying about its size is never inflated past its claim (zipfile's read() would inflate it all at once).

    The usual part is inflated here from its compressed bytes, read where zipfile would read them (after the
    local-header checks zipfile makes): only when it inflates to exactly its declared size with its CRC is that
    the answer, the bytes zipfile would give. A small part whose compressed bytes, method, flags, CRC and size
    are those of a part inflated before is that part's bytes (same input, same output). Anything unusual goes
    to zipfile, whose result or error is the one that counts."""
    raw = _compressed(zf, info)
    key = None
    if raw is not None:
        if info.file_size <= _INFLATED_MAX_PART:
            key = (info.compress_type, info.flag_bits, info.CRC, info.file_size, raw)
            known = _INFLATED.get(key)
            if known is not None:
                return known
        data = _inflated(info, raw)
        if data is not None:
            if key is not None:
                if len(_INFLATED) >= _INFLATED_MAX:
                    _INFLATED.clear()
                _INFLATED[key] = data
            return data
    with zf.open(info) as part:
        return part.read(info.file_size or 1)


def _inflated(info: zipfile.ZipInfo, raw: bytes) -> bytes | None:
    """``raw`` inflated, when it gives exactly the part zipfile would check and accept; else None."""
    if info.file_size == 0:
        return None
    if info.compress_type == zipfile.ZIP_DEFLATED:
        try:
            data = zlib.decompressobj(-15).decompress(raw, info.file_size)  # never more than the claim
        except zlib.error:
            return None
    elif info.compress_type == zipfile.ZIP_STORED and info.compress_size == info.file_size:
        data = raw
    else:
        return None
    return data if len(data) == info.file_size and zlib.crc32(data) == info.CRC else None


def _compressed(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    """The part's compressed bytes, read where zipfile would read them, or None if zipfile might object."""
    if info.flag_bits & 0x61 or zf.fp is None:  # encrypted, patched or strongly encrypted: zipfile decides
        return None
    fp = zf.fp
    fp.seek(info.header_offset)
    header = fp.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        return None
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != b"PK\x03\x04":
        return None
    name = fp.read(fields[10])
    try:  # as zipfile.open() compares them: the local name decoded by the local flags
        if name.decode("utf-8" if fields[3] & 0x800 else "cp437") != info.orig_filename:
            return None
    except UnicodeDecodeError:
        return None
    fp.seek(fields[11], 1)
    raw = fp.read(info.compress_size)
    return raw if len(raw) == info.compress_size else None


def _declares_entities(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Stream one part (bounded by its declared size, which zipfile enforces) looking for declarations."""
    tail = b""
    keep = max(len(t) for t in DANGEROUS) - 1
    with zf.open(info) as part:
        while True:
            chunk = part.read(CHUNK)
            if not chunk:
                return False
            window = tail + chunk
            if any(token in window for token in DANGEROUS):
                return True
            tail = window[-keep:]


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


# Workbooks given beside the returns (--overrides, --decisions): bounded like a return before openpyxl loads
# them, since a full load of a crafted sheet takes minutes and gigabytes. A national list has ~20,000 rows.
SIDE_LIMITS = Limits(max_file_bytes=20 * 1024 * 1024, max_total_bytes=64 * 1024 * 1024,
                     max_part_bytes=48 * 1024 * 1024, max_cells=600_000)
_CELL = re.compile(rb"<(?:\w+:)?c[\s>/]")
_FORMULA_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{1,3}[0-9]{1,7})\"[^>]*>(?:(?!</(?:\w+:)?c>).){0,400}?"
                           rb"<(?:\w+:)?f[\s>/]", re.S)


def side_workbook_fault(path: Path, limits: Limits = SIDE_LIMITS) -> str | None:
    """Why a workbook given with --overrides or --decisions must not be read (in Chinese), or None.

    The container checks of a return, then each sheet's size and cell count, then any formula: those workbooks
    are read by value, and a formula's value is what the program that saved it computed (none at all when it
    was written by a script), so a formula cell is named rather than read as empty."""
    parts = Parts()
    found = [p for p in check_container(path, path.name, limits, parts) if p.severity == "error"]
    if found:
        return found[0].message
    sizes = getattr(parts, "sizes", {})
    for part, size in sorted(sizes.items()):
        if not part.startswith("xl/worksheets/") or not part.endswith(".xml"):
            continue
        data = parts.get(part)
        if data is None or size > limits.max_part_bytes:
            return f"工作表部件 {part} 解压后为 {megabytes(size)},超过上限 {megabytes(limits.max_part_bytes)};请提交下发的工作簿"
        cells = len(_CELL.findall(data))
        if cells > limits.max_cells:
            return f"工作表部件 {part} 有 {cells} 个单元格,超过上限 {limits.max_cells};请提交下发的工作簿"
        formula = _FORMULA_CELL.search(data)
        if formula:
            sheet = _sheet_title(parts, part)
            return (f"工作表 {sheet} 单元格 {formula.group(1).decode('ascii')} 是公式,系统只读取直接填写的值;"
                    f"请把公式改为直接填写的内容(复制后“选择性粘贴 → 数值”)再提交")
    return None


def _sheet_title(parts: dict[str, bytes], part: str) -> str:
    """The title the user sees for a worksheet part (its file name when the workbook does not say)."""
    rels, book = parts.get("xl/_rels/workbook.xml.rels", b""), parts.get("xl/workbook.xml", b"")
    target = part[len("xl/"):]
    rel = re.search(rb"<Relationship\b[^>]*Id=\"([^\"]+)\"[^>]*Target=\"/?(?:xl/)?" + re.escape(target.encode())
                    + rb"\"", rels) or re.search(rb"<Relationship\b[^>]*Target=\"/?(?:xl/)?" +
                                                 re.escape(target.encode()) + rb"\"[^>]*Id=\"([^\"]+)\"", rels)
    if rel:
        sheet = re.search(rb"<(?:\w+:)?sheet\b[^>]*name=\"([^\"]*)\"[^>]*r:id=\"" + re.escape(rel.group(1)) + rb"\"",
                          book)
        if sheet:
            import html

            return html.unescape(sheet.group(1).decode("utf-8", "replace"))
    return part.rsplit("/", 1)[-1]
