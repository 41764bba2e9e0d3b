"""Site: pages → ``mkdocs build`` → ``site/``, swapped in only when the whole build succeeded."""

from __future__ import annotations

import calendar
import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import yaml

from .errors import SiteError
from .fsutil import replace_dir
from .pages import TEMPLATE_DIR, iter_pages, navigation

ASSETS = Path(__file__).resolve().parent / "assets"
HOOKS = Path(__file__).resolve().parent / "mkdocs_hooks.py"
BASE_CONFIG = Path(__file__).resolve().parent.parent / "mkdocs.yml"


def build_site(years, site_dir: str | Path, base_config: str | Path = BASE_CONFIG,
               template_dir: Path = TEMPLATE_DIR, strict: bool = False, keep_docs: Path | None = None) -> dict:
    """Render every archived year and build the static site into ``site_dir``; return build figures."""
    site_dir = Path(site_dir).resolve()
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}.build-", dir=site_dir.parent))
    try:
        docs = work / "docs"
        pages = 0
        for rel, text in iter_pages(years, template_dir):
            path = docs / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            pages += 1
        shutil.copytree(ASSETS, docs / "assets")
        config_path = work / "mkdocs.yml"
        config = {
            "INHERIT": str(Path(base_config).resolve()),
            "docs_dir": str(docs),
            "site_dir": str(work / "site"),
            "nav": navigation(years),
            "hooks": [str(HOOKS)],
        }
        config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
        _mkdocs_build(config_path, strict, _build_epoch(years))
        if keep_docs is not None:
            if Path(keep_docs).exists():
                shutil.rmtree(keep_docs)
            shutil.copytree(docs, keep_docs)
        replace_dir(work / "site", site_dir)
        return {"pages": pages, "site": str(site_dir)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _build_epoch(years) -> int:
    """A build date fixed by the data (the end of the latest year), so that sitemaps are reproducible."""
    latest = max((y.year for y in years), default=2000)
    return calendar.timegm(datetime(latest, 12, 31).timetuple())


@contextmanager
def _environment(epoch: int):
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
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    with _environment(epoch):
        try:
            cfg = load_config(str(config_path), strict=strict)
            build(cfg)
        except (MkDocsException, SystemExit, OSError) as exc:
            raise SiteError(f"站点构建失败:{exc}") from exc
