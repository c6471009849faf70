"""The main screen: sources, host health, live calls, the queue, the event log.

The queue stands beside the calls on a wide terminal and below them otherwise; each table
lays its columns out for the width it gets. Finished jobs stay an hour, like calls linger.
"""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.widget import Widget
from textual.widgets import DataTable, Input, RichLog, Static

from faxtui.model import Call, Job, JobState
from faxtui.text import plain, safe_text
from faxtui.ui import format as fmt
from faxtui.ui.screens.job_actions import JobActions
from faxtui.ui.widgets.bars import HealthBar, SourceBar
from faxtui.ui.widgets.calls_table import CallsTable
from faxtui.ui.widgets.footer import Footer
from faxtui.ui.widgets.queue_table import QueueTable

SIDE_BY_SIDE = 150  # from this width the queue stands beside the calls: both keep a layout
QUEUE_SHARE = 0.45  # of the width, beside the calls
QUEUE_WIDTH = (66, 90)  # at least (its narrow layout) and at most (the calls use the rest)
SHORT = 28  # below this height the event log keeps three lines
JOB_LINGER = 3600.0  # seconds a finished job stays in the queue pane

QUEUE_WORDS = (  # the states the pane's title counts: what needs an eye first (titles get cut)
    (JobState.FAILED, "failed"),
    (JobState.DIALING, "dialing"),
    (JobState.SENDING, "sending"),
    (JobState.RETRY_WAIT, "to retry"),
    (JobState.HELD, "held"),
    (JobState.QUEUED, "queued"),
    (JobState.DONE, "done"),
    (JobState.CANCELLED, "cancelled"),
)


class MainScreen(JobActions):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_call", "Details", id="details", show=True),
        Binding("n", "app.new_fax", "New fax", id="new-fax"),
        Binding("i", "app.inbox", "Inbox", id="inbox"),
        Binding("h", "history", "History", id="history"),
        Binding("l", "toggle_log", "Log", id="log", show=False),  # room for ? at 80
        Binding("slash", "filter", "Filter", key_display="/", id="filter"),
        Binding("r", "app.reconnect", "Reconnect", id="reconnect", show=False),  # room at 80
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter_text = ""
        self._timeline_seen: dict[str, int] = {}
        self._pane: Widget | None = None  # the table the filter box returns to
        self._follow_job: int | None = None  # a job just queued: the cursor goes to it

    def compose(self) -> ComposeResult:
        yield SourceBar(id="sources")
        yield HealthBar(id="health")
        with Vertical(id="body"):
            with Container(id="panes"):
                with Vertical(id="calls-pane"):
                    yield CallsTable(id="calls")
                    yield Static(id="empty")
                with Vertical(id="queue-pane"):
                    yield QueueTable(id="queue")
                    yield Static(id="queue-empty")
            yield RichLog(id="log", max_lines=1000, markup=False, wrap=False, highlight=False)
        yield Input(placeholder="filter: number, station ID, server, status…", id="filter")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.query_one("#calls-pane").border_title = "Calls"
        calls = self.query_one(CallsTable)
        calls.styles_ = self.query_one(QueueTable).styles_ = self.fax.styles_
        self._arrange(self.app.size.width, self.app.size.height)
        calls.focus()
        self._refill()
        self._render_bars()

    def on_resize(self) -> None:
        self._arrange(self.size.width, self.size.height)

    def _arrange(self, width: int, height: int) -> None:
        """Side by side or stacked; each table gets the columns its own width holds."""
        side = width >= SIDE_BY_SIDE
        self.set_class(side, "-side")
        self.set_class(height < SHORT, "-short")
        pane = self.query_one("#queue-pane")
        if side:
            queue_width = min(max(round(width * QUEUE_SHARE), QUEUE_WIDTH[0]), QUEUE_WIDTH[1])
            pane.styles.width = queue_width
            self.query_one(CallsTable).set_layout(width - queue_width)
            self.query_one(QueueTable).set_layout(queue_width - 1)  # its left border
        else:
            pane.styles.width = None
            self.query_one(CallsTable).set_layout(width)
            self.query_one(QueueTable).set_layout(width)

    # --- engine updates (called by the app, batched) ----------------------------------------

    def engine_update(self, changed: list[Call], sources_changed: bool) -> None:
        for call in changed:
            self._log_steps(call)
        self._refill_calls()
        if changed and any(j.state.in_call for j in self.fax.jobs.values()):
            self._refill_queue()  # a job in a call shows the call's status
        self._render_bars()

    def jobs_update(self, changed: list[Job]) -> None:
        self._refill_queue()

    def engine_tick(self, now: float, removed: bool) -> None:
        table = self.query_one(CallsTable)
        if removed:
            self._refill_calls()
        table.tick(now)
        self._refill_queue(now)  # finished jobs leave after an hour
        self.query_one(QueueTable).tick(now)
        self._render_bars()

    def restyle(self, styles: fmt.Styles) -> None:
        self.query_one(CallsTable).restyle(styles)
        self.query_one(QueueTable).restyle(styles)
        self._refill()
        self._render_bars()

    def _visible(self) -> list[Call]:
        calls = sorted(self.fax.calls.values(), key=lambda c: c.started)
        if not self.filter_text:
            return calls
        words = self.filter_text.lower().split()
        return [c for c in calls if all(w in c.search_text() for w in words)]

    def _refill(self) -> None:
        self._refill_calls()
        self._refill_queue()

    def _refill_calls(self) -> None:
        table = self.query_one(CallsTable)
        if not table.columns:
            return  # not laid out yet: on_resize fills it
        calls = self._visible()
        table.show(calls)
        empty = self.query_one("#empty", Static)
        empty.display = not calls
        if not calls:
            empty.update(self._empty_words())

    def _visible_jobs(self, now: float) -> list[Job]:
        jobs = [
            j for j in self.fax.jobs.values() if not j.state.final or now - j.updated < JOB_LINGER
        ]
        if self.filter_text:
            words = self.filter_text.lower().split()
            jobs = [j for j in jobs if all(w in j.search_text() for w in words)]
        return sorted(jobs, key=lambda j: j.id)

    def _refill_queue(self, now: float | None = None) -> None:
        table = self.query_one(QueueTable)
        if not table.columns:
            return
        now = now or time.time()
        jobs = self._visible_jobs(now)
        table.show(jobs, self.fax.calls, now)
        if not jobs and table.has_focus:
            self.query_one(CallsTable).focus()
        table.display = bool(jobs)
        hint = self.query_one("#queue-empty", Static)
        hint.display = not jobs
        if not jobs and hint.content != (words := self._queue_empty_words()):
            hint.update(words)
        self._queue_title(jobs)
        if self._follow_job is not None and any(j.id == self._follow_job for j in jobs):
            table.select_job(self._follow_job)
            table.focus()
            self._follow_job = None

    def _queue_empty_words(self) -> Text:
        if self.filter_text:
            return Text(f"No job matches “{plain(self.filter_text)}”.", style="dim")
        if self.fax.engine.read_only:
            return Text("No faxes queued.", style="dim")
        return Text("No faxes queued. n sends one.", style="dim")

    def _queue_title(self, jobs: list[Job]) -> None:
        counts = {state: 0 for state, _ in QUEUE_WORDS}
        for job in jobs:
            counts[job.state] += 1
        parts = ["Queue"] + [f"{counts[s]} {words}" for s, words in QUEUE_WORDS if counts[s]]
        marked = len(self.query_one(QueueTable).marked)
        if marked:
            parts.append(f"{marked} marked")
        pane = self.query_one("#queue-pane")
        if pane.border_title != (title := " · ".join(parts)):
            pane.border_title = title

    def follow_job(self, job_id: int) -> None:
        """Put the cursor on ``job_id`` as soon as the queue shows it."""
        self._follow_job = job_id
        self._refill_queue()

    def on_queue_table_marks_changed(self) -> None:
        self._refill_queue()

    def action_clear_marks(self) -> None:
        self.query_one(QueueTable).action_clear_marks()

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

    @on(DataTable.RowSelected, "#queue")
    def _job_selected(self, event: DataTable.RowSelected) -> None:
        from faxtui.ui.screens.job import JobScreen

        if event.row_key.value:
            self.app.push_screen(JobScreen(int(event.row_key.value)))

    def job_targets(self) -> list[Job]:
        return self.query_one(QueueTable).targets()

    def jobs_acted_on(self) -> None:
        self.query_one(QueueTable).action_clear_marks()

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
        if not box.has_focus:
            self._pane = self.focused
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False
        self.filter_text = ""
        self._refill()
        self._back_to_pane()

    def _back_to_pane(self) -> None:
        pane = self._pane
        if pane is None or not pane.display or not pane.is_attached:
            pane = self.query_one(CallsTable)
        pane.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self._refill()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        if not self.filter_text:
            self.action_clear_filter()
        else:
            self._back_to_pane()
