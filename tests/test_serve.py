"""`hallscore serve` as a real process: files only from within the site's real path, clean 400/404/414 for
malformed URLs, never a traceback; a busy port is named in Chinese with what to do."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    site = tmp_path / "site"
    (site / "2025").mkdir(parents=True)
    (site / "index.html").write_text("<p>首页</p>", encoding="utf-8")
    (site / "2025" / "a.html").write_text("<p>甲</p>", encoding="utf-8")
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "passwd").write_text("secret", encoding="utf-8")
    (site / "rootlink").symlink_to(secret)
    (site / "filelink.html").symlink_to(secret / "passwd")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "generator.cli", "serve", "--site-dir", str(site), "--port",
                             str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield port, proc
    proc.terminate()
    proc.wait(timeout=10)


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("GET", path, skip_accept_encoding=True)
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body


def test_serve_stays_inside_the_site_and_answers_every_malformed_url_cleanly(served):
    port, proc = served
    assert _get(port, "/index.html")[0] == 200
    assert _get(port, "/2025/a.html") == (200, "<p>甲</p>".encode())
    for path in ("/rootlink/passwd", "/filelink.html", "/rootlink/", "/../outside/passwd",
                 "/%2e%2e/outside/passwd"):
        status, body = _get(port, path)
        assert status == 404 and b"secret" not in body, path
    assert _get(port, "/a%00b.html")[0] == 400
    assert _get(port, "/%00")[0] == 400
    assert _get(port, "/" + "a" * 100_000)[0] in (400, 414)
    assert _get(port, "/%ff%fe.html")[0] == 404
    assert _get(port, "/" + "%2F" * 3000)[0] in (400, 404, 414)
    assert _get(port, "/index.html")[0] == 200  # still serving
    proc.terminate()
    _out, err = proc.communicate(timeout=10)
    assert "Traceback" not in err and "Error" not in err


def test_a_busy_port_is_named_with_what_to_do(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<p>首页</p>", encoding="utf-8")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "generator.cli", "serve", "--site-dir", str(site), "--port",
                               str(port)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert f"端口 {port} 已被占用" in done.stderr and "--port" in done.stderr
    assert "Traceback" not in done.stderr


