"""Every file name and every entry accounted for: undecodable names, FIFOs, broken links, other formats, strict OOXML."""

from __future__ import annotations

import json
import os
import threading

from click.testing import CliRunner
from support.returns import YEAR, full_fill, make_halls, write_return
from support.zip_parts import rewrite

from generator.cli.app import main

HALLS = make_halls({"广东": 3})


def _validate(returns, register, tmp_path, *extra):
    out = tmp_path / "v.json"
    result = CliRunner().invoke(main, ["validate", str(returns), "--register", str(register), "--year", str(YEAR),
                                       "--json", str(out), "--workers", "1", *extra])
    return result, (json.loads(out.read_text(encoding="utf-8")) if out.exists() else None)


def test_gbk_file_names_are_shown_and_keyed_safely(tmp_path, standard, write_reg):
    register = write_reg(HALLS)
    returns = tmp_path / "returns"
    src = write_return(standard, HALLS[0], full_fill(standard), tmp_path / "src", name="a.xlsx")
    folder = os.fsencode(str(returns))
    os.makedirs(folder)
    # 中文 in GBK: not valid UTF-8, as old mail clients and zip tools leave names.
    for raw in (b"\xd6\xd0\xce\xc4.xlsx", b"\xd6\xd0\xce\xc5.xlsx"):
        with open(os.path.join(folder, raw), "wb") as fh:
            fh.write(src.read_bytes())
    result, data = _validate(returns, register, tmp_path, "--cache-dir", str(tmp_path / "cache"))
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    names = sorted(f["path"] for f in data["files"])
    assert names == ["returns/\ufffd\ufffd\ufffd\ufffd.xlsx", "returns/\ufffd\ufffd\ufffd\ufffd.xlsx~2"]
    # The same through build, with the cache on, and the report workbook.
    result = CliRunner().invoke(main, ["build", str(returns), "--register", str(register), "--year", str(YEAR),
                                       "--archive", str(tmp_path / "archive"), "--site-dir", str(tmp_path / "site"),
                                       "--workers", "1"])
    assert result.exit_code == 0, result.output
    intake = json.loads((tmp_path / "archive" / str(YEAR) / "intake.json").read_text(encoding="utf-8"))
    assert {f["status"] for f in intake["files"]} == {"accepted", "superseded"}


def test_fifos_broken_links_and_other_formats_are_reported_unopened(tmp_path, standard, write_reg):
    register = write_reg(HALLS)
    returns = tmp_path / "returns"
    good = write_return(standard, HALLS[0], full_fill(standard), returns)
    os.mkfifo(returns / f"{HALLS[1].hall_id}_管道.xlsx")  # opening it for reading would block the run
    os.symlink(returns / "不存在.xlsx", returns / f"{HALLS[2].hall_id}_链接.xlsx")
    (returns / "检查表.ods").write_bytes(b"PK\x03\x04 not really")
    (returns / "检查表.et").write_bytes(b"\xd0\xcf\x11\xe0")
    (returns / "检查表.numbers").write_bytes(b"x")
    (returns / "说明.txt").write_text("hello", encoding="utf-8")
    for name in ("Inbox", "回信.eml", "市.zip"):  # sniffed as mbox, read as mail, unpacked: none may be opened
        os.mkfifo(returns / name)
    done: list = []
    runner = threading.Thread(target=lambda: done.append(_validate(returns, register, tmp_path)), daemon=True)
    runner.start()
    runner.join(120)
    assert done, "validate blocked on a FIFO"
    result, data = done[0]
    assert result.exit_code == 1, result.output
    by_name = {f["path"].rsplit("/", 1)[-1]: f for f in data["files"]}
    assert by_name[good.name]["status"] == "accepted"
    fifo = by_name[f"{HALLS[1].hall_id}_管道.xlsx"]
    assert fifo["status"] == "rejected" and fifo["problems"][0]["code"] == "file-not-regular"
    assert "FIFO" in fifo["problems"][0]["message"]
    link = by_name[f"{HALLS[2].hall_id}_链接.xlsx"]
    assert link["status"] == "rejected" and "失效的链接" in link["problems"][0]["message"]
    for name in ("检查表.ods", "检查表.et", "检查表.numbers"):
        assert by_name[name]["status"] == "rejected"
        expected = "file-opendocument" if name.endswith(".ods") else "file-other-format"
        assert by_name[name]["problems"][0]["code"] == expected
        message = by_name[name]["problems"][0]["message"]  # Numbers "exports"; the others "save as"
        assert ("另存为" in message or "导出到" in message) and ".xlsx" in message
    assert by_name["说明.txt"]["status"] == "ignored"
    assert all(by_name[name]["status"] == "ignored" for name in ("Inbox", "回信.eml", "市.zip"))


def test_strict_ooxml_gets_its_own_message(tmp_path, standard, write_reg):
    register = write_reg(HALLS)
    src = write_return(standard, HALLS[0], full_fill(standard), tmp_path / "src", name=f"{HALLS[0].hall_id}_x.xlsx")
    returns = tmp_path / "returns"
    returns.mkdir()
    strict = lambda data: data.replace(b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",  # noqa: E731
                                       b"http://purl.oclc.org/ooxml/spreadsheetml/main")
    rewrite(src, returns / src.name, {"xl/workbook.xml": strict})
    result, data = _validate(returns, register, tmp_path)
    assert result.exit_code == 1
    assert [p["code"] for p in data["files"][0]["problems"]] == ["file-strict-ooxml"]
    assert "Strict Open XML" in data["files"][0]["problems"][0]["message"]


def test_zips_among_the_returns_are_unpacked_and_every_member_accounted_for(tmp_path, standard, write_reg):
    import io
    import zipfile

    register = write_reg(HALLS)
    returns = tmp_path / "returns"
    returns.mkdir()
    one, two = (write_return(standard, h, full_fill(standard), tmp_path / "src") for h in HALLS[:2])

    class WindowsName(zipfile.ZipInfo):  # GBK bytes, no UTF-8 flag: Windows' "发送到压缩文件夹"
        def _encodeFilenameFlags(self):
            return self.filename.encode("gbk"), self.flag_bits & ~0x800

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(WindowsName(f"广州/{one.name}"), one.read_bytes())
        zf.writestr(zipfile.ZipInfo(two.name), two.read_bytes())
        zf.writestr(WindowsName("说明.txt"), "说明".encode("gbk"))
    (returns / "广东回收.zip").write_bytes(buffer.getvalue())
    (returns / "坏.zip").write_bytes(b"PK\x03\x04 not a zip")
    (returns / "空.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    before = {p.name: p.read_bytes() for p in returns.iterdir()}
    result, data = _validate(returns, register, tmp_path, "--cache-dir", str(tmp_path / "cache"))
    by_name = {f["path"]: f for f in data["files"]}
    assert by_name[f"returns/广东回收.zip/广州/{one.name}"]["status"] == "accepted"
    assert by_name[f"returns/广东回收.zip/{two.name}"]["status"] == "accepted"
    assert by_name["returns/广东回收.zip/说明.txt"]["status"] == "ignored"
    assert by_name["returns/坏.zip"]["problems"][0]["code"] == "zip-unreadable"
    assert by_name["returns/空.zip"]["status"] == "ignored" and "空" in by_name["returns/空.zip"]["note"]
    assert len(data["files"]) == 5
    assert {p.name: p.read_bytes() for p in returns.iterdir()} == before  # the zips are only read
    again, data2 = _validate(returns, register, tmp_path, "--cache-dir", str(tmp_path / "cache"))
    assert data2["files"] == data["files"]
