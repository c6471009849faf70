"""PDF to fax pages, drawn by PDFium (pypdfium2) with form fields and printable annotations.

Each page is drawn in grey with square pixels, at the density its fitted size needs (at least
204 dpi across, the resolution's lines per inch down), then fitted like any image.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Final

from PIL import Image

from faxtui.documents.errors import MAX_PAGES, DocumentError
from faxtui.documents.images import fit, fitted_size
from faxtui.documents.paper import Paper, Resolution

if TYPE_CHECKING:
    from pypdfium2 import PdfDocument

POINTS_PER_INCH: Final = 72
_PDFIUM = threading.Lock()  # PDFium is not thread-safe; conversions run in worker threads
_LOAD_ERRORS: Final = {  # PdfiumError.err_code of PdfDocument()
    2: "cannot be opened",
    3: "not a PDF, or a damaged one",
    4: "the PDF is encrypted (needs a password)",
    5: "the PDF is encrypted in a way PDFium does not support",
}


def pdf_pages(path: Path, resolution: Resolution, paper: Paper) -> list[Image.Image]:
    """Every page of the PDF at ``path``."""
    import pypdfium2 as pdfium  # here, not at start-up: it loads a large library

    with _PDFIUM:
        try:
            pdf = pdfium.PdfDocument(path)
        except pdfium.PdfiumError as exc:
            reason = _LOAD_ERRORS.get(exc.err_code or 0, f"cannot be read ({exc})")
            raise DocumentError(f"{path}: {reason}") from None
        try:
            count = len(pdf)
            if count == 0:
                raise DocumentError(f"{path}: the PDF has no pages")
            if count > MAX_PAGES:
                raise DocumentError(f"{path}: {count} pages, more than {MAX_PAGES}")
            pdf.init_forms()
            pages = []
            for number in range(1, count + 1):
                try:
                    pages.append(_page(path, pdf, number, resolution, paper))
                except pdfium.PdfiumError as exc:
                    raise DocumentError(f"{path}: page {number} cannot be drawn ({exc})") from None
            return pages
        finally:
            pdf.close()


def _page(
    path: Path, pdf: PdfDocument, number: int, resolution: Resolution, paper: Paper
) -> Image.Image:
    page = pdf[number - 1]
    try:
        width, height = page.get_size()  # in points, turned as the page's /Rotate says
        if width < 1 or height < 1:
            raise DocumentError(f"{path}: page {number} has no size")
        inches = width / POINTS_PER_INCH, height / POINTS_PER_INCH
        across, down = fitted_size(*inches, resolution, paper)
        density = max(across / inches[0], down / inches[1])
        bitmap = page.render(scale=density / POINTS_PER_INCH, grayscale=True, optimize_mode="print")
        grey = bitmap.to_pil().convert("L")
    finally:
        page.close()
    return fit(grey, (density, density), resolution, paper)
