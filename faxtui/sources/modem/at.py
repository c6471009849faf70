"""The AT channel to a fax modem on a serial port: commands, result codes, DLE data.

pyserial, its file descriptor watched by the event loop for input; a page is written from a
worker thread in chunks, so the kernel's flow control (XON/XOFF or RTS/CTS) and a full pty
hold the writer back instead of the event loop. The modem's output goes into one buffer that
is read either as text lines (command mode) or as DLE-framed binary data (after CONNECT), so
nothing is lost when it switches. Every command and answer goes to ``trace`` for the call's AT
trace; secrets never pass here.

Flow control: with ``xonxoff`` (iaxmodem sends XOFF/XON while it transmits a page, as HylaFAX
configures it) the kernel honours XON/XOFF only while we send page data; at any other time
those bytes are data the modem hands us. With ``rtscts`` (a Conexant modem, AT&K3) the
hardware lines do it all the time.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import serial

from faxtui.t30.hdlc import DLE_ETX, DleDecoder, DleEnd, dle_escape

FINAL = ("OK", "CONNECT", "NO CARRIER", "ERROR", "+FCERROR", "BUSY", "NO DIALTONE", "NO ANSWER",
         "+FRH:3", "NO DIAL TONE", "DELAYED", "BLACKLISTED")  # fmt: skip
CAN = b"\x18"  # aborts a receive: the modem returns to command mode
CHUNK = 1024  # page data is written this many bytes at a time (progress, flow control)


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


class _Buffer:
    def __init__(self) -> None:
        self.data = bytearray()
        self.arrived = asyncio.Event()
        self.lost: str | None = None

    def add(self, data: bytes) -> None:
        self.data += data
        self.arrived.set()

    def close(self, why: str) -> None:
        self.lost = why
        self.arrived.set()


class AtPort:
    """One modem, one serial port."""

    def __init__(
        self,
        device: str,
        *,
        baudrate: int = 115200,
        flow_control: str = "xonxoff",
        trace: Trace | None = None,
    ) -> None:
        self.device = device
        self.baudrate = baudrate
        self.flow_control = flow_control
        self.trace: Trace = trace or (lambda sent, text: None)
        self._buffer = _Buffer()
        self._serial: serial.Serial | None = None
        self._lf_due = False  # a line ended with CR: its LF may still be on the way

    async def open(self) -> None:
        self._buffer = _Buffer()
        try:
            port = await asyncio.to_thread(
                serial.Serial, self.device, self.baudrate, timeout=0, exclusive=True,
                rtscts=self.flow_control == "rtscts", xonxoff=False,
            )  # fmt: skip
        except serial.SerialException as exc:
            raise ModemError(_explain(self.device, exc)) from None
        self._serial = port
        asyncio.get_running_loop().add_reader(port.fileno(), self._readable)

    def _readable(self) -> None:
        port = self._serial
        if port is None:
            return
        try:
            data = port.read(max(1, port.in_waiting))
        except (serial.SerialException, OSError) as exc:
            self._lose(f"the port went away ({exc})")
            return
        if data:
            self._buffer.add(data)

    def _lose(self, why: str) -> None:
        if self._serial is not None:
            with contextlib.suppress(ValueError, OSError):
                asyncio.get_running_loop().remove_reader(self._serial.fileno())
        self._buffer.close(why)

    def close(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            with contextlib.suppress(ValueError, OSError, RuntimeError):
                asyncio.get_running_loop().remove_reader(port.fileno())
            with contextlib.suppress(serial.SerialException, OSError):
                port.close()

    @property
    def is_open(self) -> bool:
        return self._serial is not None and self._buffer.lost is None

    # --- bytes ----------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Write a command or a frame (a few bytes: it never waits for long)."""
        if self._serial is None or self._buffer.lost is not None:
            raise ModemGone(f"{self.device}: {self._buffer.lost or 'not open'}")
        try:
            self._serial.write(data)
        except (serial.SerialException, OSError) as exc:
            self._lose(f"the port went away ({exc})")
            raise ModemGone(f"{self.device}: {self._buffer.lost}") from None

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
        self, timeout: float, progress: Callable[[bytearray], None] | None = None
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
                progress(out)  # what came so far (not a copy: read it, keep nothing)
            await self._more(time.monotonic() + timeout)

    async def write_data(
        self, data: bytes, *, progress: Callable[[int], None] | None = None
    ) -> None:
        """Send data with DLE doubling and DLE ETX, as fast as the modem takes it.

        Written from the event loop, a chunk at a time, whenever the port has room: while
        the modem says XOFF (or drops CTS) the kernel reports no room and nothing runs.
        (pyserial's own write retries EAGAIN at once, in a loop: seconds of CPU a page.)
        """
        self.trace(True, f"data [{len(data)} bytes] DLE ETX")
        port = self._serial
        if port is None or self._buffer.lost is not None:
            raise ModemGone(f"{self.device}: {self._buffer.lost or 'not open'}")
        xonxoff = self.flow_control == "xonxoff"
        try:
            if xonxoff:
                port.xonxoff = True  # only now: elsewhere 0x11 and 0x13 are data
            fd = port.fileno()
            for offset in range(0, len(data), CHUNK):
                await _write_all(fd, dle_escape(data[offset : offset + CHUNK]))
                if progress is not None:
                    progress(min(offset + CHUNK, len(data)))
            await _write_all(fd, DLE_ETX)
            await asyncio.to_thread(port.flush)
        except (serial.SerialException, OSError) as exc:
            self._lose(f"the port went away ({exc})")
            raise ModemGone(f"{self.device}: {self._buffer.lost}") from None
        finally:
            if xonxoff and self._serial is not None:
                with contextlib.suppress(serial.SerialException, OSError):
                    port.xonxoff = False

    def abort_receive(self) -> None:
        """Any character stops +FRH/+FRM waiting for a carrier (T.31)."""
        self.trace(True, "<CAN> (abort)")
        with contextlib.suppress(ModemGone):
            self.write(CAN)


async def _write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to a non-blocking descriptor, waiting for room as needed."""
    loop = asyncio.get_running_loop()
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
            continue
        except BlockingIOError:
            pass
        room: asyncio.Future[None] = loop.create_future()
        loop.add_writer(fd, _resolve, room)
        try:
            await room
        finally:
            loop.remove_writer(fd)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _explain(device: str, exc: serial.SerialException) -> str:
    number = exc.errno
    if number == errno.ENOENT:
        return f"{device}: no such device (unplugged? for a USB modem see `ls /dev/ttyACM*`)"
    if number in (errno.EACCES, errno.EPERM):
        return f"{device}: permission denied (add the user to the dialout group)"
    if number == errno.EBUSY or "exclusive" in str(exc).lower() or "lock" in str(exc).lower():
        return f"{device}: in use by another program (faxgetty? ModemManager?)"
    return f"{device}: cannot open ({exc.strerror or exc})"
