"""``faxtui inbox [--json] [--cached]``: the received faxes, newest first.

Without ``--cached`` the index is first brought up to date with the folders (only new or
changed files are read), so the command is useful with no faxtui running. File names and
TIFF text are remote text: the plain output passes them through ``faxtui.text.plain``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from faxtui.config import Config, ConfigError, load
from faxtui.inbox import scan
from faxtui.inbox.config import InboxConfig
from faxtui.inbox.index import InboxIndex, InboxIndexError
from faxtui.inbox.model import InboxItem, InboxState
from faxtui.text import plain

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    common: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.ArgumentParser:
    """Add ``inbox`` (``common`` adds the shared options, as for the other commands)."""
    parser = subparsers.add_parser("inbox", help="received faxes, from the inbox index")
    if common is not None:
        common(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per fax")
    parser.add_argument(
        "--cached", action="store_true", help="list the index as it is; do not look at the folders"
    )
    return parser


def run(
    args: argparse.Namespace, config: Config | None = None, settings: InboxConfig | None = None
) -> int:
    """List the inbox; ``config`` and ``settings`` are read from ``args`` when not given."""
    if config is None:
        try:
            config = load(getattr(args, "config", None))
        except ConfigError as exc:
            print(f"faxtui: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if getattr(args, "data_dir", None) is not None:
            config = replace(config, data_dir=args.data_dir.expanduser())
    settings = settings or InboxConfig()
    try:
        index = InboxIndex(config.data_dir)
    except InboxIndexError as exc:
        print(f"faxtui: {exc}", file=sys.stderr)
        return EXIT_FAIL
    try:
        if not args.cached:
            for problem in scan.refresh(index, settings.watches(config), quiet=settings.quiet):
                print(f"faxtui: {plain(problem)}", file=sys.stderr)
        items = index.load_all()
    finally:
        index.close()
    if not items and not args.json:
        folders = ", ".join(plain(str(w.folder)) for w in settings.watches(config))
        print(f"no received faxes (watching {folders or 'no folder'})")
        return EXIT_OK
    try:
        for item in items:
            sys.stdout.write((json.dumps(record(item), ensure_ascii=False) if args.json
                              else line(item)) + "\n")  # fmt: skip
        sys.stdout.flush()
    except BrokenPipeError:
        pass  # the reader went away (| head): not an error
    return EXIT_OK


def record(item: InboxItem) -> dict[str, Any]:
    """The JSON form: every field; a file name that is not UTF-8 shows its bytes as \\xNN."""
    data = item.to_dict()
    data["path"] = _printable_path(item.path)
    return data


def line(item: InboxItem) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(item.received))
    flag = " " if item.read else "*"
    sender = item.station_id or "?"
    if item.remote_number and item.remote_number != item.station_id:
        sender += f" ({item.remote_number})"
    pages = f"{item.pages}p" if item.pages else "-"
    words = (
        f"{flag} {when}  {item.state:<10} {pages:>5} {item.resolution or '-':<9} "
        f"{plain(sender)[:32]:<32} {plain(_printable_path(item.path))}"
    )
    if item.problem and item.state is not InboxState.OK:
        words += f"  [{plain(item.problem)}]"
    if item.note:
        words += f"  note: {plain(item.note)}"
    return words


def _printable_path(path: str) -> str:
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
