"""load_pages: real fax TIFFs, other TIFF compressions, PNG, PBM, bad files.

More formats, resolutions, text, cover pages and the spool TIFF: test_documents_*.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw

from faxtui.documents.pages import DocumentError, load_pages
from faxtui.sources.modem.session import save_received
from faxtui.t30 import t4

DATA = Path(__file__).parent.parent / "data"


def drawing(size: tuple[int, int] = (1728, 2200)) -> Image.Image:
    image = Image.new("1", size, 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, size[0] - 40, size[1] - 40), outline=0, width=4)
    draw.rectangle((200, 200, 600, 500), fill=0)
    return image


def same(a: Image.Image, b: Image.Image) -> bool:
    return (
        a.size == b.size and ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None
    )


@pytest.mark.parametrize(
    ("name", "rows"), [("hylafax-g4-fine.tif", 2204), ("efax-g3-fine.tif", 2220)]
)
def test_real_fax_tiffs(name: str, rows: int) -> None:
    (page,) = load_pages(DATA / name)
    assert (page.mode, page.size) == ("1", (1728, rows))
    with Image.open(DATA / name) as original:
        assert same(page, original.convert("1"))  # a fine fax page goes through untouched


@pytest.mark.parametrize("compression", ["group4", "tiff_lzw", "packbits", "raw", "tiff_deflate"])
def test_tiff_compressions_and_pages(tmp_path: Path, compression: str) -> None:
    pages = [drawing(), drawing().transpose(Image.Transpose.FLIP_TOP_BOTTOM)]
    path = tmp_path / "doc.tif"
    pages[0].save(
        path, compression=compression, save_all=True, append_images=pages[1:], dpi=(204, 196)
    )
    loaded = load_pages(path)
    assert len(loaded) == 2
    assert all(same(a, b) for a, b in zip(loaded, pages, strict=True))


def test_faxtuis_own_group3_tiff(tmp_path: Path) -> None:
    path = tmp_path / "g3.tif"
    t4.write_fax_tiff([drawing()], path, fine=True)
    (page,) = load_pages(path)
    assert same(page, drawing())


def test_standard_resolution_pages_get_their_lines_doubled(tmp_path: Path) -> None:
    path = tmp_path / "std.tif"
    drawing((1728, 1100)).save(path, compression="group4", dpi=(204, 98))
    (page,) = load_pages(path)
    assert page.size == (1728, 2200)


def test_a_letter_size_scan_is_scaled_to_fax_width(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    Image.new("RGB", (2550, 3300), "white").save(path, dpi=(300, 300))  # 8.5 x 11 in
    (page,) = load_pages(path)
    assert page.width == 1728
    assert abs(page.height - round(3300 * 1728 / 2550 * 196 / 204)) <= 1


def test_text_and_pdf_come_as_fine_pages_too(tmp_path: Path) -> None:
    note = tmp_path / "fax"
    note.write_text("this is a test FAX\n")
    assert [p.size for p in load_pages(note)] == [(1728, 2292)]  # A4 at 196 lines per inch
    pages = load_pages(DATA / "reportlab-3-pages.pdf")
    assert [p.size for p in pages] == [(1728, 2292), (1728, 2292), (1728, 1284)]


def test_pbm_and_grey_png(tmp_path: Path) -> None:
    pbm = tmp_path / "page.pbm"
    drawing().save(pbm)
    assert same(load_pages(pbm)[0], drawing())
    grey = tmp_path / "grey.png"
    Image.new("L", (1728, 400), 90).save(grey)
    (page,) = load_pages(grey)
    black = page.histogram()[0] / (page.width * page.height)
    assert abs(black - (255 - 90) / 255) < 0.02  # dark grey: dithered, two thirds ink


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "no such file"),
        (b"", "empty file"),
        (b"hello, this is not a fax\n", "not a TIFF file"),  # the name says TIFF: not faxed as text
        (b"II*\x00\x08\x00\x00\x00\x01\x00", "damaged"),
    ],
)
def test_bad_files_are_named_and_explained(
    tmp_path: Path, content: bytes | None, words: str
) -> None:
    path = tmp_path / "bad.tif"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DocumentError) as caught:
        load_pages(path)
    assert str(path) in str(caught.value) and words in str(caught.value)


def test_a_directory_is_not_a_document(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="is a directory"):
        load_pages(tmp_path)


def test_a_gigantic_page_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.tif"
    Image.new("1", (10000, 7000), 255).save(path, compression="group4")
    with pytest.raises(DocumentError, match="too large"):
        load_pages(path)


# --- saving received faxes -------------------------------------------------------------------


def test_received_pages_become_a_fax_tiff_and_never_overwrite(tmp_path: Path) -> None:
    from datetime import datetime

    when = datetime(2026, 11, 29, 17, 20, 52)
    pages = [drawing(), drawing((1728, 1100))]
    first = save_received(
        pages, tmp_path, fine=[True, False], station_id="+1 415\x1b[2J", received=when
    )
    second = save_received(
        pages, tmp_path, fine=[True, False], station_id="+1 415\x1b[2J", received=when
    )
    assert first != second and first.exists() and second.exists()
    assert first.name == "fax-20261129-172052-+1_415_2J.tif"
    assert not list(tmp_path.glob(".receiving-*"))  # no temporary file left behind
    with Image.open(first) as fax:
        assert fax.n_frames == 2
        assert fax.info["dpi"] == (204, 196)
        fax.seek(1)
        assert fax.info["dpi"] == (204, 98) and fax.size == (1728, 1100)
        assert fax.tag_v2.get(270) == "+1 415?[2J"  # the station ID, made plain ASCII
