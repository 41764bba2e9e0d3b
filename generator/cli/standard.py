"""`hallscore standard`: check a standard the group wrote, and write any known standard out as a workbook."""

from __future__ import annotations

from pathlib import Path

import click

from generator.cli.errors import UserError
from generator.errors import HallscoreError
from generator.fs.files import write_bytes_atomic
from generator.fs.paths import check_outputs
from generator.numbers import plain
from generator.rules.standard import EXAMPLES
from generator.rules.standard_book import book_bytes
from generator.rules.standard_load import check_standard, load_standard, place_said


@click.group(name="standard")
def standard_group() -> None:
    """评价标准:检查集团编写的评价标准工作簿,或把任一评价标准导出为工作簿。

    \b
    示例:
      hallscore standard export --out 评价标准.xlsx                  # 内置的营业厅示例标准
      hallscore standard export --example kefu --out 客服部门.xlsx   # 客服部门示例标准
      hallscore standard check 评价标准.xlsx
    """


@standard_group.command(name="check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="标准文件")
def check_command(path: Path) -> None:
    """检查评价标准(工作簿 .xlsx 或数据文件 .yaml),一次列出全部问题;有问题时退出码为 1。"""
    standard, problems = check_standard(path)
    for p in problems:
        click.echo(f"[{p.code}] {place_said(p)}{p.message}")
    if standard is None:
        click.echo(f"✗ {path}:共 {len(problems)} 个问题,未通过检查。", err=True)
        raise SystemExit(1)
    levels = sum(1 for item in standard.items if item.levels)
    click.echo(f"✓ {standard.title}(版本 {standard.version},标识 {standard.id})")
    click.echo(f"  来源:{standard.source or '未注明'}")
    sections = "、".join(f"{s} {plain(standard.weight(s))}" if standard.weighted else s for s in standard.sections)
    click.echo(f"  环节 {len(standard.sections)} 个{'(权重)' if standard.weighted else ''}:{sections}")
    click.echo(f"  评分项 {len(standard.items)} 项(按等级评定 {levels} 项),加分项 {len(standard.bonus)} 项,"
               f"扣分项 {len(standard.deductions)} 项,否决项 {len(standard.vetoes)} 项")
    click.echo(f"  结构校验码:{standard.checksum}")


@standard_group.command(name="export")
@click.option("--standard", "standard_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="要导出的评价标准(工作簿或数据文件);默认为内置的营业厅示例标准。")
@click.option("--example", type=click.Choice(sorted(EXAMPLES)), default=None,
              help="导出内置的示例标准:hall(营业厅,默认)或 kefu(客服部门)。")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出的评价标准工作簿(.xlsx)。同一标准每次导出的文件逐字节相同。")
def export_command(standard_path: Path | None, example: str | None, out_path: Path) -> None:
    """把评价标准写成评价标准工作簿(说明、环节、评分项、加分项、扣分项、否决项)。"""
    if standard_path is not None and example is not None:
        raise click.UsageError("--standard 与 --example 只能选一个")
    if out_path.suffix.lower() != ".xlsx":
        raise click.UsageError(f"输出文件应以 .xlsx 结尾:{out_path}")
    try:
        check_outputs([("评价标准", standard_path)], [("输出文件", out_path)])
        standard = load_standard(standard_path or (EXAMPLES[example] if example else None))
    except HallscoreError as exc:
        raise UserError(str(exc)) from exc
    data = book_bytes(standard)
    if out_path.exists():
        if not out_path.is_file() or out_path.read_bytes() != data:
            # Never over a file hallscore did not make just now: the user may have edited it.
            raise UserError(f"{out_path} 已存在且内容不同;为免覆盖已编辑的工作簿,请换一个文件名或先移走它。")
        click.echo(f"{out_path} 已是该标准的工作簿,未改动。")
        return
    write_bytes_atomic(out_path, data)
    click.echo(f"已导出评价标准工作簿:{out_path}({standard.title},版本 {standard.version})")
