"""A running engine, reached through its socket: the same API as an in-process Engine.

The TUI and the commands use it when `faxtui serve` runs. It keeps a mirror of the engine's
state, fed by the change stream, so ``snapshot()`` answers at once; when the engine goes
away the header says so (a source named "engine"), and it comes back by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from pathlib import Path
from typing import Any

from faxtui import wire
from faxtui.engine import Command, CommandResult
from faxtui.model import (
    Call,
    CallChange,
    Change,
    Health,
    HealthChange,
    InboxChange,
    InboxItem,
    Job,
    JobChange,
    LinkState,
    RawEvent,
    Resync,
    Snapshot,
    SourceChange,
    SourceState,
)
from faxtui.service import LINE_LIMIT
from faxtui.store import RECENT_CALLS, RECENT_JOBS, Subscription

log = logging.getLogger(__name__)

REPLY_TIMEOUT = 30.0
MAX_BACKOFF = 10.0


class EngineGone(ConnectionError):
    pass


class _Mirror:
    """The engine's state as the change stream tells it."""

    def __init__(self) -> None:
        self.calls: dict[str, Call] = {}
        self.finished: deque[str] = deque()
        self.sources: dict[str, SourceState] = {}
        self.health: Health | None = None
        self.jobs: dict[int, Job] = {}
        self.inbox: dict[str, InboxItem] = {}
        self.read_only = False
        self._subscribers: set[Subscription] = set()

    def load(self, snapshot: Snapshot) -> None:
        self.calls = {c.id: c for c in snapshot.calls}
        self.finished = deque(c.id for c in snapshot.calls if c.ended is not None)
        self.sources = {s.name: s for s in snapshot.sources}
        self.health = snapshot.health
        self.jobs = {j.id: j for j in snapshot.jobs}
        self.inbox = {i.path: i for i in snapshot.inbox}
        self.read_only = snapshot.read_only

    def apply(self, changes: list[Change]) -> None:
        for change in changes:
            match change:
                case CallChange(call=call):
                    if call.ended is not None and call.id not in self.finished:
                        self.finished.append(call.id)
                        while len(self.finished) > RECENT_CALLS:
                            self.calls.pop(self.finished.popleft(), None)
                    self.calls[call.id] = call
                case SourceChange(state=state):
                    self.sources[state.name] = state
                case HealthChange(health=health):
                    self.health = health
                case JobChange(job=job):
                    self.jobs.pop(job.id, None)
                    self.jobs[job.id] = job
                    done = [i for i, j in self.jobs.items() if j.state.final]
                    for job_id in done[: max(0, len(done) - RECENT_JOBS)]:
                        del self.jobs[job_id]
                case InboxChange(items=items, removed=removed, replace=replace):
                    if replace:
                        self.inbox.clear()
                    self.inbox.update((i.path, i) for i in items)
                    for path in removed:
                        self.inbox.pop(path, None)
        self.publish(changes)

    def publish(self, changes: list[Change]) -> None:
        for sub in list(self._subscribers):
            sub._put(changes)

    def snapshot(self) -> Snapshot:
        return Snapshot(
            calls=tuple(self.calls.values()),
            sources=tuple(self.sources.values()),
            health=self.health,
            read_only=self.read_only,
            jobs=tuple(sorted(self.jobs.values(), key=lambda j: j.id)),
            inbox=tuple(sorted(self.inbox.values(), key=lambda i: -i.received)),
        )


class RemoteEngine:
    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self._mirror = _Mirror()
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._next_id = 0
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._resyncing: asyncio.Future[None] | None = None
        self._reading: asyncio.Task[None] | None = None

    @property
    def modems(self) -> tuple[str, ...]:
        return ()  # the serving engine drives them, and goes on without this TUI

    # --- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect (raises EngineGone if nobody serves the socket) and keep connected."""
        await self._connect()
        self._task = asyncio.create_task(self._keep_connected(), name="remote engine")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._close()
        for sub in list(self._mirror._subscribers):
            sub.close()

    async def _connect(self) -> None:
        try:
            reader, self._writer = await asyncio.wait_for(
                asyncio.open_unix_connection(str(self.path), limit=LINE_LIMIT), 5
            )
        except (OSError, TimeoutError) as exc:
            raise EngineGone(f"{self.path}: no faxtui engine ({exc})") from None
        reading = asyncio.create_task(self._read(reader))
        try:
            hello = await self._ask({"op": "hello", "read_only": self.read_only})
            self.read_only = bool(hello.get("read_only"))
            await self._ask({"op": "subscribe"})  # first: nothing after the snapshot is lost
            data = await self._ask({"op": "snapshot"})
        except BaseException:
            reading.cancel()
            self._close()
            raise
        self._reading = reading
        self._mirror.load(wire.snapshot_in(data["snapshot"]))
        self._mirror.read_only = self.read_only
        self._connected.set()

    async def _keep_connected(self) -> None:
        backoff = 1.0
        while True:
            assert self._reading is not None
            await self._reading
            self._connected.clear()
            self._close()
            self._report(LinkState.DOWN, f"the faxtui engine at {self.path} went away")
            while True:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                try:
                    await self._connect()
                except EngineGone:
                    continue
                break
            backoff = 1.0
            self._mirror.publish([Resync("engine reconnected")])
            self._report(LinkState.UP, f"reconnected to {self.path}")

    def _report(self, state: LinkState, message: str) -> None:
        news = SourceState("engine", "engine", state, message, "engine", time.time())
        self._mirror.apply([SourceChange(news)])

    def _close(self) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(EngineGone("the faxtui engine went away"))
        self._pending.clear()
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    async def _read(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(ConnectionError, ValueError):
            while line := await reader.readline():
                message = json.loads(line)
                if "changes" in message:
                    try:
                        changes = [wire.change_in(c) for c in message["changes"]]
                    except (wire.WireError, KeyError, TypeError, ValueError) as exc:
                        log.error("bad change from the engine: %s", exc)
                        continue
                    self._apply(changes)
                    continue
                future = self._pending.pop(message.get("id", -1), None)
                if future is not None and not future.done():
                    future.set_result(message)

    def _apply(self, changes: list[Change]) -> None:
        if any(isinstance(c, Resync) for c in changes):
            # the engine dropped changes for us: fetch its state again, then carry on
            self._resyncing = asyncio.ensure_future(self._resync())
            return
        self._mirror.apply(changes)

    async def _resync(self) -> None:
        with contextlib.suppress(EngineGone, TimeoutError):
            data = await self._ask({"op": "snapshot"})
            self._mirror.load(wire.snapshot_in(data["snapshot"]))
            self._mirror.read_only = self.read_only
            self._mirror.publish([Resync("overflow")])

    async def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        if self._writer is None:
            raise EngineGone("not connected to the faxtui engine")
        self._next_id += 1
        request = {"id": self._next_id, **request}
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[self._next_id] = future
        self._writer.write(json.dumps(request).encode() + b"\n")
        await self._writer.drain()
        reply = await asyncio.wait_for(future, REPLY_TIMEOUT)
        if "error" in reply:
            raise EngineGone(f"the engine says: {reply['error']}")
        return reply

    # --- the API ----------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        return self._mirror.snapshot()

    def subscribe(self) -> Subscription:
        sub = Subscription(self._mirror)  # type: ignore[arg-type]
        self._mirror._subscribers.add(sub)
        return sub

    async def command(self, command: Command) -> CommandResult:
        try:
            reply = await self._ask({"op": "command", "command": wire.command_out(command)})
        except (EngineGone, TimeoutError) as exc:
            return CommandResult(False, str(exc) or "the faxtui engine did not answer")
        return wire.result_in(reply["result"])

    async def history(self, text: str = "", limit: int = 500) -> list[Call]:
        reply = await self._ask({"op": "history", "text": text, "limit": limit})
        return [Call.from_dict(c) for c in reply["calls"]]

    async def call_events(self, call_id: str) -> list[RawEvent]:
        reply = await self._ask({"op": "call_events", "call_id": call_id})
        return [wire.raw_in(e) for e in reply["events"]]
