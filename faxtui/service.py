"""`faxtui serve`: the engine's API on a Unix socket, for any number of TUIs and commands.

The socket's mode and group decide who may connect (for example the fax group); a client
may ask to be read-only, and a read-only server refuses every command that changes things.
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import json
import logging
import os
import socket
from pathlib import Path
from typing import Any

from faxtui import wire
from faxtui.engine import Engine, Reconnect
from faxtui.store import Subscription

log = logging.getLogger(__name__)

LINE_LIMIT = 1 << 20  # a request longer than this is not one of ours


class ServiceError(Exception):
    """The socket cannot be served; the message says what to do."""


def engine_running(path: Path) -> bool:
    """Someone accepts connections on ``path`` (a stale socket file does not count)."""
    if not path.is_socket():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


class EngineServer:
    def __init__(
        self,
        engine: Engine,
        path: Path,
        *,
        mode: int = 0o660,
        group: str = "",
        read_only: bool = False,
    ) -> None:
        self.engine = engine
        self.path = path
        self.mode = mode
        self.group = group
        self.read_only = read_only
        self._server: asyncio.AbstractServer | None = None
        self._clients: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        if engine_running(self.path):
            raise ServiceError(f"{self.path}: a faxtui engine is serving there already")
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # left by an engine that died
        self.path.parent.mkdir(parents=True, exist_ok=True)
        gid = -1
        if self.group:
            try:
                gid = grp.getgrnam(self.group).gr_gid
            except KeyError:
                raise ServiceError(f"socket_group {self.group!r}: no such group") from None
        old = os.umask(0o177)  # nobody may connect before the mode below is set
        try:
            self._server = await asyncio.start_unix_server(
                self._serve_client, path=str(self.path), limit=LINE_LIMIT
            )
        finally:
            os.umask(old)
        try:
            if gid >= 0:
                os.chown(self.path, -1, gid)
            os.chmod(self.path, self.mode)
        except OSError as exc:
            raise ServiceError(f"{self.path}: cannot set owner or mode ({exc.strerror})") from None

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._clients):
            task.cancel()
        await asyncio.gather(*self._clients, return_exceptions=True)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _serve_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients.add(task)
        client = _Client(self, reader, writer)
        try:
            await client.run()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._clients.discard(task)
            await client.close()


class _Client:
    def __init__(
        self, server: EngineServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.engine = server.engine
        self.reader = reader
        self.writer = writer
        self.read_only = server.read_only or self.engine.read_only
        self._subscription: Subscription | None = None
        self._pushing: asyncio.Task[None] | None = None
        self._write_lock = asyncio.Lock()

    async def run(self) -> None:
        while True:
            try:
                line = await self.reader.readline()
            except ValueError:  # longer than LINE_LIMIT
                await self.send({"error": "request too long"})
                return
            if not line:
                return
            try:
                request = json.loads(line)
                if not isinstance(request, dict):
                    raise ValueError("not an object")
            except ValueError as exc:
                await self.send({"error": f"not a JSON object: {exc}"})
                continue
            reply = await self.answer(request)
            await self.send({"id": request.get("id"), **reply})

    async def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        try:
            if op == "hello":
                self.read_only = self.read_only or bool(request.get("read_only"))
                return {"protocol": wire.PROTOCOL, "read_only": self.read_only}
            if op == "snapshot":
                snapshot = self.engine.snapshot()
                data = wire.snapshot_out(snapshot)
                data["read_only"] = self.read_only
                return {"snapshot": data}
            if op == "subscribe":
                self._subscribe()
                return {"subscribed": True}
            if op == "command":
                command = wire.command_in(request.get("command") or {})
                if self.read_only and not isinstance(command, Reconnect):
                    return {"result": {"ok": False, "message": "read-only: commands refused"}}
                result = await self.engine.command(command)
                return {"result": wire.result_out(result)}
            if op == "history":
                calls = await self.engine.history(
                    str(request.get("text", "")), int(request.get("limit", 500))
                )
                return {"calls": [c.to_dict() for c in calls]}
            if op == "call_events":
                events = await self.engine.call_events(str(request.get("call_id", "")))
                return {"events": [wire.raw_out(e) for e in events]}
        except wire.WireError as exc:
            return {"error": str(exc)}
        return {"error": f"unknown op {op!r}"}

    def _subscribe(self) -> None:
        if self._subscription is None:
            self._subscription = self.engine.subscribe()
            self._pushing = asyncio.create_task(self._push(self._subscription))

    async def _push(self, subscription: Subscription) -> None:
        """The changes, as they come; a slow client gets a Resync (from the subscription)."""
        with contextlib.suppress(ConnectionError):
            async for batch in subscription:
                await self.send({"changes": [wire.change_out(c) for c in batch]})

    async def send(self, message: dict[str, Any]) -> None:
        async with self._write_lock:
            self.writer.write(json.dumps(message).encode() + b"\n")
            await self.writer.drain()

    async def close(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
        if self._pushing is not None:
            self._pushing.cancel()
            await asyncio.gather(self._pushing, return_exceptions=True)
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()
