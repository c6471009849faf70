"""A telephone line between two fax terminals, in simulated time, with faults on demand.

Each side submits the T.30 engine's line commands (send frames, listen for frames, send or
receive training or a page, hang up); the line works out what the other side hears and when:
V.21 bursts take their preamble of flags and 300 bit/s per bit, high-speed bursts their
training and data at the chosen rate. A receiver must be listening before the preamble or the
training is over, as a real modem must, or the burst is lost to it. A receiver listening for
one modulation that gets the other hears a wrong carrier (frames during +FRM), or nothing
(a page during +FRH). Pure: the caller passes the time, so tests run a whole call in no time
and the modem simulator runs it in real time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

from faxtui.t30.engine import (
    Command,
    DataIn,
    FramesIn,
    Hangup,
    Input,
    LineLost,
    Output,
    ReceiveFrames,
    ReceivePage,
    ReceiveTraining,
    Report,
    SendFrames,
    SendPage,
    SendTraining,
    Sent,
    TimedOut,
    WrongCarrier,
)
from faxtui.t30.fcf import Modem, Rate
from faxtui.t30.hdlc import Frame

V21_PREAMBLE = 1.0  # seconds of flags before the first frame of a burst
V21_BPS = 300
TRAINING = {Modem.V17: 1.4, Modem.V29: 0.25, Modem.V27TER: 0.9}  # long training, seconds
SHORT_TRAINING = 0.15  # V.17 short training, for pages after a successful TCF


def frame_bits(frame: Frame) -> int:
    """Bits a frame takes on V.21: the frame, its FCS and a closing flag."""
    return (len(frame.to_bytes()) + 3) * 8


def page_training(rate: Rate) -> float:
    """The training before page data: short for V.17, the modem's only one otherwise."""
    return SHORT_TRAINING if rate.modem is Modem.V17 else TRAINING[rate.modem]


@dataclass(frozen=True)
class Faults:
    """What goes wrong on this line."""

    train_fails_above: int = 0  # high-speed data above this bit rate arrives as noise (FTT)
    corrupt_page: int = 0  # the first sending of this page arrives damaged (RTN)
    drop_during_page: int = 0  # the line drops halfway through this page
    lose_frame: str = ""  # the first burst holding a frame of this name (e.g. "MCF") is lost
    garble_frame: str = ""  # the first burst holding a frame of this name arrives, bad FCS


@dataclass(frozen=True)
class Incoming:
    """A burst of the other side as a receiver hears it, damage included.

    ``sync`` is when the preamble or the training is over, ``end`` when the carrier goes.
    """

    frames: tuple[Frame, ...] | None  # None: high speed
    rate: Rate | None
    data: bytes
    start: float
    sync: float
    end: float

    def frame_ends(self) -> tuple[float, ...]:
        """When each frame has fully arrived."""
        ends: list[float] = []
        at = self.sync
        for frame in self.frames or ():
            at += frame_bits(frame) / V21_BPS
            ends.append(at)
        return tuple(ends)


@dataclass
class _Burst:
    sender: int
    frames: tuple[Frame, ...] | None  # None: high speed
    rate: Rate | None
    data: bytes
    start: float
    sync: float  # a receiver listening after this misses the burst
    end: float
    page: int = 0
    attempt: int = 0  # the how-many-th sending of this page
    garbled: bool = False  # its frames arrive with a bad FCS


@dataclass
class _Op:
    command: Command
    start: float
    deadline: float  # receive: the latest sync time; send: when it ends
    burst: _Burst | None = None  # what a receiver has locked on to


@dataclass
class Line:
    faults: Faults = field(default_factory=Faults)
    dead: bool = False
    _ops: list[_Op | None] = field(default_factory=lambda: [None, None])
    _bursts: list[_Burst] = field(default_factory=list)
    _pages_sent: dict[int, int] = field(default_factory=dict)
    _struck: set[str] = field(default_factory=set)  # the one-time faults that happened
    _death: str = "the far end hung up"

    def submit(self, side: int, command: Command, now: float) -> None:
        """Side 0 or 1 starts ``command`` at ``now``."""
        if isinstance(command, Hangup):
            self.dead = True
            self._ops[side] = _Op(command, now, now)
            return
        if isinstance(command, (SendFrames, SendTraining, SendPage)):
            burst = self._burst(side, command, now)
            if self._garble(burst):
                burst = replace(burst, garbled=True)
            if not self._lose(burst):
                self._bursts.append(burst)
            self._ops[side] = _Op(command, now, burst.end)
            return
        assert isinstance(command, (ReceiveFrames, ReceiveTraining, ReceivePage))
        self._ops[side] = _Op(command, now, now + command.timeout)

    def _lose(self, burst: _Burst) -> bool:
        return self._first_with(self.faults.lose_frame, burst, "lose")

    def _garble(self, burst: _Burst) -> bool:
        return self._first_with(self.faults.garble_frame, burst, "garble")

    def _first_with(self, name: str, burst: _Burst, fault: str) -> bool:
        """Whether ``burst`` is the first to hold a frame called ``name`` (once per fault)."""
        if not name or fault in self._struck or burst.frames is None:
            return False
        if any(f.name == name for f in burst.frames):
            self._struck.add(fault)
            return True
        return False

    def _burst(self, side: int, command: Command, now: float) -> _Burst:
        if isinstance(command, SendFrames):
            bits = sum(frame_bits(f) for f in command.frames)
            end = now + V21_PREAMBLE + bits / V21_BPS
            return _Burst(side, command.frames, None, b"", now, now + V21_PREAMBLE, end)
        if isinstance(command, SendTraining):
            data = bytes(int(command.rate.bps * command.seconds / 8))
            training = TRAINING[command.rate.modem]
            end = now + training + command.seconds
            return _Burst(side, None, command.rate, data, now, now + training, end)
        assert isinstance(command, SendPage)
        training = page_training(command.rate)
        end = now + training + len(command.data) * 8 / command.rate.bps
        self._pages_sent[command.page] = attempt = self._pages_sent.get(command.page, 0) + 1
        return _Burst(side, None, command.rate, command.data, now, now + training, end,
                      command.page, attempt)  # fmt: skip

    # --- for a receiver that hands data on as it arrives (the modem simulator) --------------

    def incoming(self, side: int) -> Incoming | None:
        """The other side's burst that the receive in progress on ``side`` locked on to, if any.

        Seen before it is over, so that frames and data can be handed on as they arrive;
        ``advance`` still reports the outcome as usual.
        """
        op = self._ops[side]
        if op is None or not isinstance(op.command, (ReceiveFrames, ReceiveTraining, ReceivePage)):
            return None
        burst = self._heard(side, op)
        if burst is None:
            return None
        data = self._damage(burst) if burst.frames is None else b""
        return Incoming(burst.frames, burst.rate, data, burst.start, burst.sync, burst.end)

    def sending_until(self, side: int, now: float) -> float | None:
        """When the transmission of ``side`` on the line at ``now`` ends; None if silent."""
        op = self._ops[side]
        if op is None or not isinstance(op.command, (SendFrames, SendTraining, SendPage)):
            return None
        return op.deadline if op.start <= now else None

    def cancel(self, side: int) -> None:
        """``side`` stops the receive it has in progress (it gave up listening)."""
        op = self._ops[side]
        if op is not None and isinstance(op.command, (ReceiveFrames, ReceiveTraining, ReceivePage)):
            self._ops[side] = None

    # --- time ------------------------------------------------------------------------------

    def next_time(self) -> float | None:
        """When something is next due to happen; None when nothing is in progress."""
        times = [t for side in (0, 1) if (t := self._due(side)) is not None]
        return min(times, default=None)

    def _due(self, side: int) -> float | None:
        op = self._ops[side]
        if op is None:
            return None
        if isinstance(op.command, Hangup):
            return op.start
        if self.dead:
            return op.start
        if isinstance(op.command, (SendFrames, SendTraining, SendPage)):
            drop = self._drop_time(op)
            return drop if drop is not None else op.deadline
        burst = self._heard(side, op)
        if burst is None:
            return op.deadline
        if burst.frames is not None and not isinstance(op.command, ReceiveFrames):
            return burst.sync  # +FCERROR as soon as the flags are recognised
        return burst.end

    def _drop_time(self, op: _Op) -> float | None:
        page = op.command.page if isinstance(op.command, SendPage) else 0
        if page and page == self.faults.drop_during_page:
            return (op.start + op.deadline) / 2
        return None

    def _heard(self, side: int, op: _Op) -> _Burst | None:
        """The burst of the other side this receiver locks on to, if any."""
        if op.burst is not None:
            return op.burst
        for burst in self._bursts:
            if burst.sender == side or not (op.start <= burst.sync <= op.deadline):
                continue
            frames_wanted = isinstance(op.command, ReceiveFrames)
            if frames_wanted and burst.frames is None:
                continue  # a V.21 receiver does not hear a high-speed carrier
            if not frames_wanted and burst.frames is None and burst.rate != op.command.rate:  # type: ignore[union-attr]
                continue  # no training at this modulation: nothing to lock on to
            op.burst = burst
            return burst
        return None

    def advance(self, now: float) -> list[tuple[int, Input]]:
        """Everything due by ``now``, as (side, input) to hand to that side's engine."""
        out: list[tuple[int, Input]] = []
        for side in (0, 1):
            due = self._due(side)
            op = self._ops[side]
            if op is None or due is None or due > now:
                continue
            self._ops[side] = None
            out.append((side, self._result(side, op)))
        self._bursts = [b for b in self._bursts if b.end > now - 60]
        return out

    def _result(self, side: int, op: _Op) -> Input:
        command = op.command
        if isinstance(command, Hangup):
            return Sent()
        if self.dead:
            return LineLost(self._death)
        if isinstance(command, (SendFrames, SendTraining, SendPage)):
            if self._drop_time(op) is not None:
                self.dead, self._death = True, "the line dropped"
                return LineLost(self._death)
            return Sent()
        burst = op.burst
        if burst is None:
            return TimedOut()
        if burst.frames is not None:
            if not isinstance(command, ReceiveFrames):
                return WrongCarrier()
            if burst.garbled:
                return FramesIn((None,) * len(burst.frames))
            return FramesIn(tuple(burst.frames))
        return DataIn(self._damage(burst))

    def _damage(self, burst: _Burst) -> bytes:
        assert burst.rate is not None
        if self.faults.train_fails_above and burst.rate.bps > self.faults.train_fails_above:
            return bytes((i * 37 + 11) & 0xFF for i in range(len(burst.data)))  # noise
        if burst.page and burst.page == self.faults.corrupt_page and burst.attempt == 1:
            data = bytearray(burst.data)
            for i in range(len(data) // 4, len(data) * 3 // 4, 7):
                data[i] ^= 0x5A  # a burst of line noise through the middle of the page
            return bytes(data)
        return burst.data


class Terminal(Protocol):
    """A fax terminal on the line: the T.30 engine, or a stand-in for a broken one."""

    @property
    def done(self) -> bool: ...

    def start(self, now: float) -> list[Output]: ...

    def handle(self, event: Input, now: float) -> list[Output]: ...


def simulate(
    caller: Terminal, answerer: Terminal, line: Line | None = None, *, limit: float = 600.0
) -> list[tuple[float, int, Report]]:
    """Run a whole call between two engines in simulated time; the reports of both, in order.

    Side 0 is the caller, 1 the answerer. Stops when both engines are done (or at ``limit``).
    """
    line = line or Line()
    engines = (caller, answerer)
    log: list[tuple[float, int, Report]] = []

    def take(side: int, outputs: list[Output], now: float) -> None:
        for output in outputs:
            if isinstance(output, Report):
                log.append((now, side, output))
            else:
                line.submit(side, output, now)

    take(0, caller.start(0.0), 0.0)
    take(1, answerer.start(0.0), 0.0)
    while not (caller.done and answerer.done):
        now = line.next_time()
        if now is None or now > limit:
            break
        for side, event in line.advance(now):
            take(side, engines[side].handle(event, now), now)
    return log
