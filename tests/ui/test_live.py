"""The app on the AMI simulator: calls move live, hostile text stays inert, secrets stay
secret, and updates are batched and keyed."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from rich.text import Text
from textual.widgets import DataTable, RichLog

from faxtui.model import Call, Phase, Result
from faxtui.sim import scenarios
from faxtui.sim.ami_server import AmiSimulator
from faxtui.ui.app import FaxApp
from faxtui.ui.screens.call import CallScreen
from faxtui.ui.screens.help import HelpScreen
from faxtui.ui.screens.history import HistoryScreen
from faxtui.ui.screens.main import MainScreen
from faxtui.ui.widgets.calls_table import CallsTable
from tests.conftest import SECRET, wait_for
from tests.ui.conftest import HOSTILE, calls_table, event_log, screen_text, svg_lines

TIMEOUT = 20.0  # generous: a slow 2-core machine runs these with everything else


async def _connected(app: FaxApp) -> None:
    await wait_for(lambda: any(s.state == "up" for s in app.sources.values()), TIMEOUT)


def _finished(app: FaxApp) -> list[Call]:
    return [c for c in app.calls.values() if c.ended is not None]


def _in_order(seen: list[Phase], timeline: list[Phase]) -> bool:
    """``seen`` is ``timeline`` with some entries skipped (a batch may skip a short phase)."""
    rest = iter(timeline)
    return all(any(p is q for q in rest) for p in seen)


def _plain(cell: object) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


async def _open_detail(app: FaxApp, pilot: Any, call_id: str) -> CallScreen:
    table = calls_table(app)
    table.move_cursor(row=table.get_row_index(call_id))
    await pilot.press("enter")
    await wait_for(lambda: isinstance(app.screen, CallScreen), TIMEOUT)
    screen = app.screen
    assert isinstance(screen, CallScreen)
    raw = screen.query_one("#raw", RichLog)
    await wait_for(lambda: len(raw.lines) > 10, TIMEOUT)
    await pilot.pause()
    return screen


async def test_an_inbound_fax_moves_through_the_phases_and_ends_received(
    live_app: FaxApp, sim: AmiSimulator
) -> None:
    app = live_app
    async with app.run_test(size=(80, 24)) as pilot:
        await _connected(app)
        assert "pbx ● up" in screen_text(app).splitlines()[0]
        table = calls_table(app)
        sim.run(scenarios.inbound_t38)
        await wait_for(lambda: table.row_count == 1, TIMEOUT)
        (call_id,) = app.calls
        phases: list[Phase] = []
        statuses: list[str] = []
        deadline = time.monotonic() + TIMEOUT
        while not _finished(app) and time.monotonic() < deadline:
            call = app.calls[call_id]
            if not phases or phases[-1] is not call.phase:
                phases.append(call.phase)
            status = _plain(table.get_cell(call_id, "status"))
            if not statuses or statuses[-1] != status:
                statuses.append(status)
            await asyncio.sleep(0.01)
        await pilot.pause()
        (call,) = _finished(app)
        assert call.result is Result.SUCCESS
        # what the table showed on the way: every phase, in order (a 100 ms batch may skip one)
        assert phases[0] in (Phase.A, Phase.B)
        assert Phase.C in phases
        assert call.phases() == [Phase.A, Phase.B, Phase.C, Phase.D, Phase.C, Phase.E]
        assert _in_order(phases, call.phases())  # what it showed, it showed in order
        assert any("receiving page" in s for s in statuses)
        assert _plain(table.get_cell(call_id, "status")) == "✓ received, 2 pages"
        assert table.row_count == 1
        lines = [strip.text for strip in event_log(app).lines]
        assert len(lines) >= len(call.timeline)
        assert any("C pbx: fax from" in line and "receiving page 1" in line for line in lines)
        assert any(line.endswith("fax received") for line in lines)


async def test_a_busy_outbound_fax_ends_busy_next_to_a_running_one(
    live_app: FaxApp, sim: AmiSimulator
) -> None:
    app = live_app
    async with app.run_test(size=(80, 24)) as pilot:
        await _connected(app)
        sim.run(scenarios.inbound_t38)
        sim.run(scenarios.busy)
        await wait_for(lambda: len(_finished(app)) == 2, TIMEOUT)
        await pilot.pause()
        table = calls_table(app)
        assert table.row_count == 2
        by_dir = {c.direction: c for c in app.calls.values()}
        busy = by_dir["out"]
        assert (busy.result, busy.reason, busy.remote_number) == (
            Result.FAILED,
            "busy",
            "5550117",
        )
        assert _plain(table.get_cell(busy.id, "status")) == "✗ busy"
        assert by_dir["in"].result is Result.SUCCESS
        assert any(n.title == "Fax failed" for n in app._notifications)
        assert "pbx ● up" in screen_text(app).splitlines()[0]


async def test_the_source_bar_shows_a_server_that_is_down(sim: AmiSimulator, tmp_path: Any) -> None:
    from faxtui.engine import Engine
    from tests.conftest import ami_config

    await sim.stop_listening()
    app = FaxApp(Engine(ami_config(sim.port, tmp_path)))
    async with app.run_test(size=(120, 24)) as pilot:
        # (the inbox's own "loading the index" takes room too until it is up)
        await wait_for(lambda: {s.name: str(s.state) for s in app.sources.values()}
                       == {"pbx": "down", "inbox": "up"}, TIMEOUT)  # fmt: skip
        await pilot.pause()
        first = screen_text(app).splitlines()[0]
        assert "pbx ✗" in first
        assert "connection refused by 127.0.0.1" in first
        # (the retry time and the active count fall off the end: see test_known_bugs.py)


# --- hostile remote text ---------------------------------------------------------------------


def _assert_inert(text: str) -> None:
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "\x9b" not in text


async def test_hostile_caller_and_station_ids_are_shown_as_plain_text(
    live_app: FaxApp, sim: AmiSimulator
) -> None:
    app = live_app
    sim.speed = 20  # only the end matters here
    async with app.run_test(size=(240, 48)) as pilot:  # the calls' wide layout, beside the queue
        await _connected(app)
        sim.run(scenarios.hostile)
        await wait_for(lambda: _finished(app), TIMEOUT)
        await pilot.pause()
        (call,) = _finished(app)
        assert call.remote_station_id == HOSTILE  # the record keeps the bytes as sent

        table = calls_table(app)
        cells = [_plain(c) for c in table.get_row(call.id)]
        station_cell = table.get_cell(call.id, "station")
        assert isinstance(station_cell, Text)
        assert station_cell.plain == "␛[2J␛]0;owned␇[bold red]x[/]"
        assert not station_cell.spans  # the markup was not parsed into a bold red span
        for cell in cells:
            _assert_inert(cell)
        svg = app.export_screenshot()
        _assert_inert(svg)
        main = "\n".join(svg_lines(svg))
        assert "␛[2J␛]0;owned␇[bold" in main  # the 20-column Station ID cuts the rest off

        screen = await _open_detail(app, pilot, call.id)
        svg = app.export_screenshot()
        _assert_inert(svg)
        detail = "\n".join(svg_lines(svg))
        assert "«␛[2J␛]0;owned␇[bold red]x[/]»" in detail  # the summary line
        raw = screen.query_one("#raw", RichLog)
        raw_lines = [strip.text for strip in raw.lines]
        for line in raw_lines:
            _assert_inert(line)
        assert "    CallerIDName: ␛[2J␛]0;owned␇[bold red]x[/]" in raw_lines
        assert "    RemoteStationID: ␛[2J␛]0;owned␇[bold red]x[/]" in raw_lines
        raw.scroll_home(animate=False)
        await pilot.pause()
        svg = app.export_screenshot()
        _assert_inert(svg)
        assert "CallerIDName: ␛[2J␛]0;owned␇[bold red]x[/]" in "\n".join(svg_lines(svg))
        timeline = screen.query_one("#timeline", DataTable)
        for row in timeline.ordered_rows:
            for cell in timeline.get_row(row.key):
                _assert_inert(_plain(cell))

        await pilot.press("escape", "h")
        await wait_for(lambda: isinstance(app.screen, HistoryScreen), TIMEOUT)
        history = app.screen.query_one("#history", DataTable)
        await wait_for(lambda: history.row_count == 1, TIMEOUT)
        for cell in history.get_row(call.id):
            _assert_inert(_plain(cell))
        remote = _plain(history.get_cell(call.id, "remote"))
        assert remote.startswith("+15550000666 «␛[2J␛]0;owned␇[bold")
        _assert_inert(app.export_screenshot())


# --- secrets ---------------------------------------------------------------------------------


async def test_the_ami_secret_never_reaches_a_screen(live_app: FaxApp, sim: AmiSimulator) -> None:
    app = live_app
    shots: dict[str, str] = {}
    sim.speed = 40  # only the end matters here
    async with app.run_test(size=(160, 48)) as pilot:
        await _connected(app)
        sim.run(scenarios.dropped)
        await wait_for(lambda: _finished(app), TIMEOUT)
        await pilot.pause()
        shots["main"] = app.export_screenshot()
        (call,) = _finished(app)
        await _open_detail(app, pilot, call.id)
        shots["detail"] = app.export_screenshot()
        await pilot.press("e")
        await pilot.pause()
        shots["detail, one line an event"] = app.export_screenshot()
        await pilot.press("question_mark")
        await wait_for(lambda: isinstance(app.screen, HelpScreen), TIMEOUT)
        shots["help"] = app.export_screenshot()
        await pilot.press("escape", "escape", "h")
        await wait_for(lambda: isinstance(app.screen, HistoryScreen), TIMEOUT)
        history = app.screen.query_one("#history", DataTable)
        await wait_for(lambda: history.row_count == 1, TIMEOUT)
        shots["history"] = app.export_screenshot()
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, CallScreen), TIMEOUT)
        await pilot.pause()
        shots["detail from history"] = app.export_screenshot()
        await pilot.press("ctrl+p")
        await pilot.pause()
        shots["palette"] = app.export_screenshot()
    assert "login as" not in shots["main"]  # the login went through: no error on screen
    for name, svg in shots.items():
        assert SECRET not in svg, name
        assert SECRET not in "\n".join(svg_lines(svg)), name


async def test_a_refused_login_does_not_show_the_secret(sim: AmiSimulator, tmp_path: Any) -> None:
    from faxtui.config import Secret
    from faxtui.engine import Engine
    from tests.conftest import ami_config

    wrong = SECRET[::-1]
    config = ami_config(sim.port, tmp_path, secret=Secret(wrong), auth="plain")
    sim.auth_failure_delay = 0.0
    app = FaxApp(Engine(config))
    async with app.run_test(size=(200, 30)) as pilot:
        await wait_for(lambda: any(s.problem == "auth" for s in app.sources.values()), TIMEOUT)
        await pilot.pause()
        svg = app.export_screenshot()
        assert "refused" in "\n".join(svg_lines(svg))
        for secret in (SECRET, wrong):
            assert secret not in svg
            assert all(secret not in n.message for n in app._notifications)


# --- batching ----------------------------------------------------------------------------------


async def test_updates_are_batched_and_keyed_under_load(
    live_app: FaxApp, sim: AmiSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = live_app
    cleared: list[float] = []
    real_clear = CallsTable.clear
    updated: list[str] = []
    real_update_cell = CallsTable.update_cell

    def clear(self: CallsTable, *args: Any, **kwargs: Any) -> Any:
        cleared.append(time.monotonic())
        return real_clear(self, *args, **kwargs)

    def update_cell(self: CallsTable, row_key: Any, column_key: Any, *args: Any, **kw: Any) -> Any:
        updated.append(str(column_key))
        return real_update_cell(self, row_key, column_key, *args, **kw)

    monkeypatch.setattr(CallsTable, "clear", clear)
    monkeypatch.setattr(CallsTable, "update_cell", update_cell)
    async with app.run_test(size=(80, 24)) as pilot:
        await _connected(app)
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        laid_out = len(cleared)
        applied: list[float] = []
        real_apply = app._apply_pending

        def apply_pending() -> None:
            applied.append(time.monotonic())
            real_apply()

        monkeypatch.setattr(app, "_apply_pending", apply_pending)
        started = time.monotonic()
        sim.run(lambda s: scenarios.load(s, calls=10, rate=2000))
        await wait_for(lambda: len(_finished(app)) >= 10, TIMEOUT)
        await asyncio.sleep(1.0)  # more load: the measure is over what happened, not this sleep
        elapsed = time.monotonic() - started
        assert len(app.calls) >= 10
        assert calls_table(app).row_count == len(app.calls)

    assert applied, "no change was applied at all"
    # at most ~10 a second (REFRESH_INTERVAL = 0.1 s), in every one-second window
    busiest = max(sum(1 for t in applied if s <= t < s + 1.0) for s in applied)
    assert busiest <= 12, f"{busiest} UI updates in one second"
    assert len(applied) <= 12 * (elapsed + 1)
    assert len(cleared) == laid_out, "the calls table was rebuilt instead of updated by key"
    assert "status" in updated and "phase" in updated
