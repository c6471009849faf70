"""One page of a fax file, decoded for drawing: any image Pillow reads, TIFF G3/G4 through libtiff.

The page keeps its own pixels (1-bit for a fax) and says how tall one pixel is against its
width, so a standard-resolution page (204 x 98 dpi) is drawn twice as tall as its pixel count.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from faxtui.t30 import t4

MAX_PIXELS = 60_000_000  # a page larger than this is not a fax, it is an accident
MAX_BYTES = 256 * 1024 * 1024  # and such a file neither


class PageError(Exception):
    """A page that cannot be drawn; the message names the file (as is: show it with
    faxtui.text.plain) and says why."""


@dataclass(frozen=True, eq=False)
class Page:
    """A decoded page, in 1 bit (``image`` is mode "1", black ink on white). Read only."""

    image: Image.Image
    number: int  # from 1
    count: int  # pages in the file
    aspect: float = 1.0  # one pixel's height over its width: about 2 at standard resolution

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size


def load_page(path: Path, number: int = 1) -> Page:
    """Page ``number`` (from 1) of ``path``; PageError for a missing, damaged or short file."""
    if number < 1:
        raise PageError(f"{path}: pages count from 1, there is no page {number}")
    check_file(path)
    noise: list[str] = []
    try:
        with _quiet_decoding(noise):
            return _load(path, number)
    except PageError:
        raise
    except PermissionError:
        raise PageError(f"{path}: permission denied") from None
    except UnidentifiedImageError:
        if _is_tiff(path):
            raise PageError(f"{path}: a TIFF file, but damaged or cut short") from None
        raise PageError(f"{path}: not an image (a fax is a TIFF file), or a damaged one") from None
    except Image.DecompressionBombError:
        raise PageError(f"{path}: page {number} is too large to be a fax") from None
    except Exception as exc:  # Pillow's parsers raise all kinds (TypeError, struct.error...)
        detail = noise[0] if noise else str(exc) or type(exc).__name__
        raise PageError(f"{path}: page {number} is damaged or cut short ({detail})") from None


def check_file(path: Path) -> os.stat_result:
    """The file's status, or PageError if it cannot hold a page at all."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise PageError(f"{path}: no such file") from None
    except PermissionError:
        raise PageError(f"{path}: permission denied") from None
    except OSError as exc:
        raise PageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise PageError(f"{path}: is a directory, not a fax")
    if not stat.S_ISREG(info.st_mode):
        raise PageError(f"{path}: not a regular file")
    if info.st_size == 0:
        raise PageError(f"{path}: empty file (0 bytes)")
    if info.st_size > MAX_BYTES:
        raise PageError(f"{path}: {info.st_size:,} bytes, too large to be a fax")
    return info


def _load(path: Path, number: int) -> Page:
    # From memory: no file left open, and the decoded image needs no copy to outlive the file.
    image = Image.open(io.BytesIO(path.read_bytes()))
    count = getattr(image, "n_frames", 1)
    if number > count:
        pages = "1 page" if count == 1 else f"{count} pages"
        raise PageError(f"{path}: has {pages}, there is no page {number}")
    if number > 1:
        image.seek(number - 1)
    width, height = image.size
    if width == 0 or height == 0:
        raise PageError(f"{path}: page {number} is empty")
    if width * height > MAX_PIXELS:
        raise PageError(f"{path}: page {number} is {width}x{height} pixels, too large")
    aspect = _aspect(image.info)
    image.load()
    return Page(_pixels(image), number, count, aspect)


def _is_tiff(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            return file.read(4) in (b"II*\0", b"MM\0*")
    except OSError:
        return False


def _pixels(image: Image.Image) -> Image.Image:
    """The page in 1 bit; other images cut at mid-grey, as faxtui sends them."""
    if image.mode == "1":
        return image
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        paper = Image.new("RGBA", image.size, "white")
        grey = Image.alpha_composite(paper, image.convert("RGBA")).convert("L")
    else:
        grey = image.convert("L")
    return grey.point([0 if v < 128 else 255 for v in range(256)], "1")


def _aspect(info: Mapping[Any, Any]) -> float:
    """dpi across over dpi down; 1 when the file does not say, or says something absurd."""
    dpi = info.get("dpi") or info.get("resolution")
    if isinstance(dpi, tuple) and len(dpi) == 2:
        try:
            across, down = float(dpi[0]), float(dpi[1])
        except (TypeError, ValueError):
            return 1.0
        if across > 1 and down > 1 and 0.25 <= across / down <= 4:
            return across / down
    return 1.0


@contextlib.contextmanager
def _quiet_decoding(noise: list[str]) -> Iterator[None]:
    """Decode with Pillow's warnings off and libtiff's messages caught: it reports bad lines
    of a damaged fax from C, which would scribble over the TUI. What it said lands in
    ``noise`` (the first line names the fault, for the error message)."""
    with warnings.catch_warnings(), t4.libtiff_messages() as said:
        warnings.simplefilter("ignore")
        try:
            yield
        finally:
            noise.extend(line.strip().rstrip(".") for line in said if line.strip())
