from decimal import Decimal

import pytest

from generator.errors import StandardError
from generator.standard import DEFAULT_STANDARD, load_standard


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
    "old, new, message",
    [
        ("{id: A02, section: 迎宾接待, max: 3", "{id: A01, section: 迎宾接待, max: 3", "编号 A01 重复"),
        ("{id: A02, section: 迎宾接待, max: 3", "{id: A02, section: 迎宾接待, max: 4", "基础项分值合计应为 100,实际为 101"),
        ("{id: J03, text: 客户书面表扬(表扬信、锦旗), per: 0.5, cap: 1}", "{id: J03, text: 客户书面表扬, per: 2, cap: 1}",
         "bonus J03 的 cap 小于单次分值 per"),
        ("{id: K01, text: 经核实的有责投诉, per: 1}", "{id: K01, text: 经核实的有责投诉, per: -1}", "deductions K01 的 per 应大于 0"),
        ("{id: A05, section: 迎宾接待, max: 2", "{id: A05, section: 迎宾, max: 2", "items A05 的环节“迎宾”不在 sections 中"),
        ("{id: A05, section: 迎宾接待, max: 2", "{id: A05, section: 迎宾接待, max: 1.3", "items A05 的分值 1.3 不是 score_step 的整数倍"),
    ],
)
def test_broken_standard_names_the_entry(tmp_path, old, new, message):
    text = DEFAULT_STANDARD.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(StandardError) as err:
        load_standard(path)
    assert message in str(err.value)


def test_unreadable_standard(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("items: [unclosed", encoding="utf-8")
    with pytest.raises(StandardError, match="无法读取评价标准文件"):
        load_standard(path)
