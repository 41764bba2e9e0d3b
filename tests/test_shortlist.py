"""差额 (上报名单): the 良好 list (⌈1.2 × 良好 quota⌉ of the ranked halls over 90) and the 优秀 list
(⌈1.2 × 优秀 quota⌉ of what the province recognised over 95)."""

import json
from decimal import Decimal

import openpyxl
import yaml
from support.returns import fill_scoring, lose_points, make_halls, write_return

from generator.archive.store import evaluate
from generator.build import BuildOptions, build
from generator.evaluate.shortlist import shortlist_size
from generator.evaluate.tiering import Candidate
from generator.fs.files import dumps_stable
from generator.rules.config import Config
from generator.rules.register import write_register
from generator.workbooks.lists import write_shortlists

CONFIG = Config(year=2025)


def cand(hall_id, final, vetoes=()):
    final = Decimal(str(final))
    return Candidate(hall_id, final, final, Decimal(0), Decimal(90), tuple(vetoes))


def lists(halls, scores, config=CONFIG, vetoed=(), good=False):
    """The 优秀 lists as if every province had recognised all its halls (or, with ``good``, both lists)."""
    from generator.evaluate.shortlist import excellent_lists, good_lists

    cands = {h: cand(h, s, ("V01",) if h in vetoed else ()) for h, s in scores.items()}
    info = {h.hall_id: {"name": h.name, "city": h.city, "level": h.level, "round": "市级检查"} for h in halls}
    recognised = {p: {h.hall_id for h in halls if h.province == p} for p in {h.province for h in halls}}
    excellent = excellent_lists(halls, cands, config, recognised, info)
    if not good:
        return excellent
    return excellent + good_lists(halls, cands, config, set(cands), info)


def test_size_is_the_exact_ceiling():
    # ⌈1.2 × q⌉: 0 → 0, 1 → 2 (1.2), 3 → 4 (3.6), 5 → 6 exactly (binary floats would give 6.000…1 → 7).
    assert [shortlist_size(CONFIG, q) for q in (0, 1, 2, 3, 5, 10)] == [0, 2, 3, 4, 6, 12]


def test_province_nominates_top_candidates_and_group_confirms_quota():
    halls = make_halls({"甲": 60})  # 优秀 quota ⌊3⌋ = 3 → 上报 ⌈3.6⌉ = 4
    scores = {"H010000": 99, "H010001": 98, "H010002": 97, "H010003": 96.5, "H010004": 96, "H010005": 95,
              "H010006": 94.9, "H010007": 99.5}
    [entry] = lists(halls, scores, vetoed={"H010007"})
    assert (entry["scope"], entry["tier"], entry["quota"], entry["size"]) == ("甲", "优秀", 3, 4)
    assert [(n["hall_id"], n["final_score"], n["rank"]) for n in entry["nominees"]] == [
        ("H010000", 99, 1), ("H010001", 98, 2), ("H010002", 97, 3), ("H010003", 96.5, 4)]
    assert entry["needs_decision"] == []
    assert entry["nominees"][0]["name"] == "甲第0营业厅" and entry["nominees"][0]["city"] == "甲市"


def test_small_province_sends_nobody_and_lists_are_sorted():
    halls = make_halls({"甲": 100, "乙": 19})  # 甲 (H02…): quota 5 → 6; 乙 (H01…): quota 0 → 0
    scores = {f"H02{n:04d}": 99 - n / 2 for n in range(8)} | {"H010000": 99}  # 99 … 95.5
    got = lists(halls, scores)
    assert [(e["scope"], e["quota"], e["size"], len(e["nominees"])) for e in got] == [("乙", 0, 0, 0), ("甲", 5, 6, 6)]


def test_tie_straddling_the_list_is_not_cut_by_id():
    halls = make_halls({"甲": 20})  # quota 1 → size 2
    [entry] = lists(halls, {"H010000": 99, "H010001": 97, "H010002": 97})
    assert [n["hall_id"] for n in entry["nominees"]] == ["H010000"]
    assert entry["needs_decision"] == ["H010001", "H010002"]


def test_good_list_holds_the_excellent_line_halls_too():
    halls = make_halls({"甲": 20})  # 优秀 1 → 2; 良好 ⌊4⌋ = 4 → ⌈4.8⌉ = 5
    scores = {f"H01{n:04d}": s for n, s in enumerate([99, 97, 94, 93, 92, 91.5, 91, 90, 89.9])}
    excellent, good = lists(halls, scores, good=True)
    assert good["tier"] == "良好" and good["level"] == "省" and (good["quota"], good["size"]) == (4, 5)
    # 良好 candidates: every ranked hall that reached 90, the 优秀-line halls included (认定 = 良好 or above).
    assert [n["hall_id"] for n in good["nominees"]] == ["H010000", "H010001", "H010002", "H010003", "H010004"]
    assert excellent["level"] == "集团" and excellent["waiting"] == []


def test_group_review_scores_rank_and_self_assessment_alone_is_not_nominated(standard):
    halls = make_halls({"甲": 20})  # quota 1 → size 2
    records = [lose_points(standard, "H010000", "自评", Decimal(1)),          # province sees 99 …
               lose_points(standard, "H010000", "集团复核", Decimal("4.5")),  # … the group finds 95.5
               lose_points(standard, "H010001", "市级检查", Decimal(3)),      # 97, recognised by its city
               lose_points(standard, "H010002", "自评", Decimal(0))]          # 100 but only its own word
    results = evaluate(halls, records, standard, CONFIG)
    entry = results["shortlists"][0]
    assert entry["tier"] == "良好"
    assert [(n["hall_id"], n["final_score"], n["round"], n["confirmed"]) for n in entry["nominees"]] == [
        ("H010001", 97, "市级检查", False), ("H010000", 95.5, "集团复核", False)]
    rows = {h["hall_id"]: h for h in results["halls"]}
    # H010002 is only its own word: a claim 待市认定, on no list.
    assert (rows["H010002"]["confirmed_tier"], rows["H010002"]["awaiting"]) == (None, "市")
    # The group's review gives the score, not the recognition: 95.5 waits for the province's list.
    assert (rows["H010000"]["tier"], rows["H010000"]["confirmed_tier"], rows["H010000"]["awaiting"]) == (
        "良好", "达标", "省")


def test_workbooks_written_readable_and_byte_stable(tmp_path):
    halls = make_halls({"甲": 60, "乙/丙": 20})
    results = {"year": 2025, "shortlists": lists(halls, {"H020000": 99, "H020001": 98, "H010000": 96})}
    first = write_shortlists(results, tmp_path / "a")
    second = write_shortlists(results, tmp_path / "b")
    assert [p.name for p in first] == ["乙_丙-优秀上报名单.xlsx", "甲-优秀上报名单.xlsx"]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    ws = openpyxl.load_workbook(first[1])["优秀"]
    rows = [tuple(c.value for c in row) for row in ws.iter_rows()]
    assert rows[0][0].startswith("2025 年 甲 优秀上报名单(差额):名额 3 个,上报 4 个。由集团")
    assert rows[1:] == [("排名", "厅编码", "厅名称", "得分", "认定结果", "理由", "认定人", "认定日期", "市", "级别",
                         "检查轮次"),
                        (1, "H020000", "甲第0营业厅", 99, None, None, None, None, "甲市", 2, "市级检查"),
                        (2, "H020001", "甲第1营业厅", 98, None, None, None, None, "甲市", 2, "市级检查")]


def test_build_with_config_and_overrides_on_real_workbooks(tmp_path, standard):
    halls = make_halls({"甲": 20})
    write_register(halls, tmp_path / "register.xlsx")
    returns = tmp_path / "returns"
    for hall, earned in zip(halls, (97, 97, 92)):
        write_return(standard, hall, fill_scoring(standard, earned, round_name="市级检查"), returns)
    (tmp_path / "hallscore.toml").write_text('year = 2025\nshortlist_ratio = 0.5\n', encoding="utf-8")
    (tmp_path / "裁定.yaml").write_text(yaml.safe_dump([{
        "厅编码": "H010001", "档次": "优秀", "理由": "集团抽查确认", "裁定人": "集团评审组", "日期": "2025-07-01",
        "层级": "集团"}],
        allow_unicode=True), encoding="utf-8")
    stale = tmp_path / "archive" / "2025" / "上报名单" / "旧省-优秀上报名单.xlsx"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    summary = build(BuildOptions.from_files([returns], tmp_path / "register.xlsx", tmp_path / "archive", 2031,
                                            tmp_path / "hallscore.toml", year_explicit=False,
                                            overrides_path=tmp_path / "裁定.yaml"))
    assert summary.year == 2025
    results = json.loads((tmp_path / "archive" / "2025" / "results.json").read_text(encoding="utf-8"))
    assert dumps_stable(results) == dumps_stable(summary.results)
    rows = {h["hall_id"]: h for h in results["halls"]}
    assert rows["H010001"]["tier"] == "优秀" and rows["H010001"]["override"]["decided_by"] == "集团评审组"
    assert rows["H010000"]["tier"] == "良好" and rows["H010000"]["needs_decision"]
    good, entry = results["shortlists"]
    assert (entry["tier"], entry["quota"], entry["size"]) == ("优秀", 1, 2)  # ⌈1.5 × 1⌉
    assert (good["tier"], good["quota"], good["size"]) == ("良好", 4, 6)  # ⌈1.5 × 4⌉
    assert results["config"]["shortlist_ratio"] == "0.5"
    assert sorted(p.name for p in stale.parent.iterdir()) == ["甲-优秀上报名单.xlsx", "甲-良好上报名单.xlsx"]
