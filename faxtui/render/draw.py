"""A page drawn for a grid of cells, and a cache of drawings for the UI's worker thread.

:func:`draw` is pure (a page, a size, a mode and a view in; text lines or a 1-bit picture out);
:class:`PreviewCache` adds the file: it decodes pages and keeps the last drawings, keyed by
the file's identity and modification time, so the UI thread never waits on decoding and a
page that changes on disk is drawn again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from PIL import Image
from rich.console import RenderableType
from rich.style import StyleType
from rich.text import Text

from faxtui.render import braille, halfblock
from faxtui.render.graphics import DEFAULT_CELL, PIXEL_MODES, Mode, pixel_renderable
from faxtui.render.page import Page, check_file, load_page
from faxtui.render.view import Frame, View, layout, reduce

T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class Drawing:
    """Page ``number`` of ``count`` as ``lines`` of text (braille, half blocks) or as a 1-bit
    ``picture`` of whole cells (sixel, Kitty). Read only: the cache hands the same one out."""

    mode: Mode
    frame: Frame
    number: int
    count: int
    lines: tuple[str, ...] = ()
    picture: Image.Image | None = None

    @property
    def cells(self) -> tuple[int, int]:
        return self.frame.cells

    def text(self, style: StyleType = "") -> Text:
        """The lines as one Rich Text (plain characters, no markup); the ink takes ``style``'s
        foreground, the paper its background ("black on white" looks like paper)."""
        return Text("\n".join(self.lines), style=style, no_wrap=True, overflow="crop", end="")

    def renderable(self) -> RenderableType:
        """What to print: the text, or textual-image's renderable (see pixel_renderable)."""
        if self.picture is None:
            return self.text()
        cols, rows = self.cells
        return pixel_renderable(self.picture, self.mode, cols, rows)


def draw(
    page: Page,
    mode: Mode,
    cols: int,
    rows: int | None = None,
    view: View | None = None,
    cell: tuple[int, int] = DEFAULT_CELL,
) -> Drawing:
    """``page`` drawn in ``mode`` in at most ``cols`` x ``rows`` cells (``rows`` None: as many
    as it takes), each ``cell`` pixels (its proportions count for every mode, its pixels for
    sixel and Kitty)."""
    if mode in PIXEL_MODES:
        per_cell = cell
    elif mode is Mode.BRAILLE:
        per_cell = braille.DOTS
    elif mode is Mode.HALFBLOCK:
        per_cell = halfblock.DOTS
    else:
        raise ValueError(f"cannot draw in mode {mode}")
    aspect = cell[1] / cell[0]
    frame = layout(
        page.size, page.aspect, cols, rows, per_cell=per_cell, cell_aspect=aspect, view=view
    )
    picture = reduce(page.image, frame)
    if mode in PIXEL_MODES:
        return Drawing(mode, frame, page.number, page.count, picture=picture)
    lines = braille.lines(picture) if mode is Mode.BRAILLE else halfblock.lines(picture)
    return Drawing(mode, frame, page.number, page.count, lines=tuple(lines))


class PreviewCache:
    """Drawings of pages of files, least recently used first out; safe to call from threads.

    Decoded pages are kept too (``pages`` of them, 3.8 MB each for a fine fax page: Pillow
    keeps a byte a pixel), so a resize, a zoom or a pan only draws again.
    """

    def __init__(self, drawings: int = 32, pages: int = 4) -> None:
        self._drawings: _Lru[Drawing] = _Lru(drawings)
        self._pages: _Lru[Page] = _Lru(pages)

    def page(self, path: Path, number: int) -> Page:
        """Page ``number`` (from 1) of ``path``, decoded once per version of the file."""
        key = (_identity(path), number)
        found = self._pages.get(key)
        if found is None:
            found = self._pages.put(key, load_page(path, number))
        return found

    def draw(
        self,
        path: Path,
        number: int,
        mode: Mode,
        cols: int,
        rows: int | None = None,
        view: View | None = None,
        cell: tuple[int, int] = DEFAULT_CELL,
    ) -> Drawing:
        """:func:`draw` for page ``number`` of ``path``; PageError if it cannot be read."""
        view = view or View()
        key = (_identity(path), number, mode, cols, rows, view, cell)
        found = self._drawings.get(key)
        if found is None:
            page = self.page(path, number)
            found = self._drawings.put(key, draw(page, mode, cols, rows, view, cell))
        return found

    def clear(self) -> None:
        self._drawings.clear()
        self._pages.clear()


def _identity(path: Path) -> Hashable:
    """The file as it is now: a file rewritten in place gets another mtime or size."""
    info = check_file(path)
    return str(path.absolute()), info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size


class _Lru(Generic[T]):
    """A small least-recently-used map, under a lock. Work is done outside it: two threads
    may both draw the same page once; the later result wins, and both are right."""

    def __init__(self, size: int) -> None:
        self._size = max(1, size)
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> T | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, value: T) -> T:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
