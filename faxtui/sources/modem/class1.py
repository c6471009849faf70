"""Class 1 (T.31): the T.30 engine's line commands as AT commands, and the modem around them.

The engine asks for "send these frames", "receive a page at V.17 14400"...; this module does
it with +FTH/+FRH/+FTM/+FRM/+FTS/+FRS the way HylaFAX and efax do (reference section 4), and
answers with what happened. Modem quirks handled here: the implied +FRH=3 after ATD and +FTH=3
after ATA, iaxmodem's CONNECT before it is ready (a configurable delay before page data),
a receive that must be aborted by a character, +FCERROR for the wrong carrier, and a modem
whose state outlived the last program (always reset on open).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from faxtui.sources.modem.at import AtPort, ModemError, Response
from faxtui.t30 import t4
from faxtui.t30.engine import (
    Command,
    DataIn,
    FramesIn,
    Hangup,
    Input,
    LineLost,
    ReceiveFrames,
    ReceivePage,
    ReceiveTraining,
    SendFrames,
    SendPage,
    SendTraining,
    Sent,
    TimedOut,
    WrongCarrier,
)
from faxtui.t30.fcf import Modem, class1_code
from faxtui.t30.hdlc import DLE_ETX, Frame, FrameError, dle_escape

CALL_RESULTS = {
    "BUSY": "busy",
    "NO ANSWER": "no_answer",
    "NO CARRIER": "no_fax_answer",
    "NO DIALTONE": "no_dialtone",
    "NO DIAL TONE": "no_dialtone",
    "ERROR": "modem_error",
    "DELAYED": "busy",
    "BLACKLISTED": "rejected",
}
SILENCE = 7  # +FTS/+FRS in 10 ms units: the 75 ms gap between V.21 and high speed
FRAME_WAIT = 3.0  # after a non-final frame, the next one comes within this
DATA_PAUSE = 5.0  # the longest silence inside page data before we give up (T.4: 5 s)


@dataclass(frozen=True)
class Identity:
    """What the modem says it is, as HylaFAX's probemodem would show it."""

    manufacturer: str
    model: str
    revision: str
    classes: tuple[str, ...]
    transmit: tuple[int, ...]  # +FTM codes
    receive: tuple[int, ...]  # +FRM codes

    def describe(self) -> str:
        name = " ".join(p for p in (self.manufacturer, self.model) if p) or "unknown modem"
        classes = ", ".join(f"Class {c}" for c in self.classes if c != "0")
        return f"{name}{f' {self.revision}' if self.revision else ''}, {classes or 'no fax class'}"


# (bytes done, bytes in all or 0 if unknown, rows done: counted only when asked, as it costs)
Progress = Callable[[int, int, Callable[[], int]], None]


class CallGone(Exception):
    """The modem went on hook under us: a receive command answered ERROR (spandsp does)."""


class Class1Modem:
    """Control of one Class 1 modem: reset, identify, dial, answer, and the engine's commands."""

    def __init__(self, port: AtPort, *, connect_delay: float = 0.4) -> None:
        self.port = port
        self.connect_delay = connect_delay  # after +FTM CONNECT (iaxmodem answers too soon)
        self._implied: str = ""  # "FRH" after ATD CONNECT, "FTH" after ATA CONNECT
        self._receiving = False  # the last line operation listened: +FRS before sending
        self._transmitting = False  # in +FTM data mode: DLE ETX ends it
        self.progress: Progress | None = None

    # --- set-up ---------------------------------------------------------------------------

    async def reset(self) -> None:
        """Bring the modem to a known state, whatever the last program left it in."""
        port = self.port
        port.abort_receive()  # out of a receive in progress
        await asyncio.sleep(0.2)
        port.write(b"\r")
        await asyncio.sleep(0.3)
        port.drain_input()
        for command in ("ATH0", "ATZ"):
            with contextlib.suppress(TimeoutError):
                await port.command(command, timeout=3)
        for command in ("ATE0", "ATV1", "ATQ0"):
            response = await port.command(command, timeout=3)
            if response.code != "OK":
                raise ModemError(f"{port.device}: {command} answered {response.code}")
        self._implied = ""

    async def identify(self) -> Identity:
        async def ask(command: str) -> str:
            try:
                response = await self.port.command(command, timeout=3)
            except TimeoutError:
                return ""
            return response.text.strip() if response.code == "OK" else ""

        classes = tuple(c.strip() for c in (await ask("AT+FCLASS=?")).split(",") if c.strip())
        manufacturer = await ask("AT+FMI?") or await ask("ATI3")
        model = await ask("AT+FMM?") or await ask("ATI0")
        revision = await ask("AT+FMR?")
        identity = Identity(manufacturer, model, revision, classes, (), ())
        if "1" not in classes and "1.0" not in classes:
            raise ModemError(
                f"{self.port.device}: {identity.describe()} has no fax Class 1 "
                f"(AT+FCLASS=? says {','.join(classes) or 'nothing'}); faxtui needs Class 1"
            )
        await self._ok("AT+FCLASS=1")
        transmit = _codes(await ask("AT+FTM=?"))
        receive = _codes(await ask("AT+FRM=?"))
        return Identity(manufacturer, model, revision, classes, transmit, receive)

    async def prepare(self, *, caller_id: bool = True) -> None:
        """Class 1 and, if the modem has it, caller ID on RING."""
        await self._ok("AT+FCLASS=1")
        if caller_id:
            with contextlib.suppress(ModemError, TimeoutError):
                await self.port.command("AT+VCID=1", timeout=3)

    async def _ok(self, command: str, timeout: float = 5.0) -> Response:
        response = await self.port.command(command, timeout=timeout)
        if response.code != "OK":
            raise ModemError(f"{self.port.device}: {command} answered {response.code}")
        return response

    # --- calls ----------------------------------------------------------------------------

    async def dial(self, number: str, timeout: float = 90.0) -> str | None:
        """Dial; None when a fax machine answered, else a reason code (busy, no_answer...)."""
        digits = re.sub(r"[^0-9*#+,WwPpTt]", "", number)
        if not digits:
            raise ModemError(f"{number!r} has no digits to dial")
        response = await self.port.command(f"ATDT{digits}", timeout=timeout)
        if response.code == "CONNECT":
            self._implied = "FRH"
            self._receiving = True
            return None
        return CALL_RESULTS.get(response.code, "modem_error")

    async def answer(self, timeout: float = 60.0) -> bool:
        response = await self.port.command("ATA", timeout=timeout)
        if response.code == "CONNECT":
            self._implied = "FTH"
            self._receiving = False
            return True
        return False

    async def hang_up(self) -> None:
        with contextlib.suppress(TimeoutError, ModemError):
            if self._transmitting:  # stopped mid-page: end the data, wait for the modem's OK
                self._transmitting = False
                self.port.write(DLE_ETX)
                await self.port.result(timeout=5)
            elif self._implied or self._receiving:
                self.port.abort_receive()
                await asyncio.sleep(0.1)
            self.port.drain_input()
            await self.port.command("ATH0", timeout=5)
        self._implied = ""

    # --- the engine's commands ------------------------------------------------------------

    async def run(self, command: Command) -> Input:
        """Carry out one engine command on the modem; the line's answer as engine input."""
        try:
            if isinstance(command, SendFrames):
                return await self._send_frames(command.frames)
            if isinstance(command, ReceiveFrames):
                return await self._receive_frames(command.timeout)
            if isinstance(command, SendTraining):
                zeros = bytes(int(command.rate.bps * command.seconds / 8))
                return await self._send_high(class1_code(command.rate), zeros, command.rate.bps)
            if isinstance(command, SendPage):
                code = class1_code(command.rate, short_train=True)
                return await self._send_high(code, command.data, command.rate.bps)
            if isinstance(command, ReceiveTraining):
                return await self._receive_high(class1_code(command.rate), command.timeout)
            if isinstance(command, ReceivePage):
                code = class1_code(command.rate, short_train=command.rate.modem is Modem.V17)
                return await self._receive_high(code, command.timeout)
            assert isinstance(command, Hangup)
            await self.hang_up()
            return Sent()
        except CallGone as exc:
            return LineLost(str(exc))
        except ModemError as exc:
            return LineLost(str(exc), local=True)

    async def _send_frames(self, frames: tuple[Frame, ...]) -> Input:
        port = self.port
        if self._implied == "FTH":
            self._implied = ""  # ATA's CONNECT already put the modem in +FTH=3
        else:
            if self._receiving:
                await self._ok(f"AT+FRS={SILENCE}")
            response = await port.command("AT+FTH=3", timeout=10)
            if response.code != "CONNECT":
                return self._lost_or(response, "AT+FTH=3")
        for frame in frames:
            port.trace(True, f"HDLC {frame.hex()}  {frame.describe()}")
            port.write(dle_escape(frame.to_bytes()) + DLE_ETX)
            response = await port.result(timeout=10)
            wanted = "OK" if frame.final else "CONNECT"
            if response.code != wanted:
                return self._lost_or(response, f"sending {frame.name}")
        self._receiving = False
        return Sent()

    async def _receive_frames(self, timeout: float) -> Input:
        """Frames until a final one: +FRH=3, data, OK (or ERROR: bad FCS) for each."""
        frames: list[Frame | None] = []
        wait = timeout
        self._receiving = True
        try:
            while True:
                if not await self._hdlc_carrier(wait):
                    return FramesIn(tuple(frames)) if frames else TimedOut()
                raw = await self.port.read_data(FRAME_WAIT)
                status = await self.port.result(FRAME_WAIT)
                frame = self._parse(raw, good=status.code == "OK")
                frames.append(frame)
                if frame is not None and frame.final:
                    return FramesIn(tuple(frames))
                wait = FRAME_WAIT
        except TimeoutError:
            await self._abort()
            return FramesIn(tuple(frames)) if frames else TimedOut()

    async def _hdlc_carrier(self, wait: float) -> bool:
        """+FRH=3 (or the one ATD implied) until CONNECT; False when no frames came."""
        port = self.port
        if self._implied == "FRH":
            self._implied = ""
            # After ATD the frame data follows the dial's CONNECT at once (it starts with
            # the address 0xFF); anything else is a result code such as NO CARRIER.
            if await port.first_byte(wait) == 0xFF:
                return True
            return (await port.result(FRAME_WAIT)).code == "CONNECT"
        port.trace(True, "AT+FRH=3")
        port.write(b"AT+FRH=3\r")
        response = await port.result(wait)
        if response.code == "ERROR":
            raise CallGone("AT+FRH=3 answered ERROR: the modem is on hook, the call is gone")
        if response.code == "NO CARRIER":
            return False
        if response.code != "CONNECT":
            raise ModemError(f"{port.device}: AT+FRH=3 answered {response.code}")
        return True

    async def _abort(self) -> None:
        """Stop a receive still waiting for a carrier and get back to command mode."""
        self.port.abort_receive()
        with contextlib.suppress(TimeoutError):
            await self.port.result(3)

    def _parse(self, raw: bytes, *, good: bool) -> Frame | None:
        if not good:
            self.port.trace(False, f"HDLC {raw.hex(' ')}  (FCS error)")
            return None
        try:
            frame = Frame.parse(raw, has_fcs=len(raw) >= 5)
        except FrameError as exc:
            self.port.trace(False, f"HDLC {raw.hex(' ')}  ({exc})")
            return None
        self.port.trace(False, f"HDLC {frame.hex()}  {frame.describe()}")
        return frame

    async def _send_high(self, code: int, data: bytes, bps: int) -> Input:
        port = self.port
        await self._ok(f"AT+FTS={SILENCE}")
        response = await port.command(f"AT+FTM={code}", timeout=10)
        if response.code != "CONNECT":
            return self._lost_or(response, f"AT+FTM={code}")
        if self.connect_delay:
            await asyncio.sleep(self.connect_delay)
        total = len(data)
        report = self.progress
        rows = t4.coded_rows(data) if report is not None else 0

        def progress(done: int) -> None:
            if report is not None:
                report(done, total, lambda: min(rows, t4.rows_so_far(data[:done])))

        self._transmitting = True
        await port.write_data(data, progress=progress)
        self._transmitting = False
        # OK comes once the modem has sent it all: up to the data's time on the line.
        response = await port.result(timeout=total * 8 / bps + 30)
        if response.code != "OK":
            return self._lost_or(response, f"sending data at +FTM={code}")
        self._receiving = False
        return Sent()

    async def _receive_high(self, code: int, timeout: float) -> Input:
        port = self.port
        port.trace(True, f"AT+FRM={code}")
        port.write(f"AT+FRM={code}\r".encode())
        self._receiving = True
        try:
            response = await port.result(timeout)
        except TimeoutError:
            await self._abort()
            return TimedOut()
        if response.code == "+FCERROR" or response.code == "+FRH:3":
            return WrongCarrier()
        if response.code == "ERROR":
            raise CallGone(f"AT+FRM={code} answered ERROR: the modem is on hook, the call is gone")
        if response.code != "CONNECT":
            return (
                TimedOut()
                if response.code == "NO CARRIER"
                else self._lost_or(response, f"AT+FRM={code}")
            )
        report = self.progress

        def progress(data: bytearray) -> None:
            if report is not None:
                report(len(data), 0, lambda: t4.rows_so_far(bytes(data)))

        try:
            data = await port.read_data(DATA_PAUSE, progress=progress)
        except TimeoutError:
            await self._abort()
            return LineLost(f"the data stopped for {DATA_PAUSE:g} s without an end")
        with contextlib.suppress(TimeoutError):
            await port.result(FRAME_WAIT)  # NO CARRIER
        return DataIn(data)

    def _lost_or(self, response: Response, doing: str) -> Input:
        """A result that means the call is gone, else a plain failure to say what happened."""
        if response.code in ("NO CARRIER", "ERROR"):
            return LineLost(f"{response.code} while {doing}")
        return LineLost(f"unexpected {response.code} while {doing}")


def _codes(text: str) -> tuple[int, ...]:
    return tuple(int(c) for c in re.findall(r"\d+", text))
