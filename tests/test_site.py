"""The results site: strict build on demo data, offline assets, Chinese search index, escaping, archive, exports."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from support.site import make_year, site_halls

from generator.archive.store import load_archive, save_year
from generator.build import BuildOptions, build
from generator.cli.app import main
from generator.demo import make_demo, make_register
from generator.rules.regions import province_slug
from generator.rules.register import Hall, write_register
from generator.rules.standard import DEFAULT_STANDARD
from generator.site.pages import hall_slug
from generator.site.render import build_site

TEXT_SUFFIXES = {".html", ".js", ".json", ".xml", ".css", ".txt", ".md"}
FOREIGN = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)


def _text_files(site: Path):
    for path in sorted(site.rglob("*")):
        if path.is_file() and path.suffix in TEXT_SUFFIXES:
            yield path, path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory, standard):
    """The demo pipeline end to end on real workbooks (some faulty), built with --strict."""
    root = tmp_path_factory.mktemp("demo")
    register = make_register(40, 11)
    write_register(register, root / "register.xlsx")
    made = make_demo(standard, register, 2025, root, 11, workers=1)
    summary = build(BuildOptions.from_files([made["returns"]], root / "register.xlsx", root / "archive", 2025,
                                            site_dir=root / "site", strict=True))
    return {"site": root / "site", "results": summary.results, "standard": standard}


def test_demo_builds_strict_with_every_page(demo_site):
    site, results = demo_site["site"], demo_site["results"]
    assert (site / "index.html").is_file() and (site / "2025" / "index.html").is_file()
    for hall in results["halls"]:
        assert (site / "2025" / "halls" / f"{hall_slug(hall['hall_id'])}.html").is_file()
    for province in {h["province"] for h in results["halls"]}:
        page = (site / "2025" / "provinces" / f"{province_slug(province)}.html").read_text(encoding="utf-8")
        assert "hs-sortable" in page and "上报名单" in page and "<svg" in page
    overview = (site / "2025" / "index.html").read_text(encoding="utf-8")
    for heading in ("营业厅状态与服务等级", "得分分布", "各省排名与名额使用", "各环节平均得分率", "全国失分最多的十个检查项",
                    "自评与认定的差距"):
        assert heading in overview


def test_nothing_is_fetched_from_outside(demo_site):
    site = demo_site["site"]
    for path, text in _text_files(site):
        if path.suffix == ".html":
            assert not FOREIGN.search(text), (path, FOREIGN.search(text).group(0))
            assert "fonts.googleapis" not in text and "unpkg.com" not in text, path
    page = (site / "2025" / "index.html").read_text(encoding="utf-8")
    assert 'src="../assets/iframe-worker-shim.js"' in page
    assert (site / "assets" / "iframe-worker-shim.js").is_file()
    # The offline plugin inlines the index for file://.
    assert (site / "search" / "search_index.js").read_text(encoding="utf-8").startswith("var __index = ")


def test_search_index_is_chinese_segmented_and_small_per_hall(demo_site):
    site, results, standard = demo_site["site"], demo_site["results"], demo_site["standard"]
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    docs = index["docs"]
    assert any("\u200b" in d["text"] for d in docs)
    hall_docs = {d["location"]: d for d in docs if "/halls/" in d["location"]}
    assert len(hall_docs) == len(results["halls"])
    for hall in results["halls"]:
        doc = hall_docs[f"2025/halls/{hall_slug(hall['hall_id'])}.html"]
        plain = (doc["title"] + " " + doc["text"]).replace("\u200b", "")
        for field in ("name", "hall_id", "province", "city"):
            assert hall[field] in plain, (field, plain)
    size = sum(len(json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
               for d in hall_docs.values())
    assert size / len(hall_docs) <= 2048
    # Item tables of hall pages stay out: no item's text is in any hall entry.
    texts = " ".join(d["text"].replace("\u200b", "") for d in hall_docs.values())
    assert not any(item.text in texts for item in standard.items)


def test_downloads_are_real_workbooks_linked_from_pages(demo_site):
    site, results = demo_site["site"], demo_site["results"]
    national = site / "2025" / "downloads" / "results-2025.xlsx"
    ws = openpyxl.load_workbook(national, read_only=True)["营业厅"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:2] == ("厅编码", "厅名称") and len(rows) == len(results["halls"]) + 1
    overview = (site / "2025" / "index.html").read_text(encoding="utf-8")
    assert 'href="downloads/results-2025.xlsx"' in overview
    # How to keep the Chinese when saving as CSV (LibreOffice's default character set turns it into ?).
    assert "Unicode (UTF-8)" in overview and "CSV UTF-8" in overview
    province = results["halls"][0]["province"]
    page = (site / "2025" / "provinces" / f"{province_slug(province)}.html").read_text(encoding="utf-8")
    link = re.search(r'href="\.\./(downloads/results-2025-[^"]+\.xlsx)"', page).group(1)
    assert "Unicode (UTF-8)" in page
    ws = openpyxl.load_workbook(site / "2025" / link, read_only=True)["营业厅"]
    ids = [r[0] for r in list(ws.iter_rows(values_only=True))[1:]]
    assert ids == [h["hall_id"] for h in results["halls"] if h["province"] == province]


HOSTILE = "<script>alert(1)</script>"


def test_hostile_names_never_reach_a_page_unescaped(tmp_path):
    halls = site_halls([Hall("44019999", HOSTILE, "广东", "广州", "广州城区", 2, "自营"),
                        Hall("99010001", "正常营业厅", "<b>坏省</b>", "<i>坏市</i>", "<u>区</u>", 2, "自营")])
    results = make_year(tmp_path, tmp_path / "archive", halls, 2025)
    assert any(h["name"] == HOSTILE and h["final_score"] is not None for h in results["halls"])
    build_site(load_archive(tmp_path / "archive"), tmp_path / "site", strict=True)
    site = tmp_path / "site"
    checked = 0
    for path, text in _text_files(site):
        for markup in (HOSTILE, "<b>坏省", "<i>坏市", "<u>区", "<script>alert"):
            assert markup not in text, (path, markup)
        checked += 1
    assert checked > 10
    hall_page = (site / "2025" / "halls" / "44019999.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hall_page
    assert "&amp;lt;" not in hall_page  # escaped once, so it reads as the name
    nav = (site / "2025" / "index.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;坏省&lt;/b&gt;" in nav


def test_earlier_year_score_shows_on_later_hall_page_and_trends(tmp_path):
    halls = site_halls()
    target = halls[1]
    old = make_year(tmp_path, tmp_path / "archive", halls, 2024, finals={target.hall_id: 81.5}, reviewed=0)
    new = make_year(tmp_path, tmp_path / "archive", halls, 2025, finals={target.hall_id: 97})
    old_score = next(h for h in old["halls"] if h["hall_id"] == target.hall_id)["final_score"]
    new_score = next(h for h in new["halls"] if h["hall_id"] == target.hall_id)["final_score"]
    assert old_score != new_score
    build_site(load_archive(tmp_path / "archive"), tmp_path / "site", strict=True)
    page = (tmp_path / "site" / "2025" / "halls" / f"{target.hall_id}.html").read_text(encoding="utf-8")
    history = page[page.index("历年结果"):]
    assert f'<a href="../../2024/halls/{target.hall_id}.html">2024</a></td><td>{old_score:.1f}</td>' in history
    assert f"<td>2025</td><td>{new_score:.1f}</td>" in history
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert home.index('href="2025/index.html"') < home.index('href="2024/index.html"')  # latest first
    for page in ("2025/index.html", f"2025/provinces/{province_slug(target.province)}.html"):
        assert "历年趋势" in (tmp_path / "site" / page).read_text(encoding="utf-8")


def test_fields_from_tiering_render_when_present(tmp_path):
    halls = site_halls()
    results = make_year(tmp_path, tmp_path / "archive", halls, 2025)
    first = results["halls"][0]
    first["override"] = {"tier": "良好", "reason": "并列,按服务投诉记录裁定<b>", "decided_by": "省公司评审组",
                         "date": "2025-11-20", "rule_tier": "达标"}
    results["shortlists"] = [{"scope": first["province"], "tier": "优秀", "quota": 1, "size": 2, "nominees": [
        {"hall_id": first["hall_id"], "name": first["name"], "final_score": first["final_score"], "rank": 1,
         "confirmed": True}]}]
    # Lists come in the customary province order (浙江 33 before 广东 44); an empty list stays off the page.
    other = next(h for h in results["halls"] if h["province"] != first["province"])
    results["shortlists"] += [
        {"scope": first["province"], "tier": "良好", "quota": 0, "size": 0, "nominees": []},
        {"scope": other["province"], "tier": "优秀", "quota": 1, "size": 2, "nominees": [
            {"hall_id": other["hall_id"], "name": other["name"], "final_score": other["final_score"], "rank": 1,
             "confirmed": False}]}]
    results["gaps"] = {"national": -2.25, "by_province": {first["province"]: -3.5}}
    save_year(tmp_path / "archive", results, {}, DEFAULT_STANDARD)
    build_site(load_archive(tmp_path / "archive"), tmp_path / "site", strict=True)
    site = tmp_path / "site" / "2025"
    hall_page = (site / "halls" / f"{hall_slug(first['hall_id'])}.html").read_text(encoding="utf-8")
    assert "省公司评审组" in hall_page and "按服务投诉记录裁定&lt;b&gt;" in hall_page and "按规则应为 达标" in hall_page
    province = (site / "provinces" / f"{province_slug(first['province'])}.html").read_text(encoding="utf-8")
    assert "上报名单(名额 1,可上报 2 个,实报 1 个)" in province and "<td>-3.5</td>" in province
    overview = (site / "index.html").read_text(encoding="utf-8")
    listed = overview[overview.index("<h2>上报名单</h2>"):]
    listed = listed[:listed.index("<h2>", 5)]
    from generator.rules.regions import province_order

    order = sorted((first["province"], other["province"]), key=province_order)
    assert listed.count("<h3") == 2 and listed.index(order[0] + " ·") < listed.index(order[1] + " ·")
    method = (site / "methodology.html").read_text(encoding="utf-8")
    assert "差额" in method and "共 2 份名单有营业厅入选,合计 2 个营业厅" in method and "(本年 1 个)" in method
    assert "平均比自评低 2.3 分" in overview  # half-up of 2.25
    for name in ("results-2025.xlsx", "shortlist-2025.xlsx"):
        ws = openpyxl.load_workbook(site / "downloads" / name, read_only=True)["上报名单"]
        assert list(ws.iter_rows(values_only=True))[1][5] == first["hall_id"]
    assert 'href="downloads/shortlist-2025.xlsx"' in overview


def test_archive_freezes_a_year_with_manifest(tmp_path):
    halls = site_halls()
    make_year(tmp_path, tmp_path / "archive", halls, 2024, reviewed=0)
    make_year(tmp_path, tmp_path / "archive", halls, 2025, reviewed=0)
    runner = CliRunner()
    args = ["archive", "--year", "2024", "--archive", str(tmp_path / "archive"), "--out", str(tmp_path / "out")]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    zip_path = tmp_path / "out" / "site-2024.zip"
    first = zip_path.read_bytes()
    digest = hashlib.sha256(first).hexdigest()
    assert (tmp_path / "out" / "site-2024.zip.sha256").read_text() == f"{digest}  site-2024.zip\n"
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        assert "site-2024/2024/index.html" in names and not any(n.startswith("site-2024/2025/") for n in names)
        manifest = zf.read("site-2024/SHA256SUMS").decode().splitlines()
        assert len(manifest) == len(names) - 1
        for line in manifest:
            sha, rel = line.split("  ", 1)
            assert hashlib.sha256(zf.read(f"site-2024/{rel}")).hexdigest() == sha
    assert runner.invoke(main, args).exit_code == 0
    assert zip_path.read_bytes() == first  # same archive, same bytes
    # A zip there that is not this one (an earlier freeze, a user's file) is never replaced.
    zip_path.write_bytes(b"my own zip")
    refused = runner.invoke(main, args)
    assert refused.exit_code == 1 and "site-2024.zip" in refused.output and "不覆盖" in refused.output
    assert zip_path.read_bytes() == b"my own zip"
    zip_path.write_bytes(first)
    missing = runner.invoke(main, ["archive", "--year", "2023", "--archive", str(tmp_path / "archive"),
                                   "--out", str(tmp_path / "out")])
    assert missing.exit_code == 1 and "没有 2023 年的结果" in missing.output


def test_charts_count_every_score_and_escape_labels():
    from generator.site import charts

    scores = [59.5, 80, 89.9, 90, 95, 100]
    svg = str(charts.histogram("分布<x>", scores, marks={"优秀": 95, "良好": 90, "达标": 80}))
    assert "分布&lt;x&gt;" in svg and "<x>" not in svg
    # Drawn twice, for a wide and a narrow (phone) screen: the same counts in each.
    wide, narrow = svg.split('<svg class="hs-narrow"')
    for drawing in (wide, narrow):
        counts = [int(n) for n in re.findall(r'class="hs-c-value"[^>]*>(\d+)</text>', drawing)]
        # 59.5 opens the axis at 50 in bins of 5; 100 belongs to the last bin (95-100).
        assert counts == [1, 1, 1, 1, 2] and drawing.count('class="hs-c1"') == 5
    bars = str(charts.hbars("各省", [("<b>省</b>", 91.25), ("空", None)]))
    assert "&lt;b&gt;省&lt;/b&gt;" in bars and "91.3" in bars and ">—<" in bars
    assert str(charts.quota_bars("名额", [("甲", 0, 0)])) == ""


def test_export_keeps_formula_like_text_as_text():
    import io

    from support.rows import hall_row

    from generator.workbooks.exports import workbook_bytes

    hall = hall_row(hall_id="H1", name='=HYPERLINK("http://x")', province="甲", city="乙", district="丙",
                    level=2, type="自营", round="自评", tier="达标", tier_reason="", final_score=85.5,
                    base_score=85.5, bonus=0, deduction=0, sections={"业务办理": 90.0})
    data = workbook_bytes(2025, [hall], ["业务办理"])
    assert data == workbook_bytes(2025, [hall], ["业务办理"])
    ws = openpyxl.load_workbook(io.BytesIO(data))["营业厅"]
    name = ws.cell(row=2, column=2)
    assert (name.value, name.data_type) == ('=HYPERLINK("http://x")', "s")
    assert ws.cell(row=2, column=12).value == 85.5 and ws.cell(row=1, column=19).value == "业务办理得分率(%)"


def test_charts_start_where_the_data_starts_and_say_so():
    from generator.site import charts

    bars = str(charts.hbars("各省平均得分", [("甲", 89.8), ("乙", 96.0)], low="auto"))
    widths = [float(w) for w in re.findall(r'<rect class="hs-c1"[^>]*width="([\d.]+)"', bars)]
    # From 85 the two bars differ by more than half; from 0 they would differ by 6 %.
    assert "横轴从 85 起" in bars and widths[0] < widths[1] * 0.5
    assert charts.axis_start([0.5, 60]) == 0 and charts.axis_start([96.0, 97.0]) == 95
    quota = str(charts.quota_bars("名额", [("甲", 1, 2), ("乙", 0, 0)]))
    assert ">甲<" in quota and ">乙<" not in quota and "<figcaption>" in quota
    dev = str(charts.deviation("差", ["迎宾", "排队"], [("本厅", {"迎宾": 95.0, "排队": 90.0})],
                               {"迎宾": 93.0, "排队": 93.0}))
    assert ">+2.0<" in dev and ">-3.0<" in dev and "高于全国平均" in dev


def test_export_opens_ready_to_use():
    import io

    from support.rows import hall_row

    from generator.workbooks.exports import workbook_bytes

    def hall(n, score):
        return hall_row(hall_id=f"H{n}", name=f"厅{n}", province="甲", city="乙", district="丙", level=2,
                        type="自营", round="自评", tier="达标", tier_reason="", final_score=score,
                        base_score=score, bonus=0, deduction=0, sections={"业务办理": 90.0})

    halls = [hall(1, 88.5), hall(2, 95.0), hall(3, 88.5), hall(4, None)]
    data = workbook_bytes(2025, halls, ["业务办理"])
    assert data == workbook_bytes(2025, halls, ["业务办理"])
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["营业厅", "说明"]
    ws = wb["营业厅"]
    headers = [c.value for c in ws[1]]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(headers))}5"
    assert ws["A1"].font.bold and ws.column_dimensions["B"].width >= 20
    assert headers[-1] == "排名" and [ws.cell(row=r, column=len(headers)).value for r in range(2, 6)] == [2, 1, 2, None]
    final = headers.index("最终得分") + 1
    assert ws.cell(row=2, column=final).number_format == "0.0"
    notes = [row[0].value for row in wb["说明"].iter_rows(min_row=2)]
    assert "排名" in notes and "最终得分" in notes


def test_search_index_does_not_depend_on_what_was_built_before_in_the_process(tmp_path):
    """jieba's dictionary is global to the process: words that an earlier build added (its cities, its names) or that
    anything else put there must not change how a later build segments, so the same archive gives the same index."""
    import jieba

    make_year(tmp_path / "a", tmp_path / "archive-a", site_halls(), 2025)
    build_site(load_archive(tmp_path / "archive-a"), tmp_path / "site-1")
    # What the full test suite once left behind: 加分项 as one word turned 加分\u200b项 into 加分项 in the index.
    jieba.add_word("加分项", freq=10**7)
    build_site(load_archive(tmp_path / "archive-a"), tmp_path / "site-2")
    for name in ("search/search_index.json", "search/search_index.js"):
        assert (tmp_path / "site-1" / name).read_bytes() == (tmp_path / "site-2" / name).read_bytes(), name
