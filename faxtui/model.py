"""The records faxtui shows and the events that build them.

Sources translate the outside world into ``FaxEvent``s; the store applies them to ``Call``
records and tells subscribers what changed. Everything here is immutable, so a record can be
handed to the UI, a socket client or the history database without copying.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from faxtui.inbox.model import InboxItem, InboxLoaded, InboxRemoved, InboxUpdated


class Phase(StrEnum):
    """The five phases of a T.30 call."""

    A = "A"  # call set-up: dialling, ringing, answer, CNG/CED tones
    B = "B"  # pre-message procedure: DIS/DCS, training (TCF, CFR/FTT)
    C = "C"  # message transmission: the page data
    D = "D"  # post-message procedure: MPS/EOP, MCF/RTN
    E = "E"  # call release: DCN, hang-up


PHASE_NAMES: dict[Phase, str] = {
    Phase.A: "call set-up",
    Phase.B: "negotiation",
    Phase.C: "page transfer",
    Phase.D: "page confirmation",
    Phase.E: "release",
}


class Direction(StrEnum):
    IN = "in"
    OUT = "out"
    UNKNOWN = "?"


class Transport(StrEnum):
    UNKNOWN = ""
    AUDIO = "audio"  # G.711 or an analogue line
    T38 = "t38"


class Result(StrEnum):
    NONE = ""  # still running
    SUCCESS = "success"
    FAILED = "failed"
    UNKNOWN = "unknown"  # faxtui lost sight of the call before it ended


@dataclass(frozen=True, slots=True)
class Step:
    """One entry of a call's timeline: a phase entered, or a new status within it."""

    ts: float
    phase: Phase
    text: str


@dataclass(frozen=True, slots=True)
class Call:
    """One fax call, as far as faxtui knows it."""

    id: str
    source: str  # the configured name of the server or modem
    origin: str  # "ami", "modem" or "hylafax"
    started: float
    direction: Direction = Direction.UNKNOWN
    channel: str = ""
    uniqueid: str = ""
    linkedid: str = ""
    local_number: str = ""
    remote_number: str = ""
    remote_name: str = ""
    local_station_id: str = ""
    remote_station_id: str = ""
    transport: Transport = Transport.UNKNOWN
    phase: Phase = Phase.A
    status: str = ""
    timeline: tuple[Step, ...] = ()
    rate: int = 0
    ecm: bool | None = None
    resolution: str = ""
    page: int = 0  # the page in progress (1-based), 0 before the first
    pages: int = 0  # pages transferred and confirmed
    bad_lines: int = 0
    files: tuple[str, ...] = ()
    ended: float | None = None
    result: Result = Result.NONE
    reason: str = ""  # a code of faxtui.t30.reasons
    reason_detail: str = ""  # the words the far end or the PBX used, verbatim
    event_count: int = 0

    @property
    def active(self) -> bool:
        return self.ended is None

    def phase_began(self, phase: Phase) -> float | None:
        """When the call last entered ``phase``, or None if it never did."""
        began = None
        previous = None
        for step in self.timeline:
            if step.phase is phase and previous is not phase:
                began = step.ts
            previous = step.phase
        return began

    def phases(self) -> list[Phase]:
        """The phases in the order the call went through them (repeats collapsed)."""
        seen: list[Phase] = []
        for step in self.timeline:
            if not seen or seen[-1] is not step.phase:
                seen.append(step.phase)
        return seen

    def search_text(self) -> str:
        """What a filter matches: numbers, names, IDs, server, status and outcome, lower case."""
        return " ".join(
            (
                self.source,
                str(self.direction),
                self.remote_number,
                self.remote_name,
                self.remote_station_id,
                self.local_number,
                self.channel,
                self.status,
                str(self.result),
                self.reason,
                self.reason_detail,
            )
        ).lower()

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["timeline"] = [[s.ts, str(s.phase), s.text] for s in self.timeline]
        data["files"] = list(self.files)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Call:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["timeline"] = tuple(Step(ts, Phase(p), text) for ts, p, text in data["timeline"])
        values["files"] = tuple(data.get("files", ()))
        values["direction"] = Direction(values.get("direction", "?"))
        values["transport"] = Transport(values.get("transport", ""))
        values["phase"] = Phase(values.get("phase", "A"))
        values["result"] = Result(values.get("result", ""))
        return cls(**values)


@dataclass(frozen=True, slots=True)
class RawEvent:
    """A message exactly as a source received it, kept for the call's detail view."""

    ts: float
    origin: str  # "ami", "at", "log"
    name: str
    fields: tuple[tuple[str, str], ...] = ()


class LinkState(StrEnum):
    CONNECTING = "connecting"
    UP = "up"
    DEGRADED = "degraded"  # connected, but something the operator should fix
    DOWN = "down"  # not connected; retry_at says when the next try is
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class SourceState:
    """The connection state of one source, as shown in the header and by `doctor`."""

    name: str
    kind: str  # "ami", "modem", "hylafax"
    state: LinkState
    message: str = ""
    problem: str = ""  # a short code: "auth", "refused", "not-ami", "no-fullybooted", ...
    since: float = 0.0
    retry_at: float | None = None
    detail: str = ""  # e.g. "Asterisk Call Manager/9.0.0"


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    name: str
    pid: int
    cpu: float  # percent of one core
    rss: int  # bytes
    started: float


@dataclass(frozen=True, slots=True)
class DiskInfo:
    path: str
    total: int
    free: int
    error: str = ""


@dataclass(frozen=True, slots=True)
class Health:
    ts: float
    processes: tuple[ProcessInfo, ...] = ()
    disks: tuple[DiskInfo, ...] = ()
    missing: tuple[str, ...] = ()  # watched process names that are not running


class JobState(StrEnum):
    QUEUED = "queued"
    DIALING = "dialing"
    SENDING = "sending"
    RETRY_WAIT = "retry-wait"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    HELD = "held"

    @property
    def in_call(self) -> bool:
        return self in (JobState.DIALING, JobState.SENDING)

    @property
    def final(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try of a job: the call it made and how that ended."""

    started: float
    via: str  # the sender: a modem's or an AMI server's name
    call_id: str = ""
    ended: float | None = None
    result: Result = Result.NONE
    reason: str = ""
    detail: str = ""
    pages: int = 0  # pages the far end confirmed

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Attempt:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["result"] = Result(values.get("result", ""))
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Job:
    """A fax to send, with every try; the queue's record, kept across restarts."""

    id: int
    number: str
    spool: str  # the fax TIFF in faxtui's spool: the pages as they are sent
    pages: int
    documents: tuple[str, ...] = ()  # the files it was made from, as the operator named them
    resolution: str = "fine"
    via: str = ""  # "" any sender, "modem", "asterisk", or one sender's name
    cover: str = ""  # the cover page's subject, if it has one
    owner: str = ""  # who queued it
    priority: int = 0
    state: JobState = JobState.QUEUED
    created: float = 0.0
    updated: float = 0.0
    next_try: float | None = None
    max_tries: int = 3
    kill_time: float | None = None  # give up after this time
    attempts: tuple[Attempt, ...] = ()
    reason: str = ""  # the last failure's code (faxtui.t30.reasons)
    detail: str = ""
    resent_from: int | None = None

    @property
    def tries(self) -> int:
        return sum(1 for a in self.attempts if a.reason != "interrupted")  # not its fault

    def search_text(self) -> str:
        return " ".join(
            (str(self.id), self.number, str(self.state), self.reason, *self.documents, self.owner)
        ).lower()

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["documents"] = list(self.documents)
        data["attempts"] = [{f.name: getattr(a, f.name) for f in fields(a)} for a in self.attempts]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["documents"] = tuple(data.get("documents", ()))
        values["state"] = JobState(values.get("state", "queued"))
        values["attempts"] = tuple(Attempt.from_dict(a) for a in data.get("attempts", ()))
        return cls(**values)


# --- events: what sources emit ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallOpened:
    call_id: str
    ts: float
    source: str
    origin: str
    started: float
    uniqueid: str = ""
    linkedid: str = ""


@dataclass(frozen=True, slots=True)
class CallInfo:
    """New values for some fields of a call; None means unchanged."""

    call_id: str
    ts: float
    status: str | None = None
    direction: Direction | None = None
    channel: str | None = None
    local_number: str | None = None
    remote_number: str | None = None
    remote_name: str | None = None
    local_station_id: str | None = None
    remote_station_id: str | None = None
    transport: Transport | None = None
    rate: int | None = None
    ecm: bool | None = None
    resolution: str | None = None
    page: int | None = None
    pages: int | None = None
    bad_lines: int | None = None
    files: tuple[str, ...] | None = None
    progress: bool = False  # the status is a progress line: shown, not a step of the timeline


CALL_INFO_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(CallInfo) if f.name not in ("call_id", "ts", "status", "progress")
)


@dataclass(frozen=True, slots=True)
class PhaseEntered:
    call_id: str
    ts: float
    phase: Phase
    text: str


@dataclass(frozen=True, slots=True)
class CallClosed:
    call_id: str
    ts: float
    result: Result
    reason: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class CallRaw:
    call_id: str
    event: RawEvent


@dataclass(frozen=True, slots=True)
class SourceStatus:
    state: SourceState


@dataclass(frozen=True, slots=True)
class HealthSample:
    health: Health


@dataclass(frozen=True, slots=True)
class JobChanged:
    job: Job


FaxEvent = (
    CallOpened
    | CallInfo
    | PhaseEntered
    | CallClosed
    | CallRaw
    | SourceStatus
    | HealthSample
    | JobChanged
    | InboxLoaded
    | InboxUpdated
    | InboxRemoved
)


# --- changes: what the store tells subscribers ------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallChange:
    call: Call


@dataclass(frozen=True, slots=True)
class SourceChange:
    state: SourceState


@dataclass(frozen=True, slots=True)
class HealthChange:
    health: Health


@dataclass(frozen=True, slots=True)
class JobChange:
    job: Job


@dataclass(frozen=True, slots=True)
class InboxChange:
    """Received faxes: new or changed items, paths gone; ``replace``: this is all of them."""

    items: tuple[InboxItem, ...] = ()
    removed: tuple[str, ...] = ()
    replace: bool = False


@dataclass(frozen=True, slots=True)
class Resync:
    """The subscriber fell too far behind; take a fresh snapshot."""

    reason: str = "overflow"


Change = CallChange | SourceChange | HealthChange | JobChange | InboxChange | Resync


@dataclass(frozen=True, slots=True)
class Snapshot:
    calls: tuple[Call, ...] = ()  # active calls and the recently finished ones
    sources: tuple[SourceState, ...] = ()
    health: Health | None = None
    read_only: bool = False
    jobs: tuple[Job, ...] = ()  # every job not yet final, and the recently finished ones
    inbox: tuple[InboxItem, ...] = ()  # every received fax the index knows, newest first
