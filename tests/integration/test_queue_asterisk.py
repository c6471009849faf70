"""The queue's Asterisk sender against the AMI simulator: Originate of SendFAX, and each job's
final state and reason taken from the call's own events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from faxtui.config import QueueConfig
from faxtui.engine import Engine, JobCommand, SendFax
from faxtui.model import Direction, Job, JobState, Result
from faxtui.sim.ami_server import AmiSimulator
from tests.conftest import ami_config, wait_for


@pytest.fixture
def document(tmp_path: Path) -> Path:
    path = tmp_path / "invoice.png"
    Image.new("1", (1728, 400), 255).save(path)
    return path


@pytest.fixture
async def engine(sim: AmiSimulator, tmp_path: Path) -> AsyncIterator[Engine]:
    config = ami_config(
        sim.port,
        tmp_path,
        send_channel="Local/{number}@fax-out",
        send_dir=str(tmp_path / "outgoing"),
        send_dir_asterisk="/var/spool/asterisk/fax/outgoing",
        send_timeout=30.0,
        send_station_id="+1 555 0100",
        max_sends=2,
    )
    config = replace(config, queue=QueueConfig(retry_busy=60.0, retry_no_answer=300.0))
    eng = Engine(config)
    await eng.start()
    await wait_for(lambda: eng.queue is not None and eng.queue.senders[0].ready)
    yield eng
    await eng.stop()


def job(engine: Engine, job_id: int) -> Job:
    return next(j for j in engine.snapshot().jobs if j.id == job_id)


async def queue(engine: Engine, document: Path, number: str) -> int:
    result = await engine.command(SendFax(number, (str(document),), via="asterisk"))
    assert result.ok, result.message
    return int(result.data.id)


async def test_a_fax_sent_through_asterisk(
    engine: Engine, sim: AmiSimulator, document: Path, tmp_path: Path
) -> None:
    job_id = await queue(engine, document, "5550142")
    await wait_for(lambda: job(engine, job_id).state is JobState.DONE, timeout=30)
    (attempt,) = job(engine, job_id).attempts
    assert (attempt.result, attempt.reason, attempt.pages, attempt.via) == (
        Result.SUCCESS, "ok", 1, "pbx",
    )  # fmt: skip
    call = next(c for c in engine.snapshot().calls if c.id == attempt.call_id)
    assert (call.direction, call.remote_number, call.result) == (
        Direction.OUT, "5550142", Result.SUCCESS,
    )  # fmt: skip
    assert call.timeline[0].text.startswith("call set-up") or "dialling" in call.status
    assert len([c for c in engine.snapshot().calls if c.remote_number == "5550142"]) == 1
    originate = next(a for a in sim.actions if a.get("Action") == "Originate")
    assert originate["Async"] == "true"
    assert originate["Channel"] == "Local/5550142@fax-out"
    assert originate["Data"].startswith("/var/spool/asterisk/fax/outgoing/faxtui-")
    assert originate["ChannelId"] == attempt.call_id.split(":", 1)[1]
    assert "FAXOPT(localstationid)=+1 555 0100" in str(originate.get("Variable"))
    assert not list((tmp_path / "outgoing").iterdir())  # the copy for Asterisk is gone


@pytest.mark.parametrize(
    ("number", "reason"),
    [("5550117", "busy"), ("5550119", "no_answer"), ("5550150", "call_dropped")],
    ids=["busy", "no-answer", "dropped-mid-page"],
)
async def test_failures_wait_for_a_retry_with_their_reason(
    engine: Engine, document: Path, number: str, reason: str
) -> None:
    job_id = await queue(engine, document, number)
    await wait_for(lambda: job(engine, job_id).state is JobState.RETRY_WAIT, timeout=30)
    waiting = job(engine, job_id)
    assert waiting.reason == reason
    (attempt,) = waiting.attempts
    call = next(c for c in engine.snapshot().calls if c.id == attempt.call_id)
    assert (call.result, call.reason) == (Result.FAILED, reason)
    assert len([c for c in engine.snapshot().calls if c.id == attempt.call_id]) == 1


async def test_one_call_at_a_time_to_the_same_number(engine: Engine, document: Path) -> None:
    first = await queue(engine, document, "5550142")
    second = await queue(engine, document, "555-0142")
    other = await queue(engine, document, "5550143")
    await wait_for(
        lambda: all(job(engine, i).state is JobState.DONE for i in (first, second, other)),
        timeout=60,
    )
    a, b, c = (job(engine, i).attempts[0] for i in (first, second, other))
    assert a.ended is not None and b.started >= a.ended  # the same number: one after the other
    assert c.started < (a.ended or 0)  # another number went out at the same time


async def test_cancel_hangs_up_the_asterisk_call(engine: Engine, document: Path) -> None:
    job_id = await queue(engine, document, "5550142")
    await wait_for(lambda: job(engine, job_id).state is JobState.SENDING, timeout=30)
    result = await engine.command(JobCommand("cancel", (job_id,)))
    assert result.ok, result.message
    await wait_for(lambda: job(engine, job_id).state is JobState.CANCELLED, timeout=30)
    call_id = job(engine, job_id).attempts[-1].call_id
    await wait_for(
        lambda: next(c for c in engine.snapshot().calls if c.id == call_id).ended is not None,
        timeout=30,
    )
