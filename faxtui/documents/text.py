"""Plain text to fax pages, laid out as on a line printer: 80 columns, 66 lines a page.

A form feed starts a new page, tabs stop every 8 columns, longer lines fold onto the next.
The encoding is found, not asked: a UTF-16 or UTF-32 byte order mark, else UTF-8 (with or
without a mark), else Windows-1252 (Latin-1 plus the Windows printable extras). Terminal
colour codes are dropped and backspace overstrikes (man pages) keep the last character.
Input with NUL bytes or more than 1 % other control characters is binary and is refused.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path
from typing import Final

from PIL import Image, ImageDraw

from faxtui.documents import fonts
from faxtui.documents.errors import MAX_PAGES, DocumentError
from faxtui.documents.images import finish
from faxtui.documents.paper import FAX_DPI_X, FAX_WIDTH, Paper, Resolution, lines_per_inch

COLUMNS: Final = 80
LINES: Final = 66
TAB: Final = 8
POINTS: Final = 10
MARGIN_IN: Final = 0.4  # above the first line and below the last
MAX_BYTES: Final = 16 * 1024 * 1024  # far beyond MAX_PAGES pages of text

_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its mark starts the same way
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ESCAPES: Final = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
_OVERSTRIKE: Final = re.compile(r"[^\n]\x08")
_ODD: Final = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")  # keeps \t \n \f \r


def decode(data: bytes) -> str | None:
    """The text in ``data``, control characters cleaned up; None if it is not text."""
    for mark, codec in _BOMS:
        if data.startswith(mark):
            try:
                return _clean(data.decode(codec))
            except UnicodeDecodeError:
                return None
    if b"\0" in data:
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    return _clean(text)


def text_pages(path: Path, text: str, resolution: Resolution, paper: Paper) -> list[Image.Image]:
    """``text`` (from :func:`decode`, the content of ``path``) as fax pages."""
    sheets = paginate(text)
    if not sheets:
        raise DocumentError(f"{path}: no text to fax, only blank lines")
    if len(sheets) > MAX_PAGES:
        raise DocumentError(f"{path}: {len(sheets)} pages of text, more than {MAX_PAGES}")
    typewriter = Typewriter(resolution, paper)
    return [typewriter.page(lines) for lines in sheets]


def paginate(text: str) -> list[list[str]]:
    """The lines of each page: split at form feeds and every 66 lines, tabs expanded, lines
    folded at 80 columns; blank pages at the start and the end dropped."""
    pages: list[list[str]] = []
    for sheet in text.split("\f"):
        lines: list[str] = []
        for line in sheet.split("\n"):
            line = line.expandtabs(TAB).rstrip()
            lines += [line[i : i + COLUMNS] for i in range(0, len(line), COLUMNS)] or [""]
        while len(lines) > 1 and not lines[-1]:
            lines.pop()  # blank lines at the end of a page would only start another
        pages += [lines[i : i + LINES] for i in range(0, len(lines), LINES)]
    while pages and not any(pages[-1]):
        pages.pop()
    while pages and not any(pages[0]):
        pages.pop(0)
    return pages


class Typewriter:
    """Sets lines of text on pages, each character in a cell of the same width.

    A page is drawn in grey with square pixels, then fitted to the fax grid. Each character
    is drawn once and then stamped, which is faster than drawing every line (FreeType does
    not cache), and puts a proportional font (Pillow's own, where the system has no
    monospace font) in columns all the same.
    """

    def __init__(self, resolution: Resolution, paper: Paper) -> None:
        self.resolution, self.paper = resolution, paper
        self.density = max(FAX_DPI_X, lines_per_inch(resolution))  # pixels per inch, both ways
        self.face = fonts.font(fonts.MONOSPACE, round(POINTS / 72 * self.density))
        self.cell = self.face.getlength("M")
        if not fonts.is_monospace(self.face):
            self.cell = 0.6 * POINTS / 72 * self.density  # the width of Courier's characters
        self.size = (
            round(FAX_WIDTH * self.density / FAX_DPI_X),
            round(paper.length_in * self.density),
        )
        self.left = (self.size[0] - COLUMNS * self.cell) / 2
        self.pitch = (paper.length_in - 2 * MARGIN_IN) * self.density / LINES
        self.glyphs: dict[str, tuple[Image.Image, float, int] | None] = {}

    def page(self, lines: list[str]) -> Image.Image:
        page = Image.new("L", self.size, 255)
        draw = ImageDraw.Draw(page)
        for row, line in enumerate(lines):
            y = MARGIN_IN * self.density + row * self.pitch
            for column, char in enumerate(fonts.drawable(fonts.MONOSPACE, line)):
                glyph = self._glyph(char)
                if glyph is not None:
                    mask, dx, dy = glyph
                    draw.bitmap(
                        (round(self.left + column * self.cell + dx), round(y + dy)), mask, fill=0
                    )
        return finish(page, (FAX_WIDTH, self.paper.rows(self.resolution)))

    def _glyph(self, char: str) -> tuple[Image.Image, float, int] | None:
        """The ink of ``char`` as a mask, and where it goes in its cell; None for a space."""
        if char not in self.glyphs:
            left, top, right, bottom = (round(v) for v in self.face.getbbox(char))
            if right <= left or bottom <= top:
                self.glyphs[char] = None
            else:
                mask = Image.new("L", (right - left, bottom - top), 0)
                ImageDraw.Draw(mask).text((-left, -top), char, font=self.face, fill=255)
                centre = (self.cell - self.face.getlength(char)) / 2
                self.glyphs[char] = mask, left + centre, top
        return self.glyphs[char]


def _clean(text: str) -> str | None:
    text = _OVERSTRIKE.sub("", _ESCAPES.sub("", text)).replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text.removesuffix("\x1a"))  # DOS end of file; é, not e + ´
    odd = len(_ODD.findall(text))
    if "\0" in text or odd * 100 > len(text):
        return None
    return _ODD.sub("", text) if odd else text
