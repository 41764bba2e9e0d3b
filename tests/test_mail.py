"""The email loop: contacts, drafts, a real SMTP server on 127.0.0.1, returns from .eml/mbox, replies."""

from __future__ import annotations

import json
import mailbox
import re
import socket
import zipfile
from datetime import UTC, date, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.returns import YEAR, full_fill, make_halls, write_return

from generator.cli.app import main
from generator.intake.run import run_intake
from generator.mail.compose import template_drafts
from generator.mail.contacts import Contact, ContactsError, load_contacts, write_contacts
from generator.mail.send import send, sent_ids
from generator.rules.register import write_register
from generator.workbooks.forms import write_templates

SENDER = "省公司服务管理 <fw@example.cn>"
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def parse(data: bytes):
    return BytesParser(policy=policy.default).parsebytes(data)


@pytest.fixture
def setup(tmp_path, standard):
    halls = make_halls({"广东": 3, "江苏": 2})
    register = tmp_path / "清单.xlsx"
    write_register(halls, register)
    contacts = tmp_path / "联系人.xlsx"
    write_contacts([Contact("广东", "广东市", "王经理", ("wang@gd.example.cn", "li@gd.example.cn"), ("boss@example.cn",)),
                    Contact("江苏", "江苏市", "赵经理", ("zhao@js.example.cn",))], contacts)
    templates = tmp_path / "检查表"
    write_templates(halls, standard, templates, YEAR, datetime(YEAR, 3, 1, tzinfo=UTC), zip_by_city=True)
    return {"halls": halls, "register": register, "contacts": contacts, "templates": templates, "tmp": tmp_path}


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


# -- contacts --------------------------------------------------------------------------------------------------

def test_contacts_every_problem_collected(tmp_path):
    halls = make_halls({"广东": 1, "江苏": 1, "浙江": 1})
    path = tmp_path / "c.csv"
    path.write_text("省,市,联系人,邮箱,抄送\n广东,广东市,王,a@x.cn;b@x.cn、c@x.cn,not-an-address\n"
                    "江苏,江苏市,赵,zhao@x.cn,\n江苏,江苏市,钱,q@x.cn,\n北京,北京市,孙,s@x.cn,\n湖南,湖南市,,h@x.cn,\n",
                    encoding="utf-8")
    with pytest.raises(ContactsError) as err:
        load_contacts(path, halls)
    text = str(err.value)
    for expected in ("第 2 行:邮箱地址无效:not-an-address", "第 4 行:江苏江苏市 重复", "第 5 行:北京 北京市 不在营业厅清单中",
                     "第 6 行:联系人 为空", "浙江 浙江市 没有联系人", "广东 广东市 没有联系人"):
        assert expected in text
    path.write_text("省,市,联系人,邮箱\n广东,广东市,王,a@x.cn;b@x.cn、c@x.cn  d@x.cn\n江苏,江苏市,赵,zhao@x.cn\n"
                    "浙江,浙江市,钱,q@x.cn\n", encoding="utf-8")
    contacts = load_contacts(path, halls)
    assert contacts[("广东", "广东市")].to == ("a@x.cn", "b@x.cn", "c@x.cn", "d@x.cn")


# -- drafts ----------------------------------------------------------------------------------------------------

def test_drafts_carry_the_right_zip_for_each_city(setup):
    out = setup["tmp"] / "发件箱"
    result = run("mail", "templates", "--contacts", setup["contacts"], "--templates", setup["templates"], "--out", out,
                 "--from", SENDER, "--deadline", "2025-06-30", "--date", "2025-03-01", "--register", setup["register"],
                 "--year", YEAR)
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.eml"))
    assert [f.name for f in files] == ["广东_广东市.eml", "江苏_江苏市.eml"]
    first = {f.name: f.read_bytes() for f in files}
    for path in files:
        msg = parse(path.read_bytes())
        assert msg["X-Unsent"] == "1"
        city = path.stem.split("_")[1]
        assert city in msg["Subject"] and "2025" in msg["Subject"]
        body = msg.get_body().get_content()
        assert "2025 年 6 月 30 日" in body and "自评" in body and "回复本邮件" in body
        (attachment,) = msg.iter_attachments()
        assert attachment.get_filename() == f"2025年营业厅服务评价检查表_{path.stem.split('_')[0]}{city}.zip"
        assert attachment["Content-Type"].params["name"] == attachment.get_filename()
        raw = path.read_bytes()
        assert b"filename*=utf-8''" in raw and b'name="=?utf-8?b?' in raw  # RFC 2231 and the Outlook form
        assert b'filename="=?utf-8?b?' in raw
        lines = raw.split(b"\r\n")
        assert raw.endswith(b"\r\n") and not any(b"\n" in line or len(line) > 998 for line in lines)
        assert raw.isascii()  # every header and the body encoded: nothing for a 7-bit relay to mangle
        zf = zipfile.ZipFile(__import__("io").BytesIO(attachment.get_content()))
        halls = [h for h in setup["halls"] if h.city == city]
        assert len(zf.namelist()) == len(halls) and all(n.startswith(city + "/") for n in zf.namelist())
        assert f"共 {len(halls)} 个营业厅" in msg["Subject"]
    guangdong = parse(first["广东_广东市.eml"])
    assert [a.addr_spec for a in guangdong["To"].addresses] == ["wang@gd.example.cn", "li@gd.example.cn"]
    assert guangdong["Cc"].addresses[0].addr_spec == "boss@example.cn"
    # A rerun gives the same bytes.
    run("mail", "templates", "--contacts", setup["contacts"], "--templates", setup["templates"], "--out", out,
        "--from", SENDER, "--deadline", "2025-06-30", "--date", "2025-03-01", "--register", setup["register"],
        "--year", YEAR)
    assert {f.name: f.read_bytes() for f in sorted(out.glob("*.eml"))} == first


def test_custom_body_template(setup):
    tpl = setup["tmp"] / "body.j2"
    tpl.write_text("主题:请查收 {{ city }} 的检查表\n{{ contact }}:共 {{ halls_count }} 份,截止 {{ deadline }}。\n",
                   encoding="utf-8")
    out = setup["tmp"] / "o"
    run("mail", "templates", "--contacts", setup["contacts"], "--templates", setup["templates"], "--out", out,
        "--from", SENDER, "--body-template", tpl, "--deadline", "2025-07-01", "--date", "2025-03-01", "--year", YEAR)
    msg = parse((out / "江苏_江苏市.eml").read_bytes())
    assert msg["Subject"] == "请查收 江苏市 的检查表"
    assert msg.get_body().get_content().strip() == "赵经理:共 2 份,截止 2025 年 7 月 1 日。"


@pytest.mark.parametrize("args, expected", [
    (["mail", "templates", "--bogus"], "没有选项 --bogus"),
    (["mail", "templates", "--out", "x", "--from", SENDER], "缺少必填选项"),
    (["mail", "templates", "--contacts", "无此文件.xlsx", "--templates", ".", "--out", "x", "--from", SENDER],
     "联系人清单 无此文件.xlsx 不存在"),
    (["mail", "problems", "--json", "无此文件.json", "--contacts", "c", "--out", "x", "--from", SENDER],
     "校验结果 无此文件.json 不存在"),
    (["mail", "reminders", "--register", "无.xlsx", "--contacts", "c", "--json", "j", "--out", "x", "--from", SENDER],
     "营业厅清单 无.xlsx 不存在"),
    (["mail", "problems", "--json", "j", "--contacts", "c", "--out", "x", "--from", "不是地址"],
     "发件人 --from 应为一个邮箱地址"),
    (["mail", "nosuch"], "没有子命令"),
])
def test_cli_errors_are_chinese(tmp_path, monkeypatch, args, expected):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "j").write_text('{"files": []}', encoding="utf-8")
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0
    assert expected in result.output
    assert "Traceback" not in result.output and "Error:" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_help_is_chinese():
    for command in ("templates", "problems", "reminders"):
        result = CliRunner().invoke(main, ["mail", command, "--help"])
        assert result.exit_code == 0 and "示例" in result.output and "邮件" in result.output


# -- SMTP ------------------------------------------------------------------------------------------------------

class _Handler:
    def __init__(self, refuse=()):
        self.refuse = set(refuse)
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    started = []

    def start(refuse=()):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        handler = _Handler(refuse)
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        return handler, port

    yield start
    for controller in started:
        controller.stop()


def test_send_over_smtp_once_and_refused_recipient(setup, smtp_server):
    handler, port = smtp_server(refuse={"li@gd.example.cn"})
    out = setup["tmp"] / "发件箱"
    args = ["mail", "templates", "--contacts", setup["contacts"], "--templates", setup["templates"], "--out", out,
            "--from", SENDER, "--year", YEAR, "--send", "--smtp", f"127.0.0.1:{port}", "--rate", "6000"]
    result = run(*args)
    assert result.exit_code == 1  # a refused recipient is reported …
    assert "li@gd.example.cn" in result.output and "550" in result.output
    assert "本次发送 2 封" in result.output  # … and the rest still go
    by_rcpt = {tuple(r): parse(data) for r, data in handler.received}
    assert set(by_rcpt) == {("wang@gd.example.cn", "boss@example.cn"), ("zhao@js.example.cn",)}
    msg = by_rcpt[("zhao@js.example.cn",)]
    assert "X-Unsent" not in msg
    assert msg["Date"].datetime.year >= 2024 and msg["Date"].datetime.tzinfo is not None
    assert sorted(p.name for p in out.glob("*.eml")) == ["广东_广东市.eml", "江苏_江苏市.eml"]  # the record
    assert msg["Subject"] == "2025 年营业厅服务评价检查表(江苏江苏市,共 2 个营业厅)"
    assert msg["From"].addresses[0].display_name == "省公司服务管理"
    assert "赵经理,您好" in msg.get_body().get_content()
    assert [a.get_filename() for a in msg.iter_attachments()] == ["2025年营业厅服务评价检查表_江苏江苏市.zip"]
    log = [json.loads(line) for line in (out / "sent.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(e["recipients"] for e in log) == [["wang@gd.example.cn", "boss@example.cn"], ["zhao@js.example.cn"]]
    assert all(e["message_id"] and e["time"] for e in log)
    # A rerun sends nothing twice.
    again = run(*args)
    assert again.exit_code == 0 and "本次发送 0 封" in again.output and "跳过)2 封" in again.output
    assert len(handler.received) == 2


def test_send_rate_is_bounded(setup, smtp_server):
    handler, port = smtp_server()
    contacts = load_contacts(setup["contacts"])
    drafts = template_drafts(contacts, setup["templates"], YEAR, SENDER)
    waits = []
    ticks = iter(range(100))
    result = send(drafts, setup["tmp"] / "o", "127.0.0.1", port, rate=2, sleep=waits.append,
                  clock=lambda: float(next(ticks)))
    assert len(result.sent) == 2 and len(handler.received) == 2
    assert waits and all(w > 0 for w in waits) and max(waits) <= 30
    assert sent_ids(setup["tmp"] / "o") == set(result.sent)


# -- returns from the mailbox, end to end ---------------------------------------------------------------------

def _reply(original, sender: str, attachments, n: int, body: str = "附件是填好的检查表。") -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = original["From"]
    msg["Subject"] = "回复:" + original["Subject"]
    msg["Date"] = format_datetime(datetime(YEAR, 5, 10 + n, 10, 0, tzinfo=UTC))
    msg["Message-ID"] = f"<reply{n}@gd.example.cn>"
    msg["In-Reply-To"] = original["Message-ID"]
    msg.set_content(body)
    for name, data, kind in attachments:
        msg.add_attachment(data, maintype=kind[0], subtype=kind[1], filename=name)
    return msg


def test_end_to_end_templates_mbox_build_and_replies(setup, standard, tmp_path):
    halls = setup["halls"]
    out = tmp_path / "发件箱"
    run("mail", "templates", "--contacts", setup["contacts"], "--templates", setup["templates"], "--out", out,
        "--from", SENDER, "--year", YEAR)
    gd = parse((out / "广东_广东市.eml").read_bytes())
    js = parse((out / "江苏_江苏市.eml").read_bytes())
    filled = tmp_path / "filled"
    good = [write_return(standard, h, full_fill(standard), filled) for h in halls[:3]]
    bad = write_return(standard, halls[3], full_fill(standard, inspector=""), filled)
    folder_copy = tmp_path / "回收"
    folder_copy.mkdir()
    (folder_copy / good[0].name).write_bytes(good[0].read_bytes())  # also saved by hand into a folder
    mails = [
        _reply(gd, "王经理 <wang@gd.example.cn>", [(p.name, p.read_bytes(), XLSX) for p in good[:2]], 1),
        _reply(gd, "李 <li@gd.example.cn>", [(good[2].name, good[2].read_bytes(), XLSX)], 2),
        _reply(js, "赵经理 <zhao@js.example.cn>", [(bad.name, bad.read_bytes(), XLSX)], 3),
        _reply(js, "赵经理 <zhao@js.example.cn>", [("检查表.zip", b"PK\x05\x06" + b"\0" * 18, ("application", "zip"))], 4),
        _reply(js, "赵经理 <zhao@js.example.cn>", [], 5, body="请从网盘下载:https://pan.example.cn/s/abc"),
    ]
    box_path = tmp_path / "inbox.mbox"
    box = mailbox.mbox(str(box_path))
    for msg in mails:
        box.add(msg.as_bytes(policy=policy.SMTP).replace(b"\r\n", b"\n"))
    box.close()
    before = box_path.read_bytes()

    archive, site = tmp_path / "archive", tmp_path / "site"
    result = run("build", box_path, folder_copy, "--register", setup["register"], "--year", YEAR,
                 "--archive", archive, "--site-dir", site, "--no-cache", "--workers", 1)
    assert result.exit_code == 0, result.output
    assert box_path.read_bytes() == before  # the mail file is never modified
    intake = json.loads((archive / str(YEAR) / "intake.json").read_text(encoding="utf-8"))
    files = {f["path"]: f for f in intake["files"]}
    # Every mail is accounted for: each one's Message-ID appears in some status.
    seen = {f["mail"]["message_id"] for f in intake["files"] if f.get("mail")}
    assert seen == {m["Message-ID"] for m in mails}
    from_mail = [f for f in intake["files"] if f.get("mail")]
    assert all(p.startswith("inbox.mbox#") for p in (f["path"] for f in from_mail))
    wang = [f for f in from_mail if f["mail"]["sender"] == "王经理 <wang@gd.example.cn>"]
    assert len(wang) == 2 and wang[0]["mail"]["date"].startswith(f"{YEAR}-05-11")
    assert wang[0]["mail"]["subject"].startswith("回复:")
    # Same bytes by mail and from the folder: one return, the other superseded as identical.
    same = [f for f in intake["files"] if f["path"].endswith(good[0].name)]
    assert sorted(f["status"] for f in same) == ["accepted", "superseded"]
    assert "内容相同" in next(f for f in same if f["status"] == "superseded")["note"]
    rejected = [f for f in intake["files"] if f["status"] == "rejected"]
    codes = sorted(p["code"] for f in rejected for p in f["problems"])
    assert codes == ["cover-inspector-missing", "mail-no-workbook", "mail-no-workbook"]
    messages = " ".join(p["message"] for f in rejected for p in f["problems"])
    assert "检查表.zip" in messages and "https://pan.example.cn/s/abc" in messages
    assert any(f["status"] == "ignored" and f["path"].endswith("/检查表.zip") for f in intake["files"])
    # The same mbox in another order gives the same names.
    box2 = tmp_path / "again" / "inbox.mbox"
    box2.parent.mkdir()
    b = mailbox.mbox(str(box2))
    for msg in reversed(mails):
        b.add(msg.as_bytes(policy=policy.SMTP))
    b.close()
    report = run_intake([box2], standard, halls, YEAR, today=date(YEAR, 12, 1))
    assert sorted(f.path for f in report.files) == sorted(p for p in files if p.startswith("inbox.mbox"))

    page = (site / str(YEAR) / "quality.html").read_text(encoding="utf-8")
    assert "各市回收情况" in page and "邮件回收的文件" in page
    # The site is public within the company: senders by name, no address, Message-ID or machine path on any
    # page or in the search index (intake.json above keeps them all).
    assert re.search(r"<td[^>]*>王经理</td>", page) and good[0].name in page
    for shown in [p for p in site.rglob("*") if p.suffix in (".html", ".json", ".js") and "assets" not in p.parts]:
        text = shown.read_text(encoding="utf-8")
        assert not re.search(r"[\w.-]+@[\w-]+\.[\w.-]+", text), shown
        assert "inbox.mbox#" not in text and str(tmp_path) not in text and "回收/" not in text, shown
    # 广东: 3 expected, 3 received and accepted; 江苏: 2 expected, 1 rejected, 1 missing.
    rows = [re.findall(r"<td>([^<]*)</td>", tr) for tr in re.findall(r"<tr>(.*?)</tr>", page, re.S)]
    assert ["广东", "广东市", "3", "3", "3", "0", "0", "2025-05-12"] in rows
    assert ["江苏", "江苏市", "2", "1", "0", "1", "1", "2025-05-13"] in rows

    # Problem replies for the rejected ones: one per mail, answering that mail.
    replies = tmp_path / "退回"
    result = run("mail", "problems", "--archive", archive, "--year", YEAR, "--register", setup["register"],
                 "--contacts", setup["contacts"],
                 "--out", replies, "--from", SENDER, "--date", "2025-05-20")
    assert result.exit_code == 0, result.output
    drafts = [parse(p.read_bytes()) for p in sorted(replies.glob("*.eml"))]
    assert sorted(d["In-Reply-To"] for d in drafts) == ["<reply3@gd.example.cn>", "<reply4@gd.example.cn>",
                                                         "<reply5@gd.example.cn>"]
    three = next(d for d in drafts if d["In-Reply-To"] == "<reply3@gd.example.cn>")
    assert three["References"] == "<reply3@gd.example.cn>"
    assert three["Subject"] == "Re: " + js["Subject"]
    assert [a.addr_spec for a in three["To"].addresses] == ["zhao@js.example.cn"]
    body = three.get_body().get_content()
    assert bad.name in body and "封面 B" in body and "检查人为空" in body
    five = next(d for d in drafts if d["In-Reply-To"] == "<reply5@gd.example.cn>").get_body().get_content()
    assert "1. 本邮件" in five and "https://pan.example.cn/s/abc" in five
    (sheet,) = three.iter_attachments()
    assert sheet.get_filename() == "问题清单.xlsx"
    import openpyxl
    wb = openpyxl.load_workbook(__import__("io").BytesIO(sheet.get_content()))
    rows = list(wb["问题清单"].iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][8] == "cover-inspector-missing" and rows[1][1] == "江苏市"

    # Reminders: 江苏 still lacks both halls; 广东 is complete and gets none.
    reminders = tmp_path / "催报"
    result = run("mail", "reminders", "--register", setup["register"], "--contacts", setup["contacts"],
                 "--archive", archive, "--year", YEAR, "--out", reminders, "--from", SENDER, "--deadline", "2025-06-30",
                 "--date", "2025-05-20")
    assert result.exit_code == 0, result.output
    (only,) = sorted(reminders.glob("*.eml"))
    msg = parse(only.read_bytes())
    assert "江苏江苏市" in msg["Subject"] and "尚缺 2 个营业厅的检查表" in msg["Subject"]
    text = msg.get_body().get_content()
    assert all(h.hall_id in text for h in halls[3:]) and "已退回" in text and "2025 年 6 月 30 日" in text


def test_single_eml_and_mbox_without_extension(setup, standard, tmp_path):
    hall = setup["halls"][0]
    path = write_return(standard, hall, full_fill(standard), tmp_path / "f")
    original = parse((lambda: (run("mail", "templates", "--contacts", setup["contacts"], "--templates",
                                   setup["templates"], "--out", tmp_path / "o", "--from", SENDER, "--year", YEAR),
                               (tmp_path / "o" / "广东_广东市.eml").read_bytes())[1])())
    msg = _reply(original, "王 <wang@gd.example.cn>", [(path.name, path.read_bytes(), XLSX)], 7)
    folder = tmp_path / "收件"
    folder.mkdir()
    (folder / "回复.eml").write_bytes(msg.as_bytes(policy=policy.SMTP))
    box = mailbox.mbox(str(folder / "Inbox"))
    box.add(msg.as_bytes(policy=policy.SMTP))
    box.close()
    report = run_intake([folder], standard, setup["halls"], YEAR, today=date(YEAR, 12, 1))
    paths = {f.path: f for f in report.files}
    assert f"收件/回复.eml/{path.name}" in paths
    assert any(p.startswith("收件/Inbox#") and p.endswith(path.name) for p in paths)
    assert sorted(f.status for f in report.files) == ["accepted", "superseded"]
    assert all(f.mail["message_id"] == "<reply7@gd.example.cn>" for f in report.files)


def test_attachments_odd_names_xls_and_temp_folder_removed(setup, standard, tmp_path, monkeypatch):
    import tempfile

    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    hall = setup["halls"][0]
    path = write_return(standard, hall, full_fill(standard), tmp_path / "f")
    data = path.read_bytes()
    original = EmailMessage()
    original["From"], original["Subject"], original["Message-ID"] = SENDER, "检查表", "<orig@example.cn>"
    msg = _reply(original, "王 <wang@gd.example.cn>", [
        ("..\\..\\" + path.name, data, XLSX),  # a Windows path from an old client: only the name counts
        (path.name, data, XLSX),  # the same name twice in one mail
        ("旧表.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, ("application", "vnd.ms-excel")),
    ], 8)
    eml = tmp_path / "回复.eml"
    eml.write_bytes(msg.as_bytes(policy=policy.SMTP))
    report = run_intake([eml], standard, setup["halls"], YEAR, today=date(YEAR, 12, 1))
    by_path = {f.path: f for f in report.files}
    assert set(by_path) == {f"回复.eml/{path.name}", f"回复.eml/{path.stem}(2).xlsx", "回复.eml/旧表.xls"}
    assert sorted(f.status for f in report.files) == ["accepted", "rejected", "superseded"]
    assert by_path["回复.eml/旧表.xls"].problems[0].code == "file-legacy-xls"
    assert all(f.mail["sender"] == "王 <wang@gd.example.cn>" for f in report.files)
    assert list(private.iterdir()) == []  # the attachments' temporary folder is gone
    # validate --json, then a reply from that file: the .xls is the one problem, answered to its sender.
    checked = tmp_path / "校验结果.json"
    result = run("validate", eml, "--register", setup["register"], "--year", YEAR, "--json", checked)
    assert result.exit_code == 1 and "回复.eml/旧表.xls" in result.output
    monkeypatch.setenv("HALLSCORE_MAIL_FROM", SENDER)
    result = run("mail", "problems", "--json", checked, "--contacts", setup["contacts"], "--out", tmp_path / "退回",
                 "--date", "2025-06-01")
    assert result.exit_code == 0, result.output
    (reply,) = [parse(p.read_bytes()) for p in (tmp_path / "退回").glob("*.eml")]
    assert reply["In-Reply-To"] == "<reply8@gd.example.cn>" and reply["From"].addresses[0].addr_spec == "fw@example.cn"
    assert "旧表.xls" in reply.get_body().get_content() and "旧版 Excel 97-2003" in reply.get_body().get_content()
    assert reply["Date"].datetime.date() == date(2025, 6, 1)


def test_damaged_mail_file_is_reported(setup, standard, tmp_path):
    box = tmp_path / "坏.mbox"
    box.write_bytes(b"\x00\xff not a mailbox")
    report = run_intake([box], standard, setup["halls"], YEAR)
    (status,) = report.files
    assert status.status == "rejected" and status.problems[0].code == "mail-no-workbook"
    assert "没有附件" in status.problems[0].message
    # Broken MIME: no boundary, a boundary never closed, a bad base64 attachment, a header of garbage.
    mails = tmp_path / "坏邮件"
    mails.mkdir()
    (mails / "a.eml").write_bytes(b"From: x@y.cn\r\nContent-Type: multipart/mixed\r\n\r\nbody\r\n")
    (mails / "b.eml").write_bytes(b"From: x@y.cn\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n"
                                  b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; "
                                  b"filename=a.xlsx\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@!!\r\n")
    (mails / "c.eml").write_bytes(b"From: \xff\xfe\r\nDate: not a date\r\nMessage-ID: <c@y.cn>\r\n\r\nhi\r\n")
    report = run_intake([mails], standard, setup["halls"], YEAR)
    assert {f.path.split("/")[1] for f in report.files} == {"a.eml", "b.eml", "c.eml"}
    assert all(f.status == "rejected" for f in report.files)
    assert report.files[-1].mail["date"] == "not a date" and report.files[-1].mail["message_id"] == "<c@y.cn>"


def test_smtp_unreachable_and_password_rules(setup):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    base = ["mail", "templates", "--contacts", setup["contacts"], "--templates", setup["templates"],
            "--out", setup["tmp"] / "o", "--from", SENDER, "--year", YEAR, "--send"]
    result = run(*base, "--smtp", f"127.0.0.1:{port}")
    assert result.exit_code == 1 and "无法通过 SMTP 服务器" in result.output and "Traceback" not in result.output
    result = run(*base, "--smtp", f"127.0.0.1:{port}", "--smtp-user", "fw")
    assert result.exit_code == 1 and "HALLSCORE_SMTP_PASSWORD" in result.output
    result = run(*base)
    assert result.exit_code == 1 and "--smtp" in result.output
    result = run(*base, "--smtp", "no-port")
    assert result.exit_code == 1 and "主机:端口" in result.output
    assert not (setup["tmp"] / "o" / "sent.jsonl").exists() or not (setup["tmp"] / "o" / "sent.jsonl").read_text()


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made by the openssl command line."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # aiosmtpd on the SSL port
@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_send_with_tls_and_login(setup, mode, monkeypatch):
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    cert, key = _certificate(setup["tmp"])
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        ok = (auth_data.login, auth_data.password) == (b"fw", "密码 secret".encode())
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = _Handler()
    # aiosmtpd counts only STARTTLS as TLS for AUTH; on an SSL port the whole connection is TLS already.
    tls = ({"tls_context": context, "require_starttls": True, "auth_require_tls": True} if mode == "starttls"
           else {"ssl_context": context, "auth_require_tls": False})
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_required=True, **tls)
    controller.start()
    try:
        args = ["mail", "templates", "--contacts", setup["contacts"], "--templates", setup["templates"],
                "--out", setup["tmp"] / "o", "--from", SENDER, "--year", YEAR, "--send", "--smtp",
                f"127.0.0.1:{port}", f"--{mode}", "--smtp-user", "fw", "--rate", "6000"]
        monkeypatch.setenv("HALLSCORE_SMTP_PASSWORD", "wrong")
        result = run(*args, "--smtp-cafile", cert)
        assert result.exit_code == 1 and "535" in result.output and not handler.received
        monkeypatch.setenv("HALLSCORE_SMTP_PASSWORD", "密码 secret")
        result = run(*args, "--smtp-cafile", cert)
        assert result.exit_code == 0, result.output
        assert len(handler.received) == 2 and logins[-1] == (b"fw", "密码 secret".encode())
        # Without our CA the server's certificate is refused, so nothing goes out unchecked.
        args[args.index("--out") + 1] = setup["tmp"] / "o2"
        result = run(*args)
        assert result.exit_code == 1 and "服务器证书校验失败" in result.output and "--smtp-cafile" in result.output
        assert len(handler.received) == 2
    finally:
        controller.stop()


def test_mail_returns_through_the_cache_give_the_same_report(setup, standard, tmp_path):
    from generator.incremental.intake_cache import IntakeCache

    hall = setup["halls"][1]
    path = write_return(standard, hall, full_fill(standard), tmp_path / "f")
    original = EmailMessage()
    original["From"], original["Subject"], original["Message-ID"] = SENDER, "检查表", "<o@example.cn>"
    box = mailbox.mbox(str(tmp_path / "inbox.mbox"))
    box.add(_reply(original, "李 <li@gd.example.cn>", [(path.name, path.read_bytes(), XLSX)], 9).as_bytes())
    box.add(_reply(original, "李 <li@gd.example.cn>", [], 10).as_bytes())
    box.close()
    reports = []
    for _ in range(2):
        cache = IntakeCache(tmp_path / "cache")
        reports.append(run_intake([tmp_path / "inbox.mbox"], standard, setup["halls"], YEAR, today=date(YEAR, 12, 1),
                                  cache=cache))
        cache.close()
    assert cache.hits == 1
    assert reports[0].to_dict() == reports[1].to_dict()
    assert [f.status for f in reports[1].files].count("accepted") == 1 and reports[1].files[0].mail


class _WindowsName(zipfile.ZipInfo):
    """A member named as Chinese Windows' zip tools write it: GBK bytes, no UTF-8 flag."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def _city_zip(members) -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data, gbk in members:
            info = _WindowsName(name) if gbk else zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buffer.getvalue()


def test_zipped_and_forwarded_returns_are_read(setup, standard, tmp_path):
    halls = setup["halls"]
    filled = tmp_path / "filled"
    one, two, three = (write_return(standard, h, full_fill(standard), filled) for h in halls[:3])
    bad = write_return(standard, halls[3], full_fill(standard, inspector=""), filled)
    city = _city_zip([
        (f"广州/{one.name}", one.read_bytes(), True),  # GBK, as Windows' "发送到压缩文件夹" writes it
        (f"深圳/{two.name}", two.read_bytes(), False),  # UTF-8, flagged
        (f"__MACOSX/广州/._{one.name}", b"\0" * 10, False),
        ("说明.txt", "已填写".encode("gbk"), True),
        ("内层.zip", _city_zip([(three.name, three.read_bytes(), False)]), False),
        ("大表.xlsx", b"\0" * (21 * 1024 * 1024), False),  # 21 MB of zeros: a few KB zipped
        (bad.name, bad.read_bytes(), True),
    ])
    original = EmailMessage()
    original["From"], original["Subject"], original["Message-ID"] = SENDER, "检查表", "<orig@example.cn>"
    zipped = _reply(original, "王 <wang@gd.example.cn>", [("广东市回收.zip", city, ("application", "zip"))], 1)
    inner = _reply(original, "李 <li@gd.example.cn>", [(three.name, three.read_bytes(), XLSX)], 2)
    forward = _reply(original, "王 <wang@gd.example.cn>", [], 3, body="转发李的检查表。")
    forward.add_attachment(inner)  # Outlook's "以附件形式转发": message/rfc822
    broken = _reply(original, "赵 <zhao@js.example.cn>", [("坏.zip", b"PK\x03\x04 not really", ("application", "zip")),
                                                        ("表.rar", b"Rar!\x1a\x07\x00", ("application", "x-rar"))], 4)
    box_path = tmp_path / "inbox.mbox"
    box = mailbox.mbox(str(box_path))
    for msg in (zipped, forward, broken):
        box.add(msg.as_bytes(policy=policy.SMTP).replace(b"\r\n", b"\n"))
    box.close()
    report = run_intake([box_path], standard, halls, YEAR, today=date(YEAR, 12, 1))
    files = {f.path.split("/", 1)[1]: f for f in report.files}
    assert files[f"广东市回收.zip/广州/{one.name}"].status == "accepted"
    assert files[f"广东市回收.zip/深圳/{two.name}"].status == "accepted"
    assert files[f"广东市回收.zip/{bad.name}"].problems[0].code == "cover-inspector-missing"
    assert files["广东市回收.zip/大表.xlsx"].problems[0].code == "file-too-large"
    assert "21.0 MB" in files["广东市回收.zip/大表.xlsx"].problems[0].message
    for ignored, words in ((f"广东市回收.zip/__MACOSX/广州/._{one.name}", "临时文件"), ("广东市回收.zip/说明.txt", "不是检查表"),
                           ("广东市回收.zip/内层.zip", "解开后再发送"), ("表.rar", "rar/7z")):
        assert files[ignored].status == "ignored" and words in files[ignored].note, ignored
    forwarded = next(f for p, f in files.items() if p.endswith(f"/{three.name}") and "转发邮件" in p)
    assert forwarded.status == "accepted" and forwarded.mail["sender"] == "王 <wang@gd.example.cn>"
    assert files["坏.zip"].problems[0].code == "zip-unreadable"
    assert files["坏.zip"].problems[0].file.endswith("/坏.zip") and "不是完整的 zip 文件" in files["坏.zip"].problems[0].message
    assert "BadZipFile" not in files["坏.zip"].problems[0].message  # no exception name reaches an inspector
    # Every message accounted for, and the same mailbox gives the same report twice.
    assert {f.mail["message_id"] for f in report.files if f.mail} == {"<reply1@gd.example.cn>", "<reply3@gd.example.cn>",
                                                                      "<reply4@gd.example.cn>"}
    again = run_intake([box_path], standard, halls, YEAR, today=date(YEAR, 12, 1))
    assert again.to_dict() == report.to_dict()
