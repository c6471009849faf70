"""The inbox source: received fax files in watched folders, kept in the inbox index.

At start it sends everything the index holds (one query, so the inbox can be drawn at once),
then rescans the folders in the background, comparing each file's size and modification time
with its row and reading the tags only of new or changed files. From then on watchfiles
(inotify; polling where inotify cannot be had, or with ``polling = true``) says which files
changed, and a full rescan every ``rescan`` seconds catches anything a watcher missed.

A file is "receiving" until it has kept its size and time for ``quiet`` seconds, or the call
that wrote it is over (:meth:`InboxSource.link_call`); a file a live call is writing can be
held back (:meth:`InboxSource.hold`), since a fax machine writes nothing between pages. Tags
are read in a worker thread, never on the event loop. A file that goes away keeps its row as
``missing`` (faxtui never deletes a fax, so the operator should see that something else did)
unless it was never complete: then it was somebody's temporary file and the row is dropped.
A missing file that turns up under another name (same size and time) takes its row along.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal, TypeVar

from watchfiles import Change, awatch

from faxtui.inbox import actions, scan
from faxtui.inbox.config import InboxConfig, Watch
from faxtui.inbox.index import InboxIndex
from faxtui.inbox.model import (
    InboxEvent,
    InboxItem,
    InboxLoaded,
    InboxRemoved,
    InboxState,
    InboxUpdated,
)
from faxtui.inbox.scan import GONE, Stamp, TagReader
from faxtui.inbox.tags import read_tags
from faxtui.model import FaxEvent, LinkState
from faxtui.sources.base import Source

log = logging.getLogger(__name__)

InboxEmit = Callable[[Sequence[FaxEvent | InboxEvent]], None]
T = TypeVar("T")

CHUNK = 64  # files read in one worker-thread pass, then stored and sent together
FOLDER_RETRY = 5.0  # seconds between looks for a watched folder that does not exist (yet)
HOLD_AT_MOST = 900.0  # seconds a held file waits for its call to end
MAX_BACKOFF = 60.0


class InboxSource(Source):
    """Watches the inbox folders; emits ``InboxLoaded``, ``InboxUpdated`` and ``InboxRemoved``
    (and ``SourceStatus``) through the engine's emit."""

    kind = "inbox"

    def __init__(
        self,
        settings: InboxConfig,
        emit: InboxEmit,
        *,
        watches: Sequence[Watch],
        index: InboxIndex,
        archive: Path,
        name: str = "inbox",
        clock: Callable[[], float] = time.time,
        reader: TagReader = read_tags,
    ) -> None:
        super().__init__(emit, clock)
        self.name = name
        self.settings = settings
        self.watches = tuple(watches)
        self.index = index
        self.archive_folder = archive
        self._send = emit
        self._reader = reader
        self._items: dict[str, InboxItem] = {}
        self._dirty: set[str] = set()  # paths a watcher named, to be looked at
        self._pending: dict[str, tuple[Stamp, float]] = {}  # not read yet: stamp, since (monotonic)
        self._now: set[str] = set()  # to be read at once: the call that wrote them is over
        self._held: dict[str, float] = {}  # written by a live call: until (monotonic)
        self._rescan = True
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()  # one at a time: a pass over files, or an action
        self._ready = asyncio.Event()
        self._stop_watching = threading.Event()
        self._in_flight: set[asyncio.Future[Any]] = set()
        self._folder_problems: list[str] = []
        self._polling: set[str] = set()  # folders where inotify failed
        self._progress = ""

    # --- running ------------------------------------------------------------------------------

    async def run(self) -> None:
        backoff = 1.0
        while True:
            try:
                await self._run()
            except (sqlite3.Error, OSError) as exc:
                problem = f"inbox index {self.index.path}: {exc}"
            except Exception as exc:  # a bug must not stop the inbox for good
                log.exception("inbox source failed")
                problem = f"internal error: {exc.__class__.__name__}"
            retry = self._clock() + backoff
            self.report(LinkState.DOWN, f"{problem}; retrying in {backoff:g} s", problem="inbox",
                        retry_at=retry)  # fmt: skip
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def _run(self) -> None:
        self.report(LinkState.CONNECTING, "loading the inbox index")
        items = await self._thread(self.index.load_all)
        self._items = {item.path: item for item in items}
        self._pending.clear()
        self._rescan = True
        self._send([InboxLoaded(tuple(items))])
        self._ready.set()
        self._stop_watching = threading.Event()
        folders: dict[str, bool] = {}
        for watch in self.watches:
            folders[watch.folder] = folders.get(watch.folder, False) or watch.recursive
        watchers = [asyncio.create_task(self._watch(f, r)) for f, r in folders.items()]
        try:
            await self._loop()
        finally:
            self._stop_watching.set()
            for task in watchers:
                task.cancel()
            await asyncio.gather(*watchers, return_exceptions=True)

    async def stop(self) -> None:
        self._stop_watching.set()
        await super().stop()
        # A pass in a worker thread finishes the file it is on; then the index can be closed.
        await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _thread(self, function: Callable[..., T], *args: object) -> T:
        """``function(*args)`` in a worker thread; a cancelled caller does not abandon it."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(None, functools.partial(function, *args))
        self._in_flight.add(future)
        future.add_done_callback(self._in_flight.discard)
        return await asyncio.shield(future)

    async def _loop(self) -> None:
        quiet = self.settings.quiet
        next_rescan = 0.0
        while True:
            if self._rescan or (self.settings.rescan and time.monotonic() >= next_rescan):
                self._rescan = False
                await self._scan()
                next_rescan = time.monotonic() + self.settings.rescan
            if self._dirty:
                dirty, self._dirty = self._dirty, set()
                await self._look(dirty)
            now = time.monotonic()
            for path, until in list(self._held.items()):
                if until <= now:
                    del self._held[path]
            due = [
                path
                for path, (_, since) in self._pending.items()
                if now - since >= quiet and path not in self._held
            ]
            if due:
                await self._read(due)
                continue
            self._report()
            waits = [since + quiet - now for p, (_, since) in self._pending.items()
                     if p not in self._held]  # fmt: skip
            waits += [until - now for until in self._held.values()]
            if self.settings.rescan:
                waits.append(next_rescan - now)
            self._wake.clear()
            if not self._dirty and not self._rescan:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), max(0.05, min(waits, default=3600)))

    async def _scan(self) -> None:
        """Compare every file in the folders with the index."""
        known = tuple(self._items.values())
        found, fresh, gone = await self._thread(self._find, known)
        self._folder_problems = sorted(found.problems)
        await self._gone(gone)
        await self._consider(fresh)

    def _find(self, known: tuple[InboxItem, ...]) -> tuple[scan.Found, dict[str, Stamp], list[str]]:
        found = scan.find(self.watches)
        fresh, gone = scan.changed(known, found, self.watches)
        return found, fresh, gone

    async def _look(self, paths: set[str]) -> None:
        """Look at the files a watcher named: gone, changed, or as they were."""
        stamps = await self._thread(lambda: {p: scan.stamp(p) for p in paths})
        await self._gone([p for p, s in stamps.items() if s is None])
        await self._consider({p: s for p, s in stamps.items() if s is not None})

    async def _consider(self, stamps: dict[str, Stamp]) -> None:
        """Queue files to be read once still; show the ones still being written."""
        wall, now, quiet = self._clock(), time.monotonic(), self.settings.quiet
        receiving = []
        for path, stamp in stamps.items():
            item = self._items.get(path)
            at_once = path in self._now
            self._now.discard(path)
            if scan.settled(item, stamp):
                self._pending.pop(path, None)
                continue
            previous = self._pending.get(path)
            if previous is not None and previous[0] == stamp and not at_once:
                continue
            # Unchanged for the quiet time already (an old file, or one moved in) is complete.
            still = at_once or wall - stamp.mtime_ns / 1e9 >= quiet
            self._pending[path] = (stamp, now - quiet if still else now)
            if not still or path in self._held:
                base = item or InboxItem(path, 0, 0, InboxState.RECEIVING)
                receiving.append(scan.receiving(base, stamp))
        if receiving:
            async with self._lock:
                stored = await self._thread(self.index.upsert, receiving)
            self._publish(stored)

    async def _gone(self, paths: Sequence[str]) -> None:
        for path in paths:
            self._pending.pop(path, None)
        missing, dropped = scan.split_gone(self._items, paths)
        if not missing and not dropped:
            return
        async with self._lock:
            stored = await self._thread(self.index.mark_missing, missing, GONE)
            await self._thread(self.index.remove, dropped)
        self._publish(stored, dropped)

    async def _read(self, paths: list[str]) -> None:
        """Read the tags of files that kept still, a chunk at a time."""
        shown = 0.0
        for start in range(0, len(paths), CHUNK):
            jobs = []
            for path in paths[start : start + CHUNK]:
                if path in self._pending:
                    stamp, _ = self._pending.pop(path)
                    jobs.append((path, stamp, self._items.get(path)))
            if len(paths) > CHUNK and time.monotonic() - shown > 0.5:
                shown = time.monotonic()
                self._progress = f"reading {start:,} of {len(paths):,} new or changed files"
                self._report()
            async with self._lock:
                result = await self._thread(scan.read_files, self.index, jobs, self._reader)
            now = time.monotonic()
            for path, stamp in result.changing.items():
                self._pending[path] = (stamp, now)
            for item in result.stored:
                if item.state is InboxState.RECEIVING:  # it changed while it was read
                    self._pending[item.path] = (Stamp(item.size, item.mtime_ns), now)
            self._publish(result.stored, result.removed)
            await self._gone(result.vanished)
        self._progress = ""

    def _publish(self, items: Sequence[InboxItem], removed: Sequence[str] = ()) -> None:
        for path in removed:
            self._items.pop(path, None)
        for item in items:
            self._items[item.path] = item
        events: list[FaxEvent | InboxEvent] = []
        if removed:
            events.append(InboxRemoved(tuple(removed)))
        if items:
            events.append(InboxUpdated(tuple(items)))
        if events:
            self._send(events)

    # --- watching -----------------------------------------------------------------------------

    async def _watch(self, folder: str, recursive: bool) -> None:
        """Hand the paths watchfiles reports under ``folder`` to the loop, until stopped."""
        watches = [w for w in self.watches if w.folder == folder]

        def wanted(_change: Change, path: str) -> bool:
            return any(w.matches(path) for w in watches)

        polling = self.settings.polling
        stop = self._stop_watching
        pause = 1.0
        while not stop.is_set():
            if not await self._thread(os.path.isdir, folder):
                await asyncio.sleep(FOLDER_RETRY)
                if await self._thread(os.path.isdir, folder):
                    self._request_rescan()  # it appeared: what is in it already?
                continue
            try:
                async for changes in awatch(
                    folder,
                    watch_filter=wanted,
                    recursive=recursive,
                    force_polling=polling,
                    poll_delay_ms=1000,
                    stop_event=stop,
                    rust_timeout=1000,
                    # watchfiles then ignores every error adding a watch, a full inotify table
                    # too: only where one unreadable subfolder must not blind the whole watch
                    ignore_permission_denied=recursive,
                ):
                    self._dirty.update(path for _, path in changes)
                    self._wake.set()
                    pause = 1.0
            except Exception as group:  # awatch's task group wraps what the watcher raised
                exc = _first(group)
                if isinstance(exc, FileNotFoundError):  # the folder went away
                    self._request_rescan()
                    continue
                if not polling and _cannot_notify(exc):
                    log.warning("inbox: cannot watch %s with inotify (%s); polling", folder, exc)
                    polling = True
                    self._polling.add(folder)
                else:
                    # e.g. a file name that is not UTF-8, which the watcher gives up on, or a
                    # folder faxtui may not read: the rescan finds the file or names the folder.
                    log.info("inbox: the watcher on %s stopped (%s); rescanning", folder, exc)
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, 30.0)
                self._request_rescan()

    def _request_rescan(self) -> None:
        self._rescan = True
        self._wake.set()

    def _report(self) -> None:
        count = len({w.folder for w in self.watches})
        words = f"watching {count} folder{'s' if count != 1 else ''}"
        if self._polling or (self.settings.polling and count):
            words += " (polling)"
        if self._progress:
            words += f"; {self._progress}"
        if self._folder_problems:
            problems = self._folder_problems
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            self.report(LinkState.DEGRADED, f"{words}; {problems[0]}{more}", problem="folder")
        else:
            self.report(LinkState.UP, words)

    # --- what the engine and the operator can do ---------------------------------------------

    def hold(self, path: str) -> None:
        """A live call is writing ``path``: keep it "receiving" until :meth:`link_call` (or
        :data:`HOLD_AT_MOST` seconds), however long the pauses between its pages."""
        self._held[path] = time.monotonic() + HOLD_AT_MOST
        self._dirty.add(path)
        self._wake.set()

    async def link_call(
        self, path: str, call_id: str, remote_number: str = "", station_id: str = ""
    ) -> InboxItem | None:
        """The call ``call_id`` wrote ``path`` and is over: link them, and read the file now."""
        self._held.pop(path, None)
        item = await self._update(self.index.link_call, path, call_id, remote_number, station_id)
        self._now.add(path)
        self._dirty.add(path)
        self._wake.set()
        return item

    async def mark_read(self, path: str, read: bool = True) -> InboxItem | None:
        return await self._update(self.index.mark_read, path, read)

    async def set_note(self, path: str, note: str) -> InboxItem | None:
        return await self._update(self.index.set_note, path, note)

    async def forget(self, path: str) -> bool:
        """Drop a ``missing`` row, once the operator has seen that the file is gone."""
        await self._ready.wait()
        async with self._lock:
            item = self._items.get(path)
            if item is None or item.state is not InboxState.MISSING:
                return False
            await self._thread(self.index.remove, [path])
        self._publish([], [path])
        return True

    async def archive(self, path: str) -> Path:
        """Move the file into the archive folder; ``actions.ActionError`` says why not."""
        await self._ready.wait()
        async with self._lock:
            item = self._items.get(path)
            if item is not None and item.state is InboxState.RECEIVING:
                raise actions.ActionError(f"{path}: still being received")
            target, stamp = await self._thread(self._archive, path)
            self._pending.pop(path, None)
            moved = []
            if item is not None and stamp and any(w.matches(str(target)) for w in self.watches):
                # The archive is watched too: the row goes along with the file.
                facts = replace(item, path=str(target), size=stamp.size, mtime_ns=stamp.mtime_ns)
                moved.append(await self._thread(self.index.rename, path, facts))
            else:
                await self._thread(self.index.remove, [path])
        self._publish(moved, [path])
        return target

    def _archive(self, path: str) -> tuple[Path, Stamp | None]:
        target = actions.archive(path, self.archive_folder)
        return target, scan.stamp(str(target))

    async def export(
        self, path: str, folder: Path, kind: Literal["pdf", "png"]
    ) -> actions.Exported:
        """The file's pages as one PDF or as PNGs in ``folder``, never over a file;
        ``actions.ActionError`` says why not."""
        export = actions.export_pdf if kind == "pdf" else actions.export_png
        return await self._thread(export, path, folder)

    async def _update(
        self, change: Callable[..., InboxItem | None], path: str, *args: object
    ) -> InboxItem | None:
        await self._ready.wait()
        async with self._lock:
            item = await self._thread(change, path, *args)
        if item is not None:
            self._publish([item])
        return item


def _first(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _cannot_notify(exc: BaseException) -> bool:
    """Whether inotify could not be had (no inotify, or its limits reached)."""
    if isinstance(exc, PermissionError):
        return False
    return isinstance(exc, OSError) or "creating" in str(exc).lower()
