"""The live calls table: one row a call, updated cell by cell by row key."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, cast

from rich.text import Text
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from faxtui.model import Call
from faxtui.text import safe_text
from faxtui.ui import format as fmt
from faxtui.ui.widgets.layout_table import LayoutTable


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    widths: tuple[int | None, int | None, int | None]  # narrow, medium, wide layouts
    cell: Callable[[Call, fmt.Styles, float], Text | str]


FLEX = 0  # a width of 0 takes the room that is left
LAYOUTS = (120, 150)  # from 120 terminal columns the medium layout, from 150 the wide one
MIN_FLEX = 12


def _station(call: Call) -> Text:
    return safe_text(call.remote_station_id.strip(), "italic")


COLUMNS = (
    Column("server", "Server", (None, 8, 10), lambda c, s, n: safe_text(c.source)),
    Column("dir", "Dir", (3, 3, 3), lambda c, s, n: fmt.direction(c)),
    Column("remote", "Remote", (16, 16, 16), lambda c, s, n: fmt.remote(c, with_id=False)),
    Column("station", "Station ID", (None, 16, 20), lambda c, s, n: _station(c)),
    Column("phase", "Phase", (9, 9, 9), lambda c, s, n: fmt.ribbon(c, s)),
    Column("status", "Status", (FLEX, FLEX, FLEX), lambda c, s, n: fmt.status(c, s)),
    Column("link", "Link", (11, 11, None), lambda c, s, n: fmt.link(c)),  # "G.711 14400"
    Column("transport", "Via", (None, None, 5), lambda c, s, n: fmt.transport(c)),
    Column("rate", "Rate", (None, None, 5), lambda c, s, n: fmt.rate(c)),
    Column("ecm", "ECM", (None, None, 3), lambda c, s, n: fmt.ecm(c)),
    Column("resolution", "Res", (None, None, 9), lambda c, s, n: c.resolution),
    Column("page", "Pg", (2, 2, 2), lambda c, s, n: fmt.page(c)),
    Column("elapsed", "Time", (5, 5, 5), lambda c, s, n: fmt.elapsed(c, n)),
)


class CallsTable(LayoutTable):
    """Rows keyed by call id; a changed call updates only the cells that changed."""

    COLUMNS: ClassVar[Sequence[Column]] = COLUMNS
    LAYOUTS = LAYOUTS
    MIN_FLEX = MIN_FLEX

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: dict[str, Call] = {}
        self.styles_ = fmt.DEFAULT_STYLES

    @property
    def cell_columns(self) -> list[Column]:
        return cast(list[Column], self.columns_now)  # this table's own Column, with its cells

    def set_layout(self, width: int) -> bool:
        """Lay the columns out for ``width``; True if that changed them (rows re-added)."""
        calls = list(self._shown.values())
        if not self._lay_out(width):
            return False
        self._shown.clear()
        self.show(calls)
        return True

    def show(self, calls: Iterable[Call], now: float | None = None) -> None:
        """Make the table show exactly ``calls``, in their order.

        New calls come last, so rows are added at the end; only rows coming back among
        others (a filter cleared) make the table be filled again in order."""
        now = now or time.time()
        wanted = {call.id: call for call in calls}
        keep_cursor = self.cursor_call_id
        for call_id in [k for k in self._shown if k not in wanted]:
            self._shown.pop(call_id)
            with contextlib.suppress(RowDoesNotExist):
                self.remove_row(call_id)
        for call in wanted.values():
            self._upsert(call, now)
        if list(self._shown) != list(wanted):  # rows are in the order they were added
            self.clear()
            self._shown.clear()
            for call in wanted.values():
                self._upsert(call, now)
        if keep_cursor in self._shown:
            self.move_cursor(row=self.get_row_index(keep_cursor))

    def _upsert(self, call: Call, now: float) -> None:
        old = self._shown.get(call.id)
        if old is call:
            return  # calls are immutable: the same object has the same cells (tick() does Time)
        self._shown[call.id] = call
        cells = [column.cell(call, self.styles_, now) for column in self.cell_columns]
        if old is None:
            self.add_row(*cells, key=call.id)
            return
        previous = [column.cell(old, self.styles_, now) for column in self.cell_columns]
        for column, cell, before in zip(self.cell_columns, cells, previous, strict=True):
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
