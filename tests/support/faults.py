"""Ways a return gets broken, as a person in Excel or a broken mail client would break it.

Workbook edits go through openpyxl (what a person does); container faults rewrite the zip or the bytes
(what a gateway, an old Excel or an attacker does). Each helper writes a new file and leaves its source alone.
"""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import openpyxl

from support.zip_parts import sheet_part  # noqa: F401 - the faults' callers find it here too

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>
"""


def edit_cells(path: Path, edits: dict[tuple[str, str], object]) -> None:
    wb = openpyxl.load_workbook(path)
    for (sheet, cell), value in edits.items():
        wb[sheet][cell].value = value
    wb.save(path)


def edit_workbook(path: Path, change) -> None:
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)


def swap_rows(ws, a: int, b: int) -> None:
    for col in range(1, ws.max_column + 1):
        top, bottom = ws.cell(a, col), ws.cell(b, col)
        top.value, bottom.value = bottom.value, top.value


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def rezip(path: Path, out: Path, replace: dict[str, bytes | None] | None = None,
          method: int = zipfile.ZIP_DEFLATED) -> Path:
    """Write ``out`` with the parts of ``path``, some replaced, dropped (None) or added."""
    content = parts(path)
    for name, body in (replace or {}).items():
        if body is None:
            content.pop(name, None)
        else:
            content[name] = body
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, body in content.items():
            zf.writestr(name, body)
    out.write_bytes(buf.getvalue())
    return out


def truncated(path: Path, out: Path) -> Path:
    data = path.read_bytes()
    out.write_bytes(data[: len(data) // 2])
    return out


def base64_text(path: Path, out: Path) -> Path:
    out.write_bytes(base64.encodebytes(path.read_bytes()))
    return out


def flip_compressed_byte(path: Path, out: Path, part: str) -> Path:
    """Corrupt one byte inside a part's compressed data, as a bad transfer does: the CRC no longer matches."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(part)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    out.write_bytes(bytes(data))
    return out


def encrypted_flag(path: Path, out: Path) -> Path:
    """Set the 'encrypted' bit on every entry, as a zip tool's password option does."""
    data = bytearray(path.read_bytes())
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(sig)
        while at != -1:
            data[at + offset] |= 0x01
            at = data.find(sig, at + 4)
    out.write_bytes(bytes(data))
    return out


def ole_file(out: Path, encrypted: bool) -> Path:
    """An OLE compound file like Excel writes for a password-protected xlsx (or, without the streams, a .xls)."""
    body = OLE + b"\x00" * 504
    if encrypted:
        body += "EncryptionInfo".encode("utf-16-le") + b"\x00" * 50 + "EncryptedPackage".encode("utf-16-le")
    out.write_bytes(body + b"\x00" * 1024)
    return out
