"""Atomic writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from generator.errors import HallscoreError
from generator.why import os_reason

_UMASK = os.umask(0)
os.umask(_UMASK)


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    write_chunks_atomic(path, (data,))


def write_text_atomic(path: str | Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_chunks_atomic(path: str | Path, chunks: Iterable[bytes], same_as: str | Path | None = None) -> str:
    """Write ``chunks`` (bytes, one after another) atomically without holding them all; the SHA-256 written.

    When ``same_as`` is a file with exactly these bytes, ``path`` becomes a hard link to it instead (a copy where
    links are not possible): an output whose bytes did not change is not written again.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=work_prefix(f".{path.name}.tmp-"), suffix=".tmp")
    try:
        # mkstemp makes 0600 files; outputs get the usual mode (0644 under the common umask).
        os.chmod(tmp, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                fh.write(chunk)
            if same_as is not None and _same_bytes(Path(same_as), size, digest.hexdigest()):
                fh.close()
                Path(tmp).unlink()
                _link_or_copy(Path(same_as), path)
                return digest.hexdigest()
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if exc.filename is None:  # a write that failed (disk full): say which file it was for
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def read_own_file(path: str | Path, limit: int = 1 << 30) -> bytes:
    """A cache or memo file's bytes, never through a symlink and only from a regular file of at most ``limit``
    bytes (OSError otherwise: the caller then does without it)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            raise OSError(f"not a regular file of at most {limit} bytes: {path}")
        with os.fdopen(os.dup(fd), "rb") as fh:
            return fh.read(limit + 1)[:limit]
    finally:
        os.close(fd)


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, read in blocks (a year's returns can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stat_status(st: os.stat_result) -> str:
    """Size, mtime, inode, device and ctime: any write to the file, or its replacement, changes it (the kernel
    sets ctime on every write and every utime, and nothing sets it back)."""
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}:{st.st_dev}:{st.st_ctime_ns}"


def file_status(path: str | Path) -> str | None:
    """:func:`stat_status` of the file itself (a link is not followed); None when it cannot be read."""
    try:
        return stat_status(os.stat(path, follow_symlinks=False))
    except OSError:
        return None


def _same_bytes(path: Path, size: int, sha256: str) -> bool:
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size != size:
            return False
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest() == sha256
    except OSError:
        return False


def _link_or_copy(source: Path, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-link.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copy2(source, tmp)
    os.replace(tmp, path)


def dumps_stable(data: object) -> str:
    """The one JSON form of the project's outputs: sorted keys, UTF-8 text, a newline at the end."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


def write_json_atomic(path: str | Path, data: object) -> None:
    write_text_atomic(path, dumps_stable(data))


def replace_dir(new: Path, target: Path) -> None:
    """Swap a fully built directory into place; the old one is removed only once the new one is there."""
    old = swap_dir(new, target)
    if old is not None:
        shutil.rmtree(old)


def swap_dir(new: Path, target: Path) -> Path | None:
    """Move ``new`` to ``target`` and return where the old ``target`` went (``.<name>.old``), or None.

    A run killed between the two renames leaves only ``.<name>.old``; :func:`recover_swap` puts it back.
    """
    new, target = Path(new), Path(target)
    old = recover_swap(target)
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    return old if old.exists() else None


def recover_swap(target: Path) -> Path:
    """Undo the half of a swap a killed run left, and return the name the old folder is kept under."""
    target = Path(target)
    old = target.with_name(f".{target.name}.old")
    if old.exists():
        if target.exists():
            shutil.rmtree(old)
        else:
            os.replace(old, target)
    return old


def pid_alive(pid: int) -> bool:
    """Whether a process of that id runs on this machine (a signal-0 probe sends nothing)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def work_prefix(prefix: str) -> str:
    """A temporary name's prefix that carries this process's id, so that leftovers of dead runs can be told apart."""
    return f"{prefix}{os.getpid()}-"


def clean_leftovers(folder: str | Path, prefix: str) -> list[Path]:
    """Remove ``<prefix><pid>-…`` entries in ``folder`` left by runs that were killed (their process is gone)."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        pid_text = entry.name[len(prefix):].split("-", 1)[0].split(".", 1)[0]
        if pid_text.isdigit():
            if pid_alive(int(pid_text)):
                continue
        else:
            # Named by an earlier version, without a pid: taken as abandoned once a day old.
            try:
                if time.time() - entry.stat(follow_symlinks=False).st_mtime < 86400:
                    continue
            except OSError:
                continue
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


_TEMP_FILE = re.compile(r"^\..+\.tmp-(\d+)-.*\.tmp$")


def clean_temp_files(folder: str | Path) -> None:
    """Remove the ``.<name>.tmp-<pid>-….tmp`` files of :func:`write_bytes_atomic` left by killed runs."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        m = _TEMP_FILE.match(entry.name)
        if m and entry.is_file(follow_symlinks=False) and not pid_alive(int(m[1])):
            Path(entry.path).unlink(missing_ok=True)


class BuildLock:
    """One build at a time per archive: an exclusive OS file lock (flock) on ``<archive>/.hallscore.lock``.

    The kernel releases the lock when its process dies, so a killed build's lock needs no taking over (no pid
    file, no rename race). A second build waits up to ``wait`` seconds, then refuses. :meth:`for_site` is the
    same for a site folder (two archives published into one site would mix).
    """

    NAME = ".hallscore.lock"

    def __init__(self, folder: str | Path, wait: float = 10.0, name: str = NAME, what: str = "档案目录",
                 shown: Path | None = None):
        self.folder, self.wait = Path(folder), wait
        self.path = self.folder / name
        self.what, self.shown = what, shown or self.folder
        self.held = False
        self.fd: int | None = None

    @classmethod
    def for_site(cls, site_dir: str | Path, wait: float = 10.0) -> BuildLock:
        """The site's lock, beside it (``.<site>.hallscore.lock``): the site folder itself is swapped whole."""
        site = Path(site_dir).resolve()
        return cls(site.parent, wait, name=f".{site.name}{cls.NAME}", what="站点目录", shown=site)

    def __enter__(self) -> BuildLock:
        self.created = not self.folder.exists()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HallscoreError(f"无法创建{self.what} {self.folder}({os_reason(exc)}):"
                                 f"请检查该位置是否存在、可写,或换一个{self.what}。") from None
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                raise HallscoreError(f"无法在{self.what} {self.shown} 中建立锁文件 {self.path}({os_reason(exc)}):"
                                     f"请检查该目录是否可写(只读的位置不能生成),或删除同名的链接后重试。") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                if time.monotonic() >= deadline:
                    raise HallscoreError(
                        f"{self.what} {self.shown} 正被另一次构建使用,等待 {self.wait:g} 秒后仍未结束;"
                        f"请等它完成后再运行(构建被终止时锁会自动释放,无需删除任何文件)。") from None
                time.sleep(0.1)
                continue
            # The file we locked must still be the one at the path: a holder that just finished unlinks it,
            # and a lock on an unlinked file would exclude no one.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path, follow_symlinks=False))
            except OSError:
                same = False
            if not same:
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))  # for people only: the lock is the flock
            self.fd, self.held = fd, True
            return self

    def __exit__(self, *exc: object) -> None:
        if self.held and self.fd is not None:
            # Unlinked while still locked: a waiter that opened this file re-checks the path and opens anew.
            self.path.unlink(missing_ok=True)
            os.close(self.fd)
            self.fd, self.held = None, False
            if self.created:  # a run that failed before writing anything leaves no empty archive behind
                try:
                    self.folder.rmdir()
                except OSError:
                    pass
