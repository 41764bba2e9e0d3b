"""The site's sealed manifest also lists each stamped hall page's key, so that a build on top of the last site takes
a page's key from there instead of opening every page; a manifest whose keys are wrong or missing costs only the
time of rendering pages again, and the site comes out as a cold build makes it."""

from __future__ import annotations

import re
from pathlib import Path

from support.site import make_year, site_halls

from generator.archive.store import load_archive
from generator.fs.memo import read_memo, write_memo
from generator.site.render import build_site, manifest_path, site_intact

KEY = re.compile(r"<!-- hallscore-page ([0-9a-f]{64}) -->\n\Z")


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def _changed_year(tmp_path: Path) -> tuple[list, list]:
    halls = site_halls()
    make_year(tmp_path, tmp_path / "archive", halls, 2025, seed=7)
    first = load_archive(tmp_path / "archive")
    make_year(tmp_path / "again", tmp_path / "archive", halls, 2025, seed=7, finals={halls[-1].hall_id: 71.5})
    return first, load_archive(tmp_path / "archive")


def test_the_manifest_lists_each_hall_pages_key_and_a_wrong_or_missing_one_only_costs_time(tmp_path):
    first, years = _changed_year(tmp_path)
    build_site(years, tmp_path / "cold")
    cold = _files(tmp_path / "cold")
    memo = read_memo(manifest_path(tmp_path / "cold"), "site-manifest")
    hall_pages = {rel: data for rel, data in cold.items() if "/halls/" in rel}
    assert hall_pages and memo["keys"] == {rel: KEY.search(data.decode("utf-8"))[1] for rel, data in hall_pages.items()}
    for n, change in enumerate(["wrong", "missing", "none"]):
        site = tmp_path / f"s{n}"
        build_site(first, site)
        memo = read_memo(manifest_path(site), "site-manifest")
        if change == "wrong":  # every page listed under another page's key
            keys = list(memo["keys"].values())
            memo["keys"] = dict(zip(memo["keys"], keys[1:] + keys[:1]))
        elif change == "missing":
            memo["keys"] = {}
        else:  # a manifest from before the keys were listed: each page's key is read from the page
            del memo["keys"]
        write_memo(manifest_path(site), "site-manifest", memo)
        assert site_intact(site) is not None
        build_site(years, site)
        assert _files(site) == cold, change
