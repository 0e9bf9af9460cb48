"""Owners: one thread per device or background job; everything else asks the owner.

A driver is not thread-safe: `SamReader` has one serial port and one frame buffer, a
`ReceiptPrinter` one spool that two flushes at once both send (a ticket printed twice), the
evaluator one keypad whose press goes to whichever reader gets the byte. Reading the card from
the poller and from F9 at once failed reads and once killed the poller inside pyserial. So
each device has one `DeviceOwner`: a thread that opens the device, serves requests one at a
time in the order asked, and runs an idle step (the card poll) when there is none. `Owner` is
the skeleton every owner shares (the hall follow job's `HallFollower` too): the thread, the
restart loop.

- `ask(work, key)` gives a `Future`; with a `key`, a request asked while the same key is still
  waiting or running is not started twice: the caller gets the first one's future and
  `new=False` (F9 held down reads once; F11 twice prints once; F10 twice scans once).
- `call(work)` asks and waits: for the desk's steps, which already run on worker threads.
- `tell(work)` asks without waiting (the window display): a failure is reported as
  `DeviceFailed`, once per streak, so a broken LED never fails the call it shows.
- A request that fails is answered with its error, and the device is reopened for the next
  one: the asker explains it (`clerk.errors.explain`: a `DeviceError`'s own words, a full disk
  as such, a bug as 系统内部错误 with its traceback logged). A bug in the owner itself (opening
  the device, the idle step) is logged, the request answered with `Restarted`,
  `OwnerRestarted` reported (the clerk is told in Chinese), and the owner carries on: its
  thread ends only on `stop()`, never silently.

Events go out through `report` as plain dataclasses; the app posts them as Textual messages
(`clerk/messages.py`). No Textual here: the same owners serve the desk, the CLI and the tests.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from clerk.errors import explain
from clerk.services import NOT_CONFIGURED
from devices.errors import DeviceError, DeviceNotConfigured
from devices.idcard.card import IdCard

if TYPE_CHECKING:
    from clerk.services import Services
    from devices.base import CardReader, Evaluator, Printer, Scanner
    from devices.display import Display

log = logging.getLogger("clerk.owners")
RESTART_PAUSE = 1.0  # seconds before a failed owner reopens its device: no hot loop
D = TypeVar("D")
T = TypeVar("T")


class Restarted(DeviceError):
    """The request met a bug below us; the owner restarted and the request may be tried again."""


class Busy(DeviceError):
    """The same request is already in progress (F11 or F10 pressed again)."""


@dataclass(frozen=True)
class StateChanged:
    device: str  # the clerk's name for it: 读卡器, 评价器
    state: str  # 就绪, 故障, 未配置
    ok: bool


@dataclass(frozen=True)
class OwnerRestarted:
    device: str
    message: str


@dataclass(frozen=True)
class DeviceFailed:
    """A request nobody waits for failed (the window display): the clerk's message."""

    device: str
    message: str


@dataclass(frozen=True)
class CardFound:
    card: IdCard
    asked: bool  # True: the answer to a read request (F9); False: placed on the reader


@dataclass(frozen=True)
class NoCard:
    """A read request found the reader empty."""


@dataclass(frozen=True)
class CardFailed:
    message: str  # the clerk's words (a `DeviceError`'s text)
    asked: bool


Event = StateChanged | OwnerRestarted | DeviceFailed | CardFound | NoCard | CardFailed
Report = Callable[[Event], None]
CardEvent = Event  # what a card owner reports (the kiosk listens for `CardFound` only)


@dataclass
class _Job:
    work: Callable[[Any], Any]
    future: Future[Any]
    key: str | None


class Owner:
    """One daemon thread that owns a device or a job until `stop()`. A bug in `_serve` is
    logged with its traceback, reported as `OwnerRestarted` (in Chinese, by the owner's name)
    and served again after a pause: an owner is never silently gone."""

    name = ""  # the person's name for it: 读卡器, 叫号服务

    def __init__(self, report: Callable[[Any], None], thread: str) -> None:
        self.report = report
        self._stop = threading.Event()
        self.restarts = 0
        self.thread = threading.Thread(target=self._run, name=thread, daemon=True)

    def start(self) -> None:
        self.thread.start()

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._serve()
            except Exception as error:  # a bug below us: say so, reset, carry on
                log.exception("%s failed; restarting", self.thread.name)
                self.restarts += 1
                self._reset()
                self.report(
                    OwnerRestarted(
                        self.name, f"{self.name}后台任务出错（{type(error).__name__}），已自动重启"
                    )
                )
                self._stop.wait(RESTART_PAUSE)
        self._reset()

    def _serve(self) -> None:
        """One round of the owner's work; called again until `stop()`."""
        raise NotImplementedError

    def _reset(self) -> None:
        """Drop what a failed round held (a device to reopen); also called at the end."""


class DeviceOwner(Owner, Generic[D]):
    """The only user of one device (see the module's docstring)."""

    def __init__(
        self,
        name: str,
        open_device: Callable[[], D],
        report: Report,
        *,
        idle: Callable[[D], None] | None = None,
        interval: float = 0.5,
        states: bool = False,
    ) -> None:
        super().__init__(report, f"owner-{name}")
        self.name, self.open_device = name, open_device
        self.idle, self.interval, self.states = idle, interval, states
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._keys: dict[str, Future[Any]] = {}
        self._pending = 0  # asked and not yet answered
        self._lock = threading.Lock()
        self._device: D | None = None
        self._job: _Job | None = None  # the request being served
        self._state = ""
        self._failing = False
        self._pause = interval

    # --- asking ------------------------------------------------------------------------------

    def ask(self, work: Callable[[D], T], key: str | None = None) -> tuple[Future[T], bool]:
        """Queue `work(device)`; the future and whether this request is new (see `key`)."""
        with self._lock:
            if key is not None and key in self._keys:
                return self._keys[key], False
            future: Future[T] = Future()
            if self._stop.is_set():
                future.set_exception(DeviceError(f"{self.name}已停止使用"))
                return future, True
            if key is not None:
                self._keys[key] = future
            self._pending += 1
            self._jobs.put(_Job(work, future, key))
            self._start()
        return future, True

    def call(self, work: Callable[[D], T], key: str | None = None) -> T:
        """Ask and wait for the answer (from a worker thread, never the UI's)."""
        return self.ask(work, key)[0].result()

    def tell(self, work: Callable[[D], object]) -> None:
        """Ask without waiting; a failure is reported (`DeviceFailed`), once per streak."""
        self.ask(work)[0].add_done_callback(self._told)

    def busy(self, key: str) -> bool:
        return key in self._keys

    @property
    def pending(self) -> int:
        """Requests asked and not yet answered (a test waits for none)."""
        return self._pending

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # --- life ----------------------------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            self._start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._jobs.put(None)
        if self.thread.is_alive() and threading.current_thread() is not self.thread:
            self.thread.join(timeout)

    def _start(self) -> None:
        """On the first request or `start()` (called under `_lock`)."""
        if self.thread.ident is None and not self._stop.is_set():
            self.thread.start()

    # --- the owner thread ----------------------------------------------------------------------

    def _serve(self) -> None:
        self._job = self._next()
        self._serve_job(self._job)
        self._job = None

    def _reset(self) -> None:
        """After a bug: close the device (reopened next round) and answer the request it was
        serving, so no caller waits for ever; at the end, answer what still waits."""
        self._close()
        job, self._job = self._job, None
        if job is not None and not job.future.done():
            self._finish(job, error=Restarted(f"{self.name}出错，本次未完成，请重试"))
        if self._stop.is_set():
            self._drain()

    def _next(self) -> _Job | None:
        """The next request, or None when the idle step is due."""
        wait = self._pause if self.idle is not None or self._device is None else None
        try:
            return self._jobs.get(timeout=wait)
        except queue.Empty:
            return None

    def _serve_job(self, job: _Job | None) -> None:
        if self._stop.is_set():
            if job is not None:
                self._jobs.put(job)  # answered by `_drain`
            return
        device = self._open(job)
        if device is None:
            return
        if job is None:
            if self.idle is not None:
                self.idle(device)
            return
        try:
            result = job.work(device)
        except Exception as error:  # the asker's answer (a bug is explained and logged
            # there); the device is reopened for the next request, which shows its state
            self.set_state("故障")
            self._close()
            self._finish(job, error=error)
            return
        self._finish(job, result=result)

    def _open(self, job: _Job | None) -> D | None:
        if self._device is not None:
            return self._device
        if job is None and self.idle is None:
            return None  # nothing to do with it yet
        try:
            self._device = self.open_device()
        except DeviceError as error:
            self.set_state(NOT_CONFIGURED if isinstance(error, DeviceNotConfigured) else "故障")
            self._pause = self.interval * 4  # try again, less often
            if job is not None:
                self._finish(job, error=error)
            return None
        self._pause = self.interval
        self.set_state("就绪")
        return self._device

    def _finish(self, job: _Job, result: object = None, error: BaseException | None = None) -> None:
        """Forget the key before answering: a request after the answer is a new one."""
        with self._lock:
            self._pending -= 1
            if job.key is not None and self._keys.get(job.key) is job.future:
                del self._keys[job.key]
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(result)

    def _drain(self) -> None:
        """Stopped: answer what still waits, so no caller waits for ever."""
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                self._finish(job, error=DeviceError(f"{self.name}已停止使用"))

    def _told(self, future: Future[Any]) -> None:
        error = future.exception()
        if error is None:
            self._failing = False
        elif not self._failing:
            self._failing = True
            self.report(DeviceFailed(self.name, explain(error)))

    def set_state(self, state: str) -> None:
        """Report the device's state when it changes (the status bar), not on every poll."""
        if self.states and state != self._state:
            self._state = state
            self.report(StateChanged(self.name, state, state == "就绪"))

    def _close(self) -> None:
        device, self._device = self._device, None
        close = getattr(device, "close", None)
        if close is not None:
            try:
                close()
            except Exception:  # closing a broken port: nothing more to do
                log.warning("closing the %s failed", self.name, exc_info=True)


class CardOwner(DeviceOwner["CardReader"]):
    """The card reader's owner: polls as its idle step, and F9 asks it for a read now."""

    def __init__(
        self, open_reader: Callable[[], CardReader], report: Report, interval: float = 0.5
    ) -> None:
        super().__init__("读卡器", open_reader, report, idle=self._poll, interval=interval)
        self.states = True
        self._on_reader: str | None = None  # the card already reported, until it is lifted

    def request_read(self) -> bool:
        """Ask for a read now; False when one is already waiting (the answer covers both)."""
        future, new = self.ask(self._asked, key="read")
        if new:
            future.add_done_callback(self._unanswered)
        return new

    def _poll(self, reader: CardReader) -> None:
        self._read(reader, asked=False)

    def _asked(self, reader: CardReader) -> None:
        self._read(reader, asked=True)

    def _unanswered(self, future: Future[None]) -> None:
        """A read asked for and not done (the reader would not open): the clerk is told why;
        after a restart `OwnerRestarted` has said so already."""
        error = future.exception()
        if error is not None and not isinstance(error, Restarted):
            self.report(CardFailed(explain(error), asked=True))

    def _read(self, reader: CardReader, asked: bool) -> None:
        try:
            card = reader.read_card()
        except DeviceError as error:
            if asked or not self._failing:  # each streak of errors once, unless asked
                self.report(CardFailed(str(error), asked=asked))
            self.set_state("故障")
            self._failing = True
            return
        self._failing = False
        self.set_state("就绪")
        if card is None:
            self._on_reader = None
            if asked:
                self.report(NoCard())
        elif asked or card.id_number != self._on_reader:
            self._on_reader = card.id_number
            self.report(CardFound(card, asked))


class Devices:
    """The window's device owners, built from the composition root. Each owner starts on its
    first request (the card owner when the app starts it), so a desk that scans nothing starts
    no scanner thread. `listen` points their reports at the app."""

    def __init__(self, services: Services) -> None:
        self._listener: Report = _log_event
        report = self._report
        self.card = CardOwner(services.reader, report)
        self.printer: DeviceOwner[Printer] = DeviceOwner("打印机", services.printer, report)
        self.scanner: DeviceOwner[Scanner] = DeviceOwner(
            "扫描仪", services.scanner, report, states=True
        )
        self.evaluator: DeviceOwner[Evaluator] = DeviceOwner(
            "评价器", lambda: _checked(services.evaluator()), report, states=True
        )
        self.display: DeviceOwner[Display] = DeviceOwner(
            "窗口显示屏", services.display, report, states=True
        )
        self.all: tuple[DeviceOwner[Any], ...] = (
            self.card,
            self.printer,
            self.scanner,
            self.evaluator,
            self.display,
        )

    def listen(self, listener: Report) -> None:
        self._listener = listener

    def _report(self, event: Event) -> None:
        self._listener(event)

    def check(self) -> None:
        """Open the evaluator, scanner and window display now, so each one's state (就绪,
        故障, 未配置) is in the status bar from the start, not after its first use (the card
        owner reports its own when started, the printer's comes from its spool). It only
        asks: the UI thread may call it."""
        self.evaluator.ask(lambda evaluator: None, key="check")
        self.scanner.ask(lambda scanner: None, key="check")
        self.display.ask(self._display_fitted, key="check")

    def _display_fitted(self, display: Display) -> None:
        """No display configured opens as a stand-in that calls go on without: say 未配置."""
        if not getattr(display, "configured", True):
            self.display.set_state(NOT_CONFIGURED)

    def stop(self, timeout: float = 5.0) -> None:
        for owner in self.all:
            owner.stop(timeout)


def _checked(evaluator: Evaluator) -> Evaluator:
    """The evaluator opened: its port is tried at once, so its state shows before a rating."""
    evaluator.check()
    return evaluator


def _log_event(event: Event) -> None:
    """Before an app listens (the CLI, tests of the desk alone): the log has it."""
    log.info("%s", event)
