"""A fax made of several documents and a cover page, and its spool TIFF."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from faxtui.documents import pages as pages_module
from faxtui.documents.cover import Cover, cover_page
from faxtui.documents.errors import DocumentError
from faxtui.documents.pages import prepare, to_pages, write_spool_tiff
from faxtui.documents.paper import A4, Resolution

DATA = Path(__file__).parent.parent / "data"


def same(a: Image.Image, b: Image.Image) -> bool:
    return (
        a.size == b.size and ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None
    )


@pytest.fixture
def note(tmp_path: Path) -> Path:
    path = tmp_path / "note"
    path.write_text("this is a test FAX\n")
    return path


@pytest.mark.parametrize("resolution", ["standard", "fine"])
def test_a_fax_of_text_pdf_and_photo_with_a_cover(note: Path, resolution: Resolution) -> None:
    files = [note, DATA / "reportlab-3-pages.pdf", DATA / "gracehopper.jpg"]
    cover = Cover(to="Jane", from_="Joe", subject="Three documents", note="See attached.")
    pages = prepare(files, resolution=resolution, cover=cover)
    assert len(pages) == 1 + 1 + 3 + 1
    assert same(pages[0], cover_page(cover, 6, resolution, A4))  # "Pages: 6, this one included"
    assert same(pages[1], to_pages(note, resolution=resolution)[0])
    assert all(p.mode == "1" and p.width == 1728 for p in pages)


def test_nothing_comes_back_when_one_file_is_bad(note: Path, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    missing = tmp_path / "missing.pdf"
    with pytest.raises(DocumentError) as caught:
        write_spool_tiff(prepare([note, missing]), spool / "job.tif", resolution="fine")
    assert str(caught.value) == f"{missing}: no such file"
    assert list(spool.iterdir()) == []


def test_no_documents_and_too_many_pages_are_refused(
    note: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(DocumentError, match="no documents to fax"):
        prepare([])
    monkeypatch.setattr(pages_module, "MAX_PAGES", 3)
    pdf = DATA / "reportlab-3-pages.pdf"
    assert len(prepare([pdf])) == 3
    with pytest.raises(DocumentError) as caught:
        prepare([pdf], cover=Cover())
    assert str(caught.value) == f"{pdf}: the fax would have more than 3 pages"
    with pytest.raises(DocumentError, match=f"^{note}: "):
        prepare([pdf, note])


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: p.mkdir(), "is a directory, not a document"),
        (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40), "damaged"),
        (lambda p: p.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(range(256))), "not a document"),
    ],
)
def test_unreadable_input_is_named(tmp_path: Path, make: object, words: str) -> None:
    path = tmp_path / "input"
    assert callable(make)
    make(path)
    with pytest.raises(DocumentError) as caught:
        to_pages(path)
    assert str(caught.value).startswith(f"{path}: ") and words in str(caught.value)


def test_a_bad_resolution_is_a_programming_error(note: Path) -> None:
    with pytest.raises(ValueError, match="standard, fine or superfine"):
        to_pages(note, resolution="ultra")  # type: ignore[arg-type]


# --- the spool TIFF ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resolution", "lpi"), [("standard", 98), ("fine", 196), ("superfine", 391)]
)
def test_the_spool_tiff_is_a_fax_tiff(
    note: Path, tmp_path: Path, resolution: Resolution, lpi: int
) -> None:
    pages = prepare([note, DATA / "tiffcp-g4-standard-and-fine.tif"], resolution=resolution)
    target = tmp_path / "job.tif"
    write_spool_tiff(pages, target, resolution=resolution)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job.tif", "note"]  # no temporary
    with Image.open(target) as fax:
        assert getattr(fax, "n_frames", 1) == 3
        for number, page in enumerate(pages):
            fax.seek(number)
            assert fax.info["compression"] == "group3"
            assert fax.info["dpi"] == (204, lpi)
            assert same(fax.convert("1"), page)
    if shutil.which("tiffinfo"):  # libtiff's own reading of it, where libtiff-tools is there
        info = subprocess.run(["tiffinfo", str(target)], capture_output=True, text=True)
        assert info.returncode == 0 and f"Resolution: 204, {lpi} pixels/inch" in info.stdout
        assert "CCITT Group 3" in info.stdout and "Page Number: 2-3" in info.stdout


def test_the_spool_tiff_never_overwrites(note: Path, tmp_path: Path) -> None:
    target = tmp_path / "job.tif"
    target.write_bytes(b"queued before")
    with pytest.raises(FileExistsError):
        write_spool_tiff(to_pages(note), target, resolution="fine")
    assert target.read_bytes() == b"queued before"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job.tif", "note"]  # no temporary


def test_the_spool_tiff_takes_only_fax_pages(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="page 1 is not a fax page"):
        write_spool_tiff([Image.new("L", (1728, 100))], tmp_path / "x.tif", resolution="fine")
    assert list(tmp_path.iterdir()) == []


def test_formats_not_offered_to_pillow_and_damaged_images_are_refused(tmp_path: Path) -> None:
    pcx = tmp_path / "scan.pcx"
    Image.new("L", (64, 64), 128).save(pcx)  # Pillow reads PCX; faxtui does not ask it to
    with pytest.raises(DocumentError, match="not a document faxtui can read"):
        to_pages(pcx)
    cut = tmp_path / "cut.tif"
    cut.write_bytes((DATA / "efix-text-standard.tif").read_bytes()[:3000])  # header, half a strip
    with pytest.raises(DocumentError) as caught:
        to_pages(cut)
    assert str(caught.value).startswith(f"{cut}: page 1 cannot be read")


def test_a_huge_file_that_is_no_image_is_not_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "huge"
    with path.open("wb") as sparse:
        sparse.truncate(17 << 20)
    with pytest.raises(DocumentError, match="17 MB is too much text"):
        to_pages(path)
