"""The contacts list (联系人清单): who receives a city's templates, an .xlsx or .csv read like the register.

Columns 省, 市, 联系人, 邮箱 (one or more addresses), 抄送 (optional). Every problem is collected before
anything is raised, so one run tells the user everything to fix.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from generator.errors import HallscoreError, RegisterError
from generator.rules.register import Hall, read_rows
from generator.xlsx.textcell import cell_text
from generator.xlsx.write import append_text_row

COLUMNS = ("省", "市", "联系人", "邮箱")
OPTIONAL = ("抄送",)
# Addresses in one cell: ; , 、 ; , or white space between them.
_SPLIT = re.compile(r"[;,、;,\s]+")
# A strict dot-atom address: what mail clients accept without quoting; no display names, no comments.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+$")
_LOCAL = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@({_LABEL})$")
# What a display name may not hold: control characters, line and paragraph separators (U+2028/2029, NEL …),
# bidirectional overrides, and anything that reads as an address or a second recipient.
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069<>@,;:\"\\]")


class ContactsError(HallscoreError):
    """The contacts list is unreadable or does not fit the register."""


@dataclass(frozen=True)
class Contact:
    province: str
    city: str
    name: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()


def valid_address(text: str, intranet: Iterable[str] = ()) -> bool:
    """A dot-atom address with a dotted domain; a single-label domain (``@localhost``, an intranet host) only
    when it is one of ``intranet`` (the user said so with --intranet-domain)."""
    if len(text) > 254:
        return False
    if _ADDRESS.match(text):
        return True
    local = _LOCAL.match(text)
    return local is not None and local[1].lower() in {d.lower() for d in intranet}


def address_problem(text: str, intranet: Iterable[str] = ()) -> str:
    """Why an address is refused, or "" when it is valid."""
    if valid_address(text, intranet):
        return ""
    if _LOCAL.match(text):
        return (f"{text}(单段域名,如 @localhost 或内网主机名,默认不接受;确为内网地址时请用 "
                f"--intranet-domain {text.rpartition('@')[2]} 指定)")
    return text


def name_problem(name: str) -> str:
    """Why a contact name cannot be a display name, or "" (a name is shown, never parsed as an address)."""
    found = _BAD_NAME.search(name)
    if found is None:
        return ""
    char = found[0]
    shown = char if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"
    return f"联系人姓名含不允许的字符 {shown}(姓名只写名字,不含控制字符、换行、引号、逗号、@ 或 <>)"


def split_addresses(text: str) -> list[str]:
    return [a for a in _SPLIT.split(text or "") if a]


def load_contacts(path: str | Path, halls: Iterable[Hall] | None = None,
                  intranet: Iterable[str] = ()) -> dict[tuple[str, str], Contact]:
    """Contacts by (省, 市); with ``halls`` every city of the register must have one and no other city may appear.

    ``intranet``: single-label mail domains accepted in addresses (refused by default, with the reason)."""
    intranet = tuple(intranet)
    path = Path(path)
    try:
        rows, _encoding = read_rows(path)
    except RegisterError as exc:
        raise ContactsError(str(exc).replace("营业厅清单", "联系人清单")) from exc
    col = _column_index(rows, path)
    cities = {(h.province, h.city) for h in halls} if halls is not None else None
    contacts: dict[tuple[str, str], Contact] = {}
    problems: list[str] = []
    for n, row in enumerate(rows[1:], 2):
        cells = {name: cell_text(row[i] if i < len(row) else None) for name, i in col.items()}
        if not any(cells.values()):
            continue
        found = _row_contact(cells, intranet, contacts, cities)
        if isinstance(found, Contact):
            contacts[(found.province, found.city)] = found
        else:
            problems.append(f"第 {n} 行:{found}")
    if cities is not None:
        problems += _cities_without_contact(cities, contacts)
    if problems:
        shown = problems[:80] + ([f"……另有 {len(problems) - 80} 处"] if len(problems) > 80 else [])
        raise ContactsError(f"联系人清单 {path} 有误:\n  - " + "\n  - ".join(shown))
    return dict(sorted(contacts.items()))


def _column_index(rows: list[list[object]], path: Path) -> dict[str, int]:
    """Where each known column is, from the first row; an empty list or a missing column is raised."""
    if not rows:
        raise ContactsError(f"联系人清单 {path} 是空的")
    header = [cell_text(c) for c in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ContactsError(f"联系人清单 {path} 第 1 行缺少列:{'、'.join(missing)}"
                            f"(应包含:{'、'.join(COLUMNS)},可选:{'、'.join(OPTIONAL)})")
    return {name: header.index(name) for name in COLUMNS + OPTIONAL if name in header}


def _row_contact(cells: dict[str, str], intranet: tuple[str, ...], contacts: dict[tuple[str, str], Contact],
                 cities: set[tuple[str, str]] | None) -> Contact | str:
    """The contact a non-blank row gives, or the first thing wrong with it (checked against the rows before)."""
    empty = [name for name in COLUMNS if not cells[name]]
    if empty:
        return f"{'、'.join(empty)} 为空"
    to, cc = split_addresses(cells["邮箱"]), split_addresses(cells.get("抄送", ""))
    bad = [address_problem(a, intranet) for a in to + cc if not valid_address(a, intranet)]
    if bad:
        return f"邮箱地址无效:{'、'.join(bad)}"
    wrong_name = name_problem(cells["联系人"])
    if wrong_name:
        return wrong_name
    key = (cells["省"], cells["市"])
    if key in contacts:
        return f"{key[0]}{key[1]} 重复"
    if cities is not None and key not in cities:
        return f"{key[0]} {key[1]} 不在营业厅清单中"
    return Contact(key[0], key[1], cells["联系人"], tuple(to), tuple(a for a in cc if a not in to))


def _cities_without_contact(cities: set[tuple[str, str]], contacts: dict[tuple[str, str], Contact]) -> list[str]:
    """One problem per register city with no contact, the first 50 named and the rest counted."""
    lacking = sorted(cities - contacts.keys())
    problems = [f"营业厅清单中的 {p} {c} 没有联系人" for p, c in lacking[:50]]
    if len(lacking) > 50:
        problems.append(f"……另有 {len(lacking) - 50} 个市没有联系人")
    return problems


def write_contacts(contacts: Iterable[Contact], path: str | Path) -> None:
    """Write a contacts list as .xlsx or .csv (used by the demo and by tests)."""
    path = Path(path)
    rows = [list(COLUMNS + OPTIONAL)] + [[c.province, c.city, c.name, ";".join(c.to), ";".join(c.cc)]
                                          for c in contacts]
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerows(rows)
        return
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "联系人"
    for row in rows:
        append_text_row(ws, row)
    wb.save(path)
