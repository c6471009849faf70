"""The engine: owns the sources and the store; the one API of the UI and the CLI.

``snapshot()`` is the state now, ``subscribe()`` the changes from then on (in batches),
``command()`` asks for something to be done. The TUI, ``watch`` and the other commands use only
this API, whether the engine runs in-process or (later) behind a Unix socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from faxtui.config import Config

if TYPE_CHECKING:
    from faxtui.service import EngineServer
from faxtui.inbox.actions import ActionError
from faxtui.inbox.index import InboxIndex, InboxIndexError
from faxtui.model import Call, CallChange, Direction, FaxEvent, Job, RawEvent, Snapshot
from faxtui.queue.runner import NewJob, Queue, QueueError
from faxtui.queue.senders.asterisk import AsteriskSender
from faxtui.queue.senders.modem import ModemSender
from faxtui.sources.ami import AmiSource
from faxtui.sources.health import HealthSource
from faxtui.sources.modem.source import ModemSource
from faxtui.sources.spool import InboxSource
from faxtui.store import Store, Subscription, read_history, read_history_events
from faxtui.text import plain

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
    """Queue documents (any the documents package reads) for a number."""

    number: str
    files: tuple[str, ...]
    via: str = ""  # "" any sender, "modem", "asterisk", or a sender's name
    resolution: str = ""  # "fine" or "standard"; "" = the queue's default
    cover: str = ""  # the cover page's subject; a cover goes first if it or a note is given
    priority: int = 0
    owner: str = ""
    note: str = ""  # the cover page's note


JOB_ACTIONS = ("cancel", "hold", "release", "retry", "resend")


@dataclass(frozen=True, slots=True)
class JobCommand:
    """One of JOB_ACTIONS on some jobs; each job gets its own answer."""

    action: str
    ids: tuple[int, ...]


INBOX_ACTIONS = ("read", "unread", "note", "archive", "export-pdf", "export-png", "forget")


@dataclass(frozen=True, slots=True)
class InboxCommand:
    """One of INBOX_ACTIONS on received faxes (by path); ``value``: the note, or the folder
    to export to."""

    action: str
    paths: tuple[str, ...]
    value: str = ""


Command = Reconnect | SendFax | JobCommand | InboxCommand


@dataclass(frozen=True, slots=True)
class CommandResult:
    ok: bool
    message: str
    data: Any = None


class EngineApi(Protocol):
    """What the TUI and the commands use: an Engine here, or a RemoteEngine on its socket."""

    read_only: bool

    @property
    def modems(self) -> tuple[str, ...]:
        """The modems this process drives: their calls end when it does."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def snapshot(self) -> Snapshot: ...

    def subscribe(self) -> Subscription: ...

    async def command(self, command: Command) -> CommandResult: ...

    async def history(self, text: str = "", limit: int = 500) -> list[Call]: ...

    async def call_events(self, call_id: str) -> list[RawEvent]: ...


class Engine:
    def __init__(
        self,
        config: Config,
        *,
        read_only: bool = False,
        connect: bool = True,
        socket: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``read_only``: watch only: no modems opened (a watcher must not take the port or
        answer), no calls placed, no command that changes anything. ``connect=False``: the
        store and the queue only, no sources and no senders (the commands that change the
        queue without a running engine). ``socket``: serve the API there too, while this
        engine is the one sending the queue, so `faxtui send` and friends reach it."""
        self.config = config
        self.read_only = read_only
        self.connect = connect
        self.socket = socket
        self._server: EngineServer | None = None
        self._clock = clock
        self.store: Store | None = None
        self.sources: list[Source] = []
        self._ami: dict[str, AmiSource] = {}
        self._modems: dict[str, ModemSource] = {}
        self.queue: Queue | None = None
        self.inbox: InboxSource | None = None
        self._linker: asyncio.Task[None] | None = None

    @property
    def modems(self) -> tuple[str, ...]:
        return tuple(self._modems)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.store = Store(self.config.history_db, defer=loop.call_soon)
        self.queue = Queue(self.config, self.store, self._emit, clock=self._clock)
        if not self.connect:
            await self.queue.start(send=not self.read_only)
            return
        for server in self.config.ami:
            source = AmiSource(server, self._emit, clock=self._clock)
            self._ami[server.name] = source
            self.sources.append(source)
        for modem in () if self.read_only else self.config.modems:
            modem_source = ModemSource(
                modem, self._emit, inbox=self.config.inbox, clock=self._clock
            )
            self._modems[modem.name] = modem_source
            self.sources.append(modem_source)
        self.sources.append(HealthSource(self.config.health, self._emit, clock=self._clock))
        inboxes = self.config.inboxes
        self.inbox = InboxSource(
            inboxes, self._emit, watches=inboxes.watches(self.config),
            index=InboxIndex(self.config.data_dir), archive=inboxes.archive_folder(self.config),
            clock=self._clock,
        )  # fmt: skip
        self.sources.append(self.inbox)
        self._linker = asyncio.create_task(self._link_received(self.store.subscribe()))
        for each in self.sources:
            each.start()
        self.queue.senders = [
            *(ModemSender(m, self.queue.calls) for m in self._modems.values()),
            *(AsteriskSender(a, self.queue.calls) for a in self._ami.values() if a.server.can_send),
        ]
        await self.queue.start(send=not self.read_only)
        if self.socket is not None and self.queue.sending:
            from faxtui.service import EngineServer, ServiceError, engine_running

            if not engine_running(self.socket):
                serving = EngineServer(self, self.socket, mode=self.config.serve.mode,
                                      group=self.config.serve.group)  # fmt: skip
                try:
                    await serving.start()
                    self._server = serving
                except ServiceError as exc:
                    log.warning("not serving the engine's socket: %s", exc)

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop()
        if self._linker is not None:
            self._linker.cancel()
        if self.queue is not None:
            await self.queue.stop()
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

    async def _link_received(self, subscription: Subscription) -> None:
        """A received fax's file belongs to its call: held while the call runs, then linked."""
        inbox = self.inbox
        assert inbox is not None
        async for batch in subscription:
            for change in batch:
                if not isinstance(change, CallChange) or change.call.direction is not Direction.IN:
                    continue
                call = change.call
                for path in call.files:
                    if not any(w.matches(path) for w in inbox.watches):
                        continue  # on the PBX's disk, or not a folder faxtui watches
                    if call.ended is None:
                        inbox.hold(path)
                    else:
                        with contextlib.suppress(InboxIndexError, OSError):
                            await inbox.link_call(path, call.id, call.remote_number,
                                                  call.remote_station_id)  # fmt: skip

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
            case SendFax() | JobCommand() | InboxCommand() if self.read_only:
                return CommandResult(False, "read-only: this faxtui changes nothing")
            case InboxCommand():
                return await self._inbox_command(command)
            case SendFax():
                return await self._send(command)
            case JobCommand(action=action, ids=ids):
                return await self._job_command(action, ids)
        return CommandResult(False, f"unknown command {command!r}")

    async def _send(self, command: SendFax) -> CommandResult:
        assert self.queue is not None
        new = NewJob(command.number, command.files, command.via, command.resolution,
                     command.cover, command.priority, command.owner, command.note)  # fmt: skip
        try:
            job = await self.queue.submit(new)
        except QueueError as exc:
            return CommandResult(False, str(exc))
        where = "" if self.queue.sending else " (another faxtui engine sends this queue)"
        text = f"job {job.id}: {job.pages} page(s) to {job.number} queued{where}"
        return CommandResult(True, text, job)

    async def _job_command(self, action: str, ids: tuple[int, ...]) -> CommandResult:
        assert self.queue is not None
        if action not in JOB_ACTIONS:
            return CommandResult(False, f"unknown job action {action!r}")
        if not ids:
            return CommandResult(False, "no jobs given")
        done: list[Job] = []
        problems: list[str] = []
        for job_id in ids:
            try:
                if action == "resend":
                    done.append(await self.queue.resend(job_id))
                else:
                    done.append(getattr(self.queue, action)(job_id))
            except QueueError as exc:
                problems.append(str(exc))
        verb = {"cancel": "cancelling", "hold": "held", "release": "released",
                "retry": "retrying", "resend": "resent as"}[action]  # fmt: skip
        parts = [f"{verb} " + ", ".join(f"job {j.id}" for j in done)] if done else []
        return CommandResult(not problems, "; ".join(parts + problems), tuple(done))

    async def _inbox_command(self, command: InboxCommand) -> CommandResult:
        inbox = self.inbox
        if inbox is None:
            return CommandResult(False, "no inbox in this faxtui (it only queues)")
        if command.action not in INBOX_ACTIONS:
            return CommandResult(False, f"unknown inbox action {command.action!r}")
        done: list[str] = []
        problems: list[str] = []
        for path in command.paths:
            name = plain(Path(path).name)
            try:
                match command.action:
                    case "read" | "unread":
                        await inbox.mark_read(path, command.action == "read")
                    case "note":
                        await inbox.set_note(path, command.value)
                    case "archive":
                        target = await inbox.archive(path)
                        name = f"{name} to {plain(str(target.parent))}"
                    case "export-pdf" | "export-png":
                        kind: Literal["pdf", "png"] = (
                            "pdf" if command.action == "export-pdf" else "png"
                        )
                        folder = await asyncio.to_thread(_expand, command.value or ".")
                        exported = await inbox.export(path, folder, kind)
                        name = ", ".join(plain(str(p)) for p in exported.paths)
                        if exported.problem:
                            problems.append(plain(exported.problem))
                    case "forget":
                        if not await inbox.forget(path):
                            problems.append(f"{name}: only a missing file can be forgotten")
                            continue
            except (ActionError, InboxIndexError, OSError) as exc:
                problems.append(plain(str(exc)))
                continue
            done.append(name)
        verb = {"read": "marked read", "unread": "marked unread", "note": "noted",
                "archive": "archived", "export-pdf": "exported", "export-png": "exported",
                "forget": "forgot"}[command.action]  # fmt: skip
        parts = [f"{verb}: " + "; ".join(done)] if done else []
        return CommandResult(not problems, "; ".join(parts + problems), tuple(done))

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


def _expand(folder: str) -> Path:
    return Path(folder).expanduser()
