"""Grey pages to black and white: photos keep their tones, text stays sharp."""

from __future__ import annotations

from typing import Final

from PIL import Image, ImageDraw

TILE: Final = 32  # pixels, about 4 mm: the unit in which a page is judged photo or text
MID_GREY: Final = range(48, 208)  # neither paper nor ink
PHOTO_SHARE: Final = 0.4  # a tile with more mid-grey pixels than this is part of a picture
DARK: Final = 96  # a tile darker than this on average is ink or shadow, not text on paper


def bilevel(grey: Image.Image) -> Image.Image:
    """A mode ``"L"`` page as mode ``"1"``.

    Pictures are found in tiles of 32 x 32 pixels: a tile where more than 40 % of the pixels
    are mid-grey (48 to 207, neither paper nor ink) is part of a photo or a grey fill. Such a
    tile, with the dark tiles (average below 96) and the other photo tiles it touches, makes
    a group, and the rectangle around the group, one tile wider all round, is a picture
    (pictures in documents are rectangles, and their shadows are not text).

    Pictures are dithered (see :func:`_dither`), so their tones survive as patterns of dots. The
    rest is text or line art and is thresholded, which keeps edges sharp. The threshold is
    Otsu's (the level that best splits ink from paper, over the text part), moved a quarter
    of the way towards the paper: anti-aliased and thin strokes keep their weight, grey text
    (pencil, coloured ink) stays ink, and a greyish scanned paper still comes out white.
    """
    pictures = _pictures(grey)
    if pictures is None:
        return _threshold(grey, grey.histogram())
    if pictures.getextrema() == (255, 255):
        return _dither(grey)
    text = pictures.point([255 - v for v in range(256)])
    return Image.composite(_dither(grey), _threshold(grey, grey.histogram(text)), pictures)


def _dither(grey: Image.Image) -> Image.Image:
    """Floyd-Steinberg error diffusion (Pillow's), a flat 50 % grey first made 127.

    128 is Pillow's own threshold: on a flat area of exactly 128 (a 0.5 grey fill in a PDF)
    its error diffusion can settle into alternate lines of solid black and solid white,
    stripes instead of dots; at 127 it gives the checkerboard it should.
    """
    return grey.point([127 if v == 128 else v for v in range(256)]).convert("1")


def _pictures(grey: Image.Image) -> Image.Image | None:
    """A mask of the pictures on the page (255), or None if it has none."""
    share = grey.point([255 if v in MID_GREY else 0 for v in range(256)]).reduce(TILE)
    columns, rows = share.size
    photo = [v > PHOTO_SHARE * 255 for v in share.tobytes()]
    if not any(photo):
        return None
    joins = [p or v < DARK for p, v in zip(photo, grey.reduce(TILE).tobytes(), strict=True)]
    tiles = Image.new("L", share.size, 0)
    draw = ImageDraw.Draw(tiles)
    seen = [False] * len(photo)
    for start, is_photo in enumerate(photo):
        if not is_photo or seen[start]:
            continue
        seen[start] = True
        group, left, top, right, bottom = [start], columns, rows, 0, 0
        while group:  # the 8-connected group around start, and its box
            at = group.pop()
            x, y = at % columns, at // columns
            left, top, right, bottom = min(left, x), min(top, y), max(right, x), max(bottom, y)
            for nx in range(max(0, x - 1), min(columns, x + 2)):
                for ny in range(max(0, y - 1), min(rows, y + 2)):
                    near = ny * columns + nx
                    if joins[near] and not seen[near]:
                        seen[near] = True
                        group.append(near)
        draw.rectangle((left - 1, top - 1, right + 1, bottom + 1), fill=255)
    full = tiles.resize((columns * TILE, rows * TILE), Image.Resampling.NEAREST)
    return full.crop((0, 0, grey.width, grey.height))


def _threshold(grey: Image.Image, histogram: list[int]) -> Image.Image:
    level = _level(histogram)
    return grey.point([255 if v > level else 0 for v in range(256)], "1")


def _level(histogram: list[int]) -> int:
    """Otsu's threshold, moved a quarter of the way towards the mean of the paper above it.

    Levels no pixel has tie; the middle of the tied run is taken, so a page of pure black and
    white splits at 127 and not at the first empty level above black.
    """
    total = sum(histogram)
    weighted = sum(v * n for v, n in enumerate(histogram))
    below = below_weighted = 0
    best, first, last = -1.0, 127, 127
    for level in range(255):
        below += histogram[level]
        below_weighted += level * histogram[level]
        above = total - below
        if below == 0 or above == 0:
            continue
        spread = below * above * (below_weighted / below - (weighted - below_weighted) / above) ** 2
        if spread > best:
            best, first, last = spread, level, level
        elif spread == best:
            last = level
    split = (first + last) // 2
    above = sum(histogram[split + 1 :])
    if above == 0:
        return split
    paper = sum(v * histogram[v] for v in range(split + 1, 256)) / above
    return round(split + (paper - split) / 4)
