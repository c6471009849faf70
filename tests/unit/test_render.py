"""The page renderer: likeness of braille and half blocks to the page, geometry, loading, cache,
mode detection.

Likeness is measured, not frozen: the text is decoded back into dots (by the Unicode rules,
written out here independently of the renderer) and compared with the page as Pillow reduces
it to the same dots (BOX filter: the ink coverage of every dot's block of the page):
- recall: every dot that Pillow's plain reduction shows dark (coverage >= 1/2) is ink;
- nothing invented: every ink dot is at most one dot away from a block holding some ink;
- IoU against the stroke rule (a dot is ink if its block holds 3/4 of a one-pixel line's
  worth of ink), which must stand well above the IoU of the same drawing mirrored or flipped,
  so that the measure would catch a drawing in the wrong place or order;
- the ruled lines of the test pages (2 to 11 pixels thick) all survive, along their length.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from faxtui.render import Fit, Mode, PageError, PreviewCache, View, draw, graphics, load_page
from faxtui.render.braille import lines as braille_lines
from faxtui.render.halfblock import lines as halfblock_lines
from faxtui.render.view import layout

DATA = Path(__file__).resolve().parent.parent / "data"
FAXES = [DATA / "efax-g3-fine.tif", DATA / "hylafax-g4-fine.tif"]
ROOT = Path(__file__).resolve().parents[2]

Dots = set[tuple[int, int]]

# --- decoding the text back into dots, from the Unicode rules -------------------------------

# Braille dot n is bit n-1; dots 1-3 go down the left column, 4-6 the right, 7 and 8 below.
BRAILLE_DOT = {
    0: (0, 0),
    1: (0, 1),
    2: (0, 2),
    3: (1, 0),
    4: (1, 1),
    5: (1, 2),
    6: (0, 3),
    7: (1, 3),
}


def decode_braille(lines: Sequence[str]) -> Dots:
    dots: Dots = set()
    for row, line in enumerate(lines):
        for col, char in enumerate(line):
            if char == " ":
                continue
            code = ord(char) - 0x2800
            assert 0 <= code <= 0xFF, f"not braille: {char!r}"
            for bit, (x, y) in BRAILLE_DOT.items():
                if code >> bit & 1:
                    dots.add((col * 2 + x, row * 4 + y))
    return dots


def decode_halfblock(lines: Sequence[str]) -> Dots:
    dots: Dots = set()
    for row, line in enumerate(lines):
        for col, char in enumerate(line):
            assert char in " ▀▄█", f"not a half block: {char!r}"
            if char in "▀█":
                dots.add((col, row * 2))
            if char in "▄█":
                dots.add((col, row * 2 + 1))
    return dots


DECODERS: dict[Mode, Callable[[Sequence[str]], Dots]] = {
    Mode.BRAILLE: decode_braille,
    Mode.HALFBLOCK: decode_halfblock,
}


def ink(picture: Image.Image) -> Dots:
    width = picture.width
    data = picture.convert("L").tobytes()
    return {(i % width, i // width) for i, v in enumerate(data) if v < 128}


def iou(a: Dots, b: Dots) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def near(dots: Dots) -> Dots:
    return {(x + dx, y + dy) for x, y in dots for dx in (-1, 0, 1) for dy in (-1, 0, 1)}


class Likeness:
    """A drawing's dots against Pillow's BOX reduction of the page to the same dots."""

    def __init__(
        self,
        page_image: Image.Image,
        dots: Dots,
        size: tuple[int, int],
        box: tuple[float, float, float, float] | None = None,
    ) -> None:
        width, height = size
        left, top, right, bottom = box or (0, 0, *page_image.size)
        grey = page_image.convert("L").resize(size, Image.Resampling.BOX, box=box).tobytes()
        block = max((right - left) / width, (bottom - top) / height)
        stroke_cut = 255 * (1 - min(0.5, 0.75 / block))

        def where(test: Callable[[int], bool]) -> Dots:
            return {(i % width, i // width) for i, v in enumerate(grey) if test(v)}

        dark = where(lambda v: v <= 127)
        some_ink = where(lambda v: v < 255)
        stroke = where(lambda v: v <= stroke_cut)
        self.recall = len(dark & dots) / len(dark) if dark else 1.0
        self.invented = 1 - len(dots & near(some_ink)) / len(dots)
        self.iou = iou(dots, stroke)
        self.iou_mirrored = iou({(width - 1 - x, y) for x, y in dots}, stroke)
        self.iou_flipped = iou({(x, height - 1 - y) for x, y in dots}, stroke)


def drawn_dots(mode: Mode, cols: int, rows: int | None, path: Path) -> tuple[Dots, Likeness]:
    page = load_page(path)
    drawing = draw(page, mode, cols, rows)
    width, height = drawing.frame.dots
    dots = {(x, y) for x, y in DECODERS[mode](drawing.lines) if x < width and y < height}
    return dots, Likeness(page.image, dots, (width, height))


# --- likeness ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FAXES, ids=lambda p: p.name)
@pytest.mark.parametrize("mode", [Mode.BRAILLE, Mode.HALFBLOCK])
@pytest.mark.parametrize("cells", [(80, 40), (200, 60), (80, None)], ids=str)
def test_drawing_is_like_the_page(path: Path, mode: Mode, cells: tuple[int, int | None]) -> None:
    _, like = drawn_dots(mode, *cells, path)
    assert like.recall >= 0.98, "dots Pillow's reduction shows dark are missing"
    assert like.invented <= 0.01, "ink where the page has none"
    assert like.iou >= 0.75
    assert max(like.iou_mirrored, like.iou_flipped) <= like.iou - 0.3


def _rules(image: Image.Image) -> list[tuple[int, int]]:
    """The ruled lines of the test page: (top, thickness) where they cross column 600."""
    grey = image.convert("L")
    column = [grey.getpixel((600, y)) for y in range(grey.height)]
    rules, y = [], 0
    while y < len(column):
        if column[y] == 0:
            start = y
            while y < len(column) and column[y] == 0:
                y += 1
            if 2 <= y - start <= 11 and 500 < start < 2000:  # between headings and frame
                rules.append((start, y - start))
        y += 1
    return rules


@pytest.mark.parametrize("path", FAXES, ids=lambda p: p.name)
@pytest.mark.parametrize("mode", [Mode.BRAILLE, Mode.HALFBLOCK])
@pytest.mark.parametrize("cells", [(80, 40), (200, 60)], ids=str)
def test_thin_ruled_lines_survive(path: Path, mode: Mode, cells: tuple[int, int]) -> None:
    page = load_page(path)
    rules = _rules(page.image)
    assert [thickness for _, thickness in rules] == list(range(2, 12))
    drawing = draw(page, mode, *cells)
    dots = DECODERS[mode](drawing.lines)
    (dots_w, dots_h), (width, height) = drawing.frame.dots, page.size
    grey = page.image.convert("L")
    for top, thickness in rules:
        seen = total = 0
        for x in range(450, 1450, 10):  # the rules slope a little: find this one at each x
            ys = [y for y in range(top - 40, top + 50) if grey.getpixel((x, y)) == 0]
            if not ys:
                continue
            total += 1
            dot_x, dot_y = x * dots_w // width, ys[0] * dots_h // height
            seen += any((dot_x, dot_y + d) in dots for d in (-1, 0, 1))
        assert total > 80
        assert seen / total >= 0.95, f"the {thickness}-pixel rule at y={top} fades"


def test_a_one_pixel_line_survives_and_dust_does_not(tmp_path: Path) -> None:
    image = Image.new("1", (1728, 2200), 1)
    pen = ImageDraw.Draw(image)
    pen.line([(100, 1000), (1600, 1000)], fill=0)  # across, 1 pixel thick
    pen.line([(864, 100), (864, 900)], fill=0)  # down, 1 pixel thick
    for x in range(100, 1600, 97):  # specks of 2x2 pixels in the lower half
        for y in range(1300, 2100, 89):
            pen.rectangle([(x, y), (x + 1, y + 1)], fill=0)
    image.save(tmp_path / "dust.tif", compression="group4", dpi=(204, 196))
    page = load_page(tmp_path / "dust.tif")
    for mode in (Mode.BRAILLE, Mode.HALFBLOCK):
        drawing = draw(page, mode, 80, 40)
        dots = DECODERS[mode](drawing.lines)
        dots_w, dots_h = drawing.frame.dots
        across = {x for x, y in dots if abs(y - 1000 * dots_h // 2200) <= 1}
        down = {y for x, y in dots if abs(x - 864 * dots_w // 1728) <= 1}
        assert len(across) >= 0.95 * 1500 * dots_w / 1728
        assert len(down) >= 0.95 * 800 * dots_h / 2200
        assert not [y for _, y in dots if y > 1250 * dots_h / 2200], "dust drawn"


# --- the encoders --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_braille_and_halfblocks_round_trip(seed: int) -> None:
    import random

    rng = random.Random(seed)
    width, height = 2 * rng.randint(1, 40), 4 * rng.randint(1, 20)
    picture = Image.new("1", (width, height), 1)
    for _ in range(width * height // 3):
        picture.putpixel((rng.randrange(width), rng.randrange(height)), 0)
    assert decode_braille(braille_lines(picture)) == ink(picture)
    assert decode_halfblock(halfblock_lines(picture)) == ink(picture)


def test_every_dot_lands_on_its_own_bit() -> None:
    for x in range(2):
        for y in range(4):
            picture = Image.new("1", (2, 4), 1)
            picture.putpixel((x, y), 0)
            [char] = braille_lines(picture)
            bit = {v: k for k, v in BRAILLE_DOT.items()}[(x, y)]
            assert char == chr(0x2800 + (1 << bit))
    assert braille_lines(Image.new("1", (4, 4), 1)) == ["  "]
    assert braille_lines(Image.new("1", (2, 4), 0)) == ["⣿"]
    assert halfblock_lines(Image.new("1", (1, 2), 0)) == ["█"]


def test_a_picture_of_broken_cells_is_refused() -> None:
    with pytest.raises(ValueError, match="not whole"):
        braille_lines(Image.new("1", (3, 4), 1))


# --- geometry: fit, zoom, pan, resolution ----------------------------------------------------


def test_fit_page_keeps_the_page_proportions() -> None:
    page = load_page(FAXES[1])
    for cols, rows in [(80, 40), (200, 60), (40, 100)]:
        frame = draw(page, Mode.BRAILLE, cols, rows).frame
        dots_w, dots_h = frame.dots
        assert frame.cells[0] <= cols and frame.cells[1] <= rows
        assert cols in frame.cells or rows in frame.cells  # it fills one way
        # braille dots in a 1:2 cell are square; the page is 8.47 x 11.24 inches
        assert dots_w / dots_h == pytest.approx((1728 / 204) / (2204 / 196), rel=0.03)
        assert frame.box == (0, 0, 1728, 2204)


def test_fit_width_shows_the_top_and_pans_down() -> None:
    page = load_page(FAXES[1])
    view = View(fit=Fit.WIDTH)
    first = draw(page, Mode.BRAILLE, 80, 20, view).frame
    assert first.cells == (80, 20)
    left, top, right, bottom = first.box
    assert (left, top, right) == (0, 0, 1728)
    assert bottom == pytest.approx(1728 / 160 * 80 / (204 / 196), rel=0.01)  # 80 dot rows
    seen = [first.box]
    for _ in range(20):
        view = view.panned(draw(page, Mode.BRAILLE, 80, 20, view).frame, 0, 1)
        seen.append(draw(page, Mode.BRAILLE, 80, 20, view).frame.box)
    assert seen[1][1] == pytest.approx(bottom)  # one screen down
    assert seen[-1][3] == pytest.approx(2204)  # and it stops at the bottom
    assert seen[-1] == seen[-2]


def test_zoom_keeps_the_middle_and_pans_within_the_page() -> None:
    page = load_page(FAXES[0])
    whole = draw(page, Mode.BRAILLE, 60, 30).frame
    view = View().zoomed(4, whole)
    frame = draw(page, Mode.BRAILLE, 60, 30, view).frame
    left, top, right, bottom = frame.box
    fit_scale = whole.dots[0] / 2 / 1728  # cells per page pixel at fit page
    assert right - left == pytest.approx(60 / (4 * fit_scale), rel=0.02)
    assert (left + right) / 2 == pytest.approx(864) and (top + bottom) / 2 == pytest.approx(1110)
    for _ in range(10):
        view = view.panned(frame, -1, -1)
        frame = draw(page, Mode.BRAILLE, 60, 30, view).frame
    assert frame.box[:2] == (0, 0)
    assert View().zoomed(1000).zoom == 16 and View().zoomed(0.001).zoom == 1


def test_zoomed_in_is_the_part_of_the_page_closer() -> None:
    page = load_page(FAXES[1])
    view = View(zoom=4, x=0.3, y=0.12)  # the heading
    close = draw(page, Mode.BRAILLE, 60, 30, view)
    size = close.frame.dots
    dots = {d for d in decode_braille(close.lines) if d[0] < size[0] and d[1] < size[1]}
    like = Likeness(page.image, dots, size, close.frame.box)
    assert like.iou >= 0.75 and like.recall >= 0.98
    assert max(like.iou_mirrored, like.iou_flipped) <= like.iou - 0.3


def test_standard_resolution_is_drawn_twice_as_tall(tmp_path: Path) -> None:
    fine = load_page(FAXES[1])
    half = fine.image.convert("L").resize((1728, 1102), Image.Resampling.BOX)
    standard_path = tmp_path / "standard.tif"
    half.point(lambda v: 255 if v >= 128 else 0).convert("1").save(
        standard_path, compression="group4", dpi=(204, 98)
    )
    standard = load_page(standard_path)
    assert standard.aspect == pytest.approx(204 / 98)
    for mode in (Mode.BRAILLE, Mode.HALFBLOCK):
        a, b = draw(fine, mode, 80, None), draw(standard, mode, 80, None)
        assert b.frame.dots == pytest.approx(a.frame.dots, abs=2)
        assert iou(DECODERS[mode](a.lines), DECODERS[mode](b.lines)) >= 0.7


STANDARD = DATA / "efix-text-standard.tif"  # efix's text at 204 x 98 dpi (tests/data/README.md)


@pytest.mark.skipif(not STANDARD.exists(), reason="efix-text-standard.tif not in tests/data")
def test_a_real_standard_resolution_fax() -> None:
    page = load_page(STANDARD)
    assert page.size == (1728, 1144) and page.aspect == pytest.approx(204 / 98)
    drawing = draw(page, Mode.BRAILLE, 80, 40)
    dots_w, dots_h = drawing.frame.dots
    assert dots_w / dots_h == pytest.approx((1728 / 204) / (1144 / 98), rel=0.03)
    dots = decode_braille(drawing.lines)
    like = Likeness(page.image, dots, drawing.frame.dots)
    assert like.recall >= 0.98 and like.invented <= 0.01 and like.iou >= 0.75
    # Its 32 lines of text are thin: cut at mid-grey, Pillow's reduction is blank; here they
    # cover a third of the page's height and more.
    assert len({y for _, y in dots}) >= 0.3 * dots_h


def test_pixel_modes_draw_whole_cells_in_one_bit() -> None:
    page = load_page(FAXES[0])
    drawing = draw(page, Mode.SIXEL, 80, 40, cell=(9, 18))
    assert drawing.picture is not None and drawing.picture.mode == "1"
    cols, rows = drawing.cells
    assert drawing.picture.size == (cols * 9, rows * 18)
    assert drawing.lines == ()
    dots = ink(drawing.picture)
    like = Likeness(page.image, dots, drawing.frame.dots)
    assert like.recall >= 0.98 and like.iou >= 0.75


def test_a_mode_that_draws_nothing_is_refused() -> None:
    page = load_page(FAXES[0])
    for mode in (Mode.AUTO, Mode.NONE):
        with pytest.raises(ValueError):
            draw(page, mode, 80, 40)
    with pytest.raises(ValueError):
        layout((100, 100), 1.0, 0, 10, per_cell=(2, 4))


def test_text_is_plain_rich_text() -> None:
    drawing = draw(load_page(FAXES[0]), Mode.BRAILLE, 30, 10)
    text = drawing.text("black on white")
    assert text.plain.split("\n") == list(drawing.lines)
    assert not text.spans and str(text.style) == "black on white"
    assert drawing.renderable().plain == text.plain  # type: ignore[union-attr]


# --- loading ---------------------------------------------------------------------------------


def make_multipage(path: Path) -> Path:
    first, second = (Image.open(f) for f in FAXES)
    with first, second:
        first.save(path, compression="group4", save_all=True, append_images=[second])
    return path


def test_pages_count_from_one(tmp_path: Path) -> None:
    path = make_multipage(tmp_path / "two.tif")
    one, two = load_page(path, 1), load_page(path, 2)
    assert (one.number, one.count, two.number, two.count) == (1, 2, 2, 2)
    assert one.size == (1728, 2220) and two.size == (1728, 2204)
    with pytest.raises(PageError, match=r"two\.tif: has 2 pages, there is no page 3"):
        load_page(path, 3)
    with pytest.raises(PageError, match="pages count from 1"):
        load_page(path, 0)


def bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Broken inputs, and what the error must say about each."""
    good = FAXES[1].read_bytes()
    cases = {
        "missing": (tmp_path / "missing.tif", None, "no such file"),
        "empty": (tmp_path / "empty.tif", b"", r"empty file \(0 bytes\)"),
        "text": (tmp_path / "notes.tif", b"hello, not a fax\n", "not an image"),
        "cut short": (tmp_path / "cut.tif", good[: len(good) // 2], "TIFF file, but damaged"),
        "bad data": (
            tmp_path / "scrambled.tif",
            good[:8] + bytes(range(256)) * 8 + good[8 + 2048 :],
            r"page 1 is damaged or cut short \(Fax4Decode: Bad code word",
        ),
        "directory": (tmp_path / "dir.tif", None, "is a directory"),
    }
    (tmp_path / "dir.tif").mkdir()
    for path, content, _ in cases.values():
        if content is not None:
            path.write_bytes(content)
    return {name: (path, says) for name, (path, _, says) in cases.items()}


def test_bad_files_get_a_reason_and_no_noise(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    for name, (path, says) in bad_files(tmp_path).items():
        with pytest.raises(PageError, match=says) as caught:
            load_page(path)
        assert str(caught.value).startswith(f"{path}: "), name
    out, err = capfd.readouterr()
    assert out == "" and err == "", "libtiff or Pillow wrote to the terminal"


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.tif"
    path.write_bytes(FAXES[0].read_bytes())
    if os.geteuid() == 0:  # root reads anything: make the read fail as it would for a user

        def denied(self: Path) -> bytes:
            raise PermissionError(13, "Permission denied", str(self))

        monkeypatch.setattr(Path, "read_bytes", denied)
    else:
        path.chmod(0)
    with pytest.raises(PageError, match=r"locked\.tif: permission denied"):
        load_page(path)


def test_images_other_than_faxes_are_cut_to_one_bit(tmp_path: Path) -> None:
    picture = Image.new("RGBA", (400, 300), (0, 0, 0, 0))  # transparent: paper
    ImageDraw.Draw(picture).rectangle([(50, 50), (350, 100)], fill=(40, 40, 200, 255))
    picture.save(tmp_path / "logo.png")
    page = load_page(tmp_path / "logo.png")
    assert page.image.mode == "1" and page.aspect == 1.0
    assert page.image.getbbox() is not None
    assert ink(page.image) == {(x, y) for x in range(50, 351) for y in range(50, 101)}


# --- the cache -------------------------------------------------------------------------------


def test_cache_hands_out_the_same_drawing_until_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "fax.tif"
    path.write_bytes(FAXES[0].read_bytes())
    cache = PreviewCache()
    first = cache.draw(path, 1, Mode.BRAILLE, 60, 30)
    assert cache.draw(path, 1, Mode.BRAILLE, 60, 30) is first
    assert cache.draw(path, 1, Mode.BRAILLE, 60, 30, View(zoom=2)) is not first
    path.write_bytes(FAXES[1].read_bytes())  # another page in the same file
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    again = cache.draw(path, 1, Mode.BRAILLE, 60, 30)
    assert again is not first
    assert again.lines == draw(load_page(FAXES[1]), Mode.BRAILLE, 60, 30).lines
    path.unlink()
    with pytest.raises(PageError, match="no such file"):
        cache.draw(path, 1, Mode.BRAILLE, 60, 30)


def test_cache_forgets_the_least_recently_used() -> None:
    cache = PreviewCache(drawings=2, pages=1)
    a = cache.draw(FAXES[0], 1, Mode.BRAILLE, 40, 20)
    b = cache.draw(FAXES[0], 1, Mode.BRAILLE, 50, 20)
    assert cache.draw(FAXES[0], 1, Mode.BRAILLE, 40, 20) is a  # a is now the most recent
    cache.draw(FAXES[1], 1, Mode.BRAILLE, 40, 20)  # c pushes b out
    assert cache.draw(FAXES[0], 1, Mode.BRAILLE, 40, 20) is a
    assert cache.draw(FAXES[0], 1, Mode.BRAILLE, 50, 20) is not b
    assert cache.draw(FAXES[0], 1, Mode.BRAILLE, 50, 20).lines == b.lines


def test_cache_from_many_threads() -> None:
    cache = PreviewCache(drawings=8)
    jobs = [(path, cols) for path in FAXES for cols in (30, 40, 50, 60)] * 4
    expected = {(p, c): draw(load_page(p), Mode.HALFBLOCK, c, 20).lines for p, c in set(jobs)}
    with ThreadPoolExecutor(max_workers=6) as pool:
        drawn = list(pool.map(lambda j: cache.draw(j[0], 1, Mode.HALFBLOCK, j[1], 20), jobs))
    assert [d.lines for d in drawn] == [expected[job] for job in jobs]


# --- modes and detection ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "tty", "environ", "expected"),
    [
        (Mode.KITTY, False, {}, Mode.KITTY),  # forced: obeyed anywhere
        (Mode.SIXEL, True, {"TMUX": "/tmp/tmux-0/default,1,0"}, Mode.SIXEL),
        (Mode.AUTO, False, {"TERM": "xterm-kitty"}, Mode.BRAILLE),  # into a pipe or a file
        (Mode.AUTO, True, {"TERM": "xterm", "TMUX": "/tmp/tmux-0/default,1,0"}, Mode.BRAILLE),
        (Mode.AUTO, True, {"TERM": "tmux-256color"}, Mode.BRAILLE),
        (Mode.AUTO, True, {"TERM": "screen.xterm-256color", "STY": "1.pts-0"}, Mode.BRAILLE),
        (Mode.AUTO, True, {"TERM": "linux"}, Mode.HALFBLOCK),
        (Mode.AUTO, True, {"TERM": "dumb"}, Mode.BRAILLE),
        (Mode.AUTO, True, {"TERM": "xterm-256color"}, None),  # only the terminal can tell
    ],
)
def test_choose(requested: Mode, tty: bool, environ: dict[str, str], expected: Mode) -> None:
    assert graphics.choose(requested, tty=tty, environ=environ) is expected


def test_a_forced_mode_asks_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def ask(*_: object) -> bytes:
        raise AssertionError("the terminal was asked")

    monkeypatch.setattr(graphics, "_ask", ask)
    assert graphics.detect("halfblock") is Mode.HALFBLOCK
    assert graphics.detect("auto") is Mode.BRAILLE  # pytest's output is no terminal


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (b"\x1b[?62;4;6;22c", Mode.SIXEL),
        (b"\x1b_Gi=31;OK\x1b\\\x1b[?62;22c", Mode.KITTY),
        (b"\x1b_Gi=31;OK\x1b\\\x1b[?62;4;22c", Mode.SIXEL),  # both: sixel, as textual-image
        (b"\x1b_Gi=31;ENOTSUPPORTED:no\x1b\\\x1b[?64;22c", Mode.BRAILLE),
        (b"\x1b[?1;2c", Mode.BRAILLE),
        (b"", Mode.BRAILLE),  # no answer in time
    ],
)
def test_probe_reads_the_replies(
    monkeypatch: pytest.MonkeyPatch, reply: bytes, expected: Mode
) -> None:
    monkeypatch.setattr(graphics, "_ask", lambda query, timeout: reply)
    assert graphics.probe() is expected


TERMINAL_CHILD = """
import os, sys
os.close(os.open(os.ttyname(0), os.O_RDWR))  # the pty becomes our controlling terminal
from faxtui.render import graphics
{body}
"""


def in_terminal(body: str, answer: Callable[[bytes], bytes | None]) -> tuple[str, bytes]:
    """Run ``body`` in a child whose terminal is a pty played by ``answer``: given what the
    child wrote so far, the bytes to type back (or None). Returns its output and all it wrote."""
    master, slave = pty.openpty()
    code = TERMINAL_CHILD.format(body=textwrap.dedent(body))
    environ = {k: v for k, v in os.environ.items() if k not in ("TMUX", "STY")}
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=ROOT,
        env={**environ, "TERM": "xterm-256color"},
        start_new_session=True,
    )
    os.close(slave)
    written = b""
    answered = False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if not select.select([master], [], [], 1)[0]:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child has gone and the pty is closed
                break
            if not chunk:
                break
            written += chunk
            if not answered and (reply := answer(written)) is not None:
                os.write(master, reply)
                answered = True
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)
        os.close(master)
    return written.decode("utf-8", "replace"), written


def test_probe_asks_a_real_terminal_once() -> None:
    def sixel_terminal(written: bytes) -> bytes | None:
        return b"\x1b[?62;4;22c" if b"\x1b[c" in written else None

    out, written = in_terminal("print('MODE', graphics.detect('auto', timeout=10))", sixel_terminal)
    assert "MODE sixel" in out
    assert written.count(b"\x1b[c") == 1 and written.count(b"\x1b_G") == 1


def test_a_silent_terminal_gets_braille() -> None:
    out, _ = in_terminal("print('MODE', graphics.probe(timeout=0.3))", lambda written: None)
    assert "MODE braille" in out


def test_textual_image_is_imported_without_its_probe() -> None:
    body = """
    images = graphics.renderables()
    import textual_image.renderable.sixel
    print('IMPORTED', images.SixelImage.__name__)
    """
    out, written = in_terminal(body, lambda written: None)
    assert "IMPORTED Image" in out
    assert b"\x1b[c" not in written and b"\x1b_G" not in written
    # while imported plainly, it asks (so the harness would see it)
    _, written = in_terminal("import textual_image.renderable", lambda written: None)
    assert b"\x1b[c" in written


def decode_sixel(sent: str) -> Image.Image:
    """The picture in a sixel sequence (grey levels; 128 where nothing was painted)."""
    start = sent.index("\x1bP")
    body = sent[sent.index("q", start) + 1 : sent.index("\x1b\\", start)]
    size = re.match(r'"1;1;(\d+);(\d+)', body)
    assert size is not None
    picture = Image.new("L", (int(size[1]), int(size[2])), 128)
    greys: dict[str, int] = {}
    x = y = 0
    colour = "0"
    tokens = r"#(\d+)(?:;2;(\d+);(\d+);(\d+))?|(?:!(\d+))?([?-~])|([$-])"
    for token in re.finditer(tokens, body[size.end() :]):
        register, red, repeat, char, move = token[1], token[2], token[5], token[6], token[7]
        if register is not None:
            if red is not None:
                greys[register] = round(int(red) * 255 / 100)
            colour = register
        elif char is not None:
            for _ in range(int(repeat or 1)):
                for bit in range(6):
                    if (ord(char) - 63) >> bit & 1:
                        picture.putpixel((x, y + bit), greys[colour])
                x += 1
        else:
            x, y = 0, y + (6 if move == "-" else 0)
    return picture


def test_sixel_carries_the_picture_unscaled() -> None:
    import io

    from rich.console import Console

    graphics.cell_pixels()  # no terminal here: textual-image agrees on 10x20
    drawing = draw(load_page(FAXES[0]), Mode.SIXEL, 12, 10, cell=(10, 20))
    out = io.StringIO()
    Console(file=out, force_terminal=True, color_system="truecolor", width=12).print(
        drawing.renderable()
    )
    assert drawing.picture is not None
    assert decode_sixel(out.getvalue()).tobytes() == drawing.picture.convert("L").tobytes()


def test_kitty_carries_the_picture_unscaled(capfd: pytest.CaptureFixture[str]) -> None:
    import base64
    import io

    from rich.console import Console

    graphics.cell_pixels()
    drawing = draw(load_page(FAXES[0]), Mode.KITTY, 12, 10, cell=(10, 20))
    placeholders = io.StringIO()
    Console(file=placeholders, force_terminal=True, color_system="truecolor", width=12).print(
        drawing.renderable()
    )
    assert placeholders.getvalue().count("\U0010eeee") == drawing.cells[0] * drawing.cells[1]
    sent, _ = capfd.readouterr()  # the image itself goes straight to the terminal
    chunks = re.findall(r"\x1b_G([^;\x1b]*);([^\x1b]*)\x1b\\", sent)
    png = base64.b64decode("".join(payload for keys, payload in chunks if "f=100" in keys))
    assert drawing.picture is not None
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == drawing.picture.size
        assert image.convert("L").tobytes() == drawing.picture.convert("L").tobytes()
