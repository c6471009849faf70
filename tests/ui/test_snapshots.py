"""SVG snapshots of every screen on fixed data at a frozen time.

Refresh after an intended change with ``pytest tests/ui --snapshot-update`` and look at the
pictures (tests/ui/__snapshots__/test_snapshots/) before committing them.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, RichLog

from faxtui.ui.screens.call import CallScreen
from faxtui.ui.screens.help import HelpScreen
from faxtui.ui.screens.history import HistoryScreen
from tests.conftest import wait_for
from tests.ui.conftest import (
    DROPPED_ID,
    EVENTS,
    OLD_EVENTS,
    AppFactory,
    calls_table,
    settle,
)


async def _main(pilot: Pilot[Any]) -> None:
    await settle(pilot)


@pytest.mark.parametrize(
    "size", [(80, 24), (100, 30), (160, 48)], ids=lambda s: "x".join(map(str, s))
)
def test_main(make_app: AppFactory, snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=_main)


@pytest.mark.parametrize("theme", ["faxtui-16", "faxtui-high-contrast", "faxtui-light"])
def test_main_theme(make_app: AppFactory, snap_compare: Any, theme: str) -> None:
    assert snap_compare(make_app(theme=theme), terminal_size=(80, 24), run_before=_main)


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
