import pytest
from conftest import make_halls

from generator.errors import RegisterError
from generator.register import load_register, write_register


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_register_round_trip(tmp_path, suffix):
    halls = make_halls({"甲": 2, "乙": 1})
    path = tmp_path / f"r{suffix}"
    write_register(list(reversed(halls)), path)
    assert load_register(path) == tuple(sorted(halls, key=lambda h: h.hall_id))


def test_register_problems_are_listed_by_row(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        "厅编码,厅名称,省,市,区县,级别,类型\n"
        "A1,甲厅,广东,广州,天河,2,自营\n"
        "A1,乙厅,广东,广州,天河,2,自营\n"
        "A2,丙厅,广东,广州,天河,5,自营\n"
        "A3,丁厅,广东,广州,天河,2,加盟\n"
        ",戊厅,广东,广州,天河,2,自营\n",
        encoding="utf-8",
    )
    with pytest.raises(RegisterError) as err:
        load_register(path)
    text = str(err.value)
    assert "第 3 行:厅编码 A1 重复" in text
    assert "第 4 行:级别应为 1-4 的整数,实际为“5”" in text
    assert "第 5 行:类型应为 自营 或 社会合作,实际为“加盟”" in text
    assert "第 6 行:厅编码 为空" in text


def test_register_wrong_kind_of_file(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(RegisterError, match="应为 .xlsx 或 .csv"):
        load_register(path)


def test_register_keeps_names_that_look_like_formulas(tmp_path):
    halls = make_halls({"甲": 1})
    from dataclasses import replace

    odd = [replace(halls[0], name="=SUM(1,2)营业厅")]
    path = tmp_path / "r.xlsx"
    write_register(odd, path)
    assert load_register(path)[0].name == "=SUM(1,2)营业厅"
