"""Faults of the machine and of the archive (disk full while staging, a read-only archive, a results.json damaged
by hand) as real processes: one Chinese line with the path and what to do, exit 1, no traceback, and the
archive and the site exactly as they were."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from support.returns import YEAR, full_fill, make_halls, write_return

from generator.rules.register import write_register

ROOT = Path(__file__).resolve().parent.parent
HALLS = make_halls({"广东": 2, "北京": 1})


def _cmd(root: Path, returns: str, year: int = YEAR) -> list[str]:
    return [sys.executable, "-m", "generator.cli", "build", str(root / returns), "--register",
            str(root / "register.xlsx"), "--year", str(year), "--archive", str(root / "archive"), "--site-dir",
            str(root / "site"), "--no-cache"]


def _state(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted((root / "archive").rglob("*")) + sorted((root / "site").rglob("*"))}


@pytest.fixture(scope="module")
def built(tmp_path_factory, standard):
    root = tmp_path_factory.mktemp("faults")
    write_register(HALLS, root / "register.xlsx")
    for name, inspector in (("a", "张三"), ("b", "李四")):
        for hall in HALLS:
            write_return(standard, hall, full_fill(standard, inspector=inspector), root / name)
    for hall in HALLS:  # the year before, from its own returns (a build whose every return is rejected publishes nothing)
        write_return(standard, hall, full_fill(standard, inspector="张三", when=date(YEAR - 1, 5, 10)), root / "a0",
                     year=YEAR - 1)
    for year, folder in ((YEAR - 1, "a0"), (YEAR, "a")):
        done = subprocess.run(_cmd(root, folder, year), capture_output=True, text=True, cwd=root)
        assert done.returncode == 0, done.stderr
    return root


def _fails_cleanly(root: Path, done: subprocess.CompletedProcess, before: dict, *needles: str) -> str:
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output and "Error:" not in output and "错误:" in output, output
    for needle in needles:
        assert needle in output, (needle, output)
    assert _state(root) == before
    assert not [p.name for p in (root / "archive").iterdir() if p.name.startswith(".")]
    return output


def test_disk_full_while_staging_results_changes_nothing(built):
    before = _state(built)

    def small_files() -> None:  # a write past 4 KB fails as on a full disk (EFBIG; Python ignores SIGXFSZ)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    done = subprocess.run(_cmd(built, "b"), capture_output=True, text=True, cwd=built, preexec_fn=small_files)
    output = _fails_cleanly(built, done, before, "results.json", "磁盘空间")
    assert str(built / "archive") in output or "archive/" in output


def test_a_read_only_archive_changes_nothing(built):
    before = _state(built)
    cmd = _cmd(built, "b")
    if os.geteuid() == 0:  # root writes anywhere: without these capabilities permissions bind it too
        cmd = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *cmd]
    os.chmod(built / "archive", 0o555)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=built)
    finally:
        os.chmod(built / "archive", 0o755)
    _fails_cleanly(built, done, before, str(built / "archive"), "权限")


@pytest.mark.parametrize("damage", ["deep", "nan", "text", "missing", "not-json"])
def test_a_hand_damaged_results_json_is_named(built, damage):
    path = built / "archive" / str(YEAR - 1) / "results.json"
    original = path.read_bytes()
    data = json.loads(original)
    hall = data["halls"][0]
    if damage == "deep":
        text = "[" * 100_000 + "]" * 100_000
    elif damage == "not-json":
        text = original.decode("utf-8")[:-40]
    else:
        if damage == "nan":
            hall["final_score"] = float("nan")
        elif damage == "text":
            hall["final_score"] = "九十八"
        else:
            del hall["base_score"]
        text = json.dumps(data, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    before = _state(built)
    try:
        done = subprocess.run(_cmd(built, "b"), capture_output=True, text=True, cwd=built)
        _fails_cleanly(built, done, before, f"{YEAR - 1}/results.json", "备份")
    finally:
        path.write_bytes(original)


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, "[1, 2]", '{"files": [1]}', "{not json"])
def test_a_hand_damaged_intake_json_is_named(built, text):
    path = built / "archive" / str(YEAR - 1) / "intake.json"
    original = path.read_bytes()
    path.write_text(text, encoding="utf-8")
    before = _state(built)
    try:
        done = subprocess.run(_cmd(built, "b"), capture_output=True, text=True, cwd=built)
        _fails_cleanly(built, done, before, f"{YEAR - 1}/intake.json", "备份")
    finally:
        path.write_bytes(original)
