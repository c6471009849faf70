"""Documents to fax pages: TIFF (any compression, pages, resolution), PBM and PNG.

A fax page here is a 1-bit Pillow image 1728 pixels wide (215 mm at 204 dpi) at fine
resolution, 196 lines per inch: what the T.30 engine sends, halving the lines itself when the
receiver only takes standard resolution. Pages of another width are scaled to fit across,
keeping their proportions; standard-resolution fax pages (98 lines per inch) get their lines
doubled, so they come out as they went in.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image, ImageSequence, UnidentifiedImageError

FAX_WIDTH = 1728
FAX_DPI_X = 204
FINE_LPI = 196
MAX_PAGES = 1000
MAX_PIXELS = 60_000_000  # a page larger than this is not a document, it is an accident


class DocumentError(Exception):
    """A document that cannot be faxed; the message names the file and says why."""


def load_pages(path: Path) -> list[Image.Image]:
    """Every page of ``path`` as a fine-resolution fax page."""
    with warnings.catch_warnings():
        # Pillow warns about odd files on stderr, which would scribble over a TUI; a file
        # it can still read is fine, and one it cannot gets a DocumentError below.
        warnings.simplefilter("ignore")
        return _load(path)


def _load(path: Path) -> list[Image.Image]:
    try:
        image = Image.open(path)
    except FileNotFoundError:
        raise DocumentError(f"{path}: no such file") from None
    except PermissionError:
        raise DocumentError(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise DocumentError(f"{path}: is a directory, not a document") from None
    except UnidentifiedImageError:
        raise DocumentError(
            f"{path}: not an image this version can fax (TIFF, PBM, PNG), or a damaged one"
        ) from None
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read ({exc})") from None
    pages = []
    with image:
        try:
            for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
                if number > MAX_PAGES:
                    raise DocumentError(f"{path}: more than {MAX_PAGES} pages")
                pages.append(_fax_page(path, number, frame))
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise DocumentError(f"{path}: page {len(pages) + 1} cannot be read ({exc})") from None
    if not pages:
        raise DocumentError(f"{path}: no pages")
    return pages


def _fax_page(path: Path, number: int, frame: Image.Image) -> Image.Image:
    width, height = frame.size
    if width == 0 or height == 0:
        raise DocumentError(f"{path}: page {number} is empty")
    if width * height > MAX_PIXELS:
        raise DocumentError(f"{path}: page {number} is {width}x{height} pixels, too large")
    dpi_x, dpi_y = _dpi(frame)
    # Scale to 1728 across; down, keep the physical proportions, at 196 lines per inch.
    across = FAX_WIDTH / width
    down = across * (dpi_x / dpi_y) * (FINE_LPI / FAX_DPI_X)
    size = (FAX_WIDTH, max(1, round(height * down)))
    grey = frame.convert("L")
    if grey.size != size:
        grey = grey.resize(size, Image.Resampling.LANCZOS if across < 1 else Image.Resampling.BOX)
    return grey.point(lambda v: 255 if v >= 128 else 0, "1")


def _dpi(frame: Image.Image) -> tuple[float, float]:
    """The page's resolution; a fax-wide page without one is taken as fax fine."""
    dpi = frame.info.get("dpi")
    if isinstance(dpi, tuple) and len(dpi) == 2 and all(float(d) > 1 for d in dpi):
        return float(dpi[0]), float(dpi[1])
    if frame.width in (1728, 2048, 2432):
        return FAX_DPI_X, FINE_LPI
    return FAX_DPI_X, FAX_DPI_X  # square pixels
