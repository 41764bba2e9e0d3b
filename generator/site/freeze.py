"""A year's site kept as the record: ``site-<Y>.zip`` with a SHA-256 manifest inside and its digest beside it.

The site as it stood for the year (that year and the ones before it) is built again from the archive and zipped
with fixed dates and modes, so the same archive gives the same bytes; a frozen year is never replaced.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from generator.archive.store import load_archive
from generator.errors import SiteError
from generator.fs.files import write_bytes_atomic
from generator.site.render import build_site

MANIFEST = "SHA256SUMS"


def freeze_year(archive_dir: str | Path, year: int, out_dir: str | Path, strict: bool = False) -> dict[str, Any]:
    """Build the site as it stood for ``year`` (that year and the ones before it) and zip it reproducibly.

    The zip holds ``SHA256SUMS`` (one ``<sha256>  <path>`` line per file, sha256sum's format); the zip's
    own digest goes to ``site-<Y>.zip.sha256`` so a copy on a file share can be checked years later.
    """
    chosen = [y for y in load_archive(archive_dir) if y.year <= year]
    if not any(y.year == year for y in chosen):
        raise SiteError(f"档案 {archive_dir} 中没有 {year} 年的结果({year}/results.json),无法归档:请核对 --archive "
                        f"和 --year,或先用 hallscore build 生成该年度")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".site-{year}.", dir=out_dir))
    try:
        site = work / f"site-{year}"
        build_site(chosen, site, strict=strict)
        files = sorted(p for p in site.rglob("*") if p.is_file())
        lines, stamp = [], (year, 12, 31, 0, 0, 0)
        zip_path = work / f"site-{year}.zip"
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in files:
                rel = path.relative_to(site).as_posix()
                data = path.read_bytes()
                lines.append(f"{hashlib.sha256(data).hexdigest()}  {rel}")
                _zip_write(zf, f"site-{year}/{rel}", data, stamp)
            _zip_write(zf, f"site-{year}/{MANIFEST}", ("\n".join(lines) + "\n").encode("utf-8"), stamp)
        data = zip_path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        target = out_dir / f"site-{year}.zip"
        sums = f"{digest}  {target.name}\n".encode()
        # A frozen year is a record: the same bytes again are kept, anything else there is never replaced.
        other = [p.name for p, new in ((target, data), (out_dir / f"{target.name}.sha256", sums))
                 if (p.exists() or p.is_symlink()) and not (p.is_file() and p.read_bytes() == new)]
        if other:
            raise SiteError(f"{out_dir} 中已有内容不同的 {'、'.join(other)}(以前冻结的归档或别的文件),归档不覆盖它:"
                            f"请用 --out 另选目录,或先把它移走后重新运行")
        write_bytes_atomic(target, data)
        write_bytes_atomic(out_dir / f"{target.name}.sha256", sums)
        return {"zip": str(target), "sha256": digest, "files": len(files)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _zip_write(zf: zipfile.ZipFile, name: str, data: bytes, stamp: tuple[int, int, int, int, int, int]) -> None:
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)
