"""Textual's own key descriptions in Chinese.

Textual's widgets bring bindings with English descriptions that its footer shows (an open
`Select` adds `esc Dismiss menu`). `install()` rewrites them, by the English text, in the
`BINDINGS` of Textual's classes and merges every class's bindings again, so each footer,
ours and Textual's, shows the Chinese word; a class defined later merges the Chinese ones.
A test walks every Textual class and fails when one shows a description this catalog lacks.
"""

from __future__ import annotations

import dataclasses

from textual.binding import Binding
from textual.dom import DOMNode

# Textual's descriptions (English, as in its source) and their Chinese.
WORDS = {
    "Dismiss menu": "收起列表",
    "Exit the command palette": "关闭命令面板",
    "Open link": "打开链接",
    "Quit": "退出",
}

# Textual's modules whose classes bring shown bindings (loaded here: Textual loads widgets lazily).
MODULES = ("textual.widgets._select", "textual.widgets._link", "textual.command")


def install() -> None:
    """Translate Textual's binding descriptions; call before any screen is shown."""
    import importlib

    for name in MODULES:
        importlib.import_module(name)
    changed = [cls for cls in _classes() if _translate(cls)]
    for cls in {sub for base in changed for sub in _classes(base)}:
        cls._merged_bindings = cls._merge_bindings()


def _classes(root: type[DOMNode] = DOMNode) -> list[type[DOMNode]]:
    """`root` and every subclass of it defined so far."""
    found = [root]
    for sub in root.__subclasses__():
        found += _classes(sub)
    return found


def _translate(cls: type[DOMNode]) -> bool:
    """Rewrite `cls`'s own Textual bindings in place; whether any changed."""
    if not cls.__module__.startswith("textual."):
        return False
    bindings = cls.__dict__.get("BINDINGS", [])
    changed = False
    for n, binding in enumerate(bindings):
        if isinstance(binding, tuple):
            binding = Binding(*binding)
        chinese = WORDS.get(binding.description)
        if chinese:
            bindings[n] = dataclasses.replace(binding, description=chinese)
            changed = True
    return changed
