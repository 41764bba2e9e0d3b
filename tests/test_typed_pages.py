"""Pages and exports read the typed record (record.py): attributes and exact Decimals, drawn and written as
results.json holds them, whatever the archive's JSON numbers were."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
from support.site import make_year, site_halls

from generator.archive.codec import HallRow, Shortlist
from generator.archive.store import load_archive
from generator.site import charts
from generator.site.pages import _lost_items, iter_pages
from generator.site.view import YearView, todo_lists
from generator.workbooks.exports import workbook_bytes


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


def _mean_of_json_numbers(values):
    """The reference: statistics.mean of the figures as results.json holds them, one term per hall."""
    from statistics import mean

    from generator.numbers import number

    known = [number(v) for v in values if isinstance(v, Decimal)]
    return mean(known) if known else None


def test_averages_from_counts_are_the_per_hall_mean_to_the_last_bit():
    import random
    from collections import Counter

    from generator.site.view import average as _avg
    from generator.site.view import average_counts as _avg_counts

    rng = random.Random(15)
    cases = [[], [None, "不适用"], [Decimal("95"), Decimal("97")], [Decimal("95"), Decimal("96")],
             [Decimal("3"), Decimal("3.0"), Decimal("2.5")], [Decimal("94.3")] * 7 + [None]]
    for _ in range(200):
        step = rng.choice([Decimal("0.1"), Decimal("0.5"), Decimal("1"), Decimal("0.01")])
        cases.append([step * rng.randint(0, 1000) if rng.random() > 0.1 else rng.choice([None, "不适用"])
                      for _ in range(rng.randint(1, 300))])
    for values in cases:
        got, want = _avg_counts(Counter(values)), _mean_of_json_numbers(values)
        assert type(got) is type(want) and repr(got) == repr(want), values
        assert repr(_avg(values)) == repr(want)
    assert type(_avg_counts(Counter([Decimal("95"), Decimal("97")]))) is int  # whole mean of whole figures


def test_year_figures_are_those_of_a_pass_over_every_hall(tmp_path):
    from collections import defaultdict

    make_year(tmp_path, tmp_path / "archive", site_halls(), 2025)
    [year] = load_archive(tmp_path / "archive")
    view = YearView(year)
    scored = [h for h in view.halls if h.final_score is not None]
    assert len({h.province for h in scored}) > 1
    assert any(v == "不适用" for h in scored for v in h.items.values())

    def sections(halls):
        return {s: _mean_of_json_numbers(h.sections.get(s) for h in halls if h.final_score is not None)
                for s in view.section_names}

    assert repr(view.national) == repr(sections(view.halls))
    for name in view.provinces:
        halls = [h for h in view.halls if h.province == name]
        assert repr(view.province_avgs[name]) == repr(sections(halls)) == repr(view.section_averages(halls))
        row = view.row_by_name[name]
        assert repr(row["avg"]) == repr(_mean_of_json_numbers(h.final_score for h in halls))
        for city in view.cities(name):
            assert repr(city["avg"]) == repr(_mean_of_json_numbers(h.final_score for h in halls
                                                                   if h.city == city["name"]))
    assert repr(view.avg) == repr(_mean_of_json_numbers(h.final_score for h in scored))
    assert view.todo == todo_lists(reversed(view.halls)) and any(view.todo.values())
    for name in view.provinces:
        assert view.todo_by_province[name] == todo_lists([h for h in reversed(view.halls) if h.province == name])

    def weakest(halls):  # points lost per item, hall by hall
        lost, applicable = defaultdict(Decimal), defaultdict(int)
        for hall in halls:
            for item in view.standard.items:
                score = hall.items.get(item.id)
                if isinstance(score, Decimal):
                    lost[item.id] += item.max_points - score
                    applicable[item.id] += 1
        rows = sorted((-lost[i.id], i.id, lost[i.id], lost[i.id] / applicable[i.id])
                       for i in view.standard.items if lost[i.id] > 0)
        return [(item_id, total, per_hall) for _, item_id, total, per_hall in rows[:10]]

    for halls in [scored] + [[h for h in scored if h.province == p] for p in view.provinces]:
        got = [(r["item"].id, r["lost"], r["per_hall"]) for r in view.weakest_items(halls)]
        assert got == weakest(halls) and got

