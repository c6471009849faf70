"""A cover page: "FAX", then To, From, Subject and Pages, then a note."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageDraw

from faxtui.documents import fonts
from faxtui.documents.errors import DocumentError
from faxtui.documents.images import finish
from faxtui.documents.paper import A4, FAX_DPI_X, FAX_WIDTH, Paper, Resolution, lines_per_inch

MARGIN_IN: Final = 0.9  # around the page
LABEL_IN: Final = 1.3  # the width of the label column
LEADING: Final = 1.4  # line pitch, in font sizes


@dataclass(frozen=True)
class Cover:
    """What the cover page says; the pages are counted when the fax is prepared."""

    to: str = ""
    from_: str = ""
    subject: str = ""
    note: str = ""


def cover_page(
    cover: Cover, pages: int, resolution: Resolution = "fine", paper: Paper = A4
) -> Image.Image:
    """The cover page of a fax of ``pages`` pages, this one included.

    The fields are plain text: control characters are dropped and long values wrap. Text
    that does not fit on the page raises DocumentError.
    """
    density = max(FAX_DPI_X, lines_per_inch(resolution))  # pixels per inch, both ways
    width = round(FAX_WIDTH * density / FAX_DPI_X)
    page = Image.new("L", (width, round(paper.length_in * density)), 255)
    draw = ImageDraw.Draw(page)
    margin = MARGIN_IN * density
    y = margin

    def px(points: float) -> int:
        return round(points / 72 * density)

    def write(x: float, text: str, names: tuple[str, ...], points: float) -> None:
        nonlocal y
        face = fonts.font(names, px(points))
        for line in _wrap(fonts.drawable(names, text), face, width - margin - x):
            if y + px(points) > page.height - margin:
                raise DocumentError("cover page: too much text for one page")
            draw.text((x, y), line, font=face, fill=0)
            y += px(points) * LEADING

    def rule(points: float) -> None:
        nonlocal y
        draw.rectangle((margin, y, width - margin, y + px(points)), fill=0)
        y += px(18)

    write(margin, "FAX", fonts.SANS_BOLD, 40)
    rule(2)
    for label, text in (
        ("To:", cover.to),
        ("From:", cover.from_),
        ("Subject:", cover.subject),
        ("Pages:", f"{pages}, this one included"),
    ):
        top = y
        write(margin, label, fonts.SANS_BOLD, 14)
        y = top
        write(margin + LABEL_IN * density, _plain(text).replace("\n", " "), fonts.SANS, 14)
        y += px(14) * (LEADING - 1)
    rule(1)
    write(margin, _plain(cover.note), fonts.SANS, 12)
    return finish(page, (FAX_WIDTH, paper.rows(resolution)))


def _plain(text: str) -> str:
    return "".join(c for c in text.replace("\r\n", "\n") if c.isprintable() or c == "\n")


def _wrap(text: str, face: fonts.Font, width: float) -> list[str]:
    """``text`` in lines no wider than ``width``: at spaces, or inside a word too long."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            joined = f"{line} {word}" if line else word
            if face.getlength(joined) <= width:
                line = joined
                continue
            if line:
                lines.append(line)
            while len(word) > 1 and face.getlength(word) > width:
                cut = _fitting(word, face, width)
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


def _fitting(word: str, face: fonts.Font, width: float) -> int:
    """How many of the first characters of ``word`` fit in ``width`` (at least one)."""
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if face.getlength(word[:middle]) <= width:
            low = middle
        else:
            high = middle - 1
    return low
