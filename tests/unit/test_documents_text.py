"""Plain text and cover pages to fax pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops

from faxtui.documents import fonts
from faxtui.documents.cover import Cover, cover_page
from faxtui.documents.errors import DocumentError
from faxtui.documents.pages import to_pages
from faxtui.documents.paper import A4, LETTER, Resolution
from faxtui.documents.text import paginate

DATA = Path(__file__).parent.parent / "data"


def ink_box(page: Image.Image) -> tuple[int, int, int, int] | None:
    """The smallest box holding every black pixel."""
    return ImageChops.invert(page.convert("L")).getbbox()


def same(a: Image.Image, b: Image.Image) -> bool:
    return (
        a.size == b.size and ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None
    )


def fax_of(tmp_path: Path, content: str | bytes, name: str = "fax") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


@pytest.mark.parametrize("resolution", ["standard", "fine", "superfine"])
def test_echo_this_is_a_test_fax(tmp_path: Path, resolution: Resolution) -> None:
    """The classic: ``echo "this is a test FAX" > fax; sendfax fax``."""
    (page,) = to_pages(fax_of(tmp_path, "this is a test FAX\n"), resolution=resolution)
    lpi = {"standard": 98, "fine": 196, "superfine": 391}[resolution]
    assert page.mode == "1" and page.width == 1728 and abs(page.height - A4.rows(resolution)) <= 1
    box = ink_box(page)
    assert box is not None
    left, top, right, bottom = box
    # 80 columns centred: the first column about 0.9 inch in, 18 characters of 10 point.
    assert 150 < left < 200 and 270 < right - left < 320
    assert 0.35 * lpi < top < 0.5 * lpi and bottom - top < 0.2 * lpi  # one line, at the top


def test_a_letter_page_is_shorter(tmp_path: Path) -> None:
    (page,) = to_pages(fax_of(tmp_path, "hello\n"), paper=LETTER)
    assert abs(page.height - 11 * 196) <= 1


def test_pages_break_at_form_feeds_and_every_66_lines() -> None:
    assert paginate("one\ftwo\f") == [["one"], ["two"]]  # a final form feed adds no page
    assert paginate("\f\fone\n\f\ftwo\n\n") == [["one"], [""], ["two"]]
    lines = [str(n) for n in range(1, 141)]
    pages = paginate("\n".join(lines) + "\n")
    assert [len(p) for p in pages] == [66, 66, 8] and pages[1][0] == "67"


def test_tabs_stop_every_8_columns_and_long_lines_fold() -> None:
    assert paginate("a\tb\n\tc") == [["a       b", "        c"]]
    assert paginate("x" * 170) == [["x" * 80, "x" * 80, "x" * 10]]


def test_pr_output_with_form_feeds(tmp_path: Path) -> None:
    pages = to_pages(DATA / "pr-5-pages.txt")
    assert len(pages) == 5
    assert all(ink_box(p) is not None for p in pages)


def test_columns_line_up(tmp_path: Path) -> None:
    tabbed = to_pages(fax_of(tmp_path, "\tX\n", "a"))[0]
    spaced = to_pages(fax_of(tmp_path, "        X\n", "b"))[0]
    assert same(tabbed, spaced)
    (page,) = to_pages(fax_of(tmp_path, "X" + " " * 78 + "X\n", "c"))
    box = ink_box(page)
    assert box is not None and 1728 - box[2] - 30 < box[0] < 1728 - box[2] + 30  # centred


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32", "latin-1", "cp1252"]
)
def test_encodings_all_give_the_same_page(tmp_path: Path, encoding: str) -> None:
    text = "Grüße aus Köln: 25 °C, « déjà vu », ½ price\n"
    reference = to_pages(fax_of(tmp_path, text, "utf8"))[0]
    (page,) = to_pages(fax_of(tmp_path, text.encode(encoding), encoding))
    assert same(page, reference)


def test_windows_line_ends_colour_codes_and_overstrikes_are_read_as_text(tmp_path: Path) -> None:
    plain = to_pages(fax_of(tmp_path, "bold word\nred\n", "plain"))[0]
    fancy = "b\bbo\bol\bld\bd w\x08word\r\n\x1b[31mred\x1b[0m\r\n"
    assert same(to_pages(fax_of(tmp_path, fancy, "fancy"))[0], plain)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty file, nothing to fax"),
        (b"\n\n   \f\n\t\n", "no text to fax, only blank lines"),
        (b"text with a NUL\x00 in it\n", "not a document faxtui can read"),
        (bytes(range(256)) * 8, "not a document faxtui can read"),
        (b"\xff\xfe\x00\xd8", "not a document faxtui can read"),  # a broken UTF-16 surrogate
    ],
)
def test_empty_and_binary_input_is_refused_by_name(
    tmp_path: Path, content: bytes, words: str
) -> None:
    path = fax_of(tmp_path, content, "my fax")
    with pytest.raises(DocumentError) as caught:
        to_pages(path)
    assert str(caught.value).startswith(f"{path}: {words}")


def test_too_many_pages_of_text_is_refused(tmp_path: Path) -> None:
    path = fax_of(tmp_path, "page\f" * 201)
    with pytest.raises(DocumentError, match="201 pages of text, more than 200"):
        to_pages(path)


def test_text_renders_without_any_system_font(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A minimal machine has no font: Pillow's own, proportional, is set in fixed cells."""
    path = fax_of(tmp_path, "X" + " " * 78 + "X\n" + "i" * 80 + "\n")
    (with_font,) = to_pages(path)
    monkeypatch.setattr(fonts, "MONOSPACE", ("NoSuchFont-Regular.ttf",))
    (without,) = to_pages(path)
    assert not fonts.is_monospace(fonts.font(fonts.MONOSPACE, 20))
    box, reference = ink_box(without), ink_box(with_font)
    assert box is not None and reference is not None
    assert abs(box[0] - reference[0]) < 20 and abs(box[2] - reference[2]) < 20


# --- cover page -------------------------------------------------------------------------------


@pytest.mark.parametrize("resolution", ["standard", "fine", "superfine"])
def test_a_cover_page(resolution: Resolution) -> None:
    cover = Cover(to="Jane Doe, ACME", from_="Front desk", subject="Invoice", note="Hi.\n\nBye.")
    page = cover_page(cover, 3, resolution, A4)
    assert page.mode == "1" and page.size == (1728, A4.rows(resolution))
    box = ink_box(page)
    assert box is not None and box[0] > 150 and box[2] < 1728 - 150  # within the margins
    assert not same(page, cover_page(cover, 4, resolution, A4))  # the page count is drawn


def test_a_cover_page_takes_hostile_and_long_text() -> None:
    word = "x" * 500  # no space to break at
    cover = Cover(to=f"\x1b[2J{word}", from_="a\x00b\r\nc", subject="s" * 300, note=word)
    page = cover_page(cover, 1)
    box = ink_box(page)
    assert box is not None and box[2] < 1728 - 150  # wrapped, not cut off at the edge


def test_a_cover_note_too_long_for_the_page_is_refused() -> None:
    with pytest.raises(DocumentError, match="cover page: too much text for one page"):
        cover_page(Cover(note="word " * 5000), 1)


def test_without_a_system_font_letters_lose_their_accents_not_their_place() -> None:
    missing = ("NoSuchFont-Regular.ttf",)
    assert fonts.drawable(missing, "Grüße, déjà vu ½ €") == "Gru?e, deja vu 1 ?"
    assert fonts.drawable(fonts.MONOSPACE, "Grüße") == "Grüße"  # DejaVu and the like have them
