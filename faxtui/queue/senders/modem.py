"""Sending through one of faxtui's own fax modems."""

from __future__ import annotations

import asyncio
from pathlib import Path

from faxtui.documents.pages import DocumentError, load_pages
from faxtui.documents.paper import Resolution as PageResolution
from faxtui.model import Job, Result
from faxtui.queue.senders.base import CallWatch, Outcome, outcome_of
from faxtui.sources.modem.source import ModemSource
from faxtui.t30.dis import RESOLUTIONS, Resolution


class ModemSender:
    kind = "modem"
    capacity = 1

    def __init__(self, source: ModemSource, calls: CallWatch) -> None:
        self.source = source
        self.name = source.name
        self._calls = calls

    @property
    def ready(self) -> bool:
        return self.source.up

    def call_id(self, job: Job, attempt: int) -> str:
        return f"{self.name}:job{job.id}-{attempt}"

    async def send(self, job: Job, call_id: str) -> Outcome:
        try:
            fineness: PageResolution = "superfine" if job.resolution == "superfine" else "fine"
            pages = await asyncio.to_thread(load_pages, Path(job.spool), fineness)
        except DocumentError as exc:
            return Outcome(Result.FAILED, "file_error", str(exc))
        resolution = RESOLUTIONS.get(job.resolution, Resolution.FINE)
        done = self.source.send(job.number, [pages], resolution, call_id=call_id)
        try:
            finished = await asyncio.shield(done)
        except asyncio.CancelledError:
            if not done.done():  # not started yet: drop it; else hang up
                done.cancel()
            self.source.abort(call_id)
            raise
        call = self._calls.call(call_id)
        if call is not None and call.ended is not None:
            return outcome_of(call)
        return Outcome(finished.result, finished.reason, finished.detail)
