"""The inbox list: one line a received fax, newest first, with marks for bulk actions.

A line-API widget, not a DataTable: the DataTable measures every cell of every row it is given
(10,000 faxes took 2 s to first paint here), while this draws only the lines on screen, so
first paint costs the sort and the visible rows. Rows are keyed by path; a change touches
its row's place in the order and nothing else. The widget knows its rows, the cursor, the
marks and the filter; what the keys do to the faxes is the screen's business.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from faxtui.inbox.model import InboxItem, InboxState
from faxtui.text import safe_text
from faxtui.ui import format as fmt

MARK = "●"  # as in the queue
UNREAD = "•"
FLEX = 0  # a width of 0 takes the room that is left
LAYOUTS = (92, 130)  # the list's own width: from 92 the medium layout, from 130 the wide one
MIN_FLEX = 8

_RES = {"standard": "std", "fine": "fine", "superfine": "super", "mixed": "mixed"}


def received(item: InboxItem) -> float:
    return item.received or item.mtime_ns / 1e9


def when(ts: float, now: float | None = None) -> str:
    """Today: the time; this year: the day and the time; before: the day and the year."""
    at, today = time.localtime(ts), time.localtime(time.time() if now is None else now)
    if at[:3] == today[:3]:
        return time.strftime("%H:%M", at)
    if at.tm_year == today.tm_year:
        return time.strftime("%d %b %H:%M", at)
    return time.strftime("%d %b %Y", at)


def sender(item: InboxItem) -> str:
    """Who sent it: the caller's number, else the station ID the fax machine gave ("" if
    neither is known)."""
    return (item.remote_number or item.station_id).strip()


def result(item: InboxItem, styles: fmt.Styles) -> Text:
    match item.state:
        case InboxState.OK:
            return Text("✓ complete", style=styles.ok, end="")
        case InboxState.PARTIAL:
            return Text(f"◐ partial: {fmt.pages_of(item.pages)}", style=styles.warn, end="")
        case InboxState.RECEIVING:
            return Text("receiving…", style=styles.accent, end="")
        case InboxState.MISSING:
            return Text("✗ missing", style=styles.dim, end="")
    return safe_text(f"✗ {item.state}: {item.problem}", styles.fail)


def _flags(item: InboxItem, styles: fmt.Styles) -> Text:
    """The mark (filled in by the table) and the unread dot."""
    return Text(" " + ("" if item.read else UNREAD), style=styles.done + Style(bold=True), end="")


def _from(item: InboxItem, styles: fmt.Styles) -> Text:
    """The sender, or else the file's name (dim: it is not a who)."""
    who = sender(item)
    if not who:
        return safe_text(item.name, styles.dim)
    return safe_text(who, "" if item.read else "bold")


def _station(item: InboxItem, styles: fmt.Styles) -> Text:
    return safe_text(item.station_id.strip(), "italic")


def _res(item: InboxItem, styles: fmt.Styles) -> Text:
    return Text(_RES.get(item.resolution, item.resolution), end="")


def _pages(item: InboxItem, styles: fmt.Styles) -> Text:
    return Text(str(item.pages) if item.pages else "", justify="right", end="")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    widths: tuple[int | None, int | None, int | None]  # narrow, medium, wide layouts
    cell: Callable[[InboxItem, fmt.Styles], Text]


COLUMNS = (
    Column("flags", "", (2, 2, 2), _flags),
    Column("time", "Received", (12, 12, 12), lambda i, s: Text(when(received(i)), end="")),
    Column("from", "From", (16, 18, 20), _from),
    Column("station", "Station ID", (None, 16, 20), _station),
    Column("pages", "Pg", (3, 3, 3), _pages),
    Column("res", "Res", (5, 5, 6), _res),
    Column("result", "Result", (FLEX, 20, 26), result),
    Column("note", "Note", (None, FLEX, FLEX), lambda i, s: safe_text(i.note)),
)


class InboxTable(ScrollView, can_focus=True):
    """Received faxes newest first, keyed by path; the first line is the header."""

    HELP_TITLE = "In the list"
    COMPONENT_CLASSES: ClassVar[set[str]] = {"inbox-table--header", "inbox-table--cursor"}
    DEFAULT_CSS = """
    InboxTable {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
        & > .inbox-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .inbox-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .inbox-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="open"),
        Binding("space", "toggle_mark", "Mark", id="mark"),
        Binding("down,j", "move(1)", "Next fax", show=False),
        Binding("up,k", "move(-1)", "Previous fax", show=False),
        Binding("pagedown", "move_page(1)", "A screen down", show=False),
        Binding("pageup", "move_page(-1)", "A screen up", show=False),
        Binding("home", "move_to(0)", "Newest", show=False),
        Binding("end", "move_to(-1)", "Oldest", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.styles_ = fmt.DEFAULT_STYLES
        self.items: dict[str, InboxItem] = {}
        self.marked: set[str] = set()
        self.filter_words: list[str] = []
        self._sorted: list[tuple[float, str]] = []  # (-received, path) of every item
        self.rows: list[str] = []  # the paths shown, in order
        self._row_of: dict[str, int] | None = None
        self.cursor = 0
        self._cursor_path: str | None = None  # the fax last announced as highlighted
        self._layout: list[tuple[Column, int]] = []
        self._layout_width = -1
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(512)

    # --- the rows ---------------------------------------------------------------------------

    def load(self, items: Iterable[InboxItem]) -> None:
        """Show exactly ``items`` (the first paint: one sort, no per-row work)."""
        self.items = {item.path: item for item in items}
        self._sorted = sorted((-received(i), i.path) for i in self.items.values())
        self.marked &= self.items.keys()
        self._refilter()

    def update(self, changed: Iterable[InboxItem], removed: Iterable[str]) -> None:
        """New or changed faxes, and paths gone; the cursor stays on its fax where it can."""
        touched = False
        for path in removed:
            old = self.items.pop(path, None)
            if old is not None:
                self._unsort(old)
                self.marked.discard(path)
                touched = True
        for item in changed:
            old = self.items.get(item.path)
            if old is item:
                continue
            self.items[item.path] = item
            if old is None or received(old) != received(item):
                if old is not None:
                    self._unsort(old)
                bisect.insort(self._sorted, (-received(item), item.path))
            touched = True
        if touched:
            self._refilter()

    def _unsort(self, item: InboxItem) -> None:
        key = (-received(item), item.path)
        at = bisect.bisect_left(self._sorted, key)
        if at < len(self._sorted) and self._sorted[at] == key:
            del self._sorted[at]

    def set_filter(self, text: str) -> None:
        words = text.lower().split()
        if words != self.filter_words:
            self.filter_words = words
            self._refilter()

    def matches(self, item: InboxItem) -> bool:
        text = item.search_text()
        return all(word in text for word in self.filter_words)

    def _refilter(self) -> None:
        keep = self._cursor_path
        if self.filter_words:
            items = self.items
            self.rows = [p for _, p in self._sorted if self.matches(items[p])]
        else:
            self.rows = [p for _, p in self._sorted]
        self._row_of = None
        self.marked &= set(self.rows) if self.filter_words else self.items.keys()
        self.virtual_size = Size(0, len(self.rows) + 1)
        at = self.row_of(keep) if keep is not None else None
        self._move(at if at is not None else self.cursor, announce=True)
        self._strips.clear()
        self.refresh()

    def row_of(self, path: str) -> int | None:
        if self._row_of is None:
            self._row_of = {p: i for i, p in enumerate(self.rows)}
        return self._row_of.get(path)

    def restyle(self, styles: fmt.Styles) -> None:
        self.styles_ = styles
        self._strips.clear()
        self.refresh()

    # --- the cursor and the marks -----------------------------------------------------------

    @property
    def cursor_path(self) -> str | None:
        return self.rows[self.cursor] if self.rows else None

    @property
    def cursor_item(self) -> InboxItem | None:
        path = self.cursor_path
        return self.items[path] if path is not None else None

    def targets(self) -> list[InboxItem]:
        """The marked faxes (in list order), or else the one under the cursor."""
        if self.marked:
            return [self.items[p] for p in self.rows if p in self.marked]
        item = self.cursor_item
        return [item] if item is not None else []

    def select_path(self, path: str) -> None:
        at = self.row_of(path)
        if at is not None:
            self._move(at)

    def clear_marks(self) -> None:
        if self.marked:
            self.marked.clear()
            self._strips.clear()
            self.refresh()
            self.post_message(self.MarksChanged())

    def _move(self, row: int, *, announce: bool = True) -> None:
        before = self.cursor
        self.cursor = max(0, min(row, len(self.rows) - 1))
        self._scroll_to_cursor()
        if before != self.cursor:
            self._refresh_row(before)
            self._refresh_row(self.cursor)
        path = self.cursor_path
        if announce and path != self._cursor_path:
            self._cursor_path = path
            self.post_message(self.Highlighted(path))

    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)  # the header takes a line

    def _scroll_to_cursor(self) -> None:
        top = round(self.scroll_y)
        shown = self._visible_rows()
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, force=True)
        elif self.cursor >= top + shown:
            self.scroll_to(y=self.cursor - shown + 1, animate=False, force=True)

    def _refresh_row(self, row: int) -> None:
        y = row - round(self.scroll_y) + 1
        if 1 <= y < self.size.height:
            self.refresh_line(y)

    def action_move(self, step: int) -> None:
        self._move(self.cursor + step)

    def action_move_page(self, step: int) -> None:
        self._move(self.cursor + step * self._visible_rows())

    def action_move_to(self, row: int) -> None:
        self._move(row if row >= 0 else len(self.rows) - 1)

    def action_open(self) -> None:
        path = self.cursor_path
        if path is not None:
            self.post_message(self.Opened(path))

    def action_toggle_mark(self) -> None:
        """Mark or unmark the fax under the cursor, then step down (marking a run is quick)."""
        path = self.cursor_path
        if path is None:
            return
        self.marked.symmetric_difference_update({path})
        self._refresh_row(self.cursor)
        self.post_message(self.MarksChanged())
        self._move(self.cursor + 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and offset.y >= 1:
            self._move(round(self.scroll_y) + offset.y - 1)

    def on_resize(self) -> None:
        self._scroll_to_cursor()

    def on_focus(self) -> None:
        self._strips.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._strips.clear()
        self.refresh()

    # --- drawing ----------------------------------------------------------------------------

    def _columns(self, width: int) -> list[tuple[Column, int]]:
        if width != self._layout_width:
            index = sum(width >= edge for edge in LAYOUTS)
            columns = [c for c in COLUMNS if c.widths[index] is not None]
            fixed = sum(c.widths[index] or 0 for c in columns)
            flex = max(MIN_FLEX, width - fixed - len(columns))  # a space before each column
            self._layout = [(c, c.widths[index] or flex) for c in columns]
            self._layout_width = width
            self._strips.clear()
        return self._layout

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        columns = self._columns(width)
        base = self.rich_style
        if y == 0:
            header = self.get_component_rich_style("inbox-table--header")
            line = Text(no_wrap=True, end="")
            for column, size in columns:
                line.append(" ")
                line.append(column.label[:size].ljust(size))
            return self._strip(line, width, base + header)
        row = round(self.scroll_y) + y - 1
        if row >= len(self.rows):
            return Strip.blank(width, base)
        path = self.rows[row]
        item = self.items[path]
        cursor = row == self.cursor
        key = (item, path in self.marked, cursor, cursor and self.has_focus, width)
        strip = self._strips.get(key)
        if strip is None:
            style = self.get_component_rich_style("inbox-table--cursor") if cursor else None
            strip = self._strip(self._row_text(item, columns), width, base, style)
            self._strips[key] = strip
        return strip

    def _row_text(self, item: InboxItem, columns: list[tuple[Column, int]]) -> Text:
        line = Text(no_wrap=True, end="")
        for column, size in columns:
            cell = column.cell(item, self.styles_)
            if column.key == "flags" and item.path in self.marked:
                cell = Text(MARK, style=self.styles_.accent, end="") + cell[1:]
            if item.state is InboxState.MISSING:
                cell.stylize(self.styles_.dim)
            if cell.justify == "right" and cell.cell_len < size:
                cell.pad_left(size - cell.cell_len)
            cell.truncate(size, overflow="ellipsis", pad=True)
            line.append(" ")
            line.append_text(cell)
        return line

    def _strip(self, line: Text, width: int, base: Style, over: Style | None = None) -> Strip:
        segments = Segment.apply_style(line.render(self.app.console), base, over)
        return Strip(segments).extend_cell_length(width, base).crop(0, width)

    # --- messages ---------------------------------------------------------------------------

    class Highlighted(Message):
        """The cursor is on another fax (None: the list is empty)."""

        def __init__(self, path: str | None) -> None:
            super().__init__()
            self.path = path

    class Opened(Message):
        """Enter on a fax."""

        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path

    class MarksChanged(Message):
        """The marks changed (the screen shows how many there are)."""
