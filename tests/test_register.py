import pytest
from support.returns import make_halls

from generator.errors import RegisterError
from generator.rules.register import load_register, write_register


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


def test_fast_and_openpyxl_readings_of_a_register_agree(tmp_path):
    """The register is read by the fast reader; openpyxl (data_only) is the reference it must equal."""
    from datetime import datetime

    import openpyxl

    from generator.rules.register import fast_register_rows, read_register

    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "本表由省公司维护"
    ws = wb.create_sheet("清单 ")  # a trailing space, as people type it
    ws.append(["厅编码", "厅名称", "省", "市", "区县", "级别", "类型", "备注", "更新"])
    ws.append([11010001, "东城营业厅", "北京", "东城", "东城区", 1.0, "自营", None, datetime(2025, 3, 1)])
    ws.append(["11010002", "西城营业厅", "北京", "西城", "西城区", "2", "自营"])
    ws.append([])
    ws.append(["11010003", "朝阳 营业厅", "北京", "朝阳", "朝阳区", 3, "自营", "x" * 300])
    path = tmp_path / "清单.xlsx"
    wb.save(path)
    fast = fast_register_rows(path)
    assert fast is not None and fast[1] == "xlsx 工作表“清单 ”"
    ref = openpyxl.load_workbook(path, read_only=True, data_only=True)["清单 "]
    expected = [list(r) for r in ref.iter_rows(values_only=True)]
    assert len(fast[0]) == len(expected)
    assert [r + [None] * (len(e) - len(r)) for r, e in zip(fast[0], expected)] == expected
    halls, how = read_register(path)
    assert [h.hall_id for h in halls] == ["11010001", "11010002", "11010003"] and how == fast[1]
    # A formula: Excel's last computed value is wanted, which only openpyxl's data_only reading gives.
    ws["B3"] = '=CONCAT("西城","营业厅")'
    wb.save(path)
    assert fast_register_rows(path) is None
    with pytest.raises(RegisterError, match="第 3 行:厅名称 为空"):  # written by openpyxl: no cached value
        load_register(path)
