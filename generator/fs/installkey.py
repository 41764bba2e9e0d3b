"""The installation's secret: keyed digests for what hallscore issues and later reads back.

Memos, page and download stamps and the issued 上报名单 carry a digest keyed with a secret that lives outside
the archive, the site and the cache, so whoever can write those folders (or fills a list) cannot forge an entry
that passes. The secret is made on first use, owner-only, in ``$HALLSCORE_KEY_FILE`` or
``$XDG_CONFIG_HOME/hallscore/key`` (``~/.config/hallscore/key``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

from generator.errors import HallscoreError
from generator.why import why

_KEY_BYTES = 32
_cached: tuple[str, bytes] | None = None


class InstallKeyError(HallscoreError):
    """The installation key cannot be read or made."""


def key_path() -> Path:
    explicit = os.environ.get("HALLSCORE_KEY_FILE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "hallscore" / "key"


def _read(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InstallKeyError(f"无法读取本机密钥 {path}({why(exc)}):请检查该文件的权限,"
                        "或用环境变量 HALLSCORE_KEY_FILE 指定另一个位置") from None
    try:
        st = os.fstat(fd)
        data = os.read(fd, _KEY_BYTES * 4)
    finally:
        os.close(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_mode & 0o077 or len(data) != _KEY_BYTES * 2:
        raise InstallKeyError(f"本机密钥 {path} 不是 hallscore 生成的(应为仅本人可读写的 64 位十六进制文本):"
                        "请删除它后重新运行(此前签发的上报名单需要重新签发)")
    try:
        return bytes.fromhex(data.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise InstallKeyError(f"本机密钥 {path} 已损坏:请删除它后重新运行(此前签发的上报名单需要重新签发)") from None


def _make(path: Path) -> bytes:
    key = secrets.token_bytes(_KEY_BYTES)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        # Another process made it first: use theirs.
        existing = _read(path)
        assert existing is not None
        return existing
    except OSError as exc:
        raise InstallKeyError(f"无法创建本机密钥 {path}({why(exc)}):请检查目录权限,"
                        "或用环境变量 HALLSCORE_KEY_FILE 指定可写的位置") from None
    try:
        os.write(fd, key.hex().encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


def installation_key() -> bytes:
    """The secret, made owner-only on first use; the same for every later call with the same key file."""
    global _cached
    path = key_path()
    if _cached is not None and _cached[0] == str(path):
        return _cached[1]
    key = _read(path)
    if key is None:
        key = _make(path)
    _cached = (str(path), key)
    return key


def _keyed(purpose: str) -> hmac.HMAC:
    """The HMAC-SHA256 every keyed digest starts from: the installation's key, then ``purpose`` and a NUL."""
    return hmac.new(installation_key(), purpose.encode("utf-8") + b"\x00", hashlib.sha256)


def keyed_digest(purpose: str, data: bytes) -> str:
    """HMAC-SHA256 of ``data`` for one ``purpose`` (a digest for one purpose never passes for another)."""
    return keyed_digest_of_parts(purpose, (data,))


def keyed_digest_of_parts(purpose: str, parts: Iterable[bytes]) -> str:
    """:func:`keyed_digest` of the parts joined, without joining them (a sealed file of many megabytes)."""
    mac = _keyed(purpose)
    for part in parts:
        mac.update(part)
    return mac.hexdigest()


def digest_matches(purpose: str, data: bytes, digest: str) -> bool:
    return hmac.compare_digest(keyed_digest(purpose, data), digest)


class Signer:
    """:func:`keyed_digest` and :func:`digest_matches` for one ``purpose``, the key read once: for stores that
    check a digest on every row."""

    def __init__(self, purpose: str) -> None:
        self._start = _keyed(purpose)

    def digest(self, data: bytes) -> str:
        mac = self._start.copy()
        mac.update(data)
        return mac.hexdigest()

    def matches(self, data: bytes, digest: str) -> bool:
        return hmac.compare_digest(self.digest(data), digest)
