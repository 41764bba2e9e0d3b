"""The command line as a newcomer and a hostile user meet it: every bad invocation gets Chinese words that say what
to do, the right exit code (2 for a wrong command line, 1 for a failed run) and never a traceback or an English
exception name; README.md names every command and option that --help shows."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from support.returns import YEAR, full_fill, make_halls, write_return

from generator.cli.app import main
from generator.fs.paths import SITE_MARKER
from generator.mail.contacts import Contact, write_contacts
from generator.rules.register import write_register

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
        assert CJK.search(output), output
    if expected == 2:  # a wrong command line: click's Chinese usage error
        assert "错误:" in output, output
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


# -- every command with a wrong argument, a missing file, a file of the wrong kind ------------------------------

MAIL = ["--out", "out/m", "--from", SENDER]
# (arguments, exit code, words the message must hold). Paths: see the ``files`` fixture; r.xlsx and c.xlsx are a
# real register and contacts list.
BAD = [
    (["bogus"], 2, "没有命令"),
    (["--bogus"], 2, "没有选项"),
    (["validate"], 2, "缺少参数 '回收目录或文件...'。"),
    (["validate", "nope"], 2, "不存在"),
    (["validate", "adir", "--register", "nope.xlsx"], 2, "不存在"),
    (["validate", "adir", "--register", "adir"], 2, "是目录,不是文件"),
    (["validate", "adir", "--register", "x.txt"], 2, "营业厅清单"),
    (["validate", "adir", "--register", "empty.xlsx"], 2, "营业厅清单"),
    (["validate", "adir", "--register", "fake.xlsx"], 2, "营业厅清单"),
    (["validate", "adir", "--register", "empty.csv"], 2, "是空的"),
    (["validate", "x.txt", "--register", "r.xlsx", "--year", "2025"], 1, "没有找到检查表"),
    (["validate", "adir", "--register", "r.xlsx", "--year", "2025"], 1, "请核对路径"),
    (["validate", "empty.xlsx", "--register", "r.xlsx", "--year", "2025"], 1, "empty.xlsx"),
    (["validate", "adir", "--register", "r.xlsx", "--year", "abc"], 2, "不是有效的整数"),
    (["validate", "adir", "--register", "r.xlsx", "--standard", "fake.yaml"], 2, "评价标准"),
    (["validate", "adir", "--register", "r.xlsx", "--standard", "empty.xlsx"], 2, "评价标准"),
    (["validate", "adir", "--register", "r.xlsx", "--json", "x.txt"], 2, "应以 .json 结尾"),
    (["validate", "adir", "--register", "r.xlsx", "--report", "x.txt"], 2, "--report"),
    (["validate", "adir", "--register", "r.xlsx", "--json", "r.xlsx"], 2, "重叠"),
    (["validate", "adir", "--register", "r.xlsx", "--workers", "0"], 2, "不在范围"),
    (["build"], 2, "缺少参数"),
    (["build", "adir", "--register", "r.xlsx", "--year", "2025", "--archive", "out/a", "--site-dir", "out/s"], 1,
     "没有找到检查表"),
    (["build", "adir", "--register", "r.xlsx", "--config", "bad.toml", "--archive", "out/a"], 1, "第 1 行第 3 列"),
    (["build", "adir", "--register", "r.xlsx", "--config", "nope.toml"], 2, "不存在"),
    (["build", "adir", "--register", "r.xlsx", "--overrides", "x.txt", "--archive", "out/a"], 1, "裁定文件"),
    (["build", "adir", "--register", "r.xlsx", "--overrides", "empty.xlsx", "--archive", "out/a"], 1, "0 字节"),
    (["build", "adir", "--register", "r.xlsx", "--decisions", "x.txt", "--archive", "out/a"], 1, "上报名单"),
    (["build", "adir", "--register", "r.xlsx", "--decisions", "empty.xlsx", "--archive", "out/a"], 1, "上报名单"),
    (["build", "adir", "--register", "r.xlsx", "--archive", "x.txt"], 2, "是文件,不是目录"),
    (["build", "adir", "--register", "r.xlsx", "--archive", "adir"], 1, "重叠"),
    (["site", "--archive", "nope", "--site-dir", "out/s"], 1, "站点未改动"),
    (["site", "--archive", "adir", "--site-dir", "out/s"], 1, "没有任何年度的结果"),
    (["site", "--archive", "x.txt"], 2, "是文件,不是目录"),
    (["verify", "--year", "2025", "--archive", "adir"], 1, "hallscore build"),
    (["verify"], 2, "缺少选项 '--year'。"),
    (["archive", "--year", "2025", "--archive", "adir", "--out", "out/z"], 1, "请核对 --archive"),
    (["archive", "--year", "2025", "--archive", "x.txt"], 2, "是文件,不是目录"),
    (["templates", "--out", "out/t"], 2, "--register"),
    (["templates", "--register", "x.txt", "--out", "out/t"], 1, "应为 .xlsx 或 .csv"),
    (["templates", "--register", "empty.xlsx", "--out", "out/t"], 1, "另存为"),
    (["templates", "--register", "r.xlsx", "--out", "x.txt"], 2, "是文件,不是目录"),
    (["templates", "--register", "r.xlsx", "--out", "out/t", "--config", "bad.toml"], 1, "TOML"),
    (["templates", "--register", "r.xlsx", "--out", "out/t", "--standard", "fake.yaml"], 1, "standard export"),
    (["problems", "x"], 2, "多余的参数"),
    (["config"], 2, "--example"),
    (["config", "x"], 2, "多余的参数"),
    (["serve", "--site-dir", "nope"], 2, "不存在"),
    (["serve"], 2, "make demo 的站点在 demo/site"),
    (["serve", "--site-dir", "x.txt"], 2, "是文件,不是目录"),
    (["serve", "--site-dir", "adir"], 1, "没有 index.html"),
    (["demo", "--halls", "3"], 2, "不在范围"),
    (["demo", "--out", "x.txt"], 2, "是文件,不是目录"),
    (["standard", "bogus"], 2, "没有命令"),
    (["standard", "check"], 2, "缺少参数"),
    (["standard", "check", "nope.xlsx"], 2, "不存在"),
    (["standard", "check", "adir"], 2, "是目录,不是文件"),
    (["standard", "check", "x.txt"], 1, "x.txt:共 1 个问题,未通过检查"),
    (["standard", "check", "empty.xlsx"], 1, "评价标准"),
    (["standard", "check", "fake.xlsx"], 1, "另存为 .xlsx"),
    (["standard", "export", "--out", "x.txt"], 2, ".xlsx"),
    (["standard", "export", "--out", "o.xlsx", "--example", "nope"], 2, "不在可选值"),
    (["standard", "export", "--out", "o.xlsx", "--standard", "x.txt"], 1, "评价标准"),
    (["mail", "bogus"], 2, "没有子命令"),
    (["mail", "templates", "--bogus"], 2, "没有选项 --bogus"),
    (["mail", "templates", "--contacts", "nope.xlsx", "--templates", "adir", *MAIL], 2, "联系人清单 nope.xlsx 不存在"),
    (["mail", "templates", "--contacts", "x.txt", "--templates", "adir", *MAIL], 1, "联系人清单"),
    (["mail", "templates", "--contacts", "empty.xlsx", "--templates", "adir", *MAIL], 1, "联系人清单"),
    (["mail", "templates", "--contacts", "c.xlsx", "--templates", "x.txt", *MAIL], 2, "检查表目录 x.txt 不存在或不是目录"),
    (["mail", "templates", "--contacts", "c.xlsx", "--templates", "adir", *MAIL], 1, "hallscore templates"),
    (["mail", "templates", "--contacts", "c.xlsx", "--templates", "adir", *MAIL, "--date", "明天"], 2,
     "YYYY-MM-DD"),
    (["mail", "templates", "--contacts", "c.xlsx", "--templates", "adir", *MAIL, "--rate", "abc"], 2, "不是有效的数值"),
    (["mail", "problems", "--contacts", "c.xlsx", *MAIL], 2, "请给出 --json"),
    (["mail", "problems", "--json", "nope.json", "--contacts", "c.xlsx", *MAIL], 2, "校验结果 nope.json 不存在"),
    (["mail", "problems", "--json", "adir", "--contacts", "c.xlsx", *MAIL], 2, "不存在或不是文件"),
    (["mail", "problems", "--json", "x.txt", "--contacts", "c.xlsx", *MAIL], 1, "不是有效的 JSON 文件"),
    (["mail", "problems", "--json", "empty.json", "--contacts", "c.xlsx", *MAIL], 1, "不是有效的 JSON 文件"),
    (["mail", "problems", "--archive", "adir", "--year", "2025", "--contacts", "c.xlsx", *MAIL], 1,
     "没有 2025 年的校验结果"),
    (["mail", "problems", "--archive", "nope", "--contacts", "c.xlsx", *MAIL], 2, "档案目录 nope 不存在"),
    (["mail", "problems", "--archive", "arch", "--year", "2025", "--contacts", "c.xlsx", *MAIL], 1,
     "arch/2025/intake.json 不是有效的 JSON 文件(或嵌套过深);该文件已损坏或被手工改动,请从备份恢复"),
    (["mail", "problems", "--json", "deep.json", "--contacts", "c.xlsx", *MAIL], 1, "deep.json 不是有效的 JSON"),
    (["mail", "reminders", "--register", "r.xlsx", "--contacts", "c.xlsx", *MAIL], 2, "请给出 --json"),
    (["mail", "reminders", "--register", "x.txt", "--contacts", "c.xlsx", "--json", "x.txt", *MAIL], 1, "营业厅清单"),
]


@pytest.fixture
def bench(files):
    write_register(make_halls({"甲": 2}), files / "r.xlsx")
    write_contacts([Contact("甲", "甲市", "王经理", ("w@x.cn",))], files / "c.xlsx")
    (files / "arch" / "2025").mkdir(parents=True)
    (files / "arch" / "2025" / "intake.json").write_text('{"files": [', encoding="utf-8")  # damaged by hand
    (files / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    return files


@pytest.mark.parametrize("args, code, says", BAD, ids=[" ".join(a) for a, _, _ in BAD])
def test_bad_invocations_are_said_in_chinese(bench, args, code, says):
    result = CliRunner().invoke(main, args)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    assert_said_well(result.output, result.exit_code, code, says)
    # A refused run leaves nothing of its outputs (a build may have cached the register: that costs only time).
    left = {p.name for p in (bench / "out").iterdir()} if (bench / "out").exists() else set()
    assert left <= {".hallscore-cache"}, left


def test_an_empty_archive_folder_never_replaces_the_published_site(bench):
    """An existing but wrong --archive (no year in it) is refused like a missing one: the site stays as it was."""
    site = bench / "site"
    site.mkdir()
    (site / SITE_MARKER).write_text("", encoding="utf-8")  # a site hallscore made: one it may replace
    (site / "index.html").write_text("已发布", encoding="utf-8")
    result = CliRunner().invoke(main, ["site", "--archive", "adir", "--site-dir", "site"])
    assert_said_well(result.output, result.exit_code, 1, "站点未改动")
    assert sorted(p.name for p in site.iterdir()) == sorted([SITE_MARKER, "index.html"])
    assert (site / "index.html").read_text(encoding="utf-8") == "已发布"


@pytest.mark.parametrize("name", [None, *sorted(main.commands)])
def test_every_help_page_is_chinese(name):
    command = main.commands[name] if name else main
    names = [[name]] if name else [[]]
    if name and hasattr(command, "commands"):
        names += [[name, sub] for sub in sorted(command.commands)]
    for args in names:
        result = CliRunner().invoke(main, [*args, "--help"])
        assert_said_well(result.output, result.exit_code, 0, "用法:")


# A few through a real process: what a user's terminal shows (stderr included), with the real exit status.
PROCESS = [
    (["bogus"], 2, "没有命令"),
    (["validate", "adir", "--register", "nope.xlsx"], 2, "不存在"),
    (["validate", "x.txt", "--register", "r.xlsx", "--year", "2025"], 1, "没有找到检查表"),
    (["serve", "--site-dir", "adir"], 1, "没有 index.html"),
    (["mail", "problems", "--json", "v.json", "--contacts", "c.xlsx", *MAIL], 1, "有校验结果中没有的字段 extra"),
    (["standard", "check", "fake.xlsx"], 1, "另存为 .xlsx"),
]


@pytest.mark.parametrize("args, code, says", PROCESS, ids=[" ".join(a) for a, _, _ in PROCESS])
def test_bad_invocations_in_a_real_process(bench, args, code, says):
    (bench / "v.json").write_text(json.dumps(_damaged(lambda r, f: f["problems"][0].update(extra=1))),
                                  encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "generator.cli", *args], capture_output=True, text=True,
                          cwd=bench, env=env, timeout=120)
    assert_said_well(done.stdout + done.stderr, done.returncode, code, says)


# -- README names what --help shows --------------------------------------------------------------------------

def _commands(group: click.Group, path: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def _readme_sections() -> dict[str, str]:
    """Each ``###`` heading of the command reference with its text, up to the next heading."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    parts = re.split(r"^(?=#{2,3} )", text, flags=re.M)
    return {part.splitlines()[0]: part for part in parts if part.startswith("### ")}


@pytest.mark.parametrize("path, command", list(_commands(main)), ids=[" ".join(p) for p, _ in _commands(main)])
def test_readme_names_every_command_and_option_in_its_section(path, command):
    # A command's section: the heading that names it (a group's subcommands may share one heading).
    sections = _readme_sections()
    group, name = " ".join(path[:-1]), path[-1]
    own = [body for heading, body in sections.items()
           if f"hallscore {' '.join(path)}" in heading or (group and f"hallscore {group}" in heading and name in heading)]
    assert own, f"README.md has no section for hallscore {' '.join(path)}"
    body = "".join(own)
    shown = [o for p in command.params for o in p.opts if o.startswith("-") and not getattr(p, "hidden", False)]
    missing = [o for o in shown if not re.search(re.escape(o) + r"(?![\w-])", body)]
    assert not missing, f"README.md's section for hallscore {' '.join(path)} does not mention {missing}"
    assert command.help, path


def test_an_outbox_that_cannot_be_written_is_named(bench):
    """/proc refuses new files: the outbox's path and what to do, not a bare "文件不存在"."""
    (bench / "v.json").write_text(json.dumps(_damaged(lambda r, f: None), ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["mail", "problems", "--json", "v.json", "--contacts", "c.xlsx", "--out",
                                       "/proc/hallscore-outbox", "--from", SENDER])
    assert_said_well(result.output, result.exit_code, 1, "/proc/hallscore-outbox")
    assert "请检查该路径" in result.output


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["--help"], ["--version"], ["validate", "--help"], ["problems"]])
def test_a_full_disk_while_printing_is_said(bench, args):
    """Help and version print while the arguments are parsed, before any command runs: a full disk there too."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "generator.cli", *args], stdout=full, stderr=subprocess.PIPE,
                              text=True, cwd=bench, env=env, timeout=120)
    assert_said_well(done.stderr, done.returncode, 1, "磁盘已满")


@pytest.mark.parametrize("extra, says", [
    (["--body-template", "binary.bin"], "邮件模板 binary.bin 无法使用:不是 UTF-8 编码的文本"),
    (["--send", "--smtp", "127.0.0.1:9", "--smtp-cafile", "x.txt"], "CA 证书文件 x.txt 无法使用(不是 PEM 格式的证书)"),
])
def test_a_body_template_or_ca_file_of_the_wrong_kind_is_named(bench, extra, says):
    (bench / "binary.bin").write_bytes(bytes(range(256)))
    (bench / "v.json").write_text(json.dumps(_damaged(lambda r, f: None), ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["mail", "problems", "--json", "v.json", "--contacts", "c.xlsx", *MAIL, *extra])
    assert_said_well(result.output, result.exit_code, 1, says)


def test_the_annotated_defaults_are_written_in_chinese():
    """config --example is read by a service manager: its comments are Chinese (key names and values stay)."""
    result = CliRunner().invoke(main, ["config", "--example"])
    assert result.exit_code == 0
    comments = [line for line in result.output.splitlines() if line.startswith("#")]
    assert comments
    for line in comments:
        plain = re.sub(r"`[^`]*`|\"[^\"]*\"|--?[a-z][a-z-]*|\w+\.toml|[a-z_]+ = \S+|YYYY-MM-DD|hallscore|TOML", "", line)
        assert not re.search(r"[A-Za-z]{2,}\W+[A-Za-z]{2,}", plain), line


def test_demo_never_writes_into_a_folder_it_did_not_make(bench):
    """The demo rewrites register.xlsx and mail/ of its --out: a user's folder holding them is refused, untouched."""
    mine = bench / "工作"
    (mine / "mail").mkdir(parents=True)
    (mine / "register.xlsx").write_bytes(b"my register")
    (mine / "mail" / "note.txt").write_text("我的邮件", encoding="utf-8")
    result = CliRunner().invoke(main, ["demo", "--out", "工作", "--halls", "31"])
    assert_said_well(result.output, result.exit_code, 1, "为免覆盖你的文件")
    assert sorted(p.name for p in mine.rglob("*")) == ["mail", "note.txt", "register.xlsx"]
    assert (mine / "register.xlsx").read_bytes() == b"my register"


def test_two_folders_of_the_same_name_are_both_read(bench, standard):
    """validate 2024/returns 2025/returns: the same relative names under both; every file is accounted for, each
    under the folders that tell it apart (before, the second folder's files hid the first's)."""
    halls = make_halls({"甲": 2})
    write_register(halls, bench / "r.xlsx")
    for year in ("2024", "2025"):
        for hall in halls:
            write_return(standard, hall, full_fill(standard), bench / year / "returns")
    (bench / "2024" / "returns" / "说明.txt").write_text("旧", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "2024/returns", "2025/returns", "--register", "r.xlsx",
                                       "--year", str(YEAR), "--json", "v.json"])
    files = json.loads((bench / "v.json").read_text(encoding="utf-8"))["files"]
    assert len(files) == 5, result.output
    assert sum(f["path"].startswith("2024/returns/") for f in files) == 3
    assert sum(f["path"].startswith("2025/returns/") for f in files) == 2
    # One folder alone keeps its plain name.
    CliRunner().invoke(main, ["validate", "2025/returns", "--register", "r.xlsx", "--year", str(YEAR), "--json",
                              "w.json"])
    assert all(f["path"].startswith("returns/") for f in json.loads((bench / "w.json").read_text())["files"])
