"""Workbooks saved again by LibreOffice (headless, real soffice), as a person who edits in LibreOffice sends them."""

from __future__ import annotations

import subprocess
from pathlib import Path


def convert(soffice: str, files: list[Path], out_dir: Path, profile: Path) -> list[Path]:
    """``soffice --headless --convert-to xlsx`` with a private profile; every output must exist."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
           "--convert-to", "xlsx", "--outdir", str(out_dir), *map(str, files)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    outputs = [out_dir / f.name for f in files]
    missing = [p.name for p in outputs if not p.exists()]
    assert done.returncode == 0 and not missing, (done.returncode, missing, done.stderr[-2000:])
    return outputs
