"""Login and the lock screen: 工号 + PIN. Unlocking takes the clerk's own PIN, or a backup
clerk's, who then takes the window over (AB岗). The screen posts what was typed; the app
checks it in a worker and calls `failed` here when it is wrong."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, Label

from clerk.errors import explain


class LoginScreen(Screen[None]):
    class Submitted(Message):
        """The clerk asks to log in or unlock with this 工号 and PIN."""

        def __init__(self, screen: LoginScreen, clerk_id: str, pin: str) -> None:
            super().__init__()
            self.screen, self.clerk_id, self.pin = screen, clerk_id, pin

    DEFAULT_CSS = """
    LoginScreen { align: center middle; }
    LoginScreen Vertical { width: 60; height: auto; border: thick $primary; padding: 1 2; }
    LoginScreen .title { text-style: bold; width: 100%; content-align: center middle; }
    LoginScreen .sub { width: 100%; content-align: center middle; color: $text-muted; }
    LoginScreen #error { color: $error; height: auto; }
    LoginScreen .hint { color: $warning; margin-top: 1; width: 100%; }
    LoginScreen Button { width: 100%; margin-top: 1; }
    """

    def __init__(
        self, title: str, subtitle: str, *, hint: str = "", locked_by: str | None = None
    ) -> None:
        super().__init__()
        self.title_text, self.subtitle, self.locked_by = title, subtitle, locked_by
        self.hint = hint
        self.checking = False  # a PIN is being checked: Enter again does not log in twice

    def compose(self) -> ComposeResult:
        with Center(), Vertical():
            yield Label(self.title_text, classes="title")
            yield Label(self.subtitle, classes="sub")
            if self.locked_by:
                yield Label(
                    f"已锁屏（{self.locked_by}）。本人或AB岗人员输入工号和PIN解锁", classes="sub"
                )
            yield Label("工号")
            yield Input(id="clerk-id", value=self.locked_by or "")
            yield Label("PIN")
            yield Input(id="pin", password=True, type="integer")
            yield Label("", id="error")
            yield Button("解锁" if self.locked_by else "登录", id="login", variant="primary")
            if self.hint:
                yield Label(self.hint, classes="hint")

    def on_mount(self) -> None:
        self.query_one("#pin" if self.locked_by else "#clerk-id", Input).focus()

    @on(Input.Submitted, "#clerk-id")
    def next_field(self) -> None:
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    @on(Button.Pressed, "#login")
    def submit(self) -> None:
        clerk_id = self.query_one("#clerk-id", Input).value.strip()
        pin = self.query_one("#pin", Input).value
        if self.checking:
            return
        if not clerk_id or not pin:
            self.query_one("#error", Label).update("请输入工号和PIN")
            return
        self.checking = True
        self.post_message(self.Submitted(self, clerk_id, pin))

    def failed(self, error: BaseException) -> None:
        self.checking = False
        self.query_one("#pin", Input).value = ""
        self.query_one("#error", Label).update(explain(error))
        self.query_one("#pin", Input).focus()
