"""The spreadsheet XML the fast reader parses: its namespaces, an expat parse with callbacks, the text of a
string item, and column letters as numbers."""

from __future__ import annotations

import re
from collections.abc import Callable
from xml.parsers import expat

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
SEP = "}"

Attrs = dict[str, str]  # an element's attributes as expat gives them
Row = list[object]  # one row of a sheet: the cell values, None where a cell is empty
StartHandler = Callable[[str, Attrs], None]
TagHandler = Callable[[str], None]  # an element's end, or character data


def parse_xml(xml: bytes, start: StartHandler, end: TagHandler | None = None, chars: TagHandler | None = None) -> None:
    parser = expat.ParserCreate(namespace_separator=SEP)
    parser.buffer_text = True
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if chars is not None:
        parser.CharacterDataHandler = chars
    parser.Parse(xml, True)


class TextCollector:
    """Plain text of an <si> or <is> element the way openpyxl's Text.content gives it.

    The <t> directly under the element comes first, then the <t> of each run; phonetic runs (<rPh>) are left out.
    """

    SI, IS, T, R, RPH = (MAIN + SEP + n for n in ("si", "is", "t", "r", "rPh"))

    def __init__(self) -> None:
        self.plain: str | None = None
        self.runs: list[str] = []
        self.path: list[str] = []
        self.buf: list[str] | None = None

    def reset(self) -> None:
        self.plain, self.runs, self.path, self.buf = None, [], [], None

    def start(self, tag: str) -> None:
        self.path.append(tag)
        if tag == self.T:
            self.buf = []

    def end(self, tag: str) -> None:
        self.path.pop()
        if tag == self.T and self.buf is not None and self.RPH in self.path:
            self.buf = None  # a phonetic run's text (even inside its own <r>) is not part of the string
            return
        if tag == self.T and self.buf is not None:
            text = "".join(self.buf)
            parent = self.path[-1] if self.path else ""
            if parent == self.R:
                self.runs.append(text)
            elif parent in (self.SI, self.IS) and self.plain is None:
                self.plain = text
            self.buf = None

    def chars(self, data: str) -> None:
        if self.buf is not None:
            self.buf.append(data)

    def content(self) -> str:
        return (self.plain or "") + "".join(self.runs)


CELL_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


def column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n

