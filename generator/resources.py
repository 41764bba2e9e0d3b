"""Where the files hallscore ships beside its code are: page templates, the site's base configuration and the
annotated yearly configuration (hallscore.toml).

The sources stay where the design card puts them (top-level ``templates/`` and ``mkdocs.yml``); a wheel carries
copies of them inside the package (``generator/_shipped/``, made by ``setup.py``'s build step). An installed
package reads its copies; a checkout, which has no copies, reads the sources.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_PACKAGE = Path(str(resources.files(__package__)))
_SHIPPED = _PACKAGE / "_shipped"
_SOURCE_ROOT = _PACKAGE.parent


def _shipped(name: str) -> Path:
    copy = _SHIPPED / name
    return copy if copy.exists() else _SOURCE_ROOT / name


PAGE_TEMPLATES = _shipped("templates")
BASE_CONFIG = _shipped("mkdocs.yml")
EXAMPLE_CONFIG = _shipped("hallscore.toml")
ASSETS = _PACKAGE / "assets"
THEME_OVERRIDES = _PACKAGE / "theme"
HOOKS = _PACKAGE / "site" / "mkdocs_hooks.py"
PACKAGE_DIR = _PACKAGE  # the package's own source, which the intake cache's key covers
MAIL_TEMPLATES = _PACKAGE / "mail_templates"
STANDARDS = _PACKAGE / "standards"


def example_config() -> str:
    """The annotated defaults (hallscore.toml), as ``hallscore config --example`` prints them."""
    return EXAMPLE_CONFIG.read_text(encoding="utf-8")
