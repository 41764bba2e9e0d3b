"""Pages and exports read the typed record (record.py): attributes and exact Decimals, drawn and written as
results.json holds them, whatever the archive's JSON numbers were."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
from sitedata import make_year, site_halls

from generator import charts
from generator.exports import workbook_bytes
from generator.pages import YearView, _lost_items, iter_pages
from generator.record import HallRow, Shortlist
from generator.results import load_archive


def test_charts_draw_a_records_decimals_as_the_json_numbers():
    exact, plain = [Decimal("94.3"), Decimal("95"), Decimal("61.5")], [94.3, 95, 61.5]
    assert charts.histogram("分布", exact) == charts.histogram("分布", plain)
    assert (charts.trend("历年", [(2024, exact[0]), (2025, None)])
            == charts.trend("历年", [(2024, plain[0]), (2025, None)]))
    assert (charts.hbars("各省", [("甲", exact[0]), ("乙", exact[1])], low="auto")
            == charts.hbars("各省", [("甲", plain[0]), ("乙", plain[1])], low="auto"))
    assert (charts.grouped_bars("环节", ["迎宾"], [("本厅", {"迎宾": exact[0]})])
            == charts.grouped_bars("环节", ["迎宾"], [("本厅", {"迎宾": plain[0]})]))
    assert (charts.deviation("差", ["迎宾"], [("本厅", {"迎宾": exact[1]})], {"迎宾": Decimal("93.0")})
            == charts.deviation("差", ["迎宾"], [("本厅", {"迎宾": plain[1]})], {"迎宾": 93.0}))
    assert ">94.3<" in str(charts.hbars("各省", [("甲", exact[0])]))


def test_a_year_view_is_the_typed_record_and_its_pages_and_export_agree(tmp_path):
    results = make_year(tmp_path, tmp_path / "archive", site_halls(), 2025)
    [year] = load_archive(tmp_path / "archive")
    view = YearView(year)
    assert view.record is year.record  # typed once per year, then shared by every page
    assert all(isinstance(h, HallRow) for h in view.halls) and all(isinstance(s, Shortlist) for s in view.shortlists)
    hall = next(h for h in view.scored if _lost_items(h, view.standard))
    raw = next(h for h in results["halls"] if h["hall_id"] == hall.hall_id)
    assert isinstance(hall.final_score, Decimal) and hall.final_score == Decimal(str(raw["final_score"]))
    lost = _lost_items(hall, view.standard)
    assert all(isinstance(r["lost"], Decimal) for r in lost)  # exact losses, never floats
    assert sum(r["lost"] for r in lost) == sum(item.max_points - Decimal(str(raw["items"][item.id]))
                                               for item in view.standard.items
                                               if isinstance(raw["items"][item.id], (int, float)))
    pages = dict(iter_pages(None, views=[view]))
    page = pages[f"2025/halls/{hall.hall_id}.md"]
    assert f"{Decimal(str(raw['final_score'])):.1f}" in page
    ws = openpyxl.load_workbook(io.BytesIO(workbook_bytes(2025, view.halls, view.section_names)))["营业厅"]
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == hall.hall_id)
    assert row[11] == raw["final_score"] and type(row[11]) is type(raw["final_score"])
