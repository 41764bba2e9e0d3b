"""Stamped hall pages are what MkDocs itself renders for them, and a site built on top of the last one
(unchanged pages hard-linked from it) equals a cold build of the same archive byte for byte."""

from __future__ import annotations

import json
import marshal
import shutil
import subprocess
import sys
from dataclasses import fields, replace
from decimal import Decimal
from pathlib import Path

from support.rows import hall_row
from support.site import make_year, site_halls

from generator.archive.store import load_archive
from generator.fs.memo import read_memo, write_memo
from generator.model import RoundScore
from generator.rules.register import Hall
from generator.site import mkdocs_hooks, search_memo
from generator.site.format import hall_slug
from generator.site.hall_pages import SHELL, strip_key
from generator.site.page_keys import forget_digests, page_row, page_row_digest
from generator.site.pages import TEMPLATE_DIR
from generator.site.render import build_site

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "<script>alert(1)</script>&amp;\"营业厅\""


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def _entries(site: Path) -> list:
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    return sorted(docs, key=lambda e: (e["location"], e["title"], e["text"]))


def test_stamped_hall_pages_equal_the_pages_mkdocs_renders(tmp_path):
    halls = site_halls([Hall("44019999", HOSTILE, "广东", "广州", "广州城区", 2, "自营")])
    make_year(tmp_path, tmp_path / "archive", halls, 2024, reviewed=0)
    make_year(tmp_path, tmp_path / "archive", halls, 2025)
    years = load_archive(tmp_path / "archive")
    build_site(years, tmp_path / "stamped", strict=True)
    build_site(years, tmp_path / "rendered", strict=True, stamp=False)
    stamped, rendered = _files(tmp_path / "stamped"), _files(tmp_path / "rendered")
    assert stamped.keys() == rendered.keys()
    assert not any(SHELL in rel for rel in stamped)
    hall_pages = [rel for rel in stamped if "/halls/" in rel]
    assert len(hall_pages) == 2 * len(halls)
    for rel in hall_pages:
        assert strip_key(stamped[rel].decode("utf-8")) == rendered[rel].decode("utf-8"), rel
    # Everything else is MkDocs' own output either way, but for the search index's order of entries.
    for rel in stamped.keys() - set(hall_pages) - {"search/search_index.json", "search/search_index.js"}:
        assert stamped[rel] == rendered[rel], rel
    assert _entries(tmp_path / "stamped") == _entries(tmp_path / "rendered")
    hostile = next(rel for rel in hall_pages if rel.endswith("44019999.html") and rel.startswith("2025"))
    assert b"<script>alert" not in stamped[hostile] and b"&lt;script&gt;alert" in stamped[hostile]


def test_incremental_site_equals_a_cold_build(tmp_path):
    halls = site_halls()
    make_year(tmp_path, tmp_path / "archive", halls, 2025, seed=7)
    build_site(load_archive(tmp_path / "archive"), tmp_path / "site")
    first = _files(tmp_path / "site")
    before = {p: p.stat().st_ino for p in (tmp_path / "site" / "2025" / "halls").iterdir()}
    # The last hall sends a new return (same draws for every other hall): rebuilt on top of the last site.
    make_year(tmp_path / "again", tmp_path / "archive", halls, 2025, seed=7, finals={halls[-1].hall_id: 71.5})
    years = load_archive(tmp_path / "archive")
    build_site(years, tmp_path / "site")
    build_site(years, tmp_path / "cold")
    incremental, cold = _files(tmp_path / "site"), _files(tmp_path / "cold")
    assert incremental == cold
    changed = {rel for rel in cold if first.get(rel) != cold[rel]}
    assert "2025/halls/" + f"{halls[-1].hall_id}.html" in changed
    kept = [p for p, inode in before.items() if p.stat().st_ino == inode]
    assert len(kept) >= len(halls) // 2, changed  # most hall pages are the same files as before
    # And once more with nothing changed: every file is the one already there.
    inodes = {p: p.stat().st_ino for p in (tmp_path / "site").rglob("*") if p.is_file()}
    build_site(years, tmp_path / "site")
    assert _files(tmp_path / "site") == cold
    assert all(p.stat().st_ino == inode for p, inode in inodes.items() if p.name != ".hallscore-site")


def test_a_hall_page_shows_a_moved_rank_whatever_name_its_template_reads_it_by(tmp_path):
    """A page's key is made of what its template is handed, never of what the template text seems to read: a
    hall template that shows the hall's rank under another name (no scan of the text for ``hall.rank`` finds
    it) shows the new rank once the rank moves, as a cold build does, instead of the last build's page."""
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATE_DIR, templates)
    hall_template = templates / "hall.html.j2"
    hall_template.write_text(hall_template.read_text(encoding="utf-8")
                             + '{% set row = hall %}<p class="hs-rank">第 {{ row.rank }} 名</p>\n', encoding="utf-8")
    halls = site_halls()
    make_year(tmp_path, tmp_path / "archive", halls, 2025, seed=7)
    build_site(load_archive(tmp_path / "archive"), tmp_path / "site", template_dir=templates)
    # Two halls trade places (as another return would move them), and nothing else of theirs changes.
    results = tmp_path / "archive" / "2025" / "results.json"
    data = json.loads(results.read_text(encoding="utf-8"))
    first, second = sorted((h for h in data["halls"] if h.get("rank")), key=lambda h: h["rank"])[:2]
    first["rank"], second["rank"] = second["rank"], first["rank"]
    results.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    page = tmp_path / "site" / "2025" / "halls" / f"{hall_slug(first['hall_id'])}.html"
    assert f"第 {second['rank']} 名" in page.read_text(encoding="utf-8")
    years = load_archive(tmp_path / "archive")
    build_site(years, tmp_path / "site", template_dir=templates)
    assert f"第 {first['rank']} 名" in page.read_text(encoding="utf-8")
    build_site(years, tmp_path / "cold", template_dir=templates)
    assert _files(tmp_path / "site") == _files(tmp_path / "cold")


def test_hall_search_entries_cut_once_and_a_foreign_memo_is_not_used(tmp_path):
    """The jieba cut of each hall entry is kept beside the site; the next build takes it from there (same
    index as a cold build), and a memo made under another context, or damaged, is ignored."""
    halls = site_halls()
    make_year(tmp_path, tmp_path / "archive", halls, 2025, seed=3)
    years = load_archive(tmp_path / "archive")
    build_site(years, tmp_path / "cold")
    memo_path = tmp_path / ".site.search-memo.json"
    assert not memo_path.exists()
    build_site(years, tmp_path / "site")
    memo = read_memo(memo_path, "search-halls")
    assert len(memo["entries"]) == len(halls) and all(len(e) == 3 for e in memo["entries"])
    build_site(years, tmp_path / "site")  # from the memo
    assert _files(tmp_path / "site") == _files(tmp_path / "cold")
    # Same digests, other context, wrong cuts: the cuts must not reach the index.
    wrong = {"context": "other", "entries": [[d, "错", "错"] for d, _t, _x in memo["entries"]]}
    write_memo(memo_path, "search-halls", wrong)
    build_site(years, tmp_path / "site")
    assert _files(tmp_path / "site") == _files(tmp_path / "cold")
    memo_path.write_text("{not json", encoding="utf-8")
    build_site(years, tmp_path / "site")
    assert _files(tmp_path / "site") == _files(tmp_path / "cold")
    assert read_memo(memo_path, "search-halls") == memo


def test_page_search_entries_reused_only_under_the_same_context(tmp_path):
    """The search plugin's entries of the navigable pages are kept beside the site and taken from there when a
    page is what the last build indexed (the same index as a cold build); a memo of another context or a
    damaged one is ignored, and the memo really is what the index is made from."""
    halls = site_halls()
    make_year(tmp_path, tmp_path / "archive", halls, 2025, seed=5)
    years = load_archive(tmp_path / "archive")
    build_site(years, tmp_path / "cold")
    build_site(years, tmp_path / "site", cache_dir=tmp_path / "cache")
    memo_path = tmp_path / ".site.search-pages.json"
    memo = read_memo(memo_path, "search-pages")
    assert memo["pages"] and any(memo["pages"].values())
    # Nothing compiled is kept anywhere: Jinja's bytecode cache is loaded with marshal (code from a folder).
    assert not (tmp_path / "cache" / "jinja").exists()
    assert not list(tmp_path.glob(".site.jinja*"))
    build_site(years, tmp_path / "site", cache_dir=tmp_path / "cache")
    import jieba

    assert jieba.cut.__func__ is jieba.Tokenizer.cut  # the hook's memo of cuts put jieba's own back
    assert _files(tmp_path / "site") == _files(tmp_path / "cold")
    marked = {k: [{**e, "text": "记号"} for e in v] for k, v in memo["pages"].items()}
    # Sealed as this installation seals it: the memo really is what the index is made from.
    write_memo(memo_path, "search-pages", {"context": memo["context"], "pages": marked})
    build_site(years, tmp_path / "marked")  # another site: its own memo, none yet
    assert _files(tmp_path / "marked") == _files(tmp_path / "cold")
    build_site(years, tmp_path / "site")
    assert any(e["text"] == "记号" for e in _entries(tmp_path / "site"))
    for damaged in ({"context": "other", "pages": marked}, "{not json",
                    {"context": memo["context"], "pages": {k: "x" for k in marked}},
                    json.dumps({"context": memo["context"], "pages": marked}, ensure_ascii=False)):
        if isinstance(damaged, dict):
            write_memo(memo_path, "search-pages", damaged)
        else:  # damaged, or the right entries unsealed: not used
            memo_path.write_text(damaged, encoding="utf-8")
        build_site(years, tmp_path / "site")
        assert _files(tmp_path / "site") == _files(tmp_path / "cold")


# In a fresh process: each parse of jieba's dictionary from its text, by the number of entries it made.
_COUNTING_PARSES = ("parsed = []\n_parse = jieba.dt.gen_pfdict\n"
                    "def _counted(f):\n    made = _parse(f)\n    parsed.append(len(made[0]))\n    return made\n"
                    "jieba.dt.gen_pfdict = _counted\n")


def test_jiebas_marshal_cache_in_the_temporary_folder_is_never_read_nor_written(tmp_path):
    """jieba's own first load trusts ``jieba.cache`` (marshal) in the shared temporary folder as found and writes
    one when it is absent. A file planted there (here: a dictionary of one word, which would cut every run into
    its characters) is not read: the fresh process's index is the one built without it, and nothing is written.
    The dictionary is parsed from its text once, and let go when the build is done."""
    halls = site_halls()
    make_year(tmp_path, tmp_path / "archive", halls, 2025, seed=9)
    build_site(load_archive(tmp_path / "archive"), tmp_path / "cold")
    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    planted = shared / "jieba.cache"
    planted.write_bytes(marshal.dumps(({"营": 1}, 1)))
    before = planted.read_bytes()
    for site in ("site", "again"):
        script = ("import jieba\n"
                  f"jieba.dt.tmp_dir = {str(shared)!r}\n"
                  + _COUNTING_PARSES +
                  "from generator.archive.store import load_archive\nfrom generator.site.render import build_site\n"
                  f"build_site(load_archive({str(tmp_path / 'archive')!r}), {str(tmp_path / site)!r})\n"
                  "print(len(parsed), parsed[0] > 100000, jieba.dt.initialized, len(jieba.dt.FREQ))\n")
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        # Parsed from its text once (a planted cache would have been loaded without a parse), then let go.
        assert done.stdout.split() == ["1", "True", "False", "0"]
        assert _files(tmp_path / site) == _files(tmp_path / "cold")
        if site == "site":
            assert planted.read_bytes() == before  # left as it was
            planted.unlink()  # and with nothing there, nothing is written
    assert sorted(p.name for p in shared.iterdir()) == []


def test_a_stopped_builds_search_state_is_not_taken_up_by_the_next(tmp_path):
    """The hall entries' memo is written at the end of the build that cut them. A build stopped in this process
    after cutting them (no on_post_build, no on_build_error) leaves them behind: the next build, whose own hall
    entries are all in the memo already, neither writes the stopped build's nor reads its page entries."""
    halls = site_halls()
    make_year(tmp_path, tmp_path / "archive", halls, 2025, seed=9)
    build_site(load_archive(tmp_path / "archive"), tmp_path / "site")
    memo_path = tmp_path / ".site.search-memo.json"  # the hall entries
    memo_before = memo_path.read_bytes()
    stray = tmp_path / "stray-halls-memo.json"
    search_memo.HALLS.update(path=stray, context="stopped", memo=[["0" * 64, "t", "x"]])
    search_memo.PAGES.update(path=str(tmp_path / "stray-pages-memo.json"), context="stopped", entries={},
                             known={})
    try:
        build_site(load_archive(tmp_path / "archive"), tmp_path / "site")
    finally:
        search_memo.HALLS.clear()
        search_memo.PAGES.clear()
    assert not stray.exists() and not (tmp_path / "stray-pages-memo.json").exists()
    assert memo_path.read_bytes() == memo_before


def test_jieba_cuts_are_kept_and_its_dictionary_is_loaded_only_for_a_new_run(tmp_path):
    """jieba's cut of each run of Han characters is kept beside the site. A build (in a fresh process, where
    jieba has loaded nothing) that needs no run it lacks never loads jieba's dictionary and gives the cold
    build's index; the memo really is what cuts come from, and a foreign or damaged one is not used."""
    halls = site_halls()
    make_year(tmp_path, tmp_path / "archive", halls, 2025, seed=9)
    build_site(load_archive(tmp_path / "archive"), tmp_path / "cold")
    build_site(load_archive(tmp_path / "archive"), tmp_path / "site")
    memo_path = tmp_path / ".site.search-cuts.json"
    memo = read_memo(memo_path, "search-cuts")
    assert memo["cuts"] and all("".join(words) == run for run, words in memo["cuts"].items())

    def fresh_build() -> str:
        script = ("import jieba\n"
                  + _COUNTING_PARSES +
                  "from generator.archive.store import load_archive\nfrom generator.site.render import build_site\n"
                  f"build_site(load_archive({str(tmp_path / 'archive')!r}), {str(tmp_path / 'site')!r})\n"
                  "print(len(parsed), jieba.dt.initialized)\n")
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert fresh_build() == "0 False"  # never parsed
    assert _files(tmp_path / "site") == _files(tmp_path / "cold")
    # Every run cut into its characters: the index shows it, so the cuts came from the memo.
    split = {run: list(run) for run in memo["cuts"]}
    write_memo(memo_path, "search-cuts", {**memo, "cuts": split})
    build_site(load_archive(tmp_path / "archive"), tmp_path / "site")
    assert _entries(tmp_path / "site") != _entries(tmp_path / "cold")
    for damaged in ({**memo, "context": "other", "cuts": split}, "{not json",
                    {**memo, "cuts": {run: ["错"] for run in memo["cuts"]}},
                    json.dumps({**memo, "cuts": split}, ensure_ascii=False)):
        if isinstance(damaged, dict):
            write_memo(memo_path, "search-cuts", damaged)
        else:  # damaged, or the split cuts unsealed: not used
            memo_path.write_text(damaged, encoding="utf-8")
        build_site(load_archive(tmp_path / "archive"), tmp_path / "site")
        assert _files(tmp_path / "site") == _files(tmp_path / "cold")
    # A build stopped before it put jieba's cut back (an interrupt): the next one cuts with jieba's own.
    import jieba

    own = jieba.cut

    def left_over(sentence, *args, **kwargs):
        return iter(["错"])

    left_over._hallscore_original = own  # type: ignore[attr-defined]
    jieba.cut = left_over
    try:
        build_site(load_archive(tmp_path / "archive"), tmp_path / "after-interrupt")
    finally:
        restored, jieba.cut = jieba.cut, own
    assert restored is own and _files(tmp_path / "after-interrupt") == _files(tmp_path / "cold")
    # A new return brings a run no build cut before: the dictionary is loaded, and the index is the cold one's.
    make_year(tmp_path / "again", tmp_path / "archive", halls, 2025, seed=9, finals={halls[0].hall_id: 61.5})
    assert fresh_build() == "1 False"  # parsed, and let go once the build was done
    build_site(load_archive(tmp_path / "archive"), tmp_path / "cold-2")
    assert _files(tmp_path / "site") == _files(tmp_path / "cold-2")


def test_province_pages_of_unchanged_provinces_are_not_rendered_again(tmp_path):
    """A new return in one province renders that province's page again; the other province's body comes from
    the last build (same bytes as a cold build), and an edited cache file is rendered again, not used."""
    halls = site_halls()
    make_year(tmp_path, tmp_path / "archive", halls, 2025, seed=7)
    built = build_site(load_archive(tmp_path / "archive"), tmp_path / "site")
    assert built["province_pages"] == {"reused": 0, "rendered": 2}
    make_year(tmp_path / "again", tmp_path / "archive", halls, 2025, seed=7, finals={halls[-1].hall_id: 71.5})
    years = load_archive(tmp_path / "archive")
    built = build_site(years, tmp_path / "site")
    assert built["province_pages"] == {"reused": 1, "rendered": 1}  # 浙江 changed, 广东 did not
    build_site(years, tmp_path / "cold")
    assert _files(tmp_path / "site") == _files(tmp_path / "cold")
    for path in (tmp_path / ".site.pages").iterdir():
        path.write_bytes(path.read_bytes().replace("营业厅".encode(), "假的".encode()))
    assert build_site(years, tmp_path / "site")["province_pages"] == {"reused": 0, "rendered": 2}
    assert _files(tmp_path / "site") == _files(tmp_path / "cold")
    assert len(list((tmp_path / ".site.pages").iterdir())) == 2  # only what this build used is kept


def test_download_rows_memo_damaged_or_foreign_only_costs_time(tmp_path):
    """The 营业厅 rows' keys kept beside the site (reuse.py): a damaged memo, one of other code, or a workbook
    in the site that is not the one the memo describes, and the rebuilt downloads are still a cold build's."""
    halls = site_halls()
    make_year(tmp_path, tmp_path / "archive", halls, 2025, seed=7)
    build_site(load_archive(tmp_path / "archive"), tmp_path / "first")
    memo = read_memo(tmp_path / ".first.rows.json", "download-rows")
    national = memo["workbooks"]["2025/results-2025.xlsx"]
    assert len(national["keys"]) == len(halls) and memo["version"]
    make_year(tmp_path / "again", tmp_path / "archive", halls, 2025, seed=7, finals={halls[-1].hall_id: 71.5})
    years = load_archive(tmp_path / "archive")
    build_site(years, tmp_path / "cold")
    cold = _files(tmp_path / "cold")
    downloads = tmp_path / "first" / "2025" / "downloads"
    province = next(p for p in sorted(downloads.glob("results-2025-*.xlsx")))
    for n, (value, swap) in enumerate([("{not json", False), ({**memo, "version": "other"}, False),
                                       ({**memo, "workbooks": []}, False), (memo, True)]):
        site = tmp_path / f"s{n}"
        shutil.copytree(tmp_path / "first", site)
        if isinstance(value, dict):
            write_memo(tmp_path / f".s{n}.rows.json", "download-rows", value)
        else:
            (tmp_path / f".s{n}.rows.json").write_text(value, encoding="utf-8")
        if swap:  # another workbook in the national one's place: the memo's rows are not in it
            (site / "2025" / "downloads" / "results-2025.xlsx").write_bytes(province.read_bytes())
        build_site(years, site)
        assert _files(site) == cold, n
    # And the memo made by the cold build leads an incremental one to the same bytes (the usual path).
    # (on the site itself: a copy of a site is not what its manifest lists, so it is built cold.)
    build_site(years, tmp_path / "first")
    assert _files(tmp_path / "first") == cold
    after = read_memo(tmp_path / ".first.rows.json", "download-rows")["workbooks"]
    assert after["2025/results-2025.xlsx"]["keys"] != national["keys"]
    assert sum(a == b for a, b in zip(after["2025/results-2025.xlsx"]["keys"], national["keys"])) >= len(halls) // 2


def test_a_hall_digest_changes_with_every_field_but_the_rank_and_a_returns_checksum():
    from dataclasses import fields, replace
    from decimal import Decimal

    from support.rows import hall_row

    from generator.archive.codec import Decision, Event, RoundScore, Veto
    from generator.site.page_keys import forget_digests, hall_digest

    one = RoundScore("市级检查", "accepted", "2025-05-01", "张三", Decimal("90"), Decimal("90"), "a.xlsx", "0" * 64, "",
                     ())
    hall = hall_row(final_score=94.5, base_score=94, items={"A01": 3.5}, sections={"环境": "不适用"},
                    rounds=[{f.name: getattr(one, f.name) for f in fields(RoundScore)}])
    others = {"level": 2, "needs_decision": True, "items": {"A01": Decimal("3.0")}, "reasons": {"A01": "缺"},
              "sections": {"环境": Decimal("50")}, "bonus_events": (Event("J1", 1, Decimal("1"), ("市级检查",)),),
              "deduction_events": (Event("K1", 1, Decimal("1"), ("市级检查",)),), "vetoes": (Veto("V1", ("市级检查",)),),
              "decisions": (Decision("优秀", "认定", "集团", "甲", "2025-06-01", "", "x.xlsx"),),
              "override": {"tier": "良好"}, "final_score": Decimal("95"), "self_gap": Decimal("0")}
    digest = hall_digest(hall, {"sha256"})[0]
    for f in fields(hall):
        if f.name in ("rank", "rounds"):
            continue
        value = getattr(hall, f.name)
        if f.name in others:
            value = others[f.name]
        elif isinstance(value, (Decimal, int)):
            value += 1
        else:
            value = (value or "") + "x"  # text, or a field that is None
        assert hall_digest(replace(hall, **{f.name: value}), {"sha256"})[0] != digest, f.name
    for f in fields(one):
        changed = replace(hall, rounds=(replace(one, **{f.name: "y"}),))
        assert (hall_digest(changed, {"sha256"})[0] == digest) == (f.name == "sha256"), f.name
        assert hall_digest(changed, set())[0] != hall_digest(hall, set())[0], f.name
    assert hall_digest(replace(hall, rank=3), {"sha256"}) == (digest, 3)
    # A hall page shows its 定级说明 whole, the quota ranks it quotes included: a moved rank is a new page.
    ranked = replace(hall, tier_reason="良好名额 4 个已满(本厅为良好第 6 名)", reason_ranks=((18, 19),))
    moved = replace(ranked, tier_reason="良好名额 4 个已满(本厅为良好第 7 名)")
    page = {"sha256", "rank"}
    assert hall_digest(moved, page)[0] != hall_digest(ranked, page)[0]
    forget_digests()


def test_pages_are_handed_a_row_without_its_returns_checksums_and_every_other_field():
    one = RoundScore("市级检查", "accepted", "2025-05-01", "张三", Decimal("90"), Decimal("90"), "a.xlsx", "0" * 64, "",
                     ())
    hall = hall_row(final_score=94.5, rank=2, rounds=[{f.name: getattr(one, f.name) for f in fields(RoundScore)}])
    shown = page_row(hall)
    assert shown == replace(hall, rounds=(replace(hall.rounds[0], sha256=""),)) and hall.rounds[0].sha256 == "0" * 64
    assert page_row(shown) is shown  # nothing withheld: the row itself
    # The key of a row is the key of what a page is handed of it: a new checksum alone leaves it as it was.
    resent = replace(hall, rounds=(replace(hall.rounds[0], sha256="1" * 64),))
    assert page_row_digest(resent) == page_row_digest(hall) == (page_row_digest(shown)[0], 2)
    forget_digests()


def test_search_memos_go_stale_when_the_hooks_or_the_memo_code_change(tmp_path, monkeypatch):
    """The search memos' context is made from the code that cuts and makes the entries: the memo module and the
    hooks that call it, both (an edit to either is a new context, so no memo made by the old code is used)."""
    assert {p.resolve() for p in search_memo._SOURCES} == {Path(search_memo.__file__).resolve(),
                                                         Path(mkdocs_hooks.__file__).resolve()}
    copies = []
    for source in search_memo._SOURCES:
        copy = tmp_path / source.name
        copy.write_bytes(source.read_bytes())
        copies.append(copy)
    monkeypatch.setattr(search_memo, "_SOURCES", tuple(copies))
    contexts = []
    for copy in [None, *copies]:
        if copy is not None:
            copy.write_bytes(copy.read_bytes() + b"\n# edited\n")
        monkeypatch.setattr(search_memo, "_CONTEXTS", {})
        contexts.append(search_memo.memo_context({"words": ["营业厅"]}))
    assert len(set(contexts)) == 3
