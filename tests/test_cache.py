"""The intake cache gives exactly what a cold build gives; a changed return is read again and changes its hall's
page and nothing it should not."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest
from markupsafe import escape
from support.builds import build_year as run
from support.returns import YEAR, fill_scoring, full_fill, make_halls, scored_returns, write_return

from generator.build import BuildOptions, build
from generator.intake.errors import NothingAcceptedError
from generator.rules.regions import province_slug
from generator.rules.register import write_register
from generator.site.pages import hall_slug

HALLS = make_halls({"广东": 6, "北京": 4, "西藏": 3})


@pytest.fixture
def inbox(standard, tmp_path):
    register, returns = scored_returns(standard, tmp_path, HALLS, lambda n: 100 - 2.5 * n)
    (returns / "说明.txt").write_text("附件\n", encoding="utf-8")
    return register, returns


def test_cached_build_equals_cold_build(inbox, tmp_path):
    register, returns = inbox
    cold = run(register, returns, tmp_path / "cold", None)
    first = run(register, returns, tmp_path / "first", tmp_path / "cache")
    second = run(register, returns, tmp_path / "second", tmp_path / "cache", workers=2)
    workbooks = sum(1 for p in returns.rglob("*.xlsx"))
    assert (first.files_read, first.cache_hits) == (workbooks, 0)
    assert (second.files_read, second.cache_hits) == (0, workbooks)
    results = [(out / "archive" / str(YEAR) / "results.json").read_bytes() for out in
               (tmp_path / "cold", tmp_path / "first", tmp_path / "second")]
    assert results[0] == results[1] == results[2]
    reports = [s.intake.to_dict() for s in (cold, first, second)]
    assert reports[0] == reports[1] == reports[2]
    assert reports[0]["summary"]["rejected"] == 1 and reports[0]["summary"]["ignored"] == 1


def test_changed_file_is_read_again_whatever_its_mtime(standard, inbox, tmp_path):
    register, returns = inbox
    cache = tmp_path / "cache"
    run(register, returns, tmp_path / "a", cache)
    target = next(p for p in returns.rglob("*.xlsx") if p.name.startswith(HALLS[2].hall_id))
    stat = target.stat()
    write_return(standard, HALLS[2], fill_scoring(standard, 60), target.parent, name=target.name)
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the old mtime: the cache must not care
    again = run(register, returns, tmp_path / "b", cache)
    assert again.files_read == 1
    row = next(h for h in again.results["halls"] if h["hall_id"] == HALLS[2].hall_id)
    cold = run(register, returns, tmp_path / "c", None)
    assert again.intake.to_dict() == cold.intake.to_dict()
    assert [h for h in again.results["halls"]] == cold.results["halls"]
    assert row == next(h for h in cold.results["halls"] if h["hall_id"] == HALLS[2].hall_id)


def test_context_changes_miss_and_a_damaged_store_of_ours_is_rebuilt(standard, inbox, tmp_path):
    register, returns = inbox
    cache = tmp_path / "cache"
    run(register, returns, tmp_path / "a", cache)
    # Another year: every key differs. Every return is then rejected for its year (a cached answer of YEAR
    # would have accepted them), and a build with nothing accepted stops before the archive (issue 24).
    with pytest.raises(NothingAcceptedError) as other:
        build(BuildOptions.from_files([returns], register, tmp_path / "y" / "archive", YEAR + 1, cache_dir=cache))
    files = other.value.report.files
    assert any(f.status == "rejected" for f in files) and not any(f.status == "accepted" for f in files)
    assert all(p.code == "template-year-mismatch" for f in files for p in f.problems if p.severity == "error")
    assert not (tmp_path / "y" / "archive" / str(YEAR + 1)).exists()
    # A register change (one hall renamed) also changes every key.
    write_register([HALLS[0].__class__(**{**HALLS[0].__dict__, "name": "新名字"}), *HALLS[1:]], register)
    renamed = run(register, returns, tmp_path / "r", cache)
    assert renamed.cache_hits == 0
    # Our store damaged past its header (ours: the header carries our application id): made again.
    header = (cache / "intake.sqlite").read_bytes()[:100]
    (cache / "intake.sqlite").write_bytes(header + b"\xff" * 5000)
    damaged = run(register, returns, tmp_path / "d", cache)
    assert damaged.cache_hits == 0 and damaged.files_read > 0
    with sqlite3.connect(cache / "intake.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM intake").fetchone()[0] == damaged.files_read
    # A file that is not ours (no SQLite header of ours) is never rewritten: the build runs without the cache.
    (cache / "intake.sqlite").write_bytes(b"not a database")
    foreign = run(register, returns, tmp_path / "f", cache)
    assert foreign.cache_hits == 0 and foreign.files_read > 0
    assert (cache / "intake.sqlite").read_bytes() == b"not a database"


def snapshot(site: Path) -> dict[str, str]:
    return {p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(site.rglob("*")) if p.is_file()}


def _changed(before: dict, after: dict) -> set[str]:
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


@pytest.fixture
def built(inbox, tmp_path):
    register, returns = inbox
    out, cache = tmp_path / "out", tmp_path / "cache"
    summary = run(register, returns, out, cache, site=True)
    summary.results  # noqa: B018 (read back now: later builds rewrite the archive it comes from)
    site = snapshot(out / "site")
    kept = run(register, returns, out, cache, site=True)
    assert kept.site_reused and snapshot(out / "site") == site  # unchanged inputs: the site is kept as it is
    return register, returns, out, cache, summary, site


def test_corrected_reason_changes_that_hall_page_and_nothing_else(standard, built):
    """A hall resends its return with a reworded deduction reason, same scores: only its own page (and the
    indexes that list page text) may change."""
    register, returns, out, cache, before, site_before = built
    hall = HALLS[7]
    fill = fill_scoring(standard, 100 - 2.5 * 7)
    fill = fill.__class__(**{**fill.__dict__, "reasons": {k: f"复核后改写:{v}" for k, v in fill.reasons.items()}})
    target = next(p for p in returns.rglob("*.xlsx") if p.name.startswith(hall.hall_id))
    write_return(standard, hall, fill, target.parent, name=target.name)
    after = run(register, returns, out, cache, site=True)
    assert after.files_read == 1 and not after.site_reused
    changed = _changed(site_before, snapshot(out / "site"))
    page = f"{YEAR}/halls/{hall_slug(hall.hall_id)}.html"
    assert page in changed
    # The downloads' keys list what each workbook is made of (a hall's row, reasons included): an index too.
    indexes = {"search/search_index.json", "sitemap.xml", "sitemap.xml.gz", f"{YEAR}/downloads/.hallscore-keys.json"}
    assert changed <= {page} | indexes, sorted(changed)
    assert "复核后改写" in (out / "site" / page).read_text(encoding="utf-8")


def test_new_score_changes_only_what_depends_on_it(standard, built):
    """A new score for one Guangdong hall. Allowed to change: the pages of halls whose result row changed (a new
    score can move another hall's rank or tier in its province), their province pages, the year overview, the
    quality page, the home page, the year's compare.js (the averages every hall and province page compares
    with), the search index and the sitemap. Every other hall and province page stays byte for byte, as do the
    downloads of other provinces, the methodology and the assets."""
    register, returns, out, cache, before, site_before = built
    hall = HALLS[7]
    target = next(p for p in returns.rglob("*.xlsx") if p.name.startswith(hall.hall_id))
    inodes = {p: p.stat().st_ino for p in (out / "site").rglob("*.html")}
    write_return(standard, hall, fill_scoring(standard, 71.5), target.parent, name=target.name)
    after = run(register, returns, out, cache, site=True)
    assert after.files_read == 1
    changed = _changed(site_before, snapshot(out / "site"))

    old_rows = {h["hall_id"]: h for h in before.results["halls"]}
    moved = {h["hall_id"] for h in after.results["halls"] if h != old_rows[h["hall_id"]]}
    assert hall.hall_id in moved
    provinces = {h.province for h in HALLS if h.hall_id in moved}
    assert len(provinces) == 1
    allowed = {f"{YEAR}/halls/{hall_slug(h)}.html" for h in moved}
    allowed |= {f"{YEAR}/provinces/{province_slug(p)}.html" for p in provinces}
    allowed |= {f"{YEAR}/index.html", f"{YEAR}/quality.html", "index.html", f"{YEAR}/compare.js",
                "search/search_index.json", "search/search_index.js", "sitemap.xml", "sitemap.xml.gz"}
    # The year's downloads: the national results and those of the provinces whose rows changed.
    allowed |= {f"{YEAR}/downloads/results-{YEAR}.xlsx", f"{YEAR}/downloads/shortlist-{YEAR}.xlsx"}
    allowed |= {f"{YEAR}/downloads/results-{YEAR}-{province_slug(p)}.xlsx" for p in provinces}
    # 结果应用 (service assessment, rewards, awards): nationally and for those provinces.
    allowed |= {f"{YEAR}/downloads/application-{YEAR}.xlsx", f"{YEAR}/downloads/.hallscore-keys.json"}
    allowed |= {f"{YEAR}/downloads/application-{YEAR}-{province_slug(p)}.xlsx" for p in provinces}
    assert f"{YEAR}/halls/{hall_slug(hall.hall_id)}.html" in changed
    assert changed <= allowed, sorted(changed - allowed)
    # The other pages are the very files of the last site (hard links), not rewritten copies.
    kept = [p for p in inodes if p.relative_to(out / "site").as_posix() not in allowed]
    assert kept and all(p.stat().st_ino == inodes[p] for p in kept)
    assert f"{YEAR}/methodology.html" not in changed and not any(p.startswith("assets/") for p in changed)


def test_a_new_score_that_moves_another_halls_quota_rank_rewrites_that_halls_page_too(standard, built, tmp_path):
    """Guangdong's 良好 quota is 1; three halls reach the line (93, 91, 90: the 90 is third, 达标, its 定级说明
    quoting "良好第 3 名"). The 91 resends with 89, below the line: the 90 is now second, still 达标. The hall page
    says its rank in plain HTML (issue 24; issue 15 had it filled by script), so the resending hall's page and
    the page whose rank moved are rewritten, and no other; the incremental site equals a cold build."""
    register, returns, out, cache, _before, _site = built

    def resend(hall, score):
        # City checks: only halls a 市级检查 decides are ranked and take quota places (自评 claims do not).
        target = next(p for p in returns.rglob("*.xlsx") if p.name.startswith(hall.hall_id))
        write_return(standard, hall, fill_scoring(standard, score, round_name="市级检查"), target.parent,
                     name=target.name)

    first, third, second = HALLS[4], HALLS[5], HALLS[6]  # 90 as the fixture has it; 87.5 → 93; 85 → 91
    resend(first, 90)
    resend(third, 93)
    resend(second, 91)
    before = run(register, returns, out, cache, site=True)
    old_rows = {h["hall_id"]: h for h in before.results["halls"]}
    assert old_rows[first.hall_id]["tier"] == "达标" and "良好第 3 名" in old_rows[first.hall_id]["tier_reason"]
    site_before = snapshot(out / "site")
    resend(second, 89)
    after = run(register, returns, out, cache, site=True)
    changed = _changed(site_before, snapshot(out / "site"))
    row = {h["hall_id"]: h for h in after.results["halls"]}[first.hall_id]
    assert row["tier"] == "达标" and "良好第 2 名" in row["tier_reason"]  # its record says the new rank
    hall_pages = {p for p in changed if "/halls/" in p}
    assert hall_pages == {f"{YEAR}/halls/{hall_slug(h.hall_id)}.html" for h in (first, second)}, sorted(hall_pages)
    page = (out / "site" / str(YEAR) / "halls" / f"{hall_slug(first.hall_id)}.html").read_text(encoding="utf-8")
    assert escape(row["tier_reason"]) in page and "良好第 3 名" not in page
    cold = tmp_path / "cold"
    run(register, returns, cold, tmp_path / "cold-cache", site=True)
    assert snapshot(cold / "site") == snapshot(out / "site")


def test_unchanged_build_leaves_the_archive_alone(inbox, tmp_path):
    """Nothing changed: the year's folder is not staged or swapped again (same files, same inodes); a folder
    changed by hand since the last build is written again as the build makes it."""
    register, returns = inbox
    out, cache = tmp_path / "out", tmp_path / "cache"
    run(register, returns, out, cache, site=True)
    year = out / "archive" / str(YEAR)
    results = year / "results.json"
    original, inode = results.read_bytes(), results.stat().st_ino
    again = run(register, returns, out, cache, site=True)
    assert again.cache_hits and results.stat().st_ino == inode and year.is_dir()
    assert not [p.name for p in (out / "archive").iterdir() if p.name.startswith(".stage-") or p.name.endswith(".old")]
    results.write_text("{}", encoding="utf-8")  # someone edited the archive
    run(register, returns, out, cache, site=True)
    assert results.read_bytes() == original


def test_file_status_stands_for_its_bytes_until_anything_changes(standard, inbox, tmp_path, monkeypatch):
    """With every status remembered (no racy window), an unchanged file is found by its status; a file
    rewritten in place with its old size and mtime put back still has a new ctime, and is read again."""
    from generator.incremental import intake_cache as cache_module

    monkeypatch.setattr(cache_module, "RACY_SECONDS", -1.0)
    register, returns = inbox
    cache = tmp_path / "cache"
    run(register, returns, tmp_path / "a", cache)
    workbooks = sorted(returns.rglob("*.xlsx"))
    with sqlite3.connect(cache / "intake.sqlite") as db:
        stored = dict(db.execute("SELECT path, sha256 FROM stats"))
    assert {os.fsencode(p.resolve()): hashlib.sha256(p.read_bytes()).hexdigest() for p in workbooks} == stored
    assert run(register, returns, tmp_path / "b", cache).files_read == 0
    target = next(p for p in workbooks if p.name.startswith(HALLS[1].hall_id))
    stat = target.stat()
    write_return(standard, HALLS[1], fill_scoring(standard, 55), target.parent, name=target.name)
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    again = run(register, returns, tmp_path / "c", cache)
    assert again.files_read == 1
    cold = run(register, returns, tmp_path / "d", None)
    assert again.results["halls"] == cold.results["halls"]


def test_the_next_day_is_not_a_cold_build_and_a_future_date_is_looked_at_again(standard, inbox, tmp_path,
                                                                               monkeypatch):
    """The day is not in the cache key: an entry holds for every later day, except one that found the 检查日期
    in the future (its message names the day), which holds on its day only."""
    from datetime import date, timedelta

    from generator.incremental.intake_cache import IntakeCache
    from generator.intake.run import run_intake
    from generator.rules.register import load_register

    register, returns = inbox
    halls = load_register(register)
    future = full_fill(standard)
    future = future.__class__(**{**future.__dict__, "date": date(YEAR, 9, 20)})
    write_return(standard, HALLS[1], future, returns / "补交", name=f"{HALLS[1].hall_id}_补交.xlsx")
    workbooks = sum(1 for _ in returns.rglob("*.xlsx"))
    cache_dir = tmp_path / "cache"
    monkeypatch.setattr("generator.incremental.intake_cache.RACY_SECONDS", -1.0)  # statuses remembered at once, to see them pruned

    def intake(day):
        cache = IntakeCache(cache_dir)
        try:
            report = run_intake([returns], standard, halls, YEAR, today=day, cache=cache)
        finally:
            cache.close()
        cold = run_intake([returns], standard, halls, YEAR, today=day)
        assert report.to_dict() == cold.to_dict()  # whatever was reused, the report is today's
        return report, cache

    day = date(YEAR, 9, 10)
    first, cache = intake(day)
    assert (cache.misses, cache.hits) == (workbooks, 0)
    late = next(f for f in first.files if f.path.endswith("_补交.xlsx"))
    assert late.problems[0].code == "cover-date-future" and day.isoformat() in late.problems[0].message
    same_day, cache = intake(day)
    assert (cache.misses, cache.hits) == (0, workbooks) and same_day.inputs_key == first.inputs_key
    next_day, cache = intake(day + timedelta(days=1))
    assert (cache.misses, cache.hits) == (1, workbooks - 1)  # only the future-dated return is checked again
    assert next_day.inputs_key != first.inputs_key
    on_its_date, cache = intake(date(YEAR, 9, 20))
    assert cache.misses == 1 and next(f for f in on_its_date.files if f.path.endswith("_补交.xlsx")).status != "rejected"
    # A day before the entries were made (a clock put back): nothing made later may be trusted.
    _, cache = intake(day - timedelta(days=1))
    assert cache.hits == 0
    # Entries nobody used for KEEP_DAYS are dropped; statuses of files that are gone too.
    (returns / "补交" / f"{HALLS[1].hall_id}_补交.xlsx").unlink()
    intake(date(YEAR, 12, 20))
    with sqlite3.connect(cache_dir / "intake.sqlite") as db:
        kept = {row[0] for row in db.execute("SELECT used FROM intake")}
        paths = [os.fsdecode(row[0]) for row in db.execute("SELECT path FROM stats")]
    assert kept == {date(YEAR, 12, 20).isoformat()}
    assert not any(p.endswith("_补交.xlsx") for p in paths) and paths


def test_a_site_build_lets_go_of_its_results_and_reads_them_back_only_while_they_are_its_own(inbox, tmp_path):
    register, returns = inbox
    out = tmp_path / "out"
    first = run(register, returns, out, None, site=True)
    assert first.results_data is None  # let go before the pages were made
    # Every hall counted once: as a ranked tier, or as an unranked claim (these returns are 自评s).
    tally = first.tally
    assert tally.halls == len(HALLS) == sum(tally.tiers.values()) + sum(tally.claims.values())
    assert [h["hall_id"] for h in first.results["halls"]] == sorted(h.hall_id for h in HALLS)  # read back
    second = run(register, returns, out, None, site=True)
    os.utime(out / "archive" / str(YEAR) / "results.json")  # as if rewritten since
    with pytest.raises(RuntimeError, match="changed after this build"):
        second.results  # noqa: B018


def test_a_build_runs_with_the_collector_paused_and_puts_it_back(inbox, tmp_path, monkeypatch):
    """collector.py: no cyclic collection walks the build's millions of objects while it runs (the collector is
    off at every stage), it is on again after, and returns are read with it on, in the build's process (each
    file seen by the real check_file) and in the intake's worker processes (forked from the paused build)."""
    import gc

    from generator.intake import run as intake

    register, returns = inbox
    seen: dict[str, bool] = {}
    reading: list[bool] = []
    check_file = intake.check_file

    def noting(*args, **kwargs):
        reading.append(gc.isenabled())
        return check_file(*args, **kwargs)

    monkeypatch.setattr(intake, "check_file", noting)
    built = build(BuildOptions.from_files([returns], register, tmp_path / "archive", YEAR, site_dir=tmp_path / "site",
                                          cache_dir=tmp_path / "cache"),
                  progress=lambda stage, done, total: seen.setdefault(stage, gc.isenabled()))
    assert built.pages and {"intake", "scoring", "archive", "site"} <= seen.keys()
    assert not any(seen.values()) and gc.isenabled()
    assert len(reading) == sum(1 for p in returns.rglob("*.xlsx")) and all(reading)
    saved = intake.worker_context
    gc.disable()
    try:
        intake.init_worker(saved)
        assert gc.isenabled()
    finally:
        gc.enable()
        intake.worker_context = saved
