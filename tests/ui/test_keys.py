"""Pilot tests on fixed data: what each key does, and what the screens then show."""

from __future__ import annotations

import time

import pytest
from rich.text import Text
from textual.command import CommandPalette
from textual.widgets import DataTable, Input, RichLog
from textual.widgets.data_table import RowKey

from faxtui.engine import Engine
from faxtui.model import CallClosed, CallInfo, CallOpened, Direction, Result
from faxtui.ui import theming
from faxtui.ui.app import FaxApp
from faxtui.ui.screens.call import CallScreen
from faxtui.ui.screens.confirm import ConfirmScreen
from faxtui.ui.screens.help import HelpScreen
from faxtui.ui.screens.history import HistoryScreen
from faxtui.ui.screens.main import MainScreen
from tests.conftest import wait_for
from tests.ui.conftest import (
    ACTIVE_IDS,
    BUSY_ID,
    DROPPED_ID,
    EVENTS,
    INBOUND_ID,
    LIVE_IDS,
    OK_ID,
    OLD_EVENTS,
    OLD_IDS,
    AppFactory,
    calls_table,
    event_log,
    inject,
    screen_text,
)

SIZE = (80, 24)


def _cells(table: DataTable[object], row_key: RowKey | str) -> list[str]:
    return [c.plain if isinstance(c, Text) else str(c) for c in table.get_row(row_key)]


def _help_box(text: str) -> str:
    """The inside of the help box drawn over the screen."""
    lines = text.splitlines()
    top = next(i for i, line in enumerate(lines) if "╭" in line)
    bottom = next(i for i, line in enumerate(lines) if "╰" in line)
    inside = [line[line.index("│") + 1 : line.rindex("│")] for line in lines[top + 1 : bottom]]
    return "\n".join(inside)


def _row_keys(table: DataTable[object]) -> list[str | None]:
    return [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)]


async def test_the_calls_table_shows_every_call_in_the_order_they_began(app: FaxApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await inject(pilot)
        table = calls_table(app)
        assert _row_keys(table) == list(LIVE_IDS)
        inbound = " | ".join(_cells(table, INBOUND_ID))
        assert "+14155550134" in inbound
        assert "receiving page 2" in inbound
        assert "T.38 14400" in inbound
        assert "1:35" in inbound  # elapsed at the frozen time
        assert "✗ line dropped p.2" in _cells(table, DROPPED_ID)
        assert "✗ busy" in _cells(table, BUSY_ID)
        assert "✓ received, 2 pages" in _cells(table, OK_ID)


async def test_wide_layout_shows_server_station_id_rate_ecm_and_resolution(app: FaxApp) -> None:
    async with app.run_test(size=(240, 48)) as pilot:  # 150 columns beside the queue's 90
        await inject(pilot)
        table = calls_table(app)
        labels = [str(c.label) for c in table.columns.values()]
        for label in ("Server", "Station ID", "Via", "Rate", "ECM", "Res"):
            assert label in labels
        cells = _cells(table, INBOUND_ID)
        assert {"pbx1", "+1 415 555 0134", "T.38", "14400", "ECM", "fine"} <= set(cells)


async def test_enter_opens_the_call_under_the_cursor_and_escape_goes_back(app: FaxApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await inject(pilot)
        table = calls_table(app)
        for _ in range(table.get_row_index(DROPPED_ID)):
            await pilot.press("down")
        assert table.cursor_call_id == DROPPED_ID
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, CallScreen), timeout=10)
        screen = app.screen
        assert isinstance(screen, CallScreen)
        assert len(app.screen_stack) == 2  # one detail, not two
        assert screen.call.id == DROPPED_ID
        call = app.engine.store.call(DROPPED_ID)  # type: ignore[union-attr]
        assert call is not None
        timeline = screen.query_one("#timeline", DataTable)
        assert timeline.row_count == len(call.timeline)
        steps = [_cells(timeline, row.key)[2] for row in timeline.ordered_rows]
        assert steps == [step.text for step in call.timeline]
        assert steps[-1] == "the line dropped during the fax"
        text = screen_text(app)
        assert "the line dropped during the fax" in text
        assert "next: Resend" in text
        raw = screen.query_one("#raw", RichLog)
        await wait_for(lambda: len(raw.lines) > 10, timeout=10)
        raw_text = "\n".join(strip.text for strip in raw.lines)
        assert "ReceiveFAX" in raw_text
        assert "FAXSTATUSSTRING" in raw_text
        await pilot.press("escape")
        await wait_for(lambda: isinstance(app.screen, MainScreen), timeout=10)


async def test_tab_and_e_in_the_call_detail(app: FaxApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await inject(pilot)
        table = calls_table(app)
        for _ in range(table.get_row_index(DROPPED_ID)):
            await pilot.press("down")
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, CallScreen), timeout=10)
        raw = app.screen.query_one("#raw", RichLog)
        await wait_for(lambda: len(raw.lines) > 10, timeout=10)
        all_fields = len(raw.lines)
        await pilot.press("tab")
        assert app.focused is raw
        await pilot.press("e")  # one line per event
        await wait_for(lambda: len(raw.lines) < all_fields, timeout=10)
        assert any("FAXERROR=HANGUP" in strip.text for strip in raw.lines)


async def test_h_lists_finished_calls_newest_first(app: FaxApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await inject(pilot, (*EVENTS, *OLD_EVENTS))
        await pilot.press("h")
        await wait_for(lambda: isinstance(app.screen, HistoryScreen), timeout=10)
        table = app.screen.query_one("#history", DataTable)
        await wait_for(lambda: table.row_count == 5, timeout=10)
        assert _row_keys(table) == [BUSY_ID, DROPPED_ID, OK_ID, OLD_IDS[1], OLD_IDS[0]]
        assert "History: 5 finished calls" in screen_text(app)
        assert all(c.ended is not None for c in app.screen._calls.values())  # type: ignore[attr-defined]
        await pilot.press("escape")
        await wait_for(lambda: isinstance(app.screen, MainScreen), timeout=10)


async def test_history_filter_and_detail(app: FaxApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await inject(pilot, (*EVENTS, *OLD_EVENTS))
        await pilot.press("h")
        await wait_for(lambda: isinstance(app.screen, HistoryScreen), timeout=10)
        table = app.screen.query_one("#history", DataTable)
        await wait_for(lambda: table.row_count == 5, timeout=10)
        await pilot.press("slash", *"praxis", "enter")
        await wait_for(lambda: table.row_count == 1, timeout=10)
        assert _row_keys(table) == [DROPPED_ID]
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, CallScreen), timeout=10)
        assert app.screen.call.id == DROPPED_ID  # type: ignore[attr-defined]
        await pilot.press("escape")
        await wait_for(lambda: isinstance(app.screen, HistoryScreen), timeout=10)


async def test_slash_filters_the_calls_and_escape_clears(app: FaxApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await inject(pilot)
        table = calls_table(app)
        before = _row_keys(table)
        box = app.screen.query_one("#filter", Input)
        assert not box.display
        await pilot.press("slash")
        assert box.display and box.has_focus
        await pilot.press(*"acme")
        await wait_for(lambda: table.row_count == 1, timeout=10)
        assert _row_keys(table) == [INBOUND_ID]
        await pilot.press("backspace", "backspace", "backspace", "backspace", *"busy")
        await wait_for(lambda: _row_keys(table) == [BUSY_ID], timeout=10)
        await pilot.press("escape")  # the others come back in their places, not after it
        await wait_for(lambda: table.row_count == len(LIVE_IDS), timeout=10)
        assert _row_keys(table) == before
        await pilot.press("slash", *"busy")
        await wait_for(lambda: _row_keys(table) == [BUSY_ID], timeout=10)
        await pilot.press(*"xyz")
        await wait_for(lambda: table.row_count == 0, timeout=10)
        assert "No call matches" in screen_text(app)
        await pilot.press("escape")
        await wait_for(lambda: table.row_count == len(LIVE_IDS), timeout=10)
        assert _row_keys(table) == before
        assert not box.display
        assert box.value == ""
        assert table.has_focus


async def test_filter_keeps_applying_to_new_calls(app: FaxApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await inject(pilot, EVENTS[:3])  # sources and health only
        await pilot.press("slash", *"5550142", "enter")
        table = calls_table(app)
        await inject(pilot)
        assert _row_keys(table) == [ACTIVE_IDS[1]]


async def test_l_hides_and_shows_the_event_log(app: FaxApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await inject(pilot)
        log = event_log(app)
        assert log.display
        assert any("fax to 5550142: dialling 5550142" in s.text for s in log.lines)
        height = calls_table(app).size.height
        await pilot.press("l")
        await pilot.pause()
        assert not log.display
        assert calls_table(app).size.height > height  # the table takes the room
        await pilot.press("l")
        await pilot.pause()
        assert log.display


@pytest.mark.parametrize(
    ("keys", "screen", "expected", "absent"),
    [
        (
            (),
            MainScreen,
            ["Details", "History", "Log", "Filter", "Reconnect", "Quit"],
            ["Timeline", "Reload", "All fields"],
        ),
        (
            ("enter",),
            CallScreen,
            ["Back", "Timeline", "All fields", "Quit"],
            ["History", "Reload", "Filter"],
        ),
        (
            ("h",),
            HistoryScreen,
            ["Back", "Filter", "Details", "Reload", "Quit"],
            ["Timeline", "All fields", "Log"],
        ),
    ],
    ids=["main", "detail", "history"],
)
async def test_question_mark_lists_the_keys_of_the_current_screen(
    app: FaxApp, keys: tuple[str, ...], screen: type, expected: list[str], absent: list[str]
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await inject(pilot)
        await pilot.press(*keys)
        await wait_for(lambda: isinstance(app.screen, screen), timeout=10)
        await pilot.press("question_mark")
        await wait_for(lambda: isinstance(app.screen, HelpScreen), timeout=10)
        box = _help_box(screen_text(app))
        for words in expected:
            assert words in box
        assert "The phase ribbon" in box
        for word in absent:
            assert word not in box
        await pilot.press("escape")
        await wait_for(lambda: isinstance(app.screen, screen), timeout=10)


async def test_the_footer_shows_the_keys(app: FaxApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await inject(pilot)
        calls_table(app).focus()
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        for key in ("n New fax", "i Inbox", "h History", "/ Filter", "q Quit",
                    "? Help", "^p palette"):  # fmt: skip
            assert key in footer, key


async def test_q_quits(app: FaxApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await inject(pilot)
        await pilot.press("q")
        await wait_for(lambda: not app.is_running, timeout=10)
    assert app.return_code == 0


async def test_q_quits_from_the_call_detail(app: FaxApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await inject(pilot)
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, CallScreen), timeout=10)
        await pilot.press("q")
        await wait_for(lambda: not app.is_running, timeout=10)


async def test_q_asks_first_while_this_faxtui_drives_a_modem_call(
    app: FaxApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Engine, "modems", property(lambda self: ("usb0",)))
    now = time.time()
    modem_call = [
        CallOpened("usb0:1", now - 20, "usb0", "modem", now - 20),
        CallInfo("usb0:1", now - 20, direction=Direction.OUT, remote_number="5550142"),
    ]
    async with app.run_test(size=SIZE) as pilot:
        await inject(pilot, [*EVENTS, *modem_call])
        await pilot.press("q")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), timeout=10)
        text = screen_text(app)
        assert "1 fax call(s) on this faxtui's modems will be cut off" in text
        assert "usb0: fax to 5550142" in text
        await pilot.press("q")  # q inside the question is not a yes
        await pilot.press("n")
        await wait_for(lambda: not isinstance(app.screen, ConfirmScreen), timeout=10)
        assert app.is_running
        await pilot.press("q", "y")
        await wait_for(lambda: not app.is_running, timeout=10)
    assert app.return_code == 0


async def test_q_inside_a_dialog_does_not_quit(app: FaxApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await inject(pilot)
        app.push_screen(ConfirmScreen("Really?", [], "Yes", "No"))
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), timeout=10)
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, ConfirmScreen)


async def test_a_dialog_opens_on_a_clean_screen_and_news_waits_in_the_log(app: FaxApp) -> None:
    """A toast over a question would hide it: old toasts go, new ones stay in the event log."""
    now = time.time()
    failed = [
        CallOpened("pbx1:9.1", now - 5, "pbx1", "ami", now - 5),
        CallInfo("pbx1:9.1", now - 5, direction=Direction.OUT, remote_number="5550999"),
        CallClosed("pbx1:9.1", now, Result.FAILED, "busy", "BUSY (cause 17)"),
    ]
    async with app.run_test(size=SIZE) as pilot:
        await inject(pilot)
        app.notify("an earlier toast", markup=False)
        await pilot.pause()
        app.push_screen(ConfirmScreen("Really?", [], "Yes", "No"))
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), timeout=10)
        assert list(app._notifications) == []
        store = app.engine.store
        assert store is not None
        store.apply_many(failed)
        store.flush()
        await wait_for(lambda: app.calls.get("pbx1:9.1") is not None, timeout=10)
        await pilot.pause()
        assert list(app._notifications) == []  # not over the question
        await pilot.press("n")
        await wait_for(lambda: not isinstance(app.screen, ConfirmScreen), timeout=10)
        assert any("fax to 5550999" in s.text for s in event_log(app).lines)


async def test_read_only_shows_in_the_source_bar(make_app: AppFactory) -> None:
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await inject(pilot)
        first = screen_text(app).splitlines()[0]
        assert first.startswith(" faxtui read-only │")
        assert "pbx1 ● up" in first


async def test_not_read_only_by_default(app: FaxApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await inject(pilot)
        assert "read-only" not in screen_text(app)


async def test_a_failed_call_raises_a_toast_and_a_source_going_down_a_warning(
    app: FaxApp,
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await inject(pilot)
        notes = list(app._notifications)
        failed = [n for n in notes if n.title == "Fax failed"]
        assert sorted(n.message.split(":")[1] for n in failed) == [
            " fax from +4930901820",
            " fax to 5550117",
        ]
        assert all(n.severity == "error" for n in failed)
        assert [n.title for n in notes if n.severity == "warning"] == ["pbx2"]
        assert not [n for n in notes if n.title == "Fax done"]  # notify = "failures"


async def test_elapsed_time_of_running_calls_follows_the_clock(
    app: FaxApp, monkeypatch: pytest.MonkeyPatch, frozen_time: float
) -> None:
    import time

    async with app.run_test(size=SIZE) as pilot:
        await inject(pilot)
        table = calls_table(app)
        assert "1:35" in _cells(table, INBOUND_ID)
        monkeypatch.setattr(time, "time", lambda: frozen_time + 60)
        await wait_for(lambda: "2:35" in _cells(table, INBOUND_ID), timeout=10)
        assert "0:30" in _cells(table, OK_ID)  # a finished call's time stands still


# --- themes ------------------------------------------------------------------------------


async def test_the_theme_command_switches_theme_and_it_is_remembered(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await inject(pilot)
        assert app.theme == "faxtui-dark"
        await pilot.press("ctrl+p")
        await wait_for(lambda: isinstance(app.screen, CommandPalette), timeout=10)
        await pilot.press(*"theme")
        await wait_for(lambda: "Change the current theme" in screen_text(app), timeout=10)
        await pilot.press("enter")
        await wait_for(lambda: "faxtui-light" in screen_text(app), timeout=10)
        await pilot.press(*"high-con")
        await wait_for(lambda: "faxtui-light" not in screen_text(app), timeout=10)
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, MainScreen), timeout=10)
        assert app.theme == "faxtui-high-contrast"
        assert theming.remembered_theme() == "faxtui-high-contrast"

    again = make_app()  # its default theme is faxtui-dark: the remembered choice wins
    async with again.run_test(size=SIZE) as pilot:
        await inject(pilot)
        assert again.theme == "faxtui-high-contrast"


async def test_setting_app_theme_restyles_and_is_remembered(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await inject(pilot)
        app.theme = "faxtui-16"
        await pilot.pause()
        assert theming.remembered_theme() == "faxtui-16"
        table = calls_table(app)
        assert table.styles_ == app.styles_
        assert table.row_count == len(LIVE_IDS)
        status = table.get_cell(DROPPED_ID, "status")
        assert isinstance(status, Text)
        assert status.style == app.styles_.fail
    second = make_app(theme="faxtui-light")
    async with second.run_test(size=SIZE) as pilot:
        await inject(pilot)
        assert second.theme == "faxtui-16"


def test_all_shipped_themes_load() -> None:
    names = {t.name for t in theming.load_themes()}
    assert {"faxtui-dark", "faxtui-light", "faxtui-high-contrast", "faxtui-16"} <= names
