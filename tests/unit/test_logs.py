"""After a full run of the product's commands, the logs hold no secret."""

import re

from click.testing import CliRunner

from clerk.cli import main

ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|[A-Z]{3}\d{12}|1[3-9]\d{9})(?![0-9A-Za-z])")


def test_logs_hold_no_id_number_pin_or_token(tmp_path):
    home = tmp_path / "home"
    runner = CliRunner()
    run = lambda *a, input=None: runner.invoke(main, ["--home", str(home), *a], input=input)  # noqa: E731
    run("demo", "--keep", str(home), "--no-desk")
    run("user", "add", "--id", "c0300", "--name", "孙丽", "--pin-stdin", input="86421357\n")
    run("case", "list", "--full")
    run("case", "show", "330212198001011238", "--full")
    run("db", "verify")
    import logging

    logging.getLogger("clerk.test").warning(
        "simulated slip: id 330212198001011238 phone 13800001234 Bearer abc.def.ghi pin=86421357"
    )
    logging.getLogger("clerk.test").error("trace", exc_info=ValueError("11010519491231002X"))
    text = "".join(p.read_text("utf-8") for p in (home / "logs").glob("clerk.log*"))
    assert "audit #" in text  # events are logged, one line each
    assert "simulated slip" in text
    assert not ID_LIKE.search(text), ID_LIKE.search(text)
    for secret in ("86421357", "abc.def.ghi", "000000"):
        assert secret not in text
    assert all(
        line.count(" INFO ") + line.count(" WARNING ") + line.count(" ERROR ") == 1
        for line in text.splitlines()
    )


def test_redact():
    from clerk.logs import redact

    assert redact("Authorization: Bearer s3cr3t") == "Authorization: Bearer ***"
    assert redact('{"token": "tkn-123"}') == '{"token": "***"}'
    assert redact("--pin 1234") == "--pin ***"
