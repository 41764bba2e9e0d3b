"""The command line speaks Chinese: click's own help and error texts, every option explained, validate's year."""

from __future__ import annotations

import re
from datetime import date

import pytest
from support.builds import invoke as run
from support.returns import fill_scoring, make_halls, write_return

from generator.cli.app import main
from generator.rules.register import write_register

# click's English as it would print without the catalogue: words of its usage lines, help and errors.
CLICK_ENGLISH = re.compile(
    r"Usage|Options|Commands|Show this message|Show the version|default:|required|dynamic|Example|"
    r"Error|Invalid value|does not exist|is a directory|is not a valid|not in the range|Missing|No such|"
    r"Try '|Did you mean|Got unexpected|requires an argument|version|Aborted|"
    r"\b(?:OPTIONS|COMMAND|ARGS|INTEGER|RANGE|FILE|DIRECTORY|PATH|PATHS|TEXT|FLOAT|BOOLEAN)\b")


def english(text: str) -> list[str]:
    # Option and command names are ours and stay as typed (--version, --site-dir).
    return CLICK_ENGLISH.findall(re.sub(r"--?[a-z][a-z-]*", "", text))


@pytest.mark.parametrize("name", [None, *sorted(main.commands)])
def test_help_is_chinese_and_every_option_has_help(name):
    args = ([name] if name else []) + ["--help"]
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "用法:" in result.output and "选项:" in result.output
    assert not english(result.output), (name, english(result.output))
    command = main.commands[name] if name else main
    for param in command.params:
        if param.param_type_name == "option":
            assert param.help, (name, param.name)


@pytest.mark.parametrize("args, says", [
    (["validate", "x", "--register", "nope.xlsx"], "不存在"),
    (["validate", "--yeer", "3"], "没有选项"),
    (["serve", "--port", "abc"], "不是有效的整数"),
    (["serve", "--port", "0"], "不在范围"),
    (["archive"], "缺少选项"),
    (["validate"], "缺少参数"),
    (["bogus"], "没有命令"),
    (["problems", "extra"], "多余的参数"),
])
def test_errors_are_chinese(args, says, tmp_path):
    result = run(*args)
    assert result.exit_code == 2
    assert says in result.output and "错误:" in result.output, result.output
    assert not english(result.output), english(result.output)


def test_validate_without_year_takes_the_returns_year(tmp_path, standard):
    last_year = date.today().year - 1
    halls = make_halls({"甲": 2})
    write_register(halls, tmp_path / "register.xlsx")
    returns = tmp_path / "returns"
    for n, hall in enumerate(halls):
        fill = fill_scoring(standard, 93 + n, when=date(last_year, 5, 10))
        write_return(standard, hall, fill, returns, year=last_year)
    result = run("validate", returns, "--register", tmp_path / "register.xlsx")
    assert result.exit_code == 0, result.output
    assert f"_meta 中的年度 {last_year} 年" in result.output
    assert "template-year-mismatch" not in result.output
    # An explicit --year still wins, and a wrong one still rejects.
    result = run("validate", returns, "--register", tmp_path / "register.xlsx", "--year", last_year + 1)
    assert result.exit_code == 1 and "template-year-mismatch" in result.output


def test_serve_answers_404_in_chinese(tmp_path):
    import functools
    import http.client
    import http.server
    import threading

    from generator.cli.serve import ChineseRequestHandler

    (tmp_path / "index.html").write_text("<p>首页</p>", encoding="utf-8")
    handler = functools.partial(ChineseRequestHandler, directory=str(tmp_path))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", httpd.server_address[1], timeout=10)
            conn.request("GET", "/nope.html")
            response = conn.getresponse()
            body = response.read().decode("utf-8")
        finally:
            httpd.shutdown()
    assert response.status == 404
    assert "找不到页面" in body and "File not found" not in body and "charset=utf-8" in response.getheader(
        "Content-Type")
