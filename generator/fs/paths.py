"""Where outputs may go: never onto or inside an input, never over a folder hallscore did not make.

Every command that writes checks its outputs here first, before any work is done, so that a mistyped
``--site-dir returns`` or ``--report 回收/x.xlsx`` is refused with a message instead of deleting the user's files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from generator.errors import HallscoreError

SITE_MARKER = ".hallscore-site"  # written into every site hallscore builds; only such a folder is ever replaced


class OutputPathError(HallscoreError):
    """An output would overwrite or sit inside an input, or replace a folder that is not hallscore's."""


def real_path(path: str | Path) -> Path:
    # resolve() follows links and `..`, so `a/../returns` and a link to returns are seen for what they are.
    return Path(os.path.abspath(path)).resolve()


def is_inside(a: Path, b: Path) -> bool:
    """True when ``a`` is ``b`` or lies inside it."""
    return a == b or b in a.parents


def check_outputs(inputs: Iterable[tuple[str, str | Path | None]],
                  outputs: Iterable[tuple[str, str | Path | None]]) -> None:
    """Refuse when any output is, contains or lies inside any input, or two outputs overlap.

    ``inputs``/``outputs`` are ``(Chinese label, path)`` pairs (“检查表”, “站点目录”…); None paths are skipped.
    """
    ins = [(label, Path(p), real_path(p)) for label, p in inputs if p is not None]
    outs = [(label, Path(p), real_path(p)) for label, p in outputs if p is not None]
    for out_label, out_given, out in outs:
        for in_label, in_given, inp in ins:
            if is_inside(out, inp) or is_inside(inp, out):
                raise OutputPathError(
                    f"{out_label} {out_given} 与{in_label} {in_given} 重叠(是同一位置或一个在另一个里面);"
                    f"输出会覆盖输入,已停止。请另选{out_label}。")
    for i, (label_a, given_a, a) in enumerate(outs):
        for label_b, given_b, b in outs[i + 1:]:
            if is_inside(a, b) or is_inside(b, a):
                raise OutputPathError(f"{label_a} {given_a} 与{label_b} {given_b} 重叠;请分开存放。")


def check_site_dir(site_dir: str | Path) -> None:
    """A site folder may be replaced only when it is missing, empty, or carries hallscore's marker."""
    site = Path(site_dir)
    if not os.path.lexists(site):
        return
    if site.is_symlink() or not site.is_dir():
        raise OutputPathError(f"站点目录 {site} 已存在且不是文件夹(或是链接);hallscore 不会替换它,请另选站点目录。")
    if (site / SITE_MARKER).is_file() or _legacy_site(site):
        return
    try:
        empty = next(os.scandir(site), None) is None
    except OSError as exc:
        raise OutputPathError(f"无法读取站点目录 {site}:{exc}") from exc
    if not empty:
        raise OutputPathError(
            f"站点目录 {site} 已存在、不是空文件夹,也不是 hallscore 生成的站点(缺少 {SITE_MARKER});"
            f"为免删除其中的文件,已停止。请另选站点目录,或先清空该目录。")


def _legacy_site(site: Path) -> bool:
    """A site built before the marker existed: MkDocs' index page beside hallscore's own script and style."""
    return all((site / rel).is_file() for rel in ("index.html", "assets/hallscore.css", "assets/hallscore.js"))


def mark_site(site_dir: str | Path) -> None:
    """Put the marker into a freshly built site (before it is swapped into place)."""
    (Path(site_dir) / SITE_MARKER).write_text("hallscore site: this folder is replaced by every build\n",
                                              encoding="utf-8")


def check_frozen_out(out_dir: str | Path, archive_dir: str | Path) -> None:
    """The zip of a frozen year is an output like any other: never into the archive it is made from, nor into a
    site folder that the next build replaces whole."""
    out, archive = real_path(out_dir), real_path(archive_dir)
    if is_inside(out, archive):
        raise OutputPathError(f"输出目录 {out_dir} 在档案目录 {archive_dir} 之中(或就是它);归档文件会混入档案,已停止。"
                              f"请用 --out 另选一个档案目录之外的目录。")
    for folder in (out, *out.parents):
        if (folder / SITE_MARKER).is_file():
            raise OutputPathError(f"输出目录 {out_dir} 在 hallscore 生成的站点 {folder} 之中,下次生成站点时会被整体替换;"
                                  f"已停止。请用 --out 另选站点之外的目录。")
