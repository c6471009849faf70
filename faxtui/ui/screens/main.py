"""The main screen: sources, host health, live calls, the event log."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Input, RichLog, Static

from faxtui.model import Call
from faxtui.text import plain, safe_text
from faxtui.ui import format as fmt
from faxtui.ui.screens.base import LiveScreen
from faxtui.ui.widgets.bars import HealthBar, SourceBar
from faxtui.ui.widgets.calls_table import CallsTable


class MainScreen(LiveScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_call", "Details", id="details", show=True),
        Binding("h", "history", "History", id="history"),
        Binding("l", "toggle_log", "Log", id="log"),
        Binding("slash", "filter", "Filter", key_display="/", id="filter"),
        Binding("r", "app.reconnect", "Reconnect", id="reconnect"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter_text = ""
        self._timeline_seen: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        yield SourceBar(id="sources")
        yield HealthBar(id="health")
        with Vertical(id="body"):
            yield CallsTable(id="calls")
            yield Static(id="empty")
            yield RichLog(id="log", max_lines=1000, markup=False, wrap=False, highlight=False)
        yield Input(placeholder="filter: number, station ID, server, status…", id="filter")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        table = self.query_one(CallsTable)
        table.styles_ = self.fax.styles_
        table.set_layout(self.app.size.width)
        table.focus()
        self._refill()
        self._render_bars()

    def on_resize(self) -> None:
        self.query_one(CallsTable).set_layout(self.size.width)

    # --- engine updates (called by the app, batched) ----------------------------------------

    def engine_update(self, changed: list[Call], sources_changed: bool) -> None:
        for call in changed:
            self._log_steps(call)
        self._refill()
        self._render_bars()

    def engine_tick(self, now: float, removed: bool) -> None:
        table = self.query_one(CallsTable)
        if removed:
            self._refill()
        table.tick(now)
        self._render_bars()

    def restyle(self, styles: fmt.Styles) -> None:
        self.query_one(CallsTable).restyle(styles)
        self._refill()
        self._render_bars()

    def _visible(self) -> list[Call]:
        calls = sorted(self.fax.calls.values(), key=lambda c: c.started)
        if not self.filter_text:
            return calls
        words = self.filter_text.lower().split()
        return [c for c in calls if all(w in c.search_text() for w in words)]

    def _refill(self) -> None:
        table = self.query_one(CallsTable)
        if not table.columns:
            return  # not laid out yet: on_resize fills it
        calls = self._visible()
        table.show(calls)
        empty = self.query_one("#empty", Static)
        empty.display = not calls
        if not calls:
            empty.update(self._empty_words())

    def _empty_words(self) -> Text:
        if self.filter_text:
            return Text(f"No call matches “{plain(self.filter_text)}”. Esc clears the filter.")
        if not self.fax.sources:
            return Text("Connecting…")
        names = ", ".join(plain(s) for s in sorted(self.fax.sources))
        return Text(
            f"No fax calls right now. Watching {names}.\n"
            "Calls appear here the moment a fax starts; h shows the history.",
            style="dim",
        )

    def _render_bars(self) -> None:
        fax = self.fax
        active = sum(1 for c in fax.calls.values() if c.active)
        self.query_one(SourceBar).show(
            fax.sources.values(), active, fax.styles_, read_only=fax.engine.read_only
        )
        self.query_one(HealthBar).show(fax.health, fax.styles_)

    def _log_steps(self, call: Call) -> None:
        """Write the call's new timeline steps to the event log."""
        seen = self._timeline_seen.get(call.id, 0)
        log = self.query_one("#log", RichLog)
        for step in call.timeline[seen:]:
            line = Text(fmt.clock(step.ts) + " ", style="dim")
            line.append(f"{step.phase} ", "bold")
            line.append_text(safe_text(fmt.summary(call)))
            line.append(": ")
            line.append_text(safe_text(step.text))
            log.write(line)
        self._timeline_seen[call.id] = len(call.timeline)
        if call.ended is not None:
            self._timeline_seen.pop(call.id, None)

    # --- actions ----------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#calls")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self._open(event.row_key.value)

    def action_open_call(self) -> None:
        call_id = self.query_one(CallsTable).cursor_call_id
        if call_id:
            self._open(call_id)

    def _open(self, call_id: str) -> None:
        from faxtui.ui.screens.call import CallScreen

        call = self.fax.calls.get(call_id)
        if call is not None:
            self.app.push_screen(CallScreen(call))

    def action_history(self) -> None:
        from faxtui.ui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen())

    def action_toggle_log(self) -> None:
        log = self.query_one("#log", RichLog)
        log.display = not log.display

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False
        self.filter_text = ""
        self._refill()
        self.query_one(CallsTable).focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self._refill()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        if not self.filter_text:
            self.action_clear_filter()
        else:
            self.query_one(CallsTable).focus()
