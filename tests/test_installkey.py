"""The installation key: owner-only, made once, refused when it is not hallscore's own."""

from __future__ import annotations

import os
import stat

import pytest

from generator.fs import installkey


def test_key_is_made_owner_only_and_reused(tmp_path, monkeypatch):
    path = tmp_path / "k" / "key"
    monkeypatch.setenv("HALLSCORE_KEY_FILE", str(path))
    first = installkey.keyed_digest("list:良好", b"abc")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert installkey.keyed_digest("list:良好", b"abc") == first
    assert installkey.keyed_digest("list:优秀", b"abc") != first
    assert installkey.digest_matches("list:良好", b"abc", first)
    assert not installkey.digest_matches("list:良好", b"abd", first)


def test_another_key_gives_other_digests(tmp_path, monkeypatch):
    monkeypatch.setenv("HALLSCORE_KEY_FILE", str(tmp_path / "a"))
    a = installkey.keyed_digest("p", b"x")
    monkeypatch.setenv("HALLSCORE_KEY_FILE", str(tmp_path / "b"))
    assert installkey.keyed_digest("p", b"x") != a


@pytest.mark.parametrize("content, mode", [(b"0" * 64, 0o644), (b"short", 0o600), (b"z" * 64, 0o600)])
def test_a_key_file_not_made_by_hallscore_is_refused_in_chinese(tmp_path, monkeypatch, content, mode):
    path = tmp_path / "key"
    path.write_bytes(content)
    os.chmod(path, mode)
    monkeypatch.setenv("HALLSCORE_KEY_FILE", str(path))
    with pytest.raises(installkey.InstallKeyError) as err:
        installkey.installation_key()
    assert str(path) in str(err.value) and "密钥" in str(err.value)


def test_a_symlinked_key_is_not_followed(tmp_path, monkeypatch):
    target = tmp_path / "elsewhere"
    target.write_bytes(b"1" * 64)
    os.chmod(target, 0o600)
    link = tmp_path / "key"
    link.symlink_to(target)
    monkeypatch.setenv("HALLSCORE_KEY_FILE", str(link))
    with pytest.raises(installkey.InstallKeyError):
        installkey.installation_key()


def test_a_seal_written_in_parts_is_the_seal_of_the_parts_joined(tmp_path, monkeypatch):
    from generator.fs.memo import seal, sealed_parts, unseal

    monkeypatch.setenv("HALLSCORE_KEY_FILE", str(tmp_path / "key"))
    parts = [b'{"format":1}', b"\n", "营业厅".encode(), b"", b"\x00" * 3]
    written = b"".join(sealed_parts("snapshot", parts))
    assert written == seal("snapshot", b"".join(parts))
    assert unseal("snapshot", written) == b"".join(parts)
    assert unseal("another purpose", written) is None
    assert b"".join(sealed_parts("snapshot", [b"".join(parts)])) == written  # however the body is cut
