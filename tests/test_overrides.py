"""Recorded decisions (裁定): placing 需裁定 halls, changing a tier, and refusing what would break a rule."""

import re
from datetime import datetime
from decimal import Decimal

import openpyxl
import pytest
import yaml
from support.returns import make_halls

from generator.errors import OverrideError
from generator.evaluate.overrides import apply_overrides, load_overrides
from generator.evaluate.tiering import Candidate, assign_tiers, quota_use
from generator.rules.config import Config
from generator.rules.register import Hall

CONFIG = Config(year=2025)


def cand(hall_id, final, base=None, vetoes=()):
    final = Decimal(str(final))
    return Candidate(hall_id, final, Decimal(str(base)) if base is not None else final, Decimal(0), Decimal(90),
                     tuple(vetoes))


@pytest.fixture
def tied():
    """40 halls (优秀 cap 2): H010001 wins on base; H010000, H010002, H010003 tie for the last place."""
    halls = make_halls({"甲": 40}) + [Hall("L4", "四级厅", "甲", "甲市", "甲区", 4, "自营")]
    cands = {"H010001": cand("H010001", 97), "H010000": cand("H010000", 96), "H010002": cand("H010002", 96),
             "H010003": cand("H010003", 96), "H010004": cand("H010004", 98, vetoes=("V02",)), "L4": cand("L4", 99),
             "H010005": cand("H010005", 92), "H010006": cand("H010006", 80)}
    placed, _ = assign_tiers(halls, cands, CONFIG)
    return halls, cands, placed


def write_yaml(tmp_path, rows, name="裁定.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(rows, allow_unicode=True), encoding="utf-8")
    return path


def decision(hall_id, tier="优秀", **changes):
    row = {"厅编码": hall_id, "档次": tier, "理由": "现场复核服务更优", "裁定人": "集团评审组", "日期": "2025-06-30",
           "层级": "集团"}
    row.update(changes)
    return row


def test_override_places_a_hall_that_needs_decision(tmp_path, tied):
    halls, cands, placed = tied
    assert placed["H010002"].tier == "良好" and placed["H010002"].needs_decision
    overrides = load_overrides(write_yaml(tmp_path, [decision("H010002")]))
    after = apply_overrides(halls, placed, overrides, CONFIG, cands)
    got = after["H010002"]
    assert got.tier == "优秀" and not got.needs_decision and got.pending_tier is None
    assert got.override == {"tier": "优秀", "reason": "现场复核服务更优", "decided_by": "集团评审组",
                            "date": "2025-06-30", "rule_tier": "良好", "level": "集团"}
    assert got.reason == (
        "得分 96,与甲第0营业厅(H010000)、甲第3营业厅(H010003)得分及排名依据相同,并列本省优秀第 2 名,"
        "本省优秀共 2 个名额、只剩 1 个,按规则不以厅编码决定,需裁定,由集团决定,"
        "裁定前暂评为良好。经集团评审组于 2025-06-30 裁定为优秀:现场复核服务更优。")
    # The other two tied halls still wait; quota use is recounted.
    assert after["H010000"].needs_decision and after["H010003"].needs_decision
    excellent = next(q for q in quota_use(halls, after, CONFIG) if q.tier == "优秀")
    assert (excellent.cap, excellent.used, excellent.pending) == (2, 2, 2)
    assert placed["H010002"].tier == "良好"  # the rules' placements are not modified


def test_override_refused_when_it_breaks_a_quota(tmp_path, tied):
    halls, cands, placed = tied
    overrides = load_overrides(write_yaml(tmp_path, [decision("H010002"), decision("H010000")]))
    with pytest.raises(OverrideError) as exc:
        apply_overrides(halls, placed, overrides, CONFIG, cands)
    assert str(exc.value) == ("裁定文件:裁定后甲优秀为 3 个,超过名额 2 个(评价范围内 40 个厅),裁定被拒绝;"
                              "涉及的裁定:H010000、H010002")


def test_override_may_lower_a_tier_and_then_another_fills_the_room(tmp_path, tied):
    halls, cands, placed = tied
    rows = [decision("H010001", "良好", 理由="材料补正后复核"), decision("H010000"), decision("H010002")]
    after = apply_overrides(halls, placed, load_overrides(write_yaml(tmp_path, rows)), CONFIG, cands)
    assert [after[h].tier for h in ("H010001", "H010000", "H010002", "H010003")] == ["良好", "优秀", "优秀", "良好"]
    assert after["H010001"].override["rule_tier"] == "优秀"


@pytest.mark.parametrize("rows, message", [
    ([decision("H999999")], "厅编码 H999999 不在营业厅清单中"),
    ([decision("L4")], "厅编码 L4 按规则为不参评,不参与定级"),
    ([decision("H010020")], "厅编码 H010020 按规则为未检查"),
    ([decision("H010004")], "发生一票否决事项 V02,只能为不达标"),
    ([decision("H010002"), decision("H010002")], "已在 裁定.yaml 第 1 条 裁定过"),
])
def test_override_refused_for_bad_halls(tmp_path, tied, rows, message):
    halls, cands, placed = tied
    with pytest.raises(OverrideError, match=message):
        apply_overrides(halls, placed, load_overrides(write_yaml(tmp_path, rows)), CONFIG, cands)


@pytest.mark.parametrize("row, message", [
    (decision("H010002", 理由=""), "第 1 条:缺少理由"),
    ({"厅编码": "H010002", "档次": "优秀", "日期": "2025-06-30"}, "第 1 条:缺少理由、裁定人、层级"),
    (decision("H010002", 层级="县"), "层级“县”不合法,应为市、省、集团之一"),
    (decision("H010002", 档次="特优"), "档次“特优”不合法"),
])
def test_override_without_reason_or_decider_is_refused(tmp_path, row, message):
    with pytest.raises(OverrideError, match=message):
        load_overrides(write_yaml(tmp_path, [row]))


def test_xlsx_overrides_and_english_yaml_keys(tmp_path, tied):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["厅编码", "档次", "理由", "裁定人", "日期", "层级"])
    ws.append(["H010003", "优秀", "集团抽查确认", "集团评审组", datetime(2025, 7, 1), "集团"])
    ws.append([None, None, None, None, None, None])  # blank rows are skipped
    wb.save(tmp_path / "裁定.xlsx")
    [row] = load_overrides(tmp_path / "裁定.xlsx")
    assert (row.hall_id, row.tier, row.decided_by, row.date, row.level) == (
        "H010003", "优秀", "集团评审组", "2025-07-01", "集团")
    assert row.where == "裁定.xlsx 第 2 行"

    path = write_yaml(tmp_path, {"overrides": [{"hall_id": "H010003", "tier": "优秀", "reason": "r",
                                                "decided_by": "d", "date": "2025-07-01", "level": "集团"}]},
                      "en.yml")
    assert load_overrides(path)[0].hall_id == "H010003"
    with pytest.raises(OverrideError, match="应为 .yaml、.yml 或 .xlsx"):
        load_overrides(tmp_path / "裁定.csv")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(OverrideError, match="无法读取裁定文件"):
        load_overrides(tmp_path / "broken.xlsx")


def test_evaluate_records_the_decision_in_results(tmp_path, standard):
    from support.returns import lose_points

    from generator.archive.store import evaluate

    halls = make_halls({"甲": 20})  # 优秀 cap 1: two halls tie at 97
    records = [lose_points(standard, h, "市级检查", Decimal(3)) for h in ("H010000", "H010001")]
    results = evaluate(halls, records, standard, CONFIG)
    rows = {h["hall_id"]: h for h in results["halls"]}
    assert rows["H010000"]["needs_decision"] and rows["H010000"]["tier"] == "良好"
    overrides = load_overrides(write_yaml(tmp_path, [decision("H010001")]))
    results = evaluate(halls, records, standard, CONFIG, overrides=overrides)
    rows = {h["hall_id"]: h for h in results["halls"]}
    assert rows["H010001"]["tier"] == "优秀" and rows["H010001"]["override"]["rule_tier"] == "良好"
    assert rows["H010001"]["tier_reason"].endswith("经集团评审组于 2025-06-30 裁定为优秀:现场复核服务更优。")
    assert rows["H010000"]["override"] is None and rows["H010000"]["needs_decision"]
    excellent = next(q for q in results["quotas"] if q["tier"] == "优秀")
    assert (excellent["used"], excellent["pending"]) == (1, 1)
    # Recognised 达标 by their city check (only ranked halls take places): both nominated, the 裁定 tier a claim.
    assert [n["hall_id"] for n in results["shortlists"][0]["nominees"]] == ["H010000", "H010001"]
    # The 优秀 claim the city recognised 达标 waits for the province's 良好 list first (市 → 省 → 集团).
    assert (rows["H010001"]["confirmed_tier"], rows["H010001"]["awaiting"]) == ("达标", "省")


def test_an_alias_bomb_is_refused_at_once_through_the_cli(tmp_path):
    import tracemalloc

    from click.testing import CliRunner
    from support.returns import make_halls

    from generator.cli.app import main
    from generator.rules.register import write_register

    write_register(make_halls({"甲": 3}), tmp_path / "register.xlsx")
    (tmp_path / "returns").mkdir()
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for n in range(1, 12):
        lines.append(f"{chr(97 + n)}: &{chr(97 + n)} [*{chr(96 + n)},*{chr(96 + n)},*{chr(96 + n)},*{chr(96 + n)},"
                     f"*{chr(96 + n)},*{chr(96 + n)},*{chr(96 + n)},*{chr(96 + n)},*{chr(96 + n)}]")
    bomb = tmp_path / "裁定.yaml"
    bomb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert bomb.stat().st_size < 1000
    tracemalloc.start()
    result = CliRunner().invoke(main, ["build", str(tmp_path / "returns"), "--register", str(tmp_path / "register.xlsx"),
                                       "--overrides", str(bomb), "--archive", str(tmp_path / "archive"),
                                       "--site-dir", str(tmp_path / "site"), "--year", "2025", "--workers", "1"])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.exit_code == 1 and ("别名" in result.output or "锚点" in result.output), result.output
    assert "裁定文件" in result.output and peak < 50 * 1024 * 1024
    assert not (tmp_path / "archive").exists()


def test_an_oversized_overrides_file_is_refused(tmp_path):
    import pytest

    from generator.errors import OverrideError
    from generator.evaluate.overrides import load_overrides

    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * (5 * 1024 * 1024) + b"\n")
    with pytest.raises(OverrideError, match="超过上限"):
        load_overrides(path)


def test_every_bad_override_is_named_in_one_error(tmp_path, tied):
    halls, cands, placed = tied
    with pytest.raises(OverrideError) as exc:
        load_overrides(write_yaml(tmp_path, [decision("H010002", 理由=""), decision("H010003"),
                                             decision("H010001", 档次="特优")]))
    assert "裁定有 2 处问题" in str(exc.value)
    assert "第 1 条:缺少理由" in str(exc.value) and "第 3 条:档次“特优”不合法" in str(exc.value)
    rows = [decision("H999999"), decision("L4"), decision("H010004"), decision("H010002")]
    with pytest.raises(OverrideError) as exc:
        apply_overrides(halls, placed, load_overrides(write_yaml(tmp_path, rows)), CONFIG, cands)
    message = str(exc.value)
    assert message.startswith("裁定有 3 处问题") and "H999999 不在营业厅清单中" in message
    assert "L4 按规则为不参评" in message and "H010004 发生一票否决事项 V02" in message


@pytest.mark.parametrize("row, message", [
    # A tie for 优秀 is the group's to place, not the province's.
    (decision("H010002", 层级="省", 裁定人="省评审委员会"), "H010002 并列需裁定的优秀名额只能由集团公司裁定(本条层级为省)"),
    # 优秀 is the group's: neither the city nor the province may lower it.
    (decision("H010001", "良好", 层级="省"), "H010001 现为优秀,该档次由集团公司认定,省公司不能降低它"),
    (decision("H010005", "达标", 层级="市"), "H010005 现为良好,该档次由省公司认定,市公司不能降低它"),
    # Never above the tier the score reaches, whoever decides.
    (decision("H010005", "优秀"), "H010005 得分 92 只达到良好,裁定不能高于得分所达到的档次"),
    (decision("H010006", "良好", 层级="省"), "H010006 得分 80 只达到达标"),
])
def test_a_decision_beyond_its_levels_authority_is_refused_whole(tmp_path, tied, row, message):
    halls, cands, placed = tied
    fine = decision("H010003")  # within authority: refused with the other, the file is one
    with pytest.raises(OverrideError, match=re.escape(message)):
        apply_overrides(halls, placed, load_overrides(write_yaml(tmp_path, [fine, row])), CONFIG, cands)


def test_a_decision_against_a_higher_levels_recognition_is_refused(tmp_path, tied):
    halls, cands, placed = tied
    said = {"H010001": [{"tier": "优秀", "result": "认定", "by_level": "集团", "source": "甲-优秀.xlsx 工作表 优秀 第 3 行"}]}
    rows = [decision("H010001", "达标", 层级="省")]
    with pytest.raises(OverrideError, match=re.escape("已由集团认定为优秀(甲-优秀.xlsx 工作表 优秀 第 3 行),省的裁定不能与上级的认定相矛盾")):
        apply_overrides(halls, placed, load_overrides(write_yaml(tmp_path, rows)), CONFIG, cands, said)
    # The group itself may lower what it recognised (with its reason on record).
    after = apply_overrides(halls, placed, load_overrides(write_yaml(tmp_path, [decision("H010001", "良好")])),
                            CONFIG, cands, said)
    assert after["H010001"].tier == "良好" and after["H010001"].override["level"] == "集团"


def withdrawal(hall_id, item, **changes):
    row = {"厅编码": hall_id, "撤销事项": item, "理由": "复核确认不属实", "裁定人": "省评审组", "日期": "2025-10-08",
           "层级": "省"}
    row.update(changes)
    return row


def test_a_withdrawal_entry_names_an_item_and_no_tier(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["厅编码", "档次", "撤销事项", "理由", "裁定人", "日期", "层级"])
    ws.append(["H010003", None, "V02", "复核确认不属实", "省评审组", datetime(2025, 10, 8), "省"])
    ws.append(["H010003", "良好", None, "现场复核", "省评审组", datetime(2025, 10, 9), "省"])  # a tier, apart
    wb.save(tmp_path / "裁定.xlsx")
    gone, placed = load_overrides(tmp_path / "裁定.xlsx")
    assert (gone.hall_id, gone.withdraw, gone.tier, gone.level, gone.date) == ("H010003", "V02", "", "省", "2025-10-08")
    assert (placed.withdraw, placed.tier) == ("", "良好")
    english = write_yaml(tmp_path, [{"hall_id": "H1", "withdraw": "K01", "reason": "r", "decided_by": "d",
                                     "date": "2025-10-08", "level": "集团"}], "en.yaml")
    assert load_overrides(english)[0].withdraw == "K01"


@pytest.mark.parametrize("row, message", [
    (withdrawal("H010003", "V02", 档次="良好"), "第 1 条:同时写了档次“良好”和撤销事项“V02”;撤销事项的裁定不写档次"),
    (withdrawal("H010003", "V02", 理由=None), "第 1 条:缺少理由(每条裁定须写明"),
    (withdrawal("H010003", None), "第 1 条:缺少档次("),
    (withdrawal("H010003", "V02", 层级="县"), "层级“县”不合法,应为市、省、集团之一"),
])
def test_a_malformed_withdrawal_is_refused(tmp_path, row, message):
    with pytest.raises(OverrideError, match=re.escape(message)):
        load_overrides(write_yaml(tmp_path, [row]))


def test_withdrawals_follow_the_owner_of_every_round_that_recorded_the_finding(tmp_path):
    from generator.evaluate.overrides import withdrawals

    items = {"K01": "扣分", "K02": "扣分", "V02": "一票否决"}
    recorded = {"H1": {"V02": ["市级检查"], "K01": ["市级检查", "集团复核"]}, "H2": {"K02": ["自评"]}}
    rows = [withdrawal("H1", "V02", 层级="市"), withdrawal("H2", "K02", 层级="市"),
            withdrawal("H1", "K01", 层级="集团")]
    got, refused = withdrawals(load_overrides(write_yaml(tmp_path, rows)), {"H1", "H2", "H3"}, recorded, items)
    assert {h: sorted(v) for h, v in got.items()} == {"H1": ["K01", "V02"], "H2": ["K02"]} and refused == {}
    assert got["H1"]["V02"].level == "市"
    bad = [withdrawal("H1", "K01"),  # 集团复核 recorded it too: the group's finding
           withdrawal("H1", "V02"), withdrawal("H1", "V02"),
           withdrawal("H3", "V02"), withdrawal("H4", "V02"), withdrawal("H1", "X9")]
    entries = load_overrides(write_yaml(tmp_path, bad))
    got, refused = withdrawals(entries, {"H1", "H2", "H3"}, recorded, items)
    assert {h: sorted(v) for h, v in got.items()} == {"H1": ["V02"]}
    with pytest.raises(OverrideError) as exc:  # refused whole where the tier decisions are judged
        apply_overrides([], {}, entries, CONFIG, {}, None, refused)
    assert str(exc.value).splitlines() == [
        "裁定有 5 处问题:",
        "裁定文件 裁定.yaml 第 1 条:厅编码 H1 的扣分事项 K01 由市级检查、集团复核记录,只能由集团公司或更高一级撤销"
        "(本条层级为省)",
        "裁定文件 裁定.yaml 第 3 条:厅编码 H1 的一票否决事项 V02 已在 裁定.yaml 第 2 条 撤销过,同一事项只能撤销一次",
        "裁定文件 裁定.yaml 第 4 条:厅编码 H3 本年度没有记录一票否决事项 V02,无可撤销(本年度计入的加分、扣分和一票否决"
        "事项:无)",
        "裁定文件 裁定.yaml 第 5 条:厅编码 H4 不在营业厅清单中",
        "裁定文件 裁定.yaml 第 6 条:厅编码 H1 撤销事项“X9”不是评价标准中的加分、扣分或一票否决事项(应为K01、K02、V02之一)",
    ]


def test_a_tier_decision_leaves_withdrawal_entries_alone(tmp_path, tied):
    halls, cands, placed = tied
    rows = [withdrawal("H010004", "V02", 层级="集团"), decision("H010002")]
    after = apply_overrides(halls, placed, load_overrides(write_yaml(tmp_path, rows)), CONFIG, cands)
    assert after["H010002"].tier == "优秀" and after["H010004"] == placed["H010004"]
