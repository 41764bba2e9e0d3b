"""The mailbox as it really arrives: Maildir folders, the year inside mails and zips, hallscore's own mail,
one reply per problem whatever the export is called, hostile senders and names."""
# ruff: noqa: F811 - the fixtures of test_mail are imported and used by name

from __future__ import annotations

import json
import mailbox
from datetime import UTC, date, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from support.returns import YEAR, full_fill, write_return
from test_mail import SENDER, XLSX, parse, run, setup, smtp_server  # noqa: F401 - fixtures used by name

from generator.intake.run import run_intake


def _mail(sender: str, n: int, attachments=(), subject: str = "回复:检查表", **headers) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = SENDER
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(YEAR, 5, 10 + n, 10, 0, tzinfo=UTC))
    msg["Message-ID"] = headers.pop("message_id", f"<m{n}@gd.example.cn>")
    for key, value in headers.items():
        msg[key.replace("_", "-")] = value
    msg.set_content("附件是填好的检查表。")
    for name, data in attachments:
        msg.add_attachment(data, maintype=XLSX[0], subtype=XLSX[1], filename=name)
    return msg


def test_maildir_messages_are_read_and_keep_their_names_when_moved(setup, standard, tmp_path):  # noqa: F811
    halls = setup["halls"]
    filled = tmp_path / "filled"
    good = write_return(standard, halls[0], full_fill(standard), filled)
    bad = write_return(standard, halls[1], full_fill(standard, inspector=""), filled)
    box_path = tmp_path / "收件" / "Maildir"
    box_path.parent.mkdir()
    box = mailbox.Maildir(str(box_path), create=True)
    keys = [box.add(_mail("王经理 <wang@gd.example.cn>", 1, [(good.name, good.read_bytes())])),
            box.add(_mail("李 <li@gd.example.cn>", 2, [(bad.name, bad.read_bytes())])),
            box.add(_mail("赵 <zhao@js.example.cn>", 3))]
    # One message read by the client: moved to cur/ with its flags in the file name.
    message = box[keys[0]]
    message.set_subdir("cur")
    message.add_flag("S")
    box[keys[0]] = message
    (box_path / "tmp" / "123.half-delivered").write_bytes(b"From: x\r\n")
    box.close()
    assert len(list((box_path / "cur").iterdir())) == 1 and len(list((box_path / "new").iterdir())) == 2
    report = run_intake([tmp_path / "收件"], standard, halls, YEAR, today=date(YEAR, 12, 1))
    by_status: dict[str, list[str]] = {}
    for f in report.files:
        by_status.setdefault(f.status, []).append(f.path)
    assert len(by_status["accepted"]) == 1 and by_status["accepted"][0].endswith("/" + good.name)
    assert len(by_status["rejected"]) == 2 and any(p.endswith("/" + bad.name) for p in by_status["rejected"])
    assert {f.mail.get("message_id") for f in report.files if f.mail} == {"<m1@gd.example.cn>", "<m2@gd.example.cn>",
                                                                          "<m3@gd.example.cn>"}
    assert all(p.startswith("收件/Maildir#") for p in by_status["accepted"] + by_status["rejected"])
    assert by_status["ignored"] == ["收件/Maildir/tmp/123.half-delivered"]
    codes = sorted(p.code for f in report.files for p in f.problems if p.severity == "error")
    assert codes == ["cover-inspector-missing", "mail-no-workbook"]
    # All read, moved back to new/ and flagged otherwise: the same names.
    box = mailbox.Maildir(str(box_path), create=False)
    for key in list(box.iterkeys()):
        message = box[key]
        message.set_subdir("cur")
        message.set_flags("RS")
        box[key] = message
    box.close()
    again = run_intake([tmp_path / "收件"], standard, halls, YEAR, today=date(YEAR, 12, 1))
    assert [(f.path, f.status) for f in again.files] == [(f.path, f.status) for f in report.files]
    # validate says the same from the command line, and nothing is "已忽略" silently but tmp/.
    checked = tmp_path / "v.json"
    result = run("validate", tmp_path / "收件", "--register", setup["register"], "--year", YEAR, "--json", checked)
    assert result.exit_code == 1, result.output
    files = json.loads(checked.read_text(encoding="utf-8"))["files"]
    assert [f["status"] for f in files].count("ignored") == 1


def test_year_is_taken_from_workbooks_in_mails_and_zips(standard, tmp_path):
    import zipfile

    from support.returns import make_halls

    from generator.rules.register import write_register

    last_year = date.today().year - 1
    halls = make_halls({"甲": 4})
    write_register(halls, tmp_path / "register.xlsx")
    filled = tmp_path / "filled"
    paths = [write_return(standard, h, full_fill(standard, when=date(last_year, 5, 10)), filled, year=last_year)
             for h in halls[:3]]
    returns = tmp_path / "回收"
    returns.mkdir()
    box = mailbox.mbox(str(returns / "inbox.mbox"))
    box.add(_mail("王 <wang@gd.example.cn>", 1, [(paths[0].name, paths[0].read_bytes())]))
    box.close()
    with zipfile.ZipFile(returns / "包.zip", "w") as zf:
        zf.writestr(paths[1].name, paths[1].read_bytes())
    (returns / "x.eml").write_bytes(_mail("李 <li@gd.example.cn>", 2, [(paths[2].name, paths[2].read_bytes())])
                                    .as_bytes(policy=policy.SMTP))
    result = run("validate", returns, "--register", tmp_path / "register.xlsx")
    assert result.exit_code == 0, result.output
    assert f"_meta 中的年度 {last_year} 年处理(3 份)" in result.output
    assert "template-year-mismatch" not in result.output
    # A mixed set: which years, and where each was found.
    this_year = write_return(standard, halls[3], full_fill(standard, when=date(last_year + 1, 5, 10)), filled,
                             year=last_year + 1)
    (returns / this_year.name).write_bytes(this_year.read_bytes())
    result = run("validate", returns, "--register", tmp_path / "register.xlsx")
    assert f"{last_year} 年处理(3 份;另有 1 份为其他年度)" in result.output
    assert f"  {last_year + 1} 年:回收/{this_year.name}" in result.output
    assert "回收/inbox.mbox#" in result.output and "回收/包.zip/" in result.output
    # build likewise: the year's archive is the one the returns carry.
    (returns / this_year.name).unlink()
    result = run("build", returns, "--register", tmp_path / "register.xlsx", "--archive", tmp_path / "archive",
                 "--site-dir", tmp_path / "site", "--no-cache", "--workers", 1)
    assert result.exit_code == 0, result.output
    intake = json.loads((tmp_path / "archive" / str(last_year) / "intake.json").read_text(encoding="utf-8"))
    assert sorted(f["status"] for f in intake["files"]) == ["accepted"] * 3


def _deliver_to_maildir(handler, address: str, box: mailbox.Maildir) -> int:
    """What the SMTP server received for ``address``, delivered into a Maildir as an MTA does."""
    n = 0
    for recipients, data in handler.received:
        if address in recipients:
            box.add(data)
            n += 1
    return n


def test_own_mail_left_out_one_reply_per_message_and_closed_by_a_correction(setup, standard, tmp_path, smtp_server):  # noqa: F811, E501
    halls = setup["halls"]
    handler, port = smtp_server()
    smtp = ["--send", "--smtp", f"127.0.0.1:{port}", "--rate", 100000]
    outbox = tmp_path / "发件箱"
    result = run("mail", "templates", "--contacts", setup["contacts"], "--templates", setup["templates"],
                 "--out", outbox, "--from", SENDER, *smtp)
    assert result.exit_code == 0, result.output
    # The manager is Cc'd on 广东's templates: the copy lands in the same mailbox the returns come to.
    inbox_path = tmp_path / "收件" / "manager"
    inbox_path.parent.mkdir()
    inbox = mailbox.Maildir(str(inbox_path), create=True)
    assert _deliver_to_maildir(handler, "boss@example.cn", inbox) == 1
    filled = tmp_path / "filled"
    good = write_return(standard, halls[0], full_fill(standard), filled)
    bad_js = write_return(standard, halls[3], full_fill(standard, inspector=""), filled)
    bad_gd = write_return(standard, halls[1], full_fill(standard, inspector=""), filled)
    forged = write_return(standard, halls[2], full_fill(standard, inspector=""), filled)
    outside = ", ".join(f"x{n}@outside.example" for n in range(50))
    mails = [
        _mail("王经理 <wang@gd.example.cn>", 1, [(good.name, good.read_bytes())]),
        _mail("赵经理 <zhao@js.example.cn>", 2, [(bad_js.name, bad_js.read_bytes())]),
        # The same Message-ID from somebody else: a message of its own, never answered with 赵's reply.
        _mail("赵经理 <evil@evil.example>", 3, [(forged.name, forged.read_bytes())], message_id="<m2@gd.example.cn>"),
        # Reply-To: 50 outside addresses and one of the contacts: only the contact is written to.
        _mail("李 <li@gd.example.cn>", 4, [(bad_gd.name, bad_gd.read_bytes())],
              Reply_To=outside + ", 王经理 <wang@gd.example.cn>"),
        # The configured --from itself (a forward from the manager's own account): never answered.
        _mail(SENDER, 5, [(bad_gd.name, bad_gd.read_bytes())]),
    ]
    for msg in mails:
        inbox.add(msg)
    inbox.close()
    checked = tmp_path / "v.json"
    result = run("validate", tmp_path / "收件", "--register", setup["register"], "--year", YEAR, "--json", checked)
    assert result.exit_code == 1, result.output
    files = json.loads(checked.read_text(encoding="utf-8"))["files"]
    own = [f for f in files if "hallscore 自己发出的邮件" in f["note"]]
    assert len(own) == 1 and own[0]["status"] == "ignored" and own[0]["mail"]["message_id"].endswith(
        "@hallscore.invalid>")
    assert not any("检查表_广东广东市.zip" in f["path"] for f in files)  # the blank templates are not returns
    replies = tmp_path / "退回"
    problems = ["mail", "problems", "--json", checked, "--contacts", setup["contacts"], "--out", replies,
                "--from", SENDER, "--date", "2025-05-20", *smtp]
    before = len(handler.received)
    result = run(*problems)
    assert result.exit_code == 0, result.output
    sent = [(rcpts, parse(data)) for rcpts, data in handler.received[before:]]
    assert sorted(r for rcpts, _ in sent for r in rcpts) == ["wang@gd.example.cn", "zhao@js.example.cn"]
    assert "本次发送 2 封" in result.output
    assert "evil@evil.example" in result.output and "不在联系人清单" in result.output
    assert "fw@example.cn" in result.output and "本系统的发件地址" in result.output
    zhao = next(m for rcpts, m in sent if rcpts == ["zhao@js.example.cn"])
    assert zhao["In-Reply-To"] == "<m2@gd.example.cn>" and forged.name not in zhao.get_body().get_content()
    assert str(zhao["To"]) == "赵经理 <zhao@js.example.cn>"
    assert zhao.get_body().get_content().startswith("赵经理您好")
    to_wang = next(m for rcpts, m in sent if rcpts == ["wang@gd.example.cn"])
    assert to_wang["In-Reply-To"] == "<m4@gd.example.cn>" and "outside.example" not in str(to_wang["To"])

    # The replies land in the manager's mailbox too (Sent folder), and the mailbox is exported again under
    # another name, as an mbox this time: no reply is new, nothing is sent twice, the replies are our own.
    export = tmp_path / "导出" / "收件箱备份.mbox"
    export.parent.mkdir()
    box = mailbox.mbox(str(export))
    for msg in mails + [m for _, m in sent]:
        box.add(msg.as_bytes(policy=policy.SMTP))
    box.close()
    checked2 = tmp_path / "v2.json"
    run("validate", export, "--register", setup["register"], "--year", YEAR, "--json", checked2)
    files2 = json.loads(checked2.read_text(encoding="utf-8"))["files"]
    assert sum("hallscore 自己发出的邮件" in f["note"] for f in files2) == 2
    before = len(handler.received)
    result = run(*[checked2 if a == checked else a for a in problems])
    assert result.exit_code == 0, result.output
    assert len(handler.received) == before and "本次发送 0 封,以前已发送(跳过)2 封" in result.output

    # 赵 sends the corrected workbook: the thread is closed, 赵 gets no more problem mail.
    fixed = write_return(standard, halls[3], full_fill(standard), tmp_path / "fixed")
    box = mailbox.mbox(str(export))
    box.add(_mail("赵经理 <zhao@js.example.cn>", 6, [(fixed.name, fixed.read_bytes())]).as_bytes(policy=policy.SMTP))
    box.close()
    checked3 = tmp_path / "v3.json"
    run("validate", export, "--register", setup["register"], "--year", YEAR, "--json", checked3)
    result = run(*[checked3 if a == checked else a for a in problems])
    assert result.exit_code == 0, result.output
    assert "已更正" in result.output
    assert len(handler.received) == before, result.output  # 王's reply is the same as before: skipped; 赵's thread is closed


def test_hostile_contact_names_refused_and_intranet_domains_only_when_given(setup, tmp_path):  # noqa: F811
    from generator.mail.contacts import Contact, ContactsError, load_contacts, write_contacts

    path = tmp_path / "c.csv"  # a CSV keeps the control character an xlsx writer would drop
    write_contacts([
        Contact("广东", "广州", '"evil@evil.example" <evil@evil.example>, 张三', ("a@gd.example.cn",)),
        Contact("广东", "深圳", "李\u2028四", ("b@gd.example.cn",)),
        Contact("广东", "珠海", "王\x07五", ("c@gd.example.cn",)),
        Contact("广东", "佛山", "赵六", ("d@mailhost",)),
        Contact("广东", "东莞", "钱七", ("e@gd.example.cn",)),
    ], path)
    try:
        load_contacts(path)
        raise AssertionError("hostile names accepted")
    except ContactsError as exc:
        text = str(exc)
    assert "第 2 行:联系人姓名含不允许的字符" in text and "第 3 行:联系人姓名含不允许的字符 U+2028" in text
    assert "第 4 行:联系人姓名含不允许的字符 U+0007" in text
    assert "第 5 行:邮箱地址无效:d@mailhost(单段域名" in text and "--intranet-domain mailhost" in text
    assert "第 6 行" not in text
    # With the intranet domain given, the single-label address is taken; the draft quotes and encodes names.
    ok = tmp_path / "ok.xlsx"
    write_contacts([Contact("广东", "广东市", "赵六", ("d@mailhost",)), Contact("江苏", "江苏市", "钱七",
                                                                               ("e@js.example.cn",))], ok)
    assert load_contacts(ok, intranet=["mailhost"])[("广东", "广东市")].to == ("d@mailhost",)
    out = tmp_path / "out"
    result = run("mail", "templates", "--contacts", ok, "--templates", setup["templates"], "--out", out,
                 "--from", "省公司 <fw@localhost>", "--intranet-domain", "mailhost", "--intranet-domain", "localhost")
    assert result.exit_code == 0, result.output
    msg = parse((out / "广东_广东市.eml").read_bytes())
    assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == [("赵六", "d@mailhost")]
    result = run("mail", "templates", "--contacts", ok, "--templates", setup["templates"], "--out", out,
                 "--from", "省公司 <fw@localhost>")
    assert result.exit_code == 1 and "单段域名" in result.output


def test_every_format_libreoffice_saves_gets_a_status_that_helps(setup, standard, tmp_path):
    """A filled return saved by real LibreOffice as .ods, .fods, .csv, .xls, Excel 2003 XML and .slk: each one
    rejected with what to do in the user's suite, loose or attached to a mail; nothing ignored in silence."""
    import os
    import shutil
    import subprocess

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI"):
            raise AssertionError("CI 中找不到 LibreOffice(soffice)")
        import pytest

        pytest.skip("LibreOffice (soffice) is not installed")
    source = write_return(standard, setup["halls"][0], full_fill(standard), tmp_path / "filled")
    returns = tmp_path / "回收"
    returns.mkdir()
    profile = (tmp_path / "profile").as_uri()
    formats = {"ods": "ods", "fods": "fods", "csv": 'csv:Text - txt - csv (StarCalc):44,34,76,1',
               "xls": "xls", "slk": "slk:SYLK"}
    for suffix, target in formats.items():
        done = subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                               "--convert-to", target, "--outdir", str(returns), str(source)],
                              capture_output=True, text=True, timeout=300)
        assert (returns / f"{source.stem}.{suffix}").exists(), (suffix, done.stdout, done.stderr[-1000:])
    # Excel 2003 XML as Excel writes it (LibreOffice's export filter is not in every installation).
    (returns / f"{source.stem}.xml").write_text(
        '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n<Workbook xmlns="urn:schemas-microsoft-com:'
        'office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="封面"><Table>'
        '<Row><Cell><Data ss:Type="String">厅编码</Data></Cell></Row></Table></Worksheet></Workbook>\n',
        encoding="utf-8")
    formats["xml"] = "xml"
    attached = [(p.name, p.read_bytes()) for p in sorted(returns.iterdir())]
    (returns / "回信.eml").write_bytes(_mail("王 <wang@gd.example.cn>", 1, attached).as_bytes(policy=policy.SMTP))
    (returns / "说明.xml").write_text("<notes>不是表格</notes>", encoding="utf-8")
    checked = tmp_path / "v.json"
    result = run("validate", returns, "--register", setup["register"], "--year", YEAR, "--json", checked)
    assert result.exit_code == 1
    files = {f["path"]: f for f in json.loads(checked.read_text(encoding="utf-8"))["files"]}
    for suffix in formats:
        for name in (f"回收/{source.stem}.{suffix}", f"回收/回信.eml/{source.stem}.{suffix}"):
            f = files[name]
            assert f["status"] == "rejected", (name, f)
            (p,) = f["problems"]
            expected = {"xls": "file-legacy-xls", "ods": "file-opendocument", "fods": "file-opendocument",
                        "csv": "file-text-export", "slk": "file-text-export"}.get(suffix, "file-other-format")
            assert p["code"] == expected, (name, p)
            assert "LibreOffice" in p["message"] and "Excel 2007-365" in p["message"] and "…" not in p["message"]
    assert "LibreOffice" in files[f"回收/{source.stem}.ods"]["problems"][0]["message"].split("Excel")[0]
    assert "无法还原" in files[f"回收/{source.stem}.csv"]["problems"][0]["message"]
    assert files["回收/说明.xml"]["status"] == "ignored"  # an .xml that is no spreadsheet is not a return
    assert "Error" not in result.output and "Traceback" not in result.output


def _renamed_parts(source, target) -> None:
    """``source`` repackaged with unusual part names, every relationship and content type updated to match:
    still a valid package, as Excel opens it."""
    import re
    import zipfile

    with zipfile.ZipFile(source) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    renames = {"xl/workbook.xml": "xl/Book Main.xml", "xl/_rels/workbook.xml.rels": "xl/_rels/Book Main.xml.rels"}
    for name in list(parts):
        found = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", name)
        if found:
            renames[name] = f"xl/data/tab{found[1]}.xml"
            old_rels = f"xl/worksheets/_rels/sheet{found[1]}.xml.rels"
            if old_rels in parts:
                renames[old_rels] = f"xl/data/_rels/tab{found[1]}.xml.rels"
    out = {}
    for name, data in parts.items():
        if name in ("[Content_Types].xml", "_rels/.rels", "xl/_rels/workbook.xml.rels"):
            text = data.decode("utf-8")
            for old, new in renames.items():
                text = text.replace(f'"/{old}"', f'"/{new}"').replace(f'"{old}"', f'"{new}"')
                if name == "xl/_rels/workbook.xml.rels" and old.startswith("xl/worksheets/"):
                    text = text.replace(f'"{old[3:]}"', f'"../{new}"').replace(f'"/{old}"', f'"/{new}"')
            data = text.encode("utf-8")
        out[renames.get(name, name)] = data
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in out.items():
            zf.writestr(name, data)


def test_packages_with_unusual_part_names_are_read_through_their_relationships(setup, standard, tmp_path):
    import zipfile

    from generator.xlsx.reader import read_grids_fast, read_grids_openpyxl

    hall = setup["halls"][0]
    source = write_return(standard, hall, full_fill(standard), tmp_path / "filled")
    odd = tmp_path / "回收" / source.name
    odd.parent.mkdir()
    _renamed_parts(source, odd)
    names = zipfile.ZipFile(odd).namelist()
    assert "xl/workbook.xml" not in names and "xl/Book Main.xml" in names and "xl/data/tab1.xml" in names
    expected = {k: g.rows for k, g in read_grids_fast(source).items()}
    assert {k: g.rows for k, g in read_grids_fast(odd).items()} == expected
    assert {k: g.rows for k, g in read_grids_openpyxl(odd).items()} == {
        k: g.rows for k, g in read_grids_openpyxl(source).items()}
    original = run_intake([source], standard, setup["halls"], YEAR, today=date(YEAR, 12, 1))
    renamed = run_intake([odd], standard, setup["halls"], YEAR, today=date(YEAR, 12, 1))
    assert [f.status for f in renamed.files] == ["accepted"], renamed.files[0].problems
    assert renamed.records[0].scores == original.records[0].scores


def test_outlook_msg_is_named_as_such(setup, standard, tmp_path):
    returns = tmp_path / "回收"
    returns.mkdir()
    (returns / "回信.msg").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024)  # an OLE file, as Outlook saves
    report = run_intake([returns], standard, setup["halls"], YEAR, today=date(YEAR, 12, 1))
    (status,) = report.files
    assert status.status == "rejected" and status.problems[0].code == "mail-outlook-msg"
    assert ".eml" in status.problems[0].message and "另存为" in status.problems[0].message


def test_maildir_and_mbox_written_by_a_real_mail_client(setup, standard, tmp_path):
    """s-nail (Debian's mailx) copies the inspectors' mails into a Maildir and an mbox, as a manager saving
    them would: both read the same, every message accounted for, the same reply for each."""
    import os
    import shutil
    import subprocess

    client = shutil.which("s-nail")
    if client is None:
        if os.environ.get("CI"):
            raise AssertionError("CI 中找不到 s-nail:.ci/run 应安装 s-nail")
        import pytest

        pytest.skip("s-nail is not installed")
    halls = setup["halls"]
    filled = tmp_path / "filled"
    good = write_return(standard, halls[0], full_fill(standard), filled)
    bad = write_return(standard, halls[3], full_fill(standard, inspector=""), filled)
    work = tmp_path / "client"
    work.mkdir()
    source = mailbox.mbox(str(work / "incoming"))
    source.add(_mail("王经理 <wang@gd.example.cn>", 1, [(good.name, good.read_bytes())]))
    source.add(_mail("赵经理 <zhao@js.example.cn>", 2, [(bad.name, bad.read_bytes())]))
    source.add(_mail("赵经理 <zhao@js.example.cn>", 3))
    source.close()
    saved = tmp_path / "saved"
    saved.mkdir()
    script = f"copy * maildir://{saved / '收件箱'}\ncopy * {saved / 'inbox.mbox'}\n"
    done = subprocess.run([client, "-n", "-#", f"-Sfolder={work}", "-f", str(work / "incoming")], input=script,
                          capture_output=True, text=True, timeout=60, env={**os.environ, "HOME": str(work)})
    assert (saved / "收件箱" / "cur").is_dir() and (saved / "inbox.mbox").is_file(), (done.stdout, done.stderr)
    reports = {}
    for name in ("收件箱", "inbox.mbox"):
        checked = tmp_path / f"{name}.json"
        result = run("validate", saved / name, "--register", setup["register"], "--year", YEAR, "--json", checked)
        assert result.exit_code == 1, result.output
        reports[name] = json.loads(checked.read_text(encoding="utf-8"))["files"]
    for name, files in reports.items():
        assert sorted((f["path"].partition("#")[2], f["status"]) for f in files) == sorted(
            (f["path"].partition("#")[2], f["status"]) for f in reports["inbox.mbox"]), name
        assert {f["mail"]["message_id"] for f in files} == {"<m1@gd.example.cn>", "<m2@gd.example.cn>",
                                                            "<m3@gd.example.cn>"}
    outbox = tmp_path / "退回"
    made = []
    for name in reports:
        run("mail", "problems", "--json", tmp_path / f"{name}.json", "--contacts", setup["contacts"],
            "--out", outbox / name, "--from", SENDER, "--date", "2025-05-20")
        made.append(sorted(parse(p.read_bytes())["Message-ID"] for p in (outbox / name).glob("*.eml")))
    assert made[0] == made[1] and len(made[0]) == 2  # the same two replies from either export


def test_mail_year_comes_from_the_workbooks_and_a_past_deadline_is_refused(setup, standard, tmp_path):
    out = tmp_path / "o"
    args = ["mail", "templates", "--contacts", setup["contacts"], "--templates", setup["templates"], "--out", out,
            "--from", SENDER, "--date", "2025-03-01"]
    result = run(*args)  # no --year: the templates' _meta says 2025 (the test machine's clock says otherwise)
    assert result.exit_code == 0, result.output
    msg = parse((out / "广东_广东市.eml").read_bytes())
    assert f"{YEAR}" in msg["Subject"] and next(msg.iter_attachments()).get_filename().startswith(f"{YEAR}年")
    result = run(*args, "--year", YEAR + 1)
    assert result.exit_code == 1 and f"--year {YEAR + 1} 与检查表 _meta 中的年度 {YEAR} 不符" in result.output
    result = run(*args, "--deadline", "2025-02-28")
    assert result.exit_code == 1 and "早于邮件日期 2025-03-01" in result.output
    # Templates of two years in one folder: refused, naming both.
    import shutil

    mixed = tmp_path / "mixed"
    shutil.copytree(setup["templates"], mixed)
    write_return(standard, setup["halls"][0], full_fill(standard), mixed / "旧", year=YEAR - 1)
    result = run(*[mixed if a == setup["templates"] else a for a in args])
    assert result.exit_code == 1 and f"{YEAR - 1} 年 1 份" in result.output and f"{YEAR} 年" in result.output
    help_text = run("mail", "templates", "--help").output
    assert "--year" in help_text and "_meta" in help_text
    # Reminders: the year of the validate report; a different --year is refused.
    returns = tmp_path / "r"
    write_return(standard, setup["halls"][0], full_fill(standard), returns)
    checked = tmp_path / "v.json"
    run("validate", returns, "--register", setup["register"], "--year", YEAR, "--json", checked)
    reminders = ["mail", "reminders", "--register", setup["register"], "--contacts", setup["contacts"], "--json",
                 checked, "--out", tmp_path / "催报", "--from", SENDER, "--date", "2025-05-20"]
    result = run(*reminders)
    assert result.exit_code == 0, result.output
    subjects = [parse(p.read_bytes())["Subject"] for p in (tmp_path / "催报").glob("*.eml")]
    assert subjects and all(f"{YEAR}" in s for s in subjects)
    result = run(*reminders, "--year", YEAR + 1)
    assert result.exit_code == 1 and "不符" in result.output


def test_problem_lists_hallscore_issued_are_its_own_not_returns(setup, standard, tmp_path):
    from generator.intake.run import IntakeReport
    from generator.workbooks.problem_report import build_report

    bad = write_return(standard, setup["halls"][3], full_fill(standard, inspector=""), tmp_path / "filled")
    first = run_intake([bad], standard, setup["halls"], YEAR, today=date(YEAR, 12, 1))
    sheet = build_report(IntakeReport(first.files, []), setup["halls"], YEAR)
    returns = tmp_path / "回收"
    returns.mkdir()
    (returns / "问题清单.xlsx").write_bytes(sheet)  # saved among the returns by the manager
    # An inspector answers with the list quoted back beside nothing else.
    (returns / "回信.eml").write_bytes(_mail("赵经理 <zhao@js.example.cn>", 1, [("问题清单.xlsx", sheet)])
                                       .as_bytes(policy=policy.SMTP))
    checked = tmp_path / "v.json"
    result = run("validate", returns, "--register", setup["register"], "--year", YEAR, "--json", checked)
    files = {f["path"]: f for f in json.loads(checked.read_text(encoding="utf-8"))["files"]}
    assert result.exit_code == 0, result.output  # nothing rejected: both are hallscore's own
    assert "其中 2 项是 hallscore 自己发出的邮件或文件" in result.output
    for name in ("回收/问题清单.xlsx", "回收/回信.eml/问题清单.xlsx"):
        assert files[name]["status"] == "ignored" and "hallscore 发出的问题清单" in files[name]["note"]
    result = run("mail", "problems", "--json", checked, "--contacts", setup["contacts"], "--out", tmp_path / "o",
                 "--from", SENDER, "--date", "2025-05-20")
    assert result.exit_code == 0 and not list((tmp_path / "o").glob("*.eml")), result.output


def test_own_mail_forwarded_back_is_not_read_as_returns(setup, standard, tmp_path):
    out = tmp_path / "o"
    run("mail", "templates", "--contacts", setup["contacts"], "--templates", setup["templates"], "--out", out,
        "--from", SENDER, "--date", "2025-03-01")
    template_mail = parse((out / "广东_广东市.eml").read_bytes())
    good = write_return(standard, setup["halls"][0], full_fill(standard), tmp_path / "filled")
    msg = _mail("王经理 <wang@gd.example.cn>", 1, [(good.name, good.read_bytes())])
    msg.add_attachment(template_mail)  # forwarded as an attachment, the blank templates inside
    report = run_intake([_saved(msg, tmp_path / "回信.eml")], standard, setup["halls"], YEAR,
                        today=date(YEAR, 12, 1))
    by_status = sorted((f.status, f.path.rpartition("/")[2]) for f in report.files)
    assert [s for s, _ in by_status] == ["accepted", "ignored"], by_status
    assert "hallscore 自己发出的邮件" in next(f.note for f in report.files if f.status == "ignored")


def _saved(msg: EmailMessage, path):
    path.write_bytes(msg.as_bytes(policy=policy.SMTP))
    return path


def test_managers_in_cc_are_not_answered_and_a_broken_file_stays_open_until_removed(setup, standard, tmp_path):
    halls = setup["halls"]
    good = write_return(standard, halls[3], full_fill(standard), tmp_path / "filled")
    broken = good.read_bytes()[: len(good.read_bytes()) // 2]  # cut by a gateway: no hall known from inside
    box = mailbox.mbox(str(tmp_path / "收件.mbox"))
    box.add(_mail("赵经理 <zhao@js.example.cn>", 1, [(good.name, broken)]))
    box.add(_mail("领导 <boss@example.cn>", 2, [("H010001_转发.xlsx", broken)]))  # the Cc'd manager
    box.close()
    checked = tmp_path / "v.json"
    run("validate", tmp_path / "收件.mbox", "--register", setup["register"], "--year", YEAR, "--json", checked)
    problems = ["mail", "problems", "--json", checked, "--contacts", setup["contacts"], "--out", tmp_path / "o",
                "--from", SENDER, "--date", "2025-05-20"]
    result = run(*problems)
    drafts = [parse(p.read_bytes()) for p in (tmp_path / "o").glob("*.eml")]
    assert [str(d["To"]) for d in drafts] == ["赵经理 <zhao@js.example.cn>"], result.output
    assert "boss@example.cn" in result.output and "抄送的管理人员" in result.output
    # The corrected file arrives. The broken one says neither its hall nor its round from inside, so nothing
    # says which return corrects it (standard.md: a rejection stays open until an accepted return of the same
    # hall and round): it stays open, and the reply about it is the same reply as before (same Message-ID, so
    # the sent log of --send skips it).
    box = mailbox.mbox(str(tmp_path / "收件.mbox"))
    box.add(_mail("赵经理 <zhao@js.example.cn>", 3, [(good.name, good.read_bytes())]))
    box.close()
    run("validate", tmp_path / "收件.mbox", "--register", setup["register"], "--year", YEAR, "--json", checked)
    result = run(*[tmp_path / "o2" if a == tmp_path / "o" else a for a in problems])
    again = [parse(p.read_bytes()) for p in (tmp_path / "o2").glob("*.eml")]
    assert [d["Message-ID"] for d in again] == [d["Message-ID"] for d in drafts], result.output


def test_a_mail_without_message_id_is_answered_all_the_same(setup, standard, tmp_path):
    bad = write_return(standard, setup["halls"][3], full_fill(standard, inspector=""), tmp_path / "filled")
    msg = _mail("赵经理 <zhao@js.example.cn>", 1, [(bad.name, bad.read_bytes())])
    del msg["Message-ID"]
    checked = tmp_path / "v.json"
    run("validate", _saved(msg, tmp_path / "回信.eml"), "--register", setup["register"], "--year", YEAR,
        "--json", checked)
    result = run("mail", "problems", "--json", checked, "--contacts", setup["contacts"], "--out", tmp_path / "o",
                 "--from", SENDER, "--date", "2025-05-20")
    (draft,) = [parse(p.read_bytes()) for p in (tmp_path / "o").glob("*.eml")]
    assert str(draft["To"]) == "赵经理 <zhao@js.example.cn>" and draft["In-Reply-To"] is None, result.output
    assert bad.name in draft.get_body().get_content()
