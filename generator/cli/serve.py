"""``hallscore serve``: preview a built site on 127.0.0.1, with error pages and access lines in Chinese."""

from __future__ import annotations

import errno
import functools
import http.server
import os
import socket
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

import click

from generator.cli.errors import UserError
from generator.cli.options import DEFAULT_SITE
from generator.why import why

ERROR_PAGE = ('<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>{code} {title}</title></head>'
              '<body><h1>{code} {title}</h1><p>{text}</p><p><a href="/index.html">返回首页</a></p></body></html>')
ERROR_MESSAGES = {404: ("找不到页面", "站点中没有这个地址,请检查链接或从首页进入。"),
                  403: ("禁止访问", "没有权限读取这个地址。"),
                  400: ("请求无效", "浏览器发来的请求无法识别。"),
                  414: ("地址过长", "请求的地址太长,无法处理。"),
                  431: ("请求头过大", "浏览器发来的请求头太大,无法处理。"),
                  500: ("服务器错误", "预览服务器处理这个请求时出错。"),
                  405: ("方法不允许", "预览服务器只支持读取页面。"),
                  501: ("不支持的请求", "预览服务器只支持读取页面。")}
MAX_PATH = 4096  # a longer address is answered 414
MAX_REQUEST_LINE = 65536  # http.server's own limit on the request line
MAX_SKIPPED = 1 << 20  # how much of an over-long request line is read before the 414 goes out


class ChineseRequestHandler(http.server.SimpleHTTPRequestHandler):
    """Error pages in Chinese and a short Chinese access line instead of the English log format; files only from
    within the site's real path."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code not in ERROR_MESSAGES:
            return super().send_error(code, message, explain)
        title, text = ERROR_MESSAGES[code]
        body = ERROR_PAGE.format(code=int(code), title=title, text=text).encode("utf-8")
        self.send_response(code)  # the status line itself must stay Latin-1
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_head(self) -> BytesIO | BinaryIO | None:
        refused = self._refused(self.path)
        if refused:
            self.send_error(refused)
            return None
        try:
            return super().send_head()
        except (OSError, ValueError):
            self.send_error(404)
            return None

    def _refused(self, path: str) -> int:
        """The error status a request for ``path`` gets before any file is opened (0: none)."""
        if len(path) > MAX_PATH:
            return 414
        try:
            local = self.translate_path(path)
        except (ValueError, UnicodeError):
            return 400
        if "\x00" in local or "\x00" in path:
            return 400
        root = os.path.realpath(self.directory)
        try:
            real = os.path.realpath(local)
        except (OSError, ValueError):
            return 404
        if real != root and not real.startswith(root + os.sep):
            return 404  # a link inside the site that leads out of it
        return 0

    def handle_one_request(self) -> None:
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

    def _one_request(self) -> None:
        """http.server's handle_one_request, except that an over-long request line is read to its end (up
        to 1 MB), with its headers, before the 414 goes out: closing on unread data resets the connection and
        loses the answer."""
        self.raw_requestline = self.rfile.readline(MAX_REQUEST_LINE + 1)
        if len(self.raw_requestline) > MAX_REQUEST_LINE:
            self._skip_request(self.raw_requestline)
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

    def _skip_request(self, line: bytes) -> None:
        """Read the rest of an over-long request line (up to 1 MB), then its headers, to the blank line."""
        rest = 0
        while line and not line.endswith(b"\n") and rest < MAX_SKIPPED:
            line = self.rfile.readline(MAX_REQUEST_LINE)
            rest += len(line)
        for _ in range(100):
            line = self.rfile.readline(MAX_REQUEST_LINE + 1)
            if line in (b"\r\n", b"\n", b""):
                break

    def log_message(self, format: str, *args: object) -> None:
        pass

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if str(code).startswith(("4", "5")):
            path = getattr(self, "path", "")
            click.echo(f"{code} {path[:200]}{'…' if len(path) > 200 else ''}", err=True)


class PreviewServer(http.server.ThreadingHTTPServer):
    """The preview's server: a broken connection is one Chinese line, no traceback."""

    def handle_error(self, request: socket.socket | tuple[bytes, socket.socket],
                     client_address: tuple[str, int] | str) -> None:
        click.echo(f"预览服务器处理一个请求时出错(来自 {client_address[0]}),已断开该连接。", err=True)


@click.command()
@click.option("--site-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_SITE,
              show_default=True, help="要预览的站点目录(make demo 的站点在 demo/site)。")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="监听端口。")
def serve(site_dir: Path, port: int) -> None:
    """在本机预览生成的站点(仅监听 127.0.0.1)。

    \b
    示例:
      hallscore serve --site-dir site --port 8000
    """
    if not Path(site_dir).is_dir():  # a newcomer's first try: the default site/ is not where make demo wrote
        raise click.UsageError(f"站点目录 {site_dir} 不存在:请用 --site-dir 指向 hallscore build 或 hallscore site "
                               f"生成的站点目录(make demo 的站点在 demo/site)")
    if not (Path(site_dir) / "index.html").is_file():  # the wrong folder: say so rather than serve a listing
        raise UserError(f"站点目录 {site_dir} 中没有 index.html,不是生成的站点:请用 --site-dir 指向 hallscore build "
                                   f"或 hallscore site 生成的站点目录(make demo 的站点在 demo/site)")
    # Files are served only from within the site's real path: a link inside it that leads out is not followed.
    handler = functools.partial(ChineseRequestHandler, directory=os.path.realpath(site_dir))
    try:
        httpd = PreviewServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise _cannot_listen(exc, port) from None
    with httpd:
        click.echo(f"预览地址:http://127.0.0.1:{port}/ (Ctrl+C 退出)")
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass


def _cannot_listen(exc: OSError, port: int) -> UserError:
    if exc.errno == errno.EADDRINUSE:
        return UserError(f"端口 {port} 已被占用(可能另一个预览或程序正在使用它):"
                                    f"请用 --port 指定另一个端口,例如 --port {8001 if port != 8001 else 8002}")
    said = "1024 以下的端口需要管理员权限" if exc.errno in (errno.EACCES, errno.EPERM) else why(exc)
    return UserError(f"无法在 127.0.0.1:{port} 上启动预览服务器({said}):"
                                f"请用 --port 换一个端口再试")
