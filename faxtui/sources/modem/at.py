"""The AT channel to a fax modem on a serial port: commands, result codes, DLE data.

pyserial through pyserial-asyncio-fast (the port's file descriptor in the event loop, no
thread). The modem's output goes into one buffer that is read either as text lines (command
mode) or as DLE-framed binary data (after CONNECT), so nothing is lost when it switches.
Every command and answer goes to ``trace`` for the call's AT trace; secrets never pass here.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import time
from collections.abc import Callable
from dataclasses import dataclass

import serial
from serial_asyncio_fast import create_serial_connection

from faxtui.t30.hdlc import DLE_ETX, DleDecoder, DleEnd, dle_escape

FINAL = ("OK", "CONNECT", "NO CARRIER", "ERROR", "+FCERROR", "BUSY", "NO DIALTONE", "NO ANSWER",
         "+FRH:3", "NO DIAL TONE", "DELAYED", "BLACKLISTED")  # fmt: skip
CAN = b"\x18"  # aborts a receive: the modem returns to command mode


class ModemError(Exception):
    """The modem or its port failed; the message says which and what to check."""


class ModemGone(ModemError):
    """The port went away (unplugged, closed by the other end)."""


@dataclass(frozen=True)
class Response:
    code: str  # the final result code
    lines: tuple[str, ...]  # information text before it

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


Trace = Callable[[bool, str], None]  # (sent by us, text)


class _Buffer(asyncio.Protocol):
    def __init__(self) -> None:
        self.data = bytearray()
        self.arrived = asyncio.Event()
        self.lost: str | None = None

    def data_received(self, data: bytes) -> None:
        self.data += data
        self.arrived.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = f"the port closed ({exc})" if exc else "the port closed"
        self.arrived.set()


class AtPort:
    """One modem, one serial port."""

    def __init__(self, device: str, *, baudrate: int = 115200, trace: Trace | None = None) -> None:
        self.device = device
        self.baudrate = baudrate
        self.trace: Trace = trace or (lambda sent, text: None)
        self._buffer = _Buffer()
        self._transport: asyncio.Transport | None = None
        self._lf_due = False  # a line ended with CR: its LF may still be on the way

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        self._buffer = _Buffer()
        try:
            transport, _ = await create_serial_connection(
                loop, lambda: self._buffer, self.device, baudrate=self.baudrate,
                rtscts=False, xonxoff=False, exclusive=True,
            )  # fmt: skip
        except serial.SerialException as exc:
            raise ModemError(_explain(self.device, exc)) from None
        self._transport = transport

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    @property
    def is_open(self) -> bool:
        return self._transport is not None and self._buffer.lost is None

    # --- bytes ----------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if self._transport is None or self._buffer.lost is not None:
            raise ModemGone(f"{self.device}: {self._buffer.lost or 'not open'}")
        self._transport.write(data)

    async def _more(self, deadline: float) -> None:
        """Wait until more bytes arrive; TimeoutError at ``deadline`` (monotonic)."""
        if self._buffer.lost is not None:
            raise ModemGone(f"{self.device}: {self._buffer.lost}")
        self._buffer.arrived.clear()
        wait = deadline - time.monotonic()
        if wait <= 0:
            raise TimeoutError
        async with asyncio.timeout(wait):
            await self._buffer.arrived.wait()
        if self._buffer.lost is not None and not self._buffer.data:
            raise ModemGone(f"{self.device}: {self._buffer.lost}")

    async def first_byte(self, timeout: float) -> int:
        """The next byte that is not CR or LF, left unread; TimeoutError if none in time."""
        deadline = time.monotonic() + timeout
        while True:
            self._drop_lf()
            data = self._buffer.data
            while data[:1] in (b"\r", b"\n"):
                del data[:1]
            if data:
                return data[0]
            await self._more(deadline)

    def _drop_lf(self) -> None:
        if self._lf_due and self._buffer.data:
            if self._buffer.data[:1] == b"\n":
                del self._buffer.data[:1]
            self._lf_due = False

    def drain_input(self) -> bytes:
        junk = bytes(self._buffer.data)
        self._buffer.data.clear()
        return junk

    # --- text -----------------------------------------------------------------------------

    async def read_line(self, timeout: float) -> str:
        """The next non-empty line (CR/LF stripped); TimeoutError if none in time."""
        deadline = time.monotonic() + timeout
        while True:
            data = self._buffer.data
            self._drop_lf()
            ends = [i for i in (data.find(b"\r"), data.find(b"\n")) if i >= 0]
            if ends:
                end = min(ends)
                raw = bytes(data[:end])
                # A CR LF is one line end: the LF must not be taken for the first data byte
                # after CONNECT, even when it has not arrived yet.
                self._lf_due = data[end : end + 1] == b"\r"
                del data[: end + 1]
                self._drop_lf()
                line = raw.decode("ascii", "replace").strip()
                if line:
                    self.trace(False, line)
                    return line
                continue
            await self._more(deadline)

    async def result(self, timeout: float, *, final: tuple[str, ...] = FINAL) -> Response:
        """Lines until a final result code; RING and caller ID lines count as information."""
        lines: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            line = await self.read_line(max(0.0, deadline - time.monotonic()))
            if line in final or line.startswith("CONNECT"):
                return Response(
                    line.split()[0] if line.startswith("CONNECT") else line, tuple(lines)
                )
            lines.append(line)

    async def command(self, text: str, *, timeout: float = 5.0) -> Response:
        """Send ``AT...`` and read its result; echo (if still on) is skipped."""
        self.trace(True, text)
        self.write(text.encode("ascii") + b"\r")
        response = await self.result(timeout)
        lines = tuple(line for line in response.lines if line != text)
        return Response(response.code, lines)

    # --- data -----------------------------------------------------------------------------

    async def read_data(
        self, timeout: float, progress: Callable[[int], None] | None = None
    ) -> bytes:
        """DLE-framed data up to DLE ETX. ``timeout``: the longest pause between bytes."""
        decoder = DleDecoder()
        out = bytearray()
        while True:
            self._drop_lf()
            chunk = bytes(self._buffer.data)
            self._buffer.data.clear()
            for piece in decoder.feed(chunk):
                if isinstance(piece, DleEnd):
                    self._buffer.data[:0] = piece.rest  # the result code after the data
                    self.trace(False, f"data [{len(out)} bytes] DLE ETX")
                    return bytes(out)
                out += piece
            if progress is not None and chunk:
                progress(len(out))
            await self._more(time.monotonic() + timeout)

    async def write_data(
        self,
        data: bytes,
        *,
        bps: int = 0,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Send data with DLE doubling and DLE ETX. With ``bps``, paced to the line rate.

        A pty carries no flow control, so writing a whole page at once would overrun the
        modem's buffer; keeping about a second ahead of the line is what a real modem needs.
        """
        self.trace(True, f"data [{len(data)} bytes] DLE ETX")
        if not bps:
            self.write(dle_escape(data) + DLE_ETX)
            return
        chunk = max(64, bps // 8 // 4)  # a quarter second a chunk
        ahead = 1.0
        started = time.monotonic()
        for offset in range(0, len(data), chunk):
            self.write(dle_escape(data[offset : offset + chunk]))
            sent = offset + chunk
            if progress is not None:
                progress(min(sent, len(data)))
            due = started + sent * 8 / bps - ahead
            pause = due - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
        self.write(DLE_ETX)

    def abort_receive(self) -> None:
        """Any character stops +FRH/+FRM waiting for a carrier (T.31)."""
        self.trace(True, "<CAN> (abort)")
        with contextlib.suppress(ModemGone):
            self.write(CAN)


def _explain(device: str, exc: serial.SerialException) -> str:
    number = exc.errno
    if number == errno.ENOENT:
        return f"{device}: no such device (unplugged? for a USB modem see `ls /dev/ttyACM*`)"
    if number in (errno.EACCES, errno.EPERM):
        return f"{device}: permission denied (add the user to the dialout group)"
    if number == errno.EBUSY or "exclusive" in str(exc).lower() or "lock" in str(exc).lower():
        return f"{device}: in use by another program (faxgetty? ModemManager?)"
    return f"{device}: cannot open ({exc.strerror or exc})"
