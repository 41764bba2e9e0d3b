"""Keys of rendered pages: a digest of what a page is rendered from, so that a page whose key the last build
wrote is that build's page, byte for byte.

A key covers three things and nothing else: the code, every byte of the template set (any template edit gives
every page a new key) and the values the page's template is handed (:func:`render_inputs_key`). What a page
shows is never worked out from the template text: a value handed to the template counts, whether or not the
template reads it today. A hall's row reaches a template as :func:`page_row` makes it, without its returns'
checksums (provenance the public site does not show, as public.py keeps addresses off it): a return sent again
unchanged but for its file's bytes leaves the pages as they were.
"""

from __future__ import annotations

import copy
import hashlib
import json
import operator
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path

from generator.archive.lines import line_digest
from generator.incremental.fingerprints import code_version
from generator.model import HallRow, RoundScore

# The field of a return no page is handed (page_row), and so no page key holds.
WITHHELD_ROUND_FIELD = "sha256"
_WITHHELD = frozenset({WITHHELD_ROUND_FIELD})


def template_set_digest(template_dir: Path) -> str:
    """A digest of the code and of every file of the template folder, names and bytes."""
    digest = hashlib.sha256(code_version().encode())
    folder = Path(template_dir)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode("utf-8", "surrogatepass") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


# Digests of rows this build has made already, by the row's identity (the row is kept with it, so an identity
# reused by another object is not taken for it): each row's key is made once per build, however many pages and
# downloads ask for it; render.py empties it after each build.
_DIGESTS: dict[tuple[int, bool], tuple[HallRow, tuple[str, int | None]]] = {}


def hall_digest(hall: HallRow, hidden: set[str] | frozenset[str] = frozenset()) -> tuple[str, int | None]:
    """A digest of every field of ``hall`` but its rank, and its rank. ``hidden`` may hold ``"sha256"``: a
    return's checksum left out, for the downloads' rows, which the code (not a template) makes without it.
    The 定级说明 counts with the quota ranks it quotes."""
    blank = WITHHELD_ROUND_FIELD in hidden
    known = _DIGESTS.get((id(hall), blank))
    if known is not None and known[0] is hall:
        return known[1]
    line = line_digest(hall) if blank else None  # a row typed from its results.json line: that line's key
    if line is not None:
        made = line, hall.rank
    else:
        digest = hashlib.sha256(_hall_repr(hall, blank).encode("utf-8", "surrogatepass"))
        reason = repr((hall.tier_reason, hall.reason_ranks))
        digest.update(b"\x1f" + reason.encode("utf-8", "surrogatepass"))
        made = digest.hexdigest(), hall.rank
    _DIGESTS[id(hall), blank] = (hall, made)
    return made


def _hall_repr(hall: HallRow, blank: bool) -> str:
    """Every field's value but the rank and the 定级说明 (with ``blank``, but a return's checksum too) in one
    repr of a tuple: fields in their fixed order (the code is in every key), and the reprs of frozen
    dataclasses and Decimals name every value exactly; made without a copy of the row."""
    rounds = tuple(map(_ROUND_BUT_CHECKSUM, hall.rounds)) if blank else hall.rounds
    return repr((rounds, _HALL_BUT_RANK(hall)))


def forget_digests() -> None:
    """Drop the digests of this build's rows (their identities may be reused by the next build's)."""
    _DIGESTS.clear()


_HALL_FIELDS = tuple(f.name for f in fields(HallRow))
_ROUND_FIELDS = tuple(f.name for f in fields(RoundScore))
_HALL_BUT_RANK = operator.attrgetter(
    *(f for f in _HALL_FIELDS if f not in ("rounds", "rank", "tier_reason", "reason_ranks")))
_ROUND_BUT_CHECKSUM = operator.attrgetter(*(f for f in _ROUND_FIELDS if f != WITHHELD_ROUND_FIELD))


def page_row(hall: HallRow) -> HallRow:
    """``hall`` as page templates are handed it: every field, its returns without their checksums."""
    if not any(getattr(r, WITHHELD_ROUND_FIELD) for r in hall.rounds):
        return hall
    # Copies with one field set, as dataclasses.replace makes them, without running the frozen __init__ over
    # every field again (rendering a province page copies every hall of it).
    shown = copy.copy(hall)
    object.__setattr__(shown, "rounds", tuple(map(_without_checksum, hall.rounds)))
    return shown


def _without_checksum(score: RoundScore) -> RoundScore:
    shown = copy.copy(score)
    object.__setattr__(shown, WITHHELD_ROUND_FIELD, "")
    return shown


def page_row_digest(hall: HallRow) -> tuple[str, int | None]:
    """:func:`hall_digest` of what :func:`page_row` hands a template, and the rank."""
    return hall_digest(hall, _WITHHELD)


def _plain(value: object) -> object:
    if isinstance(value, HallRow):
        return page_row_digest(value)  # every field a page is handed, and the rank
    # A part of the year made for one page (province.ProvinceView) says what of it the template may read.
    key_data = getattr(value, "key_data", None)
    if callable(key_data):
        return _condensed(key_data())
    return repr(value)  # frozen dataclasses and Decimals: every field and value, exactly


_ROWS_MARK = "\0rows"


def _condensed(value: object) -> object:
    """``value`` with each list of rows (a province's halls, its 待办 lists) made one digest of the rows'
    :func:`page_row_digest` and ranks, in their order: the same thing for the key as the rows one by one, hashed
    in one go rather than handed to JSON as a pair per row."""
    if isinstance(value, dict):
        return {k: _condensed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and value and all(type(v) is HallRow for v in value):
        text = "\n".join(f"{d}:{r}" for d, r in map(page_row_digest, value))
        return [_ROWS_MARK, len(value), hashlib.sha256(text.encode("ascii")).hexdigest()]
    return value


def render_inputs_key(base: str, inputs: Mapping[str, object]) -> str:
    """The key of a page rendered with ``inputs`` under ``base`` (:func:`template_set_digest` and whatever else
    the caller's pages share). Inputs made from the others by code alone (a module, a list computed from the
    rows) may be left out by the caller: the code is in ``base``."""
    text = json.dumps(_condensed(dict(inputs)), ensure_ascii=False, sort_keys=True, default=_plain)
    return hashlib.sha256(f"{base}\n{text}".encode("utf-8", "surrogatepass")).hexdigest()
