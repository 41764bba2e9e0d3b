"""An exception said in Chinese for a user: what went wrong, never the exception's name or its English text.

Messages quote :func:`why` where they used to quote ``f"{type(exc).__name__}: {exc}"``; the person reading them
is a service manager or an inspector, who can act on "服务器拒绝连接" but not on "[Errno 111]".
"""

from __future__ import annotations

import errno
import re
import smtplib
import socket
import ssl
import struct
import zipfile
import zlib
from xml.parsers.expat import ExpatError

_AT = re.compile(r"\(at line (\d+), column (\d+)\)")
_CJK = re.compile("[\u4e00-\u9fff]")


def why(exc: BaseException) -> str:
    """A short Chinese phrase for ``exc`` (no trailing punctuation)."""
    # The first that knows ``exc`` speaks: the order of the checks is kept across the helpers (an
    # SSLCertVerificationError is also an SSLError, a ConnectionRefusedError also a ConnectionError and an OSError).
    for reason_of in (_reader_reason, _network_reason, _file_reason, _content_reason):
        reason = reason_of(exc)
        if reason is not None:
            return reason
    if isinstance(exc, ConnectionError):
        return "网络连接中断"
    if isinstance(exc, OSError) and exc.errno is not None:
        return os_reason(exc)
    if isinstance(exc, MemoryError):
        return "内存不足"
    if isinstance(exc, KeyError):
        return "缺少必需的组成部分"
    return "内容无法解析"


def _reader_reason(exc: BaseException) -> str | None:
    """What a YAML, TOML, template or xlsx reader (or our own Chinese ValueError) means; None for other errors."""
    name = type(exc).__name__
    mark = getattr(exc, "problem_mark", None)
    if name.endswith(("ComposerError", "ScannerError", "ParserError", "ConstructorError")) or mark is not None:
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列附近" if mark is not None else "某处"
        said = str(getattr(exc, "problem", "") or "")
        return f"{where}:{said}" if _CJK.search(said) else f"{where}的 YAML 写法不正确(常见原因:缩进不齐、冒号后少空格、引号不成对)"
    if isinstance(exc, ValueError) and _CJK.search(str(exc)):  # our own words (a size bound …): already Chinese
        return str(exc).rstrip("。")
    if name == "TOMLDecodeError":
        at = _AT.search(str(exc))
        where = f"第 {at[1]} 行第 {at[2]} 列附近" if at else "某处"
        return f"{where}写法不正确(常见原因:键名后少了 =、文字没有加引号、方括号不成对)"
    if name == "TemplateSyntaxError":
        return f"第 {getattr(exc, 'lineno', '?')} 行的模板语法有误"
    if name == "InvalidFileException":
        return "不是 xlsx 格式的文件"
    return None


def _network_reason(exc: BaseException) -> str | None:
    """What went wrong talking to the mail server (SMTP, TLS, name, connection, timeout); None for other errors."""
    code = f"(服务器代码 {exc.smtp_code})" if isinstance(exc, smtplib.SMTPResponseException) else ""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "服务器拒绝了用户名或密码" + code
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "服务器中途断开了连接"
    if isinstance(exc, smtplib.SMTPException):
        return "服务器拒绝了请求" + code
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "服务器证书校验失败(单位内部 CA 签发的证书请用 --smtp-cafile 指定 CA 文件)"
    if isinstance(exc, ssl.SSLError):
        return "加密连接失败(请核对 --ssl/--starttls 与端口是否匹配)"
    if isinstance(exc, ConnectionRefusedError):
        return "服务器拒绝连接(主机或端口不对,或服务未开启)"
    if isinstance(exc, socket.gaierror):
        return "找不到这个服务器名称(请核对主机名)"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "连接超时(请核对主机、端口和网络)"
    return None


def _file_reason(exc: BaseException) -> str | None:
    """Why a file could not be opened (missing, not allowed, a folder); None for other errors."""
    if isinstance(exc, FileNotFoundError):
        return "文件不存在"
    if isinstance(exc, PermissionError):
        return "没有读取或写入的权限"
    if isinstance(exc, IsADirectoryError):
        return "这是一个文件夹,不是文件"
    return None


def _content_reason(exc: BaseException) -> str | None:
    """What is wrong inside a file (its zip, compression, text encoding or XML); None for other errors."""
    if isinstance(exc, (zipfile.BadZipFile, zipfile.LargeZipFile, struct.error)):
        return "zip 结构损坏,不是完整的 zip 文件(可能已损坏或在传输中被截断)"
    if isinstance(exc, NotImplementedError):
        return "使用了不支持的压缩方式(请用 Excel、WPS 或 LibreOffice 重新保存)"
    if isinstance(exc, (zlib.error, EOFError)):
        return "不是完整的 zip 文件,可能已损坏或在传输中被截断"
    if isinstance(exc, UnicodeError):
        return "文字编码无法识别"
    if isinstance(exc, (ExpatError, SyntaxError)) or type(exc).__name__ == "ParseError":
        return "内部的 XML 内容格式不正确"
    return None


def os_reason(exc: OSError) -> str:
    """The operating system's error in Chinese (its English strerror never reaches a user)."""
    reasons = {errno.ENOSPC: "磁盘已满", errno.EDQUOT: "超出磁盘配额", errno.EFBIG: "文件超过系统允许的大小",
               errno.EACCES: "没有权限", errno.EPERM: "没有权限", errno.EROFS: "只读的文件系统",
               errno.ENOENT: "不存在", errno.ENOTDIR: "路径中有一段不是文件夹", errno.EISDIR: "是文件夹",
               errno.ENAMETOOLONG: "路径过长", errno.ELOOP: "符号链接过多或指向自身", errno.EIO: "读写设备出错",
               errno.EEXIST: "已存在", errno.ENOTEMPTY: "文件夹不是空的", errno.EXDEV: "不在同一个文件系统上"}
    return reasons.get(exc.errno or 0, f"系统错误 {exc.errno}" if exc.errno else "系统错误")
