"""The command line as a newcomer and a hostile user meet it: every bad invocation gets Chinese words that say what
to do, the right exit code (2 for a wrong command line, 1 for a failed run) and never a traceback or an English
exception name; README.md names every command and option that --help shows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_halls

from generator.cli import main
from generator.contacts import Contact, write_contacts
from generator.register import write_register

ROOT = Path(__file__).resolve().parent.parent
SENDER = "fw@example.cn"
# What must never reach a user: a traceback, an exception's name, Python's or the OS's English error text.
ENGLISH = re.compile(r"Traceback|\b\w*(?:Error|Exception)\b|Errno|No such file|Permission denied|not found|"
                     r"Is a directory|Usage:|Options:|Invalid value|is not a valid|does not exist|expected|"
                     r"unexpected|object|line \d+ column")
CJK = re.compile("[\u4e00-\u9fff]")


def assert_said_well(output: str, exit_code: int, expected: int, says: str = "") -> None:
    words = re.sub(r"--?[a-z][a-z-]*", "", output)  # option names are ours and stay as typed
    assert not ENGLISH.search(words), output
    assert exit_code == expected, (exit_code, output)
    if expected:
        assert CJK.search(output) and "错误:" in output, output
    assert says in output, output


@pytest.fixture
def files(tmp_path, monkeypatch):
    """A working folder with files of every wrong kind next to real ones."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.txt").write_text("hello\n", encoding="utf-8")
    for name in ("empty.xlsx", "empty.json", "empty.csv"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "fake.xlsx").write_text("hello\n", encoding="utf-8")
    (tmp_path / "fake.yaml").write_text("hello\n", encoding="utf-8")
    (tmp_path / "bad.toml").write_text("[[\n", encoding="utf-8")
    (tmp_path / "adir").mkdir()
    return tmp_path


# -- mail problems --json: a hand-edited or foreign report ----------------------------------------------------

GOOD_FILE = {"path": "inbox.mbox#ab/1_厅.xlsx", "status": "rejected", "hall_id": "1", "round": "自评", "note": "",
             "problems": [{"code": "cover-inspector-missing", "severity": "error", "message": "缺少检查人",
                           "file": "inbox.mbox#ab/1_厅.xlsx", "sheet": "封面", "cell": "B5"}],
             "mail": {"mail": "inbox.mbox", "message_id": "<m1@x.cn>", "sender": "王 <w@x.cn>", "date": "",
                      "subject": "回复", "digest": "ab"}}


def _damaged(change) -> dict:
    entry = json.loads(json.dumps(GOOD_FILE))
    report = {"summary": {}, "files": [entry]}
    change(report, entry)
    return report


@pytest.mark.parametrize("change, says", [
    (lambda r, f: f["problems"][0].update(extra=1), "问题第 1 条有校验结果中没有的字段 extra"),
    (lambda r, f: f.update(bogus=1), "files 第 1 项有校验结果中没有的字段 bogus"),
    (lambda r, f: f["problems"][0].pop("code"), "缺少字段 code"),
    (lambda r, f: f.update(problems="abc"), "问题列表(problems)不是列表"),
    (lambda r, f: r["files"].append(5), "files 第 2 项不是一个对象"),
    (lambda r, f: f.update(mail="x"), "邮件来源(mail)不是一个对象"),
    (lambda r, f: f["mail"].update(message_id=[1]), "字段 message_id 应为文字"),
    (lambda r, f: f.update(path=3), "字段 path 应为文字"),
    (lambda r, f: f.update(status="done"), "状态 status“done”"),
    (lambda r, f: r.pop("files"), "没有文件列表 files"),
])
@pytest.mark.parametrize("command", ["problems", "reminders"])
def test_a_foreign_or_damaged_report_is_named(files, change, says, command):
    write_contacts([Contact("甲", "甲市", "王经理", ("w@x.cn",))], files / "c.xlsx")
    write_register(make_halls({"甲": 1}), files / "r.xlsx")
    (files / "v.json").write_text(json.dumps(_damaged(change), ensure_ascii=False), encoding="utf-8")
    args = ["mail", command, "--json", "v.json", "--contacts", "c.xlsx", "--out", "out", "--from", SENDER]
    if command == "reminders":
        args += ["--register", "r.xlsx", "--year", "2025"]
    result = CliRunner().invoke(main, args)
    assert_said_well(result.output, result.exit_code, 1, says)
    assert "v.json" in result.output and "hallscore validate --json" in result.output
    assert not (files / "out").exists()
