"""Returns straight from the mailbox: ``.eml`` files and mbox files among the inputs of validate and build.

Each message's workbook attachments become inputs of their own, named ``<mail file>#<key>/<attachment>``
(``key`` from the Message-ID, so a name does not change when the mbox gains or loses other messages) and
carrying the message's provenance. A message with no workbook attachment (nothing, a zip, only a link) gets a
rejected status of its own, so that every message is accounted for. Mail files are only read; attachments are
written to a private temporary folder for the checks (which take a path) and removed with it.
"""

from __future__ import annotations

import hashlib
import mailbox
import re
import tempfile
from collections.abc import Iterable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .problems import problem

if TYPE_CHECKING:
    from .intake import FileStatus

MAIL_SUFFIXES = (".eml", ".mbox")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
_LINK = re.compile(r"https?://\S+", re.I)


def is_mail_file(path: Path) -> bool:
    """By extension, or an mbox without one (Thunderbird's ``Inbox``): its first line starts with ``From ``."""
    suffix = path.suffix.lower()
    if suffix in MAIL_SUFFIXES:
        return True
    if suffix in WORKBOOK_SUFFIXES:
        return False
    try:
        with open(path, "rb") as fh:
            return fh.read(5) == b"From "
    except OSError:
        return False


def read_messages(path: Path) -> list[EmailMessage]:
    """The messages of a mail file, as :class:`email.message.EmailMessage`, in file order."""
    with open(path, "rb") as fh:
        head = fh.read(5)
    if path.suffix.lower() == ".eml" or head != b"From ":
        return [BytesParser(policy=policy.default).parsebytes(path.read_bytes())]
    box = mailbox.mbox(str(path), factory=None, create=False)
    try:
        return [BytesParser(policy=policy.default).parsebytes(box.get_bytes(key)) for key in box.iterkeys()]
    finally:
        box.close()


def provenance(msg: EmailMessage, name: str) -> dict:
    """Who sent the message, when, about what: what the data-quality page and the replies need."""
    def header(key):
        try:
            value = msg.get(key)
            return " ".join(str(value).split()) if value is not None else ""
        except Exception:  # a malformed header is a property of the mail: keep going without it
            return ""

    when = header("Date")
    try:
        when = parsedate_to_datetime(when).isoformat() if when else ""
    except (TypeError, ValueError):
        pass
    found = {"mail": name, "message_id": header("Message-ID"), "sender": header("From"), "date": when,
             "subject": header("Subject")}
    for key, field in (("Reply-To", "reply_to"), ("References", "references")):
        if header(key):
            found[field] = header(key)
    return found


class MailInputs:
    """The inputs with every mail file replaced by its workbook attachments (in a temporary folder).

    ``found`` is a sorted ``[(path, name)]`` like :func:`generator.intake.discover`'s; ``statuses`` are the
    statuses of messages without a workbook; ``provenance`` maps an input name to its message's provenance.
    The temporary folder goes when :meth:`cleanup` is called or the object is collected.
    """

    def __init__(self, found):
        self.found, self.statuses, self.provenance = [], [], {}
        self._tmp = None
        for path, name in found:
            if is_mail_file(path):
                self._expand(path, name)
            else:
                self.found.append((path, name))
        self.found.sort(key=lambda pn: pn[1])

    def _expand(self, path: Path, name: str) -> None:
        from .intake import REJECTED, FileStatus

        try:
            messages = read_messages(path)
        except Exception as exc:  # not a mail file after all, or a damaged one
            self.statuses.append(FileStatus(name, REJECTED, problems=[problem(
                "mail-unreadable", file=name, detail=f"{type(exc).__name__}: {exc}"[:200])]))
            return
        single = len(messages) == 1 and path.suffix.lower() == ".eml"
        seen: dict[str, int] = {}
        for index, msg in enumerate(messages, 1):
            source = provenance(msg, name)
            key = source["message_id"] or hashlib.sha256(msg.as_bytes(policy=policy.SMTP)).hexdigest()
            where = name if single else f"{name}#{hashlib.sha256(key.encode()).hexdigest()[:10]}"
            seen[where] = seen.get(where, 0) + 1
            if seen[where] > 1:  # the same message twice in one mbox
                where = f"{where}-{seen[where]}"
            try:
                self._message(msg, where, source, index)
            except Exception as exc:  # a malformed MIME structure: this message is reported, the others go on
                from .intake import REJECTED, FileStatus

                self.statuses.append(FileStatus(where, REJECTED, mail=source, problems=[problem(
                    "mail-unreadable", file=where, detail=f"{type(exc).__name__}: {exc}"[:200])]))

    def _message(self, msg: EmailMessage, where: str, source: dict, index: int) -> None:
        from .intake import IGNORED, REJECTED, FileStatus

        workbooks: list[tuple[str, EmailMessage]] = []
        others: list[tuple[str, EmailMessage]] = []
        used: set[str] = set()
        for part in msg.iter_attachments():
            filename = _attachment_name(part, len(workbooks) + len(others) + 1)
            (workbooks if filename.lower().endswith(WORKBOOK_SUFFIXES) else others).append((filename, part))
        for filename, part in workbooks:
            unique = filename
            n = 1
            while unique in used:
                n += 1
                unique = f"{Path(filename).stem}({n}){Path(filename).suffix}"
            used.add(unique)
            name = f"{where}/{unique}"
            try:
                payload = part.get_payload(decode=True)
                data = payload if isinstance(payload, bytes) else b""
            except Exception:
                data = b""
            self.found.append((self._store(data, unique), name))
            self.provenance[name] = source
        for filename, _part in others:
            name = f"{where}/{filename}"
            kind = "zip 压缩包" if filename.lower().endswith((".zip", ".rar", ".7z")) else "非检查表附件"
            self.statuses.append(FileStatus(name, IGNORED, note=f"邮件附件不是 .xlsx 检查表({kind}),未读取",
                                            mail=source))
        if workbooks:
            return
        if others:
            detail = "附件为 " + "、".join(f for f, _ in others)
        else:
            body = msg.get_body(preferencelist=("plain", "html"))
            try:
                text = body.get_content() if body is not None else ""
            except Exception:
                text = ""
            link = _LINK.search(text)
            detail = "只有链接 " + link[0][:80] if link else "没有附件"
        self.statuses.append(FileStatus(where, REJECTED, problems=[problem(
            "mail-no-workbook", file=where, detail=detail, subject=source["subject"] or "(无主题)",
            sender=source["sender"] or "(未知)")], note=f"邮件第 {index} 封", mail=source))

    def _store(self, data: bytes, filename: str) -> Path:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="hallscore-mail-")
        folder = Path(self._tmp.name) / str(len(self.provenance))
        folder.mkdir()
        # The suffix is what intake looks at; the name itself may be anything the sender's client wrote.
        path = folder / ("attachment" + Path(filename).suffix.lower())
        path.write_bytes(data)
        return path

    def annotate(self, statuses: Iterable[FileStatus]) -> list[FileStatus]:
        """Provenance onto the statuses of attachments; the mail-level statuses added; sorted by name."""
        for status in statuses:
            if status.path in self.provenance:
                status.mail = self.provenance[status.path]
        return sorted(list(statuses) + self.statuses, key=lambda s: s.path)

    def cleanup(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _attachment_name(part: EmailMessage, n: int) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f#]', "_", name.replace("\\", "/").rpartition("/")[2]).strip()
    return name or f"附件{n}"
