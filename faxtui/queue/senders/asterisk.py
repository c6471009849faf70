"""Sending through Asterisk: AMI Originate of SendFAX, the outcome from the call's own events.

The OriginateResponse only says how the dial ended; whether the fax went through comes later,
from the VarSets, the SendFAX event and the Hangup of that channel, which the AMI mapper turns
into the call's result. The channel is named by faxtui (ChannelId), so the call is known
before Asterisk has done anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
from pathlib import Path

from faxtui.model import Job, Result
from faxtui.queue.senders.base import CallWatch, Outcome, outcome_of
from faxtui.sources.ami import AmiSource
from faxtui.sources.ami_map import text
from faxtui.t30 import reasons

PAGE_TIME = 120.0  # seconds a page may take, at worst, once answered
AFTER_FAILED_DIAL = 5.0  # seconds to wait for the call's own close after a failed dial


class AsteriskSender:
    kind = "asterisk"

    def __init__(self, source: AmiSource, calls: CallWatch) -> None:
        self.source = source
        self.server = source.server
        self.name = source.name
        self.capacity = self.server.max_sends
        self._calls = calls

    @property
    def ready(self) -> bool:
        return self.source.up

    def call_id(self, job: Job, attempt: int) -> str:
        uniqueid = f"faxtui-{job.id}-{attempt}-{secrets.token_hex(3)}"
        return self.source.mapper.call_id(uniqueid)

    async def send(self, job: Job, call_id: str) -> Outcome:
        uniqueid = call_id.split(":", 1)[1]
        local = Path(self.server.send_dir) / f"{uniqueid}.tif"
        remote = str(Path(self.server.send_dir_asterisk or self.server.send_dir) / local.name)
        try:
            await asyncio.to_thread(_copy, Path(job.spool), local)
        except OSError as exc:
            return Outcome(Result.FAILED, "file_error", f"cannot copy to {local}: {exc.strerror}")
        try:
            return await self._call(job, call_id, uniqueid, remote)
        except asyncio.CancelledError:
            call = self._calls.call(call_id)
            if call is not None and call.channel and call.ended is None:
                await self.source.hangup(call.channel)
            raise
        finally:
            with contextlib.suppress(OSError):
                local.unlink()

    async def _call(self, job: Job, call_id: str, uniqueid: str, remote: str) -> Outcome:
        try:
            reply = await self.source.originate_sendfax(
                uniqueid=uniqueid, number=job.number, tiff=remote,
                timeout=self.server.send_timeout,
            )  # fmt: skip
        except ConnectionError:
            return await self._lost(call_id, "the AMI connection dropped during the Originate")
        except TimeoutError:
            return await self._lost(call_id, "no OriginateResponse from Asterisk")
        if not reply.ok:
            need = " (the AMI user needs write=originate)" if "ermission" in reply.message else ""
            why = f"Originate refused: {reply.message}{need}"
            return Outcome(Result.FAILED, "local_error", why)
        response = reply.messages[-1]
        if text(response, "Response") != "Success":
            call = await self._calls.ended(call_id, AFTER_FAILED_DIAL)
            if call is not None:
                return outcome_of(call)
            code = text(response, "Reason")
            reason = reasons.from_originate_reason(int(code) if code.isdigit() else 0)
            return Outcome(Result.FAILED, reason, f"OriginateResponse Reason {code}")
        call = await self._calls.ended(call_id, PAGE_TIME * max(1, job.pages) + 120)
        if call is None:
            return await self._lost(call_id, "the call did not end in time")
        return outcome_of(call)

    async def _lost(self, call_id: str, why: str) -> Outcome:
        """Whether Asterisk sent it is unknown: never try again blindly (it may have)."""
        call = await self._calls.ended(call_id, AFTER_FAILED_DIAL)
        if call is not None:
            return outcome_of(call)
        return Outcome(Result.UNKNOWN, "lost_track", why)


def _copy(source: Path, target: Path) -> None:
    """Copy for Asterisk to read, readable by its group (the spool itself stays private)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_suffix(".part")
    shutil.copyfile(source, temp)
    os.chmod(temp, 0o640)
    os.replace(temp, target)
