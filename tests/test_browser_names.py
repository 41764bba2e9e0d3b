"""In headless Chromium: register names written as Markdown links or HTML stay text; nothing in them runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.returns import YEAR, full_fill, write_return
from test_browser import CHROMIUM, Browser

from generator.cli.app import main
from generator.rules.register import Hall
from generator.site.pages import hall_slug

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="chromium is not installed (in CI this test fails instead)")

NAMES = ["[x](javascript:window.__pwned=1)", "<img src=x onerror=window.__pwned=2>",
         "<a href=javascript:window.__pwned=3>点我</a>", "=HYPERLINK(\"javascript:window.__pwned=4\")"]


def test_names_that_look_like_links_never_run(tmp_path, standard, write_reg):
    halls = [Hall(f"GD{n:04d}", name, "广东", "广州", "天河", 2, "自营") for n, name in enumerate(NAMES)]
    register = write_reg(halls)
    for hall in halls:
        write_return(standard, hall, full_fill(standard), tmp_path / "returns")
    result = CliRunner().invoke(main, ["build", str(tmp_path / "returns"), "--register", str(register), "--year",
                                       str(YEAR), "--archive", str(tmp_path / "archive"), "--site-dir",
                                       str(tmp_path / "site"), "--workers", "1", "--no-cache"])
    assert result.exit_code == 0, result.output
    browser = Browser(tmp_path / "profile")
    try:
        for hall in halls:
            url = (tmp_path / "site" / str(YEAR) / "halls" / f"{hall_slug(hall.hall_id)}.html").as_uri()
            browser.goto(url)
            assert hall.name in browser.js("document.querySelector('article h1').textContent")
            assert browser.js("document.querySelectorAll('a[href^=\"javascript:\" i], img[onerror]').length") == 0
            # Click every link in the article, as a curious person would.
            browser.js("[...document.querySelectorAll('article a')].forEach(a => { if (!a.href.startsWith('http')"
                       " && !a.href.startsWith('file')) a.click() }); true")
            assert browser.js("typeof window.__pwned") == "undefined"
        browser.goto((tmp_path / "site" / str(YEAR) / "provinces").as_uri() + "/")
        province = next((tmp_path / "site" / str(YEAR) / "provinces").glob("*.html"))
        browser.goto(province.as_uri())
        text = browser.js("document.querySelector('article').textContent")
        assert all(name in text for name in NAMES[:3])
        assert browser.js("document.querySelectorAll('a[href^=\"javascript:\" i], img[onerror]').length") == 0
        assert browser.js("typeof window.__pwned") == "undefined"
        browser.screenshot("names-province.png")
    finally:
        browser.close()


def test_control_characters_in_an_archived_name_cannot_break_a_page(tmp_path, standard, write_reg):
    # The register refuses such names; an archive edited by hand (or written by an older version) may still hold
    # one. The page's front matter must hold, or MkDocs would render the name as Markdown, link and all.
    import json

    halls = [Hall("GD0001", "甲厅", "广东", "广州", "天河", 2, "自营")]
    register = write_reg(halls)
    write_return(standard, halls[0], full_fill(standard), tmp_path / "returns")
    args = ["build", str(tmp_path / "returns"), "--register", str(register), "--year", str(YEAR), "--archive",
            str(tmp_path / "archive"), "--site-dir", str(tmp_path / "site"), "--workers", "1", "--no-cache"]
    assert CliRunner().invoke(main, args).exit_code == 0
    results_path = tmp_path / "archive" / str(YEAR) / "results.json"
    data = json.loads(results_path.read_text(encoding="utf-8"))
    evil = "\x85\x80\ufffe[x](javascript:window.__pwned=1)\u2028"
    data["halls"][0]["name"] = evil
    results_path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["site", "--archive", str(tmp_path / "archive"), "--site-dir",
                                       str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    page = tmp_path / "site" / str(YEAR) / "halls" / f"{hall_slug('GD0001')}.html"
    html = page.read_text(encoding="utf-8")
    assert "javascript:" not in html.replace("[x](javascript:", "")  # present only as the text of the name
    browser = Browser(tmp_path / "profile")
    try:
        browser.goto(page.as_uri())
        assert "[x](javascript:window.__pwned=1)" in browser.js("document.querySelector('article h1').textContent")
        assert browser.js("document.querySelectorAll('a[href^=\"javascript:\" i]').length") == 0
        # Click every link; ordinary links are kept from navigating away (the check below would race the next
        # page), while a javascript: link, if one had been made, would still run.
        browser.js("document.addEventListener('click', e => { const a = e.target.closest('a');"
                   " if (a && !/^\\s*javascript:/i.test(a.getAttribute('href') || '')) e.preventDefault(); }, true);"
                   "[...document.querySelectorAll('article a')].forEach(a => a.click()); true")
        assert browser.js("typeof window.__pwned") == "undefined"
    finally:
        browser.close()
