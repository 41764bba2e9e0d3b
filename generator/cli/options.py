"""The options several commands share, and the default file layout (``archive/``, ``site/``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

import click

from generator.cli.zh import install as install_chinese_texts

install_chinese_texts()  # before any option is declared: click.Path names itself (文件/目录) when made

F = TypeVar("F", bound=Callable[..., object])

DEFAULT_ARCHIVE = Path("archive")
DEFAULT_SITE = Path("site")

register_option = click.option(
    "--register", "register_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="营业厅清单(.xlsx 或 .csv),列:厅编码、厅名称、省、市、区县、级别、类型。")
standard_option = click.option(
    "--standard", "standard_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="评价标准:评价标准工作簿(.xlsx)或数据文件(.yaml),默认使用内置的营业厅示例标准 ct-hall-2016。")
workers_option = click.option(
    "--workers", type=click.IntRange(1, 64), default=lambda: os.cpu_count() or 1, show_default="CPU 核数",
    help="并行读取检查表的进程数。")
cache_option = click.option(
    "--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="校验结果缓存目录(按文件内容哈希,文件一改即重读),默认为档案目录旁的 .hallscore-cache。")
no_cache_option = click.option("--no-cache", is_flag=True, help="不使用缓存,重新读取全部检查表。")
year_option = click.option("--year", type=click.IntRange(2000, 2100), default=lambda: date.today().year,
                           show_default="今年", help="评价年度。")
archive_option = click.option("--archive", "archive_dir", type=click.Path(file_okay=False, path_type=Path),
                              default=DEFAULT_ARCHIVE, show_default=True, help="年度结果档案目录。")

returns_argument = click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path),
                                  metavar="回收目录或文件...")


def returns_inputs(func: F) -> F:
    """The returns to read and what they are read against (validate and build): paths, --register, --year,
    --standard, in that order in the help."""
    for option in reversed((returns_argument, register_option, year_option, standard_option)):
        func = option(func)
    return func
