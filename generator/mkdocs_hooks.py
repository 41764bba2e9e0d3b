"""MkDocs hook: pages that hallscore rendered to HTML skip Markdown parsing.

A page whose front matter says ``hallscore: html`` already holds escaped, finished HTML. Re-parsing it as
Markdown is the slowest part of a national build (design.md) and could mangle text from workbooks, so the
hook stashes the body before Markdown sees it and hands it back as the page content.
"""

_READY = "_hallscore_html"


def on_page_markdown(markdown, page, config, files):
    if page.meta.get("hallscore") == "html":
        setattr(page, _READY, markdown)
        return ""
    return markdown


def on_page_content(html, page, config, files):
    ready = getattr(page, _READY, None)
    return html if ready is None else ready
