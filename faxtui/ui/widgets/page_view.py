"""The page preview: a page of a received fax, drawn in a worker thread through the cache.

The header says whose fax it is, which page, and how it is looked at; below it the page
(braille or half blocks as text, sixel or Kitty graphics through textual-image), or why it
cannot be shown. Decoding never runs on the UI thread: a request goes to an exclusive thread
worker, and only the answer to the latest request is shown. A resize or a move through the
list draws again after a short quiet time; the keys of the preview draw at once (the cache
keeps the decoded page, so a zoom or a pan only draws).
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import get_current_worker

from faxtui.inbox.model import InboxItem, InboxState
from faxtui.render import Drawing, Fit, Frame, Mode, PageError, PreviewCache, View, detect
from faxtui.render.graphics import DEFAULT_CELL, PIXEL_MODES, cell_pixels, renderables
from faxtui.text import plain, safe_text
from faxtui.ui import format as fmt
from faxtui.ui.widgets.inbox_table import received, sender, when

log = logging.getLogger(__name__)

PAPER = Style(color="#000000", bgcolor="#ffffff")  # the page: ink on paper, in every theme
ZOOM_STEP = 1.5
PAN_STEP = 0.25  # of what is shown
QUIET = 0.08  # seconds without a new request before drawing (moving through the list)
RESIZED = 0.15  # seconds after the last resize


@dataclass(frozen=True)
class Graphics:
    """How pages are drawn: the mode, and a cell's size in pixels (its proportions count for
    every mode, its pixels for sixel and Kitty)."""

    mode: Mode = Mode.BRAILLE
    cell: tuple[int, int] = DEFAULT_CELL


def prepare_graphics(requested: Mode | str = Mode.AUTO) -> Graphics:
    """The mode to draw pages in (``--graphics``), worked out before the app starts: ``auto``
    may ask the terminal, and so may textual-image for the pixel modes."""
    mode = detect(requested)
    if mode not in PIXEL_MODES:
        return Graphics(mode)
    cell = cell_pixels()
    renderables()
    importlib.import_module("textual_image.widget")  # it asks nothing now: cell_pixels told it
    return Graphics(mode, cell)


@dataclass(frozen=True)
class _Request:
    path: str
    stamp: tuple[int, int]  # the file's size and time: a new version is drawn again
    number: int
    cols: int
    rows: int
    view: View


class PageView(Vertical, can_focus=True):
    """One page of one fax; ``show`` picks the fax."""

    HELP_TITLE = "In the preview"
    DEFAULT_CSS = """
    PageView {
        background: $surface;
        & > #page-head {
            height: auto;
            max-height: 2;
            padding: 0 1;
            background: $panel;
            color: $text-muted;
            text-wrap: nowrap;
            text-overflow: ellipsis;
        }
        &:focus > #page-head {
            background: $primary-muted;
            color: $text;
        }
        & > #page-body {
            height: 1fr;
            align-horizontal: center;
        }
        & #page-text {
            width: auto;
            height: auto;
        }
        & #page-text.-message {
            width: 1fr;
            padding: 1 2;
        }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right_square_bracket,pagedown", "page(1)", "Next page", key_display="]"),
        Binding("left_square_bracket,pageup", "page(-1)", "Previous page", key_display="["),
        Binding("f", "fit", "Fit page/width"),
        Binding("plus,equals_sign", f"zoom({ZOOM_STEP})", "Zoom in", key_display="+"),
        Binding("minus", f"zoom({1 / ZOOM_STEP})", "Zoom out", key_display="-"),
        Binding("0", "reset", "Whole page"),
        Binding("left,h", "pan(-1, 0)", "Pan left", show=False),
        Binding("right,l", "pan(1, 0)", "Pan right", show=False),
        Binding("up,k", "pan(0, -1)", "Pan up", show=False),
        Binding("down,j", "pan(0, 1)", "Pan down", show=False),
    ]

    def __init__(
        self, cache: PreviewCache, graphics: Graphics | None = None, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.cache = cache
        self.graphics = graphics or Graphics()
        self.styles_ = fmt.DEFAULT_STYLES
        self.item: InboxItem | None = None
        self.number = 1
        self.view = View()
        self.drawing: Drawing | None = None  # what the body shows, if a page
        self.error = ""  # why the page cannot be drawn (the PageError's words)
        self._wanted: _Request | None = None
        self._shown: _Request | None = None
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="page-head")
        with Vertical(id="page-body"):
            yield Static(id="page-text")

    def on_mount(self) -> None:
        self._redraw()

    # --- what to show -----------------------------------------------------------------------

    def show(self, item: InboxItem | None) -> None:
        """Preview ``item`` (None: nothing); the same fax, changed, keeps its page and view."""
        old, self.item = self.item, item
        if old is item:
            return
        if old is None or item is None or old.path != item.path:
            self.number, self.view = 1, View()
            self.drawing, self.error = None, ""
            self._wanted = self._shown = None
            self._show_text(Text(""))
        elif self.count:
            self.number = min(self.number, self.count)
        self._render_head()
        self._later(QUIET)

    @property
    def count(self) -> int:
        """Pages in the fax, as the index counted them (else as the decoder did)."""
        if self.item is None:
            return 0
        return self.item.pages or (self.drawing.count if self.drawing else 0)

    def _problem(self, item: InboxItem) -> Text | None:
        """Why nothing is drawn for ``item``, if so."""
        styles = self.styles_
        name = plain(item.name)
        match item.state:
            case InboxState.RECEIVING:
                return Text("receiving… the pages show once the fax is complete.",
                            style=styles.accent)  # fmt: skip
            case InboxState.MISSING:
                words = safe_text(f"✗ {name}: {item.problem or 'the file is gone'}", styles.fail)
                return words.append("\nx forgets it; until then the list keeps it.", "dim")
            case InboxState.BAD | InboxState.UNREADABLE:
                words = safe_text(f"✗ {name}: {item.problem}", styles.fail)
                return words.append("\nfaxtui leaves the file as it is.", "dim")
        if self.graphics.mode is Mode.NONE:
            return Text("Previews are off (--graphics none).", style="dim")
        return None

    # --- drawing ----------------------------------------------------------------------------

    def on_resize(self) -> None:
        self._later(RESIZED)

    def _later(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(delay, self._redraw)

    def _redraw(self) -> None:
        """Draw what is wanted now, unless it is on screen already."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._render_head()
        item = self.item
        if item is None:
            self._show_text(Text("No fax to show.", style="dim"), message=True)
            return
        problem = self._problem(item)
        if problem is not None:
            self._wanted = self._shown = None
            self._show_text(problem, message=True)
            return
        cols, rows = self.query_one("#page-body").content_size
        if cols < 1 or rows < 1:
            return
        request = _Request(item.path, (item.size, item.mtime_ns), self.number, cols, rows,
                           self.view)  # fmt: skip
        if request in (self._wanted, self._shown):
            return
        self._wanted = request
        self.run_worker(partial(self._draw, request), thread=True, exclusive=True,
                        group="preview", exit_on_error=False)  # fmt: skip

    def _draw(self, request: _Request) -> None:
        """In a worker thread: the page from the cache, or why not."""
        mode, cell = self.graphics.mode, self.graphics.cell
        try:
            drawing = self.cache.draw(Path(request.path), request.number, mode, request.cols,
                                      request.rows, request.view, cell)  # fmt: skip
        except (PageError, ValueError) as exc:
            answer: Drawing | str = str(exc)
        except Exception as exc:  # a decoder's bug must not leave the preview blank for good
            log.exception("drawing page %d of %s", request.number, request.path)
            answer = f"{request.path}: page {request.number} cannot be drawn ({exc!r})"
        else:
            answer = drawing
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._drawn, request, answer)

    def _drawn(self, request: _Request, answer: Drawing | str) -> None:
        if request != self._wanted or not self.is_attached:
            return  # an older request, or the preview went away
        self._shown = request
        if isinstance(answer, str):
            self.drawing, self.error = None, answer
            self._show_text(safe_text(answer, self.styles_.fail), message=True)
        else:
            self.drawing, self.error = answer, ""
            if answer.picture is not None:
                self._show_pixels(answer)
            else:
                self._show_text(answer.text(PAPER))
        self._render_head()

    def _show_text(self, text: Text, *, message: bool = False) -> None:
        body = self.query_one("#page-body")
        body.query(".page-image").remove()
        words = self.query_one("#page-text", Static)
        words.set_class(message, "-message")
        words.display = True
        words.update(text)

    def _show_pixels(self, drawing: Drawing) -> None:
        """textual-image's widget, made anew for each drawing (replacing the picture of one
        does not always repaint it: lnqs/textual-image#43)."""
        widgets = importlib.import_module("textual_image.widget")
        kind = widgets.SixelImage if drawing.mode is Mode.SIXEL else widgets.TGPImage
        body = self.query_one("#page-body")
        body.query(".page-image").remove()
        self.query_one("#page-text", Static).display = False
        image = kind(drawing.picture, classes="page-image")
        image.styles.width, image.styles.height = drawing.cells
        body.mount(image)

    def _render_head(self) -> None:
        self.query_one("#page-head", Static).update(self._head())

    def _head(self) -> Text:
        item = self.item
        if item is None:
            return Text("Preview", style="bold")
        head = Text(no_wrap=True, overflow="ellipsis", end="")
        head.append_text(safe_text(sender(item) or item.name, "bold"))
        station = item.station_id.strip()
        if station and station != sender(item):
            head.append(" ")
            head.append_text(safe_text(f"«{station}»", "italic"))
        head.append(f" · {when(received(item))}")
        if self.count:
            head.append(f" · page {self.number} of {self.count}")
        if self._problem(item) is None:
            head.append(f" · fit {self.view.fit}")
            if self.view.zoom > 1:
                head.append(f" · zoom {self.view.zoom:.1f}×")
        more = Text(no_wrap=True, overflow="ellipsis", end="")
        if item.state is InboxState.PARTIAL and item.problem:
            more.append_text(safe_text(f"◐ partial: {item.problem}", self.styles_.warn))
        if item.note:
            if more:
                more.append("  ")
            more.append_text(safe_text(f"note: {item.note}", "italic"))
        return Text("\n").join([head, more]) if more else head

    # --- keys -------------------------------------------------------------------------------

    @property
    def frame(self) -> Frame | None:
        """Where the page on screen lies on the paper (zoom and pan start from it)."""
        return self.drawing.frame if self.drawing is not None else None

    def action_page(self, step: int) -> None:
        number = max(1, min(self.number + step, self.count or 1))
        if number != self.number:
            self.number = number
            self.view = replace(self.view, y=0.0)  # the top of the next page
            self._redraw()

    def action_fit(self) -> None:
        fit = Fit.WIDTH if self.view.fit is Fit.PAGE else Fit.PAGE
        self.view = View(fit=fit)
        self._redraw()

    def action_zoom(self, factor: float) -> None:
        self.view = self.view.zoomed(factor, self.frame)
        self._redraw()

    def action_pan(self, dx: int, dy: int) -> None:
        frame = self.frame
        if frame is not None:
            self.view = self.view.panned(frame, dx * PAN_STEP, dy * PAN_STEP)
            self._redraw()

    def action_reset(self) -> None:
        self.view = View()
        self._redraw()

    def restyle(self, styles: fmt.Styles) -> None:
        self.styles_ = styles
        self._shown = self._wanted = None  # messages take the theme's colours
        self._redraw()
