"""The Asterisk source: panoramisk, wrapped so that its known traps stay in this file.

panoramisk 1.4 (reference section 8) is used for what it does well: framing actions, matching
replies to actions and completing list actions. This module takes over what it does not:
- login is ours (MD5 challenge by default), with a clear outcome instead of a silent loop;
- reconnection is ours, backing off to 30 s, with a state and a message for every failure;
- a new Manager per connection, so an unanswered action is never replayed after a reconnect
  (an Originate that may have run must not send a fax twice);
- the greeting is checked (a host that is not AMI says so), UTF-8 is decoded incrementally;
- event handlers never raise into panoramisk; FAXSession/FAXStats are sent so they complete;
- liveness is checked with our own Ping and a deadline;
- Shutdown is reported as such; everything is created inside the running loop.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import hashlib
import logging
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from panoramisk.ami_protocol import AMIProtocol
from panoramisk.manager import Manager
from panoramisk.message import Message

from faxtui.config import AmiServer
from faxtui.model import FaxEvent, LinkState
from faxtui.sources.ami_map import AmiMapper, Fields, text
from faxtui.sources.base import Emit, Source
from faxtui.text import plain

log = logging.getLogger(__name__)

GREETING = "Asterisk Call Manager/"
MAX_BACKOFF = 30.0
FULLY_BOOTED_WAIT = 10.0
MAX_MESSAGE = 1 << 20  # a "message" this long is not AMI
EVENT_CLASSES = "system,call,dialplan"  # FullyBooted/Shutdown; channels and fax; Newexten/VarSet


class AmiProblem(Exception):
    """A connection failure with a code and words for the operator."""

    def __init__(self, problem: str, message: str, *, after_login: bool = False) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message
        self.after_login = after_login  # the connection worked before this: back-off restarts


class _Protocol(AMIProtocol):
    """AMIProtocol with a checked greeting, incremental UTF-8 and errors kept inside."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.greeting: asyncio.Future[str] = loop.create_future()
        self.lost: asyncio.Future[str] = loop.create_future()
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._buffer = ""
        self.closed = False

    def data_received(self, data: bytes) -> None:
        chunk = self._decoder.decode(data)
        if not self.greeting.done():
            self._buffer += chunk
            line, newline, rest = self._buffer.partition("\n")
            if not newline:
                if len(self._buffer) > 512:
                    self.greeting.set_result(self._buffer[:80])
                return
            self.greeting.set_result(line.rstrip("\r"))
            self._buffer, chunk = "", rest
            if not line.startswith(GREETING):
                return
        self._buffer += chunk
        if len(self._buffer) > MAX_MESSAGE:
            self._buffer = ""
            self._fail("an AMI message longer than 1 MiB")
            return
        *complete, self._buffer = self._buffer.split("\r\n\r\n")
        for block in complete:
            block = block.strip()
            event = parse_event(block)
            if event is not None:
                self.factory.dispatch_fields(event)
                continue
            message = Message.from_line(block)
            if message is None:
                continue
            try:
                self.handle_message(message)
            except Exception:  # panoramisk's own matching must not take the connection down
                log.exception("panoramisk could not handle %s", plain(message.get("Event", "?")))

    def _fail(self, why: str) -> None:
        if not self.lost.done():
            self.lost.set_result(why)
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.closed:
            return
        self.closed = True
        if self.transport is not None:
            self.transport.close()  # panoramisk calls this itself on Shutdown, socket still open
        why = "the server closed the connection"
        if isinstance(exc, Message):  # panoramisk passes the Shutdown event itself
            shutdown = text(exc, "Shutdown") or "?"
            restart = text(exc, "Restart") or "?"
            why = f"Asterisk is shutting down (Shutdown: {shutdown}, Restart: {restart})"
        elif exc is not None:
            why = f"connection lost ({exc})"
        if not self.greeting.done():
            self.greeting.set_result("")
        if not self.lost.done():
            self.lost.set_result(why)
        if self.factory is not None:
            self.factory.connection_lost(exc)


def parse_event(block: str) -> Fields | None:
    """An unsolicited event, parsed straight into the mapper's Fields; None for anything
    panoramisk must see: replies and list events of its actions (ActionID, CommandID),
    Shutdown (it closes the connection), and whatever is not an event.

    Events are nearly all the traffic, and panoramisk would build a Message with a
    case-insensitive dict for each (most of the bare client's time) only to hand it on.
    Lines are split as panoramisk's ``Message.from_line`` splits them; a repeated header
    keeps its lines in the order they came (panoramisk gathers them).
    """
    if not block.startswith("Event: "):
        return None
    event = Fields(line.partition(": ")[::2] for line in block.split("\r\n") if ": " in line)
    if "actionid" in event or "commandid" in event or text(event, "Event").lower() == "shutdown":
        return None
    return event


def fields(message: Message) -> Fields:
    """The mapper's view of a panoramisk Message."""
    lines: list[tuple[str, str]] = []
    for key, value in message._store.values():
        if key != "content":
            lines.extend((key, v) for v in (value if isinstance(value, list) else (value,)))
    return Fields(lines)


class _Manager(Manager):
    """One connection's panoramisk Manager, with reconnection and replay switched off."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_event: Callable[[Fields], None],
    ) -> None:
        super().__init__(loop=loop, log=log.getChild("panoramisk"))
        self.callbacks.clear()  # drop the FullyBooted hook that replays pending actions
        self.patterns.clear()
        self._on_event = on_event

    def attach(self, protocol: _Protocol) -> None:
        self.protocol = protocol
        protocol.factory = self
        protocol.log = self.log
        protocol.config = self.config
        protocol.encoding = self.encoding = "utf-8"
        self.responses = protocol.responses
        self._connected = True

    def dispatch(self, event: Message) -> list[str]:
        """panoramisk's way in, for the events ``parse_event`` leaves to it."""
        self.dispatch_fields(fields(event))
        return []

    def dispatch_fields(self, event: Fields) -> None:
        try:
            self._on_event(event)
        except Exception:
            log.exception("error while mapping AMI event %s", plain(event.get("Event", "?")))

    def connection_lost(self, exc: Any) -> None:
        """Fail every pending action: nothing is replayed on the next connection."""
        self._connected = False
        for action in list(self.responses.values()):
            if not action.future.done():
                action.future.set_exception(ConnectionError("AMI connection lost"))
        self.responses.clear()
        self.awaiting_actions.clear()


@dataclass
class Reply:
    ok: bool
    message: str
    messages: list[Message]


class AmiConnection:
    """One TCP session with one Asterisk: greeting, login, actions."""

    def __init__(self, server: AmiServer, on_event: Callable[[Fields], None]) -> None:
        self.server = server
        self.version = ""
        self.fully_booted: asyncio.Event = asyncio.Event()
        self._on_event = on_event
        loop = asyncio.get_running_loop()
        self.manager = _Manager(loop, self._event)
        self.protocol: _Protocol | None = None

    def _event(self, event: Fields) -> None:
        if event.get("Event") == "FullyBooted":
            self.fully_booted.set()
        self._on_event(event)

    @property
    def where(self) -> str:
        return f"{self.server.host}:{self.server.port}"

    async def open(self) -> None:
        """Connect and log in, or raise AmiProblem."""
        loop = asyncio.get_running_loop()
        timeout = self.server.connect_timeout
        try:
            async with asyncio.timeout(timeout):
                _, protocol = await loop.create_connection(
                    lambda: _Protocol(loop), self.server.host, self.server.port
                )
        except TimeoutError:
            raise AmiProblem(
                "timeout",
                f"no answer from {self.where} within {timeout:g} s (host down or "
                "a firewall dropping packets?)",
            ) from None
        except ConnectionRefusedError:
            raise AmiProblem(
                "refused",
                f"connection refused by {self.where} (is Asterisk running, and is "
                "AMI enabled in manager.conf with this port?)",
            ) from None
        except socket.gaierror as exc:
            raise AmiProblem(
                "dns", f"cannot resolve {self.server.host!r}: {exc.strerror}"
            ) from None
        except OSError as exc:
            raise AmiProblem("network", f"cannot connect to {self.where}: {exc.strerror}") from None
        assert isinstance(protocol, _Protocol)
        self.protocol = protocol
        self.manager.attach(protocol)
        try:
            async with asyncio.timeout(timeout):
                greeting = await protocol.greeting
        except TimeoutError:
            self.close()
            raise AmiProblem(
                "not-ami",
                f"{self.where} sent no AMI greeting within {timeout:g} s: "
                "is this the AMI port (manager.conf, usually 5038)?",
            ) from None
        if not greeting.startswith(GREETING):
            self.close()
            said = f"it said {plain(greeting[:60])!r}" if greeting else "it closed at once"
            raise AmiProblem("not-ami", f"{self.where} is not an AMI server ({said})")
        self.version = greeting[len(GREETING) :].strip()
        try:
            await self._login()
        except TimeoutError:
            raise AmiProblem(
                "timeout", f"{self.where} did not answer the login: Asterisk overloaded or hung?"
            ) from None
        except ConnectionError:
            raise AmiProblem("auth", f"{self.where} closed the connection during login") from None

    async def _login(self) -> None:
        # The secret is never kept in a local variable: crash reports may print locals.
        user = self.server.username
        login: dict[str, str] = {"Action": "Login", "Username": user, "Events": EVENT_CLASSES}
        if self.server.auth == "md5":
            reply = await self.action({"Action": "Challenge", "AuthType": "MD5"})
            challenge = reply.messages[0].get("Challenge", "") if reply.ok else ""
            if not challenge:
                raise AmiProblem(
                    "auth",
                    f"{self.where} refused the MD5 challenge ({reply.message}); "
                    'set auth = "plain" for this server',
                )
            key = hashlib.md5((challenge + self.server.secret.reveal()).encode()).hexdigest()
            login.update(AuthType="MD5", Key=key)
        else:
            login["Secret"] = self.server.secret.reveal()
        # Asterisk answers a bad login after 1 s and then closes.
        reply = await self.action(login, timeout=self.server.connect_timeout + 2)
        login.clear()
        if not reply.ok:
            raise AmiProblem(
                "auth",
                f"login as {user!r} refused: {reply.message or 'no reason given'} "
                "(check username and secret against manager.conf)",
            )

    async def action(
        self,
        action: dict[str, Any],
        *,
        as_list: bool | None = None,
        timeout: float | None = None,
    ) -> Reply:
        """Send an action and wait for its reply (a list for list actions).

        Leave ``as_list`` as None for list actions: panoramisk then recognises the list from
        its ack, and an error reply still completes (with as_list=True it never would).
        Raises ConnectionError if the connection is gone and TimeoutError on no reply.
        """
        if self.protocol is None or self.protocol.closed:
            raise ConnectionError("AMI connection is closed")
        future = self.manager.send_action(dict(action), as_list=as_list)
        async with asyncio.timeout(timeout or self.server.ping_timeout * 2):
            result = await future
        messages = result if isinstance(result, list) else [result]
        first = messages[0]
        ok = first.get("Response") in ("Success", "Follows", "Goodbye")
        return Reply(ok, plain(first.get("Message", "")), messages)

    async def wait_closed(self) -> str:
        assert self.protocol is not None
        return await self.protocol.lost

    def close(self) -> None:
        if self.protocol is not None and self.protocol.transport is not None:
            self.protocol.transport.close()


class AmiSource(Source):
    """Keeps one Asterisk server connected and turns its events into FaxEvents."""

    kind = "ami"

    def __init__(
        self,
        server: AmiServer,
        emit: Emit,
        *,
        clock: Callable[[], float] = time.time,
        watch_channels: Sequence[str] = (),
    ) -> None:
        super().__init__(self._gather, clock)
        self._deliver = emit
        self._gathered: list[FaxEvent] = []
        self.server = server
        self.name = server.name
        self.mapper = AmiMapper(
            server.name, fax_exten=server.fax_exten, watch_channels=watch_channels
        )
        self.connection: AmiConnection | None = None
        self._wake = asyncio.Event()
        self._background: set[asyncio.Future[None]] = set()

    # --- life cycle -------------------------------------------------------------------------

    async def stop(self) -> None:
        await super().stop()
        if self.connection is not None:
            self.connection.close()
        self._hand_over()

    def _gather(self, events: Sequence[FaxEvent]) -> None:
        """Hand events on once per turn of the event loop, in order.

        One read from the socket holds a hundred messages or more; taken together, the store
        counts each call's raw events once and its subscribers wake once.
        """
        if not events:
            return
        if not self._gathered:
            asyncio.get_running_loop().call_soon(self._hand_over)
        self._gathered.extend(events)

    def _hand_over(self) -> None:
        events, self._gathered = self._gathered, []
        if events:
            self._deliver(events)

    def reconnect_now(self) -> None:
        """Skip the rest of the back-off wait (the operator asked for it)."""
        self._wake.set()

    async def run(self) -> None:
        backoff = 1.0
        while True:
            self.report(LinkState.CONNECTING, f"connecting to {self._where}")
            try:
                await self._session()
                problem = AmiProblem("closed", "connection closed", after_login=True)
            except AmiProblem as exc:
                problem = exc
            except Exception as exc:  # a bug must not stop the retries
                log.exception("AMI source %s failed", self.name)
                problem = AmiProblem("error", f"internal error: {exc.__class__.__name__}")
            finally:
                if self.connection is not None:
                    self.connection.close()
                    self.connection = None
            if self.mapper.has_active_faxes():
                self._emit(self.mapper.connection_lost(self._clock()))
            if problem.after_login:
                backoff = 1.0
            retry_at = self._clock() + backoff
            self.report(
                LinkState.DOWN,
                f"{problem.message}; retrying in {backoff:g} s",
                problem=problem.problem,
                retry_at=retry_at,
            )
            await self._pause(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def _pause(self, seconds: float) -> None:
        """Wait out the back-off, or less if the operator asks to reconnect now."""
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()

    @property
    def _where(self) -> str:
        return f"{self.server.host}:{self.server.port}"

    # --- one connection ---------------------------------------------------------------------

    async def _session(self) -> None:
        conn = AmiConnection(self.server, self._on_event)
        self.connection = conn
        await conn.open()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(FULLY_BOOTED_WAIT):
                await conn.fully_booted.wait()
        await self._resync_and_report(conn)
        try:
            reason = await self._watch(conn)
        except AmiProblem as exc:
            exc.after_login = True
            raise
        problem = "shutdown" if "shutting down" in reason else "closed"
        raise AmiProblem(problem, reason, after_login=True)

    async def _resync_and_report(self, conn: AmiConnection) -> None:
        warnings = await self._resync(conn)
        if not conn.fully_booted.is_set():
            warnings.insert(
                0,
                f"no FullyBooted within {FULLY_BOOTED_WAIT:g} s: give the AMI "
                "user read=system (or Asterisk is still starting)",
            )
        where = f"Asterisk at {self._where} (AMI {conn.version})"
        if warnings:
            self.report(
                LinkState.DEGRADED, "; ".join(warnings), problem="permissions", detail=where
            )
        else:
            self.report(LinkState.UP, f"connected to {where}", detail=where)

    async def _watch(self, conn: AmiConnection) -> str:
        """Run the connection's chores until it closes; return why it closed."""
        lost = asyncio.ensure_future(conn.wait_closed())
        chores = [
            asyncio.ensure_future(self._pinger(conn)),
            asyncio.ensure_future(self._poller(conn)),
            asyncio.ensure_future(self._ticker()),
            asyncio.ensure_future(self._late_boot(conn)),
        ]
        pending: set[asyncio.Future[Any]] = {lost, *chores}
        try:
            while lost in pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done - {lost}:
                    exc = task.exception()
                    if isinstance(exc, ConnectionError):
                        return lost.result() if lost.done() else "connection closed"
                    if exc is not None:
                        raise exc
        finally:
            for task in (lost, *chores):
                task.cancel()
            await asyncio.gather(lost, *chores, return_exceptions=True)
        return lost.result()

    async def _late_boot(self, conn: AmiConnection) -> None:
        """Asterisk finished starting after we logged in: resync, clear the warning."""
        if not conn.fully_booted.is_set():
            await conn.fully_booted.wait()
            await self._resync_and_report(conn)

    def _on_event(self, event: Fields) -> None:
        now = self._clock()
        events = self.mapper.feed(event, now)
        if events:
            self._emit(events)
        for uniqueid, channel in self.mapper.take_getvar_requests():
            task = asyncio.ensure_future(self._read_fax_vars(uniqueid, channel))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _resync(self, conn: AmiConnection) -> list[str]:
        """Find what is active now: CoreShowChannels, then FAXSessions."""
        warnings: list[str] = []
        self.mapper.begin_resync()
        now = self._clock()
        for action, need in (
            ("CoreShowChannels", "write=reporting"),
            ("FAXSessions", "write=call"),
        ):
            try:
                reply = await conn.action({"Action": action}, timeout=10)
            except (TimeoutError, ConnectionError):
                warnings.append(f"{action} got no reply")
                continue
            if not reply.ok:
                warnings.append(f"{action} refused ({reply.message}): the AMI user needs {need}")
                continue
            for message in reply.messages[1:]:
                self._on_event(fields(message))
        self._emit(self.mapper.end_resync(now))
        return warnings

    async def _pinger(self, conn: AmiConnection) -> None:
        while True:
            await asyncio.sleep(self.server.ping_interval)
            try:
                await conn.action({"Action": "Ping"}, timeout=self.server.ping_timeout)
            except TimeoutError:
                raise AmiProblem(
                    "ping-timeout",
                    f"no reply to Ping within {self.server.ping_timeout:g} s: "
                    "the connection is dead",
                ) from None

    async def _poller(self, conn: AmiConnection) -> None:
        """FAXSessions and FAXSession once a poll interval while a fax is active."""
        while True:
            await asyncio.sleep(self.server.poll_interval)
            if not self.mapper.has_active_faxes():
                continue
            with contextlib.suppress(TimeoutError):
                reply = await conn.action({"Action": "FAXSessions"}, timeout=5)
                if reply.ok:
                    for message in reply.messages[1:]:
                        self._on_event(fields(message))
            for number in self.mapper.active_sessions():
                # as_list=False: the ack completes the action and the FAXSession event
                # that follows is dispatched as an event (panoramisk trap 1).
                with contextlib.suppress(TimeoutError):
                    await conn.action(
                        {"Action": "FAXSession", "SessionNumber": str(number)},
                        as_list=False,
                        timeout=5,
                    )

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            events = self.mapper.tick(self._clock())
            if events:
                self._emit(events)

    async def _read_fax_vars(self, uniqueid: str, channel: str) -> None:
        conn = self.connection
        found: dict[str, str] = {}
        if conn is not None:
            for name in ("FAXSTATUS", "FAXERROR", "FAXSTATUSSTRING"):
                try:
                    reply = await conn.action(
                        {"Action": "Getvar", "Channel": channel, "Variable": name}, timeout=5
                    )
                except (TimeoutError, ConnectionError):
                    break
                if reply.ok:
                    found[name] = text(reply.messages[0], "Value")
        self._emit(self.mapper.apply_vars(uniqueid, found, self._clock()))

    # --- sending (the queue's Asterisk sender) ----------------------------------------------

    async def originate_sendfax(
        self, *, uniqueid: str, number: str, tiff: str, timeout: float
    ) -> Reply:
        """Originate SendFAX of ``tiff`` (a path as Asterisk sees it) to ``number``.

        The channel gets ``uniqueid`` (ChannelId), so the call is known from its first event.
        Returns the ack and the OriginateResponse, which comes when the dial ends (answer or
        failure); the fax's own outcome comes later, as events of that call. Sent once: an
        Originate is never repeated after a reconnect (it may have run).
        """
        server = self.server
        conn = self.connection
        if conn is None:
            raise ConnectionError("AMI is not connected")
        data = tiff + (f",{server.sendfax_options}" if server.sendfax_options else "")
        variables = [
            f"FAXOPT({name})={value}"
            for name, value in (
                ("localstationid", server.send_station_id),
                ("headerinfo", server.send_header),
            )
            if value
        ]
        action: dict[str, str | list[str]] = {
            "Action": "Originate",
            "Channel": server.send_channel.replace("{number}", number),
            "Application": "SendFAX",
            "Data": data,
            "Timeout": str(int(timeout * 1000)),
            "ChannelId": uniqueid,
            "Async": "true",  # without it panoramisk 1.4 drops the connection (trap 3)
        }
        if server.send_caller_id:
            action["CallerID"] = server.send_caller_id
        if variables:
            action["Variable"] = variables
        self.mapper.expect_send(uniqueid, number)
        reply = await conn.action(action, timeout=timeout + 30)
        if len(reply.messages) > 1:  # panoramisk kept our OriginateResponse: map it too
            self._on_event(fields(reply.messages[-1]))
        return reply

    async def hangup(self, channel: str) -> bool:
        conn = self.connection
        if conn is None:
            return False
        try:
            reply = await conn.action(
                {"Action": "Hangup", "Channel": channel, "Cause": "16"}, timeout=5
            )
        except (TimeoutError, ConnectionError):
            return False
        return reply.ok
