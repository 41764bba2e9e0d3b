"""Real processes: two builds of one archive at once, and builds killed with SIGKILL at random moments."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path

from click.testing import CliRunner
from support.builds import build_command as _cmd
from support.returns import YEAR, full_fill, make_halls, write_return

from generator.cli.app import main

HALLS = make_halls({"广东": 3, "北京": 2})


def _setup(tmp_path, standard, write_reg):
    register = write_reg(HALLS)
    for name, inspector in (("a", "张三"), ("b", "李四")):
        for hall in HALLS:
            write_return(standard, hall, full_fill(standard, inspector=inspector), tmp_path / name)
    return register


def _consistent(archive: Path) -> str:
    """The year's results and intake come from one run: say which returns folder, and check the pair matches."""
    folder = archive / str(YEAR)
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    intake = json.loads((folder / "intake.json").read_text(encoding="utf-8"))
    origins = {f["path"].split("/")[0] for f in intake["files"]}
    assert len(origins) == 1, origins
    inspectors = {h.get("inspector") or "" for h in results["halls"]}
    return origins.pop() + " " + json.dumps(sorted(inspectors), ensure_ascii=False)


def test_two_builds_at_once_never_mix(tmp_path, standard, write_reg):
    register = _setup(tmp_path, standard, write_reg)
    env = {**__import__("os").environ, "HALLSCORE_LOCK_WAIT": "120"}
    procs = [subprocess.Popen(_cmd(tmp_path, register, r), cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for r in ("a", "b")]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert all("Traceback" not in o + e for o, e in outs)
    _consistent(tmp_path / "archive")
    assert not [p for p in (tmp_path / "archive").iterdir() if p.name.startswith(".")]
    assert not list(tmp_path.glob(".site.build-*"))


def test_builds_killed_at_random_moments_leave_the_old_or_the_new_year(tmp_path, standard, write_reg):
    register = _setup(tmp_path, standard, write_reg)
    assert CliRunner().invoke(main, _cmd(tmp_path, register, "a")[3:]).exit_code == 0
    rng = random.Random(7)
    for n in range(4):
        proc = subprocess.Popen(_cmd(tmp_path, register, "b" if n % 2 == 0 else "a"), cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 3.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # Whatever moment it died at, a reader finds one whole year, from one run, or (before any swap) the old.
        if (tmp_path / "archive" / str(YEAR)).exists():
            _consistent(tmp_path / "archive")
        else:  # killed between the two renames of a commit: its journal says how to finish
            assert (tmp_path / "archive" / ".hallscore.journal").exists()
    # The next build puts right what the killed ones left and publishes a matching pair.
    result = subprocess.run(_cmd(tmp_path, register, "b"), cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert _consistent(tmp_path / "archive").startswith("b ")
    assert sorted(p.name for p in (tmp_path / "archive").iterdir()) == [str(YEAR)]
    assert not list(tmp_path.glob(".site.build-*"))
    assert (tmp_path / "site" / "index.html").is_file()
