"""The modem line of `faxtui demo`: calls both ways through the real driver, each with an end."""

from __future__ import annotations

import asyncio
from pathlib import Path

from faxtui.config import Config, HealthConfig, ModemConfig
from faxtui.engine import Engine
from faxtui.model import Direction, Result
from faxtui.sim.demo import MODEM, run_modem_line, write_documents
from faxtui.sim.modem import SimModem
from faxtui.t30.reasons import VOCABULARY
from tests.conftest import finished, wait_for


async def test_the_demo_line_carries_faxes_both_ways_and_names_every_failure(
    tmp_path: Path,
) -> None:
    tty = tmp_path / "ttyFAX0"
    sim = SimModem(speed=20, link=tty, busy_out=0.2, no_answer_after=20)
    await sim.start()
    config = Config(
        modems=(ModemConfig(MODEM, str(tty), local_id="+1 555 0100", rings=1, connect_delay=0.05),),
        health=HealthConfig(processes=(), spool_dirs=()),
        data_dir=tmp_path / "data",
    )
    engine = Engine(config)
    await engine.start()
    documents = write_documents(tmp_path / "documents")
    line = asyncio.create_task(run_modem_line(engine, sim, documents, seed=11, pause=0.05))
    try:
        await wait_for(lambda: len(finished(engine)) >= 6, timeout=180)
    finally:
        line.cancel()
        await asyncio.gather(line, return_exceptions=True)
        await engine.stop()
        await sim.stop()
    calls = finished(engine)
    done = {(c.direction, c.result) for c in calls}
    assert (Direction.IN, Result.SUCCESS) in done
    assert (Direction.OUT, Result.SUCCESS) in done
    for call in calls:
        assert call.source == MODEM
        if call.result is Result.SUCCESS:
            assert call.pages >= 1
        else:
            assert call.reason in VOCABULARY and call.reason not in ("ok", "unknown"), call
    received = list((tmp_path / "data" / "inbox").iterdir())
    assert len(received) == sum(1 for c in calls if c.direction is Direction.IN and c.pages)
