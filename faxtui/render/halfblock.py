"""Half blocks: 1x2 dots a cell, the plain fallback for fonts without braille (the Linux console).

Ink is drawn with the block characters in the foreground colour: upper half, lower half, both
(no colours needed, so it survives any terminal, tmux, and a pipe).
"""

from __future__ import annotations

from PIL import Image

from faxtui.render.cells import cell_lines

DOTS = (1, 2)  # across, down
BITS = ((0, 1),)  # the upper dot is bit 0, the lower bit 1
CHARS = " ▀▄█"


def lines(picture: Image.Image) -> list[str]:
    """A 1-bit picture (black is ink; even height) as lines of half blocks."""
    return cell_lines(picture, BITS, CHARS)
