"""What a build keeps beside the site so that the next one need not cut its search entries with jieba again.

Three memos, each valid under one context (:func:`memo_context`): jieba's cut of each run of Han characters (with
jieba's dictionary loaded, as it ships plus the build's words, only for a run no memo holds), the hall pages'
compact search entries, and the search plugin's entries of the other pages. Apart from the hooks that call them
(mkdocs_hooks.py): that file holds the events MkDocs calls by name, this one the memos and the cut that reads them.

MkDocs loads mkdocs_hooks.py by its path, not as ``generator.site.mkdocs_hooks``, and that file imports this
module by its package name: the build's state here (the cut, the page entries, the contexts) exists once.
"""

from __future__ import annotations

import hashlib
import html
import json
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.fs.memo import read_memo, write_memo
from generator.incremental.collector import heap_given_back

if TYPE_CHECKING:
    from mkdocs.structure.pages import Page

# This build's cuts: jieba, its own cut, the words to add, the cuts of earlier builds (``known``, from the memo
# beside the site) and those this build used. The module is imported once per process, as jieba is: each build's
# on_config starts it afresh (cut_with_memo clears it first).
_CUTS: dict[str, Any] = {}
_CUTS_FORMAT = "hallscore-cuts/1"
_ORIGINAL = "_hallscore_original"  # on our cut: the one it stands in for
_CUTS_LIMIT = 400_000  # runs kept beside the site; past it, only those of the latest build


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
    heap_given_back()  # the tables the dictionary outgrew while it was parsed


def cut_with_memo(jieba: Any, terms: dict[str, Any]) -> None:
    """jieba's cut of each run of Han characters made once: the search plugin cuts every run on its own
    (SearchIndex._segment_chinese), provinces, cities, tiers and labels recur in thousands of entries, and the
    same run under the same context (:func:`memo_context`) gives the same cut, so the index is what it would
    be. Put back by on_post_build or on_build_error."""
    restore_cut()
    path = terms.get("cuts_memo")
    context = memo_context(terms) if path else ""
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


def restore_cut() -> None:
    if "original" in _CUTS:
        let_dictionary_go()
        _CUTS["jieba"].cut = _CUTS["original"]
    _CUTS.clear()


def let_dictionary_go() -> None:
    """The dictionary this build loaded let go once its last page is cut: it is the largest thing a cold build
    holds besides the year, and the next build loads it afresh anyway (:func:`_pristine_dictionary`)."""
    if _CUTS.get("ready"):
        _drop_dictionary(_CUTS["jieba"].dt)
        _CUTS["ready"] = False
        heap_given_back()


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


def save_cuts() -> None:
    """Keep the cuts for the next build, when this one made new ones (the memo is the runs of every build
    under this context, and only the latest build's once there are too many)."""
    path, known, used = _CUTS.get("path"), _CUTS.get("known") or {}, _CUTS.get("used") or {}
    if not path or all(run in known for run in used):
        return
    cuts = {**known, **used} if len(known) + len(used) <= _CUTS_LIMIT else dict(used)
    write_memo(str(path), "search-cuts",
               {"format": _CUTS_FORMAT, "context": _CUTS["context"], "cuts": dict(sorted(cuts.items()))})


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


def _digest(title: str, text: str) -> str:
    return hashlib.sha256(f"{title}\x1f{text}".encode("utf-8", "surrogatepass")).hexdigest()


def read_halls_memo(path: object, context: str) -> dict[str, tuple[str, str]]:
    """Hall search entries segmented by the last build (render.py keeps the file beside the site): re-cutting
    every hall's entry with jieba is slow, and the cut of the same text under the same context is the same."""
    try:
        memo = read_memo(str(path), "search-halls")
        if not isinstance(memo, dict) or memo.get("context") != context:
            return {}
        return {digest: (title, text) for digest, title, text in memo["entries"]
                if isinstance(title, str) and isinstance(text, str)}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}  # a missing or damaged memo: every entry is cut again


def write_halls_memo(path: object, context: str, memo: list[list[str]]) -> None:
    write_memo(str(path), "search-halls", {"context": context, "entries": memo})  # none: cut again next time


HALLS: dict[str, Any] = {}  # this build's hall entries as cut, written beside the site once jieba is let go


def hall_entries(index: Any, entries: list[dict[str, str]], segment: bool, memo_path: object,
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


PAGES: dict[str, Any] = {}  # this build's page entries and where they go (set by on_nav, emptied at the end)
DIGEST = "_hallscore_digest"


def plugin_digest(index: Any) -> str:
    return hashlib.sha256(json.dumps(index.config, sort_keys=True, default=str).encode()).hexdigest()


def page_digest(page: Page, content: str | None = None) -> str:
    """Everything the search plugin reads of a page to make its entries (SearchIndex.add_entry_from_context);
    ``content``: the page as on_page_content got it, before it took out what search skips (the same thing, earlier)."""

    def toc(items: Any) -> list[object]:
        return [[item.id, item.title, item.url, item.level, toc(item.children)] for item in items]

    meta = {k: page.meta.get(k) for k in ("search", "title", "tags")}
    data = json.dumps([page.url, str(page.title), meta, toc(page.toc), page.content if content is None else content,
                       content is None], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


def memoize_page_entries(index: Any, path: str, context: str) -> None:
    """The search plugin's entries of a page whose content, title and toc the last build indexed already are
    taken from that build (parsing a province page's HTML and cutting it with jieba is most of its build);
    the memo beside the site holds each page's entries by a digest of what they are made of."""
    known = _read_pages_memo(path, context)
    fresh: dict[str, list[dict[str, Any]]] = {}
    original = index.add_entry_from_context

    def add_entry_from_context(page: Page) -> None:
        digest = getattr(page, DIGEST, None) or page_digest(page)
        found = known.get(digest)
        if found is None:
            start = len(index.entries)
            original(page)
            found = [dict(e) for e in index.entries[start:]]  # before the hooks retitle any
        else:
            index.entries.extend(dict(e) for e in found)
        fresh[digest] = found

    index.add_entry_from_context = add_entry_from_context
    PAGES.update(path=path, context=context, entries=fresh, known=known)


def _read_pages_memo(path: str, context: str) -> dict[str, list[dict[str, Any]]]:
    try:
        memo = read_memo(path, "search-pages")
        if not isinstance(memo, dict) or memo.get("context") != context or not isinstance(memo.get("pages"), dict):
            return {}
        return {k: v for k, v in memo["pages"].items() if isinstance(v, list) and all(isinstance(e, dict) for e in v)}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def memo_context(extra: dict[str, Any]) -> str:
    """What jieba's cut of a text depends on besides the text: jieba, the search plugin, the user words, the code
    that cuts and makes the entries (this module and the hooks that call it, read as files: the hooks import this
    module). A memo made under another context is not used. Made once per process and words (the three memos ask
    for it)."""
    words = json.dumps(list(extra.get("words") or ()), ensure_ascii=False)
    known = _CONTEXTS.get(words)
    if known is not None:
        return known
    digest = hashlib.sha256()
    for source in _SOURCES:
        digest.update(source.read_bytes() + b"\0")
    for dist in ("jieba", "mkdocs-material"):
        try:
            digest.update(f"{dist}={metadata.version(dist)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{dist}=-\n".encode())
    digest.update(words.encode("utf-8"))
    _CONTEXTS[words] = digest.hexdigest()
    return _CONTEXTS[words]


_SOURCES = (Path(__file__), Path(__file__).with_name("mkdocs_hooks.py"))
_CONTEXTS: dict[str, str] = {}  # by words (the module is imported once per process)
