"""The year's commands: validate the returns, build the year, rebuild its site, verify it from the archive alone,
freeze it into a zip."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import click
from click.core import ParameterSource

from generator.build import BuildOptions, build, rebuild_site, validate
from generator.cli.errors import InputError, user_errors
from generator.cli.options import (
    DEFAULT_SITE,
    archive_option,
    cache_option,
    no_cache_option,
    returns_inputs,
    workers_option,
)
from generator.cli.summary import Progress, own_files, print_build, print_intake
from generator.errors import HallscoreError
from generator.fs.files import BuildLock, write_json_atomic
from generator.fs.journal import journal_path
from generator.fs.journal import recover as recover_journal
from generator.fs.paths import check_frozen_out, check_outputs
from generator.intake.errors import NothingAcceptedError
from generator.intake.meta_year import years_found
from generator.intake.run import IGNORED
from generator.rules.register import load_register
from generator.site.freeze import freeze_year
from generator.verify import verify_year
from generator.workbooks.problem_report import REPORT_SUFFIXES, write_report


@click.command(name="validate")
@returns_inputs
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="把每个文件的状态和问题写入 JSON 文件。")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="把问题清单(按省、市分组,每个问题一行)写入文件,可直接发回检查人:.xlsx 为 Excel 工作簿,"
                   ".csv 为 CSV(UTF-8),其他后缀拒绝。")
@workers_option
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="校验结果缓存目录(按文件内容哈希);不给则不用缓存。")
def validate_command(paths: tuple[Path, ...], register_path: Path, year: int, standard_path: Path | None,
                     json_path: Path | None, report_path: Path | None, workers: int, cache_dir: Path | None) -> None:
    """校验回收的检查表:每个文件给出状态(已接收/已退回/已被替代/已忽略)和问题。

    退出码:0 没有待重报的退回文件(退回后同一厅同一轮次已有更正并被接收的,算已更正);1 有待重报的退回文件;
    2 参数、营业厅清单或评价标准有误。

    \b
    示例:
      hallscore validate 回收/ --register 清单.xlsx --year 2025 --json 校验结果.json --report 问题清单.xlsx
    """
    if click.get_current_context().get_parameter_source("year") is ParameterSource.DEFAULT:
        year = year_of_returns(paths, year)
    try:
        check_outputs([("检查表路径", p) for p in paths] + [("营业厅清单", register_path), ("评价标准", standard_path)],
                      [("校验结果文件", json_path), ("问题清单", report_path), ("缓存目录", cache_dir)])
        # The suffix decides the format: a report named .csv is CSV, not an xlsx under a wrong name.
        if report_path is not None and report_path.suffix.lower() not in REPORT_SUFFIXES:
            raise click.BadParameter(f"文件名应以 {' 或 '.join(REPORT_SUFFIXES)} 结尾(按后缀写成 Excel 工作簿或 CSV),"
                                     f"现为“{report_path.name}”", param_hint="--report")
        if json_path is not None and json_path.suffix.lower() != ".json":
            raise click.BadParameter(f"文件名应以 .json 结尾,现为“{json_path.name}”", param_hint="--json")
        with Progress() as progress:
            report = validate(paths, register_path, year, standard_path, workers=workers, cache_dir=cache_dir,
                              progress=progress)
        if json_path:
            write_json_atomic(json_path, {**report.to_dict(), "year": year})  # mail reminders reads the year
        if report_path:
            write_report(report_path, report, load_register(register_path), year)
    except HallscoreError as exc:
        raise InputError(str(exc)) from exc
    print_intake(report, details=True)
    if json_path:
        click.echo(f"JSON:{json_path}")
    if report_path:
        click.echo(f"问题清单:{report_path}")
    # A wrong path is not "all well": nothing but other files found (hallscore's own mail means the right inbox).
    if all(f.status == IGNORED for f in report.files) and not own_files(report):
        for f in report.files[:20]:
            click.echo(f"  {f.path}:{f.note or '不是检查表'}")
        click.echo(f"错误:在 {'、'.join(str(p) for p in paths)} 中没有找到检查表(.xlsx),共 {len(report.files)} 个文件,"
                   f"都不是检查表;请核对路径是否是存放回收检查表的文件夹或邮件文件。", err=True)
        raise SystemExit(1)
    raise SystemExit(0 if report.ok else 1)


def year_of_returns(paths: Iterable[Path], fallback: int) -> int:
    """Without --year, the year the returns carry in _meta (the most common one), said out loud."""
    where = years_found(paths)
    if not where:
        click.echo(f"未给 --year,检查表(含邮件附件和压缩包中的)中也没有年度信息,按 {fallback} 年处理。")
        return fallback
    found, names = max(where.items(), key=lambda kv: (len(kv[1]), kv[0]))
    total = sum(len(n) for n in where.values())
    others = f";另有 {total - len(names)} 份为其他年度" if total > len(names) else ""
    click.echo(f"未给 --year,按检查表 _meta 中的年度 {found} 年处理({len(names)} 份{others})。")
    if len(where) > 1:  # a mixed set: which years, and where each was found
        for year, listed in where.items():
            shown = "、".join(listed[:5]) + (f" 等 {len(listed)} 份" if len(listed) > 5 else "")
            click.echo(f"  {year} 年:{shown}")
        click.echo("  不是本年度的检查表将以 template-year-mismatch 退回;如年度不对,请用 --year 指定。")
    return found


@click.command(name="build")
@returns_inputs
@archive_option
@click.option("--site-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_SITE,
              show_default=True, help="生成的静态站点目录。")
@click.option("--strict", is_flag=True, help="站点构建出现警告即失败(mkdocs --strict)。")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="年度配置文件(TOML,见 hallscore.toml);其中的 year 在未给 --year 时生效。")
@click.option("--overrides", "overrides_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="裁定文件(.yaml 或 .xlsx:厅编码、档次、理由、裁定人、日期、层级),在规则定级和名单答复之后生效。")
@click.option("--decisions", "decisions_paths", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="退回的上报名单(填好认定结果的 .xlsx,或其所在目录;可重复):认定的厅按认定定级,不认定的厅"
                   "不得评为该等级。名单有误时整份退回,档案和站点保持不变。")
@workers_option
@cache_option
@no_cache_option
@user_errors
def build_command(paths: tuple[Path, ...], register_path: Path, year: int, standard_path: Path | None,
                  archive_dir: Path, site_dir: Path, strict: bool, config_path: Path | None,
                  overrides_path: Path | None, decisions_paths: tuple[Path, ...], workers: int,
                  cache_dir: Path | None, no_cache: bool) -> None:
    """校验、评分、定级,写入年度档案,并生成结果站点。

    有问题的检查表会被退回,其余照常评分;站点构建失败时保留原有站点。

    \b
    各省上报名单(差额)写入 <档案>/<年度>/上报名单/。

    \b
    示例:
      hallscore build 回收/ --register 清单.xlsx --year 2025 --archive archive --site-dir site
      hallscore build 回收/ --register 清单.xlsx --config hallscore.toml --overrides 裁定.yaml
      hallscore build 回收/ --register 清单.xlsx --year 2025 --decisions 集团认定/ --decisions 广东-良好.xlsx
    """
    year_explicit = click.get_current_context().get_parameter_source("year") is not ParameterSource.DEFAULT
    if not year_explicit and config_path is None:  # no year given anywhere: the one the returns carry
        year = year_of_returns(paths, year)
    if no_cache:
        cache_dir = None
    elif cache_dir is None:
        cache_dir = Path(archive_dir).parent / ".hallscore-cache"
    try:
        with Progress() as progress:
            options = BuildOptions.from_files(paths, register_path, archive_dir, year, config_path, year_explicit,
                                              site_dir=site_dir, standard_path=standard_path, strict=strict,
                                              overrides_path=overrides_path, workers=workers, cache_dir=cache_dir,
                                              decisions_paths=decisions_paths)
            summary = build(options, progress=progress)
    except NothingAcceptedError as exc:
        print_intake(exc.report, details=False)
        click.echo(f"错误:{exc}", err=True)
        raise SystemExit(1) from exc
    print_build(summary)


@click.command(name="site")
@archive_option
@click.option("--site-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_SITE,
              show_default=True, help="生成的静态站点目录。")
@click.option("--strict", is_flag=True, help="站点构建出现警告即失败。")
@user_errors
def site_command(archive_dir: Path, site_dir: Path, strict: bool) -> None:
    """只根据年度档案重新生成结果站点(不重新读取检查表)。

    \b
    示例:
      hallscore site --archive archive --site-dir site
    """
    pages = rebuild_site(archive_dir, site_dir, strict=strict)
    click.echo(f"站点已生成({pages} 个页面):{Path(site_dir).resolve() / 'index.html'}")


@click.command(name="verify")
@archive_option
@click.option("--year", type=click.IntRange(2000, 2100), required=True, help="要核对的年度。")
@user_errors
def verify_command(archive_dir: Path, year: int) -> None:
    """只用档案中保存的输入(检查表、营业厅清单、年度配置、评价标准、裁定、答复的名单)在临时目录中重建该年度,
    逐字节比较 results.json 和上报名单:一致时打印“一致”,否则逐条列出不同之处并以状态码 1 退出。

    \b
    示例:
      hallscore verify --year 2025 --archive archive
    """
    differences = verify_year(archive_dir, year)
    if not differences:
        click.echo(f"{year} 年:一致(results.json 和全部上报名单与只用档案中的输入重建的结果逐字节相同)")
        return
    click.echo(f"{year} 年:不一致,共 {len(differences)} 处:")
    for line in differences:
        click.echo(f"  {line}")
    raise SystemExit(1)


@click.command(name="archive")
@archive_option
@click.option("--year", type=click.IntRange(2000, 2100), required=True, help="要归档的年度。")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="site-<年度>.zip 的输出目录。")
@user_errors
def archive_command(archive_dir: Path, year: int, out_dir: Path) -> None:
    """把某一年度的结果站点(该年及以前各年)冻结为 site-<年度>.zip,内含 SHA-256 清单 SHA256SUMS。

    \b
    示例:
      hallscore archive --year 2025 --archive archive --out 归档/
    """
    check_frozen_out(out_dir, archive_dir)
    if os.path.lexists(journal_path(archive_dir)):  # (a read-only archive without one is frozen as it is)
        with BuildLock(archive_dir, wait=10.0):
            recover_journal(archive_dir)  # a commit a killed build left: the zip is of the committed pair
    frozen = freeze_year(archive_dir, year, out_dir)
    click.echo(f"已归档 {frozen['files']} 个文件:{Path(frozen['zip']).resolve()}")
    click.echo(f"SHA-256:{frozen['sha256']}")
