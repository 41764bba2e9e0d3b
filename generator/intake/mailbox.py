"""Returns straight from the mailbox: ``.eml`` files and mbox files among the inputs of validate and build.

Each message's workbook attachments become inputs of their own, named ``<mail file>#<key>/<attachment>``
(``key`` from the Message-ID, so a name does not change when the mbox gains or loses other messages) and
carrying the message's provenance. The workbooks of an attached zip (the templates go out zipped) and of a mail
forwarded as an attachment count as the message's own, named ``…/<zip>/<member>`` and ``…/<mail>/<attachment>``.
A message with no workbook (nothing, a rar, only a link) gets a rejected status of its own, so that every
message is accounted for. Mail files are only read; attachments are
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

from generator.intake.discover import OTHER_SUFFIXES, WORKBOOK_SUFFIXES, is_regular
from generator.intake.mail_zip import clean_name, read_zip
from generator.intake.status import IGNORED, REJECTED, FileStatus
from generator.rules.problems import problem
from generator.why import why
from generator.xlsx.container import DEFAULT_LIMITS, megabytes

MAIL_SUFFIXES = (".eml", ".mbox")
# How hallscore's own mail is known when it comes back among the returns: the mail it writes carries both.
DOMAIN = "hallscore.invalid"  # of every Message-ID hallscore writes
MARK = "X-Hallscore"  # a header on every message hallscore writes
_LINK = re.compile(r"https?://\S+", re.I)


def is_mail_file(path: Path) -> bool:
    """By extension, or an mbox without one (Thunderbird's ``Inbox``): its first line starts with ``From ``."""
    suffix = path.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        return False
    if not is_regular(path):  # a FIFO would block the read; intake reports it unopened
        return False
    if suffix in MAIL_SUFFIXES:
        return True
    try:
        with open(path, "rb") as fh:
            return fh.read(5) == b"From "
    except OSError:
        return False


def maildir_root(path: Path, name: str) -> str | None:
    """The reported name of the Maildir ``path`` is a message of (a file in its cur/, new/ or tmp/), or None.

    A Maildir is a folder holding cur/ and new/ (tmp/ too, though an export may drop it when empty)."""
    folder = path.parent
    if folder.name not in ("cur", "new", "tmp") or "/" not in name:
        return None
    box = folder.parent
    if not ((box / "cur").is_dir() and (box / "new").is_dir()):
        return None
    parts = name.split("/")
    return "/".join(parts[:-2]) if len(parts) > 2 else box.name


def _ignored(name: str, note: str, source: dict[str, str] | None = None) -> FileStatus:
    return FileStatus(name, IGNORED, note=note, mail=source or {})


def own_mail(msg: EmailMessage) -> str:
    """Why ``msg`` is one hallscore wrote (its Message-ID domain, or its header mark), or "" when it is not."""
    try:
        message_id = str(msg.get("Message-ID") or "").strip()
        mark = str(msg.get(MARK) or "").strip()
    except Exception:  # noqa: BLE001 - a malformed header: not recognisable as ours
        return ""
    if message_id.endswith(f"@{DOMAIN}>"):
        return "Message-ID " + message_id
    if mark:
        return f"{MARK}: {mark[:40]}"
    return ""


def message_digest(msg: EmailMessage) -> str:
    """What a message is, whatever file it was exported to: its identifying headers and its attachments' bytes.

    Replies are keyed on this, not on the Message-ID alone (anyone can reuse one) nor on file paths (an export
    renamed or redone in another client gives the same digest: mbox quoting and client status headers aside)."""
    digest = hashlib.sha256(b"hallscore-message")
    for key in ("Message-ID", "From", "Date", "Subject"):
        try:
            value = " ".join(str(msg.get(key) or "").split())
        except Exception:  # noqa: BLE001 - a malformed header counts as empty
            value = ""
        digest.update(b"\x1e" + value.encode("utf-8", "surrogateescape"))
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() == "text" and not part.get_filename():
            continue
        digest.update(b"\x1f" + hashlib.sha256(_payload(part)).digest())
    return digest.hexdigest()[:32]


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


def provenance(msg: EmailMessage, name: str) -> dict[str, str]:
    """Who sent the message, when, about what: what the data-quality page and the replies need."""
    def header(key: str) -> str:
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
             "subject": header("Subject"), "digest": message_digest(msg)}
    for key, field in (("Reply-To", "reply_to"), ("References", "references")):
        if header(key):
            found[field] = header(key)
    return found


class MailInputs:
    """The inputs with every mail file replaced by its workbook attachments, and every zip by its workbooks
    (both unpacked into a temporary folder).

    ``found`` is a sorted ``[(path, name)]`` like :func:`generator.intake.run.discover`'s; ``statuses`` are the
    statuses of messages without a workbook; ``provenance`` maps an input name to its message's provenance.
    The temporary folder goes when :meth:`cleanup` is called or the object is collected.
    """

    def __init__(self, found: Iterable[tuple[Path, str]]) -> None:
        self.found: list[tuple[Path, str]] = []
        self.statuses: list[FileStatus] = []
        self.provenance: dict[str, dict[str, str]] = {}
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._stored = 0
        # Every entry passed on as it was, none even shaped like a Maildir message (whether it is one depends on
        # folders beside it): the inputs are then the entries found and nothing else.
        self.plain = True
        maildirs: dict[str, list[tuple[Path, str]]] = {}
        for path, name in found:
            if self.plain and "/" in name and path.parent.name in ("cur", "new", "tmp"):
                self.plain = False
            root = maildir_root(path, name)
            if root is not None:
                if path.parent.name == "tmp":  # a delivery still being written: the MTA moves it to new/
                    self.statuses.append(_ignored(name, "Maildir 的 tmp/ 中是尚未投递完成的邮件,未读取"))
                else:
                    maildirs.setdefault(root, []).append((path, name))
            elif is_mail_file(path):
                self._expand(path, name)
            elif path.suffix.lower() == ".zip" and is_regular(path):
                zipped = _Found()
                _add_zip(path, name, zipped)
                self._emit(zipped, "", None)
            else:
                self.found.append((path, name))
                continue
            self.plain = False
        for root in sorted(maildirs):
            self._maildir(root, sorted(maildirs[root], key=lambda pn: pn[1]))
        self.found.sort(key=lambda pn: pn[1])

    def _maildir(self, root: str, entries: list[tuple[Path, str]]) -> None:
        """A Maildir's messages (cur/ and new/) as one mailbox named by its folder, like an mbox: a message
        keeps its name when the client moves it from new/ to cur/ or changes its flags (the file name)."""
        messages = []
        for path, name in entries:
            try:
                messages.append(BytesParser(policy=policy.default).parsebytes(path.read_bytes()))
            except (OSError, ValueError) as exc:  # unreadable now (permissions, vanished): said with its name
                self.statuses.append(FileStatus(name, REJECTED, problems=[problem(
                    "mail-unreadable", file=name, detail=why(exc))]))
        self._messages(messages, root, single=False)

    def _expand(self, path: Path, name: str) -> None:
        try:
            messages = read_messages(path)
        except OSError as exc:  # unreadable (permissions, vanished, a folder): why, in Chinese
            self.statuses.append(FileStatus(name, REJECTED, problems=[problem(
                "mail-unreadable", file=name, detail=why(exc))]))
            return
        except Exception:  # noqa: BLE001 - not a mail file after all, or a damaged one
            self.statuses.append(FileStatus(name, REJECTED, problems=[problem(
                "mail-unreadable", file=name, detail="不是可读的 .eml 或 mbox 邮件文件")]))
            return
        self._messages(messages, name, single=len(messages) == 1 and path.suffix.lower() == ".eml")

    def _messages(self, messages: list[EmailMessage], name: str, single: bool) -> None:
        seen: dict[str, int] = {}
        for index, msg in enumerate(messages, 1):
            source = provenance(msg, name)
            key = source["message_id"] or hashlib.sha256(msg.as_bytes(policy=policy.SMTP)).hexdigest()
            where = name if single else f"{name}#{hashlib.sha256(key.encode()).hexdigest()[:10]}"
            seen[where] = seen.get(where, 0) + 1
            if seen[where] > 1:  # the same message twice in one mbox
                where = f"{where}-{seen[where]}"
            own = own_mail(msg)
            if own:  # what hallscore sent (templates Cc'd to the manager, problem replies): never a return
                self.statuses.append(_ignored(where, f"hallscore 自己发出的邮件({own}),其中的附件是 hallscore 下发的"
                                                     "文件,不是回收的检查表;未读取,也不会回复", source))
                continue
            try:
                self._message(msg, where, source, index)
            except Exception:  # noqa: BLE001 - a malformed MIME structure: this message is reported, the others go on
                        self.statuses.append(FileStatus(where, REJECTED, mail=source, problems=[problem(
                    "mail-unreadable", file=where, detail="邮件的 MIME 结构已损坏")]))

    def _message(self, msg: EmailMessage, where: str, source: dict[str, str], index: int) -> None:
        found = _Found()
        _gather(msg, "", 0, found)
        self._emit(found, where + "/", source)
        if found.workbooks or found.rejected:
            return
        if found.ignored:
            detail = "附件为 " + "、".join(f for f, _ in found.ignored)
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

    def _emit(self, found: _Found, prefix: str, source: dict[str, str] | None) -> None:
        """What ``found`` holds, as inputs (workbooks) and statuses, named under ``prefix``."""
        for filename, data in found.workbooks:
            name = prefix + filename
            self.found.append((self._store(data, filename), name))
            if source is not None:
                self.provenance[name] = source
        for filename, note in found.ignored:
            self.statuses.append(FileStatus(prefix + filename, IGNORED, note=note, mail=source or {}))
        for filename, code, fields in found.rejected:
            self.statuses.append(FileStatus(prefix + filename, REJECTED, mail=source or {},
                                            problems=[problem(code, file=prefix + filename, **fields)]))

    def _store(self, data: bytes, filename: str) -> Path:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="hallscore-mail-")
        self._stored += 1
        folder = Path(self._tmp.name) / str(self._stored)
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


MAX_FORWARD_DEPTH = 3  # a forward of a forward of a forward; deeper nesting is not a return


class _Found:
    """What one message carries: workbooks (name, bytes), ignored entries (name, note), rejected (name, code,
    fields); names unique within the message."""

    def __init__(self) -> None:
        self.workbooks: list[tuple[str, bytes]] = []
        self.ignored: list[tuple[str, str]] = []
        self.rejected: list[tuple[str, str, dict[str, str]]] = []
        self._used: set[str] = set()
        self.count = 0

    def unique(self, filename: str) -> str:
        unique, n = filename, 1
        while unique in self._used:
            n += 1
            stem, dot, suffix = filename.rpartition(".")
            unique = f"{stem}({n}).{suffix}" if dot and stem and "/" not in suffix else f"{filename}({n})"
        self._used.add(unique)
        return unique


def _gather(msg: EmailMessage, prefix: str, depth: int, found: _Found) -> None:
    """The message's attachments into ``found``: workbooks, the workbooks of an attached zip, and the
    attachments of a mail forwarded as an attachment (Outlook's "以附件形式转发"), under ``prefix``."""
    for part in msg.iter_attachments():
        found.count += 1
        filename = _attachment_name(part, found.count)
        if part.get_content_type() == "message/rfc822":
            inner = _forwarded(part)
            label = found.unique(prefix + (filename if filename != f"附件{found.count}" else f"转发邮件{found.count}"))
            if inner is None or depth >= MAX_FORWARD_DEPTH:
                found.ignored.append((label, "转发的邮件无法读取或层层转发过深,未读取"))
            elif own_mail(inner):  # hallscore's own mail forwarded back (the templates it sent): not a return
                found.ignored.append((label, "转发回来的 hallscore 自己发出的邮件,其中的附件不是回收的检查表,未读取"))
            else:
                _gather(inner, label + "/", depth + 1, found)
            continue
        lower = filename.lower()
        if lower.endswith(WORKBOOK_SUFFIXES + OTHER_SUFFIXES):  # other formats: intake says what to do instead
            found.workbooks.append((found.unique(prefix + filename), _payload(part)))
        elif lower.endswith(".zip"):
            _add_zip(_payload(part), found.unique(prefix + filename), found)
        else:
            kind = "rar/7z 压缩包无法读取,请改用 zip 或直接附上 .xlsx" if lower.endswith((".rar", ".7z")) else "非检查表附件"
            found.ignored.append((found.unique(prefix + filename), f"邮件附件不是 .xlsx 检查表({kind}),未读取"))


def _add_zip(source: bytes | Path, label: str, found: _Found) -> None:
    """The workbooks of a zip (an attachment's bytes, or a file among the inputs) into ``found``, under
    ``label/``; every other member listed as ignored, so that each is accounted for."""
    contents = read_zip(source)
    if contents.error:
        found.rejected.append((label, "zip-unreadable", {"detail": contents.error}))
        return
    if not contents.members:
        found.ignored.append((label, "zip 压缩包是空的"))
    for member in contents.members:
        name = found.unique(f"{label}/{member.name}")
        if member.data is not None:
            found.workbooks.append((name, member.data))
        elif member.size:
            found.rejected.append((name, "file-too-large", {"found": megabytes(member.size),
                                                             "limit": megabytes(DEFAULT_LIMITS.max_file_bytes)}))
        else:
            found.ignored.append((name, f"zip 压缩包中的文件未读取:{member.skipped}"))


def _forwarded(part: EmailMessage) -> EmailMessage | None:
    try:
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        return inner if isinstance(inner, EmailMessage) else None
    except Exception:
        return None


def _payload(part: EmailMessage) -> bytes:
    try:
        payload = part.get_payload(decode=True)
        return payload if isinstance(payload, bytes) else b""
    except Exception:
        return b""


def _attachment_name(part: EmailMessage, n: int) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    return clean_name(name.replace("\\", "/").rpartition("/")[2]) or f"附件{n}"
