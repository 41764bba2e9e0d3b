"""Real builds killed with SIGKILL at random moments: the archive's year and the published site always belong to
the same build, the next command that locks the archive completes or rolls back the pair, and no earlier archive
is lost. Locks are the kernel's: a killed build's lock is free at once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from support.builds import build_command as _cmd
from support.returns import YEAR, full_fill, make_halls, write_return

from generator.fs.files import BuildLock
from generator.fs.journal import NAME as JOURNAL
from generator.fs.journal import recover

HALLS = make_halls({"广东": 3, "北京": 2})
INSPECTORS = {"a": "张三", "b": "李四"}


def _pair(tmp_path: Path) -> str:
    """Which run ("a" or "b") the archive's year and the site both come from; fails if they differ."""
    results = json.loads((tmp_path / "archive" / str(YEAR) / "results.json").read_text(encoding="utf-8"))
    (archive_side,) = {h["inspector"] for h in results["halls"]}
    pages = [p.read_text(encoding="utf-8") for p in (tmp_path / "site" / str(YEAR) / "halls").glob("*.html")]
    assert len(pages) == len(HALLS)
    site_sides = {name for name in INSPECTORS.values() if any(f"/ {name}<" in page for page in pages)}
    assert site_sides == {archive_side}, (archive_side, site_sides)
    return next(k for k, v in INSPECTORS.items() if v == archive_side)


def _two_return_sets(tmp_path, standard, write_reg):
    """The register, and one return set per inspector (``a``, ``b``): a page or results.json names its run."""
    register = write_reg(HALLS)
    for name, inspector in INSPECTORS.items():
        for hall in HALLS:
            write_return(standard, hall, full_fill(standard, inspector=inspector), tmp_path / name)
    return register


def test_builds_killed_at_random_moments_never_split_the_year(tmp_path, standard, write_reg):
    register = _two_return_sets(tmp_path, standard, write_reg)
    started = time.monotonic()
    first = subprocess.run(_cmd(tmp_path, register, "a"), cwd=tmp_path, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    duration = time.monotonic() - started
    assert _pair(tmp_path) == "a"
    rng = random.Random(20)
    seen, journals = set(), 0
    for n in range(10):
        proc = subprocess.Popen(_cmd(tmp_path, register, "b" if n % 2 == 0 else "a"), cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.25 * duration, 1.1 * duration))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        journals += (tmp_path / "archive" / JOURNAL).exists()
        # What every command that locks the archive does first; the killed build's lock is free already.
        with BuildLock(tmp_path / "archive", wait=0):
            recover(tmp_path / "archive")
        seen.add(_pair(tmp_path))
        assert (tmp_path / "archive" / str(YEAR) / "results.json").is_file()  # never without a year
    # The next build puts right what the killed ones left and publishes a matching pair.
    result = subprocess.run(_cmd(tmp_path, register, "b"), cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert _pair(tmp_path) == "b"
    assert sorted(p.name for p in (tmp_path / "archive").iterdir()) == [str(YEAR)]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".site.build-", ".site.old", ".site.new"))]
    assert seen  # (which pairs the kills left depends on timing; each one was whole)


def test_a_journal_left_by_a_killed_commit_is_completed_by_the_next_build(tmp_path, standard, write_reg):
    """Killed right after the journal was written (the commit point), before any folder moved: the next build
    finishes the commit of the staged pair first, then does its own work."""
    register = _two_return_sets(tmp_path, standard, write_reg)
    assert subprocess.run(_cmd(tmp_path, register, "a"), cwd=tmp_path, capture_output=True).returncode == 0
    # A build of "b" that stops inside journal.commit just after the journal is written (os._exit: no cleanup).
    script = ("import os, sys\nimport generator.fs.journal as j\n"
              "def stop(path, plan):\n    os._exit(9)\n"
              "j._finish = stop\nfrom generator.cli.app import main\nmain(sys.argv[1:])\n")
    killed = subprocess.run([sys.executable, "-c", script, *_cmd(tmp_path, register, "b")[3:]], cwd=tmp_path,
                            capture_output=True, text=True)
    assert killed.returncode == 9, killed.stderr
    assert (tmp_path / "archive" / JOURNAL).exists() and _pair(tmp_path) == "a"
    # Any command that locks the archive completes it: here `hallscore site`, which only rebuilds the site.
    done = subprocess.run([sys.executable, "-m", "generator.cli", "site", "--archive", str(tmp_path / "archive"),
                           "--site-dir", str(tmp_path / "site")], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert _pair(tmp_path) == "b" and not (tmp_path / "archive" / JOURNAL).exists()
    assert sorted(p.name for p in (tmp_path / "archive").iterdir()) == [str(YEAR)]


def test_a_forged_journal_moves_nothing(tmp_path, standard, write_reg):
    register = write_reg(HALLS)
    for hall in HALLS:
        write_return(standard, hall, full_fill(standard, inspector="张三"), tmp_path / "a")
    assert subprocess.run(_cmd(tmp_path, register, "a"), cwd=tmp_path, capture_output=True).returncode == 0
    victim = tmp_path / "victim"
    victim.mkdir()
    plan = {"moves": [{"new": str(tmp_path / "a"), "target": str(victim), "aside": str(tmp_path / "x")}]}
    (tmp_path / "archive" / JOURNAL).write_text(json.dumps(plan), encoding="utf-8")
    result = subprocess.run(_cmd(tmp_path, register, "a"), cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1 and "提交记录" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert victim.is_dir() and not any(victim.iterdir()) and (tmp_path / "a").is_dir()
    assert os.path.exists(tmp_path / "archive" / JOURNAL)


def test_a_commit_that_fails_half_way_is_completed_by_the_next_command(tmp_path, standard, write_reg):
    """The archive's year moved, then the site's move fails (an error, not a kill): the run's own clean-up
    must not delete the staged site the journal names; the next command finishes the pair."""
    register = _two_return_sets(tmp_path, standard, write_reg)
    assert subprocess.run(_cmd(tmp_path, register, "a"), cwd=tmp_path, capture_output=True).returncode == 0
    script = ("import os, sys\nimport generator.fs.journal as j\n"
              "real = os.rename\ncalls = []\n"
              "def rename(a, b):\n"
              "    calls.append(b)\n"
              "    if '.site.old-' in str(b):\n        raise OSError(28, 'No space left on device', str(b))\n"
              "    return real(a, b)\n"
              "j.os.rename = rename\nfrom generator.cli.app import main\nmain(sys.argv[1:])\n")
    failed = subprocess.run([sys.executable, "-c", script, *_cmd(tmp_path, register, "b")[3:]], cwd=tmp_path,
                            capture_output=True, text=True)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr, failed.stderr
    assert (tmp_path / "archive" / JOURNAL).exists()
    with BuildLock(tmp_path / "archive", wait=0):  # what the next command does first (no site rebuilt here)
        assert recover(tmp_path / "archive")
    assert _pair(tmp_path) == "b" and not (tmp_path / "archive" / JOURNAL).exists()


def test_each_move_is_done_once_whatever_step_a_kill_stopped_at(tmp_path):
    """journal.commit on real folders, stopped (os._exit in a child) after each of its steps in turn: recovery
    always ends with the new folders in place and the old ones gone, never undoing a move already made."""
    import generator.fs.journal as journal

    # Counted steps: two renames beside the targets, then per folder the exchange and the old one aside.
    recovered = 0
    for stop_after in range(1, 8):
        root = tmp_path / f"r{stop_after}"
        (root / "archive" / "2025").mkdir(parents=True)
        (root / "archive" / "2025" / "which").write_text("old")
        (root / "site").mkdir()
        (root / "site" / "which").write_text("old")
        for name in ("y", "s"):
            (root / "stage" / name).mkdir(parents=True)
            (root / "stage" / name / "which").write_text("new")
        script = (
            "import os, sys\nimport generator.fs.journal as j\nn = [0]\nlimit = int(sys.argv[1])\n"
            "def counted(f):\n    def g(*a, **k):\n        r = f(*a, **k)\n        n[0] += 1\n"
            "        if n[0] >= limit:\n            os._exit(9)\n        return r\n    return g\n"
            "j.os.rename = counted(os.rename)\nj._exchange = counted(j._exchange)\n"
            "from pathlib import Path\nroot = Path(sys.argv[2])\n"
            "j.commit(root / 'archive', [(root / 'stage' / 'y', root / 'archive' / '2025'),"
            " (root / 'stage' / 's', root / 'site')])\n")
        done = subprocess.run([sys.executable, "-c", script, str(stop_after), str(root)], capture_output=True,
                              text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
        assert done.returncode in (0, 9), done.stderr
        if (root / "archive" / JOURNAL).exists():
            assert journal.recover(root / "archive")
            recovered += 1
        else:  # stopped before the journal: nothing published moved
            journal.clean_asides(root / "archive")
            journal.clean_asides(root, ("site",), journal=root / "archive")
        year, site = (root / "archive" / "2025" / "which").read_text(), (root / "site" / "which").read_text()
        assert year == site, (stop_after, year, site)
        leftovers = [p.name for p in [*(root / "archive").iterdir(), *root.iterdir()] if ".old-" in p.name
                     or ".new-" in p.name]
        assert not leftovers, (stop_after, leftovers)
    assert 3 <= recovered < 7  # stops before and after the commit point were both exercised
