"""The composition root: reads the settings and builds what the app and the CLI use.

Nothing else decides which store file, which devices or which platform to use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clerk import config, logs
from offline.store import Store


@dataclass
class Services:
    home: Path
    settings: config.Settings
    store: Store

    def close(self) -> None:
        self.store.close()


def build(home: Path, settings: config.Settings | None = None) -> Services:
    settings = settings or config.load(home)
    logs.setup(home, settings.log.level, settings.log.max_bytes, settings.log.backups)
    store = Store(
        home / config.DB_FILE, centre_code=settings.centre.code, window_no=settings.window.no
    )
    return Services(home=home, settings=settings, store=store)
