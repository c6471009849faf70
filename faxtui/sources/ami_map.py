"""AMI messages in, FaxEvents out: the pure half of the Asterisk source.

No sockets and no clock: the caller feeds each message with the time it arrived and calls
``tick`` now and then. The mapper follows every channel quietly and turns a channel into a
fax *call* the moment fax activity shows on it: CNG detected (a Newexten to the ``fax``
extension), SendFAX/ReceiveFAX started, a fax variable or event, an Originate of SendFAX, or
a resync that finds one. The call then gets the channel's earlier history (created, ringing,
answered) with the times those happened.

What AMI can tell (reference asterisk-ami.md section 5): phases A and E come from channel
events; B starts when the fax session starts (res_fax clears FAXSTATUS and sets FAXMODE);
C, D and page progress come only from polling FAXSession. The result comes from the last
FAXSTATUS/FAXERROR/FAXSTATUSSTRING before the SendFAX/ReceiveFAX event, or, when a fax dies
before its session started (no end event then), from the variables and the Hangup alone.
Remember that every fax starts with a placeholder FAXSTATUS=FAILED: it is not a result.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from faxtui.model import (
    CallClosed,
    CallInfo,
    CallOpened,
    CallRaw,
    Direction,
    FaxEvent,
    Phase,
    PhaseEntered,
    RawEvent,
    Result,
    Transport,
)
from faxtui.t30 import reasons

AmiMessage = Mapping[str, str | list[str]]


class Fields(Mapping[str, str | list[str]]):
    """One AMI message: headers found whatever their case (as panoramisk finds them), a
    repeated header as the list of its values; and the header lines as Asterisk sent them.

    Built once per message by the source; lookups are plain dict lookups, which matters at
    thousands of events a second.
    """

    __slots__ = ("_by_name", "lines")

    def __init__(self, lines: Iterable[tuple[str, str]]) -> None:
        self.lines = tuple(lines)
        by_name: dict[str, str | list[str]] = {}
        for key, value in self.lines:
            name = key.lower()
            if (before := by_name.get(name)) is None:
                by_name[name] = value
            else:
                by_name[name] = [*before, value] if isinstance(before, list) else [before, value]
        self._by_name = by_name

    def __getitem__(self, key: str) -> str | list[str]:
        return self._by_name[key.lower()]

    def get(self, key: str, default: Any = None) -> Any:
        return self._by_name.get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._by_name

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for key, _ in self.lines:
            if (name := key.lower()) not in seen:
                seen.add(name)
                yield key

    def __len__(self) -> int:
        return len(self._by_name)


FAX_VARS = frozenset(
    {
        "FAXSTATUS",
        "FAXERROR",
        "FAXSTATUSSTRING",
        "FAXPAGES",
        "FAXBITRATE",
        "FAXRESOLUTION",
        "REMOTESTATIONID",
        "LOCALSTATIONID",
        "FAXMODE",
    }
)
FAX_APPS = {"receivefax": Direction.IN, "sendfax": Direction.OUT}
OPERATIONS = {"receive": Direction.IN, "send": Direction.OUT}
# res_fax's values before a session exists: (FAXERROR, FAXSTATUSSTRING) of ReceiveFAX, SendFAX
PLACEHOLDERS = {
    ("Channel Problems", "Error before FAX transmission started."),
    ("INIT_ERROR", "error starting fax session"),
}
DIAL_STATUS_REASONS = {
    "BUSY": "busy",
    "NOANSWER": "no_answer",
    "CONGESTION": "congestion",
    "CHANUNAVAIL": "unreachable",
}
EARLY_HISTORY = 40  # raw events kept per channel before it shows to be a fax call
RECENTLY_GONE = 256  # hung-up channels remembered for late events (a failed Originate)
GETVAR_WAIT = 5.0  # seconds to wait for Getvar answers before closing without a status


def text(msg: AmiMessage, key: str) -> str:
    """A header as one string (repeated headers joined), '' when absent."""
    value = msg.get(key, "")
    if isinstance(value, list):
        return ",".join(value)
    return value


def values(msg: AmiMessage, key: str) -> list[str]:
    value = msg.get(key, "")
    if isinstance(value, list):
        return value
    return [value] if value else []


def _int(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        return 0


def _caller(value: str) -> str:
    """Asterisk writes ``<unknown>`` for an empty caller ID."""
    return "" if value in ("<unknown>", "<null>") else value


def resolution_name(value: str) -> str:
    """spandsp's ``<x>x<y>`` in pixels per metre, as a fax operator says it."""
    m = re.fullmatch(r"\s*(\d+)\s*x\s*(\d+)\s*", value)
    if not m:
        return value.strip()
    x, y = int(m.group(1)), int(m.group(2))
    if x == 0 or y == 0:
        return ""
    if 8000 <= x <= 8100:  # R8: 8 pels/mm (204 dpi) across; 7874 is 200 dpi
        for name, lines in (("standard", 3850), ("fine", 7700), ("superfine", 15400)):
            if abs(y - lines) < 200:
                return name
    return f"{round(x * 0.0254)}x{round(y * 0.0254)} dpi"


def _duration(value: str) -> float:
    """CoreShowChannel's ``Duration: HH:MM:SS`` in seconds."""
    total = 0.0
    for part in value.split(":"):
        if not part.strip().isdigit():
            return 0.0
        total = total * 60 + int(part)
    return total


def raw_event(msg: AmiMessage, ts: float) -> RawEvent:
    """The message as it came, every header line in order (the views leave out Event)."""
    name = text(msg, "Event") or text(msg, "Response") or "?"
    if isinstance(msg, Fields):
        return RawEvent(ts, "ami", name, msg.lines)
    pairs: list[tuple[str, str]] = []
    for key, value in msg.items():
        if key != "content":
            pairs.extend((key, v) for v in (value if isinstance(value, list) else (value,)))
    return RawEvent(ts, "ami", name, tuple(pairs))


@dataclass
class _Channel:
    uniqueid: str
    linkedid: str
    name: str
    created: float
    caller_num: str = ""
    caller_name: str = ""
    connected_num: str = ""
    exten: str = ""
    created_exten: str = ""  # the number an incoming call was for (the DID)
    dialled: str = ""  # Tech/DialString that created it (DialBegin): a failed Originate's name
    state: str = ""
    early: list[tuple[float, AmiMessage]] = field(default_factory=list)
    milestones: list[tuple[float, str]] = field(default_factory=list)


@dataclass
class _Fax:
    """A channel that is a fax call."""

    call_id: str
    channel: _Channel
    direction: Direction = Direction.UNKNOWN
    phase: Phase = Phase.A
    vars: dict[str, str] = field(default_factory=dict)
    session: int | None = None
    session_started: bool = False
    no_resource: bool = False  # FAXStatus said "No Available Resource"
    page: int = 0
    pages: int = 0
    remote_number: str = ""
    end_event: AmiMessage | None = None  # SendFAX/ReceiveFAX seen, status still to come
    end_deadline: float = 0.0
    related_cause: int = 0  # a telling Hangup cause of another leg (busy on the trunk)
    dial_status: str = ""


class AmiMapper:
    """Turns one Asterisk server's AMI messages into FaxEvents."""

    def __init__(
        self,
        server: str,
        *,
        fax_exten: str = "fax",
        watch_channels: Iterable[str] = (),
    ) -> None:
        self.server = server
        self.fax_exten = fax_exten
        self.watch_channels = tuple(watch_channels)
        self._channels: dict[str, _Channel] = {}
        self._gone: dict[str, _Channel] = {}
        self._faxes: dict[str, _Fax] = {}  # by uniqueid of the fax channel
        self._by_linkedid: dict[str, str] = {}  # linkedid -> uniqueid of its fax channel
        self._by_name: dict[str, str] = {}  # channel name -> uniqueid
        self._getvar: list[tuple[str, str]] = []  # (uniqueid, channel name) to ask Getvar
        self._resync_seen: set[str] | None = None
        self._sending: dict[str, str] = {}  # uniqueid -> number of our own Originates
        self._sent: dict[str, None] = {}  # uniqueids of our own sends already closed
        self._handlers: dict[str, Callable[[AmiMessage, float, list[FaxEvent]], None]] = {
            "Newchannel": self._newchannel,
            "Newstate": self._newstate,
            "NewCallerid": self._newcallerid,
            "Newexten": self._newexten,
            "Rename": self._rename,
            "VarSet": self._varset,
            "DialBegin": self._dialbegin,
            "DialEnd": self._dialend,
            "Hangup": self._hangup,
            "FAXStatus": self._faxstatus,
            "ReceiveFAX": self._end_event,
            "SendFAX": self._end_event,
            "FAXSession": self._faxsession,
            "FAXSessionsEntry": self._faxsessions_entry,
            "CoreShowChannel": self._coreshowchannel,
            "OriginateResponse": self._originate_response,
        }

    # --- public ---------------------------------------------------------------------------

    def call_id(self, uniqueid: str) -> str:
        return f"{self.server}:{uniqueid}"

    def expect_send(self, uniqueid: str, number: str) -> None:
        """faxtui is about to Originate a SendFAX with ChannelId ``uniqueid``: show the call
        from its first event, as an outgoing fax to ``number``."""
        self._sending[uniqueid] = number

    def feed(self, msg: AmiMessage, now: float) -> list[FaxEvent]:
        """Map one message; never raises for odd input (missing or strange fields)."""
        name = text(msg, "Event")
        if not name:
            return []
        ts = _timestamp(msg, now)
        out: list[FaxEvent] = []
        uid = text(msg, "Uniqueid") or text(msg, "DestUniqueid")  # Originate's Dial events
        # Keep the message with its call before the handler runs: the handler may close the
        # call (Hangup), or promote the channel, and promotion copies the early history.
        fax = self._faxes.get(uid) or self._related(msg)
        chan = self._channels.get(uid)
        if fax is not None:
            out.append(CallRaw(fax.call_id, raw_event(msg, ts)))
        elif chan is not None and len(chan.early) < EARLY_HISTORY:
            chan.early.append((ts, msg))
        handler = self._handlers.get(name)
        if handler is not None:
            handler(msg, ts, out)
        if fax is None and chan is None:  # the message created the channel, or its fax
            if (fax := self._faxes.get(uid)) is not None:
                out.append(CallRaw(fax.call_id, raw_event(msg, ts)))
            elif (chan := self._channels.get(uid)) is not None:
                chan.early.append((ts, msg))
        return out

    def tick(self, now: float) -> list[FaxEvent]:
        """Close faxes whose end event came but whose status never did."""
        out: list[FaxEvent] = []
        for fax in list(self._faxes.values()):
            if fax.end_event is not None and now >= fax.end_deadline:
                self._finish(fax, now, out)
        return out

    def active_sessions(self) -> list[int]:
        return [f.session for f in self._faxes.values() if f.session is not None]

    def has_active_faxes(self) -> bool:
        return bool(self._faxes)

    def take_getvar_requests(self) -> list[tuple[str, str]]:
        """(uniqueid, channel) pairs whose fax status should be read with Getvar."""
        requests, self._getvar = self._getvar, []
        return requests

    def apply_vars(self, uniqueid: str, found: Mapping[str, str], now: float) -> list[FaxEvent]:
        """Feed the answers to the Getvar requests; closes the call."""
        out: list[FaxEvent] = []
        fax = self._faxes.get(uniqueid)
        if fax is not None:
            fax.vars.update({k: v for k, v in found.items() if v})
            self._finish(fax, now, out)
        return out

    def begin_resync(self) -> None:
        """CoreShowChannels and FAXSessions after a (re)connect are about to be fed."""
        self._resync_seen = set()

    def end_resync(self, now: float) -> list[FaxEvent]:
        """Forget channels Asterisk no longer has; close their calls as 'lost track'."""
        seen = self._resync_seen or set()
        self._resync_seen = None
        out: list[FaxEvent] = []
        for uid in list(self._channels):
            if uid not in seen:
                self._forget(uid)
        for uid, fax in list(self._faxes.items()):
            if uid in seen:
                continue
            if fax.end_event is not None:
                self._finish(fax, now, out)
            else:
                why = "the channel was gone when faxtui reconnected"
                self._close(fax, now, Result.UNKNOWN, "lost_track", why, out)
        return out

    def connection_lost(self, now: float) -> list[FaxEvent]:
        return [
            CallInfo(fax.call_id, now, status="AMI connection lost; will resync")
            for fax in self._faxes.values()
        ]

    # --- channels ---------------------------------------------------------------------------

    def _channel(self, msg: AmiMessage, ts: float) -> _Channel | None:
        uid = text(msg, "Uniqueid")
        if not uid:
            return None
        chan = self._channels.get(uid)
        if chan is None:
            chan = _Channel(
                uniqueid=uid,
                linkedid=text(msg, "Linkedid") or uid,
                name=text(msg, "Channel"),
                created=ts,
                created_exten=text(msg, "Exten"),
            )
            self._channels[uid] = chan
            self._by_name[chan.name] = uid
        if self._resync_seen is not None:
            self._resync_seen.add(uid)
        chan.caller_num = _caller(text(msg, "CallerIDNum")) or chan.caller_num
        chan.caller_name = _caller(text(msg, "CallerIDName")) or chan.caller_name
        chan.connected_num = _caller(text(msg, "ConnectedLineNum")) or chan.connected_num
        chan.state = text(msg, "ChannelStateDesc") or chan.state
        chan.exten = text(msg, "Exten") or chan.exten
        return chan

    def _related(self, msg: AmiMessage) -> _Fax | None:
        """The fax of another leg of the same call (same Linkedid)."""
        linked = text(msg, "Linkedid") or text(msg, "DestLinkedid")
        return self._faxes.get(self._by_linkedid.get(linked, "")) if linked else None

    def _milestone(self, chan: _Channel, ts: float, words: str, out: list[FaxEvent]) -> None:
        """Something happened on a channel: tell its fax, its leg's fax, or remember it."""
        fax = self._faxes.get(chan.uniqueid)
        if fax is not None:
            self._status(fax, ts, words, out)
        elif (related := self._faxes.get(self._by_linkedid.get(chan.linkedid, ""))) is not None:
            self._status(related, ts, f"other leg: {words}", out)
        else:
            chan.milestones.append((ts, words))

    def _newchannel(self, msg: AmiMessage, ts: float, out: list[FaxEvent]) -> None:
        chan = self._channel(msg, ts)
        if chan is None:
            return
        if chan.state == "Ring":
            who = chan.caller_num or "unknown caller"
            self._milestone(chan, ts, f"incoming call from {who} to {chan.created_exten}", out)
        else:
            self._milestone(chan, ts, f"channel {chan.name} created", out)
        if (number := self._sending.get(chan.uniqueid)) is not None:
            fax = self._promote(chan, ts, out, Direction.OUT, f"dialling {number}")
            fax.remote_number = number
            out.append(CallInfo(fax.call_id, ts, remote_number=number))
        elif any(fnmatchcase(chan.name, p) for p in self.watch_channels):
            self._promote(chan, ts, out, Direction.UNKNOWN, "watched fax channel")

    def _newstate(self, msg: AmiMessage, ts: float, out: list[FaxEvent]) -> None:
        chan = self._channel(msg, ts)
        words = {"Ringing": "ringing", "Up": "answered", "Busy": "busy"}
        if chan is not None and chan.state in words:
            self._milestone(chan, ts, words[chan.state], out)

    def _newcallerid(self, msg: AmiMessage, ts: float, out: list[FaxEvent]) -> None:
        chan = self._channel(msg, ts)
        fax = self._faxes.get(chan.uniqueid) if chan is not None else None
        if fax is not None and chan is not None and fax.direction is Direction.IN:
            out.append(
                CallInfo(
                    fax.call_id, ts, remote_number=chan.caller_num, remote_name=chan.caller_name
                )
            )

    def _rename(self, msg: AmiMessage, ts: float, out: list[FaxEvent]) -> None:
        chan = self._channels.get(text(msg, "Uniqueid"))
        if chan is None:
            return
        self._by_name.pop(chan.name, None)
        chan.name = text(msg, "Newname") or chan.name
        self._by_name[chan.name] = chan.uniqueid
        if (fax := self._faxes.get(chan.uniqueid)) is not None:
            out.append(CallInfo(fax.call_id, ts, channel=chan.name))

    def _newexten(self, msg: AmiMessage, ts: float, out: list[FaxEvent]) -> None:
        chan = self._channel(msg, ts)
        if chan is None:
            return
        fax = self._faxes.get(chan.uniqueid)
        if text(msg, "Exten") == self.fax_exten and text(msg, "Priority") == "1":
            words = "CNG detected: redirected to fax"
            if fax is None:
                fax = self._promote(chan, ts, out, Direction.IN, words)
            else:
                self._status(fax, ts, words, out)
        app = text(msg, "Application").lower()
        if app in FAX_APPS:
            direction = FAX_APPS[app]
            words = f"{text(msg, 'Application')} started"
            if fax is None:
                self._promote(chan, ts, out, direction, words)
            else:
                self._set_direction(fax, direction, ts, out)
                self._status(fax, ts, words, out)

    def _dialbegin(self, msg: AmiMessage, ts: float, out: list[FaxEvent]) -> None:
        dest_uid = text(msg, "DestUniqueid")
        dial_string = text(msg, "DialString")
        dest = self._channels.get(dest_uid)
        if dest is not None:
            tech = text(msg, "DestChannel").split("/", 1)[0]
            dest.dialled = f"{tech}/{dial_string}"
        number = dial_string.split("@")[0].split("/")[-1]
        fax = self._faxes.get(self._by_linkedid.get(text(msg, "DestLinkedid"), ""))
        if fax is not None and fax.direction is not Direction.IN and number:
            if not fax.remote_number:
                fax.remote_number = number
                out.append(CallInfo(fax.call_id, ts, remote_number=number))
            self._status(fax, ts, f"dialling {number}", out)
        elif dest is not None:
            dest.milestones.append((ts, f"dialling {number or dial_string}"))

    def _dialend(self, msg: AmiMessage, ts: float, out: list[FaxEvent]) -> None:
        status = text(msg, "DialStatus")
        fax = self._faxes.get(self._by_linkedid.get(text(msg, "DestLinkedid"), ""))
        if fax is not None and status:
            fax.dial_status = status
            if status != "ANSWER":
                self._status(fax, ts, f"dial ended: {status.lower()}", out)
        elif (dest := self._channels.get(text(msg, "DestUniqueid"))) is not None and status:
            dest.milestones.append((ts, f"dial ended: {status.lower()}"))

    def _hangup(self, msg: AmiMessage, ts: float, out: list[FaxEvent]) -> None:
        uid = text(msg, "Uniqueid")
        cause = _int(text(msg, "Cause"))
        words = f"hung up: {text(msg, 'Cause-txt') or cause}"
        fax = self._faxes.get(uid)
        if fax is not None:
            self._hangup_fax(fax, ts, cause, text(msg, "Cause-txt"), out)
        else:
            related = self._faxes.get(self._by_linkedid.get(text(msg, "Linkedid"), ""))
            if related is not None and reasons.from_hangup_cause(cause):
                related.related_cause = cause
            if (chan := self._channels.get(uid)) is not None:
                self._milestone(chan, ts, words, out)
        self._forget(uid)

    def _forget(self, uid: str) -> None:
        chan = self._channels.pop(uid, None)
        if chan is None:
            return
        self._gone[uid] = chan
        if len(self._gone) > RECENTLY_GONE:
            self._gone.pop(next(iter(self._gone)))
        if self._by_name.get(chan.name) == uid:
            del self._by_name[chan.name]

    # --- fax ------------------------------------------------------------------------------

    def _promote(
        self, chan: _Channel, ts: float, out: list[FaxEvent], direction: Direction, why: str
    ) -> _Fax:
        fax = _Fax(call_id=self.call_id(chan.uniqueid), channel=chan)
        self._faxes[chan.uniqueid] = fax
        self._by_linkedid.setdefault(chan.linkedid, chan.uniqueid)
        out.append(
            CallOpened(
                fax.call_id, ts, self.server, "ami", chan.created, chan.uniqueid, chan.linkedid
            )
        )
        out.append(CallInfo(fax.call_id, ts, channel=chan.name))
        out.extend(CallInfo(fax.call_id, when, status=what) for when, what in chan.milestones)
        chan.milestones.clear()
        # The early events of every leg of this call (same Linkedid), in time order.
        legs = [c for c in (*self._channels.values(), *self._gone.values())
                if c.linkedid == chan.linkedid and c is not chan]  # fmt: skip
        early = sorted((e for leg in (chan, *legs) for e in leg.early), key=lambda e: e[0])
        out.extend(CallRaw(fax.call_id, raw_event(msg, when)) for when, msg in early)
        for leg in (chan, *legs):
            leg.early.clear()
        self._set_direction(fax, direction, ts, out)
        self._status(fax, ts, why, out)
        return fax

    def _set_direction(
        self, fax: _Fax, direction: Direction, ts: float, out: list[FaxEvent]
    ) -> None:
        if direction is Direction.UNKNOWN or direction is fax.direction:
            return
        fax.direction = direction
        chan = fax.channel
        if direction is Direction.IN:
            out.append(
                CallInfo(
                    fax.call_id,
                    ts,
                    direction=direction,
                    remote_number=chan.caller_num,
                    remote_name=chan.caller_name,
                    local_number=chan.created_exten,
                )
            )
            return
        local = re.match(r"Local/([^@]+)@", chan.name)
        fax.remote_number = fax.remote_number or (local.group(1) if local else "")
        out.append(
            CallInfo(
                fax.call_id,
                ts,
                direction=direction,
                remote_number=fax.remote_number or None,
                local_number=chan.caller_num or None,
            )
        )

    def _status(self, fax: _Fax, ts: float, words: str, out: list[FaxEvent]) -> None:
        out.append(CallInfo(fax.call_id, ts, status=words))

    def _enter(self, fax: _Fax, ts: float, phase: Phase, words: str, out: list[FaxEvent]) -> None:
        fax.phase = phase
        out.append(PhaseEntered(fax.call_id, ts, phase, words))

    def _fax_for(self, msg: AmiMessage, ts: float, out: list[FaxEvent]) -> _Fax | None:
        """The fax of a fax-only event (FAXStatus, VarSet of FAX*): promote if needed."""
        fax = self._faxes.get(text(msg, "Uniqueid"))
        if fax is not None:
            return fax
        chan = self._channel(msg, ts)
        if chan is None:
            return None
        return self._promote(chan, ts, out, Direction.UNKNOWN, "fax application started")

    def _varset(self, msg: AmiMessage, ts: float, out: list[FaxEvent]) -> None:
        var = text(msg, "Variable")
        if var not in FAX_VARS:
            return
        value = text(msg, "Value")
        fax = self._faxes.get(text(msg, "Uniqueid"))
        if fax is None:
            if not value:
                return  # a fax variable cleared on a channel that never faxed
            fax = self._fax_for(msg, ts, out)
            if fax is None:
                return
        if value:
            fax.vars[var] = value
        else:
            fax.vars.pop(var, None)
        if var == "FAXERROR" and value == "Channel Problems":
            self._set_direction(fax, Direction.IN, ts, out)  # only ReceiveFAX sets this one
        elif var == "FAXMODE" and value:
            # FAXMODE=audio comes first with the placeholder result, before anything is
            # negotiated. When the session starts res_fax clears FAXSTATUS, then sets FAXMODE.
            if not fax.session_started and "FAXSTATUS" not in fax.vars:
                self._session_started(fax, ts, out)
            if fax.session_started or value.upper() == "T38":
                t38 = value.upper() == "T38"
                out.append(
                    CallInfo(fax.call_id, ts, transport=Transport.T38 if t38 else Transport.AUDIO)
                )
        elif var == "REMOTESTATIONID" and value:
            out.append(CallInfo(fax.call_id, ts, remote_station_id=value))
        elif var == "LOCALSTATIONID" and value:
            out.append(CallInfo(fax.call_id, ts, local_station_id=value))

    def _session_started(self, fax: _Fax, ts: float, out: list[FaxEvent]) -> None:
        fax.session_started = True
        self._enter(fax, ts, Phase.B, "DIS/DCS, training", out)

    def _faxstatus(self, msg: AmiMessage, ts: float, out: list[FaxEvent]) -> None:
        fax = self._fax_for(msg, ts, out)
        if fax is None:
            return
        direction = OPERATIONS.get(text(msg, "Operation").lower(), Direction.UNKNOWN)
        self._set_direction(fax, direction, ts, out)
        if local_id := text(msg, "LocalStationID"):
            out.append(CallInfo(fax.call_id, ts, local_station_id=local_id))
        status = text(msg, "Status")
        if status == "T.38 Negotiated":
            out.append(CallInfo(fax.call_id, ts, transport=Transport.T38, status="T.38 negotiated"))
        elif status == "FAX Transmission In Progress" and not fax.session_started:
            self._session_started(fax, ts, out)
        elif status == "No Available Resource":
            fax.no_resource = True
            self._status(fax, ts, "no fax resource available", out)
        elif status:
            self._status(fax, ts, status, out)

    def _faxsessions_entry(self, msg: AmiMessage, ts: float, out: list[FaxEvent]) -> None:
        uid = self._by_name.get(text(msg, "Channel"), "")
        chan = self._channels.get(uid)
        direction = OPERATIONS.get(text(msg, "Operation").lower())
        if chan is None or direction is None:
            return  # gateway and V.21 detect sessions carry no document
        fax = self._faxes.get(uid)
        if fax is None:
            fax = self._promote(chan, ts, out, direction, "fax in progress (found by resync)")
        else:
            self._set_direction(fax, direction, ts, out)
        fax.session = _int(text(msg, "SessionNumber"))
        session_type = text(msg, "SessionType")
        if session_type in ("T.38", "G.711"):
            transport = Transport.T38 if session_type == "T.38" else Transport.AUDIO
            out.append(CallInfo(fax.call_id, ts, transport=transport))
        if not fax.session_started and text(msg, "State") in ("Open", "Active"):
            self._session_started(fax, ts, out)

    def _faxsession(self, msg: AmiMessage, ts: float, out: list[FaxEvent]) -> None:
        number = _int(text(msg, "SessionNumber"))
        fax = next((f for f in self._faxes.values() if f.session == number), None)
        if fax is None or fax.end_event is not None or "DataRate" not in msg:
            return
        if not fax.session_started:
            self._session_started(fax, ts, out)
        inbound = text(msg, "Operation").lower() == "receive"
        pages = _int(text(msg, "PagesReceived" if inbound else "PagesTransmitted"))
        # Until the first page starts, spandsp reports its first fallback rate (14400) and an
        # image resolution of 0x0: the rate is not negotiated yet.
        resolution = resolution_name(text(msg, "ImageResolution"))
        rate = _int(text(msg, "DataRate")) if resolution else 0
        out.append(
            CallInfo(
                fax.call_id,
                ts,
                rate=rate or None,
                ecm={"yes": True, "no": False}.get(text(msg, "ErrorCorrectionMode").lower())
                if resolution
                else None,
                resolution=resolution or None,
                pages=pages,
                bad_lines=_int(text(msg, "TotalBadLines")),
                files=tuple(values(msg, "FileName")) or None,
            )
        )
        if pages > fax.pages:
            fax.pages = pages
            self._enter(fax, ts, Phase.D, f"page {pages} confirmed", out)
        page = _int(text(msg, "PageNumber"))
        if resolution and (fax.phase is not Phase.C or page != fax.page):
            fax.page = page
            out.append(CallInfo(fax.call_id, ts, page=page))
            verb = "receiving" if inbound else "sending"
            self._enter(fax, ts, Phase.C, f"{verb} page {page}", out)

    def _coreshowchannel(self, msg: AmiMessage, ts: float, out: list[FaxEvent]) -> None:
        known = text(msg, "Uniqueid") in self._channels
        chan = self._channel(msg, ts)
        if chan is None:
            return
        if not known:
            chan.created = ts - _duration(text(msg, "Duration"))
        app = text(msg, "Application")
        direction = FAX_APPS.get(app.lower())
        if direction is not None and chan.uniqueid not in self._faxes:
            self._promote(chan, ts, out, direction, f"{app} running (found by resync)")

    def _originate_response(self, msg: AmiMessage, ts: float, out: list[FaxEvent]) -> None:
        if text(msg, "Application").lower() != "sendfax":
            return
        uid = text(msg, "Uniqueid")
        requested = text(msg, "Channel")
        if text(msg, "Response") == "Success":
            # The first SendFAX VarSets may have come first and promoted the channel already.
            fax = self._faxes.get(uid)
            if fax is None and (chan := self._channels.get(uid)) is not None:
                fax = self._promote(chan, ts, out, Direction.OUT, "answered: starting SendFAX")
            if fax is not None:
                self._set_direction(fax, Direction.OUT, ts, out)
                self._note_number(fax, requested, ts, out)
            return
        # A failed Originate comes after its channels hung up (Uniqueid <unknown>, and Channel
        # the requested Tech/data): find the channel by what it dialled, if any was made.
        chan = self._channels.get(uid) or self._gone.get(uid) or self._find_gone(requested)
        if chan is not None and chan.uniqueid in self._sent:
            return  # one of ours, closed already by its own Hangup
        if chan is None:
            key = uid if uid and not uid.startswith("<") else f"originate-{ts:.6f}"
            chan = _Channel(uniqueid=key, linkedid=key, name=requested, created=ts)
        if chan.uniqueid not in self._channels:  # gone or never seen: keep the message here
            chan.early.append((ts, msg))
        fax = self._faxes.get(chan.uniqueid) or self._promote(
            chan, ts, out, Direction.OUT, "Originate of SendFAX failed"
        )
        self._note_number(fax, requested, ts, out)
        reason = reasons.from_originate_reason(_int(text(msg, "Reason")))
        self._close(
            fax, ts, Result.FAILED, reason, f"OriginateResponse Reason {text(msg, 'Reason')}", out
        )

    def _find_gone(self, requested: str) -> _Channel | None:
        for chan in reversed(self._gone.values()):
            if chan.dialled == requested or (
                chan.name.startswith(f"{requested}-") and chan.name.endswith(";1")
            ):
                return chan
        return None

    def _note_number(self, fax: _Fax, requested: str, ts: float, out: list[FaxEvent]) -> None:
        """The number an Originate dialled: Tech/<number>@trunk or Local/<number>@context."""
        m = re.match(r"[^/]+/([^@/;]+)@", requested)
        if m and not fax.remote_number:
            fax.remote_number = m.group(1)
            out.append(CallInfo(fax.call_id, ts, remote_number=fax.remote_number))

    def _end_event(self, msg: AmiMessage, ts: float, out: list[FaxEvent]) -> None:
        fax = self._fax_for(msg, ts, out)
        if fax is None:
            return
        inbound = text(msg, "Event") == "ReceiveFAX"
        self._set_direction(fax, Direction.IN if inbound else Direction.OUT, ts, out)
        out.append(
            CallInfo(
                fax.call_id,
                ts,
                remote_station_id=text(msg, "RemoteStationID") or None,
                local_station_id=text(msg, "LocalStationID") or None,
                pages=_int(text(msg, "PagesTransferred")),
                rate=_int(text(msg, "TransferRate")) or None,
                resolution=resolution_name(text(msg, "Resolution")) or None,
                files=tuple(values(msg, "FileName")) or None,
            )
        )
        fax.end_event = msg
        if "FAXSTATUS" in fax.vars:
            self._finish(fax, ts, out)
        else:
            # VarSet may be disabled (manager.conf disabledevents): ask with Getvar.
            fax.end_deadline = ts + GETVAR_WAIT
            self._getvar.append((fax.channel.uniqueid, fax.channel.name))

    def _finish(self, fax: _Fax, ts: float, out: list[FaxEvent]) -> None:
        """Close a fax that reached SendFAX/ReceiveFAX, from its variables."""
        status = fax.vars.get("FAXSTATUS", "")
        error = fax.vars.get("FAXERROR", "")
        words = fax.vars.get("FAXSTATUSSTRING", "")
        if status == "SUCCESS":
            self._close(fax, ts, Result.SUCCESS, "ok", words, out)
        elif status in ("FAILED", "FAILURE") and (
            fax.no_resource or (error, words) in PLACEHOLDERS
        ):
            # An end event with the pre-session placeholders still set: the only way there is
            # a fax session that could not be created.
            why = "FAXStatus: No Available Resource" if fax.no_resource else words
            self._close(fax, ts, Result.FAILED, "no_resource", why, out)
        elif status in ("FAILED", "FAILURE"):
            reason = reasons.from_asterisk(error, words)
            self._close(fax, ts, Result.FAILED, reason, words or error, out)
        else:
            why = "Asterisk did not report FAXSTATUS (are VarSet events disabled?)"
            self._close(fax, ts, Result.UNKNOWN, "unknown", why, out)

    def _hangup_fax(
        self, fax: _Fax, ts: float, cause: int, cause_txt: str, out: list[FaxEvent]
    ) -> None:
        if fax.end_event is not None:
            self._finish(fax, ts, out)
            return
        status = fax.vars.get("FAXSTATUS", "")
        error = fax.vars.get("FAXERROR", "")
        words = fax.vars.get("FAXSTATUSSTRING", "")
        if status == "SUCCESS":
            self._close(fax, ts, Result.SUCCESS, "ok", words, out)
            return
        hangup = f"hang-up cause {cause} ({cause_txt})" if cause else "hang-up"
        line = (
            DIAL_STATUS_REASONS.get(fax.dial_status)
            or reasons.from_hangup_cause(fax.related_cause)
            or reasons.from_hangup_cause(cause)
        )
        if status in ("FAILED", "FAILURE") and error and (error, words) not in PLACEHOLDERS:
            reason, detail = reasons.from_asterisk(error, words), words or error
        elif line:
            reason, detail = line, hangup
        elif fax.session_started:
            reason, detail = "call_dropped", f"{hangup} during phase {fax.phase}"
        else:
            reason, detail = "hangup_before_fax", hangup
        self._close(fax, ts, Result.FAILED, reason, detail, out)

    def _close(
        self, fax: _Fax, ts: float, result: Result, reason: str, detail: str, out: list[FaxEvent]
    ) -> None:
        uid = fax.channel.uniqueid
        self._faxes.pop(uid, None)
        if self._sending.pop(uid, None) is not None:
            self._sent[uid] = None
            if len(self._sent) > RECENTLY_GONE:
                self._sent.pop(next(iter(self._sent)))
        if self._by_linkedid.get(fax.channel.linkedid) == uid:
            del self._by_linkedid[fax.channel.linkedid]
        out.append(CallClosed(fax.call_id, ts, result, reason, detail))


def _timestamp(msg: AmiMessage, now: float) -> float:
    """Asterisk's own event time, when manager.conf has timestampevents=yes."""
    stamp = msg.get("Timestamp")
    if isinstance(stamp, str) and "Ping" not in msg:
        try:
            return float(stamp)
        except ValueError:
            pass
    return now
