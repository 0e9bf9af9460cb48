"""The command palette in Chinese: every command of the screen, found by its words or by the
pinyin initials of its name (`hj` finds 呼叫), and 没有匹配的命令 when nothing matches."""

from __future__ import annotations

import re
from typing import Any

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.widgets.option_list import Option

from offline.catalog import pinyin_keys

KEY_HINT = re.compile(r"（[^）]*）$")  # the key in 呼叫（F1）: not part of the name


class DeskCommands(Provider):
    """The screen's commands (the app's `get_system_commands`), matched in Chinese or pinyin."""

    async def startup(self) -> None:
        self.commands = list(self.app.get_system_commands(self.screen))
        self.keys = [
            pinyin_keys(KEY_HINT.sub("", command.title)) for command in self.commands
        ]  # pypinyin loads here, when the palette first opens, off the desk's start-up

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        typed = query.strip().lower()
        for command, (initials, full) in zip(self.commands, self.keys, strict=True):
            score = matcher.match(command.title)
            if typed and initials.startswith(typed):
                score = max(score, 1.0)
            elif typed and (typed in initials or full.startswith(typed)):
                score = max(score, 0.8)
            if score > 0:
                title: Any = matcher.highlight(command.title)
                yield Hit(score, title, command.callback, help=command.help)

    async def discover(self) -> Hits:
        for command in self.commands:
            yield DiscoveryHit(command.title, command.callback, help=command.help)


class DeskPalette(CommandPalette):
    """Textual's palette with its one English line in Chinese."""

    def _start_no_matches_countdown(self, search_value: str) -> None:
        self._stop_no_matches_countdown()

        def show() -> None:
            if not search_value:
                self._list_visible = False
                return
            note = Align.center(Text("没有匹配的命令（可输入拼音首字母，如 hj）"))
            self.query_one(CommandList).add_option(Option(note, disabled=True, id=self._NO_MATCHES))
            self._list_visible = True

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show)
