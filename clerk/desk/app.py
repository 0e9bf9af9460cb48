"""`DeskApp`: the window desk's router. It starts the background work (card reader, queue,
printer, sync), routes what comes back to the screen that wants it, and answers what the
screens post (log in, unlock, leave). Screens reach the window only through the `DeskPort`
they are given (clerk/desk/port.py): never the app's internals, the `Desk` or `Services`."""

from __future__ import annotations

import importlib
import sys
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, TypeGuard

from textual import events
from textual.app import SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import Screen

from clerk.background import BackgroundApp
from clerk.desk.dialogs import TextDialog
from clerk.desk.login import LoginScreen
from clerk.desk.palette import DeskCommands, DeskPalette
from clerk.desk.port import DeskPort
from clerk.messages import (
    CardNotRead,
    CardRead,
    DeviceState,
    DeviceTrouble,
    HallEventArrived,
    HallLinkChanged,
    ReadCard,
    WorkerRestarted,
)
from clerk.owners import (
    CardFailed,
    CardFound,
    DeviceFailed,
    Event,
    NoCard,
    OwnerRestarted,
    StateChanged,
)
from clerk.window import Desk, Session, SyncNews, SyncState, age
from widgets.status_bar import StatusBar

if TYPE_CHECKING:  # the desk screen (intake, hall client, printer) loads after the login
    # screen shows, in `warm_up`: the login screen needs none of it
    from clerk.desk.desk_screen import DeskScreen
    from devices.printer.printer import PrintResult


class DeskApp(BackgroundApp):
    TITLE = "便民服务中心窗口"
    COMMANDS = {DeskCommands}  # Chinese names, found by pinyin initials too
    BINDINGS = [
        Binding("f12", "lock", "锁屏", id="app.lock", priority=True),
        Binding("ctrl+p", "command_palette", "命令", id="app.palette", priority=True, show=False),
        Binding("ctrl+b", "demo_card", "演示：放证件", id="demo.card", show=False),
    ]

    def __init__(
        self, desk: Desk, *, demo: bool = False, background: bool = True, login_hint: str = ""
    ) -> None:
        super().__init__()
        self.desk, self.demo, self.background = desk, demo, background
        self.login_hint = login_hint
        self.locked = False
        self._stop = threading.Event()
        self._last_input = time.monotonic()
        self.sync_label: tuple[str, bool] | None = None
        self.device_states: dict[str, tuple[str, bool]] = {}
        # each device's only user (clerk/owners.py): their news comes here as messages
        desk.devices.listen(self._device_event)
        self.cards = desk.devices.card  # it polls, and F9 asks it
        self.port = DeskPort(desk, self, demo)  # all the screens may ask of the window

    # --- start and stop ----------------------------------------------------------------------

    def on_mount(self) -> None:
        settings = self.desk.services.settings
        self.set_keymap(settings.desk.keys)
        self.push_screen(self._login_screen())
        if self.background:  # after the first frame: the login screen comes first
            self.call_after_refresh(self.start_background)

    def start_background(self) -> None:
        settings = self.desk.services.settings
        self.cards.start()
        self.run_worker(warm_up, thread=True, group="warm", exit_on_error=False)
        # the queue panel follows the hall's events; its client (httpx) loads off this thread
        self.run_step(_hall_modules, done=lambda _: self.follow_hall(self.desk.services.hall))
        self.set_interval(15, self.tick)  # besides the events: the hall going away unnoticed
        self.set_interval(settings.platform.sync_interval, self.sync)
        self.set_interval(10, self.check_printer)
        self.set_interval(15, self.lock_if_idle)
        self.desk.devices.check()  # each device's state comes back as a `DeviceState`
        self.check_printer()  # the printer's, from the start, not after 10 s
        self.sync()

    def on_unmount(self) -> None:
        self._stop.set()
        self.desk.devices.stop(timeout=1.0)

    # --- session -------------------------------------------------------------------------------

    def on_login_screen_submitted(self, message: LoginScreen.Submitted) -> None:
        """工号 and PIN from the login or lock screen: checked in a worker; a failure goes
        back to that screen."""

        def ok(session: Session) -> None:
            self._last_input = time.monotonic()
            if self.locked:
                self.locked = False
                self.pop_screen()
                if session.takeover:
                    self.notify(f"AB岗顶岗：{session.clerk.name}，此后操作记在其工号下")
                self._desk_screen().show_session()  # the intake stays as it was
                return
            from clerk.desk.desk_screen import DeskScreen  # warm_up has loaded it by now

            self.switch_screen(DeskScreen(self.port, self.device_states, self.sync_label))
            if session.takeover:
                self.notify(f"AB岗顶岗：本窗口A岗为 {session.owner_label}，操作记在您的工号下")
            for note in session.notes:
                self.notify(f"{note.line}（Ctrl+Y 可再次查看）", title="交接留言", timeout=30)
            if session.notes:
                self.port.run(Desk.notes_read)

        step = Desk.unlock if self.locked else Desk.login
        login = message.screen
        self.port.run(
            step, message.clerk_id, message.pin, done=ok, failed=login.failed, group="login"
        )

    async def action_quit(self) -> None:
        """Ctrl+Q: a logged-in desk asks, keeps the intake and logs out (audited) first."""
        if self.desk.session is None or not any(_is_desk(s) for s in self.screen_stack):
            self.exit()
            return
        self._desk_screen().leave(exit_after=True)

    def _desk_screen(self) -> DeskScreen:
        return next(s for s in self.screen_stack if _is_desk(s))

    def action_lock(self, reason: str = "key") -> None:
        if self.locked or self.desk.session is None:
            return
        self.locked = True
        self.port.run(Desk.lock, reason)
        self.push_screen(self._login_screen(self.desk.session.clerk.clerk_id))

    def lock_if_idle(self) -> None:
        minutes = self.desk.services.settings.desk.idle_lock_minutes
        if time.monotonic() - self._last_input > minutes * 60:
            self.action_lock("idle")

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown):
            self._last_input = time.monotonic()
        await super().on_event(event)

    def on_desk_screen_leave(self, message: DeskScreen.Leave) -> None:
        """退出登录 or 退出程序 from the desk (its intake already 暂存'd): an AB岗 backup may
        leave a note for the window's own clerk."""
        exit_after = message.exit_after
        session = self.desk.session
        if session is None:
            return

        def leave(note: str | None) -> None:
            if note is None:
                return
            after = (lambda _: self.exit()) if exit_after else (lambda _: self._to_login())
            self.port.run(Desk.logout, note, done=after)

        if session.takeover:
            prompt = f"给本窗口A岗（{session.owner_name}）的交接留言（可不填）"
            self.push_screen(TextDialog("退出顶岗", prompt, required=False), leave)
        else:
            leave("")

    def _to_login(self) -> None:
        self.switch_screen(self._login_screen())

    def _login_screen(self, locked_by: str | None = None) -> LoginScreen:
        title = "已锁屏" if locked_by else "窗口登录"
        where = self.port.window.where
        return LoginScreen(title, where, hint=self.login_hint, locked_by=locked_by)

    # --- devices -------------------------------------------------------------------------------

    def _device_event(self, event: Event) -> None:
        """A device owner's report (its thread): posted up as a message."""
        if isinstance(event, CardFound):
            self.post_report(CardRead(event.card, event.asked))
        elif isinstance(event, NoCard):
            self.post_report(CardNotRead("读卡器上没有证件，请放好证件", warning=True))
        elif isinstance(event, CardFailed):
            self.post_report(CardNotRead(event.message, warning=False))
        elif isinstance(event, StateChanged):
            self.post_report(DeviceState(event.device, event.state, event.ok))
        elif isinstance(event, OwnerRestarted):
            self.post_report(WorkerRestarted(event.message))
        elif isinstance(event, DeviceFailed):
            self.post_report(DeviceTrouble(event.device, event.message))

    def on_read_card(self, message: ReadCard) -> None:
        """F9: ask the owner; a read already waiting answers this press too."""
        self.cards.request_read()

    def on_card_read(self, message: CardRead) -> None:
        if self.locked or self.desk.session is None:
            return
        card_read = getattr(self.screen, "card_read", None)  # the desk or 出件's dialog
        if card_read is not None:
            card_read(message.card)

    def on_card_not_read(self, message: CardNotRead) -> None:
        if not self.locked and self.desk.session is not None:
            self.notify(message.text, severity="warning" if message.warning else "error")

    def on_device_trouble(self, message: DeviceTrouble) -> None:
        self.notify(message.text, severity="warning", timeout=10)

    def on_device_state(self, message: DeviceState) -> None:
        self.device_states[message.device] = (message.state, message.ok)
        for bar in self._bars():
            bar.set_device(message.device, message.state, message.ok)

    def _bars(self) -> Iterable[StatusBar]:
        for screen in self.screen_stack:
            if _is_desk(screen):
                yield from screen.query(StatusBar)

    def check_printer(self) -> None:
        def checked(result: PrintResult) -> None:
            if result.printed:
                self.notify(f"打印机恢复，已补打 {result.printed} 份")
            self.port.printed(result, quiet=True)

        self.port.run(Desk.flush_printer, done=checked, group="printer")

    def action_demo_card(self) -> None:
        """`clerk demo` only: put the next sample card on the simulated reader."""

        def placed(name: str | None) -> None:
            if name:
                self.notify(f"演示：已放上证件（{name}）")

        if self.demo:
            self.port.run(Desk.demo_card, done=placed, group="demo")

    # --- queue and sync ------------------------------------------------------------------------

    def on_hall_event_arrived(self, message: HallEventArrived) -> None:
        """A ticket issued at the kiosk or called at another window shows here at once."""
        self.tick()

    def on_hall_link_changed(self, message: HallLinkChanged) -> None:
        self.tick()

    def tick(self) -> None:
        if self._stop.is_set() or not self.screen_stack:  # closing
            return
        if self.desk.session and _is_desk(self.screen):
            self.screen.refresh_queue()

    def sync(self) -> None:
        def synced(news: SyncNews) -> None:
            self.show_sync(news.state)
            for line in news.set_aside[:5]:
                self.notify(f"{line}。请联系管理员处理", severity="error")
            if len(news.set_aside) > 5:
                self.notify(f"另有 {len(news.set_aside) - 5} 件办件的操作被隔离", severity="error")
            if news.flagged:
                self.notify(
                    f"有 {news.flagged} 件办件平台已变更、本窗口尚有未上报操作，请在办件中核对",
                    severity="warning",
                )
            if news.followups:
                self.notify(f"平台对 {news.followups} 条差评作了回访整改，详见办件的办理过程")

        self.port.run(Desk.sync_once, done=synced, group="sync")

    def show_sync(self, state: SyncState) -> None:
        label = "离线" if not state.online else "在线"
        if state.online is None:
            label = "同步：未连接平台"
        label += f" 待上报{state.pending}"
        if state.last_success:
            label += f" 上次{age(datetime.fromisoformat(state.last_success))}"
        self.sync_label = (label, bool(state.online) and not state.quarantined)
        for bar in self._bars():
            bar.sync = self.sync_label

    # --- the command palette -------------------------------------------------------------------

    def action_command_palette(self) -> None:
        if not CommandPalette.is_open(self):  # type: ignore[arg-type]  # App is invariant
            self.push_screen(
                DeskPalette(placeholder="搜索命令（汉字或拼音首字母）…", id="--command-palette")
            )

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        if _is_desk(screen):
            for binding in screen.BINDINGS:
                assert isinstance(binding, Binding)
                key = binding.key.upper()
                yield SystemCommand(
                    f"{binding.description}（{key}）",
                    f"按 {key}",
                    lambda action=binding.action: self.run_action(action, screen),
                )
            yield SystemCommand("锁屏（F12）", "按 F12", self.action_lock)
        yield SystemCommand("退出程序（Ctrl+Q）", "退出登录并关闭窗口程序", self.action_quit)


def _is_desk(screen: object) -> TypeGuard[DeskScreen]:
    """Whether `screen` is the desk screen. None can be before its class exists: `warm_up`
    may be importing its module on another thread at this very moment."""
    desk = getattr(sys.modules.get("clerk.desk.desk_screen"), "DeskScreen", None)
    return desk is not None and isinstance(screen, desk)


def _hall_modules() -> None:
    """The hall follower and its HTTP client, loaded in a worker: imported on the UI thread
    they held the login screen's first keys for tens of milliseconds."""
    import clerk.hall.follower  # noqa: F401


def warm_up() -> None:
    """Load what the desk screen, the first receipt, form check and scan need while the
    clerk logs in (escpos reads its printer database from a cache: no YAML parse here)."""
    importlib.import_module("clerk.desk.desk_screen")  # first: the screen after login
    import img2pdf  # noqa: F401
    import jsonschema  # noqa: F401

    import devices.printer.transport  # noqa: F401
    from devices.printer.document import QR, Document
    from devices.printer.render import Paper, to_escpos

    to_escpos(Document("warm", (QR("0"),)), Paper())
