"""Hall pages stamped into the Material shell: MkDocs renders one placeholder hall page per year, and each
hall's body and title go into a copy of it (the way the inspectors' workbooks are stamped from a template).

A hall page differs from its neighbours only in its title and its article, so the shell is rendered once and
the rest is string work. The shell is a real page of the MkDocs build (same theme, header, tabs, scripts,
relative paths at the same depth), so a stamped page is what MkDocs would have written for it
(tests/test_stamp.py compares the two).

A page also carries a key of what it is made of in a last-line comment: the code and template set, the shell,
and what its template is handed (page_keys.py). When the previous site holds a page with the same key,
that file is hard-linked into the new build instead of being rendered and written again: a changed return
rewrites its own hall's page and leaves the other hall pages as they were, byte for byte and inode for inode.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from generator.site.format import hall_slug
from generator.site.page_keys import page_row_digest, template_set_digest
from generator.site.pages import TEMPLATE_DIR, HallPage, iter_hall_pages
from generator.site.view import YearView

SHELL = "_hallscore_shell"              # docs/<year>/halls/_hallscore_shell.md, removed after stamping
TITLE_MARK = "HALLSCORE-SHELL-TITLE"
# "<h1" inside it keeps Material from adding a title heading of its own (the hall body brings its <h1>).
BODY_MARK = "<!--HALLSCORE-SHELL-BODY<h1>-->"
KEY_PREFIX = "<!-- hallscore-page "
KEY_LINE = re.compile(r"\n<!-- hallscore-page [0-9a-f]{64} -->\n\Z")
# The search plugin strips these attributes from every page's content (material/plugins/search/plugin.py).
_SEARCH_ATTRS = re.compile(r"\s?data-search-\w+=\"[^\"]+\"")


def shell_source() -> str:
    """The placeholder hall page: hall pages' front matter, marker title and body."""
    return ("---\n"
            f"title: \"{TITLE_MARK}\"\n"
            "hallscore: html\n"
            "search:\n  exclude: true\n"
            "hallscore_search: \"shell\"\n"
            "hallscore_shell: true\n"
            "---\n"
            f"{BODY_MARK}")


def search_entries(views: Iterable[YearView], pages: Iterable[HallPage] | None = None) -> list[dict[str, str]]:
    """The compact search entries of every hall page (title and summary), as mkdocs_hooks adds them. ``pages``:
    the years' hall pages when the caller has them already (iter_hall_pages)."""
    return [{"location": f"{page.rel}.html", "title": html.escape(page.title, quote=False), "text": page.summary}
            for page in (pages if pages is not None else iter_hall_pages(None, views=views))]


def hall_page_key(base: str, page: HallPage) -> str:
    """The key of a hall page: ``base`` (code, templates, shell) and every value its template is handed: the
    hall's row as pages get it (site_page_keys.page_row) and its rank, its history and the year's parts; the
    rest (its 整改清单 lines, the round words) is made from those by code."""
    # reprs (the history's years, Decimals and tiers, exactly), not JSON with a default= call per score.
    data = repr((page.rel, page_row_digest(page.hall), page.history, page.year.key))
    return hashlib.sha256(f"{base}\n{data}".encode("utf-8", "surrogatepass")).hexdigest()


_TAIL = len(KEY_PREFIX) + 64 + 6


def _old_key(path: str) -> str | None:
    # One open, fstat and pread (no file object): done for every hall page of every build.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        size = os.fstat(fd).st_size
        if size < _TAIL:
            return None
        tail = os.pread(fd, _TAIL, size - _TAIL).decode("ascii", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)
    at = tail.rfind(KEY_PREFIX)
    return tail[at + len(KEY_PREFIX):at + len(KEY_PREFIX) + 64] if at >= 0 else None


def stamp_halls(views: list[YearView], site: Path, previous: Path | None,
                template_dir: Path = TEMPLATE_DIR, old_keys: Mapping[str, str] | None = None,
                keys: dict[str, str] | None = None, pages: Iterable[HallPage] | None = None) -> dict[str, int]:
    """Write every hall page into the freshly built ``site``; reuse ``previous`` pages whose key matches.

    ``old_keys``: the key of each page of ``previous`` by its path in the site, as the site's sealed manifest
    lists them (render.py checks the site against it first); without it each page's key is read from its last
    line. ``keys``: filled with the key of every page written or linked, for the new manifest. ``pages``: the
    years' hall pages when the caller has them already (iter_hall_pages)."""
    site = Path(site)
    base = template_set_digest(template_dir)
    shells: dict[str, tuple[str, str, str]] = {}
    for view in views:
        shell = site / str(view.year) / "halls" / f"{SHELL}.html"
        text = shell.read_text(encoding="utf-8")
        head, tail = text.split(BODY_MARK, 1)
        shells[str(view.year)] = (head, tail, f"{base}\n{hashlib.sha256(text.encode('utf-8')).hexdigest()}")
        shell.unlink()
    written = linked = 0
    # Paths as strings: every hall page, two paths each.
    site_s, previous_s = os.fspath(site), os.fspath(previous) if previous is not None else None
    for page in pages if pages is not None else iter_hall_pages(None, template_dir, views=views):
        year = page.rel.split("/", 1)[0]
        head, tail, shell_base = shells[year]
        key = hall_page_key(shell_base, page)
        name = f"{page.rel}.html"
        target = f"{site_s}/{name}"
        old = f"{previous_s}/{name}" if previous_s is not None else None
        if keys is not None:
            keys[name] = key
        if old is not None and (old_keys.get(name) if old_keys is not None else _old_key(old)) == key:
            _link(old, target)
            linked += 1
            continue
        title = html.escape(page.title, quote=False)
        body = _SEARCH_ATTRS.sub("", page.render())
        data = (head.replace(TITLE_MARK, title) + body + tail.replace(TITLE_MARK, title)
                + f"\n{KEY_PREFIX}{key} -->\n").encode("utf-8")
        # A row can change where the page does not show it (a return's checksum): same bytes, same file.
        if old is not None and _same_bytes(old, data):
            _link(old, target)
            linked += 1
            continue
        with open(target, "wb") as f:
            f.write(data)
        written += 1
    return {"written": written, "linked": linked}


def _link(old: str | Path, target: str | Path) -> None:
    try:
        os.link(old, target)
    except OSError:
        shutil.copy2(old, target)


def _same_bytes(path: str, data: bytes) -> bool:
    try:
        if os.stat(path).st_size != len(data):
            return False
        with open(path, "rb") as f:
            return f.read() == data
    except OSError:
        return False


def link_unchanged(site: Path, previous: Path | None) -> int:
    """Files of the new build that equal the previous site's byte for byte become hard links to those: a page
    whose content did not change is not rewritten (its inode and mtime stay)."""
    if previous is None or not previous.is_dir():
        return 0
    count = 0
    for root, dirs, files in os.walk(site):
        dirs[:] = [d for d in dirs if d != "halls"]  # hall pages: stamp_halls has linked the unchanged ones
        for name in files:
            new = Path(root) / name
            old = previous / new.relative_to(site)
            try:
                if old.is_symlink() or not old.is_file() or os.path.samefile(old, new):
                    continue
                if old.stat().st_size != new.stat().st_size or old.read_bytes() != new.read_bytes():
                    continue
                tmp = new.with_name(f".{name}.link")
                os.link(old, tmp)
                os.replace(tmp, new)
                count += 1
            except OSError:
                continue
    return count


def strip_key(text: str) -> str:
    """A stamped page without its key line: what MkDocs itself writes for the same page."""
    return KEY_LINE.sub("", text)


__all__ = ["SHELL", "shell_source", "search_entries", "stamp_halls", "link_unchanged", "strip_key", "hall_slug"]
