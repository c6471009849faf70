"""An AMI server that behaves like Asterisk 20-23, to the field.

It follows ../shared/reference/asterisk-ami.md (section 9 is the checklist): the greeting
without a blank line, Login in plain text or with an MD5 challenge, a failed login answered
after one second and then closed, event classes per session, list actions with their exact
acks (FAXSessions says ``EventList: Start``), FAXSession/FAXStats as an ack plus one event,
async Originate with OriginateResponse, Command, and Shutdown.

Behind it sits a small model of a PBX: channels with the standard channel block, fax sessions
with their counters, and scenarios (faxtui/sim/scenarios.py) that drive them with the event
sequences of real fax calls. Run it alone:

    python -m faxtui.sim.ami_server --port 5038 --scenario inbound-t38 --loop
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import hashlib
import logging
import random
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

AMI_VERSIONS = {"20": "9.0.0", "21": "10.0.0", "22": "11.0.0", "23": "12.0.0"}
CRLF = "\r\n"

# main/manager.c perms[]: the event and permission classes, by bit
CLASSES = {
    "system": 1 << 0,
    "call": 1 << 1,
    "log": 1 << 2,
    "verbose": 1 << 3,
    "command": 1 << 4,
    "agent": 1 << 5,
    "user": 1 << 6,
    "config": 1 << 7,
    "dtmf": 1 << 8,
    "reporting": 1 << 9,
    "cdr": 1 << 10,
    "dialplan": 1 << 11,
    "originate": 1 << 12,
    "agi": 1 << 13,
    "cc": 1 << 14,
    "aoc": 1 << 15,
    "test": 1 << 16,
    "security": 1 << 17,
    "message": 1 << 18,
}
ALL = sum(CLASSES.values())

STATE_DESC = [
    "Down",
    "Rsrvd",
    "OffHook",
    "Dialing",
    "Ring",
    "Ringing",
    "Up",
    "Busy",
    "Dialing Offhook",
    "Pre-ring",
]

# Q.850 causes as ast_cause2str() words them
CAUSE_TEXT = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    21: "Call Rejected",
    34: "Circuit/channel congestion",
    38: "Network out of order",
}


def mask(words: str) -> int:
    """A class list such as ``system,call`` (or on/off/a number) as a bit mask."""
    words = words.strip().lower()
    if words in ("on", "all", ""):
        return ALL
    if words == "off":
        return 0
    if words.isdigit():
        return int(words)
    return sum(CLASSES.get(w.strip(), 0) for w in words.split(","))


def privilege(bits: int) -> str:
    names = [name for name, bit in CLASSES.items() if bits & bit]
    return ",".join([*names, "all"])


@dataclass
class SimUser:
    secret: str
    read: int = ALL
    write: int = ALL


@dataclass
class SimChannel:
    name: str
    uniqueid: str
    linkedid: str
    state: int = 0
    caller_num: str = ""
    caller_name: str = ""
    connected_num: str = ""
    connected_name: str = ""
    context: str = "default"
    exten: str = "s"
    priority: int = 1
    created: float = field(default_factory=time.time)
    app: str = ""
    appdata: str = ""
    vars: dict[str, str] = field(default_factory=dict)

    def block(self) -> list[tuple[str, str]]:
        """The standard channel block, in Asterisk's order (manager_channels.c)."""
        return [
            ("Channel", self.name),
            ("ChannelState", str(self.state)),
            ("ChannelStateDesc", STATE_DESC[self.state] if self.state < 10 else "Unknown"),
            ("CallerIDNum", self.caller_num or "<unknown>"),
            ("CallerIDName", self.caller_name or "<unknown>"),
            ("ConnectedLineNum", self.connected_num or "<unknown>"),
            ("ConnectedLineName", self.connected_name or "<unknown>"),
            ("Language", "en"),
            ("AccountCode", ""),
            ("Context", self.context),
            ("Exten", self.exten),
            ("Priority", str(self.priority)),
            ("Uniqueid", self.uniqueid),
            ("Linkedid", self.linkedid),
        ]


@dataclass
class SimFaxSession:
    number: int
    channel: SimChannel
    operation: str  # "receive" or "send"
    transport: str = "G.711"  # or "T.38"
    state: str = "Initialized"
    ecm: bool = True
    rate: int = 0
    resolution: str = "0x0"
    pages_done: int = 0
    bad_lines: int = 0
    files: list[str] = field(default_factory=list)


def render(lines: Iterable[tuple[str, str]]) -> str:
    return "".join(f"{k}: {v}{CRLF}" for k, v in lines) + CRLF


class _Session:
    """One client connection."""

    def __init__(
        self, sim: AmiSimulator, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ):
        self.sim = sim
        self.reader = reader
        self.writer = writer
        self.user: SimUser | None = None
        self.username = ""
        self.events = 0
        self.challenge = ""

    def wants(self, bits: int) -> bool:
        return self.user is not None and (self.events & bits) == bits

    def write(self, data: str) -> None:
        if not self.writer.is_closing():
            self.writer.write(data.encode("utf-8"))

    def reply(
        self,
        action: dict[str, str | list[str]],
        response: str,
        *extra: tuple[str, str],
        message: str | None = None,
        eventlist: str = "",
    ) -> None:
        lines = [("Response", response)]
        if "ActionID" in action:
            lines.append(("ActionID", str(action["ActionID"])))
        if eventlist:
            lines.append(("EventList", eventlist))
        if message is not None:
            lines.append(("Message", message))
        lines.extend(extra)
        self.write(render(lines))

    async def serve(self) -> None:
        self.write(f"Asterisk Call Manager/{self.sim.ami_version}{CRLF}")
        try:
            while not self.writer.is_closing():
                action = await self._read_action()
                if action is None:
                    break
                if not await self.sim.handle(self, action):
                    break
                await self.writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.sim.sessions.discard(self)
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()

    async def _read_action(self) -> dict[str, str | list[str]] | None:
        action: dict[str, str | list[str]] = {}
        while True:
            line = await self.reader.readline()
            if not line:
                return None
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            if not text:
                if action:
                    return action
                continue
            key, sep, value = text.partition(":")
            if not sep:
                continue
            key, value = key.strip(), value.strip()
            if key in action:
                old = action[key]
                action[key] = [*old, value] if isinstance(old, list) else [old, value]
            else:
                action[key] = value


def _one(action: dict[str, str | list[str]], key: str) -> str:
    """A header of an action, case-insensitively (Asterisk's astman_get_header)."""
    for k, v in action.items():
        if k.lower() == key.lower():
            return v[0] if isinstance(v, list) else v
    return ""


ActionHandler = Callable[[_Session, dict[str, str | list[str]]], Awaitable[bool]]
Scenario = Callable[["AmiSimulator"], Awaitable[None]]


class AmiSimulator:
    """The server and its PBX model."""

    def __init__(
        self,
        *,
        users: dict[str, SimUser] | None = None,
        asterisk: str = "20",
        statusevents: bool = True,
        timestampevents: bool = False,
        speed: float = 1.0,
        seed: int | None = None,
        fully_booted: bool = True,
        routes: dict[str, str] | None = None,
        fax_dir: Path | None = None,
    ) -> None:
        """``fax_dir``: write each received fax there as a real fax TIFF (as ReceiveFAX
        does), named in ReceiveFAX's FileName; without it, names only."""
        self.users = users if users is not None else {"faxtui": SimUser("faxtui")}
        self.fax_dir = fax_dir
        self.ami_version = AMI_VERSIONS[asterisk]
        self.statusevents = statusevents
        self.timestampevents = timestampevents
        self.speed = speed
        self.random = random.Random(seed)
        self.fully_booted = fully_booted
        self.routes = dict(routes or {})
        self.started = time.time()
        self.sessions: set[_Session] = set()
        self.channels: dict[str, SimChannel] = {}
        self.fax_sessions: dict[int, SimFaxSession] = {}
        self.stats = {
            "TransmitAttempts": 0,
            "ReceiveAttempts": 0,
            "CompletedFAXes": 0,
            "FailedFAXes": 0,
        }
        self.shutting_down = False
        self.muted = False  # True: answer nothing and send no events (a frozen Asterisk)
        self.auth_failure_delay = 1.0
        self.received: collections.Counter[str] = collections.Counter()  # actions, by name
        self.actions: list[dict[str, str | list[str]]] = []  # the first 10,000, as sent
        self._seq = 0
        self._chan_seq = 0x10
        self._fax_seq = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._serving: set[asyncio.Task[None]] = set()
        self.port = 0
        self._handlers: dict[str, ActionHandler] = {
            "login": self._login,
            "challenge": self._challenge,
            "logoff": self._logoff,
            "ping": self._ping,
            "events": self._events,
            "coreshowchannels": self._coreshowchannels,
            "faxsessions": self._faxsessions,
            "faxsession": self._faxsession,
            "faxstats": self._faxstats,
            "getvar": self._getvar,
            "originate": self._originate,
            "command": self._command,
            "hangup": self._hangup,
        }

    # --- server -----------------------------------------------------------------------------

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, *, sock: socket.socket | None = None
    ) -> int:
        """Listen on host:port (0 = any free port), or on an already bound ``sock``."""
        if sock is not None:
            self._server = await asyncio.start_server(self._accept, sock=sock)
        else:
            self._server = await asyncio.start_server(self._accept, host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        self.shutting_down = False
        return self.port

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = _Session(self, reader, writer)
        self.sessions.add(session)
        serving = asyncio.current_task()
        assert serving is not None
        self._serving.add(serving)
        try:
            await session.serve()
        finally:
            self._serving.discard(serving)

    async def stop(self) -> None:
        """Close the listener, every session and every running scenario."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.stop_listening()

    async def stop_listening(self) -> None:
        """Drop every client and stop listening; the PBX and its calls go on (``start`` again)."""
        if self._server is not None:
            self._server.close()
            for session in list(self.sessions):
                session.writer.close()
            await asyncio.gather(*self._serving, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def shutdown(self, *, clean: bool = True, restart: bool = False) -> None:
        """Asterisk stopping: a Shutdown event to system listeners, then every socket closes."""
        self.shutting_down = True
        self.event(
            "Shutdown",
            "system",
            [
                ("Shutdown", "Cleanly" if clean else "Uncleanly"),
                ("Restart", "True" if restart else "False"),
            ],
        )
        await asyncio.sleep(0)
        await self.stop()

    def run(self, scenario: Scenario) -> asyncio.Task[None]:
        """Start a scenario in the background."""
        task = asyncio.ensure_future(scenario(self))
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("scenario failed", exc_info=task.exception())

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.speed)

    # --- events ---------------------------------------------------------------------------

    def event(self, name: str, klass: str, body: list[tuple[str, str]]) -> None:
        if self.muted:
            return
        bits = mask(klass)
        lines = [("Event", name), ("Privilege", privilege(bits))]
        if self.timestampevents:
            lines.append(("Timestamp", f"{time.time():.6f}"))
        data = render([*lines, *body])
        for session in self.sessions:
            if session.wants(bits):
                session.write(data)

    def channel_event(
        self, name: str, klass: str, chan: SimChannel, body: Iterable[tuple[str, str]] = ()
    ) -> None:
        self.event(name, klass, [*chan.block(), *body])

    # --- the PBX model used by scenarios ------------------------------------------------------

    def uniqueid(self) -> str:
        self._seq += 1
        return f"{int(self.started)}.{self._seq}"

    def new_channel(
        self,
        name: str,
        *,
        state: int = 0,
        linkedid: str = "",
        caller_num: str = "",
        caller_name: str = "",
        connected_num: str = "",
        context: str = "default",
        exten: str = "s",
        uniqueid: str = "",
    ) -> SimChannel:
        uid = uniqueid or self.uniqueid()
        chan = SimChannel(
            name=name,
            uniqueid=uid,
            linkedid=linkedid or uid,
            state=state,
            caller_num=caller_num,
            caller_name=caller_name,
            connected_num=connected_num,
            context=context,
            exten=exten,
        )
        self.channels[uid] = chan
        self.channel_event("Newchannel", "call", chan)
        return chan

    def channel_name(self, tech: str, endpoint: str) -> str:
        self._chan_seq += 1
        return f"{tech}/{endpoint}-{self._chan_seq:08x}"

    def newstate(self, chan: SimChannel, state: int) -> None:
        chan.state = state
        self.channel_event("Newstate", "call", chan)

    def newexten(
        self,
        chan: SimChannel,
        app: str,
        data: str = "",
        *,
        exten: str | None = None,
        context: str | None = None,
        priority: int | None = None,
    ) -> None:
        if exten is not None:
            chan.exten = exten
        if context is not None:
            chan.context = context
        chan.priority = priority if priority is not None else chan.priority + 1
        chan.app, chan.appdata = app, data
        self.channel_event(
            "Newexten",
            "dialplan",
            chan,
            [("Extension", chan.exten), ("Application", app), ("AppData", data)],
        )

    def setvar(self, chan: SimChannel, name: str, value: str | None) -> None:
        """pbx_builtin_setvar_helper: a VarSet for every set, and for deleting a set variable."""
        if value is None or value == "":
            if chan.vars.pop(name, None) is None and value is None:
                return
            value = ""
        else:
            chan.vars[name] = value
        self.channel_event("VarSet", "dialplan", chan, [("Variable", name), ("Value", value)])

    def dial(
        self, event: str, caller: SimChannel | None, dest: SimChannel, *extra: tuple[str, str]
    ) -> None:
        """DialBegin/DialState/DialEnd: the caller's block (none for an Originate), then Dest."""
        body = caller.block() if caller is not None else []
        body += [(f"Dest{k}", v) for k, v in dest.block()]
        self.event(event, "call", [*body, *extra])

    def local_bridge(self, one: SimChannel, two: SimChannel) -> None:
        body = [(f"LocalOne{k}", v) for k, v in one.block()]
        body += [(f"LocalTwo{k}", v) for k, v in two.block()]
        body += [("Context", two.context), ("Exten", two.exten), ("LocalOptimization", "Yes")]
        self.event("LocalBridge", "call", body)

    def hangup_request(self, chan: SimChannel, cause: int = 16) -> None:
        self.channel_event("HangupRequest", "call", chan, [("Cause", str(cause))])

    def hangup(self, chan: SimChannel, cause: int = 16) -> None:
        self.channels.pop(chan.uniqueid, None)
        self.channel_event(
            "Hangup",
            "call",
            chan,
            [("Cause", str(cause)), ("Cause-txt", CAUSE_TEXT.get(cause, "Unknown"))],
        )

    def fax_session(self, chan: SimChannel, operation: str, transport: str) -> SimFaxSession:
        self._fax_seq += 1
        session = SimFaxSession(self._fax_seq, chan, operation, transport)
        self.fax_sessions[session.number] = session
        return session

    def fax_status(
        self, chan: SimChannel, operation: str, status: str, local_id: str, files: list[str]
    ) -> None:
        if self.statusevents:
            body = [("Operation", operation), ("Status", status), ("LocalStationID", local_id)]
            body += [("FileName", f) for f in files]
            self.channel_event("FAXStatus", "call", chan, body)

    # --- actions --------------------------------------------------------------------------

    async def handle(self, session: _Session, action: dict[str, str | list[str]]) -> bool:
        """Answer one action; False closes the connection."""
        name = _one(action, "Action")
        self.received[name.lower()] += 1
        if len(self.actions) < 10_000:
            self.actions.append(dict(action))
        if self.muted:
            return True  # a hung server: the socket stays open, nothing answers
        if not name:
            session.reply(action, "Error", message="Missing action in request")
            return True
        key = name.lower()
        if self.shutting_down:
            session.reply(action, "Error", message="Asterisk is shutting down")
            return True
        if session.user is None and key not in ("login", "logoff", "challenge"):
            session.reply(action, "Error", message="Permission denied")
            return True
        handler = self._handlers.get(key)
        if handler is None:
            session.reply(
                action,
                "Error",
                message=f"Invalid/unknown command: {name}. "
                "Use Action: ListCommands to show available commands.",
            )
            return True
        needed = _WRITE_CLASS.get(key, 0)
        if needed and session.user is not None and not session.user.write & needed:
            session.reply(action, "Error", message="Permission denied")
            return True
        return await handler(session, action)

    async def _login(self, session: _Session, action: dict[str, str | list[str]]) -> bool:
        if session.user is not None:
            session.reply(action, "Success", message="Already authenticated")
            return True
        username = _one(action, "Username")
        user = self.users.get(username)
        ok = False
        if user is not None:
            if _one(action, "AuthType").lower() == "md5":
                expected = hashlib.md5((session.challenge + user.secret).encode()).hexdigest()
                ok = bool(session.challenge) and _one(action, "Key") == expected
            else:
                ok = _one(action, "Secret") == user.secret
        if not ok:
            await asyncio.sleep(self.auth_failure_delay)  # manager.c: sleep(1), then tell
            session.reply(action, "Error", message="Authentication failed")
            return False
        session.user, session.username = user, username
        assert user is not None
        events = _one(action, "Events")
        session.events = (mask(events) if events else ALL) & user.read
        session.reply(action, "Success", message="Authentication accepted")
        if self.fully_booted and session.wants(CLASSES["system"]):
            uptime = str(int(time.time() - self.started))
            session.write(
                render(
                    [
                        ("Event", "FullyBooted"),
                        ("Privilege", "system,all"),
                        ("Uptime", uptime),
                        ("LastReload", uptime),
                        ("Status", "Fully Booted"),
                    ]
                )
            )
        return True

    async def _challenge(self, session: _Session, action: dict[str, str | list[str]]) -> bool:
        if _one(action, "AuthType").lower() != "md5":
            session.reply(action, "Error", message="Must specify AuthType")
            return True
        session.challenge = str(self.random.randrange(100_000_000, 999_999_999))
        session.reply(action, "Success", ("Challenge", session.challenge))
        return True

    async def _logoff(self, session: _Session, action: dict[str, str | list[str]]) -> bool:
        session.reply(action, "Goodbye", message="Thanks for all the fish.")
        return False

    async def _ping(self, session: _Session, action: dict[str, str | list[str]]) -> bool:
        session.reply(action, "Success", ("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}"))
        return True

    async def _events(self, session: _Session, action: dict[str, str | list[str]]) -> bool:
        wanted = _one(action, "EventMask")
        assert session.user is not None
        session.events = mask(wanted) & session.user.read
        session.reply(action, "Success", ("Events", "On" if session.events else "Off"))
        return True

    def _list_item(
        self, action: dict[str, str | list[str]], name: str, body: list[tuple[str, str]]
    ) -> str:
        lines = [("Event", name)]
        if "ActionID" in action:
            lines.append(("ActionID", str(action["ActionID"])))
        return render([*lines, *body])

    def _list_complete(
        self, action: dict[str, str | list[str]], name: str, count: int, *extra: tuple[str, str]
    ) -> str:
        return self._list_item(
            action, name, [("EventList", "Complete"), ("ListItems", str(count)), *extra]
        )

    async def _coreshowchannels(
        self, session: _Session, action: dict[str, str | list[str]]
    ) -> bool:
        session.reply(action, "Success", message="Channels will follow", eventlist="start")
        now = time.time()
        for chan in self.channels.values():
            seconds = int(now - chan.created)
            duration = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
            session.write(
                self._list_item(
                    action,
                    "CoreShowChannel",
                    [
                        *chan.block(),  # then this order, as the code writes it:
                        ("Application", chan.app),
                        ("ApplicationData", chan.appdata),
                        ("Duration", duration),
                        ("BridgeId", ""),
                    ],
                )
            )
        session.write(self._list_complete(action, "CoreShowChannelsComplete", len(self.channels)))
        return True

    async def _faxsessions(self, session: _Session, action: dict[str, str | list[str]]) -> bool:
        session.reply(
            action, "Success", message="FAXSessionsEntry event list will follow", eventlist="Start"
        )  # res_fax.c: the one list ack with a capital S
        for fax in self.fax_sessions.values():
            session.write(
                self._list_item(
                    action,
                    "FAXSessionsEntry",
                    [
                        ("Channel", fax.channel.name),
                        ("Technology", "Spandsp"),
                        ("SessionNumber", str(fax.number)),
                        ("SessionType", fax.transport),
                        ("Operation", fax.operation),
                        ("State", fax.state),
                        ("Files", ", ".join(fax.files)),
                    ],
                )
            )
        count = str(len(self.fax_sessions))
        session.write(
            self._list_complete(
                action, "FAXSessionsComplete", len(self.fax_sessions), ("Total", count)
            )
        )
        return True

    async def _faxsession(self, session: _Session, action: dict[str, str | list[str]]) -> bool:
        raw = _one(action, "SessionNumber")
        if not raw.isdigit():
            session.reply(action, "Error", message="Invalid session ID")
            return True
        fax = self.fax_sessions.get(int(raw))
        if fax is None:
            session.reply(action, "Error", message="Session not found")
            return True
        session.reply(action, "Success", message="FAXSession event will follow")
        body = [
            ("SessionNumber", str(fax.number)),
            ("Operation", fax.operation),
            ("State", fax.state),
        ]
        if fax.state != "Uninitialized":
            page = fax.pages_done + 1
            body += [
                ("ErrorCorrectionMode", "Yes" if fax.ecm else "No"),
                ("DataRate", str(fax.rate)),
                ("ImageResolution", fax.resolution),
                ("PageNumber", str(page)),
                ("FileName", fax.files[0] if fax.files else ""),
                ("PagesTransmitted", str(fax.pages_done if fax.operation == "send" else 0)),
                ("PagesReceived", str(fax.pages_done if fax.operation == "receive" else 0)),
                ("TotalBadLines", str(fax.bad_lines)),
            ]
        session.write(self._list_item(action, "FAXSession", body))
        return True

    async def _faxstats(self, session: _Session, action: dict[str, str | list[str]]) -> bool:
        session.reply(action, "Success", message="FAXStats event will follow")
        body = [("CurrentSessions", str(len(self.fax_sessions))), ("ReservedSessions", "0")]
        body += [(k, str(v)) for k, v in self.stats.items()]
        session.write(self._list_item(action, "FAXStats", body))
        return True

    async def _getvar(self, session: _Session, action: dict[str, str | list[str]]) -> bool:
        name = _one(action, "Variable")
        if not name:
            session.reply(action, "Error", message="No variable specified")
            return True
        channel = _one(action, "Channel")
        chan = next((c for c in self.channels.values() if c.name == channel), None)
        if channel and chan is None:
            session.reply(action, "Error", message="No such channel")
            return True
        value = chan.vars.get(name, "") if chan is not None else ""
        session.reply(action, "Success", ("Variable", name), ("Value", value))
        return True

    async def _hangup(self, session: _Session, action: dict[str, str | list[str]]) -> bool:
        channel = _one(action, "Channel")
        chan = next((c for c in self.channels.values() if c.name == channel), None)
        if chan is None:
            session.reply(action, "Error", message="No such channel")
            return True
        chan.vars["__hangup_requested"] = "1"
        session.reply(action, "Success", message="Channel Hungup")
        return True

    async def _originate(self, session: _Session, action: dict[str, str | list[str]]) -> bool:
        from faxtui.sim.scenarios import originate  # the scenarios drive this model

        channel = _one(action, "Channel")
        if not channel:
            session.reply(action, "Error", message="Channel not specified")
            return True
        if "/" not in channel:
            session.reply(action, "Error", message="Invalid channel")
            return True
        if not _one(action, "Application") and not _one(action, "Exten"):
            session.reply(action, "Error", message="Extension does not exist.")
            return True
        is_async = _one(action, "Async").lower() in ("true", "yes", "1")
        dialled: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.run(lambda sim: originate(sim, action, dialled, report=is_async))
        if is_async:
            session.reply(action, "Success", message="Originate successfully queued")
            return True
        # Without Async the action blocks until the call is answered or fails, and no
        # OriginateResponse is sent (only fast_originate sends it).
        if await dialled:
            session.reply(action, "Success", message="Originate successfully queued")
        else:
            session.reply(action, "Error", message="Originate failed")
        return True

    async def _command(self, session: _Session, action: dict[str, str | list[str]]) -> bool:
        command = _one(action, "Command").strip()
        if command in ("core stop now", "core restart now", "core stop gracefully"):
            session.reply(action, "Success", message="Command output follows")
            await session.writer.drain()
            self.run(
                lambda sim: sim.shutdown(clean=not self.fax_sessions, restart="restart" in command)
            )
            return True
        outputs = {
            "core show version": [f"Asterisk {self.asterisk_release} built by faxtui-sim"],
            "fax show sessions": self._fax_show_sessions(),
        }
        if command not in outputs:
            session.reply(
                action,
                "Error",
                ("Output", f"No such command '{command}' (type 'core show help ...' for help)"),
                message="Command output follows",
            )
            return True
        session.reply(
            action,
            "Success",
            *(("Output", line) for line in outputs[command]),
            message="Command output follows",
        )
        return True

    @property
    def asterisk_release(self) -> str:
        major = next(k for k, v in AMI_VERSIONS.items() if v == self.ami_version)
        return f"{major}.0.0"

    def _fax_show_sessions(self) -> list[str]:
        lines = [
            "Current FAX Sessions:",
            "",
            f"{'Channel':<22} {'Tech':<8} {'FAXID':<5} {'Type':<6} {'Operation':<9} "
            f"{'State':<13} File(s)",
        ]
        for fax in self.fax_sessions.values():
            lines.append(
                f"{fax.channel.name:<22} {'SPANDSP':<8} {fax.number:<5} {fax.transport:<6} "
                f"{fax.operation.upper():<9} {fax.state.upper():<13} {', '.join(fax.files)}"
            )
        lines += ["", f"{len(self.fax_sessions)} FAX sessions"]
        return lines


# Write classes the actions are registered with (manager.c, res_fax.c)
_WRITE_CLASS = {
    "coreshowchannels": CLASSES["system"] | CLASSES["reporting"],
    "faxsessions": CLASSES["call"],
    "faxsession": CLASSES["call"],
    "faxstats": CLASSES["reporting"],
    "getvar": CLASSES["call"] | CLASSES["reporting"],
    "originate": CLASSES["originate"],
    "command": CLASSES["command"],
    "hangup": CLASSES["system"] | CLASSES["call"],
}


def main(argv: list[str] | None = None) -> int:
    from faxtui.sim.scenarios import SCENARIO_NAMES, run_scenarios

    parser = argparse.ArgumentParser(
        prog="python -m faxtui.sim.ami_server",
        description="An AMI server that plays real Asterisk fax call sequences.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5038)
    parser.add_argument(
        "--scenario",
        action="append",
        choices=SCENARIO_NAMES,
        help="scenario to play (repeat for several; default: mix)",
    )
    parser.add_argument("--loop", action="store_true", help="play the scenarios forever")
    parser.add_argument("--speed", type=float, default=1.0, help="time factor (2 = twice as fast)")
    parser.add_argument("--user", default="faxtui", help="AMI username (default faxtui)")
    parser.add_argument("--secret", default="faxtui", help="AMI secret (default faxtui)")
    parser.add_argument("--asterisk", choices=sorted(AMI_VERSIONS), default="20")
    parser.add_argument(
        "--no-statusevents",
        action="store_true",
        help="like res_fax.conf statusevents=no (the Asterisk default)",
    )
    parser.add_argument("--calls", type=int, default=10, help="concurrent calls for 'load'")
    parser.add_argument("--rate", type=float, default=1000, help="events a second for 'load'")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    async def serve() -> None:
        sim = AmiSimulator(
            users={args.user: SimUser(args.secret)},
            asterisk=args.asterisk,
            statusevents=not args.no_statusevents,
            speed=args.speed,
            seed=args.seed,
        )
        port = await sim.start(args.host, args.port)
        log.info(
            "AMI simulator (Asterisk %s) on %s:%d, user %s",
            sim.asterisk_release,
            args.host,
            port,
            args.user,
        )
        await run_scenarios(
            sim, args.scenario or ["mix"], loop=args.loop, calls=args.calls, rate=args.rate
        )
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
