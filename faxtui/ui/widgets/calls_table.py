"""The live calls table: one row a call, updated cell by cell by row key."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from faxtui.model import Call
from faxtui.text import safe_text
from faxtui.ui import format as fmt


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int | None
    cell: Callable[[Call, fmt.Styles, float], Text | str]
    wide_only: bool = False


COLUMNS = (
    Column("server", "Server", 8, lambda c, s, n: safe_text(c.source), wide_only=True),
    Column("dir", "Dir", 3, lambda c, s, n: fmt.direction(c)),
    Column("remote", "Remote", 24, lambda c, s, n: fmt.remote(c)),
    Column("phase", "Phase", 9, lambda c, s, n: fmt.ribbon(c, s)),
    Column("status", "Status", None, lambda c, s, n: fmt.status(c, s)),
    Column("transport", "Via", 5, lambda c, s, n: fmt.transport(c)),
    Column("rate", "Rate", 5, lambda c, s, n: fmt.rate(c)),
    Column("ecm", "ECM", 3, lambda c, s, n: fmt.ecm(c), wide_only=True),
    Column("resolution", "Res", 9, lambda c, s, n: c.resolution, wide_only=True),
    Column("page", "Pg", 2, lambda c, s, n: fmt.page(c)),
    Column("elapsed", "Time", 5, lambda c, s, n: fmt.elapsed(c, n)),
)
WIDE = 110  # from this many columns on, the wide-only columns are shown


class CallsTable(DataTable[Text | str]):
    """Rows keyed by call id; a changed call updates only the cells that changed."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", id=id)
        self._wide: bool | None = None
        self._shown: dict[str, Call] = {}
        self.styles_ = fmt.DEFAULT_STYLES

    @property
    def columns_now(self) -> list[Column]:
        return [c for c in COLUMNS if self._wide or not c.wide_only]

    def set_layout(self, width: int) -> bool:
        """Pick the columns for ``width``; True if the layout changed (caller refills)."""
        wide = width >= WIDE
        if wide == self._wide:
            return False
        self._wide = wide
        self.clear(columns=True)
        self._shown.clear()
        for column in self.columns_now:
            self.add_column(column.label, key=column.key, width=column.width)
        return True

    def show(self, calls: Iterable[Call], now: float | None = None) -> None:
        """Make the table show exactly ``calls`` (in this order for new rows)."""
        now = now or time.time()
        wanted = {call.id: call for call in calls}
        keep_cursor = self.cursor_call_id
        for call_id in [k for k in self._shown if k not in wanted]:
            self._shown.pop(call_id)
            with contextlib.suppress(RowDoesNotExist):
                self.remove_row(call_id)
        for call in wanted.values():
            self._upsert(call, now)
        if keep_cursor in self._shown:
            self.move_cursor(row=self.get_row_index(keep_cursor))

    def _upsert(self, call: Call, now: float) -> None:
        old = self._shown.get(call.id)
        self._shown[call.id] = call
        cells = [column.cell(call, self.styles_, now) for column in self.columns_now]
        if old is None:
            self.add_row(*cells, key=call.id)
            return
        previous = [column.cell(old, self.styles_, now) for column in self.columns_now]
        for column, cell, before in zip(self.columns_now, cells, previous, strict=True):
            if cell != before:
                self.update_cell(call.id, column.key, cell)

    def tick(self, now: float) -> None:
        """Advance the elapsed time of the running calls."""
        for call in self._shown.values():
            if call.active:
                self.update_cell(call.id, "elapsed", fmt.elapsed(call, now))

    def restyle(self, styles: fmt.Styles) -> None:
        self.styles_ = styles
        calls = list(self._shown.values())
        self._shown.clear()
        self.clear()
        self.show(calls)

    @property
    def cursor_call_id(self) -> str | None:
        if not self.row_count:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except CellDoesNotExist:
            return None
        return row_key.value
