"""Outputs never destroy inputs; the archive year and the site change together; one build per archive at a time.

Every case runs the real CLI on real files written by openpyxl.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.returns import YEAR, full_fill, make_halls, write_return

from generator.cli.app import main
from generator.fs.paths import SITE_MARKER

HALLS = make_halls({"广东": 2})


@pytest.fixture
def case(tmp_path, standard, write_reg):
    register = write_reg(HALLS)
    returns = tmp_path / "returns"
    for hall in HALLS:
        write_return(standard, hall, full_fill(standard), returns)
    return tmp_path, register, returns


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def build(root, register, returns, *extra, site="site", archive="archive"):
    args = ["build", str(returns), "--register", str(register), "--year", str(YEAR), "--archive",
            str(root / archive) if archive else None, "--workers", "1", "--no-cache"]
    if site is not None:
        args += ["--site-dir", str(root / site) if not os.path.isabs(str(site)) and site != "." else str(site)]
    return CliRunner().invoke(main, [a for a in args if a is not None] + list(extra))


@pytest.mark.parametrize("target", ["returns", "returns/自评", "archive", "archive/2025", "register.xlsx/.."])
def test_site_dir_over_an_input_is_refused_and_nothing_is_touched(case, target):
    root, register, returns = case
    (root / "archive" / "2025").mkdir(parents=True)
    (root / "archive" / "2025" / "keep.txt").write_text("mine", encoding="utf-8")
    before, before_archive = snapshot(returns), snapshot(root / "archive")
    result = build(root, register, returns, site=str(root / target))
    assert result.exit_code == 1, result.output
    assert "重叠" in result.output and "Traceback" not in result.output
    assert snapshot(returns) == before and snapshot(root / "archive") == before_archive
    assert register.is_file()


def test_site_dir_dot_is_refused(case, monkeypatch):
    root, register, returns = case
    monkeypatch.chdir(root)
    before = snapshot(root)
    result = CliRunner().invoke(main, ["build", "returns", "--register", "register.xlsx", "--year", str(YEAR),
                                       "--site-dir", ".", "--workers", "1"])
    assert result.exit_code == 1 and "站点目录 ." in result.output, result.output
    assert snapshot(root) == before


def test_a_folder_of_the_users_is_never_replaced(case):
    root, register, returns = case
    docs = root / "我的文档"
    docs.mkdir()
    (docs / "报告.docx").write_bytes(b"precious")
    result = build(root, register, returns, site="我的文档")
    assert result.exit_code == 1
    assert "我的文档" in result.output and "不是 hallscore 生成的站点" in result.output
    assert (docs / "报告.docx").read_bytes() == b"precious"
    assert not (root / "archive" / str(YEAR)).exists()  # refused before anything was written
    # The same through `hallscore site`.
    assert build(root, register, returns, site="site").exit_code == 0
    result = CliRunner().invoke(main, ["site", "--archive", str(root / "archive"), "--site-dir", str(docs)])
    assert result.exit_code == 1 and "不是 hallscore 生成的站点" in result.output
    assert (docs / "报告.docx").read_bytes() == b"precious"
    result = CliRunner().invoke(main, ["site", "--archive", str(root / "archive"), "--site-dir",
                                       str(root / "archive")])
    assert result.exit_code == 1 and "重叠" in result.output


def test_empty_missing_and_own_site_folders_are_replaced(case):
    root, register, returns = case
    (root / "empty").mkdir()
    assert build(root, register, returns, site="empty").exit_code == 0
    assert (root / "empty" / SITE_MARKER).is_file() and (root / "empty" / "index.html").is_file()
    assert build(root, register, returns, site="empty").exit_code == 0  # hallscore's own: replaced again
    assert build(root, register, returns, site="new/site").exit_code == 0


@pytest.mark.parametrize("option", ["--report", "--json"])
def test_validate_output_onto_a_return_is_refused(case, option):
    root, register, returns = case
    victim = next(returns.rglob("*.xlsx"))
    before = victim.read_bytes()
    result = CliRunner().invoke(main, ["validate", str(returns), "--register", str(register), "--year", str(YEAR),
                                       option, str(victim), "--workers", "1"])
    assert result.exit_code == 2 and "重叠" in result.output, result.output
    assert victim.read_bytes() == before
    result = CliRunner().invoke(main, ["validate", str(returns), "--register", str(register), "--year", str(YEAR),
                                       option, str(register)])
    assert result.exit_code == 2 and register.stat().st_size > 0


def test_a_failed_site_leaves_the_archive_as_it_was(case, standard):
    root, register, returns = case
    assert build(root, register, returns).exit_code == 0
    before = snapshot(root / "archive")
    site_before = snapshot(root / "site")
    # A second run with other returns fails while the site is built (an earlier year's record is damaged).
    (root / "archive" / "2024").mkdir()
    (root / "archive" / "2024" / "results.json").write_text("{", encoding="utf-8")
    other = root / "other"
    write_return(standard, HALLS[0], full_fill(standard, inspector="王五"), other)
    result = build(root, register, other)
    assert result.exit_code == 1 and "2024" in result.output and "Traceback" not in result.output
    after = snapshot(root / "archive")
    after.pop("2024/results.json")
    assert after == before and snapshot(root / "site") == site_before
    assert not [p for p in (root / "archive").iterdir() if p.name.startswith(".")]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _hold_lock(path: Path) -> subprocess.Popen:
    """Another process holding the OS file lock on ``path`` (as a running build does) until it is killed."""
    script = ("import fcntl, os, sys, time\n"
              "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)\n"
              "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_build_of_one_archive_is_refused_while_the_first_runs(case, monkeypatch):
    root, register, returns = case
    (root / "archive").mkdir()
    holder = _hold_lock(root / "archive" / ".hallscore.lock")
    try:
        monkeypatch.setenv("HALLSCORE_LOCK_WAIT", "0.3")
        result = build(root, register, returns)
        assert result.exit_code == 1 and "正被另一次构建使用" in result.output, result.output
        assert not (root / "archive" / str(YEAR)).exists() and not (root / "site").exists()
    finally:
        holder.kill()
        holder.wait()
    # Killed: the kernel let its lock go with it; nothing to take over or delete.
    assert build(root, register, returns).exit_code == 0


def test_two_archives_are_not_published_into_one_site_at_once(case, monkeypatch):
    root, register, returns = case
    holder = _hold_lock(root / ".site.hallscore.lock")  # a build of another archive, running
    try:
        monkeypatch.setenv("HALLSCORE_LOCK_WAIT", "0.3")
        result = build(root, register, returns)
        assert result.exit_code == 1 and "站点目录" in result.output and "正被另一次构建使用" in result.output
        assert not (root / "site").exists() and not (root / "archive").exists()
        assert (root / ".site.hallscore.lock").exists()  # not taken from a live build
    finally:
        holder.kill()
        holder.wait()
    assert build(root, register, returns).exit_code == 0  # its process gone, the lock is free
    assert not (root / ".site.hallscore.lock").exists()


def test_stale_lock_and_leftovers_of_killed_runs_are_cleaned(case):
    root, register, returns = case
    assert build(root, register, returns).exit_code == 0
    dead = _dead_pid()
    archive, year = root / "archive", root / "archive" / str(YEAR)
    (archive / ".hallscore.lock").write_text(f"{dead}\n")
    (root / f".site.build-{dead}-abc" / "docs").mkdir(parents=True)
    old_style = root / ".site.build-k2j3xq"  # an earlier version's name, no pid: removed once a day old
    old_style.mkdir()
    os.utime(old_style, (0, 0))
    recent = root / ".site.build-zz9"
    recent.mkdir()
    (archive / f".stage-{dead}-xyz" / str(YEAR)).mkdir(parents=True)
    (year / f".results.json.tmp-{dead}-q1.tmp").write_text("half")
    (archive / f".{YEAR}.old").mkdir()  # a swap that was finished except for removing the old folder
    result = build(root, register, returns)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in archive.iterdir()) == [str(YEAR)]
    assert sorted(p.name for p in year.iterdir()) == ["intake.json", "results.json", "standard.yaml", "上报名单", "输入"]
    assert [p.name for p in root.glob(".site.build-*")] == [recent.name]


def test_a_swap_killed_between_its_renames_is_put_back(case):
    root, register, returns = case
    assert build(root, register, returns).exit_code == 0
    archive = root / "archive"
    os.replace(archive / str(YEAR), archive / f".{YEAR}.old")  # killed right after the first rename
    # The next build puts the year back before it starts.
    result = build(root, register, returns)
    assert result.exit_code == 0
    assert (archive / str(YEAR) / "results.json").is_file() and not (archive / f".{YEAR}.old").exists()


def test_a_bel_in_the_register_city_is_refused_before_the_archive_changes(case, tmp_path):
    root, register, returns = case
    assert build(root, register, returns).exit_code == 0
    before = snapshot(root / "archive")
    bad = tmp_path / "bad.csv"
    bad.write_text("厅编码,厅名称,省,市,区县,级别,类型\n" + "\n".join(
        f"{h.hall_id},{h.name},{h.province},{h.city}\x07,{h.district},{h.level},{h.type}" for h in HALLS) + "\n",
        encoding="utf-8")
    result = build(root, bad, returns)
    assert result.exit_code == 1 and "第 2 行 D 列(市):含不可见字符 U+0007" in result.output, result.output
    assert snapshot(root / "archive") == before


def test_a_site_built_before_the_marker_is_still_recognised(case):
    root, register, returns = case
    assert build(root, register, returns).exit_code == 0
    (root / "site" / SITE_MARKER).unlink()  # as an earlier version left it
    assert build(root, register, returns).exit_code == 0
    assert (root / "site" / SITE_MARKER).is_file()
    # An index.html alone does not make a folder hallscore's.
    (root / "mine").mkdir()
    (root / "mine" / "index.html").write_text("my page", encoding="utf-8")
    assert build(root, register, returns, site="mine").exit_code == 1
    assert (root / "mine" / "index.html").read_text(encoding="utf-8") == "my page"


def test_files_of_someone_else_in_the_year_folder_are_kept(case):
    root, register, returns = case
    assert build(root, register, returns).exit_code == 0
    year = root / "archive" / str(YEAR)
    (year / "备注.txt").write_text("省公司的说明", encoding="utf-8")
    (year / "附件").mkdir()
    (year / "附件" / "a.pdf").write_bytes(b"%PDF")
    assert build(root, register, returns).exit_code == 0
    assert (year / "备注.txt").read_text(encoding="utf-8") == "省公司的说明"
    assert (year / "附件" / "a.pdf").read_bytes() == b"%PDF"
