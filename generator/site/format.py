"""How the site writes a figure and names a hall page: the filters every template and chart shares.

Scores on pages are written half-up (四舍五入) from their exact Decimal, never through ``round()``.
"""

from __future__ import annotations

import functools
import hashlib
import re
from decimal import Decimal

from generator.evaluate.scoring import half_up
from generator.numbers import plain


def hall_slug(hall_id: str) -> str:
    """A file name for a hall page, one per 厅编码 (never two halls in one file): the 厅编码 itself when it is
    plain ASCII without lower-case letters (so that two names cannot differ only in case, which a file system
    that ignores case would merge), else ``_`` and a hash (no plain name starts with ``_``)."""
    if re.fullmatch(r"[A-Z0-9][A-Z0-9_.-]{0,63}", hall_id) and not hall_id.endswith("."):
        return hall_id
    return "_" + hashlib.sha256(hall_id.encode("utf-8")).hexdigest()[:24]


def fmt(value: object, places: int = 1) -> str:
    """Scores on pages: one decimal, '—' for none, 不适用 as is."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    return _fmt_number(value, places)


@functools.lru_cache(maxsize=8192)
def _fmt_number(value: object, places: int) -> str:
    # Scores repeat a lot across a year's halls; Decimal rounding is the costly part of a hall page.
    return f"{half_up(Decimal(str(value)), places):.{places}f}"


def fmt_points(value: object) -> str:
    """Item points as entered: 3, 2.5."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return _plain_points(value)


@functools.lru_cache(maxsize=4096)
def _plain_points(value: object) -> str:
    # Every hall page lists every item's score, from a handful of distinct values.
    return plain(value)
