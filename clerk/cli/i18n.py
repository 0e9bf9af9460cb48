"""click's own words in Chinese, through gettext.

click marks every message it prints for translation (`gettext` as `_`, and `ngettext`): usage,
help headings, `[default: …]`, and every usage error ("No such option", "… is not one of …",
"does not match the format", "is not in the range", "File … does not exist"). `install()`
gives click's modules a translation whose catalog is below, so every message comes out in
Chinese by gettext's own mechanism instead of by matching English output afterwards. A test
walks click's source and fails when click marks a message that the catalog lacks.
"""

from __future__ import annotations

import gettext
import importlib.machinery
import sys
from types import ModuleType
from typing import Any

import click.types

CLICK_MODULES = (
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.shell_completion",
    "click.termui",
    "click.types",
    "click.utils",
    "click._termui_impl",
)

# click's message ids (English, as in its source) and their Chinese.
CATALOG: dict[str, str] = {
    # help
    "Usage:": "用法：",
    # the usage line's metavars: click writes them without gettext, `ChineseHelp` looks them up
    "[OPTIONS]": "[选项]",
    "COMMAND [ARGS]...": "命令 [参数]…",
    "[COMMAND] [ARGS]...": "[命令] [参数]…",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Show this message and exit.": "显示此帮助并退出",
    "Show the version and exit.": "显示版本并退出",
    "%(prog)s, version %(version)s": "%(prog)s，版本 %(version)s",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "required": "必填",
    "(dynamic)": "（动态）",
    "deprecated": "已弃用",
    "Confirm the action without prompting.": "不提示，直接确认",
    "Do you want to continue?": "是否继续？",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "Choice({choices})": "选项（{choices}）",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    # usage errors
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行 '{command} {option}' 查看用法。",
    "Missing command.": "缺少命令。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "No such option {name!r}.": "没有此选项：{name}。",
    "No such command {name!r}.": "没有此命令：{name}。",
    "Did you mean {possibility}?": "是不是 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是不是以下之一：{possibilities}？）",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的取值无效：{message}",
    "Invalid value: {message}": "取值无效：{message}",
    "Got unexpected extra argument ({args})": "多余的参数：{args}",
    "Got unexpected extra arguments ({args})": "多余的参数：{args}",
    "Option {name!r} requires an argument.": "选项 {name} 需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name} 需要 {nargs} 个值。",
    "Option {name!r} does not take a value.": "选项 {name} 不带值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name} 需要 {nargs} 个值。",
    "Invalid start character for option ({option})": "选项的开头字符无效（{option}）",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值，只给了 1 个。",
    "Takes {nargs} values but {len} were given.": "需要 {nargs} 个值，给了 {len} 个。",
    "Value must be an iterable.": "取值必须是一组值。",
    "unknown error": "未知错误",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    # values
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不在可选范围内：{choices}。",
    "{value!r} does not match the format {format}.": "{value!r} 不符合格式 {format}。",
    "{value!r} does not match the formats {formats}.": "{value!r} 不符合以下任一格式：{formats}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} 不是有效的是/否值，可用：{states}"
    ),
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的UUID。",
    "{len_type} values are required, but {len_value} was given.": (
        "需要 {len_type} 个值，只给了 {len_value} 个。"
    ),
    "{len_type} values are required, but {len_value} were given.": (
        "需要 {len_type} 个值，给了 {len_value} 个。"
    ),
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件，不是目录。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是目录，不是文件。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不可执行。",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    # prompts
    "Aborted!": "已取消",
    "Repeat for confirmation": "再输入一次确认",
    "Error: The two entered values do not match.": "错误：两次输入不一致。",
    "Error: invalid input": "错误：输入无效",
    "Press any key to continue...": "按任意键继续……",
    # messages for developers or other platforms, kept readable in Chinese too
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}": (
        "提示：命令 {name!r} 已弃用。{extra_message}"
    ),
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}": (
        "提示：{param_type} {name!r} 已弃用。{extra_message}"
    ),
    "Could not determine name for option with declarations {decls!r}": (
        "无法确定选项名称：{decls!r}"
    ),
    "No options defined but a name was passed ({name}). Did you mean to declare an argument"
    " instead? Did you mean to pass '--{name}'?": "没有定义选项却给了名称（{name}）",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.": (
        "参数只能有一个声明，给了 {length} 个：{decls}。"
    ),
    "Name '{name}' defined twice": "名称 '{name}' 定义了两次",
    "Boolean option {decl!r} cannot use the same flag for true/false.": (
        "是/否选项 {decl!r} 不能用同一个开关表示是和否。"
    ),
    "Unknown color {colour!r}": "未知颜色 {colour!r}",
    "Unknown standard stream '{name}'": "未知的标准流 '{name}'",
    "{editor}: Editing failed": "{editor}：编辑失败",
    "{editor}: Editing failed: {e}": "{editor}：编辑失败：{e}",
    "Couldn't detect Bash version, shell completion is not supported.": (
        "无法识别 Bash 版本，不支持命令补全。"
    ),
    "Shell completion is not supported for Bash versions older than 4.4.": (
        "Bash 4.4 以下版本不支持命令补全。"
    ),
}

# click's parameter type names, shown in "'x' is not a valid integer." and as metavars.
TYPE_NAMES = {
    "IntParamType": "整数",
    "FloatParamType": "数字",
    "IntRange": "整数",
    "FloatRange": "数字",
}


class ClickChinese(gettext.NullTranslations):
    """A gettext translation from a Python catalog (no .mo file to build or ship)."""

    def gettext(self, message: str) -> str:
        return CATALOG.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.gettext(msgid1 if n == 1 else msgid2)


TRANSLATION = ClickChinese()


def install() -> None:
    """Give click's modules the Chinese translation in place of the process-wide gettext:
    those loaded now at once, the others (the pager's, editor's and progress bar's, shell
    completion's) as they load, since importing them up front costs a third of click's own
    start-up and most commands never use them."""
    for name in CLICK_MODULES:
        if name in sys.modules:
            _translate(sys.modules[name])
    if any(name not in sys.modules for name in CLICK_MODULES):
        sys.meta_path.insert(0, _TranslateOnImport())
    for type_name, chinese in TYPE_NAMES.items():
        getattr(click.types, type_name).name = chinese


def _translate(module: ModuleType) -> None:
    if hasattr(module, "_"):
        module._ = TRANSLATION.gettext  # type: ignore[attr-defined]
    if hasattr(module, "ngettext"):
        module.ngettext = TRANSLATION.ngettext  # type: ignore[attr-defined]


class _TranslateOnImport:
    """An import hook for click's modules not loaded yet: found as usual, translated as
    soon as they have run."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name not in CLICK_MODULES or name in sys.modules:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            _translate(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec
