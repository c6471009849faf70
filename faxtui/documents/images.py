"""Raster files to fax pages (TIFF of any kind, PNG, JPEG, GIF, BMP, WebP, PBM), and the
fitting that every page, from whatever source, goes through.

A page is fitted to the fax width (1728 pixels) and at most the paper's length, keeping its
proportions (its own resolution, or square pixels if it has none), then centred across. A
page that already is a fax page (1-bit, 1728 pixels at 204 dpi) keeps its pixels: only its
lines are doubled or merged to reach the resolution asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, cast

from PIL import Image, ImageOps, ImageSequence

from faxtui.documents.errors import MAX_PAGES, MAX_PIXELS, DocumentError
from faxtui.documents.ink import bilevel
from faxtui.documents.paper import FAX_DPI_X, FAX_WIDTH, Paper, Resolution, lines_per_inch

FAX_WIDTHS: Final = (1728, 2048, 2432)  # A4, B4 and A3 fax lines at 204 dpi
DEEP_MODES: Final = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")


def image_pages(
    path: Path, image: Image.Image, resolution: Resolution, paper: Paper
) -> list[Image.Image]:
    """Every page of an opened image: all of a TIFF's, the first frame of anything else."""
    frames = ImageSequence.Iterator(image) if image.format == "TIFF" else [image]
    pages: list[Image.Image] = []
    try:
        for number, frame in enumerate(frames, start=1):
            if number > MAX_PAGES:
                raise DocumentError(f"{path}: more than {MAX_PAGES} pages, too many to fax")
            pages.append(_page(path, number, frame, resolution, paper))
    except DocumentError:
        raise
    except Image.DecompressionBombError:
        raise DocumentError(f"{path}: page {len(pages) + 1} has too many pixels") from None
    except Exception as exc:  # damaged or hostile files fail inside Pillow in many ways
        raise DocumentError(f"{path}: page {len(pages) + 1} cannot be read ({exc})") from None
    if not pages:
        raise DocumentError(f"{path}: no pages")
    return pages


def fitted_size(
    across_in: float, down_in: float, resolution: Resolution, paper: Paper
) -> tuple[int, int]:
    """Pixels across and lines down of a page this many inches in size, once fitted."""
    lpi = lines_per_inch(resolution)
    scale = min(FAX_WIDTH / (across_in * FAX_DPI_X), paper.rows(resolution) / (down_in * lpi))
    across = min(FAX_WIDTH, max(1, round(across_in * scale * FAX_DPI_X)))
    return across, max(1, round(down_in * scale * lpi))


def fit(
    grey: Image.Image, dpi: tuple[float, float], resolution: Resolution, paper: Paper
) -> Image.Image:
    """A mode ``"L"`` page at ``dpi`` as a fax page: fitted, black and white, centred."""
    size = fitted_size(grey.width / dpi[0], grey.height / dpi[1], resolution, paper)
    return finish(grey, size)


def finish(grey: Image.Image, size: tuple[int, int]) -> Image.Image:
    """A mode ``"L"`` page scaled to ``size``, in black and white, centred on the fax line."""
    if grey.size != size:
        shrinking = size[0] <= grey.width and size[1] <= grey.height
        # Shrinking averages the pixels each new one covers; enlarging interpolates smoothly.
        grey = grey.resize(size, Image.Resampling.BOX if shrinking else Image.Resampling.BICUBIC)
    page = bilevel(grey)
    if page.width == FAX_WIDTH:
        return page
    centred = Image.new("1", (FAX_WIDTH, page.height), 1)
    centred.paste(page, ((FAX_WIDTH - page.width) // 2, 0))
    return centred


def relined(page: Image.Image, lpi: float, resolution: Resolution) -> Image.Image:
    """A 1-bit fax page at ``lpi`` lines per inch brought to ``resolution``.

    Lines are repeated going up; going down they are merged, a line with ink in any of the
    merged ones keeping it (as the T.30 engine does for standard resolution), so thin rules
    and strokes survive.
    """
    rows = max(1, round(page.height * lines_per_inch(resolution) / lpi))
    if abs(rows - page.height) <= page.height // 50:  # 196 and 195.6 (efax) are one resolution
        return page.copy()
    if rows > page.height:
        return page.resize((page.width, rows), Image.Resampling.NEAREST)
    merged = page.convert("L").resize((page.width, rows), Image.Resampling.BOX)
    return merged.point([255 if v > 191 else 0 for v in range(256)], "1")


def _page(
    path: Path, number: int, frame: Image.Image, resolution: Resolution, paper: Paper
) -> Image.Image:
    width, height = frame.size
    if width == 0 or height == 0:
        raise DocumentError(f"{path}: page {number} is empty")
    if width * height > MAX_PIXELS:
        raise DocumentError(f"{path}: page {number} is {width}x{height} pixels, too large")
    dpi = _dpi(frame)
    if frame.mode == "1" and width == FAX_WIDTH and abs(dpi[0] - FAX_DPI_X) < 2:
        return relined(frame, dpi[1], resolution)
    frame = ImageOps.exif_transpose(frame)
    if frame.width != width:  # turned a quarter
        dpi = dpi[1], dpi[0]
    return fit(_grey(frame), dpi, resolution, paper)


def _dpi(frame: Image.Image) -> tuple[float, float]:
    """The page's resolution; a fax-wide page without one is taken as fax fine."""
    dpi = frame.info.get("dpi")
    if isinstance(dpi, tuple) and len(dpi) == 2 and all(float(d) > 1 for d in dpi):
        return float(dpi[0]), float(dpi[1])
    if frame.width in FAX_WIDTHS:
        return FAX_DPI_X, 196
    return FAX_DPI_X, FAX_DPI_X  # square pixels


def _grey(frame: Image.Image) -> Image.Image:
    """Mode ``"L"``: transparency on white paper, 16-bit and float stretched to 8 bits."""
    if frame.mode in DEEP_MODES:
        wide = frame.convert("F")
        low, high = cast(tuple[float, float], wide.getextrema())
        if high <= low:
            return Image.new("L", frame.size, 255)
        return wide.point(lambda v: (v - low) * (255 / (high - low))).convert("L")
    if "A" in frame.mode or "a" in frame.mode or "transparency" in frame.info:
        rgba = frame.convert("RGBA")
        paper = Image.new("RGBA", frame.size, "white")
        return Image.alpha_composite(paper, rgba).convert("L")
    return frame.convert("L")
