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
from pathlib import Path
from typing import Any, Protocol

from faxtui.config import Config
from faxtui.documents.pages import DocumentError, load_pages
from faxtui.model import Call, FaxEvent, RawEvent, Snapshot
from faxtui.sources.ami import AmiSource
from faxtui.sources.health import HealthSource
from faxtui.sources.modem.source import ModemSource
from faxtui.store import Store, Subscription, read_history, read_history_events
from faxtui.t30.dis import Resolution
from faxtui.t30.engine import Finished

log = logging.getLogger(__name__)


class Source(Protocol):
    name: str

    def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Reconnect:
    """Retry a source's connection now instead of waiting out its back-off."""

    source: str = ""  # "" = every source


@dataclass(frozen=True, slots=True)
class SendFax:
    """Send documents (TIFF, PBM, PNG files) to a number now, through a fax modem."""

    number: str
    files: tuple[str, ...]
    via: str = ""  # a [[modem]] name; "" = the first one that is free
    resolution: str = "fine"  # or "standard"


Command = Reconnect | SendFax


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
        self._modems: dict[str, ModemSource] = {}
        self._calls_in_flight: set[asyncio.Future[Finished]] = set()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.store = Store(self.config.history_db, defer=loop.call_soon)
        for server in self.config.ami:
            source = AmiSource(server, self._emit, clock=self._clock)
            self._ami[server.name] = source
            self.sources.append(source)
        for modem in self.config.modems:
            modem_source = ModemSource(
                modem, self._emit, inbox=self.config.inbox, clock=self._clock
            )
            self._modems[modem.name] = modem_source
            self.sources.append(modem_source)
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
            case SendFax():
                return await self._send_fax(command)
        return CommandResult(False, f"unknown command {command!r}")

    async def _send_fax(self, command: SendFax) -> CommandResult:
        if self.read_only:
            return CommandResult(False, "read-only: this faxtui does not send faxes")
        if command.via and command.via not in self._modems:
            return CommandResult(False, f"no modem named {command.via!r}")
        candidates = [self._modems[command.via]] if command.via else list(self._modems.values())
        if not candidates:
            return CommandResult(False, "no [[modem]] is configured to send with")
        source = next((m for m in candidates if not m.busy), candidates[0])
        try:
            documents = await asyncio.to_thread(
                lambda: [load_pages(Path(f)) for f in command.files]
            )
        except DocumentError as exc:
            return CommandResult(False, str(exc))
        resolution = Resolution.STANDARD if command.resolution == "standard" else Resolution.FINE
        done = source.send(command.number, documents, resolution)
        self._calls_in_flight.add(done)
        done.add_done_callback(self._calls_in_flight.discard)
        pages = sum(len(d) for d in documents)
        return CommandResult(True, f"sending {pages} page(s) to {command.number} via {source.name}")

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
