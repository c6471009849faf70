"""Fax pages drawn in a terminal: sixel or Kitty graphics where it has them (through
textual-image), braille or half blocks everywhere else.

- :mod:`page`: a page of a file, decoded (1 bit; its pixel proportions);
- :mod:`view`: fit page or width, zoom, pan; the page reduced to the dots that draw it;
- :mod:`braille`, :mod:`halfblock`: dots to text;
- :mod:`graphics`: the modes, detection, textual-image's sixel and Kitty renderables;
- :mod:`draw`: :func:`draw` (pure) and :class:`PreviewCache` (for a worker thread).
"""

from faxtui.render.draw import Drawing, PreviewCache, draw
from faxtui.render.graphics import Mode, detect
from faxtui.render.page import Page, PageError, load_page
from faxtui.render.view import Fit, Frame, View

__all__ = [
    "Drawing",
    "Fit",
    "Frame",
    "Mode",
    "Page",
    "PageError",
    "PreviewCache",
    "View",
    "detect",
    "draw",
    "load_page",
]
