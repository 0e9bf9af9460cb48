"""The headless parts load without Textual, so `clerk` runs from cron or systemd."""

import subprocess
import sys


def test_offline_devices_and_cli_import_without_textual():
    # Only Textual is checked: `import httpx` itself imports rich whenever rich is installed
    # (httpx/__init__ imports its command-line module), which is harmless for a headless box.
    code = (
        "import sys, offline.store, offline.sync, offline.models, devices, clerk.cli,"
        " clerk.services;"
        "clerk.cli.load_all();"
        "bad = [m for m in sys.modules if m.split('.')[0] == 'textual'];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
