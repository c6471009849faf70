"""The inbox's records and the events the inbox source emits.

File names and TIFF text come from outside: they are kept exactly as found (a file name that
is not UTF-8 keeps its bytes through ``os.fsdecode``) and must be shown through
``faxtui.text.plain`` or ``safe_text``, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any


class InboxState(StrEnum):
    RECEIVING = "receiving"  # still being written: its size or time changed within the quiet time
    OK = "ok"
    PARTIAL = "partial"  # readable up to a point: cut short, or broken after its first pages
    BAD = "bad"  # nothing to show: empty, not a TIFF, not a fax, or absurdly large
    UNREADABLE = "unreadable"  # faxtui may not read it (permissions) or the disk said no
    MISSING = "missing"  # indexed once, now gone from its folder (not by faxtui)


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One received fax file, as the index knows it."""

    path: str
    size: int
    mtime_ns: int
    state: InboxState
    problem: str = ""  # for the states other than ok and receiving: what is wrong, in words
    pages: int = 0
    width: int = 0  # of the first page, in pixels
    height: int = 0
    x_dpi: float = 0.0
    y_dpi: float = 0.0
    resolution: str = ""  # "standard", "fine", "superfine", "mixed" or e.g. "300x300 dpi"
    compression: str = ""  # "MH", "MR", "MMR", "mixed", ...
    orientation: int = 1  # the TIFF Orientation of the first page (1 = upright)
    station_id: str = ""  # the sender's TSI
    remote_number: str = ""  # the sender's number (caller ID), where known
    device: str = ""  # the TIFF Make and Model (the far end's for spandsp, the modem's for HylaFAX)
    software: str = ""  # the program that wrote the file
    received: float = 0.0  # the file's own DateTime, else its modification time
    call_id: str = ""  # the faxtui call that brought it, once linked
    read: bool = False
    note: str = ""

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def landscape(self) -> bool:
        """Wider than tall on paper (resolution and TIFF orientation taken into account)."""
        across = self.width / self.x_dpi if self.x_dpi else self.width
        down = self.height / self.y_dpi if self.y_dpi else self.height
        if self.orientation >= 5:  # 5-8: rows and columns swapped
            across, down = down, across
        return across > down

    def search_text(self) -> str:
        return " ".join(
            (self.path, self.station_id, self.remote_number, self.note, str(self.state))
        ).lower()

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["state"] = str(self.state)
        return data


# --- events: what the inbox source emits ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InboxLoaded:
    """Everything the index holds, newest first: replaces whatever was known before."""

    items: tuple[InboxItem, ...]


@dataclass(frozen=True, slots=True)
class InboxUpdated:
    """New or changed items (a new file, a state, a note, a link to a call)."""

    items: tuple[InboxItem, ...]


@dataclass(frozen=True, slots=True)
class InboxRemoved:
    """Items the index no longer holds: archived, renamed, forgotten, or a temporary file that
    vanished before it was complete."""

    paths: tuple[str, ...]


InboxEvent = InboxLoaded | InboxUpdated | InboxRemoved
