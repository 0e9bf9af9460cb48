"""The desk's small windows: a reason, a choice, a result with its paper, the rating."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from offline.models import EVALUATION_LEVEL_NAMES, WINDOW_KIND_NAMES, Draft, Refusal

DIALOG_CSS = """
Dialog { align: center middle; }
Dialog > Vertical { width: 70; max-width: 95%; height: auto; max-height: 100%;
    border: thick $primary; background: $surface; padding: 0 2; }
Dialog Label { width: 100%; }  /* the box's width, so a long line wraps (auto: cut off) */
Dialog .title { text-style: bold; content-align: center middle; }
Dialog .buttons { height: auto; margin-top: 1; align: center middle; }
Dialog .buttons Button { margin: 0 1; }
Dialog .error { color: $error; width: auto; max-width: 100%; }  /* no red bar when empty */
Dialog .preview { height: auto; max-height: 40vh; border: round $secondary; }
"""


class Dialog(ModalScreen[Any]):
    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [Binding("escape", "cancel", "取消", id="dialog.cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def cancel_pressed(self) -> None:
        self.action_cancel()

    def buttons(self, *pairs: tuple[str, str, str]) -> Horizontal:
        return Horizontal(
            *(Button(label, id=bid, variant=variant) for label, bid, variant in pairs),  # type: ignore[arg-type]
            classes="buttons",
        )


class TextDialog(Dialog):
    """One line of text: a pause reason, a handover note."""

    def __init__(
        self, title: str, prompt: str, *, required: bool = True, max_length: int = 0
    ) -> None:
        """`max_length`: the most characters that can be typed (0: no limit)."""
        super().__init__()
        self.title_text, self.prompt, self.required = title, prompt, required
        self.max_length = max_length

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            yield Label(self.prompt)
            yield Input(id="text", max_length=self.max_length)
            yield Label("", classes="error")
            yield self.buttons(("确定", "ok", "primary"), ("取消", "cancel", "default"))

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def ok(self) -> None:
        text = self.query_one("#text", Input).value.strip()
        if self.required and not text:
            self.query_one(".error", Label).update("请填写")
            self.query_one("#text", Input).focus()
            return
        self.dismiss(text)


class RefuseDialog(Dialog):
    """不予受理: the reason, and where the citizen should go instead."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("不予受理", classes="title")
            yield Label("不予受理理由")
            yield Input(id="reason")
            yield Label("建议前往（部门或窗口）")
            yield Input(id="refer")
            yield Label("", classes="error")
            yield self.buttons(("确定不予受理", "ok", "error"), ("取消", "cancel", "default"))

    @on(Button.Pressed, "#ok")
    def ok(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.query_one(".error", Label).update("请填写不予受理理由")
            self.query_one("#reason", Input).focus()
            return
        refer = self.query_one("#refer", Input).value.strip() or None
        self.dismiss(Refusal(reason=reason, refer_to=refer))


class TransferDialog(Dialog):
    """转移: to another kind of business, another window, or both; the number stays. Only the
    kinds and windows the hall has are offered."""

    def __init__(self, kinds: list[str], windows: list[int]) -> None:
        super().__init__()
        self.kinds, self.windows = kinds, windows

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("转移当前号（号码不变）", classes="title")
            yield Label("转往业务类型")
            kinds = [(WINDOW_KIND_NAMES.get(k, k), k) for k in self.kinds]
            yield Select(kinds, prompt="（不变）", id="kind")
            yield Label("转往窗口")
            windows = [(f"{n}号窗口", n) for n in self.windows]
            yield Select(windows, prompt="（任一窗口）", id="window", disabled=not windows)
            yield Label("", classes="error")
            yield self.buttons(("转移", "ok", "primary"), ("取消", "cancel", "default"))

    @on(Button.Pressed, "#ok")
    def ok(self) -> None:
        kind = self.query_one("#kind", Select).value
        window = self.query_one("#window", Select).value
        chosen = None if kind is Select.NULL else str(kind)
        to_window = None if window is Select.NULL else int(str(window))
        if not chosen and to_window is None:
            self.query_one(".error", Label).update("请选择业务类型或窗口")
            self.query_one("#kind", Select).focus()
            return
        self.dismiss((chosen, to_window))


class ChoiceDialog(Dialog):
    """Pick one of a few values (回呼 a parked number; 暂存 the intake or stay)."""

    def __init__(
        self,
        title: str,
        options: list[tuple[str, str]],
        text: str = "",
        cancel: str = "取消",
        *,
        confirm: bool = False,
    ) -> None:
        super().__init__()
        self.title_text, self.options, self.text = title, options, text
        self.cancel_label, self.confirm = cancel, confirm

    def on_mount(self) -> None:
        """A confirmation starts on the safe answer: Enter pressed out of habit changes nothing."""
        if self.confirm:
            self.query_one("#cancel", Button).focus()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            if self.text:
                yield Label(self.text)
            with Horizontal(classes="buttons"):
                for label, value in self.options:
                    yield Button(label, name=value)
                yield Button(self.cancel_label, id="cancel")

    @on(Button.Pressed)
    def chosen(self, event: Button.Pressed) -> None:
        if event.button.id != "cancel":  # the base class handles 取消
            self.dismiss(event.button.name)


class DraftsDialog(Dialog):
    """The window's intakes in progress: pick one to carry on, or later (palette: 暂存的录入)."""

    def __init__(self, drafts: list[Draft]) -> None:
        super().__init__()
        self.drafts = drafts

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"暂存的录入（{len(self.drafts)}）", classes="title")
            yield Label("未办完的录入已保存，选择一条继续办理：")
            yield OptionList(*(Option(d.summary, id=d.draft_id) for d in self.drafts), id="drafts")
            yield self.buttons(("继续办理", "ok", "primary"), ("稍后", "cancel", "default"))

    def on_mount(self) -> None:
        listing = self.query_one(OptionList)
        listing.highlighted = 0
        listing.focus()

    @on(OptionList.OptionSelected)
    @on(Button.Pressed, "#ok")
    def ok(self) -> None:
        listing = self.query_one(OptionList)
        if listing.highlighted is not None:
            self.dismiss(self.drafts[listing.highlighted])


class ResultDialog(Dialog):
    """What happened, with the paper as it was printed (or waits to be)."""

    BINDINGS = [Binding("escape,enter", "cancel", "关闭", id="result.close")]

    def __init__(self, title: str, lines: list[str], preview: str = "") -> None:
        super().__init__()
        self.title_text, self.lines, self.preview = title, lines, preview

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            for line in self.lines:
                yield Label(line)
            if self.preview:
                with VerticalScroll(classes="preview"):
                    yield Static(self.preview)
            yield self.buttons(("关闭", "close", "primary"))

    @on(Button.Pressed, "#close")
    def close(self) -> None:
        self.dismiss(None)


class EvaluationDialog(Dialog):
    """好差评: the citizen presses the evaluator; the clerk can only record that they left.

    `demo_press` exists in `clerk demo` only: it stands for the citizen's finger on the
    simulated keypad (digits 1-5), going through the keypad's own serial bytes.
    """

    BINDINGS = [
        Binding(str(n), f"press({n})", show=False, id=f"demo.press{n}") for n in range(1, 6)
    ]

    def __init__(self, ask: Any, local_no: str, demo_press: Any = None) -> None:
        super().__init__()
        self.ask, self.local_no, self.demo_press = ask, local_no, demo_press
        self._done = False  # rated or left: the evaluator stops waiting

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("请群众在评价器上评价", classes="title")
            yield Label(f"办件 {self.local_no}")
            yield Label("非常满意 · 满意 · 基本满意 · 不满意 · 非常不满意")
            if self.demo_press:
                yield Label("演示：按数字键 1-5 模拟群众在评价器上按键", classes="error")
            yield Label("", id="status")
            yield self.buttons(("群众未评价，已离开", "none", "warning"))

    def on_mount(self) -> None:
        self.wait_for_rating()

    @work(thread=True, exclusive=True, group="rating", exit_on_error=False)
    def wait_for_rating(self) -> None:
        try:
            level = self.ask(lambda: not self.is_attached or self._done)
        except Exception as error:  # a keypad that fails must not lose the case's rating
            self.app.call_from_thread(
                self.query_one("#status", Label).update, f"评价器故障：{error}"
            )
            return
        if level:
            self.app.call_from_thread(self._rated, level)

    def _rated(self, level: str) -> None:
        self._done = True
        self.query_one("#status", Label).update(f"群众评价：{EVALUATION_LEVEL_NAMES[level]}")
        self.set_timer(0.8, lambda: self._close(level))

    def _close(self, level: str) -> None:
        """Not `dismiss` itself: a timer awaits what its callback returns, and a screen must
        not await its own dismissal."""
        self.dismiss(level)

    def action_press(self, n: int) -> None:
        if self.demo_press:
            self.demo_press(n)

    @on(Button.Pressed, "#none")
    def left(self) -> None:
        self._done = True
        self.dismiss("")

    def action_cancel(self) -> None:
        """Esc closes without recording anything: a stray key must not write 群众未评价 for
        good; the citizen may still rate with F3, and only the button records that they left."""
        self._done = True
        self.dismiss(None)
