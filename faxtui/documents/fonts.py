"""Fonts for text and cover pages: the system's if it has one, Pillow's own if not.

Pillow looks a bare font file name up in the system's font folders. A machine without any of
these fonts (a minimal Debian has none) still renders: with Pillow's built-in font, which is
proportional (text pages set it in fixed cells) and has ASCII letters only (see
:func:`drawable`).
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Final

from PIL import ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

MONOSPACE: Final = (
    "DejaVuSansMono.ttf",
    "LiberationMono-Regular.ttf",
    "NotoSansMono-Regular.ttf",
    "FreeMono.ttf",
)
SANS: Final = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "NotoSans-Regular.ttf")
SANS_BOLD: Final = ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "NotoSans-Bold.ttf")


def font(names: tuple[str, ...], size: int) -> Font:
    """The first of ``names`` the system has, at ``size`` pixels, or Pillow's built-in font."""
    found = _find(names)
    if found is not None:
        return ImageFont.truetype(found, size)
    return ImageFont.load_default(size)


@functools.cache
def _find(names: tuple[str, ...]) -> str | None:
    """The path of the first font found; cached, as a lookup walks the font folders."""
    for name in names:
        try:
            return str(ImageFont.truetype(name, 10).path)
        except OSError:
            continue
    return None


def is_monospace(face: Font) -> bool:
    return face.getlength("i") == face.getlength("M")


def drawable(names: tuple[str, ...], text: str) -> str:
    """``text`` as the font :func:`font` gives for ``names`` can draw it.

    Pillow's built-in font has ASCII only: other letters lose their accents there (é is e)
    or become "?", rather than empty boxes.
    """
    if _find(names) is not None or text.isascii():
        return text
    return "".join(c if c.isascii() else _ascii(c) for c in text)


def _ascii(char: str) -> str:
    folded = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    return folded[:1] or "?"
