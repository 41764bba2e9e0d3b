"""Random damage to a good return, seeded: every case ends accepted or rejected with a problem, never a crash."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from support import faults as ff
from support.returns import YEAR, fill_scoring, make_halls, write_return

from generator.intake.run import check_file
from generator.rules import contract as wbk

TODAY = date(YEAR, 12, 1)
VALUES = (None, "", " ", "不适用", "是", "否", "满分", "8分", "=A1", "=1/0", "#DIV/0!", 0, -1, 0.5, 3.3, 4, 1e308,
          -1e-308, 10**20, "1E+999999", "1E-999999", "NaN", "Infinity", "１２", True, False,
          datetime(YEAR, 5, 1), datetime(1900, 1, 1), date(YEAR + 1, 1, 1), "x" * 5000, "<b>&amp;</b>", "{id}",
          "H010000", "自评", "集团复核", "2025-02-30", "2025年13月1日")


@pytest.fixture(scope="module")
def good(tmp_path_factory, standard):
    halls = make_halls({"甲": 2})
    path = write_return(standard, halls[0], fill_scoring(standard, 93), tmp_path_factory.mktemp("fuzz"))
    return path, {h.hall_id: h for h in halls}


def outcome(path, standard, register):
    record, problems, _ = check_file(path, path.name, standard, register, YEAR, TODAY)
    codes = [p.code for p in problems]
    assert "check-failed" not in codes, problems
    assert all(p.message and p.severity in ("error", "warning") for p in problems)
    if record is None:
        assert any(p.severity == "error" for p in problems)
    else:
        assert not any(p.severity == "error" for p in problems)
    return "accepted" if record is not None else "rejected"


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(5)
        at = rng.randrange(len(data))
        if op == 0:
            data[at] ^= 1 << rng.randrange(8)
        elif op == 1:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif op == 2:
            del data[at:at + rng.randint(1, 64)]
        elif op == 3:
            data[at:at + 8] = b"\x00" * 8
        else:
            data = data[:at]
        if not data:
            break
    return bytes(data)


def test_random_byte_damage(good, standard, tmp_path):
    path, register = good
    rng = random.Random(4)
    data = path.read_bytes()
    seen = set()
    for n in range(150):
        case = tmp_path / f"bytes{n}.xlsx"
        case.write_bytes(mutate_bytes(data, rng))
        seen.add(outcome(case, standard, register))
    assert "rejected" in seen


def test_random_damage_inside_xml_parts(good, standard, tmp_path):
    """The zip is intact but a part's XML is damaged: the workbook reader must fail cleanly."""
    path, register = good
    rng = random.Random(5)
    content = ff.parts(path)
    names = sorted(content)
    for n in range(80):
        name = rng.choice(names)
        broken = dict(content, **{name: mutate_bytes(content[name], rng)})
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for part, body in broken.items():
                zf.writestr(part, body)
        case = tmp_path / f"xml{n}.xlsx"
        case.write_bytes(buf.getvalue())
        outcome(case, standard, register)


def test_random_cell_and_structure_edits(good, standard, tmp_path):
    path, register = good
    rng = random.Random(6)
    results = []
    for n in range(80):
        wb = openpyxl.load_workbook(path)
        for _ in range(rng.randint(1, 3)):
            op = rng.randrange(10)
            ws = wb[rng.choice(wb.sheetnames)]
            if op == 0 and len(wb.sheetnames) > 1:
                del wb[ws.title]
            elif op == 1:
                ws.delete_rows(rng.randint(1, 12), rng.randint(1, 3))
            elif op == 2:
                ws.insert_rows(rng.randint(1, 12))
            elif op == 3:
                ws.title = rng.choice(("Sheet1", "检查", ws.title + "1"))
            else:
                sheet = rng.choice((wbk.SHEET_COVER, wbk.SHEET_ITEMS, wbk.SHEET_EVENTS, wbk.SHEET_VETO,
                                    wbk.SHEET_META))
                if sheet in wb.sheetnames:
                    wb[sheet].cell(rng.randint(1, 14), rng.randint(1, 9)).value = rng.choice(VALUES)
        case = tmp_path / f"cells{n}.xlsx"
        wb.save(case)
        results.append(outcome(case, standard, register))
    assert {"accepted", "rejected"} <= set(results)
