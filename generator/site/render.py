"""Site: pages → ``mkdocs build`` → ``site/``, swapped in only when the whole build succeeded.

A year's site kept as the record (``site-<Y>.zip``) is made by :mod:`generator.site.freeze`.
"""

from __future__ import annotations

import calendar
import json
import logging
import os
import re
import shutil
import stat as stat_mod
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import MkDocsException

from generator.archive.store import YearData
from generator.errors import SiteError
from generator.fs.files import clean_leftovers, file_sha256, replace_dir, stat_status, work_prefix
from generator.fs.memo import read_memo, write_memo
from generator.fs.paths import SITE_MARKER, check_site_dir, mark_site
from generator.incremental.collector import collected_after
from generator.resources import ASSETS, BASE_CONFIG, HOOKS, THEME_OVERRIDES
from generator.site.compare_js import FILE as COMPARE_FILE
from generator.site.compare_js import compare_script
from generator.site.downloads import Downloads, write_downloads
from generator.site.hall_pages import SHELL, link_unchanged, search_entries, shell_source, stamp_halls
from generator.site.page_keys import forget_digests
from generator.site.pages import TEMPLATE_DIR, HallPage, iter_hall_pages, iter_pages, navigation
from generator.site.province import PageCache
from generator.site.search_terms import places, search_words
from generator.site.view import YearView, attach_application
from generator.why import why


def build_site(years: list[YearData], site_dir: str | Path, base_config: str | Path = BASE_CONFIG,
               template_dir: Path = TEMPLATE_DIR, strict: bool = False, keep_docs: Path | None = None,
               stamp: bool = True, cache_dir: str | Path | None = None,
               commit: Callable[[Path], None] | None = None) -> dict[str, Any]:
    """Render every archived year and build the static site into ``site_dir``; return build figures.

    ``stamp``: hall pages are stamped into a shell MkDocs renders once per year (hall_pages.py), reusing unchanged
    pages of the site being replaced; ``stamp=False`` has MkDocs render each of them (the reference the tests
    compare stamped pages with). ``cache_dir``: unused by the site (kept for callers); nothing compiled is
    ever read back from a folder: templates are compiled in memory for each build. ``commit``: puts the built
    site in place together with the archive's new year (fs/journal.py); by default the site alone is swapped in."""
    check_site_dir(site_dir)
    site_dir = Path(site_dir).resolve()
    work = _work_folder(site_dir)
    try:
        views = [YearView(y) for y in years]
        attach_application(views)
        # The published site is reused (unchanged pages linked, downloads copied) only when it is, file for file,
        # what the last build published: a page deleted, edited or planted since makes this a full build.
        known, old_keys, previous = _reusable_site(site_dir)
        downloads = Downloads(previous, _beside(site_dir, "rows.json"))
        _year_files(views, work / "docs", downloads, stamp)
        # Province page bodies whose inputs did not change, from the last build (province.py).
        cache = PageCache(_beside(site_dir, "pages"), template_dir) if stamp else None
        pages = _write_pages(years, views, work / "docs", template_dir, stamp, cache)
        # The hall pages, made once for their search entries and their stamping.
        halls = list(iter_hall_pages(None, template_dir, views=views)) if stamp else []
        _mkdocs_site(years, views, work, site_dir, base_config, halls if stamp else None, strict)
        downloads.save_keys(work / "site")
        keys: dict[str, str] = {}
        stamped = _stamp(views, work / "site", previous, template_dir, old_keys, keys, halls) if stamp else {
            "written": 0, "linked": 0, "seconds": 0.0}
        # Every page is made: what they were made from is let go before the site is published (its manifest is
        # made over every file), so that memory is used again rather than added to.
        del views, halls, downloads
        forget_digests()
        pages += int(stamped["written"] + stamped["linked"])
        link_unchanged(work / "site", previous)
        _keep_docs(work / "docs", keep_docs)
        _publish(work / "site", site_dir, known or {}, commit, keys)
        provinces = _province_figures(cache)
        return {"pages": pages, "site": str(site_dir), "hall_pages": stamped, "province_pages": provinces}
    finally:
        forget_digests()
        shutil.rmtree(work, ignore_errors=True)


def _work_folder(site_dir: Path) -> Path:
    """A new build folder beside the site, once the folders of killed builds are gone."""
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(site_dir.parent, f".{site_dir.name}.build-")
    return Path(tempfile.mkdtemp(prefix=work_prefix(f".{site_dir.name}.build-"), dir=site_dir.parent))


def _reusable_site(site_dir: Path) -> tuple[dict[str, str] | None, dict[str, str] | None, Path | None]:
    """The intact published site's SHA-256 by identity and page keys (:func:`_site_state`), and the site to reuse."""
    state = _site_state(site_dir) if (site_dir / SITE_MARKER).is_file() else None
    known, old_keys = state if state is not None else (None, None)
    return known, old_keys, site_dir if known is not None else None


def _mkdocs_site(years: list[YearData], views: list[YearView], work: Path, site_dir: Path, base_config: str | Path,
                 halls: list[HallPage] | None, strict: bool) -> None:
    """MkDocs builds ``work/site`` from ``work/docs`` and the build's mkdocs.yml; the theme's source maps go."""
    config_path = _mkdocs_config(years, views, work, site_dir, base_config, halls)
    _mkdocs_build(config_path, strict, _build_epoch(years))
    _drop_source_maps(work / "site")


def _keep_docs(docs: Path, keep_docs: Path | None) -> None:
    """A copy of the pages' sources at ``keep_docs`` (replacing what is there), when asked for."""
    if keep_docs is not None:
        if Path(keep_docs).exists():
            shutil.rmtree(keep_docs)
        shutil.copytree(docs, keep_docs)


def _province_figures(cache: PageCache | None) -> dict[str, int]:
    """Province pages reused and rendered, once the cache has dropped the bodies this build did not use."""
    if cache is None:
        return {}
    cache.prune()
    return {"reused": cache.reused, "rendered": cache.rendered}


def _beside(site_dir: Path, what: str) -> Path:
    """A file or folder a build keeps for the next one, beside the site: ``.<site>.<what>``."""
    return site_dir.parent / f".{site_dir.name}.{what}"


def _year_files(views: list[YearView], docs: Path, downloads: Downloads, stamp: bool) -> None:
    """Each year's downloads (unchanged ones from the last site), compare.js and, when stamping, its shell."""
    for view in views:
        write_downloads(view, docs, downloads)
        (docs / str(view.year)).mkdir(parents=True, exist_ok=True)
        (docs / str(view.year) / COMPARE_FILE).write_text(compare_script(view), encoding="utf-8")
        if stamp:
            (docs / str(view.year) / "halls").mkdir(exist_ok=True)
            (docs / str(view.year) / "halls" / f"{SHELL}.md").write_text(shell_source(), encoding="utf-8")


def _write_pages(years: list[YearData], views: list[YearView], docs: Path, template_dir: Path, stamp: bool,
                 cache: PageCache | None) -> int:
    pages = 0
    for rel, text in iter_pages(years, template_dir, views=views, hall_pages_too=not stamp, cache=cache):
        path = docs / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        pages += 1
    return pages


def _mkdocs_config(years: list[YearData], views: list[YearView], work: Path, site_dir: Path,
                   base_config: str | Path, halls: list[HallPage] | None) -> Path:
    """The build's mkdocs.yml (inheriting the base configuration), with what the hook reads for search.
    ``halls``: the hall pages when they are stamped (their search entries come from a file the hook reads)."""
    docs = work / "docs"
    search_extra: dict[str, Any] = {"words": search_words(views), "places": places(views),
                                    "latest": max((v.year for v in views), default=0)}
    if halls is not None:
        halls_file = work / "hall-search.json"
        halls_file.write_text(json.dumps(search_entries(views, halls), ensure_ascii=False), encoding="utf-8")
        search_extra["halls_file"] = str(halls_file)
        # Hall entries as jieba cut them, kept beside the site for the next build (search_memo.py).
        search_extra["halls_memo"] = str(_beside(site_dir, "search-memo.json"))
        # The other pages' search entries (data, checked), for the next build too.
        search_extra["pages_memo"] = str(_beside(site_dir, "search-pages.json"))
        # jieba's cut of each run of Han characters: a build that cuts no new run never loads its dictionary.
        search_extra["cuts_memo"] = str(_beside(site_dir, "search-cuts.json"))
    shutil.copytree(ASSETS, docs / "assets")
    config_path = work / "mkdocs.yml"
    config = {
        "INHERIT": str(Path(base_config).resolve()),
        "docs_dir": str(docs),
        "site_dir": str(work / "site"),
        "nav": navigation(years),
        "theme": {"name": "material", "custom_dir": str(THEME_OVERRIDES)},
        "hooks": [str(HOOKS)],
        # Read by mkdocs_hooks: jieba's user words and each province's cities (search only).
        "extra": {"hallscore_search": search_extra},
    }
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return config_path


def _stamp(views: list[YearView], site: Path, previous: Path | None, template_dir: Path,
           old_keys: dict[str, str] | None, keys: dict[str, str], halls: list[HallPage]) -> dict[str, Any]:
    started = time.perf_counter()
    stamped: dict[str, Any] = dict(stamp_halls(views, site, previous, template_dir, old_keys, keys, halls))
    stamped["seconds"] = time.perf_counter() - started
    return stamped


def _publish(built: Path, site_dir: Path, known: dict[str, str], commit: Callable[[Path], None] | None,
             keys: dict[str, str]) -> None:
    mark_site(built)
    check_site_dir(site_dir)  # again: the folder may have been filled while the site was built
    if commit is None:
        replace_dir(built, site_dir)
    else:  # together with the archive's new year, through the archive's journal (journal.py)
        commit(built)
    write_site_manifest(site_dir, known, keys)


def _drop_source_maps(site: Path) -> None:
    """The theme's *.js.map files: a developer's aid no page loads (a few MB, and they quote their authors' mail
    addresses, which a company-wide site should not carry)."""
    for path in (site / "assets").rglob("*.map"):
        path.unlink()


def manifest_path(site_dir: str | Path) -> Path:
    site_dir = Path(site_dir).resolve()
    return site_dir.parent / f".{site_dir.name}.manifest"


def _site_files(site_dir: Path) -> Iterator[tuple[str, str, os.stat_result]]:
    """Every file of the site (a link to a folder counted as a file, not followed): its path relative to the site
    (``/``-separated), its full path and its status, folders in name order; strings and one scandir per folder,
    as the manifest is made and checked over every file of every build."""
    yield from _folder_files(os.fspath(site_dir), "")


def _folder_files(folder: str, rel: str) -> Iterator[tuple[str, str, os.stat_result]]:
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except OSError:
        return  # a folder that cannot be listed shows no files (the check then finds them missing)
    files, links, dirs = [], [], []
    for entry in entries:
        if not entry.is_dir():
            files.append(entry)
        elif entry.is_symlink():
            links.append(entry)
        else:
            dirs.append(entry)
    for entry in sorted(files, key=_name) + sorted(links, key=_name):
        yield rel + entry.name, entry.path, entry.stat(follow_symlinks=False)
    for entry in sorted(dirs, key=_name):
        yield from _folder_files(entry.path, f"{rel}{entry.name}/")


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _identity(st: os.stat_result) -> str:
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def write_site_manifest(site_dir: str | Path, known: dict[str, str], keys: Mapping[str, str] | None = None) -> None:
    """Every file of the published site with its status and SHA-256, sealed beside it. ``known``: SHA-256 by
    identity of files checked at the start of this build (linked into this one, so not read again). ``keys``:
    the key of each stamped hall page by its path (hall_pages.py), sealed with the files they describe so the
    next build, having checked the files, takes a page's key from here rather than reading every page."""
    site_dir = Path(site_dir)
    files = {}
    for rel, path, st in _site_files(site_dir):
        if not stat_mod.S_ISREG(st.st_mode):
            continue  # never made by a build: the next check finds it and rebuilds
        sha = known.get(_identity(st)) or file_sha256(path)
        files[rel] = [stat_status(st), sha]
    pages = {rel: key for rel, key in (keys or {}).items() if rel in files}
    write_memo(manifest_path(site_dir), "site-manifest", {"site": str(site_dir.resolve()), "files": files,
                                                          "keys": pages})


def site_intact(site_dir: str | Path) -> dict[str, str] | None:
    """SHA-256 by identity of the site's files when the site is exactly what its sealed manifest lists (no file
    missing, added, linked out or changed); None otherwise, or when there is no manifest."""
    state = _site_state(site_dir)
    return state[0] if state is not None else None


def _site_state(site_dir: str | Path) -> tuple[dict[str, str], dict[str, str] | None] | None:
    """:func:`site_intact`'s SHA-256 by identity, and the hall pages' keys the manifest lists (None from a
    manifest that lists none: each page's key is then read from the page)."""
    site_dir = Path(site_dir)
    memo = read_memo(manifest_path(site_dir), "site-manifest")
    if not isinstance(memo, dict) or memo.get("site") != str(site_dir.resolve()) \
            or not isinstance(memo.get("files"), dict):
        return None
    listed: dict[str, Any] = memo["files"]
    seen, known = 0, {}
    try:
        for rel, path, st in _site_files(site_dir):
            entry = listed.get(rel)
            if not stat_mod.S_ISREG(st.st_mode) or not isinstance(entry, list) or len(entry) != 2:
                return None
            status, sha = entry
            if status != stat_status(st) and file_sha256(path) != sha:
                return None
            known[_identity(st)] = str(sha)
            seen += 1
    except OSError:
        return None
    if seen != len(listed):
        return None
    keys = memo.get("keys")
    if not isinstance(keys, dict) or not all(isinstance(k, str) for k in keys.values()):
        return known, None
    return known, keys


def _build_epoch(years: Iterable[YearData]) -> int:
    """A build date fixed by the data (the end of the latest year), so that sitemaps are reproducible."""
    latest = max((y.year for y in years), default=2000)
    return calendar.timegm(datetime(latest, 12, 31).timetuple())


@contextmanager
def _environment(epoch: int) -> Iterator[None]:
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    logger = logging.getLogger("mkdocs")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


def _mkdocs_build(config_path: Path, strict: bool, epoch: int) -> None:
    with collected_after(), _environment(epoch):
        try:
            cfg = load_config(str(config_path), strict=strict)
            build(cfg)
        except (MkDocsException, SystemExit, OSError) as exc:
            # Our hook's own errors are Chinese; MkDocs' and the system's are said by why().
            said = str(exc) if re.search("[\u4e00-\u9fff]", str(exc)) else why(exc)
            raise SiteError(f"站点构建失败:{said};请检查档案是否完整,或用 hallscore build 重新生成") from exc
        finally:
            cfg = None  # type: ignore[assignment]
