"""Mail out: one RFC 5322 message per city (templates, reminders) or per rejected return (problem replies).

Messages are built with :class:`email.message.EmailMessage` under ``policy.SMTP`` (CRLF, UTF-8 headers as
RFC 2047 words). They are byte-stable: the Message-ID is a hash of what the message is about (kind, year,
city or original message, attachment bytes), the MIME boundary derives from it, and the Date is given by the
caller. Attachment names carry both the RFC 2231 ``filename*`` (standards, webmail) and an RFC 2047 ``name=``
/ ``filename=`` (Outlook, Foxmail), so Chinese names show everywhere. Subjects and bodies come from Jinja2
templates whose first line is the subject.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import smtplib
import ssl
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email import policy as email_policy
from email.header import Header
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime, formataddr, getaddresses
from pathlib import Path
from typing import TextIO

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

from generator.errors import HallscoreError
from generator.fs.files import write_bytes_atomic
from generator.intake.mailbox import DOMAIN, MARK
from generator.mail.contacts import address_problem, name_problem, valid_address
from generator.resources import MAIL_TEMPLATES
from generator.why import why
from generator.workbooks.forms import safe_name

TEMPLATE_DIR = MAIL_TEMPLATES
SENT_LOG = "sent.jsonl"
POLICY = email_policy.SMTP


class MailError(HallscoreError):
    """A mail input (templates folder, body template, SMTP server) cannot be used."""


@dataclass
class Draft:
    """One message and the file name it gets in the outbox."""

    file_name: str
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def recipients(self) -> list[str]:
        return [a.addr_spec for h in ("To", "Cc") for a in (self.message[h].addresses if self.message[h] else ())]


class _RawHeader(str):
    """A header value written exactly as given: the policy would fold ``name=`` as RFC 2231, which Outlook
    and Foxmail show as garbage."""

    name: str

    def __new__(cls, name: str, value: str) -> _RawHeader:
        obj = super().__new__(cls, value)
        obj.name = name
        return obj

    def fold(self, *, policy: Policy) -> str:
        return f"{self.name}: " + self.replace("\n", policy.linesep) + policy.linesep


def _encoded_word(text: str) -> str:
    if text.isascii():
        return text.replace("\\", "_").replace('"', "_")
    return Header(text, "utf-8").encode(maxlinelen=10_000)  # one word: Outlook joins nothing across lines


def attach(msg: EmailMessage, data: bytes, filename: str, maintype: str, subtype: str) -> None:
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    part = list(msg.iter_attachments())[-1]
    quoted = urllib.parse.quote(filename, safe="")
    word = _encoded_word(filename)
    for name, value in (("Content-Type", f'{maintype}/{subtype};\n name="{word}"'),
                        ("Content-Disposition", f"attachment;\n filename*=utf-8''{quoted};\n filename=\"{word}\"")):
        del part[name]
        part[name] = _RawHeader(name, value)


def new_message(kind: str, key_parts: Iterable[object], sender: str, to: Iterable[str], cc: Iterable[str], subject: str,
                body: str, when: datetime, attachments: Iterable[tuple[str, bytes, str, str]] = (),
                keyed_attachments: bool = True) -> EmailMessage:
    """A message whose Message-ID and boundary are derived from ``kind``, ``key_parts`` and (unless
    ``keyed_attachments`` is false: the key parts say all the message is about) the attachments."""
    digest = hashlib.sha256(kind.encode())
    for part in key_parts:
        digest.update(b"\x1e" + str(part).encode("utf-8"))
    for filename, data, _, _ in attachments if keyed_attachments else ():
        digest.update(b"\x1f" + filename.encode("utf-8") + hashlib.sha256(data).digest())
    key = digest.hexdigest()
    msg = EmailMessage(policy=POLICY)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{kind}.{key[:32]}@{DOMAIN}>"
    msg[MARK] = kind
    msg.set_content(body, cte="base64" if not body.isascii() else "7bit")
    for filename, data, maintype, subtype in attachments:
        attach(msg, data, filename, maintype, subtype)
    if msg.is_multipart():
        msg.set_boundary(f"=_hallscore_{key[32:56]}")
    return msg


def address(name: str, addr: str) -> str:
    return formataddr((name, addr)) if name else addr


def render(template: str | Path | None, default: str, **context: object) -> tuple[str, str]:
    """(subject, body) from a Jinja2 text template: the first line is the subject, the rest the body."""
    path = Path(template) if template else TEMPLATE_DIR / default
    try:
        env = Environment(loader=FileSystemLoader(str(path.parent)), undefined=StrictUndefined,
                          keep_trailing_newline=True, autoescape=False)
        text = env.get_template(path.name).render(**context)
    except (OSError, TemplateError, UnicodeError) as exc:  # a binary or GBK file: named, not "编码无法识别" alone
        said = "不是 UTF-8 编码的文本(请用记事本等另存为 UTF-8)" if isinstance(exc, UnicodeError) else why(exc)
        raise MailError(f"邮件模板 {path} 无法使用:{said}") from exc
    subject, _, body = text.lstrip("\n").partition("\n")
    subject = re.sub(r"^(主题|Subject)[::]\s*", "", subject).strip()
    if not subject:
        raise MailError(f"邮件模板 {path} 的第一行应为邮件主题")
    return subject, body.lstrip("\n").rstrip() + "\n"


def write_drafts(drafts: Iterable[Draft], outbox: str | Path, unsent: bool = True) -> list[Path]:
    """Each draft as ``<outbox>/<file_name>``, marked ``X-Unsent: 1`` so Outlook opens it ready to send."""
    paths = []
    for draft in drafts:
        msg = draft.message
        del msg["X-Unsent"]
        if unsent:
            msg["X-Unsent"] = "1"
        path = Path(outbox) / draft.file_name
        write_bytes_atomic(path, msg.as_bytes(policy=POLICY))
        paths.append(path)
    return paths


def draft_name(*parts: str) -> str:
    return "_".join(safe_name(p, 60) for p in parts if p) + ".eml"


# -- sending ---------------------------------------------------------------------------------------------------

@dataclass
class SendResult:
    sent: list[str] = field(default_factory=list)  # Message-IDs sent now
    skipped: list[str] = field(default_factory=list)  # already in the sent log
    refused: list[tuple[str, str, str]] = field(default_factory=list)  # (Message-ID, address, server answer)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (Message-ID, reason): nothing went out


def sent_ids(outbox: str | Path) -> set[str]:
    path = Path(outbox) / SENT_LOG
    ids = set()
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                ids.add(json.loads(line)["message_id"])
            except (ValueError, KeyError, TypeError):
                continue  # a line cut by a crash: that message is sent again rather than lost
    return ids


def send(drafts: Iterable[Draft], outbox: str | Path, host: str, port: int, security: str = "none",
         user: str | None = None, password: str | None = None, rate: float = 30.0, timeout: float = 30.0,
         sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
         now: Callable[[], datetime] | None = None, cafile: str | None = None) -> SendResult:
    """Send what the sent log does not list yet, at most ``rate`` per minute; log each as it goes.

    ``security`` is ``none``, ``starttls`` or ``ssl``. A refused recipient is reported and the others still get
    the message; a message refused as a whole is reported and the next one is tried.
    """
    outbox = Path(outbox)
    outbox.mkdir(parents=True, exist_ok=True)
    done = sent_ids(outbox)
    result = SendResult()
    todo = [d for d in drafts if d.message_id not in done]
    result.skipped = [d.message_id for d in drafts if d.message_id in done]
    if not todo:
        return result
    now = now or (lambda: datetime.now().astimezone())
    interval = 60.0 / rate
    try:
        context = ssl.create_default_context(cafile=cafile)  # certificates checked; an own CA via cafile
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError: a file that holds no PEM certificate
        said = "不是 PEM 格式的证书" if isinstance(exc, ssl.SSLError) else why(exc)
        raise MailError(f"CA 证书文件 {cafile} 无法使用({said}):请给出单位 CA 的证书文件(PEM 格式,"
                        f"以 -----BEGIN CERTIFICATE----- 开头);一封也没有发送") from exc
    try:
        server: smtplib.SMTP
        if security == "ssl":
            server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            server = smtplib.SMTP(host, port, timeout=timeout)
        with server:
            if security == "starttls":
                server.starttls(context=context)
            if user:
                _login(server, user, password or "")
            last = None
            with open(outbox / SENT_LOG, "a", encoding="utf-8") as log:
                for draft in todo:
                    if last is not None and clock() - last < interval:
                        sleep(interval - (clock() - last))
                    last = clock()
                    _send_one(server, draft, result, log, now)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"无法通过 SMTP 服务器 {host}:{port} 发送:{why(exc)};"
                        f"已发送 {len(result.sent)} 封,重新运行将只发送其余的邮件") from exc
    return result




def _login(server: smtplib.SMTP, user: str, password: str) -> None:
    """LOGIN as smtplib does it, except that smtplib sends only ASCII: a Chinese password goes as UTF-8
    AUTH PLAIN (RFC 4616)."""
    if (user + password).isascii():
        server.login(user, password)
        return
    server.ehlo_or_helo_if_needed()
    token = base64.b64encode(b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8")).decode("ascii")
    code, answer = server.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, answer)


def _send_one(server: smtplib.SMTP, draft: Draft, result: SendResult, log: TextIO, now: Callable[[], datetime]) -> None:
    msg = draft.message
    del msg["X-Unsent"]
    # The draft's Date is fixed for byte-stable drafts; a sent message says when it went (the Message-ID,
    # which the sent log keys on, does not depend on it).
    del msg["Date"]
    msg["Date"] = format_datetime(now())
    recipients = draft.recipients()
    try:
        refused = server.send_message(msg, to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as exc:
        for addr, (code, answer) in sorted(exc.recipients.items()):
            result.refused.append((draft.message_id, addr, f"{code} {_text(answer)}"))
        result.failed.append((draft.message_id, "全部收件人被拒收"))
        return
    except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
        result.failed.append((draft.message_id, f"{exc.smtp_code} {_text(exc.smtp_error)}"))
        return
    for addr, (code, answer) in sorted(refused.items()):
        result.refused.append((draft.message_id, addr, f"{code} {_text(answer)}"))
    accepted = [a for a in recipients if a not in refused]
    log.write(json.dumps({"message_id": draft.message_id, "recipients": accepted, "refused": sorted(refused),
                          "file": draft.file_name, "time": now().isoformat(timespec="seconds")},
                         ensure_ascii=False) + "\n")
    log.flush()
    result.sent.append(draft.message_id)


def _text(answer: object) -> str:
    return answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)


def check_sender(text: str, intranet: Iterable[str] = ()) -> str:
    """The From of every message: one valid address, with or without a display name."""
    found = getaddresses([text])
    if len(found) != 1 or not valid_address(found[0][1], intranet):
        why = address_problem(found[0][1], intranet) if len(found) == 1 and found[0][1] else ""
        raise MailError(f"发件人 --from 应为一个邮箱地址,如 “省公司 <fw@example.cn>”,实际为“{text}”"
                        + (f":{why}" if "单段域名" in why else ""))
    if name_problem(found[0][0]):
        raise MailError(f"发件人 --from 的名称“{found[0][0]!r}”含不允许的字符;名称只写名字")
    return address(*found[0])


def parse_server(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise MailError(f"SMTP 服务器应写作 主机:端口,如 smtp.example.com:587,实际为“{text}”")
    return host.strip("[]"), int(port)
