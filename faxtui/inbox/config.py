"""The ``[inbox]`` settings: which folders hold received faxes, and how to watch them.

```toml
[inbox]
folders = [
    "/var/spool/asterisk/fax/*.tif",            # a glob: the folder, then a pattern
    { folder = "/srv/fax", pattern = "**/*.tiff" },
]
archive = "/srv/fax-archive"   # default: <data_dir>/archive
quiet = 2.0                    # seconds a file must stay unchanged before it is read
polling = false                # poll instead of inotify (NFS, CIFS, some containers)
rescan = 300                   # seconds between full rescans, behind the watcher; 0: never
modem_inbox = true             # also the modems' inbox (<data_dir>/inbox and any [[modem]] inbox)
viewer = "xdg-open {file}"     # o in the inbox: a program with its own window ({page}: 1, 2, ...)
```

Patterns match the path below the folder: ``*``, ``?`` and ``[...]`` stay within one folder
level, ``**`` spans any number of them; the match ignores case (``*.tif`` finds ``FAX.TIF``).
Names starting with a dot are never taken (faxtui's own modems write ``.receiving-*.tif``
first). A folder given without a pattern gets ``*.tif``.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from faxtui.config import Config, ConfigError

DEFAULT_PATTERN = "*.tif"
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class Watch:
    """One folder and the pattern its fax files match."""

    folder: str  # absolute, normalised, no trailing slash
    pattern: str = DEFAULT_PATTERN
    required: bool = True  # a missing folder is a problem (not so the modems' inbox, at first)

    @property
    def recursive(self) -> bool:
        return "/" in self.pattern

    def matches(self, path: str) -> bool:
        """Whether ``path`` (absolute) is a fax file of this watch."""
        prefix = self.folder.rstrip("/") + "/"
        if not path.startswith(prefix):
            return False
        parts = path[len(prefix) :].lower().split("/")
        if any(part.startswith(".") for part in parts):
            return False
        return _match(parts, self.pattern.lower().split("/"))


def _match(parts: list[str], pattern: list[str]) -> bool:
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":  # any number of folder levels, none included
        return any(_match(parts[i:], rest) for i in range(len(parts)))
    return bool(parts) and fnmatchcase(parts[0], head) and _match(parts[1:], rest)


@dataclass(frozen=True)
class InboxConfig:
    folders: tuple[Watch, ...] = ()
    archive: Path | None = None  # None: <data_dir>/archive
    quiet: float = 2.0
    polling: bool = False
    rescan: float = 300.0
    modem_inbox: bool = True
    viewer: tuple[str, ...] = ()  # the external viewer's command line, split; () for none

    def watches(self, config: Config) -> tuple[Watch, ...]:
        """The configured folders, and the modems' inboxes unless ``modem_inbox`` is off."""
        found: list[Watch] = list(self.folders)
        if self.modem_inbox:
            inboxes = [config.inbox, *(m.inbox for m in config.modems if m.inbox is not None)]
            found += [Watch(_folder(p), DEFAULT_PATTERN, required=False) for p in inboxes]
        unique: dict[tuple[str, str], Watch] = {}
        for watch in found:
            unique.setdefault((watch.folder, watch.pattern), watch)
        return tuple(unique.values())

    def archive_folder(self, config: Config) -> Path:
        return self.archive if self.archive is not None else config.data_dir / "archive"


_KEYS: dict[str, type | tuple[type, ...]] = {
    "folders": list,
    "archive": str,
    "quiet": (int, float),
    "polling": bool,
    "rescan": (int, float),
    "modem_inbox": bool,
    "viewer": str,
}
_NAMES = {list: "a list", str: "a string", bool: "true or false"}

Fail = Callable[[str], ConfigError]


def from_toml(table: Mapping[str, Any], where: str) -> InboxConfig:
    """The ``[inbox]`` table; ``where`` (e.g. ``"config.toml: [inbox]"``) leads every error."""

    def failing(key: str) -> Fail:
        return lambda message: ConfigError(f"{where} {key!r}: {message}")

    for key, value in table.items():
        expected = _KEYS.get(key)
        if expected is None:
            close = difflib.get_close_matches(key, list(_KEYS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{where} {key!r} is not a known setting{hint}")
        wrong_bool = isinstance(value, bool) and expected is not bool
        if wrong_bool or not isinstance(value, expected):
            name = _NAMES.get(expected, "a number") if isinstance(expected, type) else "a number"
            raise failing(key)(f"should be {name}")
    folders = tuple(
        _watch(entry, failing(f"folders[{i}]")) for i, entry in enumerate(table.get("folders", []))
    )
    quiet = float(table.get("quiet", InboxConfig.quiet))
    if not 0 < quiet <= 3600:
        raise failing("quiet")("seconds a file must stay unchanged: more than 0, at most 3600")
    rescan = float(table.get("rescan", InboxConfig.rescan))
    if rescan < 0:
        raise failing("rescan")("must not be negative (0: no periodic rescan)")
    archive = None
    if "archive" in table:
        archive = Path(table["archive"]).expanduser()
        if not archive.is_absolute():
            raise failing("archive")(f"{table['archive']!r} is not an absolute path")
    try:
        viewer = tuple(shlex.split(table.get("viewer", "")))
    except ValueError as exc:
        raise failing("viewer")(f"is not a command line ({exc})") from None
    return InboxConfig(
        viewer=viewer,
        folders=folders,
        archive=archive,
        quiet=quiet,
        polling=table.get("polling", InboxConfig.polling),
        rescan=rescan,
        modem_inbox=table.get("modem_inbox", InboxConfig.modem_inbox),
    )


def _watch(entry: object, fail: Fail) -> Watch:
    if isinstance(entry, str):
        return parse_glob(entry, fail)
    if not isinstance(entry, dict):
        raise fail('should be a string such as "/var/spool/asterisk/fax/*.tif" or a table')
    unknown = sorted(set(entry) - {"folder", "pattern"})
    if unknown:
        raise fail(f"unknown key {unknown[0]!r} (a table has folder and pattern)")
    folder, pattern = entry.get("folder"), entry.get("pattern", DEFAULT_PATTERN)
    if not isinstance(folder, str) or not folder.strip():
        raise fail('needs folder = "/some/folder"')
    if not isinstance(pattern, str):
        raise fail("pattern should be a string such as *.tif")
    path = Path(folder).expanduser()
    if not path.is_absolute():
        raise fail(f"{folder!r} is not an absolute path")
    _check_pattern(pattern, fail, pattern)
    return Watch(_folder(path), pattern)


def parse_glob(text: str, fail: Fail) -> Watch:
    """``"/var/spool/asterisk/fax/*.tif"``: that folder and ``*.tif``; a folder alone: ``*.tif``."""
    path = Path(text).expanduser()
    if not path.is_absolute():
        raise fail(f"{text!r} is not an absolute path")
    parts = path.parts
    first = next((i for i, part in enumerate(parts) if _GLOB_CHARS.search(part)), None)
    if first is None:
        return Watch(_folder(path), DEFAULT_PATTERN)
    pattern = "/".join(parts[first:])
    _check_pattern(pattern, fail, text)
    return Watch(_folder(Path(*parts[:first])), pattern)


def _check_pattern(pattern: str, fail: Fail, shown: str) -> None:
    parts = pattern.split("/")
    if not pattern or pattern.startswith("/") or "" in parts or "." in parts or ".." in parts:
        raise fail(f"{shown!r} is not a file pattern such as *.tif or **/*.tif")
    if any("**" in part and part != "**" for part in parts):
        raise fail(f"{shown!r}: ** must be a part of its own, as in **/*.tif")
    if parts[-1] == "**":
        raise fail(f"{shown!r} names no files: end it with a pattern such as *.tif")


def _folder(path: Path) -> str:
    """Absolute and normalised, without resolving symbolic links (the operator's name)."""
    return os.path.normpath(os.path.abspath(path))
