"""One fax call on a Class 1 modem: the T.30 engine driven over the modem, told as FaxEvents.

The engine's reports become the call's phases, its frames the ladder (raw events of origin
"t30"), the AT exchange the trace (origin "at"); received pages are written to the inbox as a
fax TIFF, atomically and never over an existing file.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path

from PIL import Image

from faxtui.model import (
    CallClosed,
    CallInfo,
    CallRaw,
    FaxEvent,
    Phase,
    PhaseEntered,
    RawEvent,
    Transport,
)
from faxtui.sources.modem.class1 import Class1Modem
from faxtui.t30 import t4
from faxtui.t30.dis import Resolution
from faxtui.t30.engine import (
    T30,
    Command,
    Finished,
    FrameLogged,
    Negotiated,
    Output,
    PageReport,
    PhaseReport,
    Report,
    SignalLogged,
)
from faxtui.text import plain

Emit = Callable[[list[FaxEvent]], None]
PROGRESS_EVERY = 0.5  # seconds between page progress updates


class CallLog:
    """Turns one call's engine reports, AT trace and progress into FaxEvents."""

    def __init__(self, call_id: str, emit: Emit, clock: Callable[[], float] = time.time) -> None:
        self.call_id = call_id
        self.emit = emit
        self.clock = clock
        self.pages = 0
        self.bad_lines = 0
        self.rate = 0
        self._page_started = 0.0
        self._last_progress = 0.0

    def at(self, sent: bool, text: str) -> None:
        fields = (("dir", "tx" if sent else "rx"), ("text", text))
        self.emit([CallRaw(self.call_id, RawEvent(self.clock(), "at", "AT", fields))])

    def reports(self, reports: Sequence[Report]) -> None:
        now = self.clock()
        events: list[FaxEvent] = []
        for report in reports:
            events += self._report(report, now)
        if events:
            self.emit(events)

    def _report(self, report: Report, now: float) -> list[FaxEvent]:
        cid = self.call_id
        match report:
            case PhaseReport(phase=phase, text=text):
                if phase is Phase.C:
                    self._page_started = now
                return [PhaseEntered(cid, now, phase, text)]
            case FrameLogged(outgoing=outgoing, frame=frame):
                way = ("dir", "tx" if outgoing else "rx")
                fields = (way, ("detail", frame.describe()), ("hex", frame.hex()))
                return [CallRaw(cid, RawEvent(now, "t30", frame.name, fields))]
            case SignalLogged(outgoing=outgoing, name=name, detail=detail):
                way = ("dir", "tx" if outgoing else "rx")
                return [CallRaw(cid, RawEvent(now, "t30", name, (way, ("detail", detail))))]
            case Negotiated(session=session, remote_id=remote_id):
                self.rate = session.rate.bps if session.rate else 0
                return [
                    CallInfo(
                        cid,
                        now,
                        rate=self.rate,
                        ecm=session.ecm,
                        resolution=_RESOLUTIONS.get(session.resolution, str(session.resolution)),
                        remote_station_id=remote_id or None,
                        transport=Transport.AUDIO,
                    )
                ]
            case PageReport(page=page, accepted=accepted, bad_lines=bad):
                if not accepted:
                    return [CallInfo(cid, now, status=f"page {page} refused: retraining")]
                self.pages += 1
                self.bad_lines += bad
                return [CallInfo(cid, now, pages=self.pages, bad_lines=self.bad_lines, page=page)]
        return []  # Finished: the caller closes the call, after saving what came in

    def close(self, finished: Finished) -> None:
        self.emit(
            [
                CallClosed(
                    self.call_id, self.clock(), finished.result, finished.reason, finished.detail
                )
            ]
        )

    def progress(
        self, done: int, total: int, rows: Callable[[], int], *, page: int, sending: bool
    ) -> None:
        """Live page progress: bytes, lines, and the time left when the size is known."""
        now = self.clock()
        if now - self._last_progress < PROGRESS_EVERY:
            return
        self._last_progress = now
        verb = "sending" if sending else "receiving"
        words = f"{verb} page {page}: {done / 1024:.1f} KB"
        lines = rows()
        if total and self.rate:
            left = max(0.0, (total - done) * 8 / self.rate)
            words += f" of {total / 1024:.1f} KB, {lines} lines, {left:.0f} s left"
        else:
            words += f", {lines} lines"
            if self._page_started:
                words += f" in {now - self._page_started:.0f} s"
        self.emit([CallInfo(self.call_id, now, status=words, page=page, progress=True)])


_RESOLUTIONS = {Resolution.STANDARD: "standard", Resolution.FINE: "fine",
                Resolution.SUPERFINE: "superfine"}  # fmt: skip


async def run_engine(
    modem: Class1Modem, engine: T30, log: CallLog, clock: Callable[[], float] = time.time
) -> Finished:
    """Drive ``engine`` over ``modem`` until the call is over."""

    def split(outputs: list[Output]) -> Command | None:
        log.reports([o for o in outputs if isinstance(o, Report)])
        commands = [o for o in outputs if isinstance(o, Command)]
        return commands[-1] if commands else None

    command = split(engine.start(clock()))
    while command is not None:
        page = getattr(command, "page", 0)  # 0: training (TCF), not a page
        modem.progress = partial(log.progress, page=page, sending=engine.sending) if page else None
        result = await modem.run(command)
        modem.progress = None
        command = split(engine.handle(result, clock()))
    assert engine.result is not None
    return engine.result


def save_received(
    pages: Sequence[Image.Image],
    inbox: Path,
    *,
    fine: Sequence[bool],
    station_id: str,
    received: datetime,
) -> Path:
    """Write the pages as a multi-page fax TIFF in ``inbox``; never overwrite a file.

    Written under a temporary name first, then linked to a fresh name: a reader never sees
    half a file, and an existing fax keeps its name.
    """
    inbox.mkdir(parents=True, exist_ok=True)
    data = t4.fax_tiff_bytes(
        pages, fine=list(fine), station_id=_ascii(station_id), received=received
    )
    who = re.sub(r"[^0-9A-Za-z+]+", "_", station_id).strip("_")[:20] or "unknown"
    stem = f"fax-{received:%Y%m%d-%H%M%S}-{who}"
    fd, temp = tempfile.mkstemp(dir=inbox, prefix=".receiving-", suffix=".tif")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        for n in range(1000):
            target = inbox / (f"{stem}.tif" if n == 0 else f"{stem}-{n}.tif")
            try:
                os.link(temp, target)  # fails if the name exists: never overwrite
            except FileExistsError:
                continue
            return target
        raise OSError(f"no free file name for {stem} in {inbox}")
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def _ascii(text: str) -> str:
    """Remote text for a TIFF tag: control characters and anything not ASCII become "?"."""
    return plain(text).encode("ascii", "replace").decode("ascii")
