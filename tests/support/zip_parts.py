"""Crafted returns: a real return written by openpyxl, with one part of its zip rewritten."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path


def sheet_part(path: Path, title: str) -> str:
    """The zip name of the worksheet called ``title`` (through workbook.xml and its rels)."""
    with zipfile.ZipFile(path) as zf:
        wb = zf.read("xl/workbook.xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(r'<sheet[^>]*name="' + re.escape(title) + r'"[^>]*r:id="([^"]+)"', wb)[1]
    target = re.search(r'<Relationship[^>]*Id="' + rid + r'"[^>]*Target="([^"]+)"', rels) or re.search(
        r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="' + rid + '"', rels)
    target = target[1].lstrip("/")
    return target if target.startswith("xl/") else "xl/" + target


def rewrite(path: Path, out: Path, edits: dict) -> Path:
    """Copy the zip at ``path`` to ``out``; ``edits`` maps part name → function(bytes) → bytes, or None to drop."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename in edits:
                if edits[info.filename] is None:
                    continue
                data = edits[info.filename](data)
            dst.writestr(info.filename, data)
        for name, func in edits.items():
            if name not in src.namelist() and func is not None:
                dst.writestr(name, func(b""))
    return out


def append_rows(rows_xml) -> callable:
    """An edit that adds rows (an iterable of str) at the end of <sheetData>."""

    def edit(data: bytes) -> bytes:
        text = data.decode()
        extra = "".join(rows_xml)
        if "<sheetData/>" in text:
            return text.replace("<sheetData/>", f"<sheetData>{extra}</sheetData>").encode()
        return text.replace("</sheetData>", extra + "</sheetData>").encode()

    return edit
