"""The package installs: a wheel built from the sources, installed into a fresh virtual environment outside the
checkout, runs the demo to a finished site (page templates and the base mkdocs.yml travel inside the wheel)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Outputs of a run at the checkout's top (generator/site/ and generator/archive/ are code and travel).
_LEFT_OUT_AT_TOP = {".venv", ".git", "site", "demo", "build", "archive", ".hallscore-cache", ".hallscore-build"}
_LEFT_OUT = shutil.ignore_patterns(".pytest_cache", ".hypothesis", "__pycache__", "*.egg-info", "_shipped")


def _left_out(folder: str, names: list[str]) -> set[str]:
    top = _LEFT_OUT_AT_TOP if Path(folder) == ROOT else set()
    return {n for n in names if n in top} | _LEFT_OUT(folder, names)


def _run(args, cwd, **kwargs):
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=900, **kwargs)
    assert done.returncode == 0, f"{args[:3]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_wheel_installs_and_runs_the_demo_outside_the_checkout(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=_left_out)
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(source)], tmp_path)
    wheel = next(wheels.glob("hallscore-*.whl"))

    env_dir = tmp_path / "env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], tmp_path)
    shutil.rmtree(source)  # nothing of the checkout may be needed any more

    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = _run([str(env_dir / "bin" / "hallscore"), "demo", "--halls", "60", "--out", "demo"], work, env=env)
    index = work / "demo" / "site" / "index.html"
    assert index.is_file(), done.stdout
    assert str(index.resolve()) in done.stdout
    # The module really came from the installed wheel, not from a checkout on the path.
    where = _run([str(python), "-c", "import generator, sys; print(generator.__file__)"], work, env=env)
    assert str(env_dir) in where.stdout
    assert (work / "demo" / "site" / "2025" / "index.html").is_file()
    # The annotated defaults travel too: config --example prints the repository's hallscore.toml, which loads.
    example = _run([str(env_dir / "bin" / "hallscore"), "config", "--example"], work, env=env)
    assert example.stdout == (ROOT / "hallscore.toml").read_text(encoding="utf-8")
    (work / "mine.toml").write_text(example.stdout, encoding="utf-8")
    _run([str(python), "-c", "from generator.rules.config import load_config; load_config('mine.toml', 2025)"], work, env=env)
