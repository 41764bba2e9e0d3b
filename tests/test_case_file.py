"""A hall's year as one case file (standard.md, 案卷 and 不参评), on a province worked out by hand, with real
workbooks through the CLI: rounds, events that persist across rounds, corrections, open rejections, 自评-only
and unrated halls.

The province 甲 has 20 rated halls (level 2, 自营) → 优秀 cap ⌊20 × 5%⌋ = 1, 良好 cap ⌊20 × 20%⌋ = 4; a level-4
hall and a partner hall are 不参评 and outside every base. Worked by hand:

- H010000 自评 96.5 with J03×2, 市级检查 96.5 with J03×1 → 自评's events do not count: 96.5 + 0.5 = 97, 优秀.
- H010001 自评 95 only → its claim, 优秀 by score, unranked, no place.
- H010002 自评 98; its 市级检查 was rejected and never sent again → 待重报 at 市级检查, unranked, claim 98.
- H010003 市级检查 96 with V02 (说明), 省级复核 96 without it → the veto stands: 不达标, recorded by 市级检查.
- H010004 市级检查 95 with K01×2 and K03×1 (−7), 省级复核 95 without events → 95 − 7 = 88, 达标.
- H010005 市级检查 rejected, then corrected: 92 → the rejection is superseded; ranked.
- H010006 93, H010007 91, H010008 90, H010009 94 (市级检查) → with H010005 92: five for four 良好 places:
  94, 93, 92, 91 take them, H010008 (90) falls to 达标.
- H010010..H010018 市级检查 85 → 达标; H010019 nothing → 未检查.
Ranks in the quota scope over the ranked, tierable halls: 97 (1), 94 (2), 93 (3), 92 (4), 91 (5), 90 (6), 88 (7),
85 ×9 (8).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from click.testing import CliRunner
from support import faults as ff
from support.returns import YEAR, fill_scoring, make_halls, write_return

from generator.cli.app import main
from generator.rules import contract as wbk
from generator.rules.register import Hall, write_register

RATED = make_halls({"甲": 20})
L4 = Hall("H019001", "甲四级厅", "甲", "甲市", "甲区", 4, "自营")
PARTNER = Hall("H019002", "甲合作厅", "甲", "甲市", "甲区", 2, "社会合作")
HALLS = RATED + [L4, PARTNER]
H = {h.hall_id: h for h in HALLS}
CITY, PROVINCE, SELF = "市级检查", "省级复核", "自评"


def _fill(standard, earned, rnd, when, events=None, notes=None, veto=None):
    fill = fill_scoring(standard, earned, round_name=rnd, when=when)
    vetoes = dict(fill.vetoes)
    veto_notes = {}
    if veto:
        vetoes[veto[0]] = wbk.YES
        veto_notes[veto[0]] = veto[1]
    return type(fill)(fill.round, fill.date, fill.inspector, fill.scores, fill.reasons, events or {}, notes or {},
                      vetoes, veto_notes)


def _broken(path):
    ff.edit_cells(path, {("检查表", "G2"): "满分"})


@pytest.fixture(scope="module")
def province(tmp_path_factory, standard):
    root = tmp_path_factory.mktemp("case")
    write_register(HALLS, root / "register.xlsx")
    wave, fixes = root / "wave1", root / "wave2"
    apr, jun, sep = date(YEAR, 4, 1), date(YEAR, 6, 1), date(YEAR, 9, 1)
    put = lambda hall, fill, folder=wave, name=None: write_return(  # noqa: E731
        standard, H[hall], fill, folder, name=name or f"{hall}_{fill.round}.xlsx")
    put("H010000", _fill(standard, 96.5, SELF, apr, {"J03": 2}, {"J03": "两面锦旗"}))
    put("H010000", _fill(standard, 96.5, CITY, jun, {"J03": 1}, {"J03": "表扬信"}))
    put("H010001", _fill(standard, 95, SELF, apr))
    put("H010002", _fill(standard, 98, SELF, apr))
    _broken(put("H010002", _fill(standard, 90, CITY, jun)))
    put("H010003", _fill(standard, 96, CITY, jun, veto=("V02", "向无关人员出示客户资料")))
    put("H010003", _fill(standard, 96, PROVINCE, sep))
    put("H010004", _fill(standard, 95, CITY, jun, {"K01": 2, "K03": 1}, {"K01": "两起有责投诉", "K03": "报纸曝光"}))
    put("H010004", _fill(standard, 95, PROVINCE, sep))
    _broken(put("H010005", _fill(standard, 92, CITY, jun)))
    for hall, earned in (("H010006", 93), ("H010007", 91), ("H010008", 90), ("H010009", 94)):
        put(hall, _fill(standard, earned, CITY, jun))
    for n in range(10, 19):
        put(f"H01{n:04d}", _fill(standard, 85, CITY, jun))
    put(L4.hall_id, _fill(standard, 99, CITY, jun))
    put(PARTNER.hall_id, _fill(standard, 99, CITY, jun))  # a partner hall that returned a workbook anyway
    # The correction of H010005's city check, same date, sent later in another folder.
    put("H010005", _fill(standard, 92, CITY, jun), folder=fixes, name="H010005_市级检查(更正).xlsx")
    return root


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_validate_exits_1_on_the_first_wave_and_0_with_the_corrections(province, tmp_path, standard):
    common = ["--register", province / "register.xlsx", "--year", YEAR, "--workers", 1]
    first = _cli("validate", province / "wave1", *common, "--json", tmp_path / "a.json")
    assert first.exit_code == 1, first.output
    files = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))["files"]
    assert sorted(f["path"].split("/")[-1] for f in files if f["status"] == "rejected") == [
        "H010002_市级检查.xlsx", "H010005_市级检查.xlsx"]
    both = _cli("validate", province / "wave1", province / "wave2", *common, "--json", tmp_path / "b.json",
                "--report", tmp_path / "问题清单.xlsx")
    import openpyxl

    listed = {str(c.value) for row in openpyxl.load_workbook(tmp_path / "问题清单.xlsx").worksheets[0].iter_rows()
              for c in row if c.value}
    # The 问题清单 sent back names the open rejection, not the corrected one.
    assert any(v.endswith("H010002_市级检查.xlsx") for v in listed)
    assert not any(v.endswith("H010005_市级检查.xlsx") for v in listed)
    files = {f["path"].split("/")[-1]: f for f in json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))["files"]}
    # H010002's city check is still open: validate still fails, for that file alone; the corrected one is listed apart.
    assert both.exit_code == 1 and "已更正的退回文件 1 个" in both.output and "✗ " in both.output
    assert [n for n, f in files.items() if f["status"] == "rejected"] == ["H010002_市级检查.xlsx"]
    fixed = files["H010005_市级检查.xlsx"]
    assert fixed["status"] == "superseded" and fixed["note"].startswith("已更正")
    assert fixed["corrected_by"].endswith("H010005_市级检查(更正).xlsx")
    # With H010002's city check corrected too, nothing is open.
    later = tmp_path / "wave3"
    write_return(standard, H["H010002"], _fill(standard, 90, CITY, date(YEAR, 6, 2)), later)
    clean = _cli("validate", province / "wave1", province / "wave2", later, *common)
    assert clean.exit_code == 0, clean.output


@pytest.fixture(scope="module")
def built(province):
    out = province / "out"
    result = _cli("build", province / "wave1", province / "wave2", "--register", province / "register.xlsx",
                  "--year", YEAR, "--archive", out / "archive", "--site-dir", out / "site", "--no-cache",
                  "--workers", 1)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "archive" / str(YEAR) / "results.json").read_text(encoding="utf-8"))
    return out, {h["hall_id"]: h for h in data["halls"]}, data


def test_the_hand_worked_tiers_pending_rounds_and_ranks(built):
    _, rows, data = built
    expected = {  # hall → (tier, deciding round, final, pending round, ranked, rank)
        "H010000": ("优秀", CITY, 97, None, True, 1),
        "H010001": ("优秀", SELF, 95, None, False, None),
        "H010002": ("优秀", SELF, 98, CITY, False, None),
        "H010003": ("不达标", PROVINCE, 96, None, True, None),
        "H010004": ("达标", PROVINCE, 88, None, True, 7),
        "H010005": ("良好", CITY, 92, None, True, 4),
        "H010006": ("良好", CITY, 93, None, True, 3),
        "H010007": ("良好", CITY, 91, None, True, 5),
        "H010008": ("达标", CITY, 90, None, True, 6),
        "H010009": ("良好", CITY, 94, None, True, 2),
        "H010019": ("未检查", "", None, None, False, None),
        L4.hall_id: ("不参评", CITY, 99, None, False, None),
        PARTNER.hall_id: ("不参评", CITY, 99, None, False, None),
    } | {f"H01{n:04d}": ("达标", CITY, 85, None, True, 8) for n in range(10, 19)}
    got = {h: (r["tier"], r["round"], r["final_score"], r["pending_round"], r["ranked"], r["rank"])
           for h, r in rows.items()}
    assert got == expected
    # Claims wait for the city; the 待重报 hall says so in its reason.
    assert (rows["H010001"]["confirmed_tier"], rows["H010001"]["awaiting"]) == (None, "市")
    assert "待重报" in rows["H010002"]["tier_reason"] and "不占名额" in rows["H010001"]["tier_reason"]
    quotas = {(q["tier"], q["base"], q["cap"], q["used"]) for q in data["quotas"]}
    assert quotas == {("优秀", 20, 1, 1), ("良好", 20, 4, 4)}
    assert "hallscore.toml" in rows[PARTNER.hall_id]["tier_reason"]


def test_events_are_facts_of_the_year(built):
    _, rows, _ = built
    veto = rows["H010003"]["veto_events"]
    assert veto == [{"item": "V02", "count": 1, "rounds": [CITY], "notes": [[CITY, "向无关人员出示客户资料"]]}]
    assert rows["H010004"]["deduction_events"] == [
        {"item": "K01", "count": 2, "points": 2, "rounds": [CITY], "notes": [[CITY, "两起有责投诉"]]},
        {"item": "K03", "count": 1, "points": 5, "rounds": [CITY], "notes": [[CITY, "报纸曝光"]]}]
    assert (rows["H010004"]["base_score"], rows["H010004"]["deduction"]) == (95, 7)
    assert rows["H010000"]["bonus_events"] == [
        {"item": "J03", "count": 1, "points": 0.5, "rounds": [CITY], "notes": [[CITY, "表扬信"]]}]


def test_every_return_is_a_round_of_the_case(built):
    _, rows, _ = built
    rounds = [(r["round"], r["status"], r["file"].split("/")[-1], r["final_score"]) for r in rows["H010005"]["rounds"]]
    assert sorted(rounds) == sorted([(CITY, "superseded", "H010005_市级检查.xlsx", None),
                                     (CITY, "accepted", "H010005_市级检查(更正).xlsx", 92)])
    pending = [r for r in rows["H010002"]["rounds"] if r["status"] == "rejected"]
    assert [(r["round"], r["final_score"]) for r in pending] == [(CITY, None)] and pending[0]["problems"]
    assert [r["round"] for r in rows["H010003"]["rounds"]] == [CITY, PROVINCE]
    assert all(Decimal(str(r["final_score"])) == 96 for r in rows["H010003"]["rounds"])


def test_the_hall_page_shows_the_case(built):
    out, _, _ = built
    page = (out / "site" / str(YEAR) / "halls" / "H010003.html").read_text(encoding="utf-8")
    assert "V02" in page and "向无关人员出示客户资料" in page and "市级检查" in page
    pending = (out / "site" / str(YEAR) / "halls" / "H010002.html").read_text(encoding="utf-8")
    assert "待重报" in pending and "已退回" in pending and "H010002_市级检查.xlsx" in pending
    fixed = (out / "site" / str(YEAR) / "halls" / "H010005.html").read_text(encoding="utf-8")
    assert "已更正" in fixed
    partner = (out / "site" / str(YEAR) / "halls" / "H019002.html").read_text(encoding="utf-8")
    assert "不参评" in partner and "hallscore.toml" in partner


def test_the_fix_list_keeps_every_standing_deduction_and_veto_with_its_source(built):
    out, _, _ = built
    page = (out / "site" / str(YEAR) / "halls" / "H010004.html").read_text(encoding="utf-8")
    fix = page[page.index("整改清单"):page.index("加分、扣分与一票否决")]
    assert "K01" in fix and "K03" in fix and "报纸曝光" in fix and "市级检查" in fix
    vetoed = (out / "site" / str(YEAR) / "halls" / "H010003.html").read_text(encoding="utf-8")
    fix = vetoed[vetoed.index("整改清单"):vetoed.index("加分、扣分与一票否决")]
    assert "V02" in fix and "泄露客户个人信息" in fix and "市级检查" in fix


def test_the_quality_page_counts_rated_halls_and_open_rejections(built):
    out, _, _ = built
    page = (out / "site" / str(YEAR) / "quality.html").read_text(encoding="utf-8").replace("</td> <td>", "</td><td>")
    # 甲市: 20 rated halls expected (the level-4 and the partner hall are not, though both returned); 19 sent
    # something, 19 have an accepted return, 1 has an open rejection (H010002), 1 sent nothing (H010019).
    assert "<td>甲</td><td>甲市</td><td>20</td><td>19</td><td>19</td><td>1</td><td>1</td>" in page
    assert "已更正的退回文件" in page and "H010005_市级检查(更正).xlsx" in page


def test_reminders_chase_the_pending_city_check_and_no_unrated_hall(built, province, tmp_path):
    from openpyxl import Workbook

    out, _, _ = built
    contacts = tmp_path / "联系人.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["省", "市", "联系人", "邮箱", "抄送"])
    ws.append(["甲", "甲市", "王经理", "wang@example.cn", ""])
    wb.save(contacts)
    result = _cli("mail", "reminders", "--register", province / "register.xlsx", "--contacts", contacts,
                  "--archive", out / "archive", "--year", YEAR, "--out", tmp_path / "催报", "--from", "fw@example.cn")
    assert result.exit_code == 0, result.output
    (mail,) = sorted((tmp_path / "催报").glob("*.eml"))
    import email
    from email import policy

    body = email.message_from_bytes(mail.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    assert "H010002" in body and "市级检查的检查表已退回待重报" in body and "H010019" in body
    assert "H010005" not in body and "H019001" not in body and "H019002" not in body
    assert "共 20 个营业厅" in body


def test_templates_never_overwrite_a_filled_workbook_and_skip_unrated_halls(province, tmp_path):
    import openpyxl

    out = tmp_path / "检查表"
    args = ["templates", "--register", province / "register.xlsx", "--out", out, "--year", YEAR]
    first = _cli(*args)
    assert first.exit_code == 0, first.output
    made = sorted(out.rglob("*.xlsx"))
    assert len(made) == 20 and "已生成 20 份检查表" in first.output and "2 个营业厅本年度不参评" in first.output
    assert not any(p.name.startswith(("H019001", "H019002")) for p in made)
    # An inspector fills one in place; the next run keeps the untouched ones and refuses the filled one.
    filled = made[3]
    wb = openpyxl.load_workbook(filled)
    wb[wbk.SHEET_COVER][f"B{wbk.cover_rows()['检查人']}"] = "李四"
    wb.save(filled)
    before = filled.read_bytes()
    again = _cli(*args)
    assert again.exit_code == 1
    assert "已生成 0 份检查表" in again.output and "保留 19 份" in again.output and "拒绝覆盖 1 份" in again.output
    assert str(filled) in again.output and filled.read_bytes() == before
    # Unrated halls only on request, their cover saying why.
    extra = _cli(*args, "--include-unrated")
    assert extra.exit_code == 1 and "已生成 2 份检查表" in extra.output
    (partner,) = out.rglob("H019002_*.xlsx")
    title = openpyxl.load_workbook(partner)[wbk.SHEET_COVER]["A1"].value
    assert "不参评" in title and "hallscore.toml" in title


def test_export_ranks_rated_halls_by_recognised_tier_rule_tier_then_score(built):
    from generator.archive.codec import from_json
    from generator.workbooks.exports import ranks

    out, _, data = built
    halls = from_json(data).halls
    got = {h.hall_id: r for h, r in zip(halls, ranks(halls))}
    # All city-checked halls are recognised 达标 by their city; H010003 recognised 不达标 (its standing veto);
    # H010002 and H010001 are 自评 claims nobody recognised yet; unrated and uninspected halls have no rank.
    assert got == {"H010000": 1, "H010009": 2, "H010006": 3, "H010005": 4, "H010007": 5, "H010008": 6,
                   "H010004": 7, **{f"H01{n:04d}": 8 for n in range(10, 19)}, "H010003": 17, "H010002": 18,
                   "H010001": 19, "H010019": None, L4.hall_id: None, PARTNER.hall_id: None}


def test_mail_problems_drafts_nothing_for_corrected_files(built):
    from generator.mail.compose import problem_drafts

    out, _, _ = built
    intake = json.loads((out / "archive" / str(YEAR) / "intake.json").read_text(encoding="utf-8"))
    replies = problem_drafts(intake, "fw@example.cn")
    drafts, unmailed = replies.drafts, replies.unmailed
    # Only H010002's city check is still open; H010005's first city check was corrected.
    assert drafts == [] and [p.split("/")[-1] for p in unmailed] == ["H010002_市级检查.xlsx"]


def test_service_assessment_counts_rated_halls_and_measures_progress(built):
    from generator.archive.codec import from_json
    from generator.evaluate.application import service_assessment

    _, _, data = built
    record = from_json(data)
    [row] = service_assessment({"甲": list(record.halls)}, ["甲"], None, None, {"open_rejections": 1},
                               f"{YEAR}-06-01", record.shortlists)
    # 20 rated halls; recognised 达标 or better: the 16 inspected halls without veto → 80%; inspected 17 → 85%;
    # average over them (97+96+88+92+93+91+90+94+85×9)/17 = 1506/17 = 88.588… → 88.6.
    assert (row["tiered"], row["inspected"], row["pass_rate"], row["coverage"], row["average"]) == (20, 17, 80, 85, 88.6)
    progress = row["progress"]
    # Accepted returns of rated halls: 3 自评 (04-01), 17 city checks (06-01), 2 province reviews (09-01): 20 of 22
    # by 06-01 = 90.9%; one open rejection (allowed here); coverage 85% < 100: not 推进落实到位.
    assert (progress["open_rejections"], progress["on_time"], progress["passed"]) == (1, 90.9, False)
    assert progress["checks"] == {"coverage": False, "answered_lists": False, "open_rejections": True, "on_time": True}


def test_a_refusal_reaches_the_fix_list_with_its_source(built, province):
    from support.lists import fill_list

    from generator.evaluate.decisions import list_file_name

    out, _, data = built
    good = next(s for s in data["shortlists"] if s["tier"] == "良好")
    # Ranked halls only: the 自评 claims H010001 and H010002 are on no list; the 优秀-line H010000 is on it
    # (认定 means 良好 or above), so five of the six 90+ halls for four places: H010008 (90) is off.
    assert [n["hall_id"] for n in good["nominees"]] == ["H010000", "H010009", "H010006", "H010005", "H010007"]
    issued = out / "archive" / str(YEAR) / "上报名单" / list_file_name("甲", "良好")
    answers = {"H010000": "认定", "H010009": "不认定", "H010006": "认定", "H010005": "认定"}
    answer = fill_list(issued, "良好", answers, province / "省公司答复" / "甲-良好.xlsx", by="甲省公司评审委员会",
                       reason="实名制执行不到位")
    again = province / "out2"
    result = _cli("build", province / "wave1", province / "wave2", "--register", province / "register.xlsx",
                  "--year", YEAR, "--archive", again / "archive", "--site-dir", again / "site", "--no-cache",
                  "--workers", 1, "--decisions", answer)
    assert result.exit_code == 0, result.output
    page = (again / "site" / str(YEAR) / "halls" / "H010009.html").read_text(encoding="utf-8")
    fix = page[page.index("整改清单"):page.index("各检查项得分")]
    assert "不认定" in fix and "实名制执行不到位" in fix and "甲省公司评审委员会" in fix


# -- a finding withdrawn by a recorded decision (standard.md, 案卷 and 裁定) ----------------------------------

WITHDRAW_HEAD = ["厅编码", "档次", "撤销事项", "理由", "裁定人", "日期", "层级"]


def _decisions_xlsx(path, rows):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(WITHDRAW_HEAD)
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def withdrawn(province):
    """The province with two findings of 市级检查 withdrawn by the province: H010003's veto V02 and H010004's
    K03 (−5). Worked by hand: H010003 is tiered by its score, 96; H010004 scores 95 − 2 = 93 and ranks before
    H010006 (93) on its base (95 > 93). 优秀 (1): H010000 97. 良好 (4): 96, 94, 93 (H010004), 93 (H010006);
    H010005 (92) and H010007 (91) fall to 达标."""
    out = province / "withdrawn"
    out.mkdir()
    decisions = _decisions_xlsx(out / "裁定.xlsx", [
        ["H010003", None, "V02", "复核确认资料系客户本人授权查看", "甲省服务评审组", date(YEAR, 10, 8), "省"],
        ["H010004", None, "K03", "报道所涉为他厅,已由媒体更正", "甲省服务评审组", date(YEAR, 10, 9), "省"],
    ])
    result = _cli("build", province / "wave1", province / "wave2", "--register", province / "register.xlsx",
                  "--year", YEAR, "--archive", out / "archive", "--site-dir", out / "site", "--no-cache",
                  "--workers", 1, "--overrides", decisions)
    assert result.exit_code == 0, result.output
    text = (out / "archive" / str(YEAR) / "results.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return out, {h["hall_id"]: h for h in data["halls"]}, data, text


def test_a_city_veto_withdrawn_by_the_province_leaves_the_hall_to_its_score(withdrawn):
    _, rows, _, _ = withdrawn
    got = {h: (rows[h]["tier"], rows[h]["final_score"], rows[h]["rank"])
           for h in ("H010000", "H010003", "H010009", "H010004", "H010006", "H010005", "H010007")}
    assert got == {"H010000": ("优秀", 97, 1), "H010003": ("良好", 96, 2), "H010009": ("良好", 94, 3),
                   "H010004": ("良好", 93, 4), "H010006": ("良好", 93, 5), "H010005": ("达标", 92, 6),
                   "H010007": ("达标", 91, 7)}
    vetoed = rows["H010003"]
    assert vetoed["veto_events"] == [] and "一票否决" not in vetoed["tier_reason"]
    assert vetoed["withdrawn"] == [
        {"item": "V02", "kind": "veto", "count": 1, "rounds": [CITY], "notes": [[CITY, "向无关人员出示客户资料"]],
         "level": "省", "decided_by": "甲省服务评审组", "date": f"{YEAR}-10-08", "reason": "复核确认资料系客户本人授权查看"}]
    # A withdrawn deduction no longer deducts; the one beside it stands.
    cut = rows["H010004"]
    assert (cut["base_score"], cut["deduction"]) == (95, 2)
    assert cut["deduction_events"] == [
        {"item": "K01", "count": 2, "points": 2, "rounds": [CITY], "notes": [[CITY, "两起有责投诉"]]}]
    assert [(w["item"], w["kind"], w["count"], w["level"]) for w in cut["withdrawn"]] == [("K03", "deduction", 1, "省")]


def test_halls_without_a_withdrawal_keep_their_record_as_it_was(built, withdrawn):
    from generator.archive.codec import from_json, to_json

    _, before, _ = built
    _, after, data, text = withdrawn
    assert [h for h, row in after.items() if "withdrawn" in row] == ["H010003", "H010004"]
    # Halls the withdrawals cannot move (unranked, unrated, uninspected) are the same JSON line, byte for byte.
    lines = {json.loads(line.rstrip(","))["hall_id"]: line.rstrip(",") for line in text.splitlines()
             if line.startswith('{"awaiting"')}
    for hall in ("H010001", "H010002", "H010019", L4.hall_id, PARTNER.hall_id):
        assert json.loads(lines[hall]) == before[hall]
        assert lines[hall] == json.dumps(before[hall], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert to_json(from_json(data)) == data  # the typed record reads and writes the withdrawals back


def test_the_hall_page_shows_the_withdrawal_and_the_fix_list_drops_it(withdrawn):
    out, _, _, _ = withdrawn
    page = (out / "site" / str(YEAR) / "halls" / "H010003.html").read_text(encoding="utf-8")
    fix = page[page.index("整改清单"):page.index("加分、扣分与一票否决")]
    assert "V02" not in fix and "泄露客户个人信息" not in fix
    events = page[page.index("加分、扣分与一票否决"):page.index("各检查项得分")]
    assert "已撤销" in events and "V02" in events and "复核确认资料系客户本人授权查看" in events
    assert "甲省服务评审组" in events and f"{YEAR}-10-08" in events
    records = page[page.index("认定与裁定记录"):page.index("整改清单")]
    assert "已撤销 V02" in records and "省级裁定" in records
    other = (out / "site" / str(YEAR) / "halls" / "H010004.html").read_text(encoding="utf-8")
    fix = other[other.index("整改清单"):other.index("加分、扣分与一票否决")]
    assert "K01" in fix and "K03" not in fix


def test_the_archive_rebuilds_the_withdrawals_byte_for_byte(withdrawn):
    out, _, _, _ = withdrawn
    result = _cli("verify", "--year", YEAR, "--archive", out / "archive")
    assert result.exit_code == 0 and "一致" in result.output, result.output


def test_a_withdrawal_beyond_its_levels_authority_is_refused_whole(province, standard, tmp_path):
    import yaml

    # H010010's 省级复核 records K02, which its 市级检查 did not: the province's finding, not the city's.
    review = tmp_path / "wave3"
    write_return(standard, H["H010010"], _fill(standard, 85, PROVINCE, date(YEAR, 9, 1), {"K02": 1},
                                               {"K02": "工信部申诉经核实有责"}), review)
    rows = [
        {"厅编码": "H010003", "撤销事项": "V02", "理由": "复核确认", "裁定人": "甲省服务评审组", "日期": f"{YEAR}-10-08",
         "层级": "省"},  # within authority, refused with the rest: the file is one
        {"厅编码": "H010010", "撤销事项": "K02", "理由": "申诉已撤回", "裁定人": "甲市服务部", "日期": f"{YEAR}-10-08",
         "层级": "市"},
        {"厅编码": "H010004", "撤销事项": "V01", "理由": "误报", "裁定人": "甲省服务评审组", "日期": f"{YEAR}-10-08",
         "层级": "省"},
        # A tier decision beside them, beyond what the score reaches: named in the same refusal.
        {"厅编码": "H010009", "档次": "优秀", "理由": "暗访表现突出", "裁定人": "集团评审组", "日期": f"{YEAR}-11-08",
         "层级": "集团"},
    ]
    decisions = tmp_path / "裁定.yaml"
    decisions.write_text(yaml.safe_dump(rows, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    result = _cli("build", province / "wave1", province / "wave2", review, "--register", province / "register.xlsx",
                  "--year", YEAR, "--archive", out / "archive", "--site-dir", out / "site", "--no-cache",
                  "--workers", 1, "--overrides", decisions)
    assert result.exit_code == 1, result.output
    assert "裁定有 3 处问题" in result.output
    assert "裁定文件 裁定.yaml 第 4 条:厅编码 H010009 得分 94.0 只达到良好" in result.output
    assert ("裁定文件 裁定.yaml 第 2 条:厅编码 H010010 的扣分事项 K02 由省级复核记录,只能由省公司或更高一级撤销"
            "(本条层级为市)") in result.output
    assert "裁定文件 裁定.yaml 第 3 条:厅编码 H010004 本年度没有记录一票否决事项 V01,无可撤销" in result.output
    assert "Traceback" not in result.output and not (out / "archive" / str(YEAR) / "results.json").exists()
    # The province may withdraw its own finding; a tier decision for a hall whose veto is withdrawn is an entry of
    # its own, judged on the hall as its score now places it (良好, the province's to lower).
    rows[1].update(层级="省", 裁定人="甲省服务评审组")
    rows[2] = {"厅编码": "H010003", "档次": "达标", "理由": "整改材料不全", "裁定人": "甲省服务评审组",
               "日期": f"{YEAR}-10-09", "层级": "省"}
    decisions.write_text(yaml.safe_dump(rows[:3], allow_unicode=True), encoding="utf-8")
    again = _cli("build", province / "wave1", province / "wave2", review, "--register", province / "register.xlsx",
                 "--year", YEAR, "--archive", out / "archive", "--site-dir", out / "site", "--no-cache",
                 "--workers", 1, "--overrides", decisions)
    assert again.exit_code == 0, again.output
    rows = {h["hall_id"]: h for h in
            json.loads((out / "archive" / str(YEAR) / "results.json").read_text(encoding="utf-8"))["halls"]}
    row = rows["H010010"]
    assert (row["final_score"], row["deduction_events"], [w["item"] for w in row["withdrawn"]]) == (85, [], ["K02"])
    lowered = rows["H010003"]
    assert (lowered["tier"], lowered["override"]["rule_tier"], lowered["override"]["level"]) == ("达标", "良好", "省")
    assert [w["item"] for w in lowered["withdrawn"]] == ["V02"]


def test_the_methodology_page_says_who_withdraws_what(withdrawn):
    out, _, _, _ = withdrawn
    page = (out / "site" / str(YEAR) / "methodology.html").read_text(encoding="utf-8")
    assert "自评:市;市级检查:市;省级复核:省;集团复核:集团" in page and "撤销事项" in page
