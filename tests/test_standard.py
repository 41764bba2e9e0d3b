from decimal import Decimal

import pytest

from generator.errors import StandardError
from generator.rules.standard import DEFAULT_STANDARD
from generator.rules.standard_load import load_standard


def test_default_standard_matches_standard_md(standard):
    assert (standard.id, standard.version) == ("ct-hall", "2016.1")
    assert len(standard.items) == 34
    assert {s: standard.section_max(s) for s in standard.sections} == {
        "迎宾接待": 18, "排队等候": 15, "业务办理": 25, "咨询投诉": 15, "厅店环境": 17, "服务设施与信息公开": 10}
    assert [i.id for i in standard.items if i.allow_na] == ["A06", "B01", "B05", "D05", "E04", "F02", "F03"]
    assert [(b.id, b.per_event, b.cap) for b in standard.bonus] == [
        ("J01", 2, 2), ("J02", 2, 2), ("J03", Decimal("0.5"), 1), ("J04", 1, 2)]
    assert [(d.id, d.per_event) for d in standard.deductions] == [("K01", 1), ("K02", 3), ("K03", 5), ("K04", 5)]
    assert [v.id for v in standard.vetoes] == ["V01", "V02", "V03", "V04"]
    assert standard.bonus_cap == 5
    assert all(i.guidance for i in standard.items)


def test_allowed_scores_step_by_half(standard):
    a06 = next(i for i in standard.items if i.id == "A06")
    assert [str(v) for v in standard.allowed_scores(a06)] == ["0.0", "0.5", "1.0", "1.5", "2.0"]


def test_checksum_is_stable_and_sensitive(tmp_path, standard):
    assert load_standard().checksum == standard.checksum
    edited = tmp_path / "s.yaml"
    text = DEFAULT_STANDARD.read_text(encoding="utf-8").replace("客户离厅时有送别用语", "客户离厅时有送别")
    edited.write_text(text, encoding="utf-8")
    assert load_standard(edited).checksum != standard.checksum


@pytest.mark.parametrize(
    "old, new, code, message",
    [
        ("{id: A02, section: 迎宾接待, max: 3", "{id: A01, section: 迎宾接待, max: 3", "standard-id-duplicate",
         "编号 A01 重复"),
        ("{id: A02, section: 迎宾接待, max: 3", "{id: A02, section: 迎宾接待, max: 4", "standard-points-total",
         "评分项分值合计为 101,应为 100"),
        ("{id: J03, text: 客户书面表扬(表扬信、锦旗), per: 0.5, cap: 1}", "{id: J03, text: 客户书面表扬, per: 2, cap: 1}",
         "standard-bonus-invalid", "bonus J03 的分值有误:本项上限 1 小于每次 2"),
        ("{id: K01, text: 经核实的有责投诉, per: 1}", "{id: K01, text: 经核实的有责投诉, per: -1}",
         "standard-deduction-invalid", "deductions K01 的每次扣分为 -1;应大于 0"),
        ("{id: A05, section: 迎宾接待, max: 2", "{id: A05, section: 迎宾, max: 2", "standard-section-unknown",
         "items A05 的环节“迎宾”不在“环节”表中"),
        ("{id: A05, section: 迎宾接待, max: 2", "{id: A05, section: 迎宾接待, max: 1.3", "standard-points-step",
         "items A05 的分值 1.3 不是分值步长 0.5 的整数倍"),
    ],
)
def test_broken_standard_names_the_entry(tmp_path, old, new, code, message):
    # The messages were English-keyed ("bonus J03 的 cap 小于单次分值 per") before standards got coded problems.
    text = DEFAULT_STANDARD.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(StandardError) as err:
        load_standard(path)
    assert message in str(err.value)
    assert code in [p.code for p in err.value.problems]


def test_unreadable_standard(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("items: [unclosed", encoding="utf-8")
    with pytest.raises(StandardError) as err:
        load_standard(path)
    # PyYAML's own words ("expected ',' or ']'") never reach the user: the place and a Chinese reading do.
    assert [p.code for p in err.value.problems] == ["standard-yaml-syntax"]
    assert "第 1 行第 17 列" in str(err.value) and "列表 [ ] 没有正确闭合" in str(err.value)
    assert "expected" not in str(err.value)


JUNK = [None, 0, -1, "x", [], {}, [1], {"a": 1}, True, 1.5, "1e400", "=SUM(A1)", [[1]], "优秀=50%;差=50%", "a=1;b=2"]


@pytest.mark.parametrize("seed", range(2))
def test_any_malformed_data_file_gets_coded_chinese_problems_never_a_traceback(tmp_path, seed):
    """Fields replaced by values of the wrong kind, in both shipped standards: a standard or coded problems."""
    import copy
    import random

    import yaml

    from generator.rules.problems import CATALOGUE
    from generator.rules.standard import EXAMPLES
    from generator.rules.standard_load import check_standard

    shipped = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in EXAMPLES.values()]
    rng = random.Random(seed)
    refused = 0
    for n in range(120):
        raw = copy.deepcopy(rng.choice(shipped))
        key = rng.choice(list(raw))
        if isinstance(raw[key], list) and raw[key] and isinstance(raw[key][0], dict):
            entry = rng.choice(raw[key])
            entry[rng.choice([*entry, "levels", "na"])] = rng.choice(JUNK)
        else:
            raw[key] = rng.choice(JUNK)
        path = tmp_path / f"{n}.yaml"
        path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        std, problems = check_standard(path)
        assert (std is None) == bool(problems)
        refused += std is None
        for p in problems:
            assert p.code in CATALOGUE and any("\u4e00" <= ch <= "\u9fff" for ch in p.message), p
    assert refused > 40  # the mutations do break most files
