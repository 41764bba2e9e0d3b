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
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
import sys
from importlib import metadata
from types import ModuleType
from typing import TYPE_CHECKING, Any

from mkdocs.exceptions import PluginError

from generator.fs.memo import read_memo, write_memo

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
    if JIEBA is None:
        return config
    JIEBA.setLogLevel(logging.WARNING)  # no "Building prefix dict" / "Loading model cost" on stderr
    terms = (config.get("extra") or {}).get("hallscore_search") or {}
    _cut_with_memo(JIEBA, terms)
    return config


def _dictionary() -> None:
    """jieba's dictionary as shipped plus this build's words, made before the first cut the memo does not hold
    (loading jieba's dictionary is slow: a build whose runs were all cut before never loads it)."""
    if _CUTS.get("ready"):
        return
    jieba = _CUTS["jieba"]
    _pristine_dictionary(jieba.dt)
    # Shorter words first, so that a longer one's frequency is worked out against them: the frequency jieba
    # suggests is just above what splitting would score, which keeps the word whole (不达标, not 不 + 达标).
    for word in sorted(_CUTS["words"], key=lambda w: (len(w), w)):
        jieba.add_word(word, freq=jieba.suggest_freq(word, tune=False))
    _CUTS["ready"] = True


# This build's cuts: jieba, its own cut, the words to add, the cuts of earlier builds (``known``, from the memo
# beside the site) and those this build used. The module is loaded anew for every build; jieba is not.
_CUTS: dict[str, Any] = {}
_CUTS_FORMAT = "hallscore-cuts/1"
_ORIGINAL = "_hallscore_original"  # on our cut: the one it stands in for
_CUTS_LIMIT = 400_000  # runs kept beside the site; past it, only those of the latest build


def _cut_with_memo(jieba: Any, terms: dict[str, Any]) -> None:
    """jieba's cut of each run of Han characters made once: the search plugin cuts every run on its own
    (SearchIndex._segment_chinese), provinces, cities, tiers and labels recur in thousands of entries, and the
    same run under the same context (:func:`_memo_context`) gives the same cut, so the index is what it would
    be. Put back by on_post_build or on_build_error."""
    _restore_cut()
    path = terms.get("cuts_memo")
    context = _memo_context(terms) if path else ""
    known = _read_cuts(str(path), context) if path else {}
    # jieba's own cut, also when a build stopped before putting it back (an interrupt: no build_error event).
    original = getattr(jieba.cut, _ORIGINAL, jieba.cut)
    used: dict[str, list[str]] = {}

    def cut(sentence: Any, *args: Any, **kwargs: Any) -> Any:
        key = sentence
        if isinstance(sentence, bytes):  # what the search plugin passes
            try:
                key = sentence.decode("utf-8")
            except UnicodeDecodeError:
                key = None
        if args or kwargs or not isinstance(key, str):
            _dictionary()
            return original(sentence, *args, **kwargs)
        found = used.get(key)
        if found is None:
            found = known.get(key)
            if found is None:
                _dictionary()
                found = list(original(sentence))
            used[key] = found
        return iter(found)

    setattr(cut, _ORIGINAL, original)
    _CUTS.update(jieba=jieba, original=original, words=list(terms.get("words", ())), ready=False, path=path,
                 context=context, known=known, used=used)
    jieba.cut = cut


def _restore_cut() -> None:
    if "original" in _CUTS:
        _CUTS["jieba"].cut = _CUTS["original"]
    _CUTS.clear()


def _read_cuts(path: str, context: str) -> dict[str, list[str]]:
    try:
        memo = read_memo(path, "search-cuts")  # sealed: a planted or edited memo reads as none
        if not isinstance(memo, dict) or memo.get("format") != _CUTS_FORMAT or memo.get("context") != context:
            return {}
        cuts = memo["cuts"]
        # Data, checked: a run and the list of its words, which join back to the run.
        return {run: words for run, words in cuts.items() if isinstance(run, str) and isinstance(words, list)
                and all(isinstance(w, str) for w in words) and "".join(words) == run}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}  # a missing or damaged memo: runs are cut again


def _save_cuts() -> None:
    """Keep the cuts for the next build, when this one made new ones (the memo is the runs of every build
    under this context, and only the latest build's once there are too many)."""
    path, known, used = _CUTS.get("path"), _CUTS.get("known") or {}, _CUTS.get("used") or {}
    if not path or all(run in known for run in used):
        return
    cuts = {**known, **used} if len(known) + len(used) <= _CUTS_LIMIT else dict(used)
    write_memo(str(path), "search-cuts",
               {"format": _CUTS_FORMAT, "context": _CUTS["context"], "cuts": dict(sorted(cuts.items()))})


def on_build_error(error: Exception) -> None:
    _restore_cut()
    _PAGES.clear()


def _pristine_dictionary(tokenizer: Any) -> None:
    """jieba's dictionary as it ships, before this build adds its words: loaded afresh.

    The dictionary is global to the process: words added for an earlier build (another year's cities, another
    register) or by anything else would change how this build segments, and so the search index, for the same
    inputs. It is let go first and jieba loads it again as it ships (no second copy of it is kept in memory: it
    is the largest thing a cold build holds besides the year)."""
    _drop_dictionary(tokenizer)
    _load_shipped(tokenizer)


def _load_shipped(tokenizer: Any) -> None:
    """jieba's dictionary parsed from the text file it ships. jieba's own first load reads a marshal file in the
    shared temporary folder (``jieba.cache``, trusted as found, written when absent): anyone who can write there
    could plant it, and hallscore reads back nothing in a code format."""
    with tokenizer.lock:
        tokenizer.FREQ, tokenizer.total = tokenizer.gen_pfdict(tokenizer.get_dict_file())
        tokenizer.initialized = True


def _drop_dictionary(tokenizer: Any) -> None:
    """jieba's tokenizer as before its first cut: dictionary not loaded (its next cut loads it as it ships)."""
    with tokenizer.lock:
        tokenizer.FREQ, tokenizer.total, tokenizer.user_word_tag_tab = {}, 0, {}
        tokenizer.initialized = False


def on_env(env: Environment, config: MkDocsConfig, files: Files) -> Environment:
    """Hall pages are stamped after the build (stamp.py); their search entries come from the file it names."""
    path = ((config.get("extra") or {}).get("hallscore_search") or {}).get("halls_file")
    index = _search_index(config) if path else None
    if index is not None:

        with open(str(path), encoding="utf-8") as f:
            entries = json.load(f)
        segment = _jieba_ready(index)
        extra = (config.get("extra") or {}).get("hallscore_search") or {}
        memo_path = extra.get("halls_memo") if segment else None
        context = _memo_context(extra) if memo_path else ""
        known = _read_memo(memo_path, context) if memo_path else {}
        memo: list[list[str]] = []
        _hall_entries(index, entries, segment, memo_path, known, memo)
        if memo_path and not (len(memo) == len(known) and all(d in known for d, _t, _x in memo)):
            _write_memo(memo_path, context, memo)  # unless the memo holds exactly these entries already
    # No bytecode cache: compiled templates stay in this process's memory. Jinja's file-system bytecode
    # cache loads them with marshal, so whoever can write that folder could run code at the next build.
    env.bytecode_cache = None
    return env


def _hall_entries(index: Any, entries: list[dict[str, str]], segment: bool, memo_path: object,
                  known: dict[str, tuple[str, str]], memo: list[list[str]]) -> None:
    for entry in entries:
        # The index holds HTML that the browser renders: the title comes escaped, the summary not.
        title, text = entry["title"], html.escape(entry["text"], quote=False)
        if segment:
            digest = _digest(title, text) if memo_path else ""
            found = known.get(digest)
            if found is None:
                found = (index._segment_chinese(title), index._segment_chinese(text))
            title, text = found
            if memo_path:
                memo.append([digest, title, text])
        index.entries.append({"location": entry["location"], "title": title, "text": text})


_PAGES: dict[str, Any] = {}  # this build's page entries and where they go (the module is loaded per build)
_DIGEST = "_hallscore_digest"


def on_nav(nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
    """The last build's search entries of the navigable pages, before any page is read (on_page_content)."""
    extra = (config.get("extra") or {}).get("hallscore_search") or {}
    index = _search_index(config)
    if index is not None and extra.get("pages_memo"):
        _memoize_page_entries(index, str(extra["pages_memo"]), _memo_context(extra) + _plugin_digest(index))
    return nav


def _plugin_digest(index: Any) -> str:
    return hashlib.sha256(json.dumps(index.config, sort_keys=True, default=str).encode()).hexdigest()


def _page_digest(page: Page, content: str | None = None) -> str:
    """Everything the search plugin reads of a page to make its entries (SearchIndex.add_entry_from_context);
    ``content``: the page as this hook got it, before it took out what search skips (the same thing, earlier)."""

    def toc(items: Any) -> list[object]:
        return [[item.id, item.title, item.url, item.level, toc(item.children)] for item in items]

    meta = {k: page.meta.get(k) for k in ("search", "title", "tags")}
    data = json.dumps([page.url, str(page.title), meta, toc(page.toc), page.content if content is None else content,
                       content is None], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


def _memoize_page_entries(index: Any, path: str, context: str) -> None:
    """The search plugin's entries of a page whose content, title and toc the last build indexed already are
    taken from that build (parsing a province page's HTML and cutting it with jieba is most of its build);
    the memo beside the site holds each page's entries by a digest of what they are made of."""
    known = _read_pages_memo(path, context)
    fresh: dict[str, list[dict[str, Any]]] = {}
    original = index.add_entry_from_context

    def add_entry_from_context(page: Page) -> None:
        digest = getattr(page, _DIGEST, None) or _page_digest(page)
        found = known.get(digest)
        if found is None:
            start = len(index.entries)
            original(page)
            found = [dict(e) for e in index.entries[start:]]  # before the hooks retitle any
        else:
            index.entries.extend(dict(e) for e in found)
        fresh[digest] = found

    index.add_entry_from_context = add_entry_from_context
    _PAGES.update(path=path, context=context, entries=fresh, known=known)


def _read_pages_memo(path: str, context: str) -> dict[str, list[dict[str, Any]]]:
    try:
        memo = read_memo(path, "search-pages")
        if not isinstance(memo, dict) or memo.get("context") != context or not isinstance(memo.get("pages"), dict):
            return {}
        return {k: v for k, v in memo["pages"].items() if isinstance(v, list) and all(isinstance(e, dict) for e in v)}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def on_post_build(config: MkDocsConfig) -> None:
    _save_cuts()
    _restore_cut()
    if _PAGES.get("path"):

        # No memo only means indexing every page again next time.
        write_memo(_PAGES["path"], "search-pages", {"context": _PAGES["context"], "pages": _PAGES["entries"]})
    _PAGES.clear()


def _memo_context(extra: dict[str, Any]) -> str:
    """What jieba's cut of a text depends on besides the text: jieba, the search plugin, the user words, this
    hook's code. A memo made under another context is not used. Made once per build and words (the three
    memos ask for it)."""
    words = json.dumps(list(extra.get("words") or ()), ensure_ascii=False)
    known = _CONTEXTS.get(words)
    if known is not None:
        return known
    with open(__file__, "rb") as f:
        digest = hashlib.sha256(f.read())
    for dist in ("jieba", "mkdocs-material"):
        try:
            digest.update(f"{dist}={metadata.version(dist)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{dist}=-\n".encode())
    digest.update(words.encode("utf-8"))
    _CONTEXTS[words] = digest.hexdigest()
    return _CONTEXTS[words]


_CONTEXTS: dict[str, str] = {}  # this build's (the module is loaded anew for every build)


def _digest(title: str, text: str) -> str:
    return hashlib.sha256(f"{title}\x1f{text}".encode("utf-8", "surrogatepass")).hexdigest()


def _read_memo(path: object, context: str) -> dict[str, tuple[str, str]]:
    """Hall search entries segmented by the last build (site.py keeps the file beside the site): re-cutting
    every hall's entry with jieba is slow, and the cut of the same text under the same context is the same."""
    try:
        memo = read_memo(str(path), "search-halls")
        if not isinstance(memo, dict) or memo.get("context") != context:
            return {}
        return {digest: (title, text) for digest, title, text in memo["entries"]
                if isinstance(title, str) and isinstance(text, str)}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}  # a missing or damaged memo: every entry is cut again


def _write_memo(path: object, context: str, memo: list[list[str]]) -> None:
    write_memo(str(path), "search-halls", {"context": context, "entries": memo})  # none: cut again next time


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
    if "known" in _PAGES:
        digest = _page_digest(page, text)
        setattr(page, _DIGEST, digest)
        if digest in _PAGES["known"]:
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
