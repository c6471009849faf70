"""The queue through the modem simulator: jobs done, retried by reason, held, cancelled, resent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageOps

from faxtui.config import Config, HealthConfig, ModemConfig, QueueConfig
from faxtui.engine import Engine, JobCommand, SendFax
from faxtui.model import Job, JobState, Result
from faxtui.sim.line import Faults
from faxtui.sim.modem import Answer, FarEnd, SimModem
from tests.conftest import wait_for

SPEED = 20


def page(n: int, rows: int = 300) -> Image.Image:
    image = Image.new("1", (1728, rows), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 1719, rows - 9), outline=0, width=2)
    for y in range(20, rows - 20, 14):
        draw.text((30 + 9 * n, y), f"queued page {n}, row {y} " * 6, fill=0)
    return image


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[SimModem]:
    modem = SimModem(speed=SPEED, link=tmp_path / "ttyFAX", busy_out=0.2, no_answer_after=20)
    await modem.start()
    yield modem
    await modem.stop()


@pytest.fixture
def document(tmp_path: Path) -> Path:
    path = tmp_path / "letter.png"
    page(1).save(path)
    return path


@pytest.fixture
async def engine(sim: SimModem, tmp_path: Path) -> AsyncIterator[Engine]:
    modem = ModemConfig("fax0", str(sim.link), local_id="5550100", rings=0, connect_delay=0.05)
    config = Config(
        modems=(modem,),
        health=HealthConfig(processes=(), spool_dirs=()),
        queue=QueueConfig(retry_busy=60.0, retry_no_answer=300.0),
        data_dir=tmp_path / "data",
    )
    eng = Engine(config)
    await eng.start()
    await wait_for(lambda: eng.queue is not None and eng.queue.senders[0].ready)
    yield eng
    await eng.stop()


def job(engine: Engine, job_id: int) -> Job:
    (found,) = [j for j in engine.snapshot().jobs if j.id == job_id]
    return found


async def queue(engine: Engine, document: Path, number: str = "5551234") -> int:
    result = await engine.command(SendFax(number, (str(document),)))
    assert result.ok, result.message
    return int(result.data.id)


async def test_a_job_goes_out_once_and_is_done(
    engine: Engine, sim: SimModem, document: Path
) -> None:
    job_id = await queue(engine, document)
    await wait_for(lambda: job(engine, job_id).state is JobState.DONE)
    done = job(engine, job_id)
    (attempt,) = done.attempts
    assert (attempt.result, attempt.reason, attempt.pages, attempt.via) == (
        Result.SUCCESS, "ok", 1, "fax0",
    )  # fmt: skip
    (call,) = [c for c in engine.snapshot().calls if c.id == attempt.call_id]
    assert call.result is Result.SUCCESS and call.remote_number == "5551234"
    (received,) = sim.received_pages
    diff = ImageChops.difference(received.convert("L"), page(1).convert("L"))
    assert diff.getbbox() is None
    assert len(sim.calls) == 1


async def test_busy_waits_the_busy_interval_then_retry_sends_it(
    engine: Engine, sim: SimModem, document: Path
) -> None:
    sim.next_call(FarEnd(answer=Answer.BUSY))
    job_id = await queue(engine, document)
    await wait_for(lambda: job(engine, job_id).state is JobState.RETRY_WAIT)
    waiting = job(engine, job_id)
    assert waiting.reason == "busy" and waiting.tries == 1
    assert waiting.next_try is not None and waiting.attempts[0].ended is not None
    assert waiting.next_try - waiting.attempts[0].ended == pytest.approx(60.0)
    result = await engine.command(JobCommand("retry", (job_id,)))
    assert result.ok, result.message
    await wait_for(lambda: job(engine, job_id).state is JobState.DONE)
    assert [a.reason for a in job(engine, job_id).attempts] == ["busy", "ok"]


async def test_a_fax_machine_that_never_answers_properly_fails_after_max_tries(
    engine: Engine, sim: SimModem, document: Path
) -> None:
    assert engine.queue is not None
    sim.far_end = FarEnd(answer=Answer.NO_ANSWER)
    job_id = await queue(engine, document)
    for tries in (1, 2):
        await wait_for(lambda t=tries: job(engine, job_id).tries == t and
                       job(engine, job_id).state is JobState.RETRY_WAIT, timeout=30)  # fmt: skip
        assert job(engine, job_id).reason == "no_answer"
        await engine.command(JobCommand("retry", (job_id,)))
    await wait_for(lambda: job(engine, job_id).state.final, timeout=30)
    failed = job(engine, job_id)
    assert (failed.state, failed.reason, failed.tries) == (JobState.FAILED, "no_answer", 3)


async def test_cancel_during_the_call_hangs_up(
    engine: Engine, sim: SimModem, tmp_path: Path
) -> None:
    long_document = tmp_path / "long.tif"
    pages = [page(n, rows=2200) for n in range(1, 5)]
    pages[0].save(long_document, save_all=True, append_images=pages[1:], dpi=(204, 196))
    sim.next_call(FarEnd(faults=Faults()))
    job_id = await queue(engine, long_document)
    await wait_for(lambda: job(engine, job_id).state is JobState.SENDING, timeout=30)
    result = await engine.command(JobCommand("cancel", (job_id,)))
    assert result.ok, result.message
    await wait_for(lambda: job(engine, job_id).state is JobState.CANCELLED, timeout=30)
    cancelled = job(engine, job_id)
    assert cancelled.attempts[-1].reason == "cancelled"
    call_id = cancelled.attempts[-1].call_id

    def the_call():  # type: ignore[no-untyped-def]
        return next(c for c in engine.snapshot().calls if c.id == call_id)

    await wait_for(lambda: the_call().ended is not None, timeout=15)  # hanging up takes a moment
    assert the_call().reason == "cancelled"
    assert sim.last_call is not None
    await sim.last_call.wait(timeout=30)  # the far end saw the line go
    assert len(sim.received_pages) < 4


async def test_hold_keeps_a_job_back_until_released(
    engine: Engine, sim: SimModem, document: Path
) -> None:
    first = await queue(engine, document, "5551111")
    second = await queue(engine, document, "5552222")  # waits: one modem, one call
    result = await engine.command(JobCommand("hold", (second,)))
    assert result.ok, result.message
    await wait_for(lambda: job(engine, first).state is JobState.DONE)
    await asyncio.sleep(1.5)  # the queue looks at least once a second
    assert job(engine, second).state is JobState.HELD and not job(engine, second).attempts
    await engine.command(JobCommand("release", (second,)))
    await wait_for(lambda: job(engine, second).state is JobState.DONE)
    assert [c.number for c in sim.calls] == ["5551111", "5552222"]


async def test_resend_makes_a_new_job_with_the_same_pages(
    engine: Engine, sim: SimModem, document: Path
) -> None:
    job_id = await queue(engine, document)
    await wait_for(lambda: job(engine, job_id).state is JobState.DONE)
    bad = await engine.command(JobCommand("retry", (job_id,)))
    assert not bad.ok and "resend" in bad.message
    result = await engine.command(JobCommand("resend", (job_id,)))
    assert result.ok, result.message
    (new,) = result.data
    assert new.id != job_id and new.resent_from == job_id and new.spool != job(engine, job_id).spool
    await wait_for(lambda: job(engine, new.id).state is JobState.DONE)
    assert len(sim.received_pages) == 1 and len(sim.calls) == 2


async def test_bad_input_queues_nothing(engine: Engine, tmp_path: Path, document: Path) -> None:
    missing = tmp_path / "missing.pdf"
    result = await engine.command(SendFax("5551234", (str(document), str(missing))))
    assert not result.ok and "missing.pdf" in result.message
    result = await engine.command(SendFax("call me maybe", (str(document),)))
    assert not result.ok and "not a fax number" in result.message
    result = await engine.command(SendFax("5551234", (str(document),), via="hylafax"))
    assert not result.ok and "no sender 'hylafax'" in result.message
    assert engine.snapshot().jobs == ()
    assert engine.queue is not None
    assert not list((engine.config.spool).glob("*.tif"))


async def test_jobs_survive_a_restart(sim: SimModem, tmp_path: Path, document: Path) -> None:
    modem = ModemConfig("fax0", str(sim.link), rings=0, connect_delay=0.05)
    config = Config(modems=(modem,), health=HealthConfig(processes=(), spool_dirs=()),
                    data_dir=tmp_path / "data")  # fmt: skip
    first = Engine(config)
    await first.start()
    result = await first.command(SendFax("5551234", (str(document),)))
    held = await first.command(JobCommand("hold", (result.data.id,)))
    assert held.ok
    await first.stop()
    again = Engine(config)
    await again.start()
    try:
        (kept,) = again.snapshot().jobs
        assert (kept.id, kept.state, kept.number) == (result.data.id, JobState.HELD, "5551234")
        await again.command(JobCommand("release", (kept.id,)))
        await wait_for(lambda: job(again, kept.id).state is JobState.DONE)
    finally:
        await again.stop()


async def test_a_cover_page_and_standard_resolution_reach_the_far_end(
    engine: Engine, sim: SimModem, document: Path
) -> None:
    result = await engine.command(
        SendFax("5551234", (str(document),), resolution="standard", cover="Invoice 1184")
    )
    assert result.ok, result.message
    queued = result.data
    assert queued.pages == 2 and queued.cover == "Invoice 1184"
    with Image.open(queued.spool) as spooled:
        assert spooled.n_frames == 2 and spooled.info["dpi"][1] == pytest.approx(98, abs=1)
    await wait_for(lambda: job(engine, queued.id).state is JobState.DONE)
    cover, letter = sim.received_pages
    assert ImageOps.invert(cover.convert("L")).getbbox() is not None  # ink on the cover
    assert letter.size == (1728, 150)  # the 300-row fine page, sent in 150 standard rows


async def test_superfine_is_spooled_at_391_lpi_and_goes_at_fine_to_a_receiver_without_it(
    engine: Engine, sim: SimModem, document: Path
) -> None:
    result = await engine.command(SendFax("5551234", (str(document),), resolution="superfine"))
    assert result.ok, result.message
    queued = result.data
    assert queued.resolution == "superfine"
    with Image.open(queued.spool) as spooled:
        assert spooled.info["dpi"][1] == pytest.approx(391, abs=1)
        assert spooled.size == (1728, 598)  # the 300-row fine page at 391/196 the lines
    await wait_for(lambda: job(engine, queued.id).state is JobState.DONE)
    (received,) = sim.received_pages
    assert received.size == (1728, 299)  # the far end offers fine: line pairs merged
    (attempt,) = job(engine, queued.id).attempts
    assert engine.store is not None
    call = engine.store.call(attempt.call_id)
    assert call is not None and call.resolution == "fine"


async def test_a_job_no_line_could_take_fails_at_its_kill_time_and_says_so(
    tmp_path: Path, document: Path
) -> None:
    """The modem is unplugged the whole time: the job waits, then gives up when it is due."""
    now = [1_800_000_000.0]
    modem = ModemConfig("fax0", str(tmp_path / "ttyGONE"), local_id="5550100", rings=0)
    config = Config(modems=(modem,), health=HealthConfig(processes=(), spool_dirs=()),
                    queue=QueueConfig(kill_after=600.0), data_dir=tmp_path / "data")  # fmt: skip
    engine = Engine(config, clock=lambda: now[0])
    await engine.start()
    try:
        job_id = await queue(engine, document)
        waiting = job(engine, job_id)
        assert waiting.state is JobState.QUEUED
        assert waiting.kill_time == now[0] + 600
        now[0] += 599
        await asyncio.sleep(1.5)  # the queue looks again (it wakes each second)
        assert job(engine, job_id).state is JobState.QUEUED
        now[0] += 60
        await wait_for(lambda: job(engine, job_id).state is JobState.FAILED)
        failed = job(engine, job_id)
        assert (failed.reason, failed.attempts) == ("kill_time", ())
        assert failed.detail  # the words the queue pane and `faxtui queue` show
    finally:
        await engine.stop()
