"""One writer for every exported workbook: the same fixed date everywhere, strings as text, same bytes twice."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest
from support.rows import hall_row

from generator.evaluate.application import eligible, reward_list, service_assessment
from generator.intake.run import REJECTED, FileStatus, IntakeReport
from generator.rules.problems import Problem
from generator.rules.register import Hall
from generator.workbooks.exports import application_bytes, workbook_bytes
from generator.workbooks.lists import list_workbook_bytes
from generator.workbooks.problem_report import build_report
from generator.xlsx.write import stable_zip

YEAR = 2024
EVIL = '=HYPERLINK("http://x","y")'


def _results() -> bytes:
    hall = hall_row(hall_id="H1", name=EVIL, province="甲", city="乙", district="丙", level=2,
                    type="自营", round="自评", tier="达标", tier_reason="", final_score=85.5,
                    base_score=85.5, bonus=0, deduction=0, sections={"业务办理": 90.0})
    return workbook_bytes(YEAR, [hall], ["业务办理"])


def _application() -> bytes:
    halls = {"甲": [hall_row(hall_id="A1", name=EVIL, province="甲", city="甲市", tier="优秀",
                             final_score=96, confirmed_tier="优秀", awaiting=None)]}
    app = {"assessment": service_assessment(halls, ["甲"], None), "rewards": {"甲": reward_list(halls["甲"])},
           "eligible": eligible(halls["甲"])}
    return application_bytes(YEAR, app, ["甲"])


def _shortlist() -> bytes:
    entry = {"scope": "甲", "tier": "优秀", "level": "集团", "quota": 1, "size": 2, "needs_decision": [],
             "waiting": [], "nominees": [{"hall_id": "H1", "name": EVIL, "final_score": 97, "rank": 1, "city": EVIL,
                                          "level": 2, "round": "市级检查"},
                                         {"hall_id": "H2", "name": "乙厅", "final_score": 96, "rank": 2}]}
    return list_workbook_bytes(YEAR, entry)


def _problems() -> bytes:
    files = [FileStatus(f"{EVIL}.xlsx", REJECTED, "H1", problems=[Problem("bad-zip", "error", "无法打开")])]
    return build_report(IntakeReport(files, []), [Hall("H1", EVIL, "甲", "乙", "丙", 2, "自营")], YEAR)


WRITERS = {"results": _results, "application": _application, "shortlist": _shortlist, "problems": _problems}


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_every_export_carries_31_december_of_its_year_and_keeps_text(name):
    data = WRITERS[name]()
    assert data == WRITERS[name](), "same data, same bytes"
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert {info.date_time for info in zf.infolist()} == {(YEAR, 12, 31, 0, 0, 0)}
        core = zf.read("docProps/core.xml").decode()
        sheets = [zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
    times = re.findall(r"<dcterms:(created|modified)[^>]*>([^<]*)<", core)
    assert sorted(times) == [("created", f"{YEAR}-12-31T00:00:00Z"), ("modified", f"{YEAR}-12-31T00:00:00Z")]
    assert not any(b"<f>" in s for s in sheets)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    texts = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(EVIL in c.value for c in texts) and all(c.data_type == "s" for c in texts)


def test_stable_zip_does_not_depend_on_when_the_workbook_was_saved():
    from datetime import datetime

    def saved(when: datetime) -> bytes:
        wb = openpyxl.Workbook()
        wb.active.append(["x"])
        wb.properties.created = wb.properties.modified = when
        buffer = io.BytesIO()
        wb.save(buffer)
        return buffer.getvalue()

    early, late = saved(datetime(2001, 2, 3, 4, 5, 6)), saved(datetime(2030, 7, 8, 9, 10, 11))
    assert early != late
    assert stable_zip(early, YEAR) == stable_zip(late, YEAR)
    assert stable_zip(early, YEAR) != stable_zip(early, YEAR + 1)


def test_demo_register_and_contacts_keep_formula_like_text(tmp_path):
    from generator.mail.contacts import Contact, load_contacts, write_contacts
    from generator.rules.register import load_register, write_register

    write_register([Hall("H1", EVIL, "甲", "乙", "丙", 2, "自营")], tmp_path / "r.xlsx")
    assert load_register(tmp_path / "r.xlsx")[0].name == EVIL
    write_contacts([Contact("甲", "乙", "=1+1", ("a@example.cn",), ())], tmp_path / "c.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "c.xlsx").active
    assert (ws["C2"].value, ws["C2"].data_type) == ("=1+1", "s")
    assert load_contacts(tmp_path / "c.xlsx")
