"""Finding fax files in the watched folders, and turning one into an index row.

Everything here only looks: ``stat``, ``scandir`` and the tag reader; nothing on disk changes.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from faxtui.inbox.config import Watch
from faxtui.inbox.index import InboxIndex
from faxtui.inbox.model import InboxItem, InboxState
from faxtui.inbox.tags import TagInfo, read_tags

TagReader = Callable[[str], TagInfo]

GONE = "the file is gone: moved or deleted by something other than faxtui"


@dataclass(frozen=True, slots=True)
class Stamp:
    """What tells a file changed without reading it."""

    size: int
    mtime_ns: int


@dataclass(slots=True)
class Found:
    files: dict[str, Stamp] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # folders that could not be listed
    folders: set[str] = field(default_factory=set)  # folders that could


def stamp(path: str) -> Stamp | None:
    """The file's size and time, or None if it is gone or not a regular file."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return Stamp(info.st_size, info.st_mtime_ns)


def find(watches: Sequence[Watch]) -> Found:
    """Every file the watches match, with its stamp; unlistable folders are named."""
    found = Found()
    for watch in watches:
        _walk(watch, watch.folder, found, depth=0)
    return found


def _walk(watch: Watch, folder: str, found: Found, depth: int) -> None:
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        if depth == 0 and watch.required:
            found.problems.append(f"{folder}: no such folder")
        return
    except OSError as exc:
        found.problems.append(f"{folder}: cannot list ({exc.strerror or exc})")
        return
    if depth == 0:
        found.folders.add(folder)
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = f"{folder}/{entry.name}"
        try:
            if entry.is_dir(follow_symlinks=False):  # linked folders could loop
                if watch.recursive and depth < 32:
                    _walk(watch, path, found, depth + 1)
                continue
            if not watch.matches(path) or path in found.files:
                continue
            info = entry.stat()
        except OSError:
            continue  # gone between listing and looking, or a dangling symbolic link
        if stat.S_ISREG(info.st_mode):
            found.files[path] = Stamp(info.st_size, info.st_mtime_ns)


def inspect(
    path: str, before: Stamp, known: InboxItem | None, reader: TagReader = read_tags
) -> InboxItem | None:
    """Read ``path`` (a complete file, stamped ``before``) into an item; None if it went away.

    A file whose stamp changed while it was read is returned as ``receiving``, to be read again
    once it is still.
    """
    try:
        tags = reader(path)
    except FileNotFoundError:
        return None
    after = stamp(path)
    if after is None:
        return None
    base = known or InboxItem(path, 0, 0, InboxState.RECEIVING)
    if after != before:
        return receiving(base, after)
    return replace(
        base,
        size=after.size,
        mtime_ns=after.mtime_ns,
        state=tags.state,
        problem=tags.problem,
        pages=tags.pages,
        width=tags.width,
        height=tags.height,
        x_dpi=tags.x_dpi,
        y_dpi=tags.y_dpi,
        resolution=tags.resolution,
        compression=tags.compression,
        orientation=tags.orientation,
        station_id=tags.station_id(),
        remote_number=tags.remote_number(),
        device=" ".join(t for t in (tags.make.strip(), tags.model.strip()) if t),
        software=tags.software.strip(),
        received=tags.received() or after.mtime_ns / 1e9,
    )


def receiving(base: InboxItem, now: Stamp) -> InboxItem:
    """``base`` as a file still being written (its earlier tags no longer hold)."""
    return replace(
        base,
        size=now.size,
        mtime_ns=now.mtime_ns,
        state=InboxState.RECEIVING,
        problem="",
        received=base.received or now.mtime_ns / 1e9,
    )


def settled(item: InboxItem | None, now: Stamp) -> bool:
    """Whether the index already holds this version of the file, read to the end."""
    return (
        item is not None
        and item.state not in (InboxState.RECEIVING, InboxState.MISSING)
        and (item.size, item.mtime_ns) == (now.size, now.mtime_ns)
    )


def changed(
    known: Iterable[InboxItem], found: Found, watches: Sequence[Watch]
) -> tuple[dict[str, Stamp], list[str]]:
    """Of ``found``, the files to look at; of ``known``, the paths now gone.

    A row under a folder that could not be listed is left alone: the folder may come back.
    """
    index = {item.path: item for item in known}
    fresh = {p: s for p, s in found.files.items() if not settled(index.get(p), s)}
    gone = [
        item.path
        for item in index.values()
        if item.path not in found.files
        and item.state is not InboxState.MISSING
        and _listed(item.path, watches, found)
    ]
    return fresh, gone


def _listed(path: str, watches: Sequence[Watch], found: Found) -> bool:
    """Whether ``path`` belongs to a watch whose folder was listed in this scan."""
    return any(w.folder in found.folders and w.matches(path) for w in watches)


def split_gone(known: Mapping[str, InboxItem], paths: Iterable[str]) -> tuple[list[str], list[str]]:
    """Of the paths gone from disk: the rows to mark missing, and the rows to drop (a file
    never complete was somebody's temporary file, not a fax)."""
    missing, dropped = [], []
    for path in paths:
        item = known.get(path)
        if item is None or item.state is InboxState.MISSING:
            continue
        if item.state is InboxState.RECEIVING and not item.pages:
            dropped.append(path)
        else:
            missing.append(path)
    return missing, dropped


@dataclass(slots=True)
class Pass:
    """What one pass over some still files found."""

    stored: list[InboxItem] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # old names of files that moved
    changing: dict[str, Stamp] = field(default_factory=dict)
    vanished: list[str] = field(default_factory=list)


def read_files(
    index: InboxIndex,
    jobs: Iterable[tuple[str, Stamp, InboxItem | None]],
    reader: TagReader = read_tags,
) -> Pass:
    """Look at each file again (path, the stamp it kept still at, its row), read its tags and
    store them; a new name for a missing file's content takes over that file's row."""
    result = Pass()
    items = []
    for path, expected, known in jobs:
        now = stamp(path)
        if now is None:
            result.vanished.append(path)
            continue
        if now != expected:
            result.changing[path] = now
            continue
        moved = None
        if known is None:
            moved = index.find_moved(now.size, now.mtime_ns)
            if moved is not None and os.path.lexists(moved.path):
                moved = None  # a copy of a file that is still there: a fax of its own
        item = inspect(path, now, replace(moved, path=path) if moved else known, reader)
        if item is None:
            result.vanished.append(path)
        elif moved is not None:
            result.stored.append(index.rename(moved.path, item))
            result.removed.append(moved.path)
        else:
            items.append(item)
    result.stored += index.upsert(items)
    return result


def refresh(
    index: InboxIndex,
    watches: Sequence[Watch],
    *,
    quiet: float,
    reader: TagReader = read_tags,
    clock: Callable[[], float] = time.time,
) -> list[str]:
    """Bring the index up to date with the folders once (``faxtui inbox``); return the
    folders that could not be listed. Files changed within ``quiet`` seconds are receiving."""
    known = {item.path: item for item in index.load_all()}
    found = find(watches)
    fresh, gone = changed(known.values(), found, watches)
    missing, dropped = split_gone(known, gone)
    index.mark_missing(missing, GONE)
    index.remove(dropped)
    now = clock()
    still = {p: s for p, s in fresh.items() if now - s.mtime_ns / 1e9 >= quiet}
    index.upsert(
        receiving(known.get(p) or InboxItem(p, 0, 0, InboxState.RECEIVING), s)
        for p, s in fresh.items()
        if p not in still
    )
    jobs = [(p, s, known.get(p)) for p, s in still.items()]
    for start in range(0, len(jobs), 256):
        read_files(index, jobs[start : start + 256], reader)
    return found.problems
