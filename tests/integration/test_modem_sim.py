"""The simulated Class 1 modem, driven over its pty by a bare DTE (pyserial, no faxtui driver).

The answers checked here are iaxmodem's, as measured in the lab; the far end is faxtui's T.30
engine behind the modem, so a fax sent must arrive there pixel for pixel, and one it sends
must decode here.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from functools import cache
from pathlib import Path

import pytest
import serial
from PIL import Image, ImageChops, ImageDraw

from faxtui.model import Result
from faxtui.sim.line import Faults
from faxtui.sim.modem import CX93001, Answer, FarEnd, Identity, SimModem
from faxtui.t30 import t4
from faxtui.t30.dis import (
    Capabilities,
    Coding,
    Length,
    Resolution,
    Session,
    choose_session,
    encode_ident,
)
from faxtui.t30.engine import Finished, FrameLogged, Options, SignalLogged
from faxtui.t30.fcf import DisModems, Fcf, Modem, Rate, build_fcf, class1_code
from faxtui.t30.hdlc import DLE, DLE_ETX, Frame, add_fcs, dle_escape

SPEED = 20  # a call takes a second or two
FINAL = {"OK", "ERROR", "CONNECT", "NO CARRIER", "+FCERROR", "+FRH:3", "BUSY", "NO ANSWER",
         "NO DIALTONE", "RING"}  # fmt: skip
XON, XOFF, CAN = b"\x11", b"\x13", b"\x18"


@cache
def page(n: int, rows: int = 160) -> Image.Image:
    image = Image.new("1", (1728, rows), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 1719, rows - 9), outline=0, width=2)
    for y in range(16, rows - 16, 12):
        draw.text((24 + 7 * n, y), f"page {n} row {y} " * 8, fill=0)
    return image


def same(a: Image.Image, b: Image.Image) -> bool:
    return (
        a.size == b.size and ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None
    )


def frame(fcf: Fcf, fif: bytes = b"", *, final: bool = True) -> Frame:
    return Frame(build_fcf(fcf, fcf.has_x_bit), fif, final)


def _dle_end(buffer: bytearray) -> int:
    """Length of the DLE-framed data at the start of ``buffer``, DLE ETX included; -1 if cut."""
    i = 0
    while i < len(buffer) - 1:
        if buffer[i] == DLE:
            if buffer[i + 1] == 0x03:
                return i + 2
            i += 2
        else:
            i += 1
    return -1


class Dte:
    """A bare DTE: AT commands, result lines and DLE data on the pty, nothing from faxtui.

    It shares the event loop with the modem, so it never blocks: writes wait in ``_out``.
    """

    def __init__(self, device: str) -> None:
        self.port = serial.Serial(device, 19200, timeout=0)
        self.fd = self.port.fileno()
        os.set_blocking(self.fd, False)
        self.buffer = bytearray()
        self.seen = bytearray()  # everything the modem said
        self._out = bytearray()
        self._arrived = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self.fd, self._readable)

    def _readable(self) -> None:
        data = self.port.read(65536)
        self.buffer += data
        self.seen += data
        self._arrived.set()

    def close(self) -> None:
        self._loop.remove_reader(self.fd)
        self._loop.remove_writer(self.fd)
        self.port.close()

    def write(self, data: bytes) -> None:
        self._out += data
        self._writable()

    def _writable(self) -> None:
        with contextlib.suppress(BlockingIOError):
            del self._out[: os.write(self.fd, self._out)]
        if self._out:
            self._loop.add_writer(self.fd, self._writable)
        else:
            self._loop.remove_writer(self.fd)

    def send(self, data: bytes) -> None:
        """Data for +FTH/+FTM: DLE doubled, DLE ETX at the end."""
        self.write(dle_escape(data) + DLE_ETX)

    async def take(self, size: Callable[[bytearray], int], timeout: float) -> bytes:
        """Wait until ``size`` finds a complete piece at the start of the buffer; take it."""
        deadline = self._loop.time() + timeout
        while (n := size(self.buffer)) < 0:
            self._arrived.clear()
            async with asyncio.timeout_at(deadline):
                await self._arrived.wait()
        piece = bytes(self.buffer[:n])
        del self.buffer[:n]
        return piece

    async def line(self, timeout: float = 5.0) -> str:
        """The next non-empty line; flow control bytes between lines are dropped."""
        while True:
            raw = await self.take(lambda b: b.find(b"\r\n") + 2 if b"\r\n" in b else -1, timeout)
            text = raw.decode("latin-1").strip(" \r\n\x11\x13")
            if text:
                return text

    async def result(self, timeout: float = 5.0, *, skip: str = "") -> list[str]:
        """Lines up to a final result code, the code last; ``skip``: the echo."""
        lines: list[str] = []
        while True:
            text = await self.line(timeout)
            if text == skip:
                continue
            lines.append(text)
            if text in FINAL:
                return lines

    async def at(self, command: str, timeout: float = 5.0) -> list[str]:
        self.write(command.encode() + b"\r")
        return await self.result(timeout, skip=command)

    async def data(self, timeout: float = 5.0) -> bytes:
        """Data up to DLE ETX, DLE doubling undone."""
        raw = await self.take(_dle_end, timeout)
        return raw[:-2].replace(b"\x10\x10", b"\x10")

    async def frame(self, timeout: float = 5.0) -> Frame:
        """A frame after CONNECT: its FCS must be good and the modem must say OK."""
        raw = await self.data(timeout)
        assert await self.result() == ["OK"], raw.hex(" ")
        return Frame.parse(raw)

    async def silent(self, seconds: float) -> bytes:
        """What arrives within ``seconds`` (nothing is expected)."""
        await asyncio.sleep(seconds)
        quiet = bytes(self.buffer)
        self.buffer.clear()
        return quiet


@pytest.fixture
async def sim() -> AsyncIterator[SimModem]:
    modem = SimModem(speed=SPEED)
    await modem.start()
    yield modem
    await modem.stop()


@pytest.fixture
async def dte(sim: SimModem) -> AsyncIterator[Dte]:
    terminal = Dte(sim.device)
    assert await terminal.at("ATE0") == ["OK"]
    assert await terminal.at("AT+FCLASS=1") == ["OK"]
    yield terminal
    terminal.close()


# --- the DTE's side of T.30, by hand -----------------------------------------------------------


async def dial(dte: Dte, number: str = "5551234") -> list[Frame]:
    """ATD, then the far end's frames up to its final one (normally CSI and DIS)."""
    assert await dte.at(f"ATDT{number}", timeout=10) == ["CONNECT"]
    frames = [await dte.frame()]  # after ATD the first frame follows CONNECT at once
    while not frames[-1].final:
        frames.append(*await receive(dte))
    return frames


async def receive(dte: Dte) -> list[Frame]:
    """+FRH=3 for each frame of a burst, up to the final one."""
    frames: list[Frame] = []
    while not frames or not frames[-1].final:
        assert await dte.at("AT+FRH=3") == ["CONNECT"]
        frames.append(await dte.frame())
    return frames


async def transmit(dte: Dte, *frames: Frame, implied: bool = False) -> None:
    """+FTH=3 (unless ATA implied it), then the frames: CONNECT after each but the last."""
    if not implied:
        assert await dte.at("AT+FTH=3") == ["CONNECT"]
    for f in frames:
        dte.send(f.to_bytes())
        assert await dte.result() == ["OK" if f.final else "CONNECT"]


async def train(dte: Dte, session: Session, tcf: bytes | None = None) -> list[str]:
    """TSI, DCS, then TCF at the session's rate; the names of the answer (CFR or FTT)."""
    assert session.rate is not None
    await transmit(dte, frame(Fcf.TSI, encode_ident("+1 555 0100"), final=False),
                   frame(Fcf.DCS, session.encode()))  # fmt: skip
    assert await dte.at("AT+FTS=7") == ["OK"]
    assert await dte.at(f"AT+FTM={class1_code(session.rate)}") == ["CONNECT"]
    dte.send(tcf if tcf is not None else bytes(session.rate.bps * 3 // 16))
    assert await dte.result() == ["OK"]
    return [f.name for f in await receive(dte)]


async def send_page(dte: Dte, session: Session, image: Image.Image, ppm: Fcf) -> list[str]:
    """Page data, then MPS/EOP; the names of the answer (MCF, RTN ...)."""
    assert session.rate is not None
    code = class1_code(session.rate, short_train=True)
    assert await dte.at(f"AT+FTM={code}") == ["CONNECT"]
    dte.send(t4.encode_page(image))
    assert await dte.result(10) == ["OK"]
    assert await dte.at("AT+FTS=9") == ["OK"]
    await transmit(dte, frame(ppm))
    return [f.name for f in await receive(dte)]


def session_for(dis: Frame, max_bps: int = 14400) -> Session:
    return choose_session(Capabilities.decode(dis.fif), max_bps=max_bps, allow_mr=False)


async def ended(sim: SimModem) -> Finished | None:
    """Wait for the last call to be over; the far end's verdict."""
    assert sim.last_call is not None
    return await sim.last_call.wait(5)


def far_frames(sim: SimModem) -> list[Frame]:
    """The frames the far end received."""
    call = sim.last_call
    assert call is not None
    return [r.frame for _, r in call.reports if isinstance(r, FrameLogged) and not r.outgoing]


def far_signals(sim: SimModem, name: str) -> list[str]:
    call = sim.last_call
    assert call is not None
    return [r.detail for _, r in call.reports if isinstance(r, SignalLogged) and r.name == name]


OUR_DIS = Capabilities(can_receive=True, modems=DisModems.V27TER_V29_V17, fine=True,
                       length=Length.UNLIMITED, scan_ms=0)  # fmt: skip


async def answer(dte: Dte) -> Session:
    """ATA, CSI and DIS, then the far end's TSI and DCS: the session it chose."""
    assert await dte.at("ATA", timeout=10) == ["CONNECT"]
    await transmit(dte, frame(Fcf.CSI, encode_ident("5550100"), final=False),
                   frame(Fcf.DIS, OUR_DIS.encode()), implied=True)  # fmt: skip
    frames = await receive(dte)
    assert [f.name for f in frames] == ["TSI", "DCS"]
    return Session.decode(frames[-1].fif)


async def receive_high(dte: Dte, code: int) -> bytes:
    """+FRM: CONNECT, the data up to DLE ETX, NO CARRIER."""
    assert await dte.at(f"AT+FRM={code}") == ["CONNECT"]
    data = await dte.data()
    assert await dte.result() == ["NO CARRIER"]
    return data


# --- identification and the command line ----------------------------------------------------


async def test_identification_as_iaxmodem(sim: SimModem) -> None:
    dte = Dte(sim.device)
    dte.write(b"AT\r")
    assert await dte.take(lambda b: len(b) if b.endswith(b"OK\r\n") else -1, 2) == (
        b"AT\r\r\nOK\r\n"  # echo is on, as after ATZ
    )
    assert await dte.at("ATI") == ["spandsp", "OK"]
    assert await dte.at("ATI0") == ["spandsp", "OK"]
    assert await dte.at("ATI3") == ["www.soft-switch.org", "OK"]
    for n in (1, 2, 4, 9):
        assert await dte.at(f"ATI{n}") == ["ERROR"]
    assert await dte.at("AT+FMI?") == ["www.soft-switch.org", "OK"]
    assert await dte.at("AT+FMM?") == ["spandsp", "OK"]
    assert await dte.at("AT+FMR?") == ["0.0.5", "OK"]
    assert await dte.at("AT+GMI") == ["OK"]
    assert await dte.at("AT+FCLASS?") == ["0", "OK"]
    assert await dte.at("AT+FCLASS=?") == ["0,1,1.0", "OK"]
    assert await dte.at("AT+FCLASS=2") == ["ERROR"]
    assert await dte.at("AT+FCLASS=2.0") == ["ERROR"]
    assert await dte.at("AT+FCLASS=1.0") == ["OK"]
    assert await dte.at("AT+FCLASS?") == ["1.0", "OK"]
    codes = "24,48,72,73,74,96,97,98,121,122,145,146"
    assert await dte.at("AT+FTM=?") == [codes, "OK"]
    assert await dte.at("AT+FRM=?") == [codes, "OK"]
    assert await dte.at("AT+FTH=?") == ["3", "OK"]
    assert await dte.at("AT+FRH=?") == ["3", "OK"]
    assert await dte.at("AT+FAR=?") == ["0,1", "OK"]
    assert await dte.at("AT+FTS=?") == ["0-255", "OK"]
    dte.close()


async def test_the_command_line(sim: SimModem, dte: Dte) -> None:
    assert await dte.at("ATE0 V1 Q0") == ["OK"]  # spaces are ignored
    assert await dte.at("at") == ["OK"]
    assert await dte.at("ATE0V1+FCLASS=1") == ["OK"]  # chained
    assert await dte.at("AT+FCLASS?;+FAR?") == ["1", "0", "OK"]
    assert await dte.at("AT+FAR=1") == ["OK"]
    assert await dte.at("ATS0=2") == ["OK"]
    assert await dte.at("ATS0?") == ["002", "OK"]
    assert await dte.at("AT+VCID=1") == ["OK"]
    assert await dte.at("ATFOO") == ["ERROR"]
    dte.write(b"XYZ\rA\r")  # not commands: no answer at all
    assert await dte.silent(0.1) == b""
    dte.write(b"ATV0\r")
    assert await dte.take(lambda b: len(b) if b.endswith(b"\r") else -1, 2) == b"0\r"
    dte.write(b"ATX9\r")
    assert await dte.take(lambda b: len(b) if b.endswith(b"\r") else -1, 2) == b"4\r"
    dte.write(b"ATZ\r")  # back to echo on, verbose, S0=0, +FAR=0; +FCLASS and +VCID stay
    assert await dte.take(lambda b: len(b) if b.endswith(b"OK\r\n") else -1, 2) == b"\r\nOK\r\n"
    assert await dte.at("ATS0?;+FAR?;+FCLASS?;+VCID?") == ["000", "0", "1", "1", "OK"]
    assert await dte.at("AT\x08\x08AT") == ["OK"]  # backspace


async def test_class1_commands_need_a_call(dte: Dte) -> None:
    for command in ("AT+FTH=3", "AT+FRH=3", "AT+FTM=146", "AT+FRM=96", "AT+FTS=7", "AT+FRS=7",
                    "ATA"):  # fmt: skip
        assert await dte.at(command) == ["ERROR"], command
    assert await dte.at("AT+FCLASS=0") == ["OK"]
    assert await dte.at("AT+FTM=?") == ["24,48,72,73,74,96,97,98,121,122,145,146", "OK"]


async def test_other_identities() -> None:
    async with SimModem(identity=CX93001) as sim:
        dte = Dte(sim.device)
        assert await dte.at("ATI3") == ["CX93001-EIS_V0.2002-V92", "OK"]
        assert await dte.at("AT+FMI?") == ["CONEXANT", "OK"]
        assert await dte.at("AT+FMM?") == ["CX93001", "OK"]
        dte.close()
    async with SimModem(identity=Identity(classes=("0",))) as sim:
        dte = Dte(sim.device)
        assert await dte.at("AT+FCLASS=?") == ["0", "OK"]
        assert await dte.at("AT+FCLASS=1") == ["ERROR"]
        assert await dte.at("AT+FTM=?") == ["ERROR"]
        dte.close()


# --- a fax sent ------------------------------------------------------------------------------


async def test_a_fax_sent_arrives_intact(sim: SimModem, dte: Dte) -> None:
    started = time.monotonic()
    frames = await dial(dte)
    assert [f.name for f in frames] == ["CSI", "DIS"]
    assert frames[0].describe() == 'CSI: "+49 30 1234567"'
    session = session_for(frames[-1])
    assert session.rate == Rate(Modem.V17, 14400)
    assert await dte.at("AT+FRS=7") == ["OK"]
    assert await train(dte, session) == ["CFR"]
    assert far_signals(sim, "TCF") == ["2700 bytes, longest zero run 2700 (need 1800)"]
    assert await send_page(dte, session, page(1), Fcf.MPS) == ["MCF"]
    assert await send_page(dte, session, page(2), Fcf.EOP) == ["MCF"]
    await transmit(dte, frame(Fcf.DCN))
    assert await dte.at("ATH0") == ["OK"]

    call = sim.last_call
    assert call is not None and call.outcome == "CONNECT"
    result = await call.wait(5)
    assert result is not None and (result.result, result.reason) == (Result.SUCCESS, "ok")
    assert [same(a, b) for a, b in zip(sim.received_pages, (page(1), page(2)), strict=True)] == [
        True,
        True,
    ]
    assert [f.name for f in far_frames(sim)] == ["TSI", "DCS", "MPS", "EOP", "DCN"]
    assert call.engine is not None and call.engine.remote_id == "+1 555 0100"
    # the pages carry data DLEs, doubled on the way; spandsp's flow control shows up too
    assert t4.encode_page(page(1)).count(b"\x10") > 0
    assert dte.seen.count(XOFF) >= 1 and dte.seen.count(XON) >= 1
    assert time.monotonic() - started < 5


async def test_dle_doubling_towards_the_far_end(sim: SimModem, dte: Dte) -> None:
    frames = await dial(dte)
    session = session_for(frames[-1])
    nss = frame(Fcf.NSS, bytes([0xB5, 0x10, 0x10, 0x03, 0x10]), final=False)
    await transmit(dte, nss, frame(Fcf.DCS, session.encode()))
    await asyncio.sleep(0.1)
    assert far_frames(sim)[:2] == [nss, frame(Fcf.DCS, session.encode())]
    assert await dte.at("ATH0") == ["OK"]


async def test_dle_doubling_towards_the_dte(sim: SimModem, dte: Dte) -> None:
    # a far-end ident whose CSI carries a DLE in its FCS
    ident = next(
        f"+1 555 {n:04d}"
        for n in range(10000)
        if 0x10 in add_fcs(frame(Fcf.CSI, encode_ident(f"+1 555 {n:04d}"), final=False)
                           .to_bytes())[-2:]
    )  # fmt: skip
    sim.next_call(FarEnd(options=Options(local_id=ident)))
    frames = await dial(dte)
    assert frames[0].describe() == f'CSI: "{ident}"'  # parsed with a good FCS
    assert b"\x10\x10" in dte.seen
    assert await dte.at("ATH0") == ["OK"]


async def test_a_frame_that_came_before_frh_gets_two_connects(dte: Dte) -> None:
    assert await dte.at("ATD5551234", timeout=10) == ["CONNECT"]
    assert (await dte.frame()).name == "CSI"
    await asyncio.sleep(0.3)  # the DIS arrives meanwhile; spandsp 0.0.5 keeps it
    dte.write(b"AT+FRH=3\r")
    raw = await dte.take(_dle_end, 2)
    assert raw.startswith(b"\r\nCONNECT\r\n\r\nCONNECT\r\n\xff\x13\x80")
    assert await dte.result() == ["OK"]
    assert await dte.at("ATH0") == ["OK"]


# --- faults when sending ---------------------------------------------------------------------


async def test_ftt_at_14400_then_cfr_at_9600(sim: SimModem, dte: Dte) -> None:
    sim.far_end = FarEnd(faults=Faults(train_fails_above=9600))
    frames = await dial(dte)
    session = session_for(frames[-1])
    assert await train(dte, session) == ["FTT"]
    slower = session_for(frames[-1], max_bps=9600)
    assert slower.rate == Rate(Modem.V17, 9600)
    assert await train(dte, slower) == ["CFR"]
    assert await send_page(dte, slower, page(1), Fcf.EOP) == ["MCF"]
    await transmit(dte, frame(Fcf.DCN))
    assert await dte.at("ATH0") == ["OK"]
    result = await ended(sim)
    assert result is not None and result.result is Result.SUCCESS
    assert same(sim.received_pages[0], page(1))


async def test_rtn_on_page_2_then_the_page_again(sim: SimModem, dte: Dte) -> None:
    sim.far_end = FarEnd(faults=Faults(corrupt_page=2))
    frames = await dial(dte)
    session = session_for(frames[-1])
    assert await train(dte, session) == ["CFR"]
    assert await send_page(dte, session, page(1), Fcf.MPS) == ["MCF"]
    assert await send_page(dte, session, page(2), Fcf.EOP) == ["RTN"]
    assert await train(dte, session) == ["CFR"]
    assert await send_page(dte, session, page(2), Fcf.EOP) == ["MCF"]
    await transmit(dte, frame(Fcf.DCN))
    assert await dte.at("ATH0") == ["OK"]
    result = await ended(sim)
    assert result is not None and result.result is Result.SUCCESS
    assert [same(a, b) for a, b in zip(sim.received_pages, (page(1), page(2)), strict=True)] == [
        True,
        True,
    ]


async def test_the_line_drops_during_a_page_sent(sim: SimModem, dte: Dte) -> None:
    sim.far_end = FarEnd(faults=Faults(drop_during_page=1))
    frames = await dial(dte)
    session = session_for(frames[-1])
    assert await train(dte, session) == ["CFR"]
    assert await dte.at("AT+FTM=146") == ["CONNECT"]
    dte.send(t4.encode_page(page(1)))
    assert await dte.result() == ["NO CARRIER"]
    assert await dte.at("AT+FRH=3") == ["ERROR"]  # on hook: the call is gone
    result = await ended(sim)
    assert result is not None and (result.result, result.reason) == (Result.FAILED, "call_dropped")
    assert await dte.at("ATH0") == ["OK"]


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (Answer.BUSY, "BUSY"),
        (Answer.NO_ANSWER, "NO ANSWER"),
        (Answer.NO_DIALTONE, "NO DIALTONE"),
        (Answer.NO_CARRIER, "NO CARRIER"),
    ],
)
async def test_dial_results(sim: SimModem, dte: Dte, answer: Answer, code: str) -> None:
    sim.no_answer_after = 10.0  # line seconds: half a second here
    sim.next_call(FarEnd(answer=answer))
    assert await dte.at("ATD5551234", timeout=5) == [code]
    call = sim.last_call
    assert call is not None and call.outcome == code and call.ended and call.result is None
    assert await dte.at("AT+FTH=3") == ["ERROR"]  # on hook again
    # the next call gets the usual far end again
    assert [f.name for f in await dial(dte)] == ["CSI", "DIS"]
    assert await dte.at("ATH0") == ["OK"]


async def test_a_remote_that_never_sends_dis(sim: SimModem, dte: Dte) -> None:
    sim.next_call(FarEnd(answer=Answer.SILENT))
    assert await dte.at("ATD5551234", timeout=5) == ["CONNECT"]
    assert await dte.silent(0.5) == b""  # ten line seconds of flags, no frame
    dte.write(CAN)  # the DTE gives up on its receive: DLE ETX (a carrier was there), OK
    assert await dte.take(lambda b: len(b) if b.endswith(b"OK\r\n") else -1, 2) == (
        DLE_ETX + b"\r\nOK\r\n"
    )
    assert await dte.at("ATH0") == ["OK"]
    call = sim.last_call
    assert call is not None and call.ended and call.result is None


async def test_a_bad_fcs_gives_error(sim: SimModem, dte: Dte) -> None:
    sim.next_call(FarEnd(bad_fcs="CSI"))
    assert await dte.at("ATD5551234", timeout=5) == ["CONNECT"]
    raw = await dte.data()
    assert raw[:3] == b"\xff\x03\x40" and add_fcs(raw[:-2]) != raw
    assert await dte.result() == ["ERROR"]
    assert [f.name for f in await receive(dte)] == ["DIS"]
    assert await dte.at("ATH0") == ["OK"]


# --- receive-side behaviour on the line -----------------------------------------------------


@pytest.mark.parametrize("how", ["frh", "far", "unasked"])
async def test_v21_during_frm(sim: SimModem, dte: Dte, how: str) -> None:
    """The DTE listens for page data but MCF comes: +FCERROR, and the frame is not lost."""
    if how == "far":
        assert await dte.at("AT+FAR=1") == ["OK"]
    frames = await dial(dte)
    session = session_for(frames[-1])
    assert await train(dte, session) == ["CFR"]
    assert await dte.at("AT+FTM=146") == ["CONNECT"]
    dte.send(t4.encode_page(page(1)))
    assert await dte.result() == ["OK"]
    await transmit(dte, frame(Fcf.EOP))
    if how == "far":
        assert await dte.at("AT+FRM=146") == ["+FRH:3"]
        assert await dte.result() == ["CONNECT"]
    else:
        assert await dte.at("AT+FRM=146") == ["+FCERROR"]
        if how == "frh":
            assert await dte.at("AT+FRH=3") == ["CONNECT"]
        else:  # iaxmodem hands the frame over unasked
            assert await dte.result() == ["CONNECT"]
    assert (await dte.frame()).name == "MCF"
    assert await dte.at("ATH0") == ["OK"]


async def test_frh_aborted_by_a_character(sim: SimModem, dte: Dte) -> None:
    await dial(dte)
    dte.write(b"AT+FRH=3\r")
    assert await dte.silent(0.2) == b""  # the far end waits for our DCS: no carrier
    dte.write(CAN)
    assert await dte.result() == ["OK"]  # no DLE ETX: no CONNECT had been given
    # a command sent while the modem listens only aborts it; the rest of it is lost
    dte.write(b"AT+FRH=3\r")
    await asyncio.sleep(0.1)
    dte.write(b"ATH0\r")
    assert await dte.result() == ["OK"]
    assert await dte.silent(0.1) == b""
    assert await dte.at("ATD5551234") == ["ERROR"]  # still in the call
    assert await dte.at("ATH0") == ["OK"]
    result = await ended(sim)
    assert result is not None and result.result is Result.FAILED


async def test_text_in_hdlc_data_mode_is_sent_as_a_frame(sim: SimModem, dte: Dte) -> None:
    frames = await dial(dte)
    session = session_for(frames[-1])
    assert await dte.at("AT+FTH=3") == ["CONNECT"]
    dte.write(b"ATH0\r")
    assert await dte.silent(0.2) == b""  # no OK: it is frame data
    dte.write(DLE_ETX)
    # a frame whose second octet ("T") has the final bit (0x10) that spandsp looks at
    assert await dte.result() == ["OK"]
    await asyncio.sleep(0.1)
    assert far_frames(sim) == [Frame(ord("H"), b"0\r", True)]
    # that was no DCS: the far end says CSI and DIS again, then takes the real one
    assert [f.name for f in await receive(dte)] == ["CSI", "DIS"]
    await transmit(dte, frame(Fcf.DCS, session.encode()))
    await asyncio.sleep(0.1)
    assert far_frames(sim)[1].name == "DCS"
    assert await dte.at("ATH0") == ["OK"]


async def test_page_data_written_late_is_preceded_by_ones(sim: SimModem, dte: Dte) -> None:
    """+FTM answers CONNECT at once; a DTE that waits past the training gets ones sent."""
    frames = await dial(dte)
    session = Session(rate=Rate(Modem.V29, 9600), receive=True, resolution=Resolution.FINE,
                      coding=Coding.MH, scan_ms=0)  # fmt: skip
    assert Capabilities.decode(frames[-1].fif).can_receive
    await transmit(dte, frame(Fcf.DCS, session.encode()))
    assert await dte.at("AT+FTM=96") == ["CONNECT"]
    await asyncio.sleep(0.45)  # V.29 training takes 0.25 s at the real line rate
    dte.send(bytes(1800))
    assert await dte.result() == ["OK"]
    assert [f.name for f in await receive(dte)] == ["CFR"]
    (tcf,) = far_signals(sim, "TCF")
    size = int(tcf.split()[0])
    assert 1800 + 150 < size < 1800 + 400, tcf  # about 0.2 s of ones at 9600 bit/s
    assert await dte.at("ATH0") == ["OK"]


# --- a fax received --------------------------------------------------------------------------


async def test_a_fax_received(sim: SimModem, dte: Dte) -> None:
    assert await dte.at("AT+VCID=1") == ["OK"]
    call = await sim.ring([page(1), page(2)])
    lines = await dte.result(3)
    assert re.fullmatch(r"DATE=\d{4}", lines[0]) and re.fullmatch(r"TIME=\d{4}", lines[1])
    assert lines[2:] == ["NAME=Far End", "NMBR=+49301234567", "ANID=<NONE>", "USER=<NONE>",
                         "PASS=<NONE>", "CDID=<NONE>", "NDID=5550100", "RING"]  # fmt: skip
    session = await answer(dte)
    assert session.rate == Rate(Modem.V17, 14400) and session.coding is Coding.MH
    tcf = await receive_high(dte, class1_code(session.rate))
    assert max(map(len, re.findall(b"\0+", tcf))) >= 2700
    assert await dte.at("AT+FRS=7") == ["OK"]
    await transmit(dte, frame(Fcf.CFR))
    received = []
    for expected in ("MPS", "EOP"):
        data = await receive_high(dte, class1_code(session.rate, short_train=True))
        rows = t4.line_stats(data).rows
        received.append(t4.decode_page(data, rows=rows, fine=True))
        assert [f.name for f in await receive(dte)] == [expected]
        await transmit(dte, frame(Fcf.MCF))
    assert [f.name for f in await receive(dte)] == ["DCN"]
    assert await dte.at("ATH0") == ["OK"]
    assert [same(a, b) for a, b in zip(received, (page(1), page(2)), strict=True)] == [True, True]
    result = await call.wait(5)
    assert result is not None and result.result is Result.SUCCESS and call.outcome == "answered"
    assert b"\x10\x10" in dte.seen  # data DLEs from the far end, doubled


async def test_auto_answer_after_two_rings(sim: SimModem, dte: Dte) -> None:
    assert await dte.at("ATS0=2") == ["OK"]
    started = time.monotonic()
    await sim.ring([page(1)])
    assert await dte.result() == ["RING"]  # no caller ID without +VCID=1
    assert await dte.result() == ["RING"]
    rang = time.monotonic() - started
    assert await dte.result() == ["CONNECT"]
    assert 4 / SPEED < rang < 8 / SPEED  # RING every 5 line seconds
    await transmit(dte, frame(Fcf.DIS, OUR_DIS.encode()), implied=True)
    assert [f.name for f in await receive(dte)] == ["TSI", "DCS"]
    assert await dte.at("ATH0") == ["OK"]
    result = await ended(sim)
    assert result is not None and result.result is Result.FAILED


async def test_the_line_drops_during_a_page_received(sim: SimModem, dte: Dte) -> None:
    call = await sim.ring([page(1)], faults=Faults(drop_during_page=1))
    assert await dte.result() == ["RING"]
    session = await answer(dte)
    assert session.rate is not None
    await receive_high(dte, class1_code(session.rate))
    await transmit(dte, frame(Fcf.CFR))
    assert await dte.at(f"AT+FRM={class1_code(session.rate, short_train=True)}") == ["CONNECT"]
    data = await dte.data()
    assert 0 < len(data) < len(t4.encode_page(page(1)))
    assert await dte.result() == ["NO CARRIER"]
    assert await dte.at("AT+FRH=3") == ["ERROR"]
    result = await call.wait(5)
    assert result is not None and (result.result, result.reason) == (Result.FAILED, "call_dropped")


async def test_unanswered_and_refused_calls(sim: SimModem, dte: Dte) -> None:
    call = await sim.ring([page(1)], far_end=FarEnd(give_up_after=12.0))
    await call.wait(2)
    assert call.outcome == "unanswered" and call.result is None
    assert await dte.silent(0.05) == b"\r\nRING\r\n" * 3  # at 0, 5 and 10 line seconds
    assert await dte.at("ATA") == ["ERROR"]  # nothing to answer any more
    assert await dte.at("ATH0") == ["OK"]  # busy-out: calls in are refused for 5 line seconds
    refused = await sim.ring([page(1)])
    assert refused.outcome == "rejected" and refused.ended
    await asyncio.sleep(6 / SPEED)
    assert (await sim.ring([page(1)])).outcome == ""
    assert await dte.result() == ["RING"]
    assert await dte.at("ATD5551234") == ["ERROR"]  # it rings: no dialling now


# --- the standalone entry ----------------------------------------------------------------------


def test_standalone(tmp_path: Path) -> None:
    link = tmp_path / "modem"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "faxtui.sim.modem", "--link", str(link), "--speed", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        device = process.stdout.readline().strip()
        assert device.startswith("/dev/pts/") and os.readlink(link) == device
        with serial.Serial(str(link), 19200, timeout=2) as port:
            port.write(b"ATI3\r")
            assert port.read_until(b"OK\r\n") == b"ATI3\r\r\nwww.soft-switch.org\r\n\r\nOK\r\n"
        process.send_signal(signal.SIGINT)
        assert process.wait(10) == 0
        assert not link.exists() and not link.is_symlink()
    finally:
        process.kill()
