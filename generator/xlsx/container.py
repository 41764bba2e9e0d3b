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

from generator.why import why

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
    """Sane bounds for a returned workbook, far above what a filled return holds."""

    max_file_bytes: int = 20 * 1024 * 1024
    max_entries: int = 1000
    max_total_bytes: int = 100 * 1024 * 1024
    max_ratio: int = 100  # per part, checked once the part is larger than ratio_floor
    ratio_floor: int = 1024 * 1024
    # What the reader may hold of one file (far more than a return's largest sheet).
    max_rows: int = 5_000
    max_cols: int = 200
    max_cells: int = 200_000
    max_part_bytes: int = 16 * 1024 * 1024  # one sheet's XML unzipped
    max_problems: int = 100  # per file; the rest are counted in one problems-truncated problem


DEFAULT_LIMITS = Limits()


KEEP_BYTES = 32 * 1024 * 1024  # the most of one file's unzipped XML kept for the reader
# Every declaration holds a "!" byte, in UTF-8 and UTF-16 alike; most parts have none (memchr-fast to find).
_BANG = b"!"


class Parts(dict[str, bytes]):
    """The XML parts the container check unzipped, by name, with the size of every part of the zip.

    Knowing every part's size, the reader need not open the zip again for the parts kept here."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: dict[str, int] | None = None  # set once the zip's directory has been checked


@dataclass(frozen=True)
class Fault:
    """One thing wrong with a file as a container: a problem code of the catalogue and the fields its message
    quotes (the catalogue, one floor up, says it in words)."""

    code: str
    fields: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, code: str, **fields: str) -> Fault:
        return cls(code, tuple(fields.items()))


def _dangerous(data: bytes) -> bool:
    # A declaration starts "<!" in UTF-8, "<\0!" in UTF-16 (LE or BE): the full search only where one is.
    return _BANG in data and (b"<!" in data or b"<\x00!" in data) and any(token in data for token in DANGEROUS)


def inspect_container(path: Path, limits: Limits = DEFAULT_LIMITS,
                      parts: dict[str, bytes] | None = None) -> list[Fault]:
    """What is wrong with the file as a container; a fault other than a warning means it must not be parsed.

    ``parts``, when given, receives the XML parts the entity scan unzipped (those of at most
    ``limits.max_part_bytes``, up to ``KEEP_BYTES`` in all), so that the reader need not unzip them again;
    a :class:`Parts` also receives every part's size, so that the reader need not open the zip at all."""
    size = path.stat().st_size
    if size == 0:
        return [Fault("file-empty")]
    if size > limits.max_file_bytes:
        return [Fault.of("file-too-large", found=megabytes(size), limit=megabytes(limits.max_file_bytes))]
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head == OLE_SIGNATURE:
        data = path.read_bytes()
        if any(marker in data for marker in ENCRYPTED_MARKERS):
            return [Fault("file-encrypted")]
        return [Fault("file-legacy-xls")]
    if not head.startswith(b"PK"):
        return [Fault("file-not-zip")]
    try:
        with zipfile.ZipFile(path) as zf:
            return _inspect_zip(zf, path, limits, parts)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, struct.error, EOFError, OSError, ValueError,
            NotImplementedError, RuntimeError) as exc:
        # Truncated by a mail gateway, bytes flipped (CRC error), an unsupported compression method …
        return [Fault.of("file-damaged", detail=why(exc))]


def _inspect_zip(zf: zipfile.ZipFile, path: Path, limits: Limits,
                 parts: dict[str, bytes] | None = None) -> list[Fault]:
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        return [Fault.of("file-zip-limits", detail=f"包含 {len(infos)} 个部件,上限 {limits.max_entries}")]
    total = sum(i.file_size for i in infos)
    if total > limits.max_total_bytes:
        return [Fault.of("file-zip-limits", detail=f"解压后共 {megabytes(total)},上限 {megabytes(limits.max_total_bytes)}")]
    for info in infos:
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            return [Fault.of("file-zip-limits", detail=f"部件 {info.filename[:60]} 压缩比 {ratio}:1,上限 {limits.max_ratio}:1")]
    if any(i.flag_bits & 0x1 for i in infos):
        return [Fault("file-encrypted")]
    names = {i.filename for i in infos}
    if isinstance(parts, Parts):
        parts.sizes = {i.filename: i.file_size for i in infos}
    missing = [p for p in REQUIRED_PARTS if p not in names]
    workbook = workbook_part(zf, names)
    if workbook is None:
        missing.append(STANDARD_WORKBOOK)
    if missing:
        return [Fault.of("file-not-xlsx", detail="缺少 " + "、".join(missing))]
    assert workbook is not None
    with zf.open(workbook) as part:  # strict OOXML names its own namespace at the top of the part
        if b"purl.oclc.org/ooxml/spreadsheetml" in part.read(4096):
            return [Fault("file-strict-ooxml")]
    kept = 0
    for info in infos:
        if not info.filename.lower().endswith(XML_SUFFIXES):
            continue
        if parts is not None and info.file_size <= limits.max_part_bytes and kept + info.file_size <= KEEP_BYTES:
            data = _inflate(zf, info)
            if _dangerous(data):
                parts.clear()
                return [Fault.of("file-xml-entities", part=info.filename[:80])]
            parts[info.filename] = data
            kept += len(data)
        elif _declares_entities(zf, info):
            if parts is not None:
                parts.clear()
            return [Fault.of("file-xml-entities", part=info.filename[:80])]
    found: list[Fault] = []
    if path.suffix.lower() == ".xlsm" or any(n.lower().endswith("vbaproject.bin") for n in names):
        found.append(Fault("file-macros"))
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
INFLATED_PARTS: dict[tuple[int, int, int, int, bytes], bytes] = {}
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
    key: tuple[int, int, int, int, bytes] | None = None
    if raw is not None:
        if info.file_size <= _INFLATED_MAX_PART:
            key = (info.compress_type, info.flag_bits, info.CRC, info.file_size, raw)
            known = INFLATED_PARTS.get(key)
            if known is not None:
                return known
        data = _inflated(info, raw)
        if data is not None:
            if key is not None:
                if len(INFLATED_PARTS) >= _INFLATED_MAX:
                    INFLATED_PARTS.clear()
                INFLATED_PARTS[key] = data
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
