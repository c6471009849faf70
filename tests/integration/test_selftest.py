"""The self-test closes the loop: out through the queue and the modem, back into the inbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from faxtui.config import Config, HealthConfig, ModemConfig
from faxtui.engine import Engine
from faxtui.selftest import likeness, make_page, run_selftest
from faxtui.sim.demo import LOOP_NUMBER, loop_back
from faxtui.sim.modem import Answer, FarEnd, SimModem
from tests.conftest import wait_for


@pytest.fixture
async def line(tmp_path: Path) -> AsyncIterator[tuple[Engine, SimModem]]:
    sim = SimModem(speed=20, link=tmp_path / "ttyFAX", busy_out=0.2, no_answer_after=20)
    await sim.start()
    looping = asyncio.create_task(loop_back(sim))
    modem = ModemConfig("fax0", str(sim.link), rings=1, connect_delay=0.05)
    config = Config(modems=(modem,), health=HealthConfig(processes=(), spool_dirs=()),
                    data_dir=tmp_path / "data")  # fmt: skip
    engine = Engine(config)
    await engine.start()
    await wait_for(lambda: engine.queue is not None and engine.queue.senders[0].ready)
    yield engine, sim
    looping.cancel()
    await engine.stop()
    await sim.stop()


async def test_the_page_goes_round_and_is_recognised(
    line: tuple[Engine, SimModem], tmp_path: Path
) -> None:
    engine, _ = line
    report = await run_selftest(engine, LOOP_NUMBER, [engine.config.inbox], timeout=120,
                                work=tmp_path / "work")  # fmt: skip
    assert report.ok, report.message
    assert report.likeness >= 0.9 and report.pages == 1 and report.rate == 14400
    assert Path(report.received).parent == engine.config.inbox
    assert report.total_s >= report.sent_s > 0 and "round trip" in report.message


async def test_a_failure_says_where(line: tuple[Engine, SimModem], tmp_path: Path) -> None:
    engine, sim = line
    sim.far_end = FarEnd(answer=Answer.BUSY)
    report = await run_selftest(engine, "5550000", [engine.config.inbox], timeout=20,
                                work=tmp_path / "work")  # fmt: skip
    assert not report.ok
    assert "retry-wait" in report.message or "busy" in report.message


def test_likeness_tells_our_page_from_another() -> None:
    ours = make_page("ABC123", "now")
    assert likeness(ours, ours) == 1.0
    assert likeness(ours, make_page("XYZ789", "later")) > 0.9  # same layout, other token
    other = ours.rotate(180)
    assert likeness(ours, other) < 0.9
