"""Every command's help, and a bad invocation of every option, read as an admin reads them:
no English words outside option names, placeholders and the codes the command accepts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from clerk import config
from clerk.cli import load_all, main
from clerk.cli.base import columns
from tests.conftest import INIT, cli

# Names that are code, not prose: address schemes and device paths an admin types, file
# formats, the program's own name, the pinyin example of `catalog search`.
TECHNICAL = {"clerk", "https", "http", "tcp", "usb", "serial", "sim", "file", "socket", "dev",
             "ttyS", "ttyUSB", "api", "toml", "ylbx", "wlt", "bmp", "scanimage",
             "case_id", "source_ref"}  # fmt: skip
WORD = re.compile(r"(?<![-\w./:%?'\[])[A-Za-z][A-Za-z_]{2,}")


def commands() -> Iterator[tuple[list[str], click.Command]]:
    load_all()

    def walk(command: click.Command, path: list[str]) -> Iterator[tuple[list[str], click.Command]]:
        yield path, command
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                yield from walk(sub, [*path, name])

    return walk(main, [])


def identifiers() -> set[str]:
    """What may be ASCII in any output: what an admin types (every command's name, the names
    of its options, the values its choices accept, as help texts quote them in examples),
    config sections and keys, and `TECHNICAL`."""
    names = set(TECHNICAL) | set(config.Settings.model_fields)
    names |= {
        key
        for field in config.Settings.model_fields.values()
        for key in getattr(field.annotation, "model_fields", {})
    }
    for path, command in commands():
        names |= {part for name in path for part in name.split("-")}
        for param in command.params:
            names |= {part.strip("-") for opt in param.opts for part in opt.split("-")}
            if isinstance(param.type, click.Choice):
                names |= {str(choice) for choice in param.type.choices}
    return names


ALLOWED = identifiers()


def english(text: str, allowed: set[str]) -> list[str]:
    """ASCII words of `text` that are neither allowed identifiers nor placeholders (upper case)."""
    words = (w for w in WORD.findall(text) if not w.isupper())
    return [w for w in words if w not in allowed and not set(w.split("_")) <= allowed]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("words") / "home"
    cli(home, *INIT)
    return home


def run(home, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--home", str(home), *args])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def test_every_help_is_chinese_and_fits_the_terminal(home):
    seen = 0
    for path, _ in commands():
        code, out = run(home, *path, "--help")
        assert code == 0 and out.startswith("用法："), (path, out)
        assert not english(out, ALLOWED), (path, out)
        usage = out.splitlines()[0]  # click's metavars are placeholders but still English
        assert "[选项]" in usage and not {"OPTIONS", "COMMAND", "ARGS"} & set(WORD.findall(usage))
        for line in out.splitlines():  # a choice list is one long placeholder: it may run on
            assert columns(line) <= 80 or line.lstrip().startswith("--"), (path, line)
        seen += 1
    assert seen > 70


def bad_values(command: click.Command) -> Iterator[list[str]]:
    """Wrong input for each option and argument, by its type: click rejects all of these
    before the command runs, so nothing is changed."""
    yield ["--no-such-option"]
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    if any(argument.required for argument in arguments):
        yield []  # an argument is missing
    elif not arguments:
        yield ["多余的参数"]  # a leaf takes none (a group: no such command)
    for param in command.params:
        kind, name = param.type, param.opts[0]
        if isinstance(kind, click.Choice):
            wrong = "不存在的值"
        elif isinstance(kind, click.types.IntParamType | click.types.FloatParamType):
            wrong = "abc"
        elif isinstance(kind, click.DateTime):
            wrong = "2026/13/45"
        elif isinstance(kind, click.Path | click.File) and getattr(kind, "exists", True):
            wrong = "/nonexistent/file"
        else:
            continue
        yield [name, wrong] if isinstance(param, click.Option) else [wrong]
        if isinstance(kind, click.IntRange | click.FloatRange):
            yield [name, "99999999"] if isinstance(param, click.Option) else ["99999999"]
        if isinstance(param, click.Option) and not param.is_flag:
            yield [name]  # a value is missing


def test_every_bad_invocation_is_one_chinese_line(home):
    tried = 0
    for path, command in commands():
        if not path:
            continue
        for bad in bad_values(command):
            code, out = run(home, *path, *bad)
            assert code == 1 and out.startswith("用法错误："), (path, bad, out)
            assert len(out.strip().splitlines()) == 1, (path, bad, out)
            assert not english(out, ALLOWED | {"nonexistent"}), (path, out)
            tried += 1
    assert tried > 200


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["case", "list", "--from", "2026/11/20"], "不是日期：应为 年-月-日，如 2026-11-20"),
        (["report", "visits", "--to", "20261120"], "不是日期"),
        (["hall", "report", "--date", "昨天"], "不是日期"),
        (["hall", "join", "http://127.0.0.1:9", "--token", "/nonexistent"], "文件或目录不存在"),
        (["hall", "join", "http://127.0.0.1:9", "--token", "/"], "这是目录"),
        (["user", "add"], "缺少选项"),
    ],
)
def test_named_bad_invocations(home, args, said):
    _, out = run(home, *args)
    assert said in out, out
    assert not english(out, ALLOWED | {"nonexistent"}), out


def test_the_usage_line_is_chinese(home):
    assert run(home, "--help")[1].startswith("用法： clerk [选项] 命令 [参数]…\n")


def test_a_group_without_its_command_shows_its_help(home):
    code, out = run(home, "case")
    assert code == 0 and out.startswith("用法： clerk case") and "命令：" in out, out


def test_bad_data_files_are_named_in_chinese(home, tmp_path):
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"version": "1", "items": [{"code": "X"}]}), "utf-8")
    code, out = run(home, "catalog", "import", str(catalog))
    assert code == 1 and out.startswith("错误：数据格式错误（items.0.") and "缺少此项" in out, out
    paper = tmp_path / "paper.jsonl"
    paper.write_text('{"source_ref": "P-1", "accepted_at": "昨天"}\n', "utf-8")
    code, out = run(home, "case", "import", str(paper))
    assert code == 1 and out.startswith("错误：第1行："), out
    assert not english(out, {"source_ref", "item", "applicant", "accepted_at", "clerk_id"}), out
