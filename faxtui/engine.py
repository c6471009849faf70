"""The engine: owns the sources and the store; the one API of the UI and the CLI.

``snapshot()`` is the state now, ``subscribe()`` the changes from then on (in batches),
``command()`` asks for something to be done. The TUI, ``watch`` and the other commands use only
this API, whether the engine runs in-process or (later) behind a Unix socket.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from faxtui.config import Config
from faxtui.model import Call, FaxEvent, RawEvent, Snapshot
from faxtui.sources.ami import AmiSource
from faxtui.sources.health import HealthSource
from faxtui.store import Store, Subscription, read_history, read_history_events

log = logging.getLogger(__name__)


class Source(Protocol):
    name: str

    def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Reconnect:
    """Retry a source's connection now instead of waiting out its back-off."""

    source: str = ""  # "" = every source


Command = Reconnect


@dataclass(frozen=True, slots=True)
class CommandResult:
    ok: bool
    message: str
    data: Any = None


class Engine:
    def __init__(
        self,
        config: Config,
        *,
        read_only: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.read_only = read_only
        self._clock = clock
        self.store: Store | None = None
        self.sources: list[Source] = []
        self._ami: dict[str, AmiSource] = {}

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.store = Store(self.config.history_db, defer=loop.call_soon)
        for server in self.config.ami:
            source = AmiSource(server, self._emit, clock=self._clock)
            self._ami[server.name] = source
            self.sources.append(source)
        self.sources.append(HealthSource(self.config.health, self._emit, clock=self._clock))
        for each in self.sources:
            each.start()

    async def stop(self) -> None:
        await asyncio.gather(*(s.stop() for s in self.sources), return_exceptions=True)
        if self.store is not None:
            self.store.close()

    async def __aenter__(self) -> Engine:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _emit(self, events: Sequence[FaxEvent]) -> None:
        assert self.store is not None
        self.store.apply_many(events)

    # --- the API --------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        assert self.store is not None, "start() the engine first"
        return self.store.snapshot(read_only=self.read_only)

    def subscribe(self) -> Subscription:
        assert self.store is not None, "start() the engine first"
        return self.store.subscribe()

    async def command(self, command: Command) -> CommandResult:
        match command:
            case Reconnect(source=name):
                targets = [s for n, s in self._ami.items() if name in ("", n)]
                if not targets:
                    return CommandResult(False, f"no AMI server named {name!r}")
                for source in targets:
                    source.reconnect_now()
                return CommandResult(True, f"reconnecting {', '.join(s.name for s in targets)}")
        return CommandResult(False, f"unknown command {command!r}")

    async def history(self, text: str = "", limit: int = 500) -> list[Call]:
        """Finished calls, newest first, from the history database."""
        if self.store is not None:
            self.store.flush()
        return await asyncio.to_thread(read_history, self.config.history_db, text, limit)

    async def call_events(self, call_id: str) -> list[RawEvent]:
        """The raw events of a call: from memory while recent, else from history."""
        assert self.store is not None
        events = self.store.raw_events(call_id)
        if events is not None:
            return events
        return await asyncio.to_thread(read_history_events, self.config.history_db, call_id)
