"""Command line: parses arguments, calls one library function per command, prints a short summary.

Only this module knows the default file layout (``archive/``, ``site/``, ``demo/``).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import click
from click.core import ParameterSource

from . import (
    __version__,
    cli_zh,  # noqa: F401  (first: click's own texts in Chinese before any option is declared)
)
from .build import BuildOptions, BuildSummary, build, rebuild_site, validate
from .errors import HallscoreError, NothingAcceptedError
from .forms import issue_templates, write_master
from .fsutil import write_json_atomic
from .intake import IGNORED, REJECTED, STATUS_LABELS, STATUSES, IntakeReport
from .problems import CATALOGUE
from .register import Hall, load_register, write_register
from .standard import Standard, load_standard
from .terms import LEVELS, TIERS

DEFAULT_ARCHIVE = Path("archive")
DEFAULT_SITE = Path("site")


def fatal_errors(func):
    """Turn a fatal library error into one clear line and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except HallscoreError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


class InputError(click.ClickException):
    """A register or standard that cannot be used: exit 2, since validate's 1 means 'files were rejected'."""

    exit_code = 2


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

returns_argument = click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path),
                                  metavar="回收目录或文件...")


def returns_inputs(func):
    """The returns to read and what they are read against (validate and build): paths, --register, --year,
    --standard, in that order in the help."""
    for option in reversed((returns_argument, register_option, year_option, standard_option)):
        func = option(func)
    return func


def _said(exc: OSError) -> OSError | click.ClickException:
    """A failed read or write as one Chinese line; a closed pipe (``… | head``) is left to click, which ends
    quietly."""
    import errno

    from .errors import os_error_message

    return exc if exc.errno == errno.EPIPE else click.ClickException(os_error_message(exc))


class _Main(click.Group):
    """Every command: a failed read or write (disk full, read-only, permissions) is one Chinese line with the
    path and what to do, exit 1, never a traceback."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:  # --help and --version print while the arguments are parsed: a full disk there too
            return super().make_context(info_name, args, parent, **extra)
        except OSError as exc:
            raise _said(exc) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except OSError as exc:
            raise _said(exc) from None
        except RecursionError:
            raise click.ClickException("输入文件嵌套过深,无法读取(可能被手工改坏):请检查最近改动过的档案或输入文件"
                                       "后重新运行") from None


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hallscore")
def main():
    """hallscore:营业厅服务评价 —— 生成检查表、校验回收的检查表、评分定级并生成结果站点。

    \b
    典型流程:
      hallscore templates --register 清单.xlsx --out 检查表/
      hallscore validate 回收/ --register 清单.xlsx
      hallscore build 回收/ --register 清单.xlsx --year 2025
    """
    import warnings

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
@fatal_errors
def templates(register_path, out_dir, year, standard_path, zip_by_city, master, config_path=None,
              include_unrated=False):
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
    from .paths import check_outputs

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


def _rules(standard, config_path, year):
    """The year's rules for the workbooks: the configuration file's year must agree with --year when given."""
    from .config import Config, load_config
    from .rules import Rules

    source = click.get_current_context().get_parameter_source("year")
    explicit = source is not None and source.name != "DEFAULT"
    config = load_config(config_path, year if explicit else None, default_year=year) if config_path else None
    return Rules.of(standard, config or Config(year=year))


@main.command(name="validate")
@returns_inputs
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="把每个文件的状态和问题写入 JSON 文件。")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="把问题清单(按省、市分组,每个问题一行)写入文件,可直接发回检查人:.xlsx 为 Excel 工作簿,"
                   ".csv 为 CSV(UTF-8),其他后缀拒绝。")
@workers_option
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="校验结果缓存目录(按文件内容哈希);不给则不用缓存。")
def validate_command(paths, register_path, year, standard_path, json_path, report_path, workers, cache_dir):
    """校验回收的检查表:每个文件给出状态(已接收/已退回/已被替代/已忽略)和问题。

    退出码:0 没有待重报的退回文件(退回后同一厅同一轮次已有更正并被接收的,算已更正);1 有待重报的退回文件;
    2 参数、营业厅清单或评价标准有误。

    \b
    示例:
      hallscore validate 回收/ --register 清单.xlsx --year 2025 --json 校验结果.json --report 问题清单.xlsx
    """
    from .paths import check_outputs
    from .report_xlsx import REPORT_SUFFIXES, write_report

    if click.get_current_context().get_parameter_source("year") is ParameterSource.DEFAULT:
        year = _year_of_returns(paths, year)
    try:
        check_outputs([("检查表路径", p) for p in paths] + [("营业厅清单", register_path), ("评价标准", standard_path)],
                      [("校验结果文件", json_path), ("问题清单", report_path), ("缓存目录", cache_dir)])
        # The suffix decides the format: a report named .csv is CSV, not an xlsx under a wrong name.
        if report_path is not None and report_path.suffix.lower() not in REPORT_SUFFIXES:
            raise click.BadParameter(f"文件名应以 {' 或 '.join(REPORT_SUFFIXES)} 结尾(按后缀写成 Excel 工作簿或 CSV),"
                                     f"现为“{report_path.name}”", param_hint="--report")
        if json_path is not None and json_path.suffix.lower() != ".json":
            raise click.BadParameter(f"文件名应以 .json 结尾,现为“{json_path.name}”", param_hint="--json")
        with _Progress() as progress:
            report = validate(paths, register_path, year, standard_path, workers=workers, cache_dir=cache_dir,
                              progress=progress)
        if json_path:
            write_json_atomic(json_path, {**report.to_dict(), "year": year})  # mail reminders reads the year
        if report_path:
            write_report(report_path, report, load_register(register_path), year)
    except HallscoreError as exc:
        raise InputError(str(exc)) from exc
    _print_intake(report, details=True)
    if json_path:
        click.echo(f"JSON:{json_path}")
    if report_path:
        click.echo(f"问题清单:{report_path}")
    # A wrong path is not "all well": nothing but other files found (hallscore's own mail means the right inbox).
    if all(f.status == IGNORED for f in report.files) and not _own_files(report):
        for f in report.files[:20]:
            click.echo(f"  {f.path}:{f.note or '不是检查表'}")
        click.echo(f"错误:在 {'、'.join(str(p) for p in paths)} 中没有找到检查表(.xlsx),共 {len(report.files)} 个文件,"
                   f"都不是检查表;请核对路径是否是存放回收检查表的文件夹或邮件文件。", err=True)
        raise SystemExit(1)
    raise SystemExit(0 if report.ok else 1)


def _year_of_returns(paths: Iterable[Path], fallback: int) -> int:
    """Without --year, the year the returns carry in _meta (the most common one), said out loud."""
    from .meta_year import years_found

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


@main.command(name="build")
@returns_inputs
@click.option("--archive", "archive_dir", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_ARCHIVE, show_default=True, help="年度结果档案目录。")
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
@fatal_errors
def build_command(paths, register_path, year, standard_path, archive_dir, site_dir, strict, config_path,
                  overrides_path, decisions_paths, workers, cache_dir, no_cache):
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
        year = _year_of_returns(paths, year)
    if no_cache:
        cache_dir = None
    elif cache_dir is None:
        cache_dir = Path(archive_dir).parent / ".hallscore-cache"
    try:
        with _Progress() as progress:
            options = BuildOptions.from_files(paths, register_path, archive_dir, year, config_path, year_explicit,
                                              site_dir=site_dir, standard_path=standard_path, strict=strict,
                                              overrides_path=overrides_path, workers=workers, cache_dir=cache_dir,
                                              decisions_paths=decisions_paths)
            summary = build(options, progress=progress)
    except NothingAcceptedError as exc:
        _print_intake(exc.report, details=False)
        click.echo(f"错误:{exc}", err=True)
        raise SystemExit(1) from exc
    _print_build(summary)


@main.command(name="site")
@click.option("--archive", "archive_dir", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_ARCHIVE, show_default=True, help="年度结果档案目录。")
@click.option("--site-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_SITE,
              show_default=True, help="生成的静态站点目录。")
@click.option("--strict", is_flag=True, help="站点构建出现警告即失败。")
@fatal_errors
def site_command(archive_dir, site_dir, strict):
    """只根据年度档案重新生成结果站点(不重新读取检查表)。

    \b
    示例:
      hallscore site --archive archive --site-dir site
    """
    pages = rebuild_site(archive_dir, site_dir, strict=strict)
    click.echo(f"站点已生成({pages} 个页面):{Path(site_dir).resolve() / 'index.html'}")


@main.command()
@click.option("--site-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_SITE,
              show_default=True, help="要预览的站点目录(make demo 的站点在 demo/site)。")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="监听端口。")
def serve(site_dir, port):
    """在本机预览生成的站点(仅监听 127.0.0.1)。

    \b
    示例:
      hallscore serve --site-dir site --port 8000
    """
    import errno
    import http.server

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):  # a broken connection: one Chinese line, no traceback
            click.echo(f"预览服务器处理一个请求时出错(来自 {client_address[0]}),已断开该连接。", err=True)

    if not Path(site_dir).is_dir():  # a newcomer's first try: the default site/ is not where make demo wrote
        raise click.UsageError(f"站点目录 {site_dir} 不存在:请用 --site-dir 指向 hallscore build 或 hallscore site "
                               f"生成的站点目录(make demo 的站点在 demo/site)")
    if not (Path(site_dir) / "index.html").is_file():  # the wrong folder: say so rather than serve a listing
        raise click.ClickException(f"站点目录 {site_dir} 中没有 index.html,不是生成的站点:请用 --site-dir 指向 hallscore build "
                                   f"或 hallscore site 生成的站点目录(make demo 的站点在 demo/site)")
    # Files are served only from within the site's real path: a link inside it that leads out is not followed.
    root = os.path.realpath(site_dir)
    handler = functools.partial(_chinese_handler(), directory=root)
    try:
        httpd = Server(("127.0.0.1", port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise click.ClickException(f"端口 {port} 已被占用(可能另一个预览或程序正在使用它):"
                                       f"请用 --port 指定另一个端口,例如 --port {8001 if port != 8001 else 8002}") from None
        from .why import why

        said = "1024 以下的端口需要管理员权限" if exc.errno in (errno.EACCES, errno.EPERM) else why(exc)
        raise click.ClickException(f"无法在 127.0.0.1:{port} 上启动预览服务器({said}):"
                                   f"请用 --port 换一个端口再试") from None
    with httpd:
        click.echo(f"预览地址:http://127.0.0.1:{port}/ (Ctrl+C 退出)")
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass


@functools.cache
def _chinese_handler():
    """The request handler of ``serve``, made on first use (http.server is imported only there)."""
    import http.server

    class Handler(http.server.SimpleHTTPRequestHandler):
        """Error pages in Chinese and a short Chinese access line instead of the English log format."""

        PAGE = ('<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>{code} {title}</title></head>'
                '<body><h1>{code} {title}</h1><p>{text}</p><p><a href="/index.html">返回首页</a></p></body></html>')
        MESSAGES = {404: ("找不到页面", "站点中没有这个地址,请检查链接或从首页进入。"),
                    403: ("禁止访问", "没有权限读取这个地址。"),
                    400: ("请求无效", "浏览器发来的请求无法识别。"),
                    414: ("地址过长", "请求的地址太长,无法处理。"),
                    431: ("请求头过大", "浏览器发来的请求头太大,无法处理。"),
                    500: ("服务器错误", "预览服务器处理这个请求时出错。"),
                    405: ("方法不允许", "预览服务器只支持读取页面。"),
                    501: ("不支持的请求", "预览服务器只支持读取页面。")}

        def send_error(self, code, message=None, explain=None):
            if code not in self.MESSAGES:
                return super().send_error(code, message, explain)
            title, text = self.MESSAGES[code]
            body = self.PAGE.format(code=int(code), title=title, text=text).encode("utf-8")
            self.send_response(code)  # the status line itself must stay Latin-1
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        MAX_PATH = 4096

        def send_head(self):
            path = self.path
            if len(path) > self.MAX_PATH:
                self.send_error(414)
                return None
            try:
                local = self.translate_path(path)
            except (ValueError, UnicodeError):
                self.send_error(400)
                return None
            if "\x00" in local or "\x00" in path:
                self.send_error(400)
                return None
            root = os.path.realpath(self.directory)
            try:
                real = os.path.realpath(local)
            except (OSError, ValueError):
                self.send_error(404)
                return None
            if real != root and not real.startswith(root + os.sep):
                self.send_error(404)  # a link inside the site that leads out of it
                return None
            try:
                return super().send_head()
            except (OSError, ValueError):
                self.send_error(404)
                return None

        def handle_one_request(self):
            try:
                self._one_request()
            except (ConnectionError, TimeoutError):
                self.close_connection = True
            except Exception:  # noqa: BLE001 (no traceback reaches the terminal for any request)
                self.close_connection = True
                try:
                    self.send_error(500)
                except Exception:  # noqa: BLE001
                    pass

        def _one_request(self):
            """http.server's handle_one_request, except that an over-long request line is read to its end (up
            to 1 MB), with its headers, before the 414 goes out: closing on unread data resets the connection and loses the answer."""
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                rest, line = 0, self.raw_requestline
                while line and not line.endswith(b"\n") and rest < (1 << 20):
                    line = self.rfile.readline(65536)
                    rest += len(line)
                for _ in range(100):  # and its headers, to the blank line
                    line = self.rfile.readline(65537)
                    if line in (b"\r\n", b"\n", b""):
                        break
                self.requestline = self.request_version = self.command = self.path = ""
                self.close_connection = True
                self.send_error(414)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            method = getattr(self, "do_" + self.command, None)
            if method is None:
                self.send_error(501)
                return
            method()
            self.wfile.flush()

        def log_message(self, format, *args):
            pass

        def log_request(self, code="-", size="-"):
            if str(code).startswith(("4", "5")):
                path = getattr(self, "path", "")
                click.echo(f"{code} {path[:200]}{'…' if len(path) > 200 else ''}", err=True)

    return Handler


@main.command(name="verify")
@click.option("--archive", "archive_dir", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_ARCHIVE, show_default=True, help="年度结果档案目录。")
@click.option("--year", type=click.IntRange(2000, 2100), required=True, help="要核对的年度。")
@fatal_errors
def verify_command(archive_dir, year):
    """只用档案中保存的输入(检查表、营业厅清单、年度配置、评价标准、裁定、答复的名单)在临时目录中重建该年度,
    逐字节比较 results.json 和上报名单:一致时打印“一致”,否则逐条列出不同之处并以状态码 1 退出。

    \b
    示例:
      hallscore verify --year 2025 --archive archive
    """
    from .inputs_store import verify_year

    differences = verify_year(archive_dir, year)
    if not differences:
        click.echo(f"{year} 年:一致(results.json 和全部上报名单与只用档案中的输入重建的结果逐字节相同)")
        return
    click.echo(f"{year} 年:不一致,共 {len(differences)} 处:")
    for line in differences:
        click.echo(f"  {line}")
    raise SystemExit(1)


@main.command(name="archive")
@click.option("--archive", "archive_dir", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_ARCHIVE, show_default=True, help="年度结果档案目录。")
@click.option("--year", type=click.IntRange(2000, 2100), required=True, help="要归档的年度。")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="site-<年度>.zip 的输出目录。")
@fatal_errors
def archive_command(archive_dir, year, out_dir):
    """把某一年度的结果站点(该年及以前各年)冻结为 site-<年度>.zip,内含 SHA-256 清单 SHA256SUMS。

    \b
    示例:
      hallscore archive --year 2025 --archive archive --out 归档/
    """
    from .paths import SITE_MARKER, OutputPathError, _inside, _real
    from .site import freeze_year

    # The zip is an output like any other: never into the archive it is made from, nor into a site folder
    # that the next build replaces whole.
    out, archive = _real(out_dir), _real(archive_dir)
    if _inside(out, archive):
        raise OutputPathError(f"输出目录 {out_dir} 在档案目录 {archive_dir} 之中(或就是它);归档文件会混入档案,已停止。"
                              f"请用 --out 另选一个档案目录之外的目录。")
    for folder in (out, *out.parents):
        if (folder / SITE_MARKER).is_file():
            raise OutputPathError(f"输出目录 {out_dir} 在 hallscore 生成的站点 {folder} 之中,下次生成站点时会被整体替换;"
                                  f"已停止。请用 --out 另选站点之外的目录。")
    from .build import recover_year
    from .fsutil import BuildLock
    from .journal import journal_path

    if os.path.lexists(journal_path(archive_dir)):  # (a read-only archive without one is frozen as it is)
        with BuildLock(archive_dir, wait=10.0):
            recover_year(archive_dir)  # a commit a killed build left: the zip is of the committed pair
    frozen = freeze_year(archive_dir, year, out_dir)
    click.echo(f"已归档 {frozen['files']} 个文件:{Path(frozen['zip']).resolve()}")
    click.echo(f"SHA-256:{frozen['sha256']}")


@main.command()
@click.option("--halls", type=click.IntRange(31, 100000), default=600, show_default=True, help="营业厅数量。")
@click.option("--seed", type=int, default=2025, show_default=True, help="随机种子(同一种子结果相同)。")
@click.option("--year", type=click.IntRange(2000, 2100), default=2025, show_default=True, help="评价年度。")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("demo"),
              show_default=True, help="演示数据和站点的输出目录。")
@fatal_errors
def demo(halls, seed, year, out_dir):
    """用合成数据跑通两年的全流程:清单 → 检查表 → 自评 → 市级检查 → 良好上报名单 → 省级复核 → 省公司认定 →
    优秀上报名单 → 集团认定 → 省公司补充认定 → 站点。

    \b
    示例:
      hallscore demo --halls 600 --out demo
    """
    from .demo import (
        answer_excellent_lists,
        answer_good_lists,
        fill_freed_places,
        make_demo,
        make_register,
        province_reviews,
    )
    from .shortlist import FOLDER as LISTS

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
    _print_build(summary)


DEMO_MARKER = ".hallscore-demo"


def _demo_folder(out_dir: Path) -> None:
    """The demo rewrites register.xlsx, mail/, the year folders and the archive of ``out_dir``: only a folder that
    is new, empty or an earlier demo's (its marker, or an older demo's register, archive and site) is used."""
    from .paths import SITE_MARKER

    earlier = (out_dir / DEMO_MARKER).is_file() or all(
        (out_dir / name).exists() for name in ("register.xlsx", "archive", f"site/{SITE_MARKER}"))
    if out_dir.is_dir() and any(out_dir.iterdir()) and not earlier:
        raise click.ClickException(f"演示输出目录 {out_dir} 已存在、不是空文件夹,也不是 hallscore demo 生成的(缺少 "
                                   f"{DEMO_MARKER});演示会改写其中的 register.xlsx、mail/ 等,为免覆盖你的文件,已停止。"
                                   f"请用 --out 另选一个新目录,或先清空该目录")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / DEMO_MARKER).write_text("hallscore demo 的输出目录:再次运行 demo 会改写其中的文件。\n", encoding="utf-8")


def _demo_mail(standard: Standard, register: list[Hall], year: int, out_dir: Path, returns_dir: Path) -> dict:
    from .demo import make_mail_demo

    mail = make_mail_demo(standard, register, year, out_dir, returns_dir)
    click.echo(f"    邮件:{mail['drafts']} 封下发草稿 → {mail['outbox']};{mail['moved']} 份检查表改为从 "
               f"{mail['inbox']}({mail['mails']} 封回信)读取")
    return mail


@main.command(name="config")
@click.option("--example", is_flag=True, help="打印带注释的默认年度配置(与仓库中的 hallscore.toml 相同)。")
def config_command(example):
    """年度配置文件(TOML)。加 --example 打印带注释的全部默认值,可重定向保存后修改。

    \b
    示例:
      hallscore config --example > hallscore.toml
      hallscore build 回收/ --register 清单.xlsx --config hallscore.toml
    """
    from .resources import example_config

    if not example:
        raise click.UsageError("请加 --example 打印带注释的默认配置,如:hallscore config --example > hallscore.toml")
    click.echo(example_config(), nl=False)


@main.command(name="problems")
def problems_command():
    """列出所有问题代码及其含义。"""
    for code, kind in CATALOGUE.items():
        click.echo(f"{code:28} {'错误' if kind.severity == 'error' else '提示'}  {kind.title}")


def _own_files(report: IntakeReport) -> list:
    return [f for f in report.files if f.status == IGNORED and "hallscore" in f.note and "发出的" in f.note]


def _print_intake(report: IntakeReport, details: bool) -> None:
    counts = report.counts
    click.echo(f"共 {len(report.files)} 个文件:" + ",".join(f"{STATUS_LABELS[s]} {counts[s]}" for s in STATUSES))
    own = _own_files(report)
    if own:  # said plainly: hallscore's own mail and lists are neither returns nor answered
        click.echo(f"其中 {len(own)} 项是 hallscore 自己发出的邮件或文件(如抄送给管理员的下发邮件、问题清单),"
                   "已列为已忽略,不作校验,也不会回复。")
    common = report.problem_counts()[:5]
    if common:
        click.echo("最常见的问题:" + ";".join(f"{CATALOGUE[c].title}({c})× {n}" for c, n in common))
    rejected = [f for f in report.files if f.status == REJECTED]
    if details and rejected:
        click.echo("\n退回的文件:")
        click.echo(f"  {'文件':40}  {'厅编码':10}  {'错误数':>4}  首个问题")
        for f in rejected:
            errors = [p for p in f.problems if p.severity == "error"]
            first = f"{errors[0].code} {errors[0].sheet}{errors[0].cell}".strip() if errors else ""
            click.echo(f"  {f.path:40}  {f.hall_id or '-':10}  {len(errors):>4}  {first}")
        for f in rejected:
            click.echo(f"\n✗ {f.path}")
            for p in f.problems:
                where = " ".join(x for x in (p.sheet, p.cell) if x)
                click.echo(f"  [{p.code}] {where + ':' if where else ''}{p.message}")
    corrected = [f for f in report.files if f.corrected_by]
    if details and corrected:
        click.echo(f"\n已更正的退回文件 {len(corrected)} 个(同一厅同一轮次的更正已接收,不再计为退回):")
        for f in corrected:
            click.echo(f"  {f.path}  → {f.corrected_by}")


_STAGE_LABELS = {"intake": "读取并校验检查表", "scoring": "评分定级", "archive": "写入档案", "site": "生成站点",
                 "load": "载入标准和清单"}


class _Progress:
    """Progress on stderr: a bar for stages that count their steps, a line for the others; silent off a terminal.

    stdout keeps only the results, so scripts that read it see the same lines as before.
    """

    def __init__(self):
        self.bar = None
        self.stage = None
        self.err = sys.stderr

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._close()

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if stage != self.stage:
            self._close()
            self.stage = stage
            if total is None:
                if self.err.isatty():
                    click.echo(f"{_STAGE_LABELS.get(stage, stage)}…", err=True)
                return
            self.bar = click.progressbar(length=total, label=_STAGE_LABELS.get(stage, stage), file=self.err,
                                         show_pos=True, show_eta=True)
            self.bar.__enter__()
        if self.bar is not None and done:
            self.bar.update(done)

    def _close(self):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


ANSWER_STATUS = {"applied": "已采用", "set-aside": "未采用(名单已改变)", "replaced": "未采用(已被更新的答复取代)",
                 "empty": "未采用(未填写)"}


def answer_lines(answers: list, filled_in_archive: list) -> list[str]:
    """What the build did with each answered list it read (逐级认定): one line each, in Chinese."""
    lines = [f"读取上报名单答复 {len(answers)} 份:" if answers else "本次没有交回上报名单答复(--decisions)"]
    for a in answers:
        counts = f"认定 {a['recognised']} 个 / 不认定 {a['refused']} 个"
        why = f";{a['why']}" if a.get("why") else ""
        lines.append(f"  {a['file']}({a['scope']}{a['tier']}名单,{a['level']}公司,{a['date'] or '无日期'}):"
                     f"{ANSWER_STATUS.get(a['status'], a['status'])},{counts}{why}")
    for name in filled_in_archive:
        lines.append(f"  档案目录中的 {name} 已填写认定结果,但不会被采用:请把它复制到档案目录之外,"
                     f"用 --decisions 交回")
    return lines


def _print_build(summary: BuildSummary) -> None:
    _print_intake(summary.intake, details=False)
    tally = summary.tally
    tiers, waiting, recognised = tally["tiers"], tally["waiting"], tally["recognised"]
    order = {t: n for n, t in enumerate(TIERS)}
    click.echo(f"{summary.year} 年:{tally['halls']} 个营业厅," +
               ",".join(f"{t} {n}" for t, n in sorted(tiers.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))))
    if tally.get("claims"):
        claims = tally["claims"]
        click.echo("另有未排名、不占名额的申报(只有自评,或市级检查待重报):" +
                   ",".join(f"{t} {claims[t]}" for t in TIERS if t in claims))
    click.echo(f"逐级认定:已认定 {recognised} 个;" + (",".join(f"待{level}认定 {waiting[level]}"
                                                        for level in LEVELS if level in waiting) or "无待认定"))
    for line in answer_lines(summary.answers, summary.filled_in_archive):
        click.echo(line)
    times = ",".join(f"{_STAGE_LABELS.get(k, k)} {v:.1f} 秒" for k, v in summary.seconds.items())
    click.echo(f"用时:{times}(合计 {sum(summary.seconds.values()):.1f} 秒)")
    intake_s = summary.seconds.get("intake", 0.0)
    rate = f",{summary.files_read / intake_s:.0f} 份/秒" if summary.files_read and intake_s > 0 else ""
    click.echo(f"检查表:新读取 {summary.files_read} 份,缓存命中 {summary.cache_hits} 份"
               f"({summary.workers} 个进程{rate})" + (f";站点 {summary.pages} 个页面" if summary.pages else "")
               + (",输入未变,沿用上次生成的站点" if summary.site_reused else ""))
    click.echo(f"档案:{(summary.archive_dir / str(summary.year) / 'results.json').resolve()}")
    if summary.site_dir is not None:
        click.echo(f"站点:{(summary.site_dir / 'index.html').resolve()}")


from .cli_mail import mail as _mail  # noqa: E402  (the mail group lives in its own module)

main.add_command(_mail)
from .cli_standard import standard_group as _standard  # noqa: E402

main.add_command(_standard)
cli_zh.chinese_usage(main)

if __name__ == "__main__":
    main()
