"""The yearly configuration file: defaults, and a clear error naming the key for every bad value."""

from decimal import Decimal
from pathlib import Path

import pytest

from generator.errors import ConfigError
from generator.rules.config import Config, load_config

SAMPLE = Path(__file__).resolve().parent.parent / "hallscore.toml"


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "hallscore.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_file_is_the_seed_defaults():
    config = load_config(SAMPLE, default_year=2016)
    assert config == Config(year=2016, bonus_cap=Decimal(5))
    assert config.quotas == {"优秀": Decimal("0.05"), "良好": Decimal("0.2")}  # TOML floats kept exact
    assert config.shortlist_ratio == Decimal("0.2") and config.good_shortlist is True


def test_empty_file_gives_defaults_and_years(tmp_path):
    path = write(tmp_path, "")
    assert load_config(path, 2025) == Config(year=2025)
    assert load_config(path, default_year=2024).year == 2024
    path = write(tmp_path, "year = 2016\n")
    assert load_config(path, default_year=2024).year == 2016  # the file wins over a default
    assert load_config(path, 2016).year == 2016
    with pytest.raises(ConfigError, match="year = 2016 与命令行的年度 2025 不一致"):
        load_config(path, 2025)


def test_values_are_read(tmp_path):
    path = write(tmp_path, """
year = 2020
levels = [1, 2, 3, 4]
hall_types = ["自营", "社会合作"]
quota_scope = "national"
shortlist_ratio = 0.25
good_shortlist = true
bonus_cap = 3
[thresholds]
"优秀" = 96.5
"良好" = 91
"达标" = 85
[quotas]
"优秀" = 0.1
""")
    config = load_config(path)
    assert config.year == 2020 and config.levels == (1, 2, 3, 4) and config.quota_scope == "national"
    assert config.thresholds == {"优秀": Decimal("96.5"), "良好": Decimal(91), "达标": Decimal(85)}
    assert config.quotas == {"优秀": Decimal("0.1")}  # no 良好 cap this year
    assert (config.shortlist_ratio, config.bonus_cap, config.good_shortlist) == (Decimal("0.25"), 3, True)


@pytest.mark.parametrize("text, key, allowed", [
    ("levels = [0, 1]", "levels", "取值 1、2、3、4"),
    ("levels = []", "levels", "至少一个"),
    ("hall_types = ['加盟']", "hall_types", "自营、社会合作"),
    ("quota_scope = 'city'", "quota_scope", "province(各省分别计算)或 national"),
    ("cap_rounding = 'up'", "cap_rounding", "down"),
    ("shortlist_ratio = 1.5", "shortlist_ratio", "0 到 1 之间"),
    ("shortlist_ratio = '二成'", "shortlist_ratio", "0 到 1 之间"),
    ("bonus_cap = -1", "bonus_cap", "0 到 100"),
    ("rounds = ['自评', '集团复核']", "rounds", "自评、市级检查、省级复核、集团复核"),
    ("good_shortlist = 'yes'", "good_shortlist", "良好上报名单是逐级认定的第一步"),
    ("good_shortlist = false", "good_shortlist", "不能关闭"),
    ("year = 1999", "year", "2000 到 2100"),
    ("[thresholds]\n'优秀' = 90\n'良好' = 95\n'达标' = 80", "thresholds", "优秀 > 良好 > 达标"),
    ("[thresholds]\n'优秀' = 95\n'良好' = 90", "thresholds", "三个分数线"),
    ("[thresholds]\n'优秀' = 'high'\n'良好' = 90\n'达标' = 80", "thresholds.优秀", "0 到 100"),
    ("[quotas]\n'优秀' = 5", "quotas.优秀", "5% 写作 0.05"),
    ("[quotas]\n'达标' = 0.5", "quotas", "只含 优秀、良好"),
    ("[improvement]\naverage = -1", "improvement.average", "取值 0 到 100"),
    ("[improvement]\nrank = 3", "improvement", "pass_rate(达标率提高,百分点)"),
])
def test_bad_value_names_key_and_allowed(tmp_path, text, key, allowed):
    with pytest.raises(ConfigError) as exc:
        load_config(write(tmp_path, text), 2016)
    message = str(exc.value)
    assert f":{key} = " in message and "不合法" in message and allowed in message


def test_improvement_lines_default_and_from_the_file(tmp_path):
    from generator.rules.config import Config

    assert Config(year=2025).improvement == {"average": Decimal("2.0"), "pass_rate": Decimal(5)}
    config = load_config(write(tmp_path, "[improvement]\npass_rate = 3.5\n"), 2016)
    assert config.improvement == {"average": Decimal("2.0"), "pass_rate": Decimal("3.5")}
    sample = load_config(Path(__file__).resolve().parent.parent / "hallscore.toml", 2016)
    assert sample.improvement == {"average": Decimal("2.0"), "pass_rate": Decimal(5)} and sample.good_shortlist


def test_unknown_key_and_broken_file(tmp_path):
    with pytest.raises(ConfigError, match="未知的配置项 quota"):
        load_config(write(tmp_path, "quota = 1"), 2016)
    with pytest.raises(ConfigError, match="不是合法的 TOML"):
        load_config(write(tmp_path, "优秀 = 95"), 2016)  # bare non-ASCII keys are not TOML
    with pytest.raises(ConfigError, match="无法读取配置文件"):
        load_config(tmp_path / "missing.toml", 2016)


def test_cli_build_reports_a_bad_config_in_one_line(tmp_path):
    from click.testing import CliRunner
    from support.returns import make_halls

    from generator.cli.app import main
    from generator.rules.register import write_register

    write_register(make_halls({"甲": 3}), tmp_path / "register.xlsx")
    (tmp_path / "returns").mkdir()
    bad = write(tmp_path, "quota_scope = 'city'\n")
    result = CliRunner().invoke(main, ["build", str(tmp_path / "returns"), "--register", str(tmp_path / "register.xlsx"),
                                       "--config", str(bad), "--archive", str(tmp_path / "archive"),
                                       "--site-dir", str(tmp_path / "site")])
    assert result.exit_code == 1
    assert "quota_scope = 'city' 不合法,应为 province(各省分别计算)或 national(全国统一计算)" in result.output
    assert not (tmp_path / "archive").exists()


def test_every_bad_key_is_named_in_one_error(tmp_path):
    text = ("quota = 1\nlevels = [0]\nquota_scope = 'city'\nbonus_cap = -1\n"
            "[thresholds]\n'优秀' = 'high'\n'良好' = 90\n'达标' = 80\n[quotas]\n'优秀' = 5\n")
    with pytest.raises(ConfigError) as exc:
        load_config(write(tmp_path, text), 2016)
    message = str(exc.value)
    assert "有 6 处问题" in message and "\n" not in message
    for part in ("未知的配置项 quota", "levels = [0] 不合法", "quota_scope = 'city' 不合法", "bonus_cap = -1 不合法",
                 "thresholds.优秀 = 'high' 不合法", "quotas.优秀 = 5 不合法"):
        assert part in message, part
    good = load_config(write(tmp_path, "levels = [2]\nbonus_cap = 3\n"), 2016)
    assert good.levels == (2,) and good.bonus_cap == Decimal(3)


def test_build_options_take_the_year_from_the_config_file_unless_given(tmp_path):
    from generator.build import BuildOptions

    path = write(tmp_path, "year = 2024\nbonus_cap = 3\n")
    options = BuildOptions.from_files(["回收"], "清单.xlsx", "archive", 2030, path, year_explicit=False)
    assert options.config.year == 2024 and options.config.bonus_cap == Decimal(3) and options.config_path == path
    with pytest.raises(ConfigError, match="year = 2024 与命令行的年度 2030 不一致"):
        BuildOptions.from_files(["回收"], "清单.xlsx", "archive", 2030, path)
    plain = BuildOptions.from_files(["回收"], "清单.xlsx", "archive", 2030, site_dir="site")
    assert plain.config == Config(year=2030) and plain.site_dir == Path("site") and plain.decisions_paths == ()


def test_config_example_prints_the_annotated_defaults(tmp_path):
    from click.testing import CliRunner

    from generator.cli.app import main

    result = CliRunner().invoke(main, ["config", "--example"])
    assert result.exit_code == 0 and result.output == SAMPLE.read_text(encoding="utf-8")
    (tmp_path / "c.toml").write_text(result.output, encoding="utf-8")
    assert load_config(tmp_path / "c.toml", 2016).year == 2016
    result = CliRunner().invoke(main, ["config"])
    assert result.exit_code == 2 and "--example" in result.output
