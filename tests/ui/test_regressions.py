"""Regressions: bugs the UI tests once found (each test failed before its fix)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.widgets import DataTable

from faxtui.engine import Engine
from faxtui.t30.reasons import describe
from faxtui.ui import theming
from faxtui.ui.app import FaxApp
from faxtui.ui.screens.call import CallScreen
from faxtui.ui.screens.help import HelpScreen
from faxtui.ui.screens.history import HistoryScreen
from tests.conftest import wait_for
from tests.ui.conftest import (
    BUSY_ID,
    DROPPED_ID,
    EVENTS,
    INBOUND_ID,
    LIVE_IDS,
    AppFactory,
    calls_table,
    inject,
    screen_text,
)


async def _detail(app: FaxApp, pilot: Any, call_id: str) -> str:
    await inject(pilot)
    table = calls_table(app)
    table.move_cursor(row=table.get_row_index(call_id))
    await pilot.press("enter")
    await wait_for(lambda: isinstance(app.screen, CallScreen), timeout=10)
    await pilot.pause()
    return screen_text(app)


async def test_call_detail_shows_the_channel_and_start_line(app: FaxApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        text = await _detail(app, pilot, DROPPED_ID)
        assert "channel PJSIP/trunk-0000002a  started 07:56:00  local 5550101 faxtui lab" in text


async def test_call_detail_says_1_page(app: FaxApp) -> None:
    async with app.run_test(size=(200, 30)) as pilot:  # wide: the summary does not wrap
        text = await _detail(app, pilot, INBOUND_ID)
        assert "· 1 page ·" in text.splitlines()[0]


async def test_help_names_each_phase_once(app: FaxApp) -> None:
    async with app.run_test(size=(100, 40)) as pilot:
        await inject(pilot)
        await pilot.press("question_mark")
        await wait_for(lambda: isinstance(app.screen, HelpScreen), timeout=10)
        text = screen_text(app)
        assert "E  release: DCN and hang-up" in text
        assert "release: release" not in text


async def test_the_calls_table_uses_the_theme_colours_from_the_start(
    make_app: AppFactory,
) -> None:
    app = make_app(theme="faxtui-high-contrast")
    async with app.run_test(size=(80, 24)) as pilot:
        await inject(pilot)
        table = calls_table(app)
        status = table.get_cell(DROPPED_ID, "status")
        assert isinstance(status, Text)
        assert status.style == app.styles_.fail  # the theme's red, #FF3333
        assert table.styles_ == app.styles_


async def test_source_bar_keeps_the_retry_time_and_active_count_at_80_columns(
    app: FaxApp,
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await inject(pilot)
        first = screen_text(app).splitlines()[0]
        assert "pbx2 ✗" in first
        assert "retry in 25 s" in first
        assert "2 active" in first


async def test_history_shows_why_each_call_failed_at_80_columns(app: FaxApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await inject(pilot)
        await pilot.press("h")
        await wait_for(lambda: isinstance(app.screen, HistoryScreen), timeout=10)
        table = app.screen.query_one("#history", DataTable)
        await wait_for(lambda: table.row_count == 3, timeout=10)
        await pilot.pause()
        lines = screen_text(app).splitlines()
        for call_id, number in ((BUSY_ID, "5550117"), (DROPPED_ID, "+4930901820")):
            call = app.engine.store.call(call_id)  # type: ignore[union-attr]
            assert call is not None
            (line,) = [line for line in lines if number in line]
            assert describe(call.reason).short in line


def test_the_theme_flag_wins_over_the_remembered_theme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from faxtui import cli

    theming.remember_theme("faxtui-16")
    config = tmp_path / "config.toml"
    config.write_text('[[ami]]\nname = "pbx1"\nusername = "faxtui"\nsecret = "x"\n')
    config.chmod(0o600)
    started_with: list[str] = []

    def run(self: FaxApp, *args: Any, **kwargs: Any) -> int:
        started_with.append(self._wanted_theme)
        return 0

    monkeypatch.setattr("faxtui.logs.setup", lambda **kwargs: None)  # keep pytest's logging
    monkeypatch.setattr(FaxApp, "run", run)
    assert cli.main(["--config", str(config), "--theme", "faxtui-light"]) == 0
    assert theming.remembered_theme() == "faxtui-light"
    assert started_with == ["faxtui-light"]


async def test_changes_right_after_the_engine_started_are_not_lost(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_start = Engine.start

    async def start(self: Engine) -> None:
        await real_start(self)
        store = self.store
        assert store is not None
        # the next thing the loop runs: a source's first events (a health sample, a burst
        # of AMI events read with the login) land here
        asyncio.get_running_loop().call_soon(store.apply_many, EVENTS)

    monkeypatch.setattr(Engine, "start", start)
    app = make_app()
    async with app.run_test(size=(80, 24)):
        await wait_for(lambda: set(app.calls) == set(LIVE_IDS), timeout=3)


async def test_a_tick_during_shutdown_does_not_crash(
    app: FaxApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors: list[Exception] = []
    real_close_all = FaxApp._close_all

    async def close_all(self: FaxApp) -> None:
        # Textual removes the widgets one await at a time; a timer can fire in between.
        # Do deterministically what the timer does there by chance.
        screen = self.screen_stack[-1]
        await screen.remove_children()
        try:
            self._tick()
        except Exception as exc:
            errors.append(exc)
        await real_close_all(self)

    monkeypatch.setattr(FaxApp, "_close_all", close_all)
    async with app.run_test(size=(80, 24)) as pilot:
        await inject(pilot)
    assert errors == []


async def test_help_lists_only_the_keys_that_work_here(app: FaxApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await _detail(app, pilot, DROPPED_ID)
        await pilot.press("question_mark")
        await wait_for(lambda: isinstance(app.screen, HelpScreen), timeout=10)
        box = [line.split("│")[1] for line in screen_text(app).splitlines() if line.count("│") >= 2]
        keys = [
            row.split()[0]
            for row in box[: box.index(next(r for r in box if not r.strip()))]
            if row.startswith("  ")
        ]
        assert "escape" in keys
        assert "e" in keys
        assert "t" not in keys
        assert keys.count("tab") == 1
