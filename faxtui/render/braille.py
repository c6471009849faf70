"""Braille: 2x4 dots a cell, the most detail text cells can carry (textual-image has none).

U+2800 plus one bit a raised dot, in Unicode's order: dots 1, 2, 3 down the left column with
dot 7 below them, dots 4, 5, 6 down the right with dot 8 below. An empty cell is a space rather
than U+2800, which some fonts draw with faint dots or at another width.
"""

from __future__ import annotations

from PIL import Image

from faxtui.render.cells import cell_lines

DOTS = (2, 4)  # across, down
BITS = ((0, 1, 2, 6), (3, 4, 5, 7))  # BITS[x][y]: the bit of the dot in column x, row y
CHARS = " " + "".join(chr(0x2800 + code) for code in range(1, 256))


def lines(picture: Image.Image) -> list[str]:
    """A 1-bit picture (black is ink; size a multiple of 2x4) as lines of braille."""
    return cell_lines(picture, BITS, CHARS)
