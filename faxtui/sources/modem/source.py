"""The modem source: keeps one fax modem open, answers calls, sends what it is asked to.

Like the AMI source it states what it is doing (opening, the modem's identity, waiting for
calls) and why it failed; a port that goes away is reopened with a back-off to 30 s, so a
modem that is unplugged and plugged back in works again without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from faxtui.config import ModemConfig
from faxtui.model import LinkState, Result
from faxtui.sources.base import Emit, Source
from faxtui.sources.modem.at import ModemError
from faxtui.sources.modem.modem import FaxModem
from faxtui.t30.dis import Resolution
from faxtui.t30.engine import Finished

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0
CHECK_EVERY = 60.0  # an idle modem is asked "AT" this often


@dataclass(frozen=True)
class _Request:
    number: str
    documents: Sequence[Sequence[Image.Image]]
    resolution: Resolution
    done: asyncio.Future[Finished]
    call_id: str


class ModemSource(Source):
    kind = "modem"

    def __init__(
        self,
        config: ModemConfig,
        emit: Emit,
        *,
        inbox: Path,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(emit, clock)
        self.config = config
        self.name = config.name
        self.modem = FaxModem(config, inbox=inbox, emit=lambda events: emit(events), clock=clock)
        self._requests: asyncio.Queue[_Request] = asyncio.Queue()
        self._current: tuple[str, asyncio.Task[Finished]] | None = None  # (call id, its send)
        self.busy = False

    async def stop(self) -> None:
        await super().stop()
        self.modem.close()

    def send(
        self,
        number: str,
        documents: Sequence[Sequence[Image.Image]],
        resolution: Resolution = Resolution.FINE,
        *,
        call_id: str = "",
    ) -> asyncio.Future[Finished]:
        """Send a fax when the modem is free; the future gets the call's outcome.

        Cancel the future to drop a fax not yet started; ``abort`` hangs up one in progress.
        """
        done: asyncio.Future[Finished] = asyncio.get_running_loop().create_future()
        self._requests.put_nowait(_Request(number, documents, resolution, done, call_id))
        return done

    def abort(self, call_id: str) -> bool:
        """Hang up the call ``call_id`` if this modem is in it."""
        if self._current is not None and self._current[0] == call_id:
            self._current[1].cancel()
            return True
        return False

    async def run(self) -> None:
        backoff = 1.0
        while True:
            self.report(LinkState.CONNECTING, f"opening {self.config.device}")
            try:
                identity = await self.modem.open()
                answering = (
                    f"answering after {self.config.rings} rings"
                    if self.config.rings
                    else "not answering"
                )
                detail = identity.describe()
                self.report(LinkState.UP, f"{detail}; {answering}", detail=detail)
                backoff = 1.0
                await self._serve()
            except ModemError as exc:
                problem = str(exc)
            except Exception as exc:  # a bug must not stop the modem for good
                log.exception("modem %s failed", self.name)
                problem = f"internal error: {exc.__class__.__name__}"
            finally:
                self.modem.close()
            retry = self._clock() + backoff
            self.report(LinkState.DOWN, f"{problem}; retrying in {backoff:g} s", problem="modem",
                      retry_at=retry)  # fmt: skip
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def _serve(self) -> None:
        """Answer calls and send faxes, one at a time, until the modem fails."""
        idle_since = time.monotonic()
        while True:
            if not self._requests.empty():
                request = self._requests.get_nowait()
                if request.done.done():  # dropped before it started
                    continue
                self.busy = True
                sending = asyncio.ensure_future(
                    self.modem.send(request.number, request.documents,
                                    resolution=request.resolution, call_id=request.call_id)
                )  # fmt: skip
                self._current = (request.call_id, sending)
                try:
                    finished = await asyncio.shield(sending)
                except asyncio.CancelledError:
                    if not sending.cancelled():  # the source is stopping, not an abort
                        sending.cancel()
                        raise
                    finished = Finished(Result.FAILED, "cancelled", "hung up by faxtui")
                finally:
                    self._current = None
                    self.busy = False
                if not request.done.done():
                    request.done.set_result(finished)
                if finished.reason == "modem_error":
                    raise ModemError(finished.detail)
                idle_since = time.monotonic()
                continue
            call = await self.modem.wait_for_call(timeout=1.0)
            if call is not None:
                self.busy = True
                try:
                    finished, _ = await self.modem.receive(call)
                finally:
                    self.busy = False
                if finished.reason == "modem_error":
                    raise ModemError(finished.detail)
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > CHECK_EVERY:
                await self.modem.check()
                idle_since = time.monotonic()
