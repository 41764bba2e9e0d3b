"""Rows serialized by xlsxrows.py give the very bytes openpyxl writes for them, for every kind of value the
exports hold (text that looks like a formula or markup, whitespace, unsafe characters, long text, numbers of
every shape), and anything else is left to openpyxl."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from decimal import Decimal

import openpyxl
from support.rows import hall_row, shortlist

from generator.workbooks.exports import application_bytes, ranks, reward_rows, workbook_bytes
from generator.xlsx.rows import RowReuse, has_unsafe, plain, split_rows
from generator.xlsx.textcell import UNSAFE

NASTY = ["=HYPERLINK(\"http://x\",\"点我\")", "<b>&amp;</b>", "  前后空格 ", "\t制表", "换\n行\r", "   ", "",
         "a\x01b\x7fc\ufffe", "x" * 40000, "🙂 emoji", "@SUM(A1)", "#N/A", "-1"]


def _halls():
    halls = []
    for n, text in enumerate(NASTY):
        score = [Decimal("94.4"), Decimal("100"), Decimal("0"), None, Decimal("66.65")][n % 5]
        halls.append(hall_row(hall_id=f"H{n}", name=text, city=NASTY[-n - 1], district=text[:5],
                              final_score=score, base_score=score, bonus=Decimal("0.5") if score else None,
                              deduction=Decimal("3") if score else None, self_gap=Decimal("-2.5") if n % 2 else None,
                              sections={"迎宾接待": Decimal("83.3"), "环境": "不适用"} if score else {},
                              tier="良好" if score else "未检查", tier_reason=text, level=n,
                              awaiting="省" if n % 3 == 0 else None, needs_decision=bool(n % 4 == 0)))
    return halls


def test_fast_rows_give_openpyxls_bytes():
    halls = _halls()
    lists = [shortlist({"scope": "甲", "tier": "优秀", "quota": 2, "size": 3, "needs_decision": [],
                        "nominees": [{"hall_id": "H1", "name": NASTY[0], "final_score": 94.4, "rank": 1,
                                      "decision": None, "confirmed": False},
                                     {"hall_id": "H2", "name": NASTY[2], "final_score": 100, "rank": 2,
                                      "decision": "认定", "confirmed": True}]})]
    for args in ((halls, ["迎宾接待", "环境"], lists), (halls, [], None), (halls[3:4], ["环境"], None),
                 (None, [], lists), ([], ["迎宾接待"], lists)):
        fast = workbook_bytes(2025, *args)
        assert fast == workbook_bytes(2025, *args, fast=False)
        assert workbook_bytes(2025, *args, scope="甲") == workbook_bytes(2025, *args, scope="甲", fast=False)
    sheet = openpyxl.load_workbook(io.BytesIO(workbook_bytes(2025, halls, ["迎宾接待"], lists)))["营业厅"]
    assert sheet["B2"].value == NASTY[0] and sheet["B2"].data_type == "s"  # text, never a formula
    assert sheet["B9"].value == "abc" and len(sheet["B10"].value) == 32767


def _application():
    halls = _halls()
    return {
        "assessment": [{"province": "甲", "tiered": 3, "counts": {"优秀": 1, "良好": 1, "达标": 0, "不达标": 1},
                        "recognised": {"优秀": 0, "良好": 1}, "pass_rate": 66.7, "coverage": 100, "average": 90.25,
                        "average_change": None, "pass_rate_change": -1.5, "improved": True,
                        "progress": {"open_rejections": 2, "passed": False}}],
        "rewards": {"甲": [{"hall_id": h.hall_id, "name": h.name, "city": h.city, "tier": h.tier,
                            "confirmed_tier": None, "consequence": NASTY[1], "note": h.name} for h in halls]},
        "eligible": [h for h in halls if h.final_score is not None],
    }


def test_application_rows_give_openpyxls_bytes():
    application = _application()
    for provinces in (["甲"], ["乙"], []):
        assert application_bytes(2025, application, provinces) == application_bytes(2025, application, provinces,
                                                                                     fast=False)


def test_values_the_fast_rows_do_not_write_go_to_openpyxl():
    assert plain([["a", 1, 2.5, None]], {1: "0.0"}) is True
    assert plain([["a", 1]], {0: "0.0"}) is False
    for odd in (True, float("nan"), float("inf"), Decimal("1.5")):
        assert plain([["a", odd]], {}) is None


def test_the_quick_unsafe_check_misses_no_unsafe_character():
    for code in list(range(0x10000)) + [p * 0x10000 + k for p in range(1, 17) for k in (0, 0xFFFD, 0xFFFE, 0xFFFF)]:
        char = chr(code)
        assert has_unsafe(f"a{char}b") == bool(UNSAFE.search(char)), hex(code)


def _reuse(halls, old=None, previous: bytes | None = None, context="v1"):
    from generator.site.page_keys import hall_digest

    def load(part: str) -> bytes | None:
        return None if previous is None else zipfile.ZipFile(io.BytesIO(previous)).read(part)

    return RowReuse(context, [hall_digest(h, {"sha256"})[0] for h in halls], old, load)


def test_rows_kept_from_the_last_workbook_give_a_cold_workbooks_bytes():
    halls, sections = _halls(), ["迎宾接待", "环境"]
    first = _reuse(halls)
    made = workbook_bytes(2025, halls, sections, None, reuse=first)
    assert made == workbook_bytes(2025, halls, sections, None, fast=False) and first.made and first.reused == 0
    # One hall renamed and rescored: its row and those whose rank moved are made again, the rest kept.
    changed = list(halls)
    changed[4] = replace(halls[4], name="改名<厅>", final_score=Decimal("99.5"))
    second = _reuse(changed, first.made, made)
    again = workbook_bytes(2025, changed, sections, None, reuse=second)
    cold = workbook_bytes(2025, changed, sections, None, fast=False)
    assert again == cold
    same = [a is b and ra == rb for a, b, ra, rb in zip(halls, changed, ranks(halls), ranks(changed))]
    assert second.reused == sum(same) and 0 < second.reused < len(halls)
    assert openpyxl.load_workbook(io.BytesIO(again))["营业厅"]["B6"].value == "改名<厅>"
    # A memo of other code or columns, or a workbook that is not the one the memo describes: every row made.
    sheet = zipfile.ZipFile(io.BytesIO(made)).read("xl/worksheets/sheet1.xml").replace(b">H1<", b">H9<", 1)
    forged = io.BytesIO()
    with zipfile.ZipFile(forged, "w") as zf:
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    for reuse in (_reuse(changed, first.made, made, context="v2"), _reuse(changed, first.made, forged.getvalue()),
                  _reuse(changed, {**first.made, "keys": first.made["keys"][:-1]}, made),
                  _reuse(changed, "not a memo", made), _reuse(changed, first.made, None)):
        assert workbook_bytes(2025, changed, sections, None, reuse=reuse) == cold and reuse.reused == 0
    # A made row with a character XML cannot hold among kept ones: cleaned as openpyxl cleans it.
    unsafe = list(changed)
    unsafe[4] = replace(changed[4], name="坏\x01字")
    third = _reuse(unsafe, second.made, again)
    assert workbook_bytes(2025, unsafe, sections, None, reuse=third) == workbook_bytes(2025, unsafe, sections, None,
                                                                                         fast=False)
    assert third.reused == len(halls) - 1
    # The other sections: no row is the same.
    other = _reuse(changed, second.made, again)
    assert workbook_bytes(2025, changed, ["环境"], None, reuse=other) == workbook_bytes(2025, changed, ["环境"], None,
                                                                                       fast=False)
    assert other.reused == 0


def test_text_with_any_kind_of_space_at_either_end_gives_openpyxls_bytes():
    odd = ["\u3000全角\u3000", "\xa0前", "后\u2028", "\u3000", " \xa0 ", "中 间", "a&b<c>d ", " ", "\u2003x\u2003"]
    halls = [hall_row(hall_id=f"S{n}", name=text, city=odd[-n - 1], tier="未检查") for n, text in enumerate(odd)]
    assert workbook_bytes(2025, halls, [], None) == workbook_bytes(2025, halls, [], None, fast=False)


def test_a_saved_sheet_whose_rows_are_not_numbered_as_expected_gives_no_rows():
    sheet = b'<sheetData><row r="1"><c/></row><row r="2">a</row><row r="3">b</row></sheetData>'
    assert split_rows(sheet, 2) == [b'<row r="2">a</row>', b'<row r="3">b</row>']
    assert split_rows(sheet, 3) is None and split_rows(sheet.replace(b'r="3"', b'r="4"'), 2) is None
    assert split_rows(b"<worksheet/>", 0) is None


def _sheet_reuse(rows, old=None, previous: bytes | None = None):
    def load(part: str) -> bytes | None:
        return None if previous is None else zipfile.ZipFile(io.BytesIO(previous)).read(part)

    return RowReuse("v1", [repr(row) for row in rows], old, load)


def test_reward_rows_kept_from_the_last_workbook_give_a_cold_workbooks_bytes():
    application = _application()
    first = _sheet_reuse(reward_rows(application, ["甲"]))
    made = application_bytes(2025, application, ["甲"], reuse=first)
    assert made == application_bytes(2025, application, ["甲"], fast=False) and first.made and first.reused == 0
    rewards = [dict(r) for r in application["rewards"]["甲"]]
    rewards[2]["note"] = "改<了>"
    changed = {**application, "rewards": {"甲": rewards}}
    cold = application_bytes(2025, changed, ["甲"], fast=False)
    second = _sheet_reuse(reward_rows(changed, ["甲"]), first.made, made)
    assert application_bytes(2025, changed, ["甲"], reuse=second) == cold and second.reused == len(rewards) - 1
    # A workbook that is not the one the memo describes, or no memo: every row made.
    part = first.made["part"]
    edited = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(made)) as src, zipfile.ZipFile(edited, "w") as dst:
        for name in src.namelist():
            body = src.read(name)
            dst.writestr(name, body.replace(b'<row r="3">', b'<row r="3" >', 1) if name == part else body)
    for reuse in (_sheet_reuse(reward_rows(changed, ["甲"]), first.made, edited.getvalue()),
                  _sheet_reuse(reward_rows(changed, ["甲"]), "not a memo", made),
                  _sheet_reuse(reward_rows(changed, ["甲"]), first.made, None)):
        assert application_bytes(2025, changed, ["甲"], reuse=reuse) == cold and reuse.reused == 0
    # A value openpyxl is to write among kept rows: it writes them all.
    odd = [dict(r) for r in rewards]
    odd[1]["note"] = True
    strange = {**application, "rewards": {"甲": odd}}
    third = _sheet_reuse(reward_rows(strange, ["甲"]), second.made, application_bytes(2025, changed, ["甲"]))
    assert application_bytes(2025, strange, ["甲"], reuse=third) == application_bytes(2025, strange, ["甲"], fast=False)
