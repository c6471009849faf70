"""The queue table: one row a job, updated cell by cell by row key; marks for bulk actions.

The keys that act on jobs are bound here (so the footer shows them only while the queue has
the focus, and they shadow the screen's keys of the same letters); what they do is the
screen's business (``screen.job_*`` actions): the table only knows its rows and marks.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, cast

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from faxtui.model import Call, Job
from faxtui.text import safe_text
from faxtui.ui import format as fmt
from faxtui.ui.widgets.layout_table import LayoutTable

MARK = "●"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    widths: tuple[int | None, int | None, int | None]  # narrow, medium, wide layouts
    cell: Callable[[Job, Call | None, fmt.Styles, float], Text | str]


FLEX = 0  # a width of 0 takes the room that is left
# The table's own width, not the terminal's: beside the calls it has about 70 columns.
LAYOUTS = (88, 130)
MIN_FLEX = 12


def _via(job: Job) -> Text:
    return safe_text(job.attempts[-1].via if job.attempts else job.via)


COLUMNS = (
    Column("mark", "", (1, 1, 1), lambda j, c, s, n: ""),  # filled by the table
    Column("id", "ID", (4, 5, 5), lambda j, c, s, n: Text(str(j.id), justify="right")),
    Column("number", "Number", (14, 16, 18), lambda j, c, s, n: safe_text(j.number)),
    Column("pages", "Pg", (None, 3, 3), lambda j, c, s, n: Text(str(j.pages), justify="right")),
    Column("state", "State", (10, 10, 10), lambda j, c, s, n: fmt.job_state(j, s)),
    Column("try", "Try", (3, 5, 5), lambda j, c, s, n: fmt.tries(j)),
    Column("next", "Next", (5, 5, 5), lambda j, c, s, n: fmt.next_try(j, n)),
    Column("via", "Via", (None, None, 8), lambda j, c, s, n: _via(j)),
    Column("document", "Document", (None, None, 18), lambda j, c, s, n: fmt.documents(j)),
    Column("reason", "Reason", (FLEX, FLEX, FLEX), lambda j, c, s, n: fmt.job_reason(j, c, s)),
)


class QueueTable(LayoutTable):
    """Rows keyed by job id, in id order (the newest last)."""

    COLUMNS: ClassVar[Sequence[Column]] = COLUMNS
    LAYOUTS = LAYOUTS
    MIN_FLEX = MIN_FLEX

    HELP_TITLE = "In the queue"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Job", id="job"),
        Binding("space", "toggle_mark", "Mark", id="mark"),
        Binding("r", "screen.job_resend", "Resend", id="resend"),
        Binding("R", "screen.job_retry", "Retry now", id="retry"),
        Binding("c", "screen.job_cancel", "Cancel", id="cancel"),
        Binding("h", "screen.job_hold", "Hold/release", id="hold"),
        Binding("escape", "clear_marks", "Unmark all", id="unmark"),  # only with marks
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: dict[int, tuple[Job, Call | None]] = {}
        self.marked: set[int] = set()
        self.styles_ = fmt.DEFAULT_STYLES

    @property
    def cell_columns(self) -> list[Column]:
        return cast(list[Column], self.columns_now)  # this table's own Column, with its cells

    def set_layout(self, width: int) -> bool:
        """Lay the columns out for ``width``; True if that changed them (rows re-added)."""
        shown = list(self._shown.values())
        if not self._lay_out(width):
            return False
        self._shown.clear()
        self._apply(shown, time.time())
        return True

    def show(
        self, jobs: Iterable[Job], calls: Mapping[str, Call], now: float | None = None
    ) -> None:
        """Make the table show exactly ``jobs``; a job in a call shows that call's status."""
        self._apply([(job, _call_of(job, calls)) for job in jobs], now or time.time())

    def _apply(self, rows: list[tuple[Job, Call | None]], now: float) -> None:
        wanted = {job.id: (job, call) for job, call in rows}
        keep_cursor = self.cursor_job_id
        for job_id in [k for k in self._shown if k not in wanted]:
            self._shown.pop(job_id)
            if job_id in self.marked:  # a mark nobody sees must not be acted on
                self.marked.discard(job_id)
                self.refresh_bindings()
            with contextlib.suppress(RowDoesNotExist):
                self.remove_row(str(job_id))
        last = max(self._shown, default=0)
        out_of_order = False
        for job, call in sorted(wanted.values(), key=lambda row: row[0].id):
            if job.id not in self._shown and job.id < last:
                out_of_order = True  # shown again after the filter hid it
            self._upsert(job, call, now)
        if out_of_order:
            self.sort("id", key=lambda cell: int(cell.plain if isinstance(cell, Text) else cell))
        if keep_cursor in self._shown:
            self.move_cursor(row=self.get_row_index(str(keep_cursor)))

    def _upsert(self, job: Job, call: Call | None, now: float) -> None:
        old = self._shown.get(job.id)
        if old is not None and old[0] is job and old[1] is call:
            return  # jobs and calls are immutable: the same objects have the same cells
        self._shown[job.id] = (job, call)
        cells = self._cells(job, call, now)
        if old is None:
            self.add_row(*cells, key=str(job.id))
            return
        previous = self._cells(*old, now)
        for column, cell, before in zip(self.cell_columns, cells, previous, strict=True):
            if cell != before:
                self.update_cell(str(job.id), column.key, cell)

    def _cells(self, job: Job, call: Call | None, now: float) -> list[Text | str]:
        cells = [column.cell(job, call, self.styles_, now) for column in self.cell_columns]
        cells[0] = self._mark(job.id)
        return cells

    def _mark(self, job_id: int) -> Text:
        return Text(MARK if job_id in self.marked else "", style=self.styles_.accent)

    def tick(self, now: float) -> None:
        """``now`` for the next try: a time becomes "now" when it is due."""
        for job, _ in self._shown.values():
            if job.state in fmt.WAITING:
                cell = fmt.next_try(job, now)
                if self.get_cell(str(job.id), "next") != cell:
                    self.update_cell(str(job.id), "next", cell)

    def restyle(self, styles: fmt.Styles) -> None:
        self.styles_ = styles
        shown = list(self._shown.values())
        self._shown.clear()
        self.clear()
        self._apply(shown, time.time())

    # --- the cursor and the marks -----------------------------------------------------------

    @property
    def cursor_job_id(self) -> int | None:
        if not self.row_count:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except CellDoesNotExist:
            return None
        return int(row_key.value) if row_key.value else None

    def targets(self) -> list[Job]:
        """The marked jobs, or else the one under the cursor."""
        if self.marked:
            return [self._shown[i][0] for i in sorted(self.marked) if i in self._shown]
        job_id = self.cursor_job_id
        return [self._shown[job_id][0]] if job_id in self._shown else []

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_marks":
            return bool(self.marked)  # else escape goes on to the screen (clears the filter)
        return True

    def action_toggle_mark(self) -> None:
        """Mark or unmark the job under the cursor, then step down (marking a run is quick)."""
        job_id = self.cursor_job_id
        if job_id is None:
            return
        self.marked.symmetric_difference_update({job_id})
        self.update_cell(str(job_id), "mark", self._mark(job_id))
        self.action_cursor_down()
        self._marks_changed()

    def action_clear_marks(self) -> None:
        marked, self.marked = self.marked, set()
        for job_id in marked:
            if job_id in self._shown:
                self.update_cell(str(job_id), "mark", self._mark(job_id))
        if marked:
            self._marks_changed()

    def _marks_changed(self) -> None:
        self.refresh_bindings()
        self.post_message(self.MarksChanged())

    def select_job(self, job_id: int) -> None:
        if job_id in self._shown:
            self.move_cursor(row=self.get_row_index(str(job_id)))

    class MarksChanged(Message):
        """The marks changed (the screen shows how many there are)."""


def _call_of(job: Job, calls: Mapping[str, Call]) -> Call | None:
    if job.state.in_call and job.attempts:
        return calls.get(job.attempts[-1].call_id)
    return None
