"""Rows typed from their results.json lines are keyed by those lines (archive/lines.py): the same key as read back,
a new key for any change a page or download shows, and a file laid out otherwise read as ever."""

from __future__ import annotations

import dataclasses
import json

from test_handover import typed_year

from generator.archive import hall_json
from generator.archive.lines import line_digest, line_key, read_lines
from generator.archive.store import RESULTS_FILE, load_archive, write_year
from generator.rules.standard import DEFAULT_STANDARD
from generator.site.page_keys import forget_digests, hall_digest, page_row_digest

SHA = "ab" * 32


def test_the_handed_over_and_the_read_back_rows_have_the_same_keys(tmp_path):
    results, intake = typed_year(tmp_path)
    folder, as_read = write_year(tmp_path / "archive", results, intake, DEFAULT_STANDARD)
    handed = [line_digest(h) for h in as_read.halls]
    assert all(k is not None and k.startswith("line:") for k in handed)
    [year] = load_archive(tmp_path / "archive")
    assert [line_digest(h) for h in year.record.halls] == handed
    forget_digests()
    assert [page_row_digest(h)[0] for h in year.record.halls] == handed
    assert [hall_digest(h, {"sha256"})[0] for h in as_read.halls] == handed
    # A row made otherwise (a copy) is keyed from its fields, as before.
    copy = dataclasses.replace(as_read.halls[0])
    assert line_digest(copy) is None and not hall_digest(copy, {"sha256"})[0].startswith("line:")


def _key(row):
    return line_key(row, hall_json.ENCODE(hall_json.hall_to_json(row)))


def test_a_key_changes_with_every_field_but_a_returns_checksum(tmp_path):
    results, _intake = typed_year(tmp_path)
    hall = next(h for h in results.halls if h.rounds)
    rounds = (dataclasses.replace(hall.rounds[0], sha256=SHA), *hall.rounds[1:])
    hall = dataclasses.replace(hall, rounds=rounds)
    key = _key(hall)
    assert key is not None
    resent = dataclasses.replace(hall, rounds=(dataclasses.replace(rounds[0], sha256="cd" * 32), *rounds[1:]))
    assert _key(resent) == key
    for changed in (dataclasses.replace(hall, rank=(hall.rank or 0) + 1),
                    dataclasses.replace(hall, tier_reason=hall.tier_reason + "。"),
                    dataclasses.replace(hall, name=hall.name + "x"),
                    dataclasses.replace(hall, rounds=(dataclasses.replace(rounds[0], note="n"), *rounds[1:]))):
        assert _key(changed) not in (None, key)
    # The checksum's text elsewhere in the line too: no line key (taking it out could hide that text).
    assert _key(dataclasses.replace(hall, tier_reason=SHA)) is None
    assert _key(dataclasses.replace(hall, rounds=(dataclasses.replace(rounds[0], sha256="x"), *rounds[1:]))) is None


def test_read_lines_is_json_loads_or_nothing(tmp_path):
    results, intake = typed_year(tmp_path)
    folder, _as_read = write_year(tmp_path / "archive", results, intake, DEFAULT_STANDARD)
    text = (folder / RESULTS_FILE).read_text(encoding="utf-8")
    data, lines = read_lines(text)
    assert data == json.loads(text) and [json.loads(line) for line in lines] == data["halls"]
    start = text.index('"halls":[\n') + len('"halls":[\n')
    first_end = text.index("\n", start)
    odd = {
        "crlf": text.replace("\n", "\r\n"),
        "two a line": text[:first_end] + text[first_end + 1:],
        "escaped twin, empty": text.replace('"answers":', '"hall\\u0073":[],"answers":', 1),
        "escaped twin": text.replace('"answers":', '"hall\\u0073":[{"a":1}],"answers":', 1),
        "split": text[:start + 10] + "\n" + text[start + 10:],
        "indented": text.replace("\n{", "\n {"),
    }
    for name, edited in odd.items():
        try:
            expected = json.loads(edited)
        except ValueError:
            expected = None
        got = read_lines(edited)
        assert got is None or (got[0] == expected and [json.loads(x) for x in got[1]] == expected["halls"]), name
    assert read_lines(odd["crlf"]) is None and read_lines(odd["escaped twin, empty"]) is None
