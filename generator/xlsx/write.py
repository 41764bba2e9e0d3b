"""Every workbook hallscore hands out is written through here: strings stay text, same data gives same bytes.

Results, 上报名单, 问题清单, 结果应用, the demo's register and contacts list all use these helpers, so the
two rules live in one place:

- Text, never a formula. openpyxl makes any string that starts with ``=`` a formula; a hall name or a file
  name from a return must stay the text it was (``=HYPERLINK(…)`` in a register would otherwise be a live
  formula in 上报名单). Every string is written as a text cell, without the characters XML cannot hold
  (:mod:`generator.xlsx.textcell` says which).
- Stable bytes. openpyxl stamps the save time into ``docProps/core.xml`` and onto every zip entry;
  :func:`stable_bytes` replaces both by one fixed moment, 31 December 00:00 (UTC) of the year the data is
  about, so rerunning on the same data gives the same file.

The Excel forms (:mod:`generator.workbooks.forms`) carry their issue time on purpose and are stamped there.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell

from generator.xlsx.textcell import clean

_CORE_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)")


def fixed_moment(year: int) -> tuple[int, int, int, int, int, int]:
    """The one date every exported workbook carries: 31 December 00:00 of ``year``."""
    return (year, 12, 31, 0, 0, 0)


def text_value(ws: Any, value: Any) -> Any:
    """``value`` for a write-only sheet: a string becomes a text cell (never a formula); others unchanged."""
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(ws, clean(value))
    cell.data_type = "s"
    return cell


def write_only_row(ws: Any, values: Iterable[Any]) -> list[Any]:
    """A row for ``ws.append`` of a write-only sheet: every string as a text cell."""
    return [text_value(ws, value) for value in values]


def keep_text(cell: Any) -> Any:
    """Mark a normal sheet's ``cell`` as text when it holds a string (openpyxl would read ``=…`` as a formula)."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def append_text_row(ws: Any, values: Iterable[Any]) -> None:
    """``ws.append`` for a normal sheet, every string kept as a text cell."""
    ws.append([clean(v) for v in values])
    for cell in ws[ws.max_row]:
        keep_text(cell)


FAST_DEFLATE_BYTES = 1 << 20


def stable_bytes(wb: Any, year: int) -> bytes:
    """The saved bytes of ``wb`` with every time in them fixed to :func:`fixed_moment` of ``year``."""
    buffer = io.BytesIO()
    wb.save(buffer)
    return stable_zip(buffer.getvalue(), year)


def stable_zip(data: bytes, year: int, rewrite: dict[str, Callable[[bytes], bytes]] | None = None) -> bytes:
    """Rewrite a saved workbook: fixed times in ``docProps/core.xml`` and on every entry, order kept;
    ``rewrite``: entry name → function of its bytes (exports.py splices rows it serialized itself)."""
    moment = fixed_moment(year)
    stamp = b"%04d-%02d-%02dT%02d:%02d:%02dZ" % moment
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():  # openpyxl's own order, the same on every save
            body = src.read(name)
            if name == "docProps/core.xml":
                body = _CORE_TIMES.sub(rb"\g<1>" + stamp + rb"\g<2>", body)
            if rewrite and name in rewrite:
                body = rewrite[name](body)
            info = zipfile.ZipInfo(name, date_time=moment)
            info.compress_type = zipfile.ZIP_DEFLATED
            # The national sheet, the largest by far, is made again on every new return: zlib's fastest level
            # there (the file somewhat larger), its default for the rest.
            dst.writestr(info, body, compresslevel=1 if len(body) > FAST_DEFLATE_BYTES else None)
    return out.getvalue()
