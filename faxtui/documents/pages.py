"""Documents to fax pages, and fax pages to a spool TIFF: the entry points.

Text, PDF, TIFF (any compression, pages, resolution), PNG, JPEG, GIF, BMP, WebP and PBM (or
PGM, PPM). What a file is comes from its content, not its name; a name that promises a
format the content does not have is refused rather than faxed as text. Pillow's other
decoders (PCX, SGI, TGA and the like) are not offered a file: fewer ways in for a hostile
one.

A fax page is a mode ``"1"`` Pillow image 1728 pixels wide (215 mm at 204 dpi), at 98
(standard), 196 (fine) or 391 (superfine) lines per inch. The T.30 engine takes fine pages
and merges line pairs itself when the receiver only takes standard resolution.
"""

from __future__ import annotations

import os
import struct
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from PIL import Image, UnidentifiedImageError

from faxtui.documents.cover import Cover, cover_page
from faxtui.documents.errors import MAX_PAGES, DocumentError
from faxtui.documents.images import image_pages
from faxtui.documents.paper import A4, FAX_WIDTH, Paper, Resolution, lines_per_inch
from faxtui.documents.pdf import pdf_pages
from faxtui.documents.text import MAX_BYTES, decode, text_pages
from faxtui.t30 import t4

__all__ = ["DocumentError", "load_pages", "prepare", "to_pages", "write_spool_tiff"]

FORMATS: Final = "text, PDF, TIFF, PNG, JPEG, GIF, BMP, WebP or PBM"
IMAGE_FORMATS: Final = ("TIFF", "PNG", "JPEG", "GIF", "BMP", "WEBP", "PPM")  # PPM: PBM too
_PROMISED: Final = {  # what a file's name says it is
    ".pdf": "PDF",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".gif": "GIF",
    ".bmp": "BMP",
    ".webp": "WebP",
    ".pbm": "PBM",
}
_PDF_MAGIC: Final = b"%PDF-"  # within the first 1024 bytes, says the PDF standard


def load_pages(path: Path, resolution: Resolution = "fine") -> list[Image.Image]:
    """Every page of ``path`` as a fax page (A4 at most) for the T.30 engine: fine, or
    superfine for a superfine fax."""
    return to_pages(path, resolution="superfine" if resolution == "superfine" else "fine")


def to_pages(
    path: str | os.PathLike[str], *, resolution: Resolution = "fine", paper: Paper = A4
) -> list[Image.Image]:
    """Every page of the document at ``path`` as a fax page at ``resolution``.

    Raises DocumentError, naming the file, for anything that cannot be faxed: missing,
    unreadable, empty, binary, encrypted, damaged, too many pages or pixels.
    """
    lines_per_inch(resolution)  # a bad resolution is the caller's mistake: ValueError
    with warnings.catch_warnings(), t4.libtiff_messages():
        # Pillow warns about odd files, and libtiff about bad lines, on stderr, which would
        # scribble over a TUI; a file still readable is fine, one that is not gets an error.
        warnings.simplefilter("ignore")
        return _convert(Path(path), resolution, paper)


def prepare(
    files: Sequence[str | os.PathLike[str]],
    *,
    resolution: Resolution = "fine",
    paper: Paper = A4,
    cover: Cover | None = None,
) -> list[Image.Image]:
    """The pages of a fax: the cover page if asked for, then every page of every file.

    Every file is converted before anything is returned, so a bad one raises DocumentError
    before the caller has written or queued anything.
    """
    if not files:
        raise DocumentError("no documents to fax")
    pages: list[Image.Image] = []
    for file in files:
        pages += to_pages(file, resolution=resolution, paper=paper)
        if len(pages) + (cover is not None) > MAX_PAGES:
            raise DocumentError(f"{file}: the fax would have more than {MAX_PAGES} pages")
    if cover is not None:
        pages.insert(0, cover_page(cover, len(pages) + 1, resolution, paper))
    return pages


def write_spool_tiff(
    pages: Sequence[Image.Image], path: str | os.PathLike[str], *, resolution: Resolution
) -> None:
    """Write fax pages at ``resolution`` as one Group 3 fax TIFF at ``path``, atomically.

    The file is written under a temporary name in the same folder, flushed to the disk, then
    linked to ``path``: a reader never sees half a file, a failure leaves nothing behind, and
    an existing ``path`` is never overwritten (FileExistsError).
    """
    lpi = lines_per_inch(resolution)
    for number, page in enumerate(pages, start=1):
        if page.mode != "1" or page.width != FAX_WIDTH:
            raise ValueError(f"page {number} is not a fax page ({page.mode}, {page.width} wide)")
    data = t4.fax_tiff_bytes(pages, fine=lpi != 98)
    if lpi == 391:
        data = _y_resolution(data, lpi)
    target = Path(path)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".faxtui-", suffix=".tif")
    try:
        with os.fdopen(fd, "wb") as sink:
            sink.write(data)
            sink.flush()
            os.fsync(sink.fileno())
        os.link(temp, target)
    finally:
        os.unlink(temp)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the new name is on the disk too
    finally:
        os.close(folder)


def _convert(path: Path, resolution: Resolution, paper: Paper) -> list[Image.Image]:
    try:
        with path.open("rb") as file:
            head = file.read(1024)
    except FileNotFoundError:
        raise DocumentError(f"{path}: no such file") from None
    except PermissionError:
        raise DocumentError(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise DocumentError(f"{path}: is a directory, not a document") from None
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not head:
        raise DocumentError(f"{path}: empty file, nothing to fax")
    if _PDF_MAGIC in head:
        return pdf_pages(path, resolution, paper)
    try:
        image = Image.open(path, formats=IMAGE_FORMATS)
    except UnidentifiedImageError:
        pass
    except Image.DecompressionBombError:
        raise DocumentError(f"{path}: an image with too many pixels") from None
    except Exception as exc:  # damaged or hostile files fail inside Pillow in many ways
        raise DocumentError(f"{path}: a damaged image ({exc})") from None
    else:
        with image:
            return image_pages(path, image, resolution, paper)
    promised = _PROMISED.get(path.suffix.lower())
    if promised is not None:
        raise DocumentError(f"{path}: not a {promised} file, or a damaged one")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise DocumentError(f"{path}: not a PDF or an image, and {size >> 20} MB is too much text")
    text = decode(path.read_bytes())
    if text is None:
        raise DocumentError(f"{path}: not a document faxtui can read ({FORMATS}), or damaged")
    return text_pages(path, text, resolution, paper)


def _y_resolution(data: bytes, lpi: int) -> bytes:
    """``data``, a fax TIFF from t4, with YResolution ``lpi`` in every page.

    t4 writes 98 or 196 lines per inch only; its TIFF is little-endian, one IFD per page, and
    keeps the YResolution rational out of line, at the offset its IFD entry gives.
    """
    out = bytearray(data)
    (ifd,) = struct.unpack_from("<I", out, 4)
    while ifd:
        (count,) = struct.unpack_from("<H", out, ifd)
        for entry in range(ifd + 2, ifd + 2 + 12 * count, 12):
            tag, _, _, offset = struct.unpack_from("<HHII", out, entry)
            if tag == 283:  # YResolution
                struct.pack_into("<II", out, offset, lpi, 1)
        (ifd,) = struct.unpack_from("<I", out, ifd + 2 + 12 * count)
    return bytes(out)
