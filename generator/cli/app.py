"""Command line: parses arguments, calls one library function per command, prints a short summary.

Only the command line knows the default file layout (``archive/``, ``site/``, ``demo/``): this module holds the
``hallscore`` group and the commands around the templates; the year's commands, the preview server, the demo,
mail and the standard each have a module of their own.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from generator import __version__
from generator.cli.demo import demo
from generator.cli.errors import MainGroup, user_errors
from generator.cli.mail import mail
from generator.cli.options import standard_option, year_option
from generator.cli.serve import serve
from generator.cli.standard import standard_group
from generator.cli.year import archive_command, build_command, site_command, validate_command, verify_command
from generator.cli.zh import chinese_usage
from generator.fs.paths import check_outputs
from generator.resources import example_config
from generator.rules.config import Config, load_config
from generator.rules.problems import CATALOGUE
from generator.rules.register import load_register
from generator.rules.standard import Standard
from generator.rules.standard_load import load_standard
from generator.rules.year_rules import Rules
from generator.workbooks.forms import issue_templates, write_master


@click.group(cls=MainGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hallscore")
def main() -> None:
    """hallscore:营业厅服务评价 —— 生成检查表、校验回收的检查表、评分定级并生成结果站点。

    \b
    典型流程:
      hallscore templates --register 清单.xlsx --out 检查表/
      hallscore validate 回收/ --register 清单.xlsx
      hallscore build 回收/ --register 清单.xlsx --year 2025
    """
    # openpyxl's warnings ("Data Validation extension is not supported" …) are notes about a file's
    # features it skips, in English, not anything the user must act on: they never reach the terminal.
    warnings.filterwarnings("ignore", module=r"openpyxl(\.|$)")


@main.command()
@click.option("--register", "register_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="营业厅清单(.xlsx 或 .csv),列:厅编码、厅名称、省、市、区县、级别、类型。")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="输出目录,按 <省>/<市>/ 分目录存放。")
@year_option
@standard_option
@click.option("--zip", "zip_by_city", is_flag=True, help="另为每个市打一个 zip 包(<省>/<市>.zip),便于邮件发送。")
@click.option("--master", is_flag=True, help="只生成评价标准的空白母版(不需要清单),用于更新 input_templates/。")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="年度配置文件(TOML):检查表中的加分上限等按本年度的规则填写。")
@click.option("--include-unrated", is_flag=True,
              help="也为本年度不参评的营业厅(级别或类型不在本年度配置内)生成检查表,封面标明不参评。")
@user_errors
def templates(register_path: Path | None, out_dir: Path, year: int, standard_path: Path | None, zip_by_city: bool,
              master: bool, config_path: Path | None = None, include_unrated: bool = False) -> None:
    """为清单中的每个参评营业厅生成一份预填厅信息的检查表。

    输出目录中已有的检查表不会被覆盖:与本次要写的相同则保留,不同(例如已填写)则拒绝并列出文件名,退出码 1。

    \b
    示例:
      hallscore templates --register 清单.xlsx --out 检查表/ --year 2025 --zip
      hallscore templates --master --out input_templates/
    """
    standard = load_standard(standard_path)
    if master:
        click.echo(f"已生成空白母版:{write_master(standard, out_dir)}")
        return
    if register_path is None:
        raise click.UsageError("缺少 --register(生成空白母版时用 --master)")
    check_outputs([("营业厅清单", register_path), ("评价标准", standard_path), ("年度配置", config_path)],
                  [("输出目录", out_dir)])
    halls = load_register(register_path)
    rules = _rules(standard, config_path, year)
    issued = issue_templates(halls, standard, out_dir, rules.year, zip_by_city=zip_by_city, rules=rules,
                             include_unrated=include_unrated)
    click.echo(f"已生成 {len(issued.wrote)} 份检查表:{out_dir}" + ("(每个市另有一个 zip 包)" if zip_by_city else ""))
    if issued.kept:
        click.echo(f"保留 {len(issued.kept)} 份已有的相同检查表(未改动)")
    if issued.unrated:
        click.echo(f"{issued.unrated} 个营业厅本年度不参评,未生成检查表(需要时加 --include-unrated)")
    if issued.refused:
        click.echo(f"拒绝覆盖 {len(issued.refused)} 份内容不同的已有检查表(可能已填写),原文件未动:", err=True)
        for path in issued.refused[:30]:
            click.echo(f"  {path}", err=True)
        if len(issued.refused) > 30:
            click.echo(f"  ……另有 {len(issued.refused) - 30} 份", err=True)
        click.echo("请把已填写的检查表移到别处,或换一个 --out 输出目录后重新生成。", err=True)
        raise SystemExit(1)


def _rules(standard: Standard, config_path: Path | None, year: int) -> Rules:
    """The year's rules for the workbooks: the configuration file's year must agree with --year when given."""
    source = click.get_current_context().get_parameter_source("year")
    explicit = source is not None and source.name != "DEFAULT"
    config = load_config(config_path, year if explicit else None, default_year=year) if config_path else None
    return Rules.of(standard, config or Config(year=year))


@main.command(name="config")
@click.option("--example", is_flag=True, help="打印带注释的默认年度配置(与仓库中的 hallscore.toml 相同)。")
def config_command(example: bool) -> None:
    """年度配置文件(TOML)。加 --example 打印带注释的全部默认值,可重定向保存后修改。

    \b
    示例:
      hallscore config --example > hallscore.toml
      hallscore build 回收/ --register 清单.xlsx --config hallscore.toml
    """
    if not example:
        raise click.UsageError("请加 --example 打印带注释的默认配置,如:hallscore config --example > hallscore.toml")
    click.echo(example_config(), nl=False)


@main.command(name="problems")
def problems_command() -> None:
    """列出所有问题代码及其含义。"""
    for code, kind in CATALOGUE.items():
        click.echo(f"{code:28} {'错误' if kind.severity == 'error' else '提示'}  {kind.title}")


for command in (validate_command, build_command, site_command, serve, verify_command, archive_command, demo, mail,
                standard_group):
    main.add_command(command)
chinese_usage(main)

if __name__ == "__main__":
    main()
