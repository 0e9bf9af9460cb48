"""A watch on the UI thread (architecture rule 2): no store, hall, device or domain call is
made by the app on its own thread.

The desk runs its event loop on the thread the test runs on. So the watch wraps the real
objects (every public method of the `Desk`, the hall and the devices, and every SQL
statement of the store through SQLite's own trace callback) and notes a call made on that
thread by anything but the test itself: the test's own task plays the kiosk, the platform
and the inspector, and may call what it likes.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
import traceback
from collections.abc import Callable
from typing import Any

from clerk import config
from clerk.services import Services
from clerk.window import Desk


class UiThreadWatch:
    def __init__(self, services: Services, desk: Desk) -> None:
        self.thread = threading.current_thread()
        try:
            self.test_task: asyncio.Task[Any] | None = asyncio.current_task()
        except RuntimeError:  # no loop running: a snapshot test, which only looks
            self.test_task = None
        self.calls: list[str] = []
        if self.test_task is None:
            return
        self.watch("Desk", desk)
        for name in ("hall", "printer", "display", "evaluator"):
            self.watch(name, getattr(services, name)())
        if services.settings.idcard.url == config.SIMULATED:  # the simulators demo keys work
            services.reader()
        for name in ("idcard_simulator", "evaluator_simulator"):
            if (simulator := getattr(services, name)) is not None:
                self.watch(name, simulator)
        services.store.db.conn.set_trace_callback(self._sql)

    def on_ui_thread(self) -> bool:
        """Called by the app on its event loop's thread, not by the test's own task."""
        if threading.current_thread() is not self.thread:
            return False
        return asyncio.current_task() is not self.test_task

    def watch(self, name: str, obj: object) -> None:
        """Every public method of `obj`, wrapped on the instance."""
        for attr, value in inspect.getmembers(type(obj)):
            if attr.startswith("_") or not inspect.isfunction(value):
                continue
            setattr(obj, attr, self._wrap(f"{name}.{attr}", getattr(obj, attr)))

    def _wrap(self, what: str, method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def watched(*args: Any, **kwargs: Any) -> Any:
            self._note(what)
            return method(*args, **kwargs)

        return watched

    def _sql(self, statement: str) -> None:
        self._note("SQL " + statement.split("\n")[0][:60])

    def _note(self, what: str) -> None:
        if self.on_ui_thread():
            ours = [f for f in traceback.extract_stack()[:-3] if "site-packages" not in f.filename]
            self.calls.append(f"{what}\n{''.join(traceback.format_list(ours[-6:]))}")
