"""A window enrolled with the reference platform on loopback, as an admin sets one up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from offline.platform.server import serve_in_thread
from offline.platform.store import PlatformStore
from tests.conftest import INIT, cli
from tests.e2e.processes import Processes


class Reference(NamedTuple):
    store: PlatformStore
    url: str
    token_file: Path


@pytest.fixture
def reference(tmp_path: Path) -> Iterator[Reference]:
    """The reference platform over real HTTP, with this window's device and token."""
    store = PlatformStore(tmp_path / "platform.db")
    token_file = tmp_path / "window.token"
    token_file.write_text(store.add_device("win-03", "330212105"))
    server, url = serve_in_thread(store)
    yield Reference(store, url, token_file)
    server.shutdown()
    server.server_close()


@pytest.fixture
def enrolled(tmp_path: Path, reference: Reference) -> Path:
    """An initialised data directory enrolled with `reference`."""
    home = tmp_path / "home"
    cli(home, *INIT)
    enrol = ["enrol", "--platform", reference.url, "--device-id", "win-03"]
    cli(home, *enrol, "--token-file", str(reference.token_file))
    return home


@pytest.fixture
def processes() -> Iterator[Processes]:
    """Start the test's processes here: every one still running is killed when it ends."""
    started = Processes()
    yield started
    started.kill_all()
