"""The headless parts load without Textual, so `clerk` runs from cron or systemd."""

import subprocess
import sys


def test_offline_devices_and_cli_import_without_textual():
    code = (
        "import sys, offline.store, offline.models, devices, clerk.cli, clerk.services;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
