"""What the public site may say about where a return came from: its file name and its sender's name.

The site is read company-wide, so it carries no e-mail address, Message-ID or machine path; the full
provenance (paths, addresses, Message-IDs) stays in the archive's intake.json and in the manager's 问题清单.
"""

from __future__ import annotations

import re
from email.utils import parseaddr

# An address, bare or in angle brackets (a Message-ID has the same shape): "王伟 <wangwei@x.cn>", "<id@host>".
_ADDRESS = re.compile(r"(\s*<)?[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*(?(1)>)")
# A path of folders (or a mailbox and its mail number) before a file name: returns/广东/广州/x.xlsx.
_PATH = re.compile(r"(?<![\w:/.])(?:[^\s/\\()（）“”‘’,,;;:]+[/\\])+(?=[^\s/\\]+)")
_MAIL_NUMBER = re.compile(r"[^\s/\\#()（）“”]+#[0-9a-f]+\b")
ADDRESS_HIDDEN = "(邮箱地址不公开)"


def file_name(path: str) -> str:
    """A return as the site names it: the file name without its folders; a mail with no workbook as 邮件."""
    last = str(path or "").replace("\\", "/").rstrip("/").rpartition("/")[2]
    if _MAIL_NUMBER.fullmatch(last):
        return "邮件(无检查表附件)"
    return last


def sender_name(sender: str) -> str:
    """A sender by name only ("王伟 <wangwei@…>" → 王伟); an address without a name is not shown."""
    name, _address = parseaddr(str(sender or ""))
    name = _ADDRESS.sub("", name).strip()
    return name or ADDRESS_HIDDEN


def scrub(text: str) -> str:
    """A message or note with its addresses and Message-IDs taken out and its paths cut to file names."""
    text = _ADDRESS.sub(lambda m: "" if m[1] else ADDRESS_HIDDEN, str(text or ""))
    return _MAIL_NUMBER.sub("邮件", _PATH.sub("", text))
