"""Nothing hallscore reads back from a folder is code, and nothing beside the inputs is trusted unchecked:
planted, foreign or edited cache files cost only time (issue 20)."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import sqlite3
from pathlib import Path

import pytest
from support.returns import YEAR, full_fill, make_halls, scored_returns, write_return
from support.site import make_year, site_halls

from generator.archive.store import load_archive
from generator.build import BuildOptions, build
from generator.fs.installkey import keyed_digest
from generator.resources import THEME_OVERRIDES
from generator.site.render import build_site


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


# -- the intake cache: hallscore's own SQLite file only, every entry checked ------------------------------------

HALLS = make_halls({"广东": 4, "北京": 3})


@pytest.fixture
def inbox(standard, tmp_path):
    return scored_returns(standard, tmp_path, HALLS, lambda n: 98 - 2 * n)


def _run(inbox, out: Path, cache: Path | None):
    register, returns = inbox
    return build(BuildOptions.from_files([returns], register, out / "archive", YEAR, cache_dir=cache))


def _results(out: Path) -> bytes:
    return (out / "archive" / str(YEAR) / "results.json").read_bytes()


def _foreign_db(path: Path) -> bytes:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 7")
        db.execute("CREATE TABLE intake (id INTEGER PRIMARY KEY, note TEXT)")
        db.executemany("INSERT INTO intake (note) VALUES (?)", [(f"行{n}",) for n in range(100)])
    db.close()
    return path.read_bytes()


@pytest.mark.parametrize("how", ["symlink", "copy", "hardlink"])
def test_another_programs_sqlite_file_is_never_altered(inbox, tmp_path, how, capfd):
    foreign = tmp_path / "other" / "app.sqlite"
    foreign.parent.mkdir()
    before = _foreign_db(foreign)
    cache = tmp_path / "cache"
    cache.mkdir()
    store = cache / "intake.sqlite"
    if how == "symlink":
        store.symlink_to(foreign)
    elif how == "hardlink":
        os.link(foreign, store)
    else:
        shutil.copyfile(foreign, store)
    _run(inbox, tmp_path / "cold", None)
    for n in (1, 2):  # twice: the second run must not "repair" it either
        summary = _run(inbox, tmp_path / f"run{n}", cache)
        assert summary.cache_hits == 0
        assert _results(tmp_path / f"run{n}") == _results(tmp_path / "cold")
    assert foreign.read_bytes() == before
    if how != "hardlink":
        assert store.is_symlink() == (how == "symlink")
        assert store.read_bytes() == before
    assert "不是 hallscore 自己的缓存" in capfd.readouterr().err
    for suffix in ("-journal", "-wal"):
        assert not Path(f"{foreign}{suffix}").exists()


def test_a_symlinked_journal_beside_our_store_is_not_followed(inbox, standard, tmp_path, capfd):
    cache = tmp_path / "cache"
    _run(inbox, tmp_path / "a", cache)
    victim = tmp_path / "victim.txt"
    victim.write_text("不动", encoding="utf-8")
    (cache / "intake.sqlite-journal").symlink_to(victim)
    register, returns = inbox
    # A return the cache has not seen: its entry is written (SQLite's rollback journal would be opened).
    fresh = write_return(standard, HALLS[0], full_fill(standard, round_name="市级检查"), tmp_path / "fresh")
    build(BuildOptions.from_files([returns, fresh], register, tmp_path / "b" / "archive", YEAR, cache_dir=cache))
    assert victim.read_text(encoding="utf-8") == "不动"
    # The store is not opened at all while a link sits at one of its SQLite side files' names.
    assert "不是 hallscore 自己的缓存" in capfd.readouterr().err
    assert (tmp_path / "cache" / "intake.sqlite-journal").is_symlink()


def _entries(cache: Path) -> list[tuple]:
    with sqlite3.connect(cache / "intake.sqlite") as db:
        rows = db.execute("SELECT key, value, day, exact, mac FROM intake ORDER BY key").fetchall()
    db.close()
    return rows


def _rewrite(cache: Path, key: str, value: str, mac: str) -> None:
    with sqlite3.connect(cache / "intake.sqlite") as db:
        db.execute("UPDATE intake SET value = ?, mac = ? WHERE key = ?", (value, mac, key))
    db.close()


def _inflate(value: str) -> str:
    data = json.loads(value)
    rec = data[1]
    first = sorted(rec[4])[0]
    rec[4][first] = "34000"
    return json.dumps(data, separators=(",", ":"))


def test_an_edited_intake_entry_is_never_published(inbox, tmp_path):
    cache = tmp_path / "cache"
    _run(inbox, tmp_path / "cold", None)
    _run(inbox, tmp_path / "a", cache)
    key, value, day, exact, mac = next(r for r in _entries(cache) if json.loads(r[1])[1] is not None)
    # Edited by hand (its digest kept): the keyed digest no longer matches.
    _rewrite(cache, key, _inflate(value), mac)
    edited = _run(inbox, tmp_path / "b", cache)
    assert edited.cache_hits == len(_entries(cache)) - 1 and edited.files_read == 1
    assert _results(tmp_path / "b") == _results(tmp_path / "cold")
    # Even an entry signed with this installation's key is range-checked against the standard.
    forged = _inflate(value)
    _rewrite(cache, key, forged, keyed_digest("intake-entry", "\x1f".join([key, forged, day, str(exact)]).encode()))
    signed = _run(inbox, tmp_path / "c", cache)
    assert signed.files_read == 1
    assert _results(tmp_path / "c") == _results(tmp_path / "cold")
    assert b"34000" not in _results(tmp_path / "c")


def test_an_edited_register_cache_is_never_used(inbox, tmp_path):
    cache = tmp_path / "cache"
    _run(inbox, tmp_path / "cold", None)
    _run(inbox, tmp_path / "a", cache)
    (stored,) = cache.glob("register-*.json")
    memo = json.loads(stored.read_text(encoding="utf-8"))
    memo["rows"][0][1], memo["rows"][0][5] = "假营业厅", 4
    stored.write_text(json.dumps(memo, ensure_ascii=False), encoding="utf-8")
    _run(inbox, tmp_path / "b", cache)
    assert "假营业厅".encode() not in _results(tmp_path / "b")
    assert _results(tmp_path / "b") == _results(tmp_path / "cold")
    # A link in its place is not followed either.
    stored.unlink()
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps(memo, ensure_ascii=False), encoding="utf-8")
    stored.symlink_to(elsewhere)
    _run(inbox, tmp_path / "c", cache)
    assert _results(tmp_path / "c") == _results(tmp_path / "cold")


# -- memos beside the site and the published site itself -----------------------------------------------------

def _site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_a_planted_province_page_body_is_never_published(tmp_path):
    """A province page body planted in .<site>.pages/ with its plain SHA-256 recomputed (the old check) is
    rendered again, not published."""
    halls = site_halls()
    make_year(tmp_path, tmp_path / "archive", halls, 2025, seed=4)
    years = load_archive(tmp_path / "archive")
    build_site(years, tmp_path / "cold")
    build_site(years, tmp_path / "site")
    pages = tmp_path / ".site.pages"
    bodies = [p for p in pages.iterdir() if p.is_file()]
    assert bodies
    for path in bodies:
        data = path.read_bytes()
        body = data[data.index(b"\n") + 1:] + b"<script>planted()</script>"
        path.write_bytes(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
        (pages / path.name).write_bytes(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    build_site(load_archive(tmp_path / "archive"), tmp_path / "site")
    assert not any(b"planted()" in data for data in _site_files(tmp_path / "site").values())
    assert _site_files(tmp_path / "site") == _site_files(tmp_path / "cold")


def test_edited_search_and_download_memos_are_ignored(tmp_path):
    halls = site_halls()
    make_year(tmp_path, tmp_path / "archive", halls, 2025, seed=6)
    years = load_archive(tmp_path / "archive")
    build_site(years, tmp_path / "cold")
    build_site(years, tmp_path / "site")
    memos = [tmp_path / f".site.{name}" for name in ("search-pages.json", "search-memo.json", "search-cuts.json",
                                                      "rows.json")]
    for memo in memos:
        data = memo.read_bytes()
        assert data.startswith(b"hallscore-memo/1 ")
        head, _, body = data.partition(b"\n")
        # Every string in the memo marked, the plain JSON kept valid: an edit that does not know the key.
        memo.write_bytes(head + b"\n" + body.replace("营业厅".encode(), b"<b>x</b>"))
    build_site(load_archive(tmp_path / "archive"), tmp_path / "site")
    assert _site_files(tmp_path / "site") == _site_files(tmp_path / "cold")


def test_a_damaged_published_site_is_repaired_by_the_next_build(inbox, tmp_path):
    """With unchanged inputs a build used to keep the site as it was: a deleted page stayed deleted and an
    edited one stayed edited. The site is checked against its sealed manifest and built again."""
    register, returns = inbox
    cache = tmp_path / "cache"

    def run(out: Path) -> None:
        build(BuildOptions.from_files([returns], register, tmp_path / "archive", YEAR, site_dir=out,
                                      cache_dir=cache))

    run(tmp_path / "site")
    good = _site_files(tmp_path / "site")
    pages = sorted(p for p in (tmp_path / "site").rglob("*.html") if "/halls/" in p.as_posix())
    pages[0].unlink()
    pages[1].write_text("<script>edited()</script>", encoding="utf-8")
    (tmp_path / "site" / "planted.html").write_text("x", encoding="utf-8")
    index = tmp_path / "site" / "index.html"
    st = index.stat()
    index.write_bytes(index.read_bytes().replace(b"</body>", b"<script>x()</script></body>"))
    os.utime(index, ns=(st.st_atime_ns, st.st_mtime_ns))
    run(tmp_path / "site")
    assert _site_files(tmp_path / "site") == good


def test_a_symlinked_cache_folder_is_not_used(inbox, tmp_path, capfd):
    """A link planted at the cache folder's place: nothing is written or pruned where it points."""
    elsewhere = tmp_path / "someone"
    elsewhere.mkdir()
    (elsewhere / "register-notes.txt").write_text("他人的文件", encoding="utf-8")
    (tmp_path / "cache").symlink_to(elsewhere)
    _run(inbox, tmp_path / "cold", None)
    _run(inbox, tmp_path / "a", tmp_path / "cache")
    assert [p.name for p in elsewhere.iterdir()] == ["register-notes.txt"]
    assert _results(tmp_path / "a") == _results(tmp_path / "cold")
    assert "是符号链接" in capfd.readouterr().err


def test_a_symlink_planted_as_the_page_memo_folder_is_not_followed(tmp_path):
    """`.<site>.pages` is pruned after each build: as a link it would have deleted the files where it points."""
    halls = site_halls()
    make_year(tmp_path, tmp_path / "archive", halls, 2025, seed=2)
    years = load_archive(tmp_path / "archive")
    build_site(years, tmp_path / "cold")
    victim = tmp_path / "documents"
    victim.mkdir()
    (victim / "报告.docx").write_bytes(b"mine")
    (tmp_path / ".site.pages").symlink_to(victim)
    build_site(years, tmp_path / "site")
    assert [p.name for p in victim.iterdir()] == ["报告.docx"]
    assert _site_files(tmp_path / "site") == _site_files(tmp_path / "cold")


def test_the_store_of_an_earlier_version_is_taken_over(inbox, tmp_path, capfd):
    """A store with exactly the schema hallscore used before the application id (format 3) is ours: taken
    over without a notice, its entries dropped; another database with a table named intake is not."""
    cache = tmp_path / "cache"
    cache.mkdir()
    with sqlite3.connect(cache / "intake.sqlite") as db:
        db.execute("PRAGMA user_version = 3")
        db.execute("CREATE TABLE IF NOT EXISTS intake (key TEXT PRIMARY KEY, value TEXT NOT NULL,"
                   " day TEXT NOT NULL, exact INTEGER NOT NULL, used TEXT NOT NULL)")
        db.execute("CREATE TABLE IF NOT EXISTS stats (path BLOB PRIMARY KEY, status TEXT NOT NULL,"
                   " sha256 TEXT NOT NULL)")
        db.execute("INSERT INTO intake VALUES ('k', 'planted', '2000-01-01', 0, '2000-01-01')")
    db.close()
    first = _run(inbox, tmp_path / "a", cache)
    second = _run(inbox, tmp_path / "b", cache)
    assert first.cache_hits == 0 and second.files_read == 0 and second.cache_hits > 0
    assert "不是 hallscore 自己的缓存" not in capfd.readouterr().err
    assert all(value != "planted" for _k, value, *_ in _entries(cache))
