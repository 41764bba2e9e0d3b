"""`hallscore mail …`: templates out to every city, problems back to senders, reminders; drafts or SMTP."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar, cast, overload

import click

from generator.cli.errors import ChineseGroup, ChineseUsageError, UserError, user_errors
from generator.intake.meta_year import templates_years
from generator.mail.compose import (
    ReportFormError,
    at_nine,
    problem_drafts,
    reminder_drafts,
    report_from_dict,
    template_drafts,
)
from generator.mail.contacts import load_contacts
from generator.mail.send import Draft, check_sender, parse_server, write_drafts
from generator.mail.send import send as send_mail
from generator.rules.config import Config
from generator.rules.register import Hall, load_register

F = TypeVar("F", bound=Callable[..., object])
# An intake report as validate --json (or the archive's intake.json) wrote it, checked by report_from_dict.
IntakeJson = dict[str, object]

PASSWORD_ENV = "HALLSCORE_SMTP_PASSWORD"


@overload
def _existing(kind: str, path: Path, folder: bool = False) -> Path:
    ...


@overload
def _existing(kind: str, path: Path | None, folder: bool = False) -> Path | None:
    ...


def _existing(kind: str, path: Path | None, folder: bool = False) -> Path | None:
    """A path given on the command line that must be there: a missing one is a usage error (exit 2), as click
    says for the other commands' paths."""
    if path is not None and not (path.is_dir() if folder else path.is_file()):
        raise ChineseUsageError(f"{kind} {path} 不存在" + ("或不是目录" if folder else "或不是文件") + ",请检查路径",
                          click.get_current_context(silent=True))
    return path


def _day(text: str | None, what: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ChineseUsageError(f"{what}应为 YYYY-MM-DD 格式的日期,实际为“{text}”",
                          click.get_current_context(silent=True)) from None


def _deadline_text(text: str | None, sent: date | None = None) -> str:
    """The deadline as the body says it; one before the mail's date (--date, or today) is refused."""
    day = _day(text, "截止日期 --deadline ")
    if day is None:
        return ""
    sent = sent or date.today()
    if day < sent:
        raise UserError(f"截止日期 --deadline {day.isoformat()} 早于邮件日期 {sent.isoformat()};请给出今后的日期")
    return f"{day.year} 年 {day.month} 月 {day.day} 日"


def _common(func: F) -> F:
    options = [
        click.option("--out", "outbox", required=True, type=click.Path(file_okay=False, path_type=Path),
                     help="发件箱目录:写入 .eml 草稿(Outlook 打开即可发送),以及已发送记录 sent.jsonl。"),
        click.option("--from", "sender", required=True, envvar="HALLSCORE_MAIL_FROM",
                     help="发件人,如 “省公司服务管理 <fw@example.cn>”;也可放在环境变量 HALLSCORE_MAIL_FROM 中。"),
        click.option("--date", "date_text", help="邮件日期 YYYY-MM-DD(草稿的 Date 头;默认见各命令说明)。"),
        click.option("--body-template", type=click.Path(path_type=Path),
                     help="自定义的邮件模板(Jinja2 文本,第一行为主题),默认使用内置模板。"),
        click.option("--send", is_flag=True, help="直接通过 SMTP 发送(已发送过的不会重发),而不只是写草稿。"),
        click.option("--smtp", "smtp_server", help="SMTP 服务器 主机:端口,如 smtp.example.cn:465。"),
        click.option("--starttls", is_flag=True, help="连接后用 STARTTLS 加密(常用端口 587)。"),
        click.option("--ssl", "use_ssl", is_flag=True, help="用 SSL 连接(常用端口 465)。"),
        click.option("--smtp-user", help=f"SMTP 登录用户名;密码只从环境变量 {PASSWORD_ENV} 读取。"),
        click.option("--smtp-cafile", type=click.Path(path_type=Path),
                     help="校验 SMTP 服务器证书用的 CA 证书文件(PEM),用于单位内部 CA 签发的证书。"),
        click.option("--rate", type=click.FloatRange(0.1, 100000), default=20, show_default=True,
                     help="发送速度上限(封/分钟)。"),
        click.option("--intranet-domain", "intranet", multiple=True, metavar="域名",
                     help="接受这个单段域名的邮箱地址(如内网的 @mail 或 @localhost,默认不接受);可重复。"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _deliver(drafts: list[Draft], outbox: Path, send: bool, smtp_server: str | None, starttls: bool, use_ssl: bool,
             smtp_user: str | None, smtp_cafile: Path | None, rate: float, what: str) -> None:
    if not send:
        paths = write_drafts(drafts, outbox)
        click.echo(f"已写入 {len(paths)} 封{what}草稿(X-Unsent,Outlook 打开即可发送):{Path(outbox).resolve()}")
        return
    if not smtp_server:
        raise UserError("使用 --send 时须给出 --smtp 主机:端口")
    if starttls and use_ssl:
        raise UserError("--starttls 与 --ssl 只能选一个")
    host, port = parse_server(smtp_server)
    password = os.environ.get(PASSWORD_ENV)
    if smtp_user and password is None:
        raise UserError(f"给了 --smtp-user,但环境变量 {PASSWORD_ENV} 中没有密码")
    result = send_mail(drafts, outbox, host, port, "ssl" if use_ssl else "starttls" if starttls else "none",
                       smtp_user, password, rate,
                       cafile=str(_existing("CA 证书文件", smtp_cafile)) if smtp_cafile else None)
    # The record of what went out now, beside sent.jsonl (earlier ones keep their files).
    write_drafts([d for d in drafts if d.message_id in set(result.sent)], outbox, unsent=False)
    click.echo(f"{what}:本次发送 {len(result.sent)} 封,以前已发送(跳过){len(result.skipped)} 封")
    for message_id, addr, answer in result.refused:
        click.echo(f"  ✗ 收件人被拒收:{addr}({answer})邮件 {message_id}")
    for message_id, reason in result.failed:
        click.echo(f"  ✗ 未发出:{message_id}({reason}),重新运行将再次尝试")
    if result.refused or result.failed:
        raise SystemExit(1)


@click.group(cls=ChineseGroup)
def mail() -> None:
    """邮件:向各市下发检查表、给被退回的检查人回信、催报未回传的营业厅。

    \b
    示例:(典型流程)
      hallscore templates --register 清单.xlsx --out 检查表/ --zip
      hallscore mail templates --contacts 联系人.xlsx --templates 检查表/ --out 发件箱/ --from fw@example.cn
      hallscore validate 收件箱.mbox --register 清单.xlsx --json 校验结果.json
      hallscore mail problems --json 校验结果.json --contacts 联系人.xlsx --out 发件箱/退回/ --from fw@example.cn
      hallscore mail reminders --register 清单.xlsx --contacts 联系人.xlsx --json 校验结果.json --out 发件箱/催报/ --from fw@example.cn
    """


@mail.command(name="templates")
@click.option("--contacts", "contacts_path", required=True, type=click.Path(path_type=Path),
              help="联系人清单(.xlsx 或 .csv):省、市、联系人、邮箱(可多个)、抄送(可选)。")
@click.option("--templates", "templates_dir", required=True, type=click.Path(path_type=Path),
              help="hallscore templates --zip 的输出目录(内有 <省>/<市>.zip)。")
@click.option("--deadline", help="回传截止日期 YYYY-MM-DD,写入正文。")
@click.option("--register", "register_path", type=click.Path(path_type=Path),
              help="营业厅清单:给出时检查每个市都有联系人,并写明各市营业厅数。")
@click.option("--year", type=click.IntRange(2000, 2100),
              help="评价年度,写入主题和附件名;默认取检查表 _meta 中的年度,给出时须与之相符。")
@_common
@user_errors
def templates_command(contacts_path: Path, templates_dir: Path, deadline: str | None, register_path: Path | None,
                      year: int | None, outbox: Path, sender: str, date_text: str | None, body_template: Path | None,
                      send: bool, smtp_server: str | None, starttls: bool, use_ssl: bool, smtp_user: str | None,
                      smtp_cafile: Path | None, rate: float, intranet: tuple[str, ...]) -> None:
    """每个市一封邮件,附该市检查表 zip 包;默认写成 .eml 草稿,加 --send 直接发送。

    邮件日期默认为检查表生成的时间(zip 包内的时间),同样的输入重跑得到相同的文件。

    \b
    示例:
      hallscore mail templates --contacts 联系人.xlsx --templates 检查表/ --out 发件箱/ \\
        --from "省公司 <fw@example.cn>" --deadline 2025-06-30 --register 清单.xlsx --year 2025
    """
    sender = check_sender(sender, intranet)
    _existing("联系人清单", contacts_path)
    _existing("检查表目录", templates_dir, folder=True)
    _existing("邮件模板", body_template)
    halls = load_register(_existing("营业厅清单", register_path)) if register_path else None
    contacts = load_contacts(contacts_path, halls, intranet)
    day = _day(date_text, "邮件日期 --date ")
    year = _templates_year(templates_dir, year)
    drafts = template_drafts(contacts, templates_dir, year, sender, _deadline_text(deadline, day), halls,
                             at_nine(day) if day else None, body_template)
    _deliver(drafts, outbox, send, smtp_server, starttls, use_ssl, smtp_user, smtp_cafile, rate, "检查表下发邮件")


def _templates_year(templates_dir: Path, given: int | None) -> int:
    """The year the templates carry in _meta; --year must agree with it (a typo would label every mail wrongly)."""
    where = templates_years(templates_dir)
    if len(where) > 1:
        listed = ";".join(f"{y} 年 {len(n)} 份(如 {n[0]})" for y, n in where.items())
        raise UserError(f"检查表目录 {templates_dir} 中的检查表年度不一:{listed};请只放同一年度的检查表")
    if not where:
        if not any(templates_dir.glob("*/*.zip")):  # the wrong folder, or templates made without --zip
            raise UserError(f"检查表目录 {templates_dir} 中没有各市的 zip 包(<省>/<市>.zip);请先运行 hallscore templates "
                         f"--register 清单.xlsx --out {templates_dir} --zip,或用 --templates 指向它的输出目录")
        if given is None:
            raise UserError(f"检查表目录 {templates_dir} 的检查表中没有年度信息;请用 --year 指定年度")
        return given
    (found,) = where
    if given is not None and given != found:
        raise UserError(f"--year {given} 与检查表 _meta 中的年度 {found} 不符;请去掉 --year 或改为 {found}")
    return found


def _reminders_year(json_path: Path | None, archive_dir: Path | None, given: int | None) -> int:
    """The year a reminder is about: --year, else the validate report's, else the archive's latest year."""
    if given is not None:
        return given
    if json_path is not None:
        found = _intake(json_path, None, None).get("year")
        if isinstance(found, int):
            return found
    elif archive_dir is not None:
        years = sorted(int(p.parent.name) for p in archive_dir.glob("*/intake.json") if p.parent.name.isdigit())
        if years:
            return years[-1]
    raise UserError("校验结果中没有年度信息;请用 --year 指定年度")


def _report_given(json_path: Path | None, archive_dir: Path | None) -> None:
    if json_path is None and archive_dir is None:
        raise ChineseUsageError("请给出 --json(validate --json 写出的校验结果)或 --archive(年度档案目录)",
                          click.get_current_context(silent=True))


def _intake(json_path: Path | None, archive_dir: Path | None, year: int | None) -> IntakeJson:
    _report_given(json_path, archive_dir)
    advice = "请重新运行 hallscore validate --json 生成,或改用 --archive 读取档案中的 intake.json"
    if json_path is None:
        assert archive_dir is not None  # one of the two is given (checked above)
        year = year or date.today().year
        json_path = archive_dir / str(year) / "intake.json"
        if not json_path.is_file():
            raise UserError(f"档案目录 {archive_dir} 中没有 {year} 年的校验结果({year}/intake.json);请用 --year 指定"
                         f"档案中已有的年度,或先用 hallscore build 生成该年度")
        advice = "该文件已损坏或被手工改动,请从备份恢复,或用 hallscore build 重新生成该年度"
    _existing("校验结果", json_path)
    try:
        data = json.loads(json_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise UserError(f"校验结果 {json_path} 不是有效的 JSON 文件(或嵌套过深);{advice}") from None
    try:
        report_from_dict(data)
    except ReportFormError as exc:  # hand-edited, or another program's JSON: which entry, never a traceback
        raise UserError(f"校验结果 {json_path} 不是 hallscore validate --json 写出的校验结果({exc});{advice}") from None
    return cast(IntakeJson, data)  # report_from_dict accepted it: a JSON object


def _rated(archive_dir: Path | None, year: int) -> Callable[[Hall], bool]:
    """Which halls the year rates: as its archived results recorded the configuration, else the default."""
    recorded = archive_dir / str(year) / "results.json" if archive_dir is not None else None
    if recorded is not None and recorded.is_file():
        try:
            config = json.loads(recorded.read_text(encoding="utf-8")).get("config") or {}
            levels, types = tuple(config["levels"]), tuple(config["hall_types"])
            return lambda hall: hall.level in levels and hall.type in types
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # a damaged record costs only the year's own scope: the default one is used
    return Config(year=year).evaluated


@mail.command(name="problems")
@click.option("--json", "json_path", type=click.Path(path_type=Path),
              help="hallscore validate --json 写出的校验结果(或档案中的 intake.json)。")
@click.option("--archive", "archive_dir", type=click.Path(path_type=Path), help="年度档案目录(读其中的 intake.json)。")
@click.option("--year", type=click.IntRange(2000, 2100), help="与 --archive 一起用:年度,默认今年。")
@click.option("--contacts", "contacts_path", required=True, type=click.Path(path_type=Path),
              help="联系人清单:只回复清单中的发件人(按联系人姓名称呼);其他发件人列出来,请人工核实后回复。")
@click.option("--register", "register_path", type=click.Path(path_type=Path),
              help="营业厅清单:给出时问题清单里写明省、市和厅名称。")
@click.option("--deadline", help="重新发送的截止日期 YYYY-MM-DD。")
@_common
@user_errors
def problems_command(json_path: Path | None, archive_dir: Path | None, year: int | None, contacts_path: Path,
                     register_path: Path | None, deadline: str | None, outbox: Path, sender: str,
                     date_text: str | None, body_template: Path | None, send: bool, smtp_server: str | None,
                     starttls: bool, use_ssl: bool, smtp_user: str | None, smtp_cafile: Path | None, rate: float,
                     intranet: tuple[str, ...]) -> None:
    """给每封有被退回检查表的来信写回复(In-Reply-To),逐条列出问题并附该发件人的问题清单.xlsx。

    只回复联系人清单中的发件人;每封来信只回复一次(重新导出或改名的邮箱不会再发);已另有通过校验的
    检查表的厅不再回复;hallscore 自己发出的邮件和 --from 地址从不回复。邮件日期默认为今天。
    来自文件夹(不是邮件)的退回文件和不在联系人清单中的发件人会列出来,请人工处理。

    \b
    示例:
      hallscore mail problems --json 校验结果.json --contacts 联系人.xlsx --register 清单.xlsx \\
        --out 发件箱/退回/ --from fw@example.cn
    """
    sender = check_sender(sender, intranet)
    intake = _intake(json_path, _existing("档案目录", archive_dir, folder=True), year)
    _existing("邮件模板", body_template)
    halls = load_register(_existing("营业厅清单", register_path)) if register_path else ()
    contacts = load_contacts(_existing("联系人清单", contacts_path), intranet=intranet)
    day = _day(date_text, "邮件日期 --date ")
    replies = problem_drafts(intake, sender, halls, _deadline_text(deadline, day), at_nine(day) if day else None,
                             body_template, contacts)
    unmailed = replies.unmailed
    if unmailed:
        click.echo(f"{len(unmailed)} 份退回的检查表不是从邮件读取的,没有可回复的来信,请用 hallscore validate --report 写出问题清单另行发给检查人:"
                   + "、".join(unmailed[:10]) + ("……" if len(unmailed) > 10 else ""))
    if replies.closed:
        click.echo(f"{len(replies.closed)} 份退回的检查表已另有通过校验的检查表(已更正),不再回复。")
    if replies.by_hand:
        click.echo(f"{len(replies.by_hand)} 封来信未写回复,请人工核实后处理:")
        for who, why in replies.by_hand[:30]:
            click.echo(f"  - {who}:{why}")
    _deliver(replies.drafts, outbox, send, smtp_server, starttls, use_ssl, smtp_user, smtp_cafile, rate,
             "退回说明邮件")


@mail.command(name="reminders")
@click.option("--register", "register_path", required=True, type=click.Path(path_type=Path), help="营业厅清单。")
@click.option("--contacts", "contacts_path", required=True, type=click.Path(path_type=Path), help="联系人清单。")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="hallscore validate --json 写出的校验结果。")
@click.option("--archive", "archive_dir", type=click.Path(path_type=Path), help="年度档案目录(读其中的 intake.json)。")
@click.option("--year", type=click.IntRange(2000, 2100),
              help="评价年度,写入主题;默认取校验结果中的年度(--archive 时为档案中最近的年度),给出时须与之相符。")
@click.option("--deadline", help="回传截止日期 YYYY-MM-DD(不得早于邮件日期)。")
@_common
@user_errors
def reminders_command(register_path: Path, contacts_path: Path, json_path: Path | None, archive_dir: Path | None,
                      year: int | None, deadline: str | None, outbox: Path, sender: str, date_text: str | None,
                      body_template: Path | None, send: bool, smtp_server: str | None, starttls: bool,
                      use_ssl: bool, smtp_user: str | None, smtp_cafile: Path | None, rate: float,
                      intranet: tuple[str, ...]) -> None:
    """每个市一封催报邮件,列出尚无通过校验的检查表的营业厅;全部收齐的市不发。邮件日期默认为今天。

    \b
    示例:
      hallscore mail reminders --register 清单.xlsx --contacts 联系人.xlsx --json 校验结果.json \\
        --out 发件箱/催报/ --from fw@example.cn --deadline 2025-06-30
    """
    sender = check_sender(sender, intranet)
    _report_given(json_path, archive_dir)
    halls = load_register(_existing("营业厅清单", register_path))
    contacts = load_contacts(_existing("联系人清单", contacts_path), halls, intranet)
    year = _reminders_year(json_path, _existing("档案目录", archive_dir, folder=True), year)
    intake = _intake(json_path, archive_dir, year)
    if json_path is not None and intake.get("year") not in (None, year):
        raise UserError(f"--year {year} 与校验结果 {json_path} 的年度 {intake['year']} 不符;请去掉 --year 或改为 {intake['year']}")
    _existing("邮件模板", body_template)
    day = _day(date_text, "邮件日期 --date ")
    drafts = reminder_drafts(intake, halls, contacts, year, sender, _deadline_text(deadline, day),
                             at_nine(day) if day else None, body_template, _rated(archive_dir, year))
    _deliver(drafts, outbox, send, smtp_server, starttls, use_ssl, smtp_user, smtp_cafile, rate, "催报邮件")
