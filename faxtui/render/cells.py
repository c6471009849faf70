"""Pack a 1-bit picture into one code a cell: bit ``bits[x][y]`` set where dot (x, y) is ink.

Each dot position gets one pass over the whole picture: its dots, one a cell, read as the
base-256 digits of a big integer (0 or 1 each), shifted to the dot's bit and OR-ed in. No digit
ever carries, so the sum is every cell's code at once, without a Python loop over the cells.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image

_INK = bytes(1 if v < 128 else 0 for v in range(256))


def cell_codes(picture: Image.Image, bits: Sequence[Sequence[int]]) -> tuple[bytes, int, int]:
    """The codes of the cells (row by row), the columns and the rows; ``picture``'s size must
    be a multiple of the cell (``len(bits)`` dots across, ``len(bits[0])`` down)."""
    across, down = len(bits), len(bits[0])
    width, height = picture.size
    if width % across or height % down:
        raise ValueError(f"a {width}x{height} picture is not whole {across}x{down} cells")
    cols, rows = width // across, height // down
    ink = picture.convert("L").tobytes().translate(_INK)
    code = 0
    for y in range(down):
        band = b"".join(
            ink[(row * down + y) * width : (row * down + y + 1) * width] for row in range(rows)
        )
        for x in range(across):
            code |= int.from_bytes(band[x::across], "big") << bits[x][y]
    return code.to_bytes(cols * rows, "big"), cols, rows


def cell_lines(picture: Image.Image, bits: Sequence[Sequence[int]], chars: str) -> list[str]:
    """``picture`` as lines of text, the cell with code ``c`` drawn as ``chars[c]``."""
    codes, cols, rows = cell_codes(picture, bits)
    text = codes.decode("latin-1").translate(dict(enumerate(chars)))
    return [text[row * cols : (row + 1) * cols] for row in range(rows)]
