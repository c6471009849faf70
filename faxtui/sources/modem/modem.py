"""One fax modem: open and identify it, send a fax, wait for a call and receive one.

Used by the modem source of the engine and, directly, by ``faxtui send`` and
``faxtui answer``. Every call is told as FaxEvents through ``emit``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image

from faxtui.config import ModemConfig
from faxtui.model import CallInfo, CallOpened, Direction, FaxEvent, Phase, PhaseEntered, Result
from faxtui.sources.modem.at import AtPort, ModemError
from faxtui.sources.modem.class1 import Class1Modem, Identity
from faxtui.sources.modem.session import CallLog, run_engine, save_received
from faxtui.t30.dis import Resolution
from faxtui.t30.engine import T30, Finished, Options, SignalLogged
from faxtui.t30.reasons import describe

Emit = Callable[[list[FaxEvent]], None]
RING_GAP = 8.0  # no RING for this long: the caller gave up, start counting again
CALLER_ID = re.compile(r"^(DATE|TIME|NAME|NMBR|NDID|ANID|MESG)\s*=\s*(.*)$")


@dataclass
class IncomingCall:
    number: str = ""
    name: str = ""
    called: str = ""
    rings: int = 0


class FaxModem:
    def __init__(
        self,
        config: ModemConfig,
        *,
        inbox: Path,
        emit: Emit,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.inbox = config.inbox or inbox
        self.emit = emit
        self.clock = clock
        self.port = AtPort(
            config.device,
            baudrate=config.baudrate,
            flow_control=config.flow_control,
            trace=self._trace,
        )
        self.class1 = Class1Modem(self.port, connect_delay=config.connect_delay)
        self.identity: Identity | None = None
        self._log: CallLog | None = None
        self._calls = 0

    def _trace(self, sent: bool, text: str) -> None:
        if self._log is not None:
            self._log.at(sent, text)

    # --- the port -----------------------------------------------------------------------

    async def open(self) -> Identity:
        """Open the port, reset the modem, check it has Class 1."""
        await self.port.open()
        try:
            await self.class1.reset()
            self.identity = await self.class1.identify()
            await self.class1.prepare(caller_id=self.config.caller_id)
        except TimeoutError:
            self.port.close()
            raise ModemError(
                f"{self.config.device}: the modem does not answer AT commands"
            ) from None
        except ModemError:
            self.port.close()
            raise
        return self.identity

    def close(self) -> None:
        self.port.close()

    async def check(self) -> None:
        """A quick AT: the modem still answers, or ModemError."""
        try:
            response = await self.port.command("AT", timeout=3)
        except TimeoutError:
            raise ModemError(f"{self.config.device}: the modem stopped answering") from None
        if response.code != "OK":
            raise ModemError(f"{self.config.device}: AT answered {response.code}")

    # --- calls ----------------------------------------------------------------------------

    def _open_call(
        self, direction: Direction, number: str, name: str = "", call_id: str = ""
    ) -> CallLog:
        now = self.clock()
        self._calls += 1
        call_id = call_id or f"{self.config.name}:{now:.3f}:{self._calls}"
        self._log = log = CallLog(call_id, self.emit, self.clock)
        self.emit(
            [
                CallOpened(call_id, now, self.config.name, "modem", now),
                CallInfo(
                    call_id,
                    now,
                    direction=direction,
                    channel=self.config.device,
                    remote_number=number,
                    remote_name=name,
                    local_station_id=self.config.local_id or None,
                ),
            ]
        )
        return log

    async def send(
        self,
        number: str,
        documents: Sequence[Sequence[Image.Image]],
        *,
        resolution: Resolution = Resolution.FINE,
        call_id: str = "",
    ) -> Finished:
        """Dial ``number`` and send the documents (each a list of pages).

        Cancelling the task hangs up and ends the call as cancelled.
        """
        log = self._open_call(Direction.OUT, number, call_id=call_id)
        try:
            log.emit([PhaseEntered(log.call_id, self.clock(), Phase.A, f"dialling {number}")])
            log.reports([SignalLogged(True, "CNG", "calling tone, 1100 Hz, from the modem")])
            failure = await self.class1.dial(number)
            if failure is not None:
                await self.class1.hang_up()
                finished = Finished(Result.FAILED, failure, describe(failure).text)
            else:
                log.emit([PhaseEntered(log.call_id, self.clock(), Phase.A, "answered")])
                log.reports([SignalLogged(False, "CED", "answer tone: the modem connected")])
                options = Options(
                    local_id=self.config.local_id,
                    max_bps=self.config.max_rate,
                    resolution=resolution,
                )
                engine = T30(options, documents=documents)
                finished = await run_engine(self.class1, engine, log, self.clock)
        except (ModemError, TimeoutError) as exc:
            finished = Finished(Result.FAILED, "modem_error", str(exc) or "the modem stopped")
        except asyncio.CancelledError:
            with contextlib.suppress(ModemError, TimeoutError):
                await self.class1.hang_up()
            log.close(Finished(Result.FAILED, "cancelled", "hung up by faxtui"))
            self._log = None
            raise
        log.close(finished)
        self._log = None
        return finished

    async def wait_for_call(self, timeout: float) -> IncomingCall | None:
        """Count RINGs (and read caller ID) until it is time to answer; None after ``timeout``.

        Raises ModemError if the port goes away while waiting.
        """
        call = IncomingCall()
        deadline = time.monotonic() + timeout
        while True:
            wait = deadline - time.monotonic() if not call.rings else RING_GAP
            if wait <= 0:
                return None
            try:
                line = await self.port.read_line(wait)
            except TimeoutError:
                if call.rings:  # the caller hung up before we answered
                    call = IncomingCall()
                    continue
                return None
            if line == "RING":
                call.rings += 1
                if self.config.rings and call.rings >= self.config.rings:
                    return call
            elif m := CALLER_ID.match(line):
                field, value = m.group(1), m.group(2).strip()
                if value in ("<NONE>", "O", "P"):
                    continue
                if field == "NMBR":
                    call.number = value
                elif field == "NAME":
                    call.name = value
                elif field == "NDID":
                    call.called = value

    async def receive(self, call: IncomingCall) -> tuple[Finished, Path | None]:
        """Answer and receive; the pages go to the inbox even if the call broke off."""
        log = self._open_call(Direction.IN, call.number, call.name)
        saved: Path | None = None
        engine = T30(
            Options(local_id=self.config.local_id, max_pages=self.config.max_receive_pages)
        )
        try:
            if call.called:
                log.emit([CallInfo(log.call_id, self.clock(), local_number=call.called)])
            words = f"{call.rings} ring{'s' if call.rings != 1 else ''}: answering"
            log.emit([PhaseEntered(log.call_id, self.clock(), Phase.A, words)])
            log.reports([SignalLogged(True, "CED", "answer tone, 2100 Hz, from the modem")])
            if await self.class1.answer():
                finished = await run_engine(self.class1, engine, log, self.clock)
            else:
                await self.class1.hang_up()
                finished = Finished(Result.FAILED, "hangup_before_fax", "no CONNECT after ATA")
        except (ModemError, TimeoutError) as exc:
            with contextlib.suppress(ModemError, TimeoutError):
                await self.class1.hang_up()
            finished = Finished(Result.FAILED, "modem_error", str(exc) or "the modem stopped")
        if engine.received:
            saved = await asyncio.to_thread(self._save, engine, log)
        log.close(finished)
        self._log = None
        return finished, saved

    def _save(self, engine: T30, log: CallLog) -> Path | None:
        fine = engine.session is None or engine.session.resolution is not Resolution.STANDARD
        try:
            path = save_received(
                engine.received,
                self.inbox,
                fine=[fine] * len(engine.received),
                station_id=engine.remote_id,
                received=datetime.fromtimestamp(self.clock()).astimezone(),
            )
        except OSError as exc:
            log.emit([CallInfo(log.call_id, self.clock(), status=f"cannot save the fax: {exc}")])
            return None
        log.emit([CallInfo(log.call_id, self.clock(), files=(str(path),))])
        return path
