"""``hallscore demo``: two years of the whole procedure on synthetic data, into a folder of its own."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import click

from generator.build import BuildOptions, build
from generator.cli.errors import UserError, user_errors
from generator.cli.summary import print_build
from generator.demo import make_demo, make_register, province_reviews
from generator.demo_answers import answer_excellent_lists, answer_good_lists, fill_freed_places
from generator.demo_mail import MailDemo, make_mail_demo
from generator.evaluate.shortlist import FOLDER as LISTS
from generator.fs.paths import SITE_MARKER
from generator.rules.register import Hall, write_register
from generator.rules.standard import Standard
from generator.rules.standard_load import load_standard


@click.command()
@click.option("--halls", type=click.IntRange(31, 100000), default=600, show_default=True, help="营业厅数量。")
@click.option("--seed", type=int, default=2025, show_default=True, help="随机种子(同一种子结果相同)。")
@click.option("--year", type=click.IntRange(2000, 2100), default=2025, show_default=True, help="评价年度。")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("demo"),
              show_default=True, help="演示数据和站点的输出目录。")
@user_errors
def demo(halls: int, seed: int, year: int, out_dir: Path) -> None:
    """用合成数据跑通两年的全流程:清单 → 检查表 → 自评 → 市级检查 → 良好上报名单 → 省级复核 → 省公司认定 →
    优秀上报名单 → 集团认定 → 省公司补充认定 → 站点。

    \b
    示例:
      hallscore demo --halls 600 --out demo
    """
    _demo_folder(out_dir)
    standard = load_standard()
    register = make_register(halls, seed)
    register_path = out_dir / "register.xlsx"
    write_register(register, register_path)
    click.echo(f"生成营业厅清单:{len(register)} 个营业厅 → {register_path}")
    workers = os.cpu_count() or 1
    archive, cache = out_dir / "archive", out_dir / ".hallscore-cache"
    for n, y in enumerate((year - 1, year)):
        last = y == year
        made = make_demo(standard, register, y, out_dir, seed + n, workers=workers, earlier=not last,
                         subdir=str(y), city_share=0.85)
        click.echo(f"{y} 年 1/6 自评与市级检查:{made['return_count']} 份回收检查表(其中 {made['faulty']} 份有错)")
        sources = [made["returns"]]
        if last:  # the email loop: drafts out, part of the returns back from a mailbox
            sources.append(_demo_mail(standard, register, y, out_dir, made["returns"])["inbox"])
        options = functools.partial(BuildOptions.from_files, sources, register_path, archive, y, workers=workers,
                                    cache_dir=cache)
        first = build(options())
        nominees = [x["hall_id"] for s in first.results["shortlists"] for x in s["nominees"]]
        reviewed = province_reviews(standard, register, y, made["returns"], nominees, seed, workers, not last)
        click.echo(f"{y} 年 2/6 各省对良好上报名单中的营业厅做省级复核(只给得分和问题,不认定):{reviewed} 份")
        lists, answers = archive / str(y) / LISTS, out_dir / str(y)
        second = build(options())
        good = answer_good_lists(lists, answers / "省公司答复", second.results)
        click.echo(f"{y} 年 3/6 各省答复良好上报名单(认定/不认定):{good}")
        third = build(options(decisions_paths=[good]))
        group = answer_excellent_lists(lists, answers / "集团答复", third.results)
        click.echo(f"{y} 年 4/6 集团答复省公司答复后签发的优秀上报名单(有认定也有不认定,不认定的仍为良好):{group}")
        fourth = build(options(decisions_paths=[good, group]))
        newer, filled = fill_freed_places(lists, good, answers / "省公司补充答复", fourth.results)
        click.echo(f"{y} 年 5/6 集团认定优秀后空出的良好名额,由省公司较新的答复补上 {filled} 个:{newer}")
        summary = build(options(site_dir=out_dir / "site" if last else None, decisions_paths=[good, group, newer]))
        click.echo(f"{y} 年 6/6 按回收的检查表和答复的名单评分、定级、认定" + ("并生成站点" if last else ""))
    print_build(summary)


DEMO_MARKER = ".hallscore-demo"


def _demo_folder(out_dir: Path) -> None:
    """The demo rewrites register.xlsx, mail/, the year folders and the archive of ``out_dir``: only a folder that
    is new, empty or an earlier demo's (its marker, or an older demo's register, archive and site) is used."""
    earlier = (out_dir / DEMO_MARKER).is_file() or all(
        (out_dir / name).exists() for name in ("register.xlsx", "archive", f"site/{SITE_MARKER}"))
    if out_dir.is_dir() and any(out_dir.iterdir()) and not earlier:
        raise UserError(f"演示输出目录 {out_dir} 已存在、不是空文件夹,也不是 hallscore demo 生成的(缺少 "
                                   f"{DEMO_MARKER});演示会改写其中的 register.xlsx、mail/ 等,为免覆盖你的文件,已停止。"
                                   f"请用 --out 另选一个新目录,或先清空该目录")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / DEMO_MARKER).write_text("hallscore demo 的输出目录:再次运行 demo 会改写其中的文件。\n", encoding="utf-8")


def _demo_mail(standard: Standard, register: list[Hall], year: int, out_dir: Path, returns_dir: Path) -> MailDemo:
    mail = make_mail_demo(standard, register, year, out_dir, returns_dir)
    click.echo(f"    邮件:{mail['drafts']} 封下发草稿 → {mail['outbox']};{mail['moved']} 份检查表改为从 "
               f"{mail['inbox']}({mail['mails']} 封回信)读取")
    return mail
