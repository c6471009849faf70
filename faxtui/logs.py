"""Logging that never shows a secret and never writes over the TUI.

Every handler gets a filter that replaces the configured secrets with ``********`` in the
final message (arguments included), so a library that logs an action it failed to send
(panoramisk does, with its Secret header) cannot leak it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from pathlib import Path

from faxtui.text import plain


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        for secret in self.secrets:
            message = message.replace(secret, "********")
            if record.exc_text:
                record.exc_text = record.exc_text.replace(secret, "********")
        record.msg, record.args = plain(message), None
        return True


def setup(
    *,
    secrets: Iterable[str] = (),
    file: Path | None = None,
    level: int = logging.WARNING,
) -> None:
    """Log to ``file`` if given (the TUI owns the terminal), else to stderr."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler: logging.Handler
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("asyncio").setLevel(logging.WARNING)
