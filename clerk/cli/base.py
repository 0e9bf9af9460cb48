"""What every `clerk` command shares: Chinese help, one-line errors, the services, output.

Admins are township staff: help and messages are Chinese, option names English. An error is
one line on stderr and a non-zero exit, never a traceback; unexpected ones go to the log.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from functools import update_wrapper
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from clerk.cli import i18n

i18n.install()  # click's own messages in Chinese, before any command is built

if TYPE_CHECKING:  # imported where first used: `clerk --help` needs none of them
    import pydantic

    from clerk.services import Services

F = TypeVar("F", bound=Callable[..., Any])
JSON = click.option("--json", "as_json", is_flag=True, help="以JSON输出")
PIN_STDIN = click.option(
    "--pin-stdin", is_flag=True, help="从标准输入读取PIN（一行，供脚本使用）；否则在终端输入两次"
)


class NamedChoice(click.Choice):
    """A choice of codes that takes their Chinese names too, as the output prints them."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.codes = {name: code for code, name in names.items()}
        super().__init__([*names, *names.values()])

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        chosen = super().convert(value, param, ctx)
        return self.codes.get(chosen, chosen)


def _ca_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """`--ca-file` checked as `[platform] ca_file` is: a readable PEM file, by full path."""
    if not value:
        return value
    from offline.tls import check_ca_file

    try:
        return check_ca_file(str(Path(value).resolve()))
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


CA_FILE = click.option(
    "--ca-file",
    callback=_ca_file,
    help="对方证书的CA证书文件（PEM；自签名或县级自建CA时需要），成功后记入配置",
)


class Day(click.DateTime):
    """A calendar day typed as 2026-11-20, said so in Chinese (click's own type names the
    strptime pattern `%Y-%m-%d`)."""

    name = "日期"

    def __init__(self) -> None:
        super().__init__(["%Y-%m-%d"])

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            self.fail(f"{value!r} 不是日期：应为 年-月-日，如 2026-11-20", param, ctx)


class InFile(click.File):
    """A file to read (`-` for stdin) whose failure to open is said in Chinese: click passes
    on the operating system's own words ("No such file or directory")."""

    def __init__(self) -> None:
        super().__init__("r", encoding="utf-8")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as error:
            cause = error.__context__
            if not isinstance(cause, OSError):
                raise
            from offline.db import os_problem

            self.fail(f"无法打开：{os_problem(cause)}", param, ctx)


# The exit codes, the same for every command (README, "The admin CLI").
EXIT_OK, EXIT_ERROR, EXIT_REFUSED, EXIT_UNREACHABLE, EXIT_BUSY = 0, 1, 2, 3, 4


class ClerkError(click.ClickException):
    """A failure to report to the admin as one Chinese line."""

    def show(self, file: Any = None) -> None:
        click.echo(f"错误：{self.format_message()}", err=True)


class BusyError(ClerkError):
    """Another process holds what this command needs: try again shortly."""

    exit_code = EXIT_BUSY


def fail(message: str) -> NoReturn:
    raise ClerkError(message)


class ChineseHelpFormatter(click.HelpFormatter):
    """click's words come through its gettext translation (`clerk.cli.i18n`); this gives the
    headings a full-width colon, as Chinese text has, and lays out the option list by terminal
    columns: a Chinese character takes two (click counts one, so `--limit 整数` pushed its
    help out of line and long Chinese help ran past the edge)."""

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_text(self, text: str) -> None:
        """Paragraphs wrapped by terminal columns; a paragraph after `\\b` kept as written."""
        indent = " " * self.current_indent
        for n, paragraph in enumerate(text.split("\n\n")):
            if n:
                self.write("\n")
            if paragraph.startswith("\b\n"):
                lines = paragraph.splitlines()[1:]
            else:
                lines = wrap(paragraph, max(self.width - self.current_indent, 11))
            self.write("".join(f"{indent}{line}\n" for line in lines))

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first = min(max((columns(term) for term, _ in rows), default=0), col_max) + col_spacing
        margin = " " * (first + self.current_indent)
        for term, text in rows:
            self.write(f"{'':>{self.current_indent}}{term}")
            if not text:
                self.write("\n")
                continue
            if columns(term) <= first - col_spacing:
                self.write(" " * (first - columns(term)))
            else:
                self.write("\n" + margin)
            lines = wrap(text, max(self.width - first - 2, 10))
            self.write("\n".join([lines[0], *(margin + line for line in lines[1:])]) + "\n")


def columns(text: str) -> int:
    """Terminal columns of `text`: East Asian wide and full-width characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


NO_LINE_START, NO_LINE_END = "，。、；：？！）》」』”’…", "（《「『“‘"


def wrap(text: str, limit: int) -> list[str]:
    """`text` in lines of at most `limit` columns: Chinese may break between any two
    characters (never before a closing mark such as ，or ）, nor after an opening one), a run
    of ASCII (an option name, an address) only at a space."""
    import re

    text = re.sub(r"(?<=[^\x00-\x7f])\s*\n\s*|\s*\n\s*(?=[^\x00-\x7f])", "", text)
    lines: list[str] = []
    line: list[str] = []
    for piece in re.findall(r"[!-~]+|\s+|.", " ".join(text.split())):
        if line and columns("".join(line) + piece) > limit and not piece.isspace():
            kept_together = piece in NO_LINE_START or line[-1] in NO_LINE_END
            carried = line[-1:] if kept_together and len(line) > 1 else []
            lines.append("".join(line[: len(line) - len(carried)]).rstrip())
            line = [*carried, piece] if not piece.isspace() else carried
        else:
            line.append(piece)
    return [*lines, "".join(line).rstrip()]


class ClerkContext(click.Context):
    formatter_class = ChineseHelpFormatter


class ChineseHelp(click.Command):
    context_class = ClerkContext

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        """The usage line's metavars (`[OPTIONS]`, `COMMAND [ARGS]...`) through the same
        catalog as click's other words: click writes them as plain strings, not via gettext."""
        return [i18n.TRANSLATION.gettext(piece) for piece in super().collect_usage_pieces(ctx)]


class ClerkCommand(ChineseHelp):
    """Every leaf command: Chinese help, like its group."""


class ClerkGroup(ChineseHelp, click.Group):
    """A group whose commands and subgroups all speak Chinese and fail in one line."""

    command_class = ClerkCommand

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_class = type(self)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            raise _for_admin(error, ctx) from None

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run with our own error display for usage errors too (click's is English)."""
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[call-overload]
        except click.exceptions.NoArgsIsHelpError as bare:  # `clerk case`: its help
            click.echo(bare.ctx.get_help() if bare.ctx else bare.format_message())
            sys.exit(EXIT_OK)
        except click.UsageError as error:
            hint = f"（运行 {error.ctx.command_path} --help 查看用法）" if error.ctx else ""
            message = " ".join(error.format_message().split())  # click lists choices a line each
            click.echo(f"用法错误：{message}{hint}", err=True)
            sys.exit(EXIT_ERROR)  # a usage error is an error (the one exit code table)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("已取消", err=True)
            sys.exit(1)
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        # without standalone mode click returns `ctx.exit(n)` codes instead of exiting
        sys.exit(code if isinstance(code, int) else 0)


def _for_admin(error: Exception, ctx: click.Context) -> Exception:
    """What a command's failure becomes for the admin (called while handling it)."""
    import pydantic

    from clerk.errors import bug, ground
    from usererror import UserError

    if isinstance(error, UserError):  # a Chinese line already
        return ClerkError(str(error))
    if isinstance(error, pydantic.ValidationError):
        return ClerkError(describe(error))
    if isinstance(error, BrokenPipeError):  # `clerk ... | head`: the reader has gone
        sys.stderr.close()
        return click.exceptions.Exit(0)
    if found := ground(error, home_of(ctx)):
        message, busy = found
        return BusyError(message) if busy else ClerkError(message)
    return ClerkError(bug(error, ctx.command_path))


def describe(error: pydantic.ValidationError) -> str:
    """The first problem of a validation error, in a form an admin can act on (Chinese)."""
    from offline.problems import first_problem

    where, why = first_problem(error.errors())
    return f"数据格式错误（{where}）：{why}" if where else f"数据格式错误：{why}"


def read_pin(from_stdin: bool, what: str = "PIN") -> str:
    """A PIN never comes from the command line (`ps` shows it to everyone): typed twice on a
    terminal without echo, or one line on stdin for scripts."""
    if from_stdin:
        pin = sys.stdin.readline().rstrip("\r\n")
        if not pin:
            fail("标准输入中没有读到PIN")
        return pin
    if not sys.stdin.isatty():
        fail("请在终端输入PIN，或用 --pin-stdin 从标准输入读取（PIN不能写在命令行上）")
    return str(click.prompt(what, hide_input=True, confirmation_prompt=f"再次输入{what}"))


# --- services and the acting admin -----------------------------------------------------------


def actor() -> str:
    """Who runs the CLI, for the audit log: the OS account that owns the data directory (its
    uid where the account has no name: a container, a systemd DynamicUser)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:uid{os.getuid()}"


def home_of(ctx: click.Context) -> Path:
    from clerk.configfile import resolve_home

    return resolve_home(ctx.find_root().params.get("home"))


def services(ctx: click.Context, *, initialised: bool = True) -> Services:
    """The services of this invocation, built once and closed when the command ends."""
    from clerk import config
    from clerk.services import build

    root = ctx.find_root()
    if "services" not in root.meta:
        home = home_of(ctx)
        settings = config.load(home)
        if initialised and not settings.initialised:
            fail(f"数据目录 {home} 尚未初始化，请先运行 clerk init")
        root.meta["services"] = built = build(home, settings)
        root.call_on_close(built.close)
    return root.meta["services"]


def pass_services(func: F) -> F:
    """Give the command the services of an initialised data directory as first argument."""

    @click.pass_context
    def wrapper(ctx: click.Context, /, *args: Any, **kwargs: Any) -> Any:
        return ctx.invoke(func, services(ctx), *args, **kwargs)

    return update_wrapper(wrapper, func)  # type: ignore[return-value]


# --- output --------------------------------------------------------------------------------


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned table that survives pipes and `less`, CJK widths included (Rich's
    `cell_len`, the terminal's count that Textual lays out with; the receipt printer counts
    its own way, `devices.printer.text.width`)."""
    from rich.cells import cell_len  # here, not at start: `clerk --help` prints no table

    cells = [[str(c) for c in headers], *[[("" if c is None else str(c)) for c in r] for r in rows]]
    widths = [max(cell_len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        click.echo(
            "  ".join(
                c + " " * (w - cell_len(c)) for c, w in zip(row, widths, strict=True)
            ).rstrip()
        )
        if n == 0:
            click.echo("  ".join("-" * w for w in widths))
