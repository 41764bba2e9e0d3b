"""Nothing hallscore reads back from a folder is code, and nothing beside the inputs is trusted unchecked:
planted, foreign or edited cache files cost only time (issue 20)."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

from sitedata import make_year, site_halls

from generator.resources import THEME_OVERRIDES
from generator.results import load_archive
from generator.site import build_site


class _Run:
    """Unpickling this writes a file: the proof that a planted cache entry ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "ran"))


def _template_names() -> list[tuple[str, str]]:
    import material

    roots = [Path(material.__file__).parent / "templates", THEME_OVERRIDES]
    return [(p.relative_to(root).as_posix(), str(p)) for root in roots if root.is_dir()
            for p in root.rglob("*.html")]


def test_planted_jinja_bytecode_never_runs(tmp_path):
    """A file planted where Jinja's bytecode cache would look (the build's cache and beside the site), under
    the exact name Jinja gives each theme template, is never loaded: templates are compiled in memory."""
    from jinja2.bccache import bc_magic

    halls = site_halls()
    make_year(tmp_path, tmp_path / "archive", halls, 2025, seed=3)
    marker = tmp_path / "ran.txt"
    payload = bc_magic + pickle.dumps(_Run(marker))
    for folder in (tmp_path / "cache" / "jinja", tmp_path / ".site.jinja"):
        folder.mkdir(parents=True)
        for name, filename in _template_names():
            for key in (name, f"{name}|{filename}"):
                digest = hashlib.sha1(key.encode()).hexdigest()
                (folder / f"__jinja2_{digest}.cache").write_bytes(payload)
    build_site(load_archive(tmp_path / "archive"), tmp_path / "site", cache_dir=tmp_path / "cache")
    assert (tmp_path / "site" / "index.html").is_file()
    assert not marker.exists()
