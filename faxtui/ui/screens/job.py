"""One job of the queue: what it sends and where, why its last try failed, and every try.

Enter on a try opens the call it made (its timeline and T.30 ladder or AMI events): from the
live calls while it lingers there, else from the history. The job keys work here too.
"""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from faxtui.model import Attempt, Call, Job, JobState, Result
from faxtui.t30.reasons import describe
from faxtui.text import plain, safe_text
from faxtui.ui import format as fmt
from faxtui.ui.screens.job_actions import JobActions
from faxtui.ui.widgets.footer import Footer

HISTORY_LOOKUP = 200  # the newest calls to that number searched for a try's call


class AttemptsTable(DataTable[Text | str]):
    HELP_TITLE = "On a try"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Its call", id="call"),
    ]


class JobScreen(JobActions):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("r", "job_resend", "Resend", id="resend"),
        Binding("R", "job_retry", "Retry now", id="retry"),
        Binding("c", "job_cancel", "Cancel", id="cancel"),
        Binding("h", "job_hold", "Hold/release", id="hold"),
    ]

    def __init__(self, job_id: int) -> None:
        super().__init__()
        self.job_id = job_id
        self._rows: list[Attempt] = []

    @property
    def job(self) -> Job | None:
        return self.fax.jobs.get(self.job_id)

    def compose(self) -> ComposeResult:
        yield Static(id="job-summary")
        yield Static(id="job-outcome")
        yield AttemptsTable(id="attempts", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(AttemptsTable)
        table.border_title = "Tries"
        for key, label, width in (("n", "#", 2), ("started", "Started", 8), ("via", "Via", 10),
                                  ("result", "Result", 8), ("pages", "Pg", 2),
                                  ("time", "Time", 5), ("reason", "Reason", None)):  # fmt: skip
            table.add_column(label, key=key, width=width)
        table.focus()
        self._render_job()

    # --- updates --------------------------------------------------------------------------

    def jobs_update(self, changed: list[Job]) -> None:
        if any(j.id == self.job_id for j in changed):
            self._render_job()

    def engine_update(self, changed: list[Call], sources_changed: bool) -> None:
        job = self.job
        if job is None or not job.state.in_call or not job.attempts:
            return
        if any(c.id == job.attempts[-1].call_id for c in changed):
            self._render_outcome(job, time.time())

    def engine_tick(self, now: float, removed: bool) -> None:
        job = self.job
        if job is not None and not job.state.final:
            self._render_summary(job, now)
            self._render_attempts(job, now)

    def restyle(self, styles: fmt.Styles) -> None:
        self._rows = []
        self.query_one(AttemptsTable).clear()
        self._render_job()

    def _render_job(self) -> None:
        job, now = self.job, time.time()
        if job is None:
            gone = Text(f"Job {self.job_id} is not in the queue any more.", style="bold")
            self.query_one("#job-summary", Static).update(gone)
            return
        self._render_summary(job, now)
        self._render_outcome(job, now)
        self._render_attempts(job, now)

    def _render_summary(self, job: Job, now: float) -> None:
        styles = self.fax.styles_
        head = Text(f"Job {job.id} to ", style="bold", no_wrap=True, overflow="ellipsis")
        head.append_text(safe_text(job.number, "bold"))
        head.append(" · ")
        head.append_text(fmt.job_state(job, styles))
        facts = [fmt.pages_of(job.pages), job.resolution, f"try {fmt.tries(job)}"]
        if job.state in fmt.WAITING:
            facts.append(f"next {fmt.next_try(job, now)}")
        if job.kill_time is not None and not job.state.final:
            facts.append(f"gives up {fmt.short_time(job.kill_time)}")
        head.append(" · " + " · ".join(facts), "dim")
        files = Text("files ", style="dim", no_wrap=True, overflow="ellipsis")
        files.append_text(safe_text(", ".join(job.documents) or "?"))
        origin = Text(f"queued {fmt.short_time(job.created)}", style="dim", no_wrap=True,
                      overflow="ellipsis")  # fmt: skip
        if job.owner:
            origin.append(" by ", "dim")
            origin.append_text(safe_text(job.owner))
        origin.append(" · via ", "dim")
        origin.append_text(safe_text(job.via or "any line"))
        if job.cover:
            origin.append(" · cover ", "dim")
            origin.append_text(safe_text(f"“{job.cover}”"))
        if job.priority:
            origin.append(f" · priority {job.priority}", "dim")
        if job.resent_from is not None:
            origin.append(f" · resent from job {job.resent_from}", "dim")
        self.query_one("#job-summary", Static).update(Text("\n").join([head, files, origin]))

    def _render_outcome(self, job: Job, now: float) -> None:
        styles = self.fax.styles_
        reason = describe(job.reason)
        if job.state is JobState.DONE:
            out = Text(f"✓ sent: {fmt.pages_of(job.pages)}", style=styles.ok)
        elif job.state.in_call and job.attempts:
            out = Text(f"{job.state} via ", style=styles.accent)
            out.append_text(safe_text(job.attempts[-1].via, styles.accent))
            call = self._call(job.attempts[-1].call_id)
            if call is not None and call.status:
                out.append(": ")
                out.append_text(safe_text(call.status))
        elif job.reason:
            style = styles.fail if job.state is JobState.FAILED else styles.warn
            out = Text(f"{'✗' if job.state is JobState.FAILED else '!'} {reason.text}",
                       style=style)  # fmt: skip
            if job.detail and job.detail != reason.text:
                out.append("  (", "dim")
                out.append_text(safe_text(job.detail, "dim"))
                out.append(")", "dim")
            if reason.hint and job.state is not JobState.CANCELLED:
                out.append(f"\n  next: {reason.hint}")
        else:
            out = fmt.job_reason(job, None, styles)
        self.query_one("#job-outcome", Static).update(out)

    def _render_attempts(self, job: Job, now: float) -> None:
        table = self.query_one(AttemptsTable)
        for index, attempt in enumerate(job.attempts):
            key = str(index)
            cells = self._attempt_cells(index, attempt, now)
            if index >= len(self._rows):
                table.add_row(*cells, key=key)
            else:
                before = self._attempt_cells(index, self._rows[index], now)
                for column, cell, old in zip(table.columns, cells, before, strict=True):
                    if cell != old:
                        table.update_cell(key, column, cell)
        self._rows = list(job.attempts)

    def _attempt_cells(self, index: int, attempt: Attempt, now: float) -> list[Text | str]:
        styles = self.fax.styles_
        if attempt.result is Result.SUCCESS:
            result = Text("✓ sent", style=styles.ok)
        elif attempt.result is Result.NONE:
            result = Text("in call", style=styles.accent)
        else:
            result = Text("✗ failed", style=styles.fail)
        reason = Text(describe(attempt.reason).short if attempt.reason else "", end="")
        if attempt.detail and attempt.detail != describe(attempt.reason).text:
            reason.append("  ")
            reason.append_text(safe_text(attempt.detail, "dim"))
        end = attempt.ended if attempt.ended is not None else now
        return [
            str(index + 1),
            fmt.clock(attempt.started),
            safe_text(attempt.via),
            result,
            str(attempt.pages or ""),
            fmt.duration(end - attempt.started),
            reason,
        ]

    def _call(self, call_id: str) -> Call | None:
        return self.fax.calls.get(call_id) if call_id else None

    # --- actions ----------------------------------------------------------------------------

    def job_targets(self) -> list[Job]:
        job = self.job
        return [job] if job is not None else []

    @on(DataTable.RowSelected, "#attempts")
    def _attempt_selected(self, event: DataTable.RowSelected) -> None:
        job = self.job
        if job is None or event.row_key.value is None:
            return
        attempt = job.attempts[int(event.row_key.value)]
        if not attempt.call_id:
            self.notify("This try placed no call.", markup=False)
            return
        call = self._call(attempt.call_id)
        if call is not None:
            self._open(call)
        else:
            self.run_worker(self._from_history(job.number, attempt.call_id), group="history")

    async def _from_history(self, number: str, call_id: str) -> None:
        calls = await self.fax.engine.history(number, HISTORY_LOOKUP)
        found = next((c for c in calls if c.id == call_id), None)
        if found is not None:
            self._open(found)
        else:
            self.notify(f"The call {plain(call_id)} is not in the history (yet).", markup=False)

    def _open(self, call: Call) -> None:
        from faxtui.ui.screens.call import CallScreen

        self.app.push_screen(CallScreen(call))
