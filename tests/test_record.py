"""results.json read into typed results and written back by one module: same bytes, versions checked."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sitedata import make_year, site_halls

from generator.build import rebuild_site
from generator.cli import main
from generator.errors import SiteError
from generator.record import SCHEMA_VERSION, HallRow, dumps, from_json, to_json
from generator.results import RESULTS_FILE, load_archive

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
    from generator.pages import hall_slug

    page = (tmp_path / "site" / str(YEAR) / "halls" / f"{hall_slug(waiting['hall_id'])}.html").read_text(encoding="utf-8")
    assert f"待{waiting['awaiting']}认定" in page


@pytest.mark.parametrize("version, said", [(3, "格式版本为 3,比本程序能读的版本 2 新"), ("二", "格式版本“二”无法识别"),
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
