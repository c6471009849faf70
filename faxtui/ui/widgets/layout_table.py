"""A DataTable whose columns follow its width: a narrow, a medium and a wide layout."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol

from rich.text import Text
from textual.widgets import DataTable


class LayoutColumn(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def widths(self) -> tuple[int | None, int | None, int | None]: ...  # 0: takes the rest


class LayoutTable(DataTable[Text | str]):
    """Subclasses name their ``COLUMNS``, the widths where the layouts change (``LAYOUTS``)
    and the least room for the flexible column (``MIN_FLEX``)."""

    COLUMNS: ClassVar[Sequence[LayoutColumn]] = ()
    LAYOUTS: ClassVar[tuple[int, int]] = (0, 0)
    MIN_FLEX: ClassVar[int] = 12

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", id=id)
        self._width = 0

    @property
    def layout_index(self) -> int:
        return sum(self._width >= edge for edge in self.LAYOUTS)

    @property
    def columns_now(self) -> list[LayoutColumn]:
        return [c for c in self.COLUMNS if c.widths[self.layout_index] is not None]

    def _lay_out(self, width: int) -> bool:
        """Clear the table and add the columns of ``width``'s layout; False if unchanged
        (the caller then fills the rows in again)."""
        if width == self._width:
            return False
        self._width = width
        columns = self.columns_now
        fixed = sum(c.widths[self.layout_index] or 0 for c in columns)
        padding = 2 * self.cell_padding * len(columns) + 2  # and the scroll bar
        flex = max(self.MIN_FLEX, width - fixed - padding)
        self.clear(columns=True)
        for column in columns:
            self.add_column(
                column.label, key=column.key, width=column.widths[self.layout_index] or flex
            )
        return True
