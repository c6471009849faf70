"""Finished calls from the history database, newest first, filterable."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Input, Static

from faxtui.model import Call, Result
from faxtui.t30.reasons import describe
from faxtui.text import plain, safe_text
from faxtui.ui import format as fmt
from faxtui.ui.screens.base import LiveScreen
from faxtui.ui.widgets.footer import Footer

LIMIT = 1000


class HistoryScreen(LiveScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="back"),
        Binding("slash", "filter", "Filter", key_display="/", id="filter"),
        Binding("enter", "open_call", "Details", id="details"),
        Binding("f5", "reload", "Reload", id="reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._calls: dict[str, Call] = {}
        self._query = ""

    def compose(self) -> ComposeResult:
        yield Static("History", id="history-title")
        table: DataTable[Text | str] = DataTable(id="history", cursor_type="row")
        yield table
        yield Input(placeholder="filter: number, station ID, result, reason…", id="filter")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#history", DataTable)
        for key, label, width in (("ended", "Ended", 16), ("server", "Server", 8),
                                  ("dir", "Dir", 3), ("remote", "Remote", 18),
                                  ("pages", "Pg", 3), ("result", "Result", None)):  # fmt: skip
            table.add_column(label, key=key, width=width)
        self.query_one("#filter", Input).display = False
        table.focus()
        self.action_reload()

    def action_reload(self) -> None:
        self.run_worker(self._load(), exclusive=True, group="history")

    async def _load(self) -> None:
        calls = await self.fax.engine.history(self._query, LIMIT)
        self._calls = {c.id: c for c in calls}
        table = self.query_one("#history", DataTable)
        table.clear()
        styles = self.fax.styles_
        for call in calls:
            if call.result is Result.SUCCESS:
                result = Text("✓ ok", style=styles.ok)
            else:
                result = Text(f"✗ {describe(call.reason).short}", style=styles.fail)
            table.add_row(
                fmt.short_time(call.ended or call.started),
                safe_text(call.source),
                fmt.direction(call),
                fmt.remote(call),
                str(call.pages or ""),
                result,
                key=call.id,
            )
        words = f"History: {len(calls)} finished call{'s' if len(calls) != 1 else ''}"
        if self._query:
            words += f" matching “{plain(self._query)}”"
        if len(calls) == LIMIT:
            words += f" (the newest {LIMIT})"
        self.query_one("#history-title", Static).update(Text(words, style="bold"))

    def engine_update(self, changed: list[Call], sources_changed: bool) -> None:
        if any(c.ended is not None and c.id not in self._calls for c in changed):
            self.action_reload()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Submitted, "#filter")
    def _filter(self, event: Input.Submitted) -> None:
        self._query = event.value.strip()
        if not self._query:
            event.input.display = False
        self.query_one("#history", DataTable).focus()
        self.action_reload()

    def action_back(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display and box.has_focus:
            box.display = False
            self.query_one("#history", DataTable).focus()
            return
        self.app.pop_screen()

    @on(DataTable.RowSelected, "#history")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self._open(event.row_key.value)

    def action_open_call(self) -> None:
        table = self.query_one("#history", DataTable)
        if table.row_count:
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
            self._open(row_key.value)

    def _open(self, call_id: str | None) -> None:
        from faxtui.ui.screens.call import CallScreen

        if call_id and call_id in self._calls:
            self.app.push_screen(CallScreen(self._calls[call_id]))
