"""How a user's mistake or a failed file operation reaches the terminal: one Chinese line, never a traceback.

Every command's errors pass through here: :func:`user_errors` on each command turns the library's
:class:`HallscoreError` (and a value it could not use) into :class:`UserError`, ``错误:…`` and exit status 1;
:class:`MainGroup` does the same for a failed read or write anywhere under ``hallscore``. The mail commands word
click's argument errors themselves (:class:`ChineseGroup`), with a short usage line (:class:`ChineseUsageError`).
"""

from __future__ import annotations

import errno
import functools
from collections.abc import Callable
from typing import IO, Any, ParamSpec, TypeVar

import click

from generator.cli.zh import install as install_chinese_texts
from generator.errors import HallscoreError, os_error_message
from generator.why import why

install_chinese_texts()  # before a command module that uses these declares its options (click.Path names itself)

P = ParamSpec("P")
R = TypeVar("R")


class UserError(click.ClickException):
    """One clear line in Chinese, exit status 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"错误:{self.format_message()}", err=True)


class InputError(UserError):
    """A register or standard that cannot be used: exit 2, since validate's 1 means 'files were rejected'."""

    exit_code = 2


class ChineseUsageError(click.UsageError):
    """A usage error shown as a short usage line, where to find help, and the error, in Chinese."""

    def show(self, file: IO[Any] | None = None) -> None:
        ctx = self.ctx
        if ctx is not None:
            click.echo(f"用法: {ctx.command_path} [选项]", err=True)  # worded as cli_zh words every other command
            click.echo(f"运行 '{ctx.command_path} --help' 查看帮助。\n", err=True)
        click.echo(f"错误:{self.format_message()}", err=True)


def user_errors(func: Callable[P, R]) -> Callable[P, R]:
    """A command whose library errors are one Chinese line and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except HallscoreError as exc:
            raise UserError(str(exc)) from exc
        except ValueError as exc:
            raise UserError(f"无法完成:{why(exc)}") from exc

    return wrapper


def os_error_said(exc: OSError) -> OSError | click.ClickException:
    """A failed read or write as one Chinese line; a closed pipe (``… | head``) is left to click, which ends
    quietly."""
    return exc if exc.errno == errno.EPIPE else UserError(os_error_message(exc))


class MainGroup(click.Group):
    """Every command: a failed read or write (disk full, read-only, permissions) is one Chinese line with the
    path and what to do, exit 1, never a traceback."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:  # --help and --version print while the arguments are parsed: a full disk there too
            return super().make_context(info_name, args, parent, **extra)
        except OSError as exc:
            raise os_error_said(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OSError as exc:
            raise os_error_said(exc) from None
        except RecursionError:
            raise UserError("输入文件嵌套过深,无法读取(可能被手工改坏):请检查最近改动过的档案或输入文件"
                            "后重新运行") from None


def _option_names(param: click.Parameter | None) -> str:
    return "、".join(param.opts) if param is not None else ""


class ChineseCommand(click.Command):
    """Argument errors in Chinese: the people running this read Chinese."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            hint = f";是否想用 {'、'.join(sorted(exc.possibilities))}?" if exc.possibilities else ""
            raise ChineseUsageError(f"没有选项 {exc.option_name}{hint}", ctx) from exc
        except click.MissingParameter as exc:
            raise ChineseUsageError(f"缺少必填选项 {_option_names(exc.param)}", ctx) from exc
        except click.BadParameter as exc:
            raise ChineseUsageError(f"选项 {_option_names(exc.param)} 的值无效:{exc.message}", ctx) from exc
        except click.UsageError as exc:
            raise ChineseUsageError(f"参数有误:{exc.message}", ctx) from exc


class ChineseGroup(click.Group):
    """A group whose commands word their argument errors in Chinese, as does its own unknown-command error."""

    command_class = ChineseCommand

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            raise ChineseUsageError(f"没有子命令“{args[0] if args else ''}”;可用:"
                                    f"{'、'.join(self.list_commands(ctx))}", ctx) from exc

