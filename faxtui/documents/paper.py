"""Fax page geometry: the fixed width, the three resolutions and the two paper lengths.

A fax line is always 1728 pixels, 215 mm at 204 dots per inch; the resolution sets the lines
per inch down the page, and the paper (A4 or Letter) how long a full page is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

FAX_WIDTH: Final = 1728
FAX_DPI_X: Final = 204

Resolution = Literal["standard", "fine", "superfine"]
LINES_PER_INCH: Final[dict[Resolution, int]] = {"standard": 98, "fine": 196, "superfine": 391}


def lines_per_inch(resolution: Resolution) -> int:
    """98, 196 or 391; ValueError for a resolution that is none of the three."""
    if resolution not in get_args(Resolution):
        raise ValueError(f"resolution must be standard, fine or superfine, not {resolution!r}")
    return LINES_PER_INCH[resolution]


@dataclass(frozen=True)
class Paper:
    """A paper size; only its length matters, as the width of a fax page is fixed."""

    name: str
    length_in: float

    def rows(self, resolution: Resolution) -> int:
        """The lines of a full page at ``resolution``."""
        return round(self.length_in * lines_per_inch(resolution))


A4: Final = Paper("A4", 297 / 25.4)
LETTER: Final = Paper("Letter", 11.0)
