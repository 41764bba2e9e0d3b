"""Seeded fuzzing of registers (random Unicode, control characters, lengths, encodings) and of returns (mutated
bytes, absurd dimensions): no traceback ever, and bounded memory, measured with tracemalloc."""

from __future__ import annotations

import random
import tracemalloc
from datetime import date

import pytest
import yaml
from support.returns import YEAR, full_fill, make_halls, write_return
from support.zip_parts import rewrite, sheet_part

from generator.errors import RegisterError
from generator.intake.run import check_file
from generator.rules.problems import CATALOGUE
from generator.rules.register import COLUMNS, load_register
from generator.site.pages import _front_matter
from generator.xlsx.textcell import UNSAFE

SEED = 20251201
PEAK = 64 * 1024 * 1024
ALPHABET = ("甲乙丙广东天河区厅营业自社会合作", "abcXYZ019 -_,;\"'=+@", "\t\n\r\x00\x07\x1b\x7f",
            "\x80\x85\x9f\u00a0\u200b\u202e\u2028\ufeff\ufdd0\ufffe\uffff", "😀𠀀\U0010fffd",
            "<>&[]()*`#|\\/:", "１２３４")


def _text(rng: random.Random) -> str:
    n = rng.choice((0, 1, 2, 5, 20, 300))
    return "".join(rng.choice(rng.choice(ALPHABET)) for _ in range(n))


def _register_bytes(rng: random.Random) -> bytes:
    rows = [list(COLUMNS)]
    for n in range(rng.randint(0, 12)):
        wild = rng.random() < 0.15  # most rows as people type them, some wild
        row = [f"H{n:03d}", (_text(rng) if wild else f"甲{n}厅") or "厅", "广东",
               rng.choice(("广州", _text(rng))) if wild else "广州", "天河",
               rng.choice(("1", "2", "4", "inf", "nan", "2.0", "-1", "1e999", _text(rng))) if wild else "2",
               rng.choice(("自营", "社会合作", _text(rng))) if wild else "自营"]
        if rng.random() < 0.05:
            row[rng.randrange(len(row))] = _text(rng)
        rows.append(row[: rng.randint(1, 8)] if rng.random() < 0.1 else row)
    sep = rng.choice((",", "\t", ";"))
    text = "\n".join(sep.join('"' + c.replace('"', '""') + '"' if rng.random() < 0.5 else c for c in r)
                     for r in rows)
    encoding = rng.choice(("utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le", "latin-1"))
    data = text.encode(encoding, errors="replace")
    if rng.random() < 0.15:  # damaged bytes
        data = bytearray(data)
        for _ in range(rng.randint(1, 5)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data)
    return data


def test_fuzzed_registers_load_or_are_refused_clearly(tmp_path):
    rng = random.Random(SEED)
    loaded = refused = 0
    tracemalloc.start()
    try:
        for n in range(300):
            path = tmp_path / (f"r{n}.csv" if n % 3 else f"r{n}.txt")
            path.write_bytes(_register_bytes(rng))
            try:
                halls = load_register(path)
            except RegisterError as exc:
                assert str(exc)
                refused += 1
                continue
            loaded += 1
            for hall in halls:
                for value in (hall.hall_id, hall.name, hall.province, hall.city, hall.district, hall.type):
                    assert not UNSAFE.search(value), (path, value)
                    # Whatever got in must survive the front matter of a page.
                    matter = _front_matter(value, summary=value).split("---\n")[1]
                    assert yaml.safe_load(matter)["hallscore_search"] == value
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert loaded > 30 and refused > 30, (loaded, refused)
    assert peak < PEAK, peak


@pytest.fixture(scope="module")
def good(tmp_path_factory, standard):
    halls = make_halls({"甲": 2})
    folder = tmp_path_factory.mktemp("fuzz-returns")
    path = write_return(standard, halls[0], full_fill(standard), folder, name=f"{halls[0].hall_id}_x.xlsx")
    return path, {h.hall_id: h for h in halls}


def _absurd_rows(rng: random.Random) -> str:
    out = []
    for _ in range(rng.randint(1, 40)):
        r = rng.choice((rng.randint(1, 300), rng.randint(300, 1_048_576), 1_048_576))
        col = rng.choice(("A", "Z", "AA", "ZZ", "XFD", "GR", "GS"))
        out.append(f'<row r="{r}"><c r="{col}{r}" t="inlineStr"><is><t>{"x" * rng.randint(0, 50)}</t></is></c></row>')
    return "".join(out)


def _check(path, standard, register, seen: set):
    record, problems, _ = check_file(path, path.name, standard, register, YEAR, date(YEAR, 12, 1))
    assert all(p.code in CATALOGUE and p.code != "check-failed" for p in problems), problems
    assert len(problems) <= 101
    seen.update(p.code for p in problems)
    return record


def test_fuzzed_returns_never_crash_and_stay_small(tmp_path, good, standard):
    path, register = good
    rng = random.Random(SEED)
    data = path.read_bytes()
    sheets = [sheet_part(path, t) for t in ("检查表", "封面", "_meta")]
    seen: set[str] = set()
    tracemalloc.start()
    try:
        for n in range(60):
            out = tmp_path / f"{next(iter(register))}_{n}.xlsx"
            if n % 2:
                bad = bytearray(data)
                for _ in range(rng.randint(1, 8)):
                    at = rng.randrange(len(bad))
                    op = rng.randrange(3)
                    if op == 0:
                        bad[at] = rng.randrange(256)
                    elif op == 1:
                        del bad[at:at + rng.randint(1, 200)]
                    else:
                        bad[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 50)))
                out.write_bytes(bytes(bad))
            else:
                part = rng.choice(sheets)
                extra = _absurd_rows(rng)
                dim = rng.choice(("A1:XFD1048576", "A1", "ZZZ9", ""))

                def edit(xml: bytes, extra=extra, dim=dim) -> bytes:
                    text = xml.decode()
                    text = text.replace("</sheetData>", extra + "</sheetData>")
                    return text.replace('<dimension ref="', f'<dimension ref="{dim}" old="', 1).encode()

                rewrite(path, out, {part: edit})
            _check(out, standard, register, seen)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < PEAK, peak
    assert {"sheet-too-large", "file-damaged"} <= seen, seen  # both kinds of damage were really exercised
