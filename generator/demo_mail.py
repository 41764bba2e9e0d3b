"""Demo data, the email loop: templates mailed to every city, part of the returns sent back by mail."""

from __future__ import annotations

import io
import mailbox
import shutil
import zipfile
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import TypedDict

from generator.demo import ROUND_SELF
from generator.mail.compose import template_drafts
from generator.mail.contacts import Contact, write_contacts
from generator.mail.send import write_drafts
from generator.rules.register import Hall
from generator.rules.standard import Standard
from generator.workbooks.forms import template_path, write_templates


class MailDemo(TypedDict):
    """What :func:`make_mail_demo` made, and where."""

    outbox: Path
    drafts: int
    inbox: Path
    mails: int
    moved: int
    contacts: Path


def _zip_bytes(members: list[tuple[str, bytes]], year: int) -> bytes:
    """A zip of ``members`` with fixed dates, so the demo's mailbox is the same every run."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(members):
            info = zipfile.ZipInfo(name, date_time=(year, 5, 21, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buffer.getvalue()


def _reply_with_returns(n: int, original: EmailMessage, contact: Contact, halls: list[Hall], year: int,
                        returns_dir: Path) -> tuple[EmailMessage, int]:
    """The ``n``-th city's reply to ``original`` with its self-assessments, moved out of ``returns_dir``, and how
    many it carries."""
    key = (contact.province, contact.city)
    reply = EmailMessage(policy=policy.SMTP)
    reply["From"] = f"{contact.name} <{contact.to[0]}>"
    reply["To"] = original["From"]
    reply["Subject"] = "回复:" + original["Subject"]
    reply["Date"] = format_datetime(datetime(year, 5, 20 + n, 10, 30, tzinfo=UTC))
    reply["Message-ID"] = f"<demo-reply-{n}@example.cn>"
    reply["In-Reply-To"] = original["Message-ID"]
    reply.set_content("附件是本市填好的检查表,请查收。")
    moved = 0
    zipped: list[tuple[str, bytes]] = []  # the second city sends its workbooks back as one zip
    for hall in (h for h in halls if (h.province, h.city) == key):
        path = template_path(returns_dir / ROUND_SELF, hall)
        if path.is_file():
            if n % 2:
                zipped.append((path.name, path.read_bytes()))
            else:
                reply.add_attachment(path.read_bytes(), maintype="application",
                                     subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                     filename=path.name)
            path.unlink()  # this return now arrives by mail only
            moved += 1
    if zipped:
        reply.add_attachment(_zip_bytes(zipped, year), maintype="application", subtype="zip",
                             filename=f"{key[1]}检查表.zip")
    return reply, moved


def _link_only_reply(contact: Contact, year: int) -> EmailMessage:
    """A reply with only a link to a file share and no workbook (intake rejects it under the mail)."""
    link = EmailMessage(policy=policy.SMTP)
    link["From"], link["To"] = f"{contact.name} <{contact.to[0]}>", "fw@example.cn"
    link["Subject"], link["Message-ID"] = "回复:检查表", "<demo-link@example.cn>"
    link["Date"] = format_datetime(datetime(year, 5, 25, 9, 0, tzinfo=UTC))
    link.set_content("检查表已上传网盘:https://pan.example.cn/s/demo")
    return link


def make_mail_demo(standard: Standard, halls: list[Hall], year: int, out: Path, returns_dir: Path, cities: int = 2) -> MailDemo:
    """The email loop on demo data: a contacts list, one draft per city with its zip in ``out/mail/发件箱``,
    and the self-assessments of the first ``cities`` cities moved out of ``returns_dir`` into replies in
    ``out/mail/inbox.mbox``, the second city's as one zip (plus one reply with only a link, which intake rejects
    under the mail)."""
    folder = out / "mail"
    if folder.exists():
        shutil.rmtree(folder)
    created = datetime(year, 1, 1, tzinfo=UTC)
    write_templates(halls, standard, folder / "检查表", year, created, zip_by_city=True)
    keys = sorted({(h.province, h.city) for h in halls})
    contacts = {key: Contact(*key, f"{key[1]}联系人", (f"city{n:03d}@example.cn",)) for n, key in enumerate(keys, 1)}
    write_contacts(contacts.values(), folder / "联系人.xlsx")
    drafts = template_drafts(contacts, folder / "检查表", year, "省公司服务管理 <fw@example.cn>", f"{year} 年 6 月 30 日",
                             halls)
    write_drafts(drafts, folder / "发件箱")
    by_id = {d.file_name: d.message for d in drafts}
    box = mailbox.mbox(str(folder / "inbox.mbox"))
    moved = 0
    for n, key in enumerate(keys[:cities]):
        reply, count = _reply_with_returns(n, by_id[f"{key[0]}_{key[1]}.eml"], contacts[key], halls, year, returns_dir)
        moved += count
        box.add(reply.as_bytes(policy=policy.SMTP))
    box.add(_link_only_reply(contacts[keys[-1]], year).as_bytes(policy=policy.SMTP))
    box.close()
    return {"outbox": folder / "发件箱", "drafts": len(drafts), "inbox": folder / "inbox.mbox", "mails": cities + 1,
            "moved": moved, "contacts": folder / "联系人.xlsx"}
