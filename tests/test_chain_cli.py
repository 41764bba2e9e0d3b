"""逐级认定 end to end through the CLI on real workbooks: returns → build → the province's 良好 list filled by its
published headers → build --decisions → the group's 优秀 list, now issued, filled → build --decisions → the pages
show recognised tiers and who waits for whom. A bad list is refused and changes nothing."""

import json
from datetime import date

import pytest
from click.testing import CliRunner
from support.lists import fill_list
from support.returns import fill_scoring, make_halls, write_return

from generator.cli.app import main

HALLS = make_halls({"甲": 40})  # 优秀 quota ⌊2⌋ → list 3; 良好 quota 8 → list 10
# hall → (自评 base, 市级检查 base or None)
PLAN = {"H010000": (99, 99), "H010001": (99, 98), "H010002": (98, 97), "H010003": (96, 96), "H010004": (93, None),
        "H010005": (92, 91), "H010006": (88, 85), "H010007": (80, 75)}


@pytest.fixture(scope="module")
def chain(tmp_path_factory, standard):
    root = tmp_path_factory.mktemp("chain")
    from generator.rules.register import write_register

    write_register(HALLS, root / "register.xlsx")
    by_id = {h.hall_id: h for h in HALLS}
    for hall_id, (own, city) in PLAN.items():
        write_return(standard, by_id[hall_id], fill_scoring(standard, own, when=date(2025, 4, 1)), root / "returns")
        if city is not None:
            write_return(standard, by_id[hall_id], fill_scoring(standard, city, round_name="市级检查",
                                                                when=date(2025, 6, 1)), root / "returns")
    return root


def run(root, *extra, site="site"):
    args = ["build", str(root / "returns" / "自评"), str(root / "returns" / "市级检查"), "--register",
            str(root / "register.xlsx"), "--year", "2025", "--archive", str(root / "archive"),
            "--site-dir", str(root / site), "--no-cache", "--workers", "1", *extra]
    return CliRunner().invoke(main, args)


def halls_of(root):
    data = json.loads((root / "archive" / "2025" / "results.json").read_text(encoding="utf-8"))
    return data, {h["hall_id"]: h for h in data["halls"]}


def test_the_chain_end_to_end(chain):
    root = chain
    first = run(root)
    assert first.exit_code == 0, first.output
    assert "本次没有交回上报名单答复" in first.output
    data, rows = halls_of(root)
    got = {h: (rows[h]["tier"], rows[h]["confirmed_tier"], rows[h]["awaiting"]) for h in PLAN}
    assert got == {"H010000": ("优秀", "达标", "省"), "H010001": ("优秀", "达标", "省"),
                   "H010002": ("良好", "达标", "省"), "H010003": ("良好", "达标", "省"),
                   "H010004": ("良好", None, "市"), "H010005": ("良好", "达标", "省"),
                   "H010006": ("达标", "达标", None), "H010007": ("不达标", "不达标", None)}
    good, excellent = data["shortlists"]
    # 良好 list first: every ranked hall over 90 (H010004 has only its 自评); the 优秀 list waits for it.
    assert [n["hall_id"] for n in good["nominees"]] == ["H010000", "H010001", "H010002", "H010003", "H010005"]
    assert excellent["nominees"] == [] and excellent["waiting"] == ["甲"]

    lists = root / "archive" / "2025" / "上报名单"
    province = fill_list(lists / "甲-良好上报名单.xlsx", "良好", dict.fromkeys(
        ["H010000", "H010001", "H010002", "H010003"], "认定"), root / "省公司答复" / "甲-良好.xlsx", by="甲省公司评审委员会",
        when=date(2025, 9, 1))
    second = run(root, "--decisions", str(province.parent))
    assert second.exit_code == 0, second.output
    assert "甲-良好.xlsx(甲良好名单,省公司,2025-09-01):已采用,认定 4 个 / 不认定 0 个" in second.output
    data, rows = halls_of(root)
    got = {h: (rows[h]["tier"], rows[h]["confirmed_tier"], rows[h]["awaiting"]) for h in PLAN}
    assert got["H010000"] == got["H010001"] == ("优秀", "良好", "集团")
    assert got["H010002"] == got["H010003"] == ("良好", "良好", None)
    assert got["H010005"] == ("良好", "达标", "省")      # left blank: no decision
    group = fill_list(lists / "甲-优秀上报名单.xlsx", "优秀",
                      {"H010000": "不认定", "H010001": "认定", "H010002": "认定"}, root / "集团答复" / "甲-优秀.xlsx")
    third = run(root, "--decisions", str(group), "--decisions", str(province.parent))
    assert third.exit_code == 0, third.output
    data, rows = halls_of(root)
    got = {h: (rows[h]["tier"], rows[h]["confirmed_tier"], rows[h]["awaiting"]) for h in PLAN}
    assert got["H010000"] == ("良好", "良好", None)      # 不认定 优秀 by the group: stays the province's 良好
    assert got["H010001"] == ("优秀", "优秀", None)
    assert got["H010002"] == ("优秀", "优秀", None)      # the 差额 spare, 认定 below the quota line
    assert got["H010003"] == ("良好", "良好", None)
    assert got["H010005"] == ("良好", "达标", "省")
    results_bytes = (root / "archive" / "2025" / "results.json").read_bytes()
    issued = lists / "甲-优秀上报名单.xlsx"

    site = root / "site" / "2025"
    overview = (site / "index.html").read_text(encoding="utf-8")
    assert "待市认定(1 个)" in overview and "待省认定(1 个)" in overview and "待集团认定(0 个)" in overview
    assert 'href="halls/H010004.html"' in overview and "未检查(32 个)" in overview
    assert "省公司服务考核" in overview and "创先评优" in overview
    pinned = (site / "halls" / "H010002.html").read_text(encoding="utf-8")
    assert "已认定" in pinned and "集团评审组" in pinned and "认定:评比结果" in pinned and "2025-11-20" in pinned
    fell = (site / "halls" / "H010000.html").read_text(encoding="utf-8")
    assert "不认定" in fell and "集团" in fell
    fixes = fell[fell.index("整改清单"):]
    assert "集团不认定为优秀" in fixes and "本年度不得评为优秀" in fixes and "不认定:评比结果" in fixes
    waits = (site / "halls" / "H010005.html").read_text(encoding="utf-8")
    assert "待省认定" in waits and "hs-claimed" in waits
    claim = (site / "halls" / "H010004.html").read_text(encoding="utf-8")
    assert "待市认定" in claim and "目前没有任何等级得到认定" in claim
    [province_page] = [p.read_text(encoding="utf-8") for p in (site / "provinces").glob("*.html")]
    assert "划小承包奖惩清单" in province_page and "奖励" in province_page and "扣罚" in province_page
    # Every answer read, and what the build did with it: on the province page and the quality page's 答复.
    quality = (site / "quality.html").read_text(encoding="utf-8")
    for page in (province_page, quality):
        assert "甲-良好.xlsx" in page and "甲-优秀.xlsx" in page and "已采用" in page and "4 / 0" in page

    # Same returns and lists in another order: the same bytes.
    again = CliRunner().invoke(main, [
        "build", str(root / "returns" / "市级检查"), str(root / "returns" / "自评"), "--register",
        str(root / "register.xlsx"), "--year", "2025", "--archive", str(root / "archive"), "--site-dir",
        str(root / "site"), "--no-cache", "--workers", "1", "--decisions", str(province.parent),
        "--decisions", str(group)])
    assert again.exit_code == 0, again.output
    assert (root / "archive" / "2025" / "results.json").read_bytes() == results_bytes

    # A list that 认定s more than the quota is refused whole: exit 1, archive and site untouched.
    site_before = (site / "index.html").read_bytes()
    greedy = fill_list(issued, "优秀", dict.fromkeys(["H010000", "H010001", "H010002"], "认定"), root / "多认定.xlsx")
    refused = run(root, "--decisions", str(greedy), "--decisions", str(province))
    assert refused.exit_code == 1
    assert "多认定.xlsx 工作表 优秀 第 5 行" in refused.output and "超过甲优秀名额 2 个" in refused.output
    assert "Traceback" not in refused.output
    assert (root / "archive" / "2025" / "results.json").read_bytes() == results_bytes
    assert (site / "index.html").read_bytes() == site_before


def test_an_answer_kept_in_the_issued_folder_is_refused_not_overwritten(chain):
    root = chain
    assert run(root).exit_code == 0
    issued = root / "archive" / "2025" / "上报名单" / "甲-良好上报名单.xlsx"
    inside = fill_list(issued, "良好", {"H010001": "认定"}, issued.parent / "甲-省答复.xlsx")
    before = inside.read_bytes()
    result = run(root, "--decisions", str(issued.parent))
    assert result.exit_code == 1 and "请把答复的名单复制到档案目录之外" in result.output
    assert inside.read_bytes() == before
    inside.unlink()


def test_a_list_answered_in_place_is_kept_not_overwritten(chain):
    root = chain
    assert run(root).exit_code == 0
    issued = root / "archive" / "2025" / "上报名单" / "甲-良好上报名单.xlsx"
    blank = issued.read_bytes()
    fill_list(issued, "良好", {"H010001": "认定"}, issued)  # the province typed into the archive's own copy
    answered = issued.read_bytes()
    again = run(root)
    assert again.exit_code == 0
    assert "档案目录中的 甲-良好上报名单.xlsx" in again.output and "不会被采用" in again.output
    assert issued.read_bytes() == blank  # a fresh list is issued …
    [kept] = list(issued.parent.glob("甲-良好上报名单-答复留存-*.xlsx"))
    assert kept.read_bytes() == answered  # … and the answer is kept beside it
    kept.unlink()


def test_a_late_return_sets_the_answer_aside_and_the_build_says_so(chain, tmp_path, standard):
    import shutil

    root = tmp_path / "late"
    shutil.copytree(chain, root, ignore=shutil.ignore_patterns("archive", "site", "*答复*"))
    assert run(root).exit_code == 0
    lists = root / "archive" / "2025" / "上报名单"
    province = fill_list(lists / "甲-良好上报名单.xlsx", "良好", {"H010003": "认定"}, tmp_path / "省" / "甲.xlsx",
                         by="甲省公司评审委员会", when=date(2025, 9, 1))
    # After the answer: the province's review finds H010003 at 85, below the 良好 line (in a folder the build reads).
    hall = next(h for h in HALLS if h.hall_id == "H010003")
    write_return(standard, hall, fill_scoring(standard, 85, round_name="省级复核", when=date(2025, 10, 1)),
                 root / "returns" / "市级检查" / "省级复核")
    late = run(root, "--decisions", str(province))
    assert late.exit_code == 0, late.output  # not fatal: everything else is published
    assert "甲.xlsx(甲良好名单,省公司,2025-09-01):未采用(名单已改变)" in late.output
    assert "移出 H010003" in late.output and "请省公司在新签发的 甲-良好上报名单.xlsx 上重新答复" in late.output
    assert "省级复核/" in late.output and "H010003" in late.output
    _data, rows = halls_of(root)
    assert (rows["H010003"]["tier"], rows["H010003"]["confirmed_tier"]) == ("达标", "达标")
    page = next((root / "site" / "2025" / "provinces").glob("*.html")).read_text(encoding="utf-8")
    assert "名单在答复后改变而未采用" in page and "请省公司在新签发的" in page
    # The new list is issued: H010003 is no longer on it.
    from openpyxl import load_workbook

    ws = load_workbook(lists / "甲-良好上报名单.xlsx")["良好"]
    assert "H010003" not in [c.value for c in ws["B"]]
