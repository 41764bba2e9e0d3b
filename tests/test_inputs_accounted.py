"""Every input is accounted for: an unreadable folder or file is reported with its path, an Outlook .msg is named
as a mail to save as .eml, and page file names never collide (issue 20)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.returns import YEAR, full_fill, make_halls, write_return

from generator.rules.register import Hall, write_register

ROOT = Path(__file__).resolve().parent.parent
HALLS = make_halls({"广东": 2})


def _validate(root: Path) -> tuple[int, dict, str]:
    cmd = [sys.executable, "-m", "generator.cli", "validate", str(root / "returns"), "--register",
           str(root / "register.xlsx"), "--year", str(YEAR), "--json", str(root / "out" / "report.json")]
    if os.geteuid() == 0:  # root reads everything: without these capabilities permissions bind it too
        cmd = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *cmd]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=root, timeout=300)
    report = json.loads((root / "out" / "report.json").read_text(encoding="utf-8")) \
        if (root / "out" / "report.json").exists() else {}
    return done.returncode, report, done.stdout + done.stderr


@pytest.fixture
def world(standard, tmp_path):
    write_register(HALLS, tmp_path / "register.xlsx")
    for hall in HALLS:
        write_return(standard, hall, full_fill(standard), tmp_path / "returns")
    (tmp_path / "out").mkdir()
    yield tmp_path
    for path in tmp_path.rglob("*"):
        if path.is_dir():
            os.chmod(path, 0o755)


def test_an_unreadable_folder_and_file_are_reported_with_their_paths(world, standard):
    hidden = world / "returns" / "江门"
    write_return(standard, HALLS[0], full_fill(standard), hidden, name="江门一厅.xlsx")
    locked = world / "returns" / "锁定.xlsx"
    shutil.copy(next((world / "returns").rglob("*.xlsx")), locked)
    os.chmod(hidden, 0o000)
    os.chmod(locked, 0o000)
    code, report, output = _validate(world)
    assert code == 1 and "Traceback" not in output
    by_path = {f["path"]: f for f in report["files"]}
    folder = by_path["returns/江门"]
    assert folder["status"] == "rejected" and folder["problems"][0]["code"] == "folder-unreadable"
    assert "returns/江门" in folder["problems"][0]["message"] and "权限" in folder["problems"][0]["message"]
    file = by_path["returns/锁定.xlsx"]
    assert file["status"] == "rejected" and file["problems"][0]["code"] == "file-no-permission"
    assert "returns/锁定.xlsx" in file["problems"][0]["message"]
    assert sum(f["status"] == "accepted" for f in report["files"]) == len(HALLS)


def test_an_outlook_msg_is_named_as_a_mail_to_save_as_eml(world):
    (world / "returns" / "张三的回复.msg").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    code, report, output = _validate(world)
    assert code == 1
    (msg,) = [f for f in report["files"] if f["path"].endswith(".msg")]
    assert msg["status"] == "rejected" and msg["problems"][0]["code"] == "mail-outlook-msg"
    assert ".eml" in msg["problems"][0]["message"]


def test_two_register_ids_never_share_a_page_file(tmp_path, standard):
    """Two ids whose sanitised page names are the same each get their own page."""
    from generator.site.pages import hall_slug

    halls = [Hall("A/B", "甲厅", "广东", "广州", "天河", 2, "自营"), Hall("A:B", "乙厅", "广东", "广州", "天河", 2, "自营"),
             Hall("a/b", "丙厅", "广东", "广州", "天河", 2, "自营"), Hall("AB1", "丁厅", "广东", "广州", "天河", 2, "自营"),
             Hall("ab1", "戊厅", "广东", "广州", "天河", 2, "自营"),
             Hall("_" + hall_slug("A/B")[1:], "己厅", "广东", "广州", "天河", 2, "自营")]
    slugs = {h.hall_id: hall_slug(h.hall_id) for h in halls}
    assert len(set(slugs.values())) == len(halls), slugs
    assert len({s.lower() for s in slugs.values()}) == len(halls), slugs  # case-insensitive file systems too


def test_archive_out_is_kept_apart_from_the_archive_and_a_site(tmp_path):
    from click.testing import CliRunner
    from support.site import make_year, site_halls

    from generator.cli.app import main
    from generator.fs.paths import mark_site

    make_year(tmp_path, tmp_path / "archive", site_halls(), 2025, reviewed=0)
    site = tmp_path / "site"
    site.mkdir()
    mark_site(site)
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    for out in (tmp_path / "archive", tmp_path / "archive" / "2025", site / "zips"):
        result = CliRunner().invoke(main, ["archive", "--year", "2025", "--archive", str(tmp_path / "archive"),
                                           "--out", str(out)])
        assert result.exit_code == 1 and "--out" in result.output and "Traceback" not in result.output, out
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before
