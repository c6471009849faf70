"""Logs never show a secret, whatever logs it (panoramisk logs the actions it failed to send)."""

from __future__ import annotations

import logging
from pathlib import Path

from faxtui import logs

SECRET = "hunter2-very-secret"


def test_secrets_are_masked_in_messages_arguments_and_tracebacks(tmp_path: Path) -> None:
    path = tmp_path / "faxtui.log"
    logs.setup(secrets=[SECRET], file=path, level=logging.DEBUG)
    log = logging.getLogger("panoramisk.ami_protocol")
    log.error("Fail to send %r", {"Action": "Login", "Secret": SECRET})
    try:
        raise ValueError(f"bad secret {SECRET}")
    except ValueError:
        log.exception("login failed")
    logging.getLogger("faxtui.sources.ami").warning("remote said \x1b[2J%s", "hi")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text()
    assert SECRET not in text
    assert text.count("********") == 2  # the action logged, and the exception message
    assert "ValueError: bad secret ********" in text
    assert "\x1b" not in text and "␛[2J" in text  # remote text in logs is inert too
