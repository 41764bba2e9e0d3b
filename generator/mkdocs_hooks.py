"""MkDocs hook: pages that hallscore rendered to HTML skip Markdown parsing; hall pages get a compact search entry.

A page whose front matter says ``hallscore: html`` already holds escaped, finished HTML. Re-parsing it as
Markdown is the slowest part of a national build (design.md) and could mangle text from workbooks, so the
hook stashes the body before Markdown sees it and hands it back as the page content.

Hall pages are excluded from the full-text index (≈ 32 KB each with their item tables). Instead each gets one
short entry — name, 厅编码, 省, 市, 区县, tier, score — taken from its front matter (``hallscore_search``) and
segmented the way the search plugin segments everything else, so halls stay findable at a few hundred bytes each.
"""

import html

_READY = "_hallscore_html"
_SEARCH_PLUGINS = ("material/search", "search")


def on_page_markdown(markdown, page, config, files):
    if page.meta.get("hallscore") == "html":
        setattr(page, _READY, markdown)
        return ""
    if markdown.lstrip().startswith("---"):
        # Front matter MkDocs could not parse: rendering the page as Markdown could turn text from a register
        # into live links, so the build stops instead.
        from mkdocs.exceptions import PluginError

        raise PluginError(f"页面 {page.file.src_uri} 的页首信息无法解析,已停止生成站点")
    return markdown


def on_page_content(html_text, page, config, files):
    ready = getattr(page, _READY, None)
    return html_text if ready is None else ready


def on_page_context(context, page, config, nav):
    summary = page.meta.get("hallscore_search")
    if summary:
        index = _search_index(config)
        if index is not None:
            # The index holds HTML that the browser renders: the title comes escaped (pages.py), the summary not.
            title, text = str(page.meta.get("title", page.title)), html.escape(str(summary), quote=False)
            if _jieba_ready(index):
                title, text = index._segment_chinese(title), index._segment_chinese(text)
            index.entries.append({"location": page.url, "title": title, "text": text})
    return context


def _search_index(config):
    for name in _SEARCH_PLUGINS:
        plugin = config.plugins.get(name)
        if plugin is not None and getattr(plugin, "search_index", None) is not None:
            return plugin.search_index
    return None


def _jieba_ready(index) -> bool:
    """The search plugin segments Chinese only when jieba imported; do exactly what it does."""
    import sys

    module = sys.modules.get(type(index).__module__)
    return hasattr(index, "_segment_chinese") and getattr(module, "jieba", None) is not None
