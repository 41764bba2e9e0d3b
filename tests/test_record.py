"""results.json read into typed results and written back by one module: same bytes, versions checked."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from support.site import make_year, site_halls

from generator.archive.codec import SCHEMA_VERSION, HallRow, RoundScore, dumps, from_json, to_json
from generator.archive.hall_json import exact
from generator.archive.store import RESULTS_FILE, load_archive
from generator.build import rebuild_site
from generator.cli.app import main
from generator.errors import SiteError

YEAR = 2025


@pytest.fixture
def archived(tmp_path):
    archive = tmp_path / "archive"
    make_year(tmp_path, archive, site_halls(), YEAR)
    return archive


def test_typed_results_write_back_the_same_bytes(archived):
    path = archived / str(YEAR) / RESULTS_FILE
    raw = path.read_text(encoding="utf-8")
    typed = from_json(json.loads(raw))
    assert typed.schema_version == SCHEMA_VERSION and all(isinstance(h, HallRow) for h in typed.halls)
    scored = [h for h in typed.halls if h.final_score is not None]
    assert scored and all(isinstance(h.final_score, Decimal) for h in scored)
    assert any(r.round == "市级检查" for h in typed.halls for r in h.rounds)
    assert dumps(to_json(typed)) == raw
    [year] = load_archive(archived)
    assert year.record.year == YEAR and year.record.halls[0].hall_id == year.results["halls"][0]["hall_id"]


def _as_schema_1(data: dict) -> dict:
    """What a results.json looked like before 逐级认定: no confirmed tier, no awaiting, no decisions."""
    old = json.loads(json.dumps(data))
    old["schema_version"] = 1
    for hall in old["halls"]:
        for key in ("confirmed_tier", "awaiting", "decisions"):
            del hall[key]
    for entry in old["shortlists"]:
        for nominee in entry["nominees"]:
            nominee.pop("decision")
    return old


def test_a_schema_1_archive_is_upgraded_on_load_and_still_makes_a_site(archived, tmp_path):
    path = archived / str(YEAR) / RESULTS_FILE
    now = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(_as_schema_1(now), ensure_ascii=False), encoding="utf-8")
    [year] = load_archive(archived)
    assert year.results["schema_version"] == SCHEMA_VERSION
    # No list was ever answered, so what schema 2 records is what the upgrade derives.
    for before, after in zip(now["halls"], year.results["halls"]):
        assert (after["confirmed_tier"], after["awaiting"], after["decisions"]) == (
            before["confirmed_tier"], before["awaiting"], before["decisions"])
    assert year.record.halls[0].decisions == ()
    pages = rebuild_site(archived, tmp_path / "site")
    assert pages > 0 and (tmp_path / "site" / str(YEAR) / "index.html").is_file()
    waiting = next(h for h in year.results["halls"] if h["awaiting"])
    from generator.site.pages import hall_slug

    page = (tmp_path / "site" / str(YEAR) / "halls" / f"{hall_slug(waiting['hall_id'])}.html").read_text(encoding="utf-8")
    assert f"待{waiting['awaiting']}认定" in page


def _as_schema_2(data: dict) -> dict:
    """What a results.json looked like before the case file: events of the deciding workbook as {id, count,
    points, note}, vetoes as {id, note}, rounds without status, no pending_round or ranked."""
    old = json.loads(json.dumps(data))
    old["schema_version"] = 2
    for hall in old["halls"]:
        for key in ("bonus_events", "deduction_events"):
            hall[key] = [{"id": e["item"], "count": e["count"], "points": e["points"],
                          "note": "".join(n for _, n in e["notes"])} for e in hall[key]]
        hall["vetoes"] = [{"id": v["item"], "note": "".join(n for _, n in v["notes"])} for v in hall.pop("veto_events")]
        hall["rounds"] = [{k: v for k, v in r.items() if k not in ("status", "note", "problems")}
                          for r in hall["rounds"] if r["status"] == "accepted"]
        del hall["pending_round"], hall["ranked"]
    return old


def test_a_schema_2_archive_is_upgraded_to_the_case_file_form(archived):
    path = archived / str(YEAR) / RESULTS_FILE
    now = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(_as_schema_2(now), ensure_ascii=False), encoding="utf-8")
    [year] = load_archive(archived)
    assert year.results["schema_version"] == SCHEMA_VERSION
    with_events = [(b, a) for b, a in zip(now["halls"], year.results["halls"]) if b["deduction_events"]]
    assert with_events
    for before, after in with_events:
        assert [(e["item"], e["count"], e["rounds"]) for e in after["deduction_events"]] == [
            (e["item"], e["count"], [before["round"]]) for e in before["deduction_events"]]
    for before, after in zip(now["halls"], year.results["halls"]):
        assert all(r["status"] == "accepted" for r in after["rounds"]) and after["pending_round"] is None
        assert after["ranked"] == (before["tier"] not in ("不参评", "未检查") and before["round"] not in ("", "自评"))
    assert year.record.halls[0].hall_id == now["halls"][0]["hall_id"]


@pytest.mark.parametrize("version, said", [(4, "格式版本为 4,比本程序能读的版本 3 新"), ("二", "格式版本“二”无法识别"),
                                           (None, "格式版本“None”无法识别")])
def test_an_archive_of_another_version_is_refused_in_chinese(archived, tmp_path, version, said):
    path = archived / str(YEAR) / RESULTS_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    data["schema_version"] = version
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(SiteError, match=said):
        load_archive(archived)
    result = CliRunner().invoke(main, ["site", "--archive", str(archived), "--site-dir", str(tmp_path / "site")])
    assert result.exit_code != 0 and said in result.output and "Traceback" not in result.output
    assert str(path) in result.output


def test_each_json_number_is_typed_as_its_own_text_whatever_was_typed_before():
    # The memo keys on the number: values that are equal but written differently must not share a Decimal.
    for first, second in [(1, 1.0), (1.0, 1), (0.0, -0.0), (-0.0, 0.0), (2.5, 2.5), (True, 1), (1, True)]:
        for value in (first, second, first):
            got = exact(value)
            expected = value if isinstance(value, bool) else Decimal(str(value))
            assert type(got) is type(expected) and str(got) == str(expected), (first, second, value)
    nan = exact(float("nan"))
    assert nan.is_nan() and exact(float("nan")).is_nan()
    assert exact("不适用") == "不适用" and exact(None) is None


def test_typed_rows_are_the_rows_the_dataclass_makes(archived):
    from dataclasses import fields

    data = json.loads((archived / str(YEAR) / RESULTS_FILE).read_text(encoding="utf-8"))
    typed = from_json(data)
    for row in typed.halls:
        made = HallRow(**{f.name: getattr(row, f.name) for f in fields(HallRow)})
        assert row == made and repr(row) == repr(made) and vars(row) == vars(made)
        assert list(vars(row)) == [f.name for f in fields(HallRow)]  # every field set, in the dataclass's order
        for score in row.rounds:
            again = RoundScore(**{f.name: getattr(score, f.name) for f in fields(RoundScore)})
            assert score == again and repr(score) == repr(again) and list(vars(score)) == list(vars(again))
    with pytest.raises(AttributeError):  # still frozen
        typed.halls[0].final_score = Decimal(1)  # type: ignore[misc]
    with pytest.raises(AttributeError):
        typed.halls[0].rounds[0].final_score = Decimal(1)  # type: ignore[misc]
    # A round with a field missing or unknown is refused as before, saying so.
    for spoil in (lambda r: r.update(extra=1), lambda r: r.pop("final_score")):
        hall = json.loads(json.dumps(data["halls"][0]))
        spoil(hall["rounds"][0])
        with pytest.raises(SiteError, match="内容不完整"):
            from_json({**data, "halls": [hall]})
