"""`clerk hall kiosk`: the ticket kiosk. Big targets for touch or the number keys; an ID
card on the reader is optional (then one open ticket per person per kind); the ticket prints
at once with its number, kind, 前面还有 N 人, time and 过号请重新取号.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Digits, Static

from clerk import receipts
from clerk.background import BackgroundApp
from clerk.errors import bug, explain
from clerk.hall.client import HallOffline, Issued
from clerk.messages import CardRead
from clerk.owners import CardFound, Devices, Event
from devices.idcard.card import IdCard
from offline.models import WINDOW_KIND_NAMES
from offline.privacy import mask_id, mask_name
from usererror import UserError

if TYPE_CHECKING:
    from clerk.services import Services

CARD_KEPT = 60.0  # seconds a card read stays with the next ticket
MESSAGE_KEPT = 8.0  # seconds a message stays for the next citizen to not see it
CARD_HINT = "可将身份证放在读卡器上再取号（选填）；同一业务每人限取一个号"
SHOWN = 10.0  # seconds the ticket stays on screen
OFFLINE = "叫号服务暂时连接不上，请稍候或咨询工作人员"


class TicketScreen(ModalScreen[None]):
    """The ticket just taken, large, until the citizen touches the screen or time is up."""

    DEFAULT_CSS = """
    TicketScreen { align: center middle; }
    TicketScreen > Vertical { width: 60; height: auto; border: thick $success; padding: 1 2;
        background: $surface; }
    TicketScreen Static { width: 100%; content-align: center middle; }
    TicketScreen Digits { width: 100%; text-align: center; margin: 1 0; }
    TicketScreen .big { text-style: bold; }
    TicketScreen .warn { color: $error; text-style: bold; }
    """
    BINDINGS = [Binding("escape,enter,space", "close", "返回", id="kiosk.ticket.close")]

    def __init__(self, issued: Issued, printed: str, ok: bool) -> None:
        super().__init__()
        self.issued, self.printed, self.ok = issued, printed, ok

    def compose(self) -> ComposeResult:
        ticket = self.issued.ticket
        with Vertical():
            yield Static("您的号码", classes="big")
            yield Digits(ticket.number)
            yield Static(WINDOW_KIND_NAMES.get(ticket.kind, ticket.kind) + "业务", classes="big")
            yield Static(f"前面还有 {self.issued.ahead} 人")
            yield Static(f"{ticket.issued_at:%Y-%m-%d %H:%M}  过号请重新取号")
            yield Static(self.printed, classes="" if self.ok else "warn")

    def on_mount(self) -> None:
        self.set_timer(SHOWN, self.action_close)

    def on_click(self) -> None:
        self.action_close()

    def action_close(self) -> None:
        if self.is_current:
            self.dismiss(None)


class KioskApp(BackgroundApp):
    TITLE = "自助取号"
    CSS = """
    #title { height: 3; padding: 1 2; background: $primary; color: $text; text-style: bold;
        content-align: center middle; }
    #hint { height: auto; padding: 1 2 0 2; content-align: center middle; width: 100%; }
    #kinds { grid-size: 2; grid-gutter: 1 2; padding: 1 4; height: 1fr; }
    #kinds Button { width: 100%; height: 100%; min-height: 3; text-style: bold; }
    #green { width: 100%; margin: 0 4; }
    #green.on { background: $success; }
    #card { height: auto; padding: 0 2; color: $accent; content-align: center middle; width: 100%; }
    #message { height: auto; padding: 0 2; color: $error; text-style: bold; width: 100%;
        content-align: center middle; }
    """
    BINDINGS = [
        *(
            Binding(str(n), f"take_index({n})", show=False, id=f"kiosk.kind{n}")
            for n in range(1, 7)
        ),
        Binding("0,g", "toggle_green", "绿色通道", id="kiosk.green"),
        Binding("ctrl+b", "demo_card", "演示：放证件", id="demo.card", show=False),
    ]

    def __init__(self, services: Services, *, live: bool = True) -> None:
        super().__init__()
        self.services, self.live = services, live
        self.kinds: list[str] = []
        self.green = False
        self.taking = False  # a ticket is being issued: a second press takes no second one
        self.card: IdCard | None = None
        self._card_timer: Timer | None = None
        self._message_timer: Timer | None = None
        # the devices' one owner each, as at the desk (the reader is optional here)
        self.devices = Devices(services)
        self.devices.listen(self._device_event)

    def compose(self) -> ComposeResult:
        yield Static(f"{self.services.settings.centre.name}  自助取号", id="title")
        yield Static("请选择要办理的业务（触摸或按数字键）", id="hint")
        yield Grid(id="kinds")
        yield Button("绿色通道（老年人、残疾人、孕妇、军人等）  按 0", id="green")
        yield Static(CARD_HINT, id="card")
        yield Static("", id="message")

    def on_mount(self) -> None:
        self.load_kinds()
        if self.live:
            self.devices.card.start()

    def on_unmount(self) -> None:
        self.devices.stop(timeout=1.0)

    # --- the kinds on offer -------------------------------------------------------------------

    def load_kinds(self) -> None:
        """The kinds the hall's windows serve; asked again shortly while the hall is away."""
        self.run_step(self._kinds, done=self.show_kinds, failed=self._no_kinds, group="kinds")

    def _kinds(self) -> list[str]:
        return self.services.hall().kinds()  # its first use opens the hall, off the UI thread

    def _no_kinds(self, error: BaseException) -> None:
        self.tell(error)
        self.set_timer(5, self.load_kinds)

    async def show_kinds(self, kinds: list[str]) -> None:
        self.kinds = kinds
        grid = self.query_one("#kinds", Grid)
        await grid.remove_children()
        await grid.mount_all(
            Button(f"{n}  {WINDOW_KIND_NAMES.get(kind, kind)}", id=f"kind-{kind}")
            for n, kind in enumerate(kinds, 1)
        )
        self.say("")

    def action_take_index(self, n: int) -> None:
        """The number keys: a kiosk keypad, or a clerk testing it."""
        if n <= len(self.kinds) and not isinstance(self.screen, TicketScreen):
            self.take(self.kinds[n - 1])

    @on(Button.Pressed, "#kinds Button")
    def kind_pressed(self, event: Button.Pressed) -> None:
        self.take(str(event.button.id).removeprefix("kind-"))

    @on(Button.Pressed, "#green")
    def action_toggle_green(self) -> None:
        self.green = not self.green
        self.query_one("#green", Button).set_class(self.green, "on")
        self.say("已选择绿色通道，请选择业务" if self.green else "")

    # --- a ticket -----------------------------------------------------------------------------

    def take(self, kind: str) -> None:
        if self.taking:  # a double touch while the first ticket is issued
            return
        self.taking = True
        self.say("正在取号……")
        self.run_step(
            self._issue, kind, self.green, self.card, done=self.show_ticket, failed=self._not_taken
        )

    def _issue(self, kind: str, green: bool, card: IdCard | None) -> tuple[Issued, str, bool]:
        """Issue and print (a worker): the ticket counts even when the printer fails."""
        issued = self.services.hall().issue(kind, green, card.id_number if card else None)
        return (issued, *self._print_ticket(issued))

    def _not_taken(self, error: BaseException) -> None:
        self.taking = False
        self.tell(error)

    def _print_ticket(self, issued: Issued) -> tuple[str, bool]:
        """The line under the ticket: a paper or printer that fails never loses the number
        shown (it was issued already)."""
        try:
            centre = receipts.centre_of(self.services.home, self.services.settings, 0)
            doc = receipts.queue_ticket(issued.ticket, centre, issued.ahead)
            result = self.devices.printer.call(lambda printer: printer.print_now(doc))
        except UserError as error:  # the printer's or the paper's own words
            return f"号票未能打印（{error}），请记下您的号码", False
        except Exception as error:  # a bug: logged, and the ticket is still shown
            bug(error, "printing a queue ticket")
            return "号票未能打印（系统内部错误），请记下您的号码", False
        if result.printed:
            return "请取走号票", True
        return f"号票未能打印（{result.message.split('；')[0]}），请记下您的号码", False

    def show_ticket(self, taken: tuple[Issued, str, bool]) -> None:
        self.taking = False
        self.say("")
        self.forget_card()
        if self.green:
            self.action_toggle_green()
        self.push_screen(TicketScreen(*taken))

    def tell(self, error: BaseException) -> None:
        """A step failed: the citizen's line (the hall away, or the hall's refusal)."""
        if isinstance(error, HallOffline):
            self.say(OFFLINE)
        else:
            self.say(explain(error))

    def say(self, text: str) -> None:
        self.query_one("#message", Static).update(text)
        if self._message_timer is not None:
            self._message_timer.stop()
        if text:
            self._message_timer = self.set_timer(MESSAGE_KEPT, lambda: self.say(""))

    # --- the optional ID card -----------------------------------------------------------------

    def _device_event(self, event: Event) -> None:
        """The owners' reports (their threads): a card placed is posted up; a reader that is
        missing or failing is the kiosk's own business (tickets are taken without it), and
        the printer's state shows on each ticket."""
        if isinstance(event, CardFound):
            self.post_report(CardRead(event.card))

    def on_card_read(self, message: CardRead) -> None:
        self.card_read(message.card)

    def card_read(self, card: IdCard) -> None:
        self.card = card
        who = f"{mask_name(card.name)}  {mask_id(card.id_number)}"
        self.query_one("#card", Static).update(
            f"已读取身份证：{who}，请选择业务；取号后请取回身份证"
        )
        if self._card_timer is not None:
            self._card_timer.stop()
        self._card_timer = self.set_timer(CARD_KEPT, self.forget_card)

    def forget_card(self) -> None:
        self.card = None
        self.query_one("#card", Static).update(CARD_HINT)

    def action_demo_card(self) -> None:
        """With the simulated reader only (no [idcard] url): a sample card on it."""
        if self.services.idcard_simulator:
            self.services.idcard_simulator.lift()
            self.services.idcard_simulator.place(0)
