"""End to end in headless Chromium: the built site over a localhost server and from file://, offline.

Chromium is driven through the DevTools protocol over a websocket. Every request the pages make is recorded;
anything that is not the local server, a file:// URL or an inline (data:/blob:) resource fails the test, and the
host resolver maps every other name to nothing so a stray request could not leave the machine anyway.
Screenshots go to build/screenshots/ for a person to look at.
"""

from __future__ import annotations

import base64
import functools
import html
import http.server
import itertools
import json
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from support.site import make_year, site_halls

from generator.archive.store import load_archive
from generator.rules.regions import province_slug
from generator.rules.register import Hall
from generator.site.pages import hall_slug
from generator.site.render import build_site

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"
LOCAL_SCHEMES = ("file://", "data:", "blob:", "about:", "chrome-error:", "devtools:")

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="chromium is not installed (in CI this test fails instead)")


class Browser:
    """A headless Chromium with one page, spoken to over the DevTools protocol."""

    def __init__(self, profile: Path):
        import websocket

        if not Path(CHROMIUM).exists():
            pytest.fail(f"chromium not found at {CHROMIUM}: .ci/run installs it")
        self.proc = subprocess.Popen([
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-extensions",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            f"--user-data-dir={profile}", "--remote-debugging-port=0", "--window-size=1280,900", "about:blank",
        ], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        for _ in range(300):
            if port_file.exists() and port_file.read_text().count("\n") >= 1:
                break
            if self.proc.poll() is not None:
                pytest.fail("chromium exited at start")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        target = next(p for p in pages if p["type"] == "page")
        self.ws = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self.ids = itertools.count(1)
        self.requests: list[str] = []
        self.events: list[dict] = []
        self.call("Page.enable")
        self.call("Network.enable")
        self.call("Runtime.enable")

    def _record(self, message: dict) -> None:
        method = message.get("method")
        if method == "Network.requestWillBeSent":
            self.requests.append(message["params"]["request"]["url"])
        elif method:
            self.events.append(message)

    def call(self, method: str, **params):
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == msg_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._record(message)

    def goto(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'")

    def js(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, tries: int = 150):
        # Polls a condition in the page; bounded by tries, not by a timing assertion.
        for _ in range(tries):
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"page never satisfied: {expression}")

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        # The whole page, not just the first screen, so the charts and tables further down can be checked.
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 8000), "scale": 1}
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip)["data"]
        path = SCREENSHOTS / name
        path.write_bytes(base64.b64decode(data))
        return path

    def search(self, query: str) -> list[str]:
        """Type into the theme's search box the way a person does; return the result links."""
        self.js("document.querySelector('label.md-search__icon, .md-header__button[for=__search]')?.click();"
                "document.getElementById('__search') && (document.getElementById('__search').checked = true);"
                "{ const q = document.querySelector('.md-search__input'); q.value = ''; q.focus(); }"
                "document.querySelector('.md-search-result__list').replaceChildren(); true")
        self.call("Input.insertText", text=query)
        for key in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=key, key="End", code="End", windowsVirtualKeyCode=35)
        return self.wait_for(
            "(() => { const a = [...document.querySelectorAll('.md-search-result__list a')].map(a => a.href);"
            " return a.length ? a : null })()")

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser-site")
    # Two 北京 halls: the place name is also part of the 北京路 halls' names, which must not outrank 北京 itself.
    halls = site_halls([Hall("11010000", "东城王府井营业厅", "北京", "北京", "东城区", 2, "自营"),
                        Hall("11010001", "西城西单营业厅", "北京", "北京", "西城区", 2, "自营")])
    make_year(root, root / "archive", halls, 2024, reviewed=0)
    # Rejected returns, so that the quality page shows its tables of files, sheets, cells and codes.
    from support import faults as intake_faults
    from support.returns import full_fill, write_return

    from generator.rules.standard_load import load_standard

    bad = write_return(load_standard(), halls[0], full_fill(load_standard(), when=date(2025, 5, 10)),
                       root / "returns-2025" / "退回", year=2025, name="44010000_广州中山路营业厅_第二次重新填写版.xlsx")
    intake_faults.edit_cells(bad, {("检查表", "G2"): "满分", ("封面", "B12"): None})
    (root / "returns-2025" / "退回" / "坏文件.xlsx").write_bytes(b"not a workbook")
    results = make_year(root, root / "archive", halls, 2025)
    build_site(load_archive(root / "archive"), root / "site", strict=True)
    hall = next(h for h in results["halls"] if h["name"] == "深圳人民路营业厅")
    return {"site": root / "site", "year": 2025, "hall": hall, "halls": results["halls"]}


@pytest.fixture(scope="module")
def server(built_site):
    handler = functools.partial(_QuietHandler, directory=str(built_site["site"]))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


def _script_errors(browser: Browser) -> list[str]:
    return [json.dumps(e["params"], ensure_ascii=False)[:300] for e in browser.events
            if e["method"] == "Runtime.exceptionThrown"
            or (e["method"] == "Runtime.consoleAPICalled" and e["params"].get("type") == "error")]


def _foreign(requests: list[str], base: str) -> list[str]:
    return [u for u in requests if not (u.startswith(base) or u.startswith(LOCAL_SCHEMES))]


@pytest.mark.parametrize("mode", ["http", "file"])
def test_pages_open_offline_and_search_finds_a_hall(mode, built_site, server, browser):
    site = built_site["site"]
    base = server if mode == "http" else site.as_uri() + "/"
    hall = built_site["hall"]
    year = built_site["year"]
    browser.requests.clear()
    pages = {
        "overview": f"{base}{year}/index.html",
        "province": f"{base}{year}/provinces/{province_slug(hall['province'])}.html",
        "hall": f"{base}{year}/halls/{hall_slug(hall['hall_id'])}.html",
    }
    target = f"{year}/halls/{hall_slug(hall['hall_id'])}.html"
    for name, url in pages.items():
        browser.goto(url)
        assert browser.js("document.querySelector('article h1') !== null")
        # The theme's own script ran (it wires up the search box) and ours sorted nothing yet.
        assert browser.wait_for("document.querySelector('.md-search__input') !== null")
        if mode == "http":
            browser.screenshot(f"{mode}-{name}.png")
        if name == "hall":
            assert hall["name"] in browser.js("document.querySelector('article h1').textContent")
            assert browser.js("document.querySelectorAll('article svg').length") >= 1
        # Search is typed and answered on every page kind, the exact name or 厅编码 putting the hall first
        # (province pages carry a boost that would otherwise put them above it), with no misleading 缺少 line.
        for query in (hall["name"], hall["hall_id"]):
            links = browser.search(query)
            assert links[0].split("#")[0].endswith(target), (name, query, links)
            assert not browser.js("[...document.querySelectorAll('.md-search-result__terms')]"
                                  ".some(p => p.offsetParent !== null)")
        browser.screenshot(f"{mode}-{name}-search.png")
        # The theme's script threw nothing (on hall pages it once stopped at a missing sidebar element).
        assert not _script_errors(browser), (name, _script_errors(browser))
    assert not _foreign(browser.requests, base), _foreign(browser.requests, base)
    assert any(u.endswith("search_index.js") or u.endswith("search_index.json") for u in browser.requests)


def test_province_table_sorts_by_score(built_site, server, browser):
    hall = built_site["hall"]
    browser.goto(f"{server}{built_site['year']}/provinces/{province_slug(hall['province'])}.html")
    column = browser.js("[...document.querySelectorAll('table.hs-sortable')].pop()"
                        ".tHead.rows[0].cells.length && [...[...document.querySelectorAll('table.hs-sortable')]"
                        ".pop().tHead.rows[0].cells].findIndex(th => th.textContent.startsWith('最终得分'))")
    assert column >= 0
    browser.js(f"[...document.querySelectorAll('table.hs-sortable')].pop().tHead.rows[0].cells[{column}].click()")
    values = browser.js(f"[...[...document.querySelectorAll('table.hs-sortable')].pop().tBodies[0].rows]"
                        f".map(r => parseFloat(r.cells[{column}].textContent)).filter(v => !isNaN(v))")
    assert len(values) >= 2 and values == sorted(values)
    assert not _foreign(browser.requests, server)


def test_missing_chromium_fails_in_ci(monkeypatch, tmp_path):
    # In CI a missing browser must fail the run, not skip it: the module-level skip only applies outside CI.
    import test_browser

    monkeypatch.setattr(test_browser, "CHROMIUM", str(tmp_path / "no-chromium"))
    with pytest.raises(pytest.fail.Exception, match="chromium not found"):
        Browser(tmp_path)


# --- Screen widths and print (issue 13) -------------------------------------------------------------------

WIDTHS = (390, 1400)

# Per page: widest layout box, header cells that take more than one line, and chart text smaller than 10 CSS px.
_MEASURE = """(() => {
  const lines = th => {
    const tops = new Set();
    const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.textContent.trim()) continue;
      const r = document.createRange(); r.selectNodeContents(n);
      for (const rect of r.getClientRects()) if (rect.width > 0) tops.add(Math.round(rect.top));
    }
    return tops.size;
  };
  const wrapped = [...document.querySelectorAll('article th')].filter(th => lines(th) > 1)
    .map(th => th.textContent.trim());
  const tiny = [], cut = [];
  for (const svg of document.querySelectorAll('article .hs-chart svg')) {
    if (!svg.getClientRects().length) continue;  // the drawing for the other screen width
    // A chart is drawn to the screen: nothing past its right edge, no scrolling inside its box.
    const box = svg.closest('figure');
    if (svg.getBoundingClientRect().right > innerWidth + 1 || box.scrollWidth > box.clientWidth + 1)
      cut.push('chart ' + svg.getAttribute('aria-label'));
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    for (const t of svg.querySelectorAll('text')) {
      const px = parseFloat(getComputedStyle(t).fontSize) * scale;
      if (px < 10) tiny.push(t.textContent + ' ' + px.toFixed(1));
    }
  }
  // Lists of halls keep 厅名称, 得分 and 等级 on screen without sideways scrolling; the hall's own tables too.
  for (const t of document.querySelectorAll('article table[class*="hs-phone-"], article .hs-cover, article:has(.hs-fix) [data-hs-compare] > table')) {
    if (t.getClientRects().length && (t.scrollWidth > t.clientWidth + 1 || t.getBoundingClientRect().right > innerWidth + 1))
      cut.push('table ' + (t.tHead || t).textContent.trim().slice(0, 30));
  }
  return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth, wrapped, tiny, cut,
          charts: document.querySelectorAll('article .hs-chart svg').length};
})()"""


def _page_kinds(built_site) -> dict[str, str]:
    year, hall = built_site["year"], built_site["hall"]
    return {
        "home": "index.html",
        "overview": f"{year}/index.html",
        "province": f"{year}/provinces/{province_slug(hall['province'])}.html",
        "hall": f"{year}/halls/{hall_slug(hall['hall_id'])}.html",
        "methodology": f"{year}/methodology.html",
        "quality": f"{year}/quality.html",
    }


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_kind_fits_the_screen(width, built_site, server, browser):
    browser.call("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1,
                 mobile=width < 600)
    try:
        seen = {}
        for kind, rel in _page_kinds(built_site).items():
            browser.goto(server + rel)
            browser.wait_for("document.querySelector('article h1') !== null")
            m = browser.js(_MEASURE)
            seen[kind] = m
            browser.screenshot(f"{kind}-{width}.png")
            assert m["scroll"] <= m["inner"], (kind, width, m)
            assert not m["wrapped"], (kind, width, m["wrapped"])
            assert not m["tiny"], (kind, width, m["tiny"][:5])
            assert not m["cut"], (kind, width, m["cut"])
        # The data pages carry charts, so the chart check above measured something.
        assert seen["overview"]["charts"] and seen["hall"]["charts"] and seen["province"]["charts"]
    finally:
        browser.call("Emulation.clearDeviceMetricsOverride")


_COMPARED = """(() => {
  const cells = Array.from(document.querySelectorAll('[data-hs-cell]')).map(c => c.textContent.trim());
  return {cells: cells.length, blank: cells.filter(t => t === '' || t === '—').length,
          charts: document.querySelectorAll('[data-hs-deviation] figure.hs-chart svg rect').length};
})()"""


@pytest.mark.parametrize("kind", ["hall", "province"])
def test_averages_come_from_the_years_compare_script(kind, built_site, server, browser):
    """Hall and province pages carry their own figures; the averages and ranks they compare with are filled in
    from <year>/compare.js, from file:// as over HTTP."""
    for base in (server, built_site["site"].resolve().as_uri() + "/"):
        browser.goto(base + _page_kinds(built_site)[kind])
        browser.wait_for("document.querySelector('article h1') !== null")
        seen = browser.js(_COMPARED)
        assert seen["cells"] >= 6 and seen["charts"] > 0, (kind, base, seen)
        # Only the rank may be empty (a province without a scored hall has none); no average stays "—".
        assert seen["blank"] <= (1 if kind == "province" else 0), (kind, base, seen)
        assert browser.js("document.querySelector('[data-hs-cell^=\"national:\"]').textContent") != "—"


def test_the_quota_rank_a_tier_reason_quotes_is_in_the_page_itself(built_site, server, browser):
    """A hall page's 定级说明 says the quota rank in its HTML (a text reader, curl and the search snippet read it
    without script), in the tier's own order; in the browser it reads as the record has it."""
    year = built_site["year"]
    hall = next(h for h in built_site["halls"] if h.get("reason_ranks"))
    page = f"{year}/halls/{hall_slug(hall['hall_id'])}.html"
    raw = (built_site["site"] / page).read_text(encoding="utf-8")
    assert html.escape(hall["tier_reason"], quote=False) in raw and "第 —" not in raw
    assert re.search(r"(优秀|良好)第 \d+ 名", hall["tier_reason"]), hall["tier_reason"]
    for base in (server, built_site["site"].resolve().as_uri() + "/"):
        browser.goto(base + page)
        browser.wait_for("document.querySelector('article h1') !== null")
        said = browser.js("document.querySelector('.hs-reason').textContent")
        assert hall["tier_reason"] in said and "—" not in said, (base, said)


def test_desktop_content_uses_the_width(built_site, server, browser):
    browser.call("Emulation.setDeviceMetricsOverride", width=1400, height=900, deviceScaleFactor=1, mobile=False)
    try:
        browser.goto(server + _page_kinds(built_site)["province"])
        width = browser.js("document.querySelector('.md-content').getBoundingClientRect().width")
        assert width >= 900, width
    finally:
        browser.call("Emulation.clearDeviceMetricsOverride")


@pytest.mark.parametrize("which", ["sample", "lowest"])
def test_hall_page_prints_on_two_a4_pages_with_the_fix_list_first(which, built_site, server, browser):
    year = built_site["year"]
    scored = [h for h in built_site["halls"] if h["final_score"] is not None]
    # The lowest score has the longest 整改清单: the page must still fit two sheets.
    hall = built_site["hall"] if which == "sample" else min(scored, key=lambda h: h["final_score"])
    browser.goto(f"{server}{year}/halls/{hall_slug(hall['hall_id'])}.html")
    data = browser.call("Page.printToPDF", preferCSSPageSize=True, printBackground=False)["data"]
    pdf = SCREENSHOTS / f"hall-print-{which}.pdf"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(base64.b64decode(data))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    size = next(line for line in info.splitlines() if line.startswith("Page size:"))
    assert 1 <= pages <= 2, info
    # A4 is 595 × 842 pt; Letter would be 612 × 792.
    assert "(A4)" in size, size
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    first = "".join(text.split())
    assert "整改清单" in first and f"{year}年度" in first, first[:500]
    assert hall["name"] in first and hall["tier"] in first and hall["hall_id"] in first
    # Header, tabs, search and footer stay off paper: the page starts with the hall's name.
    assert first.startswith(hall["name"]), first[:80]
    assert "搜索" not in first


# --- Search as a reader types it (issue 13) --------------------------------------------------------------

def test_search_finds_places_tiers_and_terms(built_site, server, browser):
    year = built_site["year"]
    tiers = {f"{year}/halls/{hall_slug(h['hall_id'])}.html": h["tier"] for h in built_site["halls"]}
    browser.goto(f"{server}{year}/index.html")

    links = [link.removeprefix(server).split("#")[0] for link in browser.search("北京")]
    # The province page comes first, above the 北京路 halls and the halls in 北京.
    assert links[0] == f"{year}/provinces/{province_slug('北京')}.html", links
    assert any("北京路" in h["name"] for h in built_site["halls"])

    browser.goto(f"{server}{year}/index.html")
    links = [link.removeprefix(server).split("#")[0] for link in browser.search("不达标")]
    halls = [link for link in links if "/halls/" in link]
    # Whole word: halls found are 不达标 halls, never every 达标 hall; pages with tier tables are found too.
    assert all(tiers[link] == "不达标" for link in halls), [(link, tiers[link]) for link in halls]
    assert any("/halls/" not in link for link in links), links

    browser.goto(f"{server}{year}/index.html")
    links = browser.search("整改")
    assert any(link.split("#")[0].endswith(f"{year}/methodology.html") for link in links), links
    browser.goto(f"{server}{year}/index.html")
    links = browser.search("整改清单")
    assert any(link.endswith(f"{year}/methodology.html#rectify") for link in links), links


def test_search_snippets_keep_numbers_apart(built_site):
    index = json.loads((built_site["site"] / "search" / "search_index.json").read_text(encoding="utf-8"))
    province = [d for d in index["docs"] if "/provinces/" in d["location"]]
    assert province
    # Table cells are separated: no run of digits and dots longer than a score, an id or a count would be.
    for doc in province:
        runs = re.findall(r"[\d.]{12,}", doc["text"].replace("\u200b", " "))
        assert not runs, (doc["location"], runs[:3])
    first = next(d for d in province if d["location"].endswith(f"{province_slug('广东')}.html"))
    assert "广州" in first["title"] and "深圳" in first["title"] and first.get("boost", 0) > 1


def test_fix_list_reads_as_cards_on_a_phone(built_site, server, browser):
    """At 390 px each 整改清单 row is a card whose cells are labelled; nothing of it scrolls sideways."""
    year = built_site["year"]
    scored = [h for h in built_site["halls"] if h["final_score"] is not None]
    hall = min(scored, key=lambda h: h["final_score"])  # the longest 整改清单
    browser.call("Emulation.setDeviceMetricsOverride", width=390, height=900, deviceScaleFactor=1, mobile=True)
    try:
        browser.goto(f"{server}{year}/halls/{hall_slug(hall['hall_id'])}.html")
        browser.wait_for("document.querySelector('.hs-fix table.hs-cards') !== null")
        m = browser.js("""(() => {
            const t = document.querySelector('.hs-fix table.hs-cards');
            const rows = [...t.querySelectorAll('tbody tr')];
            const label = getComputedStyle(t.querySelector('tbody td'), '::before').content;
            return {scroll: t.scrollWidth, client: t.clientWidth, rows: rows.length,
                    head: getComputedStyle(t.querySelector('thead')).display, label,
                    widths: rows.map(r => r.getBoundingClientRect().width)};
        })()""")
        assert m["rows"] >= 1 and m["head"] == "none" and "编号" in m["label"], m
        assert m["scroll"] <= m["client"] + 1 and max(m["widths"]) <= 390, m
    finally:
        browser.call("Emulation.clearDeviceMetricsOverride")


# --- What a reader reads (every page kind, every hall) ----------------------------------------------------

# Text a template or script leaks when a value is missing, and what must never reach a public page.
_LEAK = re.compile(r"(?<![A-Za-z])(None|undefined|NaN|nan|null|Traceback)(?![A-Za-z])")
_PRIVATE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+|Message-ID|/tmp/|/home/|returns/|[A-Za-z]:\\\\")


def _article_text(page: Path) -> str:
    """The article of a built page as a reader sees it without script: tags and scripts out, entities read."""
    raw = page.read_text(encoding="utf-8")
    body = raw.split('<article', 1)[-1].split('</article>', 1)[0]
    body = re.sub(r"<script\b.*?</script>|<style\b.*?</style>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body.split(">", 1)[-1]))


def test_no_page_says_none_undefined_or_a_private_detail(built_site, server, browser):
    """Every built page (each hall of each year included) reads without a leaked None/nan/undefined, a path, an
    e-mail address or a Message-ID; in the browser, after the scripts filled in averages and ranks, the page
    kinds and every hall page of the year still do."""
    site = built_site["site"]
    pages = sorted(p for p in site.rglob("*.html") if "search" not in p.parts and p.name != "404.html")
    assert len(pages) > 20
    for page in pages:
        text = _article_text(page)
        assert not _LEAK.search(text), (page.relative_to(site), _LEAK.search(text).group(0),
                                        text[max(0, _LEAK.search(text).start() - 60):][:120])
        assert not _PRIVATE.search(text), (page.relative_to(site), _PRIVATE.search(text).group(0))
    year = built_site["year"]
    rels = list(_page_kinds(built_site).values()) + [f"{year}/halls/{hall_slug(h['hall_id'])}.html"
                                                     for h in built_site["halls"]]
    for rel in rels:
        browser.goto(server + rel)
        browser.wait_for("document.querySelector('article h1') !== null")
        said = browser.js("document.querySelector('article').innerText")
        assert not _LEAK.search(said), (rel, said[max(0, _LEAK.search(said).start() - 60):][:120])
        assert not _PRIVATE.search(said), (rel, _PRIVATE.search(said).group(0))


def test_case_file_tables_read_as_cards_on_a_phone(built_site, server, browser):
    """At 390 px a hall's rounds and events and the quality page's lists of files (the fixture's rejected
    returns with their sheets, cells and codes) are cards: every cell is labelled and on screen, nothing scrolls
    sideways; the items table keeps 分值 and 得分 in view. A tier still waiting for its 认定 is never drawn as a
    result in the 历年结果 table."""
    year = built_site["year"]
    busiest = sorted(built_site["halls"], key=lambda h: (-len(h["rounds"]), -len(h["bonus_events"])
                                                          - len(h["deduction_events"]), h["hall_id"]))
    rels = [f"{year}/halls/{hall_slug(h['hall_id'])}.html" for h in busiest[:3]] + [f"{year}/quality.html"]
    browser.call("Emulation.setDeviceMetricsOverride", width=390, height=900, deviceScaleFactor=1, mobile=True)
    try:
        for rel in rels:
            browser.goto(server + rel)
            browser.wait_for("document.querySelector('article h1') !== null")
            m = browser.js("""(() => {
                const cards = [...document.querySelectorAll('article table.hs-cards')];
                const off = [];
                for (const t of cards) {
                  if (getComputedStyle(t.tHead).display !== 'none') off.push('head shown ' + t.tHead.textContent);
                  if (t.scrollWidth > t.clientWidth + 1) off.push('scrolls ' + t.tHead.textContent);
                  for (const td of t.querySelectorAll('tbody td')) {
                    if (!td.getClientRects().length) continue;
                    if (!td.dataset.label) off.push('no label ' + td.textContent.slice(0, 20));
                    if (td.getBoundingClientRect().right > innerWidth + 1) off.push('cut ' + td.textContent.slice(0, 20));
                  }
                }
                const items = document.querySelector('article table.hs-items');
                const heads = items ? [...items.tHead.rows[0].cells].map(th => th.getBoundingClientRect().right) : [];
                return {cards: cards.length, off, items: heads.every(r => r <= innerWidth + 1),
                        rounds: !!document.querySelector('article table.hs-rounds.hs-cards') || !location.pathname.includes('/halls/')};
            })()""")
            assert m["cards"] and m["rounds"] and m["items"] and not m["off"], (rel, m)
    finally:
        browser.call("Emulation.clearDeviceMetricsOverride")
    for h in built_site["halls"]:
        page = (built_site["site"] / f"{year}/halls/{hall_slug(h['hall_id'])}.html").read_text(encoding="utf-8")
        history = page.split("<h2>历年结果</h2>", 1)[-1]
        if h["awaiting"] and "<h2>历年结果</h2>" in page:
            assert "hs-claimed" in history and f"待{h['awaiting']}认定" in history, h["hall_id"]
