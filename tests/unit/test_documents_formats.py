"""Documents to fax pages from files made by real tools: PDF, photos, TIFFs of every kind."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from faxtui.documents.errors import DocumentError
from faxtui.documents.images import fitted_size
from faxtui.documents.pages import load_pages, to_pages
from faxtui.documents.paper import A4, LETTER, Resolution

DATA = Path(__file__).parent.parent / "data"
A4_POINTS = (595.2756, 841.8898)
Box = tuple[float, float, float, float]


def _pixels(box: Box) -> tuple[int, int, int, int]:
    return (round(box[0]), round(box[1]), round(box[2]), round(box[3]))


def ink(page: Image.Image, box: Box) -> float:
    """The share of black pixels in ``box``."""
    region = page.crop(_pixels(box)).convert("L")
    return region.histogram()[0] / (region.width * region.height)


def flips(page: Image.Image, box: Box) -> float:
    """Black/white changes per pixel in ``box``, across or down, whichever is fewer.

    About 0.5 when dithered; near 0 for a solid area, for stripes, and for text.
    """
    region = page.crop(_pixels(box)).convert("L")
    changes = []
    for grid in (region, region.transpose(Image.Transpose.TRANSPOSE)):
        left = grid.crop((0, 0, grid.width - 1, grid.height))
        right = grid.crop((1, 0, grid.width, grid.height))
        changes.append(
            ImageChops.difference(left, right).histogram()[255] / (left.width * left.height)
        )
    return min(changes)


def same(a: Image.Image, b: Image.Image) -> bool:
    return (
        a.size == b.size and ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None
    )


class A4Page:
    """Where a point of an A4 PDF page lands on its fax page."""

    def __init__(self, resolution: Resolution) -> None:
        self.across, self.down = fitted_size(A4_POINTS[0] / 72, A4_POINTS[1] / 72, resolution, A4)
        self.left = (1728 - self.across) // 2

    def box(self, left: float, top: float, right: float, bottom: float) -> Box:
        x, y = self.across / A4_POINTS[0], self.down / A4_POINTS[1]
        return (self.left + left * x, top * y, self.left + right * x, bottom * y)


# --- PDF --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resolution", "rows"), [("standard", 98), ("fine", 196), ("superfine", 391)]
)
def test_a_multi_page_pdf(resolution: Resolution, rows: int) -> None:
    pages = to_pages(DATA / "reportlab-3-pages.pdf", resolution=resolution)
    assert [p.mode for p in pages] == ["1"] * 3
    # An A4 page is as long as A4 paper: it keeps its size, 210 mm of the 215 mm line.
    assert pages[0].size == pages[1].size == (1728, A4.rows(resolution))
    assert abs(pages[2].height - 8.5 / 11 * 1728 / 204 * rows) <= 2  # landscape Letter, fitted
    where = A4Page(resolution)
    assert where.across == round(A4_POINTS[0] / 72 * 204)
    square = where.box(72, 144, 216, 288)
    assert ink(pages[0], _inside(square, 4)) == 1.0  # the black square, black
    assert ink(pages[0], where.box(230, 144, 560, 288)) == 0.0  # and white beside it
    assert 0.05 < ink(pages[0], where.box(72, 320, 380, 520)) < 0.5  # twelve lines of text
    grey_text = ink(pages[0], where.box(72, 545, 400, 565))
    assert 0.05 < grey_text < 0.5  # 60 % grey text stays ink


def _inside(box: Box, margin: float) -> Box:
    return (box[0] + margin, box[1] + margin, box[2] - margin, box[3] - margin)


@pytest.mark.parametrize("resolution", ["standard", "fine"])
def test_a_photo_and_a_grey_box_in_a_pdf_are_dithered(resolution: Resolution) -> None:
    page = to_pages(DATA / "reportlab-3-pages.pdf", resolution=resolution)[1]
    where = A4Page(resolution)
    grey = _inside(where.box(320, 126, 520, 360), 4)
    assert 0.4 < ink(page, grey) < 0.6  # 50 % grey: half the dots black
    assert flips(page, grey) > 0.3  # dots, not stripes or a solid block
    photo = _inside(where.box(72, 126, 272, 360), 4)
    assert 0.2 < ink(page, photo) < 0.8
    assert flips(page, photo) > 0.1
    assert flips(page, where.box(72, 40, 400, 80)) < 0.1  # the title is sharp, not dithered


def test_a_pdf_made_from_fax_pages_gives_the_fax_pages_back() -> None:
    """tiff2pdf wraps the fax images in PDF pages; drawn again they are nearly the same."""
    pages = to_pages(DATA / "tiff2pdf-2-pages.pdf")
    originals = load_pages(DATA / "tiffcp-g4-standard-and-fine.tif")
    assert len(pages) == 2
    for page, original in zip(pages, originals, strict=True):
        assert page.width == 1728 and abs(page.height - original.height) <= 4
        differ = ImageChops.difference(page.convert("L"), original.convert("L").resize(page.size))
        assert differ.histogram()[255] / (page.width * page.height) < 0.01


def test_an_encrypted_pdf_is_refused_by_name() -> None:
    path = DATA / "pypdf-encrypted.pdf"
    with pytest.raises(DocumentError) as caught:
        to_pages(path)
    assert str(caught.value) == f"{path}: the PDF is encrypted (needs a password)"


def test_a_pdf_with_only_an_owner_password_opens() -> None:
    (page,) = to_pages(DATA / "pypdf-owner-password-only.pdf")
    assert page.size == (1728, A4.rows("fine"))


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"%PDF-1.4\nthis is not a PDF at all\n", "not a PDF, or a damaged one"),
        (b"not a PDF at all\n", "not a PDF file, or a damaged one"),
    ],
)
def test_damaged_pdfs_are_refused_by_name(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "letter.pdf"
    path.write_bytes(content)
    with pytest.raises(DocumentError) as caught:
        to_pages(path)
    assert str(caught.value) == f"{path}: {words}"


def test_pdfs_with_no_pages_or_too_many_are_refused(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    empty, huge = tmp_path / "empty.pdf", tmp_path / "huge.pdf"
    pdfium.PdfDocument.new().save(empty)
    pdf = pdfium.PdfDocument.new()
    for _ in range(201):
        pdf.new_page(612, 792)
    pdf.save(huge)
    with pytest.raises(DocumentError) as caught:
        to_pages(empty)  # PDFium itself refuses a PDF of no pages: "damaged"
    assert str(caught.value).startswith(f"{empty}: ")
    with pytest.raises(DocumentError, match="201 pages, more than 200") as caught:
        to_pages(huge)
    assert str(huge) in str(caught.value)


# --- photos and other images ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["gracehopper.jpg", "tiffcp-jpeg-rgb.tif", "tiffcp-none-grey.tif"])
def test_photos_are_dithered(name: str) -> None:
    (page,) = to_pages(DATA / name)
    # 517 x 606 (or 200 x 235), square pixels: across the whole line, as long as it must be.
    assert page.width == 1728 and abs(page.height - 1728 * 606 / 517 * 196 / 204) <= 6
    middle = (300, 400, 1400, 1500)
    assert 0.2 < ink(page, middle) < 0.8
    assert flips(page, middle) > 0.1


def test_a_photo_on_letter_paper_at_standard_resolution() -> None:
    (page,) = to_pages(DATA / "gracehopper.jpg", resolution="standard", paper=LETTER)
    assert page.size == (1728, round(1728 * 606 / 517 * 98 / 204))


def gradient(mode: str) -> Image.Image:
    """Black on the left to white on the right, 816 x 400, in ``mode``."""
    grey = Image.linear_gradient("L").rotate(90, expand=True).resize((816, 400))
    if mode == "I;16":
        return grey.convert("I").point(lambda v: v * 256).convert("I;16")
    return grey.convert(mode)


@pytest.mark.parametrize(
    ("fmt", "mode", "suffix"),
    [
        ("PNG", "L", ".png"),
        ("PNG", "RGB", ".png"),
        ("GIF", "L", ".gif"),
        ("BMP", "RGB", ".bmp"),
        ("JPEG", "CMYK", ".jpg"),
        ("TIFF", "I;16", ".tif"),
        ("TIFF", "RGB", ".tiff"),
    ],
)
def test_greys_come_out_as_dots_in_every_format(
    tmp_path: Path, fmt: str, mode: str, suffix: str
) -> None:
    path = tmp_path / f"gradient{suffix}"
    gradient(mode).save(path, format=fmt)
    (page,) = to_pages(path)
    assert page.size == (1728, round(400 * 1728 / 816 * 196 / 204))
    thirds = [ink(page, (x, 50, x + 500, 750)) for x in (40, 614, 1188)]
    assert thirds[0] > thirds[1] > thirds[2]  # dark to light
    assert 0.3 < thirds[1] < 0.7 and flips(page, (614, 50, 1114, 750)) > 0.2


def test_grey_writing_on_greyish_paper_is_ink_on_white(tmp_path: Path) -> None:
    scan = Image.new("L", (2480, 600), 225)  # a 300 dpi scan of off-white paper
    for row in range(5):
        ImageDraw.Draw(scan).text(
            (150, 60 + row * 100), "pencil " * 12, fill=150, font_size=48
        )  # grey writing
    path = tmp_path / "scan.png"
    scan.filter(ImageFilter.GaussianBlur(1)).save(path, dpi=(300, 300))
    (page,) = to_pages(path)
    assert ink(page, (0, 0, 1728, 30)) == 0.0  # the paper is white
    assert 0.05 < ink(page, (110, 45, 1400, 330)) < 0.5  # the writing is black, not dots
    assert flips(page, (110, 45, 1400, 330)) < 0.2


def test_transparency_is_paper_not_ink(tmp_path: Path) -> None:
    image = Image.new("RGBA", (816, 400), (0, 0, 0, 0))  # transparent black
    ImageDraw.Draw(image).rectangle((100, 100, 300, 300), fill=(0, 0, 0, 255))
    path = tmp_path / "logo.png"
    image.save(path)
    (page,) = to_pages(path)
    assert ink(page, (0, 0, 1728, 150)) == 0.0
    assert ink(page, (300, 250, 600, 550)) == 1.0


def test_a_photo_turned_by_its_exif_orientation(tmp_path: Path) -> None:
    wide = Image.new("L", (800, 400), 255)
    ImageDraw.Draw(wide).rectangle((0, 0, 99, 399), fill=0)  # the left edge black
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90 degrees clockwise
    path = tmp_path / "phone.jpg"
    wide.save(path, exif=exif)
    (page,) = to_pages(path)
    assert page.height > page.width  # upright as shown: 400 x 800
    assert page.getpixel((864, 20)) == 0 and page.getpixel((864, 2200)) == 255  # black on top


# --- TIFF of every kind -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["tiffcp-g3-2d.tif", "tiffcp-lzw.tif", "tiffcp-packbits.tif", "tiffcp-zip.tif"]
)
def test_a_fax_page_recompressed_by_tiffcp_is_the_same_page(name: str) -> None:
    (reference,) = load_pages(DATA / "efax-g3-fine.tif")
    (page,) = load_pages(DATA / name)
    assert same(page, reference)


@pytest.mark.parametrize(
    ("resolution", "rows"),
    [("standard", [1144, 1102]), ("fine", [2288, 2204]), ("superfine", [4564, 4397])],
)
def test_a_tiff_of_standard_and_fine_pages(resolution: Resolution, rows: list[int]) -> None:
    pages = to_pages(DATA / "tiffcp-g4-standard-and-fine.tif", resolution=resolution)
    assert [p.size for p in pages] == [(1728, r) for r in rows]
    with Image.open(DATA / "efix-text-standard.tif") as standard:
        original = standard.convert("1")
    if resolution == "standard":
        assert same(pages[0], original)  # untouched
    elif resolution == "fine":
        assert same(pages[0], original.resize((1728, 2288), Image.Resampling.NEAREST))


def test_a_fine_page_at_standard_resolution_keeps_thin_lines(tmp_path: Path) -> None:
    page = Image.new("1", (1728, 400), 1)
    ImageDraw.Draw(page).line((100, 201, 1600, 201), fill=0)  # one line thick, on an odd line
    path = tmp_path / "rule.tif"
    page.save(path, compression="group4", dpi=(204, 196))
    (standard,) = to_pages(path, resolution="standard")
    assert standard.size == (1728, 200)
    assert ink(standard, (100, 100, 1600, 101)) == 1.0


def test_a_pbm_from_efix_without_a_resolution() -> None:
    (page,) = to_pages(DATA / "efix-text-small.pbm")
    assert page.size == (1728, round(1144 * 2 * 196 / 204))  # square pixels, doubled across
    assert flips(page, (0, 0, 1728, 400)) < 0.05  # text, sharp: no dither
    assert ink(page, (0, 0, 1728, 400)) > 0.005
