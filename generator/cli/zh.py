"""click's own texts in Chinese: usage, option lists, help flags and every error click writes itself.

click looks its texts up through gettext (``from gettext import gettext as _`` in each of its modules); the
machine's locale has no catalogue for it, so they come out in English. :func:`install` puts a small catalogue
in their place by rebinding each click module's ``_`` and ``ngettext``, and gives click's parameter types
Chinese names (they show as metavars, e.g. ``--year 整数``). It must run before the commands are declared,
because ``click.Path`` names itself (文件/目录) when an option is made: cli/options.py and cli/errors.py install it
before any option is declared.
"""

from __future__ import annotations

import sys

import click
import click.exceptions
import click.types

CATALOGUE = {
    # help pages
    "Usage:": "用法:",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "%(prog)s, version %(version)s": "%(prog)s 版本 %(version)s",
    "default: {default}": "默认:{default}",
    "(dynamic)": "(运行时确定)",
    "required": "必填",
    "env var: {var}": "环境变量:{var}",
    "deprecated": "已弃用",
    "Do you want to continue?": "是否继续?",
    "Confirm the action without prompting.": "不经询问直接执行。",
    # errors
    "Error: {message}": "错误:{message}",
    "Try '{command} {option}' for help.": "运行 '{command} {option}' 查看帮助。",
    "Invalid value: {message}": "取值无效:{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的取值无效:{message}",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数:{param_name}",
    "Missing command.": "缺少命令。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such option: {name}": "没有选项:{name}",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "unknown error": "未知错误",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}:{message}",
    "Aborted!": "已中止。",
    "Value must be an iterable.": "取值必须是一组值。",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带取值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Invalid start character for option ({option})": "选项的首字符无效({option})",
    "Repeat for confirmation": "请再输入一次确认",
    "Error: The two entered values do not match.": "错误:两次输入不一致。",
    "Error: invalid input": "错误:输入无效",
    "Press any key to continue...": "按任意键继续…",
    # types
    "Choose from:\n\t{choices}": "可选:\n\t{choices}",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} 不是有效的是/否值,可用:{states}",
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件,不是目录。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是目录,不是文件。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不可执行。",
}

# (singular, plural) → Chinese, which has one form for both.
PLURALS = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"): "多余的参数({args})",
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."):
        "需要 {nargs} 个值,实际给了 {len} 个。",
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"):
        "是否想用 {possibility}?",
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."):
        "选项 {name!r} 需要 {nargs} 个取值。",
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."): "{value!r} 不在可选值 {choice} 中。",
    ("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}."):
        "{value!r} 不符合格式 {format}。",
    ("{len_type} values are required, but {len_value} was given.",
     "{len_type} values are required, but {len_value} were given."): "需要 {len_type} 个值,实际给了 {len_value} 个。",
}

# Type names show in usage lines and in "is not a valid …" errors.
TYPE_NAMES = {"IntParamType": "整数", "IntRange": "整数", "FloatParamType": "数值", "FloatRange": "数值",
              "StringParamType": "文本", "BoolParamType": "是/否", "UUIDParameterType": "UUID",
              "DateTime": "日期时间", "File": "文件", "UnprocessedParamType": "文本"}


def gettext(message: str) -> str:
    return CATALOGUE.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    # Chinese has one form for both; click passes the same value under both placeholder names.
    return PLURALS.get((singular, plural)) or (singular if n == 1 else plural)


# click's own wording of a missing parameter, kept before install() replaces it.
_english_missing = click.exceptions.MissingParameter.format_message


def _missing_with_chinese_stop(self: click.exceptions.MissingParameter) -> str:
    text = _english_missing(self)
    return text[:-1] + "。" if text.endswith(".") else text.replace(". ", "。", 1)


def install() -> None:
    """Rebind click's lookups and type names; safe to call more than once."""
    for name, module in list(sys.modules.items()):
        if name == "click" or name.startswith("click."):
            if hasattr(module, "_"):
                vars(module)["_"] = gettext
            if hasattr(module, "ngettext"):
                vars(module)["ngettext"] = ngettext
    for cls_name, label in TYPE_NAMES.items():
        cls = getattr(click.types, cls_name, None)
        if cls is not None:
            cls.name = label
    for instance in (click.INT, click.FLOAT, click.STRING, click.BOOL, click.UUID):
        instance.name = TYPE_NAMES.get(type(instance).__name__, instance.name)
    missing = click.exceptions.MissingParameter
    if missing.format_message is not _missing_with_chinese_stop:  # its full stop is written outside the catalogue
        setattr(missing, "format_message", _missing_with_chinese_stop)  # noqa: B010  (mypy refuses a method assigned)


def chinese_usage(command: click.Command) -> None:
    """``[选项]`` and ``命令 [参数]...`` in usage lines, for ``command`` and everything under it."""
    command.options_metavar = "[选项]"
    if isinstance(command, click.Group):
        command.subcommand_metavar = "命令 [参数]..."
        for sub in command.commands.values():
            chinese_usage(sub)


install()
