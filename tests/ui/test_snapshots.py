"""SVG snapshots of every screen on fixed data at a frozen time.

Refresh after an intended change with ``pytest tests/ui --snapshot-update`` and look at the
pictures (tests/ui/__snapshots__/test_snapshots/) before committing them.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, RichLog, Static

from faxtui.ui.screens.call import CallScreen
from faxtui.ui.screens.confirm import ConfirmScreen
from faxtui.ui.screens.help import HelpScreen
from faxtui.ui.screens.history import HistoryScreen
from faxtui.ui.screens.job import JobScreen
from faxtui.ui.screens.send import NewFaxScreen
from faxtui.ui.widgets.queue_table import QueueTable
from tests.conftest import wait_for
from tests.ui.conftest import (
    DROPPED_ID,
    EVENTS,
    FAILED_JOB,
    JOB_EVENTS,
    JOBS,
    OLD_EVENTS,
    PDF,
    RETRY_JOB,
    AppFactory,
    calls_table,
    settle,
)


async def _main(pilot: Pilot[Any]) -> None:
    await settle(pilot)


async def _with_queue(pilot: Pilot[Any]) -> None:
    await settle(pilot, (*EVENTS, *JOB_EVENTS))


@pytest.mark.parametrize(
    "size", [(80, 24), (100, 30), (160, 48)], ids=lambda s: "x".join(map(str, s))
)
def test_main(make_app: AppFactory, snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=_main)


@pytest.mark.parametrize("theme", ["faxtui-16", "faxtui-high-contrast", "faxtui-light"])
def test_main_theme(make_app: AppFactory, snap_compare: Any, theme: str) -> None:
    app = make_app(theme=theme, jobs=JOBS)  # the queue shows the colours of the job states
    assert snap_compare(app, terminal_size=(80, 24), run_before=_with_queue)


async def _detail_of_failed_call(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    table = calls_table(pilot.app)  # type: ignore[arg-type]
    for _ in range(table.get_row_index(DROPPED_ID)):
        await pilot.press("down")
    await pilot.press("enter")
    await wait_for(lambda: isinstance(pilot.app.screen, CallScreen), timeout=10)
    raw = pilot.app.screen.query_one("#raw", RichLog)
    await wait_for(lambda: len(raw.lines) > 20, timeout=10)
    await pilot.pause()


def test_call_detail_of_failed_call(make_app: AppFactory, snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(100, 30), run_before=_detail_of_failed_call)


async def _history(pilot: Pilot[Any]) -> None:
    await settle(pilot, (*EVENTS, *OLD_EVENTS))
    await pilot.press("h")
    await wait_for(lambda: isinstance(pilot.app.screen, HistoryScreen), timeout=10)
    table = pilot.app.screen.query_one("#history", DataTable)
    await wait_for(lambda: table.row_count == 5, timeout=10)
    await pilot.pause()


def test_history(make_app: AppFactory, snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(100, 30), run_before=_history)


async def _help(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("question_mark")
    await wait_for(lambda: isinstance(pilot.app.screen, HelpScreen), timeout=10)
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (100, 30)], ids=lambda s: "x".join(map(str, s)))
def test_help(make_app: AppFactory, snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=_help)


def test_read_only(make_app: AppFactory, snap_compare: Any) -> None:
    assert snap_compare(make_app(read_only=True), terminal_size=(100, 30), run_before=_main)


# --- the queue -------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=lambda s: "x".join(map(str, s)))
def test_main_with_queue(make_app: AppFactory, snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(jobs=JOBS), terminal_size=size, run_before=_with_queue)


async def _to_job(pilot: Pilot[Any], job_id: int) -> None:
    await _with_queue(pilot)
    await pilot.press("tab")
    table = pilot.app.screen.query_one(QueueTable)
    for _ in range(table.get_row_index(str(job_id))):
        await pilot.press("down")


async def _job(pilot: Pilot[Any]) -> None:
    await _to_job(pilot, FAILED_JOB)
    await pilot.press("enter")
    await wait_for(lambda: isinstance(pilot.app.screen, JobScreen), timeout=10)
    await pilot.pause()


def test_job(make_app: AppFactory, snap_compare: Any) -> None:
    assert snap_compare(make_app(jobs=JOBS), terminal_size=(80, 24), run_before=_job)


async def _cancel(pilot: Pilot[Any]) -> None:
    await _to_job(pilot, RETRY_JOB)
    await pilot.press("space", "space", "c")  # jobs 3 and 4
    await wait_for(lambda: isinstance(pilot.app.screen, ConfirmScreen), timeout=10)
    await pilot.pause()


def test_cancel_asks_first(make_app: AppFactory, snap_compare: Any) -> None:
    assert snap_compare(make_app(jobs=JOBS), terminal_size=(80, 24), run_before=_cancel)


async def _new_fax(pilot: Pilot[Any]) -> None:
    await _with_queue(pilot)
    await pilot.press("n")
    await wait_for(lambda: isinstance(pilot.app.screen, NewFaxScreen), timeout=10)
    screen = pilot.app.screen
    for box in screen.query(Input):
        box.cursor_blink = False
    await pilot.press(*"+4930555", "enter", *PDF.name, "enter", "tab", *"Order 4711")
    caption = screen.query_one("#preview-caption", Static)
    await wait_for(lambda: "page 1 of 3" in str(caption.render()), timeout=10)
    await pilot.pause()


def test_new_fax(make_app: AppFactory, snap_compare: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PDF.parent)  # the file by a short name, the same on every machine
    assert snap_compare(make_app(jobs=JOBS), terminal_size=(80, 24), run_before=_new_fax)
