"""Where a page goes in a grid of terminal cells (fit page, fit width, zoom, pan), and the
page reduced to the 1-bit dots that draw it.

Lengths on screen are in cell widths: a cell is 1 wide and ``cell_aspect`` tall (2 for the
usual 10x20-pixel cell). At ``scale`` cells per page pixel, a page pixel is ``1/scale`` wide
and ``aspect/scale`` tall, so a standard-resolution page (aspect about 2) comes out as tall as
it was on paper.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from PIL import Image

MAX_ZOOM = 16.0
# A dot is ink when its block of the page holds at least this much of the ink of a line one
# page pixel thick across it (a little under all of it, for the rounding of the filter): strokes
# of any thickness survive the reduction, specks of dust smaller than the block do not.
STROKE = 0.75


class Fit(StrEnum):
    PAGE = "page"  # the whole page in the area
    WIDTH = "width"  # the page's width across the area, the rest below


@dataclass(frozen=True)
class Frame:
    """A page laid out on the screen: the part shown and the dots it is drawn with."""

    page: tuple[int, int]  # the page's size in its own pixels
    box: tuple[float, float, float, float]  # the part shown (page pixels): left, top, right, bottom
    dots: tuple[int, int]  # the size that part is drawn at
    per_cell: tuple[int, int]  # dots in a cell, across and down

    @property
    def cells(self) -> tuple[int, int]:
        """Columns and rows taken."""
        return -(-self.dots[0] // self.per_cell[0]), -(-self.dots[1] // self.per_cell[1])

    @property
    def canvas(self) -> tuple[int, int]:
        """The dots of whole cells: the drawing's size, white beyond ``dots``."""
        cols, rows = self.cells
        return cols * self.per_cell[0], rows * self.per_cell[1]

    @property
    def centre(self) -> tuple[float, float]:
        """The middle of the part shown, as fractions of the page's width and height."""
        left, top, right, bottom = self.box
        return (left + right) / 2 / self.page[0], (top + bottom) / 2 / self.page[1]


@dataclass(frozen=True)
class View:
    """How the page is looked at: the fit, how close, and where (kept on the page by layout)."""

    fit: Fit = Fit.PAGE
    zoom: float = 1.0  # times the fit, from 1 to MAX_ZOOM
    x: float = 0.5  # the point of the page in the middle of the area, as fractions of the
    y: float = 0.0  # page's width and height (0 is the top: layout stops at the edge)

    def zoomed(self, factor: float, frame: Frame | None = None) -> View:
        """``factor`` times closer (below 1: further), around the middle of what ``frame`` shows."""
        zoom = _clamp(self.zoom * factor, 1.0, MAX_ZOOM)
        x, y = frame.centre if frame is not None else (self.x, self.y)
        return replace(self, zoom=zoom, x=x, y=y)

    def panned(self, frame: Frame, dx: float, dy: float) -> View:
        """Moved by ``dx`` widths and ``dy`` heights of what ``frame`` shows, up to the edges."""
        left, top, right, bottom = frame.box
        width, height = frame.page
        shown_w, shown_h = right - left, bottom - top
        left = _clamp(left + dx * shown_w, 0.0, width - shown_w)
        top = _clamp(top + dy * shown_h, 0.0, height - shown_h)
        return replace(self, x=(left + shown_w / 2) / width, y=(top + shown_h / 2) / height)


def layout(
    size: tuple[int, int],
    aspect: float,
    cols: int,
    rows: int | None,
    *,
    per_cell: tuple[int, int],
    cell_aspect: float = 2.0,
    view: View | None = None,
) -> Frame:
    """Lay a page of ``size`` pixels (each ``aspect`` times taller than wide) out in ``cols`` x
    ``rows`` cells (``rows`` None: as many as the page needs) of ``per_cell`` dots."""
    if cols < 1 or (rows is not None and rows < 1):
        raise ValueError(f"no room to draw in: {cols}x{rows} cells")
    view = view or View()
    width, height = size
    scale = cols / width
    if view.fit is Fit.PAGE and rows is not None:
        scale = min(scale, rows * cell_aspect / (height * aspect))
    scale *= _clamp(view.zoom, 1.0, MAX_ZOOM)
    shown_w = min(float(width), cols / scale)
    shown_h = float(height)
    if rows is not None:
        shown_h = min(shown_h, rows * cell_aspect / (scale * aspect))
    left = _clamp(view.x * width - shown_w / 2, 0.0, width - shown_w)
    top = _clamp(view.y * height - shown_h / 2, 0.0, height - shown_h)
    across, down = per_cell
    dots_w = max(1, min(round(shown_w * scale * across), cols * across))
    dots_h = round(shown_h * aspect * scale / cell_aspect * down)
    dots_h = max(1, dots_h if rows is None else min(dots_h, rows * down))
    return Frame(size, (left, top, left + shown_w, top + shown_h), (dots_w, dots_h), per_cell)


def reduce(image: Image.Image, frame: Frame) -> Image.Image:
    """The part of ``image`` that ``frame`` shows, as a 1-bit picture of ``frame.canvas``."""
    left, top, right, bottom = frame.box
    dots_w, dots_h = frame.dots
    grey = image if image.mode == "L" else image.convert("L")
    small = grey.resize(frame.dots, Image.Resampling.BOX, box=frame.box, reducing_gap=2.0)
    # Page pixels in a dot, along its longer side: a line across it covers 1/block of it.
    block = max((right - left) / dots_w, (bottom - top) / dots_h, 1.0)
    ink = min(0.5, STROKE / block)
    cut = 255 * (1 - ink)
    picture = small.point([0 if v <= cut else 255 for v in range(256)], "1")
    if frame.canvas == frame.dots:
        return picture
    canvas = Image.new("1", frame.canvas, 1)
    canvas.paste(picture, (0, 0))
    return canvas


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(value, high))
