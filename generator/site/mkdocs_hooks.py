"""MkDocs hook: pages that hallscore rendered to HTML skip Markdown parsing; hall pages get a compact search entry.

A page whose front matter says ``hallscore: html`` already holds escaped, finished HTML. Re-parsing it as
Markdown would be the costliest part of a national build and could mangle text from workbooks, so the
hook stashes the body before Markdown sees it and hands it back as the page content.

Hall pages are excluded from the full-text index (their item tables would swell it). Instead each gets one
short entry — name, 厅编码, 省, 市, 区县, tier, score — taken from its front matter (``hallscore_search``) and
segmented the way the search plugin segments everything else, so halls stay findable by a short entry each.

Search quality (issue 13): jieba gets the year's user dictionary before any page is segmented; province pages
carry their cities in the search title and a document boost, so a place name finds the place before its halls;
table cells get a space between them so that snippets do not run numbers together.

What a build keeps beside the site for the next one (jieba's cuts, the hall and page search entries) and jieba's
cut that uses it are in search_memo.py: this file holds the events MkDocs calls by name, and calls those.
"""

from __future__ import annotations

import html
import json
import logging
import re
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

from generator.fs.memo import write_memo
from generator.incremental.collector import heap_given_back
from generator.site.search_memo import (
    DIGEST,
    HALLS,
    PAGES,
    cut_with_memo,
    hall_entries,
    let_dictionary_go,
    memo_context,
    memoize_page_entries,
    page_digest,
    plugin_digest,
    read_halls_memo,
    restore_cut,
    save_cuts,
    write_halls_memo,
)

# The search plugin segments Chinese only with jieba; without it there is nothing to cut.
try:
    import jieba

    JIEBA: ModuleType | None = jieba
except ImportError:
    JIEBA = None

if TYPE_CHECKING:
    from jinja2 import Environment
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.nav import Navigation
    from mkdocs.structure.pages import Page

_READY = "_hallscore_html"
_SEARCH_PLUGINS = ("material/search", "search")


PLACE_BOOST = 10      # province pages above the halls named after their places
METHOD_BOOST = 3      # the methodology page for terms of the standard
# One pattern per pair of cell tags, each with a literal replacement: sre does those without a Python call per
# match (a national page has tens of thousands of cells).
_CELL_GAPS = tuple((re.compile(rf"</{a}>\s*<{b}"), f"</{a}> <{b}") for a in ("td", "th") for b in ("td", "th"))
_FULL = "_hallscore_full"
# Our templates nest no table in a table and no figure in a figure, so the first closing tag ends the element.
_EXCLUDED = re.compile(r"<(table|figure)\b[^>]*\bdata-search-exclude\b[^>]*>.*?</\1>", re.S)
_SEARCH_ATTRS = re.compile(r"\s?data-search-\w+=\"[^\"]+\"")


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    # What an earlier build in this process left (one stopped before on_post_build or on_build_error) is not this
    # build's: its memos are not written, nor its pages' entries taken, by this one.
    PAGES.clear()
    HALLS.clear()
    if JIEBA is None:
        return config
    JIEBA.setLogLevel(logging.WARNING)  # no "Building prefix dict" / "Loading model cost" on stderr
    terms = (config.get("extra") or {}).get("hallscore_search") or {}
    cut_with_memo(JIEBA, terms)
    return config


def on_build_error(error: Exception) -> None:
    restore_cut()
    PAGES.clear()
    HALLS.clear()


def on_env(env: Environment, config: MkDocsConfig, files: Files) -> Environment:
    """Hall pages are stamped after the build (hall_pages.py); their search entries come from the file it names."""
    path = ((config.get("extra") or {}).get("hallscore_search") or {}).get("halls_file")
    index = _search_index(config) if path else None
    if index is not None:

        with open(str(path), encoding="utf-8") as f:
            entries = json.load(f)
        segment = _jieba_ready(index)
        extra = (config.get("extra") or {}).get("hallscore_search") or {}
        memo_path = extra.get("halls_memo") if segment else None
        context = memo_context(extra) if memo_path else ""
        known = read_halls_memo(memo_path, context) if memo_path else {}
        memo: list[list[str]] = []
        hall_entries(index, entries, segment, memo_path, known, memo)
        if memo_path and not (len(memo) == len(known) and all(d in known for d, _t, _x in memo)):
            # Written at on_post_build, unless the memo holds exactly these entries already.
            HALLS.update(path=memo_path, context=context, memo=memo)
    # No bytecode cache: compiled templates stay in this process's memory. Jinja's file-system bytecode
    # cache loads them with marshal, so whoever can write that folder could run code at the next build.
    env.bytecode_cache = None
    return env


def on_nav(nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
    """The last build's search entries of the navigable pages, before any page is read (on_page_content)."""
    extra = (config.get("extra") or {}).get("hallscore_search") or {}
    index = _search_index(config)
    if index is not None and extra.get("pages_memo"):
        memoize_page_entries(index, str(extra["pages_memo"]), memo_context(extra) + plugin_digest(index))
    return nav


@event_priority(50)  # before the search plugin writes its index
def on_post_build(config: MkDocsConfig) -> None:
    # Every page is cut: jieba's dictionary goes before the memos and the index are written (the cold build's
    # peak was those files' text with the dictionary still held).
    let_dictionary_go()
    save_cuts()
    restore_cut()
    if HALLS.get("path"):
        write_halls_memo(HALLS["path"], HALLS["context"], HALLS["memo"])
    HALLS.clear()
    if PAGES.get("path"):

        # No memo only means indexing every page again next time.
        write_memo(PAGES["path"], "search-pages", {"context": PAGES["context"], "pages": PAGES["entries"]})
    PAGES.clear()
    heap_given_back()


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    boost = _boost(page, config)
    if boost:
        page.meta["search"] = {**(page.meta.get("search") or {}), "boost": boost}
    if page.meta.get("hallscore") == "html":
        setattr(page, _READY, markdown)
        return ""
    if markdown.lstrip().startswith("---"):
        # Front matter MkDocs could not parse: rendering the page as Markdown could turn text from a register
        # into live links, so the build stops instead.

        raise PluginError(f"页面 {page.file.src_uri} 的页首信息无法解析,已停止生成站点")
    return markdown


def on_page_content(html_text: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    ready: str | None = getattr(page, _READY, None)
    if ready is not None:
        setattr(page, _READY, None)  # read once: the page's body is not held twice until the build ends
    if ready is None or page.meta.get("hallscore_search"):
        return html_text if ready is None else ready  # hall pages are not full-text indexed
    # Whitespace between cells changes nothing on screen but separates them in the search text.
    text = ready
    for pattern, gap in _CELL_GAPS:
        text = pattern.sub(gap, text)
    if "known" in PAGES:
        digest = page_digest(page, text)
        setattr(page, DIGEST, digest)
        if digest in PAGES["known"]:
            return text  # its entries come from the memo: the search plugin will not parse it
    # The search plugin parses all of a page's HTML only to skip what is marked data-search-exclude (lists of
    # halls, charts): it gets the page without those, and on_page_context puts the whole page back.
    slim = _EXCLUDED.sub("", text)
    if slim != text:
        setattr(page, _FULL, text)
    return slim


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """The page is written once this returns and nothing reads its content again (the search plugin indexed it,
    anchors are checked from what the page's render collected): MkDocs would hold every page's HTML to the end
    of the build."""
    page.content = None
    heap_given_back()  # the page's HTML and what its render freed, not left to the heap's high-water mark
    return output


def _boost(page: Page, config: MkDocsConfig) -> int:
    url = page.file.url if page.file else ""
    latest = ((config.get("extra") or {}).get("hallscore_search") or {}).get("latest")
    # The latest year's page a little above the same page of earlier years.
    newer = 1 if latest and url.startswith(f"{latest}/") else 0
    if "/provinces/" in url:
        return PLACE_BOOST + newer
    if url.endswith("methodology.html"):
        return METHOD_BOOST + newer
    return 0


def on_page_context(context: dict[str, Any], page: Page, config: MkDocsConfig,
                    nav: Navigation) -> dict[str, Any]:
    # Hooks run after the plugins, so the search plugin has indexed the slim page by now.
    full = getattr(page, _FULL, None)
    if full is not None:
        page.content = _SEARCH_ATTRS.sub("", full)  # what the search plugin does to every page's content
        setattr(page, _FULL, None)
    if "/provinces/" in (page.file.url if page.file else ""):
        _title_with_cities(page, config)
    summary = page.meta.get("hallscore_search")
    if summary and not page.meta.get("hallscore_shell"):
        index = _search_index(config)
        if index is not None:
            # The index holds HTML that the browser renders: the title comes escaped (pages.py), the summary not.
            title, text = str(page.meta.get("title", page.title)), html.escape(str(summary), quote=False)
            if _jieba_ready(index):
                title, text = index._segment_chinese(title), index._segment_chinese(text)
            index.entries.append({"location": page.url, "title": title, "text": text})
    return context


def _title_with_cities(page: Page, config: MkDocsConfig) -> None:
    """The province page's first entry is titled with its cities, e.g. "2025 年广东(广州、深圳)"."""
    index = _search_index(config)
    places = ((config.get("extra") or {}).get("hallscore_search") or {}).get("places") or {}
    title = str(page.meta.get("title", page.title))
    province = next((p for p in sorted(places, key=len, reverse=True) if title.endswith(p)), None)
    if index is None or province is None or not places[province]:
        return
    # From the end: the search plugin has just added the page's entries after every hall's entry.
    for entry in reversed(index.entries):
        if entry["location"] == page.url:
            text = f"{title}({'、'.join(places[province])})"
            entry["title"] = index._segment_chinese(text) if _jieba_ready(index) else text
            return


def _search_index(config: MkDocsConfig) -> Any:  # the search plugin's own index (its private API)
    for name in _SEARCH_PLUGINS:
        plugin = config.plugins.get(name)
        if plugin is not None and getattr(plugin, "search_index", None) is not None:
            return plugin.search_index
    return None


def _jieba_ready(index: Any) -> bool:
    """The search plugin segments Chinese only when jieba imported; do exactly what it does."""
    module = sys.modules.get(type(index).__module__)
    return hasattr(index, "_segment_chinese") and getattr(module, "jieba", None) is not None
