"""A Class 1 fax modem on a pseudo-terminal, with a far-end fax machine behind it.

Towards the program that opens the pty (the DTE) it behaves like iaxmodem 1.2.0 (spandsp
0.0.5 T.31), as measured byte for byte in the lab (../shared/lab): the same identification,
echo and result codes, DLE framing both ways, the FCS octets after each received frame, OK
after a final frame sent and CONNECT after a non-final one, CONNECT at once on +FTM, OK held
until the carrier drops after a final frame received, XOFF/XON while page data is buffered,
and the traps: a receive aborted by any character (the rest of that write is lost, so a
command sent then is swallowed), +FCERROR followed by the frame handed over unasked, a frame
that arrived before +FRH=3 delivered after two CONNECTs, a 5 s busy-out after ATH/ATZ.

Behind it a T.30 engine (faxtui.t30.engine) plays the far end on a simulated line
(faxtui.sim.line), side 0 being this modem and side 1 the far end. Line time runs ``speed``
times faster than the clock. What the DTE must react to keeps real-time slack whatever the
speed: the far end waits ``turnaround`` real seconds before each transmission, its own timers
(T1, T2, T4) run in real seconds, a DTE that issues +FRH=3 within ``turnaround`` of the last
OK gets the next frame as if it had been waiting, and page data counts as late (ones before
it, zero fill inside it) only against the real, unscaled line rate.

Run it alone:  python -m faxtui.sim.modem --link /tmp/faxtui-modem --speed 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import math
import os
import re
import signal
import time
import tty
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum, auto
from pathlib import Path

from PIL import Image, ImageDraw

from faxtui.documents import fonts
from faxtui.sim.line import (
    SHORT_TRAINING,
    TRAINING,
    V21_BPS,
    V21_PREAMBLE,
    Faults,
    Incoming,
    Line,
    frame_bits,
    page_training,
)
from faxtui.t30.engine import (
    T30,
    Command,
    DataIn,
    Finished,
    FramesIn,
    Hangup,
    Input,
    LineLost,
    Options,
    Output,
    ReceiveFrames,
    ReceivePage,
    ReceiveTraining,
    Report,
    SendFrames,
    SendPage,
    WrongCarrier,
)
from faxtui.t30.fcf import MODULATIONS, Rate
from faxtui.t30.hdlc import DLE_ETX, DleDecoder, DleEnd, Frame, add_fcs, dle_escape

log = logging.getLogger(__name__)

# Line seconds (divided by ``speed`` on the clock), measured on iaxmodem where it says so.
CED_SECONDS = 3.0  # ATA: answer tone before the V.21 preamble (the caller's CONNECT: 3.03 s)
ANSWER_CONNECT = 3.7  # ATA -> CONNECT (3.72 s)
FLAG_DETECT = 0.2  # the far end's V.21 flags are recognised this long after its carrier starts
CARRIER_OFF = 0.04  # from the last bit to the carrier drop that releases a held result
RING_EVERY = 5.0
BUSY_TONE = 2.0  # busy tone heard for this long before BUSY
T30_GAP = 0.075  # the shortest silence the far end leaves before it transmits
LISTEN = 1e6  # a receive the modem never ends by itself: the DTE aborts it
XOFF_ABOVE = 3072  # bytes of page data buffered (spandsp's high tide)
XON_BELOW = 1024
MAX_FILL = 1 << 16  # at most this many bytes of ones or zeros for a DTE that is late
STREAM_EVERY = 0.05  # real seconds between chunks of received page data
XON, XOFF = b"\x11", b"\x13"
# Handed over by iaxmodem after page data as the carrier goes (measured at 14400).
CARRIER_NOISE = bytes.fromhex("ffffffffff9e4408aed3bc6fd3ba4cc3b8cce3388ee3388ee3388ee338")
_NUMERIC = {"OK": 0, "CONNECT": 1, "RING": 2, "NO CARRIER": 3, "ERROR": 4, "NO DIALTONE": 6,
            "BUSY": 7, "NO ANSWER": 8, "+FCERROR": 9, "+FRH:3": 10}  # fmt: skip
_CLASS1 = ("1", "1.0")
# one command of a command line: extended (to ";"), &x, D (the rest), S-register, basic
_TOKEN = re.compile(
    r"(?P<ext>\+[A-Z]+)(?P<extarg>[^;]*)"
    r"|(?P<amp>&[A-Z])\d*"
    r"|D(?P<dial>.*)"
    r"|S(?P<reg>\d+)(?P<sarg>=\d*|\?)?"
    r"|(?P<basic>[A-Z])(?P<num>\d*)"
)
_SETTINGS = frozenset({"+FIT", "+FCL", "+FDD", "+FLO", "+IFC", "+IPR", "+FPR"})


@dataclass(frozen=True)
class Identity:
    """What the modem says about itself; the defaults are iaxmodem's answers."""

    ati0: str = "spandsp"
    ati3: str = "www.soft-switch.org"
    manufacturer: str = "www.soft-switch.org"  # AT+FMI?
    model: str = "spandsp"  # AT+FMM?
    revision: str = "0.0.5"  # AT+FMR?
    classes: tuple[str, ...] = ("0", "1", "1.0")  # AT+FCLASS=?
    modulations: tuple[int, ...] = (24, 48, 72, 73, 74, 96, 97, 98, 121, 122, 145, 146)


SPANDSP = Identity()
# ATI3, +FMI? and +FMM? as a CX93001 answers; ATI0 and +FMR? are assumptions.
CX93001 = Identity(
    ati0="56000",
    ati3="CX93001-EIS_V0.2002-V92",
    manufacturer="CONEXANT",
    model="CX93001",
    revision="CX93001-EIS_V0.2002-V92",
)


class Answer(StrEnum):
    """What happens when the DTE dials the far end."""

    FAX = "fax"  # a fax machine answers and receives
    SILENT = "silent"  # it answers with V.21 flags, then never sends a frame (no DIS)
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    NO_DIALTONE = "no-dialtone"
    NO_CARRIER = "no-carrier"  # something answers, but no fax


@dataclass(frozen=True)
class FarEnd:
    """The fax machine at the other end of the line, and what goes wrong."""

    answer: Answer = Answer.FAX
    faults: Faults = field(default_factory=Faults)
    options: Options = field(default_factory=lambda: Options(local_id="+49 30 1234567"))
    pages: tuple[Image.Image, ...] = field(default=(), compare=False)  # sent when it calls in
    number: str = "+49301234567"  # caller ID when it calls in
    name: str = "Far End"
    answer_after: float = 0.0  # line seconds from ATD until it answers, or BUSY
    give_up_after: float = 45.0  # line seconds it lets us ring before it hangs up
    bad_fcs: str = ""  # the first frame of this name (e.g. "DIS") reaches the DTE with a bad FCS


@dataclass(eq=False)
class Call:
    """One call through the modem, and what the far end made of it."""

    incoming: bool
    number: str  # dialled by the DTE, or the far end's when it calls in
    far_end: FarEnd
    # the dial result; for a call in: answered, rejected, unanswered
    outcome: str = ""
    engine: T30 | None = None  # the far end's, once the call is up
    # the far end's reports, with the seconds since the modem started
    reports: list[tuple[float, Report]] = field(default_factory=list)
    line: Line = field(init=False, repr=False)
    _far_command: Command | None = field(default=None, init=False, repr=False)
    _fcs_spoiled: bool = field(default=False, init=False, repr=False)
    _ended: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)

    def __post_init__(self) -> None:
        self.line = Line(self.far_end.faults)

    @property
    def result(self) -> Finished | None:
        """The far end's verdict, once its engine has finished."""
        return self.engine.result if self.engine is not None else None

    @property
    def received(self) -> list[Image.Image]:
        """The pages the far end received."""
        return list(self.engine.received) if self.engine is not None else []

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    async def wait(self, timeout: float = 30.0) -> Finished | None:
        """Until the call is over on both ends; the far end's verdict."""
        async with asyncio.timeout(timeout):
            await self._ended.wait()
        return self.result


class _Mode(Enum):
    """What a byte from the DTE means."""

    COMMAND = auto()
    FRAME_TX = auto()  # +FTH=3 (or ATA): HDLC frames up to DLE ETX
    DATA_TX = auto()  # +FTM: data up to DLE ETX
    FRAME_RX = auto()  # +FRH=3 (or ATD): any byte aborts
    DATA_RX = auto()  # +FRM: any byte aborts
    SILENCE = auto()  # +FTS/+FRS: any byte aborts
    ANSWERING = auto()  # ATA before CONNECT: any byte aborts


class _State(Enum):
    IDLE = auto()
    DIALING = auto()
    RINGING = auto()
    CONNECTED = auto()


@dataclass
class _Tx:
    """A transmission the DTE is feeding; the line gets it whole when it ends."""

    rate: Rate | None  # None: V.21 frames
    ready: float  # line time the preamble or training is over
    clock: float  # line time everything given so far has gone out
    real_ready: float = 0.0  # clock time the training is over at the real (unscaled) rate
    real_due: float = 0.0  # clock time the next byte is needed at the real rate
    page: int = 0
    frames: list[Frame] = field(default_factory=list)
    data: bytearray = field(default_factory=bytearray)
    started: bool = False


@dataclass
class _Listen:
    """The V.21 receiver and the burst it locked on to."""

    burst: Incoming | None = None
    ends: tuple[float, ...] = ()
    taken: int = 0  # frames handed over or queued


@dataclass
class _Received:
    raw: bytes  # frame and FCS
    ok: bool
    final: bool
    carrier_off: float  # line time the burst's carrier drops


@dataclass
class _Data:
    """A high-speed receive and the burst it locked on to."""

    rate: Rate
    burst: Incoming | None = None
    connected: bool = False
    sent: int = 0


class SimModem:
    """A Class 1 modem on a pty; ``await start()``, open ``device``, ``await stop()``."""

    def __init__(
        self,
        far_end: FarEnd | None = None,
        *,
        identity: Identity = SPANDSP,
        speed: float = 1.0,
        link: str | os.PathLike[str] | None = None,
        number: str = "5550100",
        busy_out: float = 5.0,
        no_answer_after: float = 45.0,
        turnaround: float = 0.1,
    ) -> None:
        """``far_end`` answers the calls the DTE dials (``next_call`` overrides it once).

        Durations are line seconds, except ``turnaround`` (real seconds). ``busy_out``: calls
        in are refused this long after ATH/ATZ. ``number`` is ours, shown as NDID.
        """
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.far_end = far_end or FarEnd()
        self.identity = identity
        self.speed = speed
        self.link = Path(link) if link is not None else None
        self.number = number
        self.busy_out = busy_out
        self.no_answer_after = no_answer_after
        self.turnaround = turnaround
        self.device = ""
        self.calls: list[Call] = []
        self._new_call = asyncio.Event()  # set when a call is added to ``calls``
        self._next: FarEnd | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._master = self._slave = -1
        self._t0 = 0.0
        self._out = bytearray()
        self._writing = False
        self._pump_handle: asyncio.TimerHandle | None = None
        self._timers: dict[str, tuple[float, Callable[[float], None]]] = {}
        self._active: list[Call] = []  # calls whose line still has something going on
        self._call: Call | None = None  # the call this modem is in
        self._state = _State.IDLE
        self._mode = _Mode.COMMAND
        self._command = bytearray()
        self._decoder = DleDecoder()
        self._frame = bytearray()
        self._busy_until = -math.inf
        self._fclass = "0"
        self._vcid = False
        self._rings = 0
        self._tx: _Tx | None = None
        self._tx_end = 0.0  # line time the last transmission ended
        self._connects: list[float] = []  # CONNECTs due as non-final frames go out
        self._xoff = False
        self._listen: _Listen | None = None
        self._data: _Data | None = None
        self._queue: list[_Received] = []  # frames complete before the DTE asked for them
        self._waiting = False  # the DTE waits for a frame
        self._connected = False  # CONNECT given for the frame it waits for
        self._last_ok = -math.inf  # clock time of the last OK after a frame
        self._reset_profile()

    def _reset_profile(self) -> None:
        """ATZ and AT&F: what spandsp resets (+FCLASS and +VCID survive)."""
        self._echo = True
        self._verbose = True
        self._quiet = False
        self._adaptive = False  # +FAR=1
        self._s = {0: 0, 3: 13, 4: 10, 5: 8, 7: 60}

    # --- the public side -------------------------------------------------------------------

    async def start(self) -> str:
        """Open the pty and serve it; the slave's path (also in ``device``)."""
        self._loop = asyncio.get_running_loop()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.device = os.ttyname(self._slave)
        if self.link is not None:
            if self.link.is_symlink():
                self.link.unlink()
            os.symlink(self.device, self.link)
        self._t0 = self._loop.time()
        self._loop.add_reader(self._master, self._readable)
        log.info("simulated Class 1 modem on %s", self.link or self.device)
        return self.device

    async def stop(self) -> None:
        if self._loop is None:
            return
        self._loop.remove_reader(self._master)
        if self._writing:
            self._loop.remove_writer(self._master)
        if self._pump_handle is not None:
            self._pump_handle.cancel()
        for call in self.calls:
            call._ended.set()
        os.close(self._master)
        os.close(self._slave)
        if self.link is not None and self.link.is_symlink():
            self.link.unlink()
        self._loop = None

    async def __aenter__(self) -> SimModem:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def next_call(self, far_end: FarEnd) -> None:
        """The far end for the next number the DTE dials only."""
        self._next = far_end

    async def ring(
        self,
        pages: Sequence[Image.Image] = (),
        *,
        faults: Faults | None = None,
        far_end: FarEnd | None = None,
    ) -> Call:
        """The far end calls in to send ``pages``: RING (and caller ID) until the DTE answers.

        A call is refused (outcome "rejected") while the modem is busy or in its busy-out.
        """
        far = far_end or self.far_end
        far = dataclasses.replace(far, pages=tuple(pages) or far.pages, faults=faults or far.faults)
        if not far.pages:
            raise ValueError("a far end that calls in needs pages to send")
        call = Call(incoming=True, number=far.number, far_end=far)
        self._add(call)
        now = self._now()
        if self._state is not _State.IDLE or now < self._busy_until:
            call.outcome = "rejected"
            call._ended.set()
            log.info("call in from %s rejected: the modem is busy", far.number)
            return call
        self._call, self._state, self._rings = call, _State.RINGING, 0
        self._active.append(call)
        self._ring(now)
        self._at("give-up", now + far.give_up_after, self._unanswered)
        self._pump()
        return call

    def _add(self, call: Call) -> None:
        self.calls.append(call)
        self._new_call.set()

    async def call_after(self, count: int) -> Call:
        """The call after the first ``count``, once it begins (the DTE dials, or a ring)."""
        while len(self.calls) <= count:
            self._new_call.clear()
            await self._new_call.wait()
        return self.calls[count]

    @property
    def last_call(self) -> Call | None:
        return self.calls[-1] if self.calls else None

    @property
    def received_pages(self) -> list[Image.Image]:
        """What the far end received in the last call."""
        return self.calls[-1].received if self.calls else []

    @property
    def result(self) -> Finished | None:
        """The far end's verdict on the last call."""
        return self.calls[-1].result if self.calls else None

    # --- clock, timers and the pump ---------------------------------------------------------

    def _clock(self) -> float:
        assert self._loop is not None
        return self._loop.time()

    def _now(self) -> float:
        """Line time."""
        return (self._clock() - self._t0) * self.speed

    def _at(self, key: str, when: float, action: Callable[[float], None]) -> None:
        self._timers[key] = (when, action)

    def _cancel(self, *keys: str) -> None:
        for key in keys:
            self._timers.pop(key, None)

    def _next_due(self) -> tuple[float, str | Call] | None:
        """The next thing to do: a timer (by key) or a line's event, and when."""
        best: tuple[float, str | Call] | None = None
        for key, (when, _) in self._timers.items():
            if best is None or when < best[0]:
                best = (when, key)
        # While the DTE feeds a transmission, the far end waits for it: it cannot hear the
        # burst before its preamble or training is over, and the burst goes on the line whole.
        hold = self._tx.ready if self._tx is not None else None
        for call in self._active:
            due = call.line.next_time()
            if due is None or (call is self._call and hold is not None and due >= hold):
                continue
            if best is None or due < best[0]:
                best = (due, call)
        return best

    def _pump(self) -> None:
        """Do everything that is due, then sleep until the next thing."""
        if self._loop is None:
            return
        now = self._now()
        while (due := self._next_due()) is not None and due[0] <= now:
            when, what = due
            if isinstance(what, Call):
                self._advance(what, when)
            else:
                self._timers.pop(what)[1](when)
        self._flush()
        if self._pump_handle is not None:
            self._pump_handle.cancel()
            self._pump_handle = None
        if due is not None:
            at = self._t0 + due[0] / self.speed
            self._pump_handle = self._loop.call_at(at, self._pump)

    def _advance(self, call: Call, when: float) -> None:
        for side, event in call.line.advance(when):
            if side == 1:
                if call.engine is not None:
                    self._run_far(call, call.engine.handle(event, when / self.speed), when)
            elif call is self._call:
                self._line_event(event, when)
        self._check_ended(call)

    # --- the pty ----------------------------------------------------------------------------

    def _readable(self) -> None:
        try:
            data = os.read(self._master, 65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # EIO: nobody has the pty open; we keep the slave, so it is rare
            return
        log.debug("DTE> %r", data[:200])
        self._feed(data, self._now())
        self._pump()

    def _send(self, data: bytes) -> None:
        self._out += data

    def _flush(self) -> None:
        if not self._out or self._loop is None:
            return
        log.debug("DTE< %r", bytes(self._out[:200]))
        try:
            written = os.write(self._master, self._out)
        except BlockingIOError:
            written = 0
        except OSError:
            written = len(self._out)
        del self._out[:written]
        if self._out and not self._writing:
            self._loop.add_writer(self._master, self._flush_more)
            self._writing = True

    def _flush_more(self) -> None:
        self._flush()
        if not self._out and self._writing and self._loop is not None:
            self._loop.remove_writer(self._master)
            self._writing = False

    def _result(self, code: str) -> None:
        if self._quiet:
            return
        if self._verbose:
            self._send(f"\r\n{code}\r\n".encode())
        else:
            self._send(f"{_NUMERIC[code]}\r".encode())

    def _info(self, text: str) -> None:
        framing = b"\r\n" if self._verbose else b""
        self._send(framing + text.encode("latin-1", "replace") + b"\r\n")

    # --- bytes from the DTE -----------------------------------------------------------------

    def _feed(self, data: bytes, now: float) -> None:
        while data:
            if self._mode is _Mode.COMMAND:
                data = self._feed_command(data, now)
            elif self._mode in (_Mode.FRAME_TX, _Mode.DATA_TX):
                data = self._feed_tx(data, now)
            else:
                self._abort(now)  # the rest of what came with it is lost (lab trap 7)
                return

    def _feed_command(self, data: bytes, now: float) -> bytes:
        """Command-line bytes; what follows a command that left command mode is returned."""
        echoed = 0
        for i, byte in enumerate(data):
            if byte == 0x0D:
                if self._echo:
                    self._send(data[echoed : i + 1])
                echoed = i + 1
                line = self._command.decode("latin-1")
                self._command.clear()
                self._execute(line, now)
                if self._mode is not _Mode.COMMAND:
                    return data[i + 1 :]
            elif byte == 0x08:
                del self._command[-1:]
            elif 0x20 <= byte < 0x7F and len(self._command) < 256:
                self._command.append(byte)
        if self._echo:
            self._send(data[echoed:])
        return b""

    def _feed_tx(self, data: bytes, now: float) -> bytes:
        for piece in self._decoder.feed(data):
            if isinstance(piece, DleEnd):
                self._tx_done(now)
                return piece.rest
            if self._mode is _Mode.FRAME_TX:
                self._frame += piece[: 2048 - len(self._frame)]
            else:
                self._tx_data(piece, now)
        return b""

    def _abort(self, now: float) -> None:
        """A byte from the DTE while it waits: back to command mode (T.31)."""
        mode = self._mode
        if mode is _Mode.FRAME_RX:
            if self._connected:
                self._send(DLE_ETX)
            self._stop_receiving()
        elif mode is _Mode.DATA_RX:
            data = self._data
            if data is not None and data.connected:
                self._data_tick(now)
                self._send(DLE_ETX)
            self._stop_receiving()
        elif mode is _Mode.ANSWERING:
            self._cancel("answer")
            self._tx = None
        self._cancel("silence")
        self._mode = _Mode.COMMAND
        self._result("OK")

    # --- AT commands ------------------------------------------------------------------------

    def _execute(self, line: str, now: float) -> None:
        text = "".join(line.split()).upper()
        if not text.startswith("AT"):
            return  # not a command: iaxmodem says nothing either
        self._waiting = False  # a frame that comes now waits for the next +FRH=3
        pos, body = 0, text[2:]
        while pos < len(body):
            if body[pos] == ";":
                pos += 1
                continue
            m = _TOKEN.match(body, pos)
            code = self._one(m, now) if m else "ERROR"
            if code != "OK":
                if code is not None:
                    self._result(code)
                return
            assert m is not None
            pos = m.end()
        self._result("OK")

    def _one(self, m: re.Match[str], now: float) -> str | None:
        """Run one command: "OK" to go on, another code to stop with, None if it answered."""
        if m["ext"]:
            return self._extended(m["ext"], m["extarg"], now)
        if m["amp"]:
            if m["amp"] == "&F":
                self._reset_profile()
            return "OK" if m["amp"][1] in "CDFKSWY" else "ERROR"
        if m["dial"] is not None:
            return self._dial(m["dial"], now)
        if m["reg"]:
            return self._register(int(m["reg"]), m["sarg"])
        letter, num = m["basic"], m["num"]
        value = int(num) if num else 0
        if letter == "A":
            return self._answer(now)
        if letter == "H":
            self._hang_up(now)
            return "OK"
        if letter == "Z":
            self._hang_up(now)
            self._reset_profile()
            return "OK"
        if letter == "I":
            text = {0: self.identity.ati0, 3: self.identity.ati3}.get(value)
            if text is None:
                return "ERROR"
            self._info(text)
            return "OK"
        if letter in "EVQ":
            if value > 1:
                return "ERROR"
            setattr(self, {"E": "_echo", "V": "_verbose", "Q": "_quiet"}[letter], value == 1)
            return "OK"
        if letter == "X":
            return "OK" if value <= 4 else "ERROR"
        return "OK" if letter in "LMPT" else "ERROR"

    def _register(self, number: int, arg: str | None) -> str:
        if arg == "?":
            self._info(f"{self._s.get(number, 0):03d}")
        elif arg:
            value = int(arg[1:] or 0)
            if value > 255:
                return "ERROR"
            self._s[number] = value
        return "OK"

    def _extended(self, name: str, arg: str, now: float) -> str | None:
        ident = self.identity
        queries = {"+FMI": ident.manufacturer, "+FMM": ident.model, "+FMR": ident.revision}
        if name in queries and arg in ("", "?"):
            self._info(queries[name])
            return "OK"
        if name in ("+GMI", "+GMM", "+GMR") and arg in ("", "?"):
            return "OK"  # iaxmodem answers these empty
        if name == "+FCLASS":
            return self._fclass_command(arg)
        if name == "+VCID":
            return self._flag(arg, "_vcid", "0,1")
        if name in _SETTINGS:
            if arg in ("?", "=?"):
                self._info("0")
            return "OK"
        if not any(c in _CLASS1 for c in ident.classes):
            return "ERROR"
        if name == "+FAR":
            return self._flag(arg, "_adaptive", "0,1")
        if name in ("+FTH", "+FRH"):
            if arg == "=?":
                self._info("3")
                return "OK"
            if arg != "=3" or not self._class1_ready():
                return "ERROR"
            (self._fth if name == "+FTH" else self._frh)(now)
            return None
        if name in ("+FTM", "+FRM"):
            if arg == "=?":
                self._info(",".join(map(str, ident.modulations)))
                return "OK"
            code = int(arg[1:]) if re.fullmatch(r"=\d{1,3}", arg) else -1
            if code not in ident.modulations or code not in MODULATIONS or code == 3:
                return "ERROR"
            if not self._class1_ready():
                return "ERROR"
            (self._ftm if name == "+FTM" else self._frm)(code, now)
            return None
        if name in ("+FTS", "+FRS"):
            if arg == "=?":
                self._info("0-255")
                return "OK"
            if not re.fullmatch(r"=\d{1,3}", arg) or int(arg[1:]) > 255:
                return "ERROR"
            if not self._class1_ready():
                return "ERROR"
            self._silence(int(arg[1:]), name == "+FRS", now)
            return None
        return "ERROR"

    def _fclass_command(self, arg: str) -> str:
        classes = self.identity.classes
        if arg == "=?":
            self._info(",".join(classes))
        elif arg == "?":
            self._info(self._fclass)
        elif arg.startswith("=") and arg[1:] in classes:
            self._fclass = arg[1:]
        else:
            return "ERROR"
        return "OK"

    def _flag(self, arg: str, attr: str, choices: str) -> str:
        if arg == "=?":
            self._info(choices)
        elif arg == "?":
            self._info(str(int(getattr(self, attr))))
        elif arg in ("=0", "=1"):
            setattr(self, attr, arg == "=1")
        else:
            return "ERROR"
        return "OK"

    def _class1_ready(self) -> bool:
        """A Class 1 line command needs Class 1 and a call (iaxmodem: ERROR on hook)."""
        return self._fclass in _CLASS1 and self._state is _State.CONNECTED

    # --- calls ------------------------------------------------------------------------------

    def _dial(self, dial: str, now: float) -> str | None:
        if self._state is not _State.IDLE:
            return "ERROR"  # in a call, or ringing (glare)
        number = re.sub(r"[^0-9*#+]", "", dial.split(";")[0])
        if not number:
            return "NO DIALTONE"
        far, self._next = self._next or self.far_end, None
        call = Call(incoming=False, number=number, far_end=far)
        self._add(call)
        self._active.append(call)
        self._call, self._state = call, _State.DIALING
        log.info("dialling %s: the far end %s", number, far.answer)
        if far.answer is Answer.NO_DIALTONE:
            self._dial_failed("NO DIALTONE", now)
        elif far.answer is Answer.BUSY:
            self._at("dial", now + far.answer_after + BUSY_TONE,
                     lambda t: self._dial_failed("BUSY", t))  # fmt: skip
        elif far.answer is Answer.NO_ANSWER:
            self._at(
                "dial", now + self.no_answer_after, lambda t: self._dial_failed("NO ANSWER", t)
            )
        elif far.answer is Answer.NO_CARRIER or self._fclass not in _CLASS1:
            self._at(
                "dial", now + self.no_answer_after, lambda t: self._dial_failed("NO CARRIER", t)
            )
        else:
            self._at("dial", now + far.answer_after, self._answered)
        return None  # commands still work while it dials, as on iaxmodem

    def _dial_failed(self, code: str, now: float) -> None:
        call = self._call
        assert call is not None
        call.outcome = code
        self._result(code)
        self._leave_call(now)

    def _answered(self, now: float) -> None:
        """The far end picked up: after its answer tone come V.21 flags and frames."""
        call = self._call
        assert call is not None
        call.outcome = "CONNECT"
        self._state = _State.CONNECTED
        self._mode, self._waiting, self._connected = _Mode.FRAME_RX, True, False
        self._start_listening(now)
        if call.far_end.answer is Answer.SILENT:
            self._at("flags", now + CED_SECONDS + FLAG_DETECT, self._silent_flags)
        else:
            self._at("far", now + CED_SECONDS, lambda t: self._start_far(call, t))

    def _silent_flags(self, now: float) -> None:
        if self._mode is _Mode.FRAME_RX and not self._connected:
            self._connected = True
            self._result("CONNECT")

    def _ring(self, now: float) -> None:
        call = self._call
        assert call is not None
        if self._rings == 0 and self._vcid:
            far = call.far_end
            local = time.localtime()
            for key, value in (
                ("DATE", time.strftime("%m%d", local)),
                ("TIME", time.strftime("%H%M", local)),
                ("NAME", far.name),
                ("NMBR", far.number),
                ("ANID", ""),
                ("USER", ""),
                ("PASS", ""),
                ("CDID", ""),
                ("NDID", self.number),
            ):
                self._info(f"{key}={value or '<NONE>'}")
        self._result("RING")
        self._rings += 1
        if self._s[0] and self._rings >= self._s[0]:
            self._answer(now)
        else:
            self._at("ring", now + RING_EVERY, self._ring)

    def _unanswered(self, now: float) -> None:
        assert self._call is not None
        self._call.outcome = "unanswered"
        self._leave_call(now)

    def _answer(self, now: float) -> str | None:
        call = self._call
        if self._state is not _State.RINGING or call is None:
            return "ERROR"
        self._cancel("ring", "give-up")
        call.outcome = "answered"
        self._state, self._mode = _State.CONNECTED, _Mode.ANSWERING
        self._start_far(call, now)
        ready = now + CED_SECONDS + V21_PREAMBLE
        self._tx = _Tx(None, ready=ready, clock=ready)
        self._at("answer", now + ANSWER_CONNECT, self._answer_connect)
        return None

    def _answer_connect(self, now: float) -> None:
        self._mode, self._decoder = _Mode.FRAME_TX, DleDecoder()
        self._frame.clear()
        self._result("CONNECT")

    def _hang_up(self, now: float) -> None:
        call = self._call
        if call is not None:
            if self._state is _State.RINGING:
                call.outcome = "rejected"
            elif self._state is _State.DIALING:
                call.outcome = "cancelled"
            call.line.submit(0, Hangup(), now)
            self._leave_call(now)
        self._busy_until = now + self.busy_out

    def _leave_call(self, now: float) -> None:
        """Back on hook: whatever the modem was doing for this call stops."""
        call = self._call
        self._call, self._state, self._mode = None, _State.IDLE, _Mode.COMMAND
        self._timers.clear()
        self._tx = self._listen = self._data = None
        self._queue.clear()
        self._connects.clear()
        if self._xoff:
            self._send(XON)  # a DTE that honours XOFF must be able to talk again
        self._waiting = self._connected = self._xoff = False
        if call is not None:
            self._check_ended(call)

    def _remote_gone(self, now: float) -> None:
        """The far end hung up or the line dropped: what a DTE in the middle of it sees."""
        if self._state is not _State.CONNECTED:
            return
        mode = self._mode
        if mode is _Mode.DATA_RX and self._data is not None and self._data.connected:
            self._data_tick(now)
            self._send(DLE_ETX)
        elif mode is _Mode.FRAME_RX and self._connected:
            self._send(DLE_ETX)
        held = self._timers.get("ok")
        if held is not None and (mode is _Mode.FRAME_RX or self._tx_end <= now):
            self._result("OK")  # the OK it held for the carrier to drop
        elif mode is not _Mode.COMMAND or held is not None:
            self._result("NO CARRIER")
        self._leave_call(now)

    def _check_ended(self, call: Call) -> None:
        if call is self._call or call.ended or (call.engine is not None and not call.engine.done):
            return
        call._ended.set()
        if call in self._active:
            self._active.remove(call)
        result = call.result
        verdict = f"{result.result} {result.reason}" if result else "no fax session"
        log.info("call %s %s ended: %s; far end: %s, %d page(s) received",
                 "from" if call.incoming else "to", call.number, call.outcome or "-",
                 verdict, len(call.received))  # fmt: skip

    # --- the far end ------------------------------------------------------------------------

    def _start_far(self, call: Call, now: float) -> None:
        far = call.far_end
        documents = [list(far.pages)] if call.incoming else []
        call.engine = T30(far.options, documents=documents)
        self._run_far(call, call.engine.start(now / self.speed), now)

    def _run_far(self, call: Call, outputs: list[Output], now: float) -> None:
        """Carry out the far end's commands: its timers in real seconds, a gap before sending."""
        for output in outputs:
            if isinstance(output, Report):
                call.reports.append((now / self.speed, output))
                continue
            call._far_command = output
            if isinstance(output, (ReceiveFrames, ReceiveTraining, ReceivePage)):
                call.line.submit(
                    1, dataclasses.replace(output, timeout=output.timeout * self.speed), now
                )
            elif isinstance(output, Hangup):
                call.line.submit(1, output, now)
                if call is self._call:
                    self._remote_gone(now)
            else:
                call.line.submit(1, output, now + max(T30_GAP, self.turnaround * self.speed))
        if call is self._call:
            self._watch(now)

    def _line_event(self, event: Input, now: float) -> None:
        """The outcome of what this modem had on the line."""
        if isinstance(event, LineLost):
            self._remote_gone(now)
        elif isinstance(event, FramesIn):
            self._listen_over(now)
        elif isinstance(event, DataIn):
            self._data_over(now)
        elif isinstance(event, WrongCarrier):
            self._wrong_carrier(now)

    # --- transmitting -----------------------------------------------------------------------

    def _fth(self, now: float) -> None:
        self._stop_receiving()
        ready = now + V21_PREAMBLE
        self._tx = _Tx(None, ready=ready, clock=ready)
        self._mode, self._decoder = _Mode.FRAME_TX, DleDecoder()
        self._frame.clear()
        self._result("CONNECT")

    def _ftm(self, code: int, now: float) -> None:
        """CONNECT at once, before the training is over (iaxmodem's early CONNECT)."""
        self._stop_receiving()
        modulation = MODULATIONS[code]
        rate = modulation.rate
        seconds = SHORT_TRAINING if modulation.short_train else TRAINING[rate.modem]
        ready = now + seconds
        far = self._call._far_command if self._call is not None else None
        page = far.page if isinstance(far, ReceivePage) else 0
        self._tx = _Tx(rate, ready=ready, clock=ready, real_ready=self._clock() + seconds,
                       page=page)  # fmt: skip
        self._mode, self._decoder = _Mode.DATA_TX, DleDecoder()
        self._result("CONNECT")

    def _tx_data(self, piece: bytes, now: float) -> None:
        tx = self._tx
        assert tx is not None and tx.rate is not None
        self._fill(tx)
        tx.data += piece
        bps = tx.rate.bps
        tx.real_due += len(piece) * 8 / bps
        tx.clock = max(tx.clock, now) + len(piece) * 8 / bps
        backlog = (tx.clock - max(now, tx.ready)) * bps / 8
        if backlog > XOFF_ABOVE and not self._xoff:
            self._xoff = True
            self._send(XOFF)
        if self._xoff:
            self._at("xon", tx.clock - XON_BELOW * 8 / bps, self._xon)

    def _fill(self, tx: _Tx) -> None:
        """What the modem sent while the DTE was late, judged at the real line rate: ones
        before the data, zeros inside it (spandsp's underrun fill)."""
        assert tx.rate is not None
        clock = self._clock()
        if not tx.started:
            tx.started = True
            late = clock - tx.real_ready
            tx.real_due = max(clock, tx.real_ready)
            fill = b"\xff"
        else:
            late = clock - tx.real_due
            tx.real_due = max(clock, tx.real_due)
            fill = b"\x00"
        count = min(MAX_FILL, int(late * tx.rate.bps / 8)) if late > 0 else 0
        tx.data += fill * count

    def _xon(self, now: float) -> None:
        self._xoff = False
        self._send(XON)

    def _tx_done(self, now: float) -> None:
        """DLE ETX: a frame is complete, or the data."""
        tx = self._tx
        assert tx is not None and self._call is not None
        if tx.rate is not None:
            self._fill(tx)
            end = max(tx.clock, now)
            data = bytes(tx.data)
            start = end - page_training(tx.rate) - len(data) * 8 / tx.rate.bps
            self._call.line.submit(0, SendPage(tx.rate, data, tx.page), start)
            self._close_tx(end)
            return
        raw = bytes(self._frame)
        self._frame.clear()
        if not raw:  # DLE ETX alone ends the transmission
            end = max(tx.clock, now)
            if tx.frames:
                self._send_frames(tx, end)
            self._close_tx(end)
            return
        # final if the control octet has the P/F bit, the one spandsp looks at
        final = len(raw) > 1 and bool(raw[1] & 0x10)
        frame = Frame(raw[2] if len(raw) > 2 else 0, raw[3:], final)
        tx.clock = max(tx.clock, now) + frame_bits(frame) / V21_BPS
        tx.frames.append(frame)
        if frame.final:
            self._send_frames(tx, tx.clock)
            self._close_tx(tx.clock)
        else:
            self._connects.append(tx.clock)
            if "tx" not in self._timers:
                self._at("tx", tx.clock, self._more_frames)

    def _more_frames(self, now: float) -> None:
        """A non-final frame went out: CONNECT, the modem wants the next one."""
        self._connects.pop(0)
        self._result("CONNECT")
        if self._connects:
            self._at("tx", self._connects[0], self._more_frames)

    def _send_frames(self, tx: _Tx, end: float) -> None:
        assert self._call is not None
        bits = sum(frame_bits(f) for f in tx.frames)
        start = end - V21_PREAMBLE - bits / V21_BPS
        self._call.line.submit(0, SendFrames(tuple(tx.frames)), start)

    def _close_tx(self, end: float) -> None:
        """The transmission is complete: OK once it has gone out and the carrier is off."""
        self._tx, self._mode, self._tx_end = None, _Mode.COMMAND, end
        self._at("ok", end + CARRIER_OFF, lambda t: self._result("OK"))

    def _silence(self, tens: int, receive: bool, now: float) -> None:
        """+FTS: wait; +FRS: wait until the line has been quiet that long."""
        self._stop_receiving()
        self._mode = _Mode.SILENCE
        self._at("silence", now + tens / 100, lambda t: self._silence_over(tens, receive, t))

    def _silence_over(self, tens: int, receive: bool, now: float) -> None:
        busy = self._call.line.sending_until(1, now) if receive and self._call else None
        if busy is not None and busy > now - tens / 100:
            self._at("silence", busy + tens / 100, lambda t: self._silence_over(tens, receive, t))
            return
        self._mode = _Mode.COMMAND
        self._result("OK")

    # --- receiving frames -------------------------------------------------------------------

    def _frh(self, now: float) -> None:
        self._mode = _Mode.FRAME_RX
        if self._queue:
            received = self._queue.pop(0)
            self._connected = False
            # spandsp 0.0.5 answers CONNECT twice for a frame it had already; a DTE that
            # asked in good time (real seconds) is served as if it had been waiting
            late = self._clock() - self._last_ok > self.turnaround
            self._deliver(received, now, twice=late)
            return
        self._waiting, self._connected = True, False
        if self._call is not None and self._call.far_end.answer is Answer.SILENT:
            self._at("flags", now + FLAG_DETECT, self._silent_flags)  # flags, for ever
        if self._listen is None:
            self._start_listening(now)
        else:
            self._rx_tick(now)

    def _start_listening(self, now: float) -> None:
        assert self._call is not None
        self._listen = _Listen()
        self._call.line.submit(0, ReceiveFrames(LISTEN), now)
        self._watch(now)

    def _stop_receiving(self) -> None:
        """Another command: the receivers are off, frames not handed over are gone."""
        if (self._listen is not None or self._data is not None) and self._call is not None:
            self._call.line.cancel(0)
        self._listen = self._data = None
        self._queue.clear()
        self._waiting = self._connected = False
        self._cancel("rx", "ok", "data", "silence", "flags")

    def _watch(self, now: float) -> None:
        """Lock on to the far end's burst as soon as it is on the line."""
        if self._call is None:
            return
        listen, data = self._listen, self._data
        if (listen is None or listen.burst is not None) and (
            data is None or data.burst is not None
        ):
            return
        burst = self._call.line.incoming(0)
        if burst is None:
            return
        if listen is not None and burst.frames is not None:
            listen.burst, listen.ends = burst, burst.frame_ends()
            self._rx_tick(now)
        elif data is not None and burst.frames is None:
            data.burst = burst
            self._at("data", burst.sync, self._data_tick)

    def _rx_tick(self, now: float, *, over: bool = False) -> None:
        """CONNECT when the flags are heard, then each frame as it completes (all: ``over``)."""
        listen = self._listen
        if listen is None or listen.burst is None:
            return
        burst = listen.burst
        flags = burst.start + FLAG_DETECT
        # CONNECT on the flags for a DTE in +FRH=3; after +FCERROR it comes with the frame
        flags_due = (self._mode is _Mode.FRAME_RX and self._waiting and not self._connected
                     and listen.taken == 0)  # fmt: skip
        if flags_due and now >= flags:
            self._connected, flags_due = True, False
            self._result("CONNECT")
        while listen.taken < len(listen.ends) and (over or listen.ends[listen.taken] <= now):
            assert burst.frames is not None
            listen.taken += 1
            self._frame_in(burst.frames[listen.taken - 1], burst.end, now)
        due = [listen.ends[listen.taken]] if listen.taken < len(listen.ends) else []
        if flags_due:
            due.append(flags)
        if due:
            self._at("rx", min(due), self._rx_tick)

    def _frame_in(self, frame: Frame, carrier_off: float, now: float) -> None:
        assert self._call is not None
        raw = add_fcs(frame.to_bytes())
        call = self._call
        ok = not (call.far_end.bad_fcs == frame.name and not call._fcs_spoiled)
        if not ok:
            call._fcs_spoiled = True
            raw = raw[:-2] + bytes(b ^ 0x5A for b in raw[-2:])
        received = _Received(raw, ok, frame.final, carrier_off)
        if self._waiting:
            self._deliver(received, now)
        else:
            self._queue.append(received)

    def _deliver(self, received: _Received, now: float, *, twice: bool = False) -> None:
        if not self._connected:
            self._result("CONNECT")
            if twice:
                self._result("CONNECT")
        self._send(dle_escape(received.raw) + DLE_ETX)
        self._waiting = self._connected = False
        if not received.ok:
            self._mode = _Mode.COMMAND
            self._result("ERROR")
        elif not received.final:
            self._mode = _Mode.COMMAND
            self._last_ok = self._clock()
            self._result("OK")
        else:  # spandsp holds the OK of a final frame until the carrier drops
            self._at("ok", max(now, received.carrier_off + CARRIER_OFF), self._held_ok)

    def _held_ok(self, now: float) -> None:
        self._mode = _Mode.COMMAND
        self._last_ok = self._clock()
        self._result("OK")

    def _listen_over(self, now: float) -> None:
        """The burst is over: its last frames are in; listen on if the DTE still waits."""
        self._rx_tick(now, over=True)
        self._listen = None
        if self._waiting and self._state is _State.CONNECTED:
            self._start_listening(now)

    def _wrong_carrier(self, now: float) -> None:
        """V.21 flags during +FRM: +FCERROR (or, with +FAR=1, +FRH:3) and the frames follow."""
        self._data = None
        self._cancel("data")
        if self._adaptive:
            self._result("+FRH:3")
            self._result("CONNECT")
            self._mode, self._waiting, self._connected = _Mode.FRAME_RX, True, True
        else:
            # iaxmodem hands the frame over unasked unless the DTE sends +FRH=3 first
            self._result("+FCERROR")
            self._mode, self._waiting, self._connected = _Mode.COMMAND, True, False
        self._start_listening(now)

    # --- receiving data ---------------------------------------------------------------------

    def _frm(self, code: int, now: float) -> None:
        assert self._call is not None
        self._stop_receiving()
        self._data = _Data(MODULATIONS[code].rate)
        self._mode = _Mode.DATA_RX
        self._call.line.submit(0, ReceivePage(self._data.rate, LISTEN, 0), now)
        self._watch(now)

    def _data_tick(self, now: float) -> None:
        """CONNECT once trained, then the data as it arrives."""
        data = self._data
        if data is None or data.burst is None:
            return
        burst = data.burst
        if not data.connected:
            data.connected = True
            self._result("CONNECT")
        upto = min(len(burst.data), int((now - burst.sync) * data.rate.bps / 8))
        if upto > data.sent:
            self._send(dle_escape(burst.data[data.sent : upto]))
            data.sent = upto
        if data.sent < len(burst.data):
            self._at("data", now + STREAM_EVERY * self.speed, self._data_tick)

    def _data_over(self, now: float) -> None:
        data = self._data
        if data is None or data.burst is None:
            return
        if not data.connected:
            self._result("CONNECT")
        self._send(dle_escape(data.burst.data[data.sent :] + CARRIER_NOISE) + DLE_ETX)
        self._data = None
        self._cancel("data")
        self._mode = _Mode.COMMAND
        self._result("NO CARRIER")


def sample_page(number: int = 1, rows: int = 600, sender: str = "faxtui simulator") -> Image.Image:
    """A small fax page (1728 pixels wide, fine resolution) for the demo and the far end: a
    heading large enough to read in braille at fit width, then lines of ordinary text."""
    image = Image.new("1", (1728, rows), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 1707, rows - 21), outline=0, width=3)
    heading = fonts.font(fonts.SANS_BOLD, 150)
    draw.text((80, 50), "FAX", font=heading, fill=0)
    draw.text((520, 70), f"page {number}", font=fonts.font(fonts.SANS_BOLD, 110), fill=0)
    small = fonts.font(fonts.SANS, 44)
    draw.text((80, 240), fonts.drawable(fonts.SANS, f"from {sender}"), font=small, fill=0)
    draw.line((80, 310, 1648, 310), fill=0, width=6)
    for y in range(350, rows - 80, 64):
        draw.text((80, y), f"Simulated fax, page {number}, line {(y - 350) // 64 + 1}.",
                  font=small, fill=0)  # fmt: skip
    return image


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m faxtui.sim.modem",
        description="A simulated Class 1 fax modem (like iaxmodem) on a pty, a fax behind it.",
    )
    parser.add_argument("--link", type=Path, help="also make this symlink to the pty")
    parser.add_argument("--speed", type=float, default=1.0, help="line time factor (default 1)")
    parser.add_argument("--answer", choices=[a.value for a in Answer], default="fax",
                        help="what answers when the DTE dials (default: fax)")  # fmt: skip
    parser.add_argument("--identity", choices=("spandsp", "cx93001"), default="spandsp")
    parser.add_argument("--no-class1", action="store_true", help="a modem with Class 0 only")
    parser.add_argument("--train-fails-above", type=int, default=0, metavar="BPS")
    parser.add_argument("--corrupt-page", type=int, default=0, metavar="N")
    parser.add_argument("--drop-during-page", type=int, default=0, metavar="N")
    parser.add_argument("--bad-fcs", default="", metavar="FRAME", help="e.g. DIS")
    parser.add_argument("--ring-every", type=float, default=0.0, metavar="SECONDS",
                        help="the far end calls in this often to send a fax")  # fmt: skip
    parser.add_argument("--pages", type=int, default=1, help="pages it sends when it calls")
    parser.add_argument("--verbose", "-v", action="store_true", help="log the AT traffic")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(message)s")  # fmt: skip

    identity = CX93001 if args.identity == "cx93001" else SPANDSP
    if args.no_class1:
        identity = dataclasses.replace(identity, classes=("0",))
    faults = Faults(args.train_fails_above, args.corrupt_page, args.drop_during_page)
    pages = tuple(sample_page(n) for n in range(1, args.pages + 1))
    far = FarEnd(Answer(args.answer), faults, pages=pages, bad_fcs=args.bad_fcs)

    async def serve() -> None:
        sim = SimModem(far, identity=identity, speed=args.speed, link=args.link)
        print(await sim.start(), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(args.ring_every or None):
                        await stop.wait()
                if args.ring_every and not stop.is_set():
                    await sim.ring()
        finally:
            await sim.stop()

    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
