"""From the TUI alone, through the modem simulator: send a PDF, watch it go, see it fail and
why, resend it, and cancel another (issue 4's "done when")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from faxtui.config import Config, HealthConfig, ModemConfig, QueueConfig
from faxtui.engine import Engine
from faxtui.model import Job, JobState
from faxtui.sim.modem import Answer, FarEnd, SimModem
from faxtui.ui.app import FaxApp
from faxtui.ui.screens.confirm import ConfirmScreen
from faxtui.ui.screens.job import JobScreen
from faxtui.ui.screens.main import MainScreen
from faxtui.ui.screens.send import NewFaxScreen
from faxtui.ui.widgets.queue_table import QueueTable
from tests.conftest import wait_for
from tests.ui.conftest import PDF, screen_text

TIMEOUT = 60.0  # a slow 2-core machine runs these with everything else


@pytest.fixture
async def modem(tmp_path: Path) -> AsyncIterator[SimModem]:
    # a long ring before "no answer": time to cancel a job while it dials
    sim = SimModem(speed=20, link=tmp_path / "ttyFAX", busy_out=0.2, no_answer_after=1200)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
def modem_app(modem: SimModem, tmp_path: Path) -> FaxApp:
    line = ModemConfig("fax0", str(modem.link), local_id="5550100", rings=0, connect_delay=0.05)
    config = Config(
        modems=(line,),
        health=HealthConfig(processes=(), spool_dirs=()),
        queue=QueueConfig(max_tries=1),  # one failure is the end of a job
        data_dir=tmp_path / "data",
    )
    return FaxApp(Engine(config), linger=600.0)


def _job(app: FaxApp, job_id: int) -> Job:
    return app.jobs[job_id]


def _row(app: FaxApp, job_id: int) -> str:
    table = app.screen.query_one(QueueTable)
    return " | ".join(str(getattr(c, "plain", c)) for c in table.get_row(str(job_id)))


async def _send(pilot: Any, number: str) -> int:
    app = pilot.app
    before = set(app.jobs)
    await pilot.press("n")
    await wait_for(lambda: isinstance(app.screen, NewFaxScreen), TIMEOUT)
    await pilot.press(*number, "enter", *str(PDF), "ctrl+s")
    await wait_for(lambda: isinstance(app.screen, MainScreen), TIMEOUT)
    await wait_for(lambda: set(app.jobs) - before, TIMEOUT)
    (new,) = set(app.jobs) - before
    return int(new)


async def test_send_watch_it_fail_resend_it_and_cancel_another(
    modem_app: FaxApp, modem: SimModem
) -> None:
    app = modem_app
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(lambda: app.engine.queue is not None, TIMEOUT)  # type: ignore[attr-defined]
        await wait_for(lambda: app.engine.queue.senders[0].ready, TIMEOUT)  # type: ignore[attr-defined]

        # send a PDF; the far end is busy: the job fails, and says why
        modem.next_call(FarEnd(answer=Answer.BUSY))
        first = await _send(pilot, "5551234")
        await wait_for(lambda: _job(app, first).state is JobState.FAILED, TIMEOUT)
        await pilot.pause()
        assert "failed" in _row(app, first) and "✗ busy" in _row(app, first)
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, JobScreen), TIMEOUT)
        await pilot.pause()
        text = screen_text(app)
        assert "✗ the line was busy" in text and "next: Retry in a few minutes." in text
        await pilot.press("escape")
        await wait_for(lambda: isinstance(app.screen, MainScreen), TIMEOUT)

        # resend it: a new job, and it goes through this time; the row follows it
        await pilot.press("r")
        await wait_for(lambda: len(app.jobs) == 2, TIMEOUT)
        second = max(app.jobs)
        assert _job(app, second).resent_from == first
        seen: list[str] = []

        def done() -> bool:
            state = str(_job(app, second).state)
            if not seen or seen[-1] != state:
                seen.append(state)
            return state == "done"

        await wait_for(done, TIMEOUT)
        await pilot.pause()
        assert "sending" in seen  # watched it go
        assert "✓ sent, 3 pages" in _row(app, second)

        # another one, still ringing at the far end: cancel it
        modem.next_call(FarEnd(answer=Answer.NO_ANSWER))
        third = await _send(pilot, "5556789")
        await wait_for(lambda: len(modem.calls) == 3, TIMEOUT)  # it rings at the far end
        assert _job(app, third).state is JobState.DIALING
        table = app.screen.query_one(QueueTable)
        assert table.has_focus and table.cursor_job_id == third  # the new job, ready to act on
        await pilot.press("c")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), TIMEOUT)
        await pilot.press("y")
        await wait_for(lambda: _job(app, third).state is JobState.CANCELLED, TIMEOUT)
        await pilot.pause()
        assert "cancelled" in _row(app, third)
        assert [call.number for call in modem.calls] == ["5551234", "5551234", "5556789"]
