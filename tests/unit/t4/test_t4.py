"""T.4 page coding: encode -> libtiff decode round trips, row counting, corrupt data."""

from __future__ import annotations

import itertools
import random
import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont

from faxtui.t30 import t4
from faxtui.t30.t4 import T4Error, count_rows, decode_page, encode_page, line_stats

EOL = "000000000001"
EOL_RE = re.compile("0{11,}1")

# --- helpers, written independently of the module -----------------------------------------------


def lsb_bits(data: bytes) -> str:
    """Class 1 bytes -> bits in line order (each byte LSB first)."""
    return "".join(f"{byte:08b}"[::-1] for byte in data)


def pack_lsb(bits: str) -> bytes:
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[i : i + 8][::-1], 2) for i in range(0, len(bits), 8))


def image_from_rows(rows: list[list[bool]]) -> Image.Image:
    """True = black."""
    image = Image.new("1", (len(rows[0]), len(rows)), 1)
    image.putdata([0 if black else 255 for row in rows for black in row])
    return image


def text_page(width: int = 1728, height: int = 600, seed: int = 1) -> Image.Image:
    """Lines of text plus shapes that exercise pass and vertical modes."""
    rnd = random.Random(seed)
    image = Image.new("1", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=26)
    words = ["fax", "modem", "scan", "line", "run", "code", "page", "quality", "error"]
    for y in range(60, height - 60, 38):
        draw.text((100, y), " ".join(rnd.choice(words) for _ in range(14)), font=font, fill=0)
    draw.ellipse((width - 400, 20, width - 60, max(30, min(height - 10, 360))), outline=0, width=3)
    draw.line((0, 0, width - 1, height - 1), fill=0, width=1)
    draw.rectangle((0, height - 30, 40, height - 1), fill=0)  # rows that start black
    return image


def special_page(width: int = 1728) -> Image.Image:
    """All-white, all-black, noise, stripes and rows starting or ending black."""
    rnd = random.Random(7)
    rows: list[list[bool]] = [[False] * width, [True] * width, [True] * width, [False] * width]
    rows += [[rnd.random() < 0.5 for _ in range(width)] for _ in range(6)]
    rows += [[x % 2 == 0 for x in range(width)], [x % 2 == 1 for x in range(width)]]
    for shift in range(-5, 6):  # stripes drifting by 1..5 pixels: vertical, pass, horizontal
        rows.append([(x + shift * (shift % 3)) % 40 < 13 for x in range(width)])
    rows += [
        [x < 3 or x >= width - 2 for x in range(width)],
        [x == width - 1 for x in range(width)],
    ]
    rows += [[False] * width] * 3
    return image_from_rows(rows)


MODES = [
    pytest.param(False, 1, id="MH"),
    pytest.param(True, 2, id="MR-k2"),
    pytest.param(True, 4, id="MR-k4"),
    pytest.param(True, 10_000, id="MR-all-2D"),
]
FILL = [
    pytest.param(0, id="nofill"),
    pytest.param(192, id="fill192"),
    pytest.param(1500, id="fill1500"),
]


def assert_same_pixels(got: Image.Image, expected: Image.Image) -> None:
    assert got.mode == "1"
    assert got.size == expected.size
    assert got.tobytes() == expected.tobytes()


# --- the reference example ----------------------------------------------------------------------


def test_all_white_line_matches_the_reference_bits() -> None:
    page = Image.new("1", (1728, 1), 255)
    bits = lsb_bits(encode_page(page))
    assert bits.startswith(EOL + "010011011" + "00110101" + EOL)
    assert bits.rstrip("0") == (EOL + "01001101100110101" + EOL * 6).rstrip("0")


def test_min_scan_fill_matches_the_reference_example() -> None:
    # 9600 bit/s x 20 ms = 192 bits; 17 data bits + 12 EOL bits -> 163 fill zeros
    page = Image.new("1", (1728, 1), 255)
    bits = lsb_bits(encode_page(page, min_bits_per_line=192))
    expected = EOL + "010011011" + "00110101" + "0" * 163 + EOL * 6
    assert bits[: len(expected)] == expected
    assert set(bits[len(expected) :]) <= {"0"}
    assert len(encode_page(page, min_bits_per_line=192)) == -(-len(expected) // 8)


def test_mr_page_starts_with_eol_plus_1_and_ends_with_six() -> None:
    page = Image.new("1", (1728, 3), 255)
    bits = lsb_bits(encode_page(page, two_d=True, k=2)).rstrip("0")
    white_1d = "01001101100110101"
    # row 0 is 1-D, row 1 2-D (V0 against an identical row), row 2 1-D again
    assert bits == EOL + "1" + white_1d + EOL + "0" + "1" + EOL + "1" + white_1d + (EOL + "1") * 6


def test_black_first_row_starts_with_white_zero_run() -> None:
    page = Image.new("1", (1728, 1), 0)
    bits = lsb_bits(encode_page(page))
    # white 0, black make-up 1728, black terminating 0
    assert bits.startswith(EOL + "00110101" + "0000001100101" + "0000110111" + EOL)


# --- round trips through libtiff ----------------------------------------------------------------


@pytest.mark.parametrize("fill", FILL)
@pytest.mark.parametrize(("two_d", "k"), MODES)
def test_text_page_round_trip(two_d: bool, k: int, fill: int) -> None:
    page = text_page()
    data = encode_page(page, two_d=two_d, k=k, min_bits_per_line=fill)
    assert_same_pixels(decode_page(data, two_d=two_d), page)
    assert count_rows(data) == page.height
    assert count_rows(data, two_d=two_d) == page.height
    assert line_stats(data, two_d=two_d) == (page.height, 0)


@pytest.mark.parametrize("fill", FILL)
@pytest.mark.parametrize(("two_d", "k"), MODES)
def test_special_rows_round_trip(two_d: bool, k: int, fill: int) -> None:
    page = special_page()
    data = encode_page(page, two_d=two_d, k=k, min_bits_per_line=fill)
    decoded = decode_page(data, two_d=two_d)
    assert_same_pixels(decoded, page)
    assert decoded.info["libtiff_messages"] == []
    assert count_rows(data) == page.height
    assert line_stats(data, two_d=two_d) == (page.height, 0)


@pytest.mark.parametrize("two_d", [False, True])
def test_every_run_length_round_trips(two_d: bool) -> None:
    """Runs 0..2700 of both colours, plus runs past 2560 that repeat the 2560 make-up code."""
    width = 5400
    rows = []
    for run in range(0, 2701, 3):
        rows.append([x >= run for x in range(width)])  # white run, then black
        rows.append([x < run for x in range(width)])  # black run (after white 0), then white
    rows.append([x >= 5300 for x in range(width)])
    rows.append([False] * width)
    rows.append([True] * width)
    page = image_from_rows(rows)
    data = encode_page(page, two_d=two_d, k=3)
    assert_same_pixels(decode_page(data, width=width, two_d=two_d), page)
    assert line_stats(data, width=width, two_d=two_d) == (len(rows), 0)


def test_fine_and_standard_resolution() -> None:
    data = encode_page(text_page(height=100))
    assert decode_page(data).info["dpi"] == pytest.approx((204, 98))
    assert decode_page(data, fine=True).info["dpi"] == pytest.approx((204, 196))


def test_fill_meets_the_minimum_for_every_row() -> None:
    page = special_page()
    for two_d, eol_bits in ((False, 12), (True, 13)):
        bits = lsb_bits(encode_page(page, two_d=two_d, k=4, min_bits_per_line=400))
        eols = [m.end() - 12 for m in EOL_RE.finditer(bits)]
        assert len(eols) == page.height + 6
        for start, next_eol in itertools.pairwise(eols[:-5]):
            row_and_fill = next_eol - (start + eol_bits)
            assert row_and_fill + eol_bits >= 400
        # no fill where none is needed: long noise rows are longer than 400 bits anyway
        assert eols[-6:] == list(range(eols[-6], eols[-6] + 6 * eol_bits, eol_bits))


# --- hypothesis: random small pages -------------------------------------------------------------


@st.composite
def pages(draw: st.DrawFn) -> Image.Image:
    width = draw(st.integers(1, 48))
    height = draw(st.integers(1, 10))
    first = draw(st.lists(st.booleans(), min_size=width, max_size=width))
    rows = [first]
    for _ in range(height - 1):
        how = draw(st.sampled_from(["random", "shift", "flip", "copy", "white", "black"]))
        previous = rows[-1]
        if how == "random":
            row = draw(st.lists(st.booleans(), min_size=width, max_size=width))
        elif how == "shift":  # small moves of every edge: vertical modes
            by = draw(st.integers(-4, 4))
            row = [previous[min(max(x - by, 0), width - 1)] for x in range(width)]
        elif how == "flip":
            at = draw(st.integers(0, width - 1))
            row = [*previous[:at], not previous[at], *previous[at + 1 :]]
        elif how == "copy":
            row = list(previous)
        else:
            row = [how == "black"] * width
        rows.append(row)
    return image_from_rows(rows)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    page=pages(),
    two_d=st.booleans(),
    k=st.sampled_from([1, 2, 4, 1000]),
    fill=st.sampled_from([0, 20, 144, 192]),
)
def test_random_pages_round_trip(page: Image.Image, two_d: bool, k: int, fill: int) -> None:
    data = encode_page(page, two_d=two_d, k=k, min_bits_per_line=fill)
    decoded = decode_page(data, width=page.width, two_d=two_d)
    assert_same_pixels(decoded, page)
    assert decoded.info["libtiff_messages"] == []
    assert count_rows(data, width=page.width, two_d=two_d) == page.height
    if page.width != 3:  # documented: a 3-pel all-white MH row looks like an MR tag bit
        assert count_rows(data, width=page.width) == page.height
    assert line_stats(data, width=page.width, two_d=two_d) == (page.height, 0)


@settings(max_examples=200, deadline=None)
@given(page=pages(), two_d=st.booleans())
def test_own_decoder_agrees_with_the_encoder(page: Image.Image, two_d: bool) -> None:
    """line_stats' decoder (private) rebuilds the same changing elements as the encoder."""
    width = page.width
    rows = t4._rows(lsb_bits(encode_page(page, two_d=two_d, k=3)), width, two_d)
    expected = list(t4._changing_elements(page))
    reference: list[int] = []
    for row, changes in zip(rows, expected, strict=True):
        if two_d and row[0] == "0":
            got, _ = t4._decode_2d(row, 1, width, reference)
        else:
            got, _ = t4._decode_1d(row, 1 if two_d else 0, width)
        assert got == changes
        reference = got


# --- count_rows ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fill", [0, 192])
@pytest.mark.parametrize("two_d", [False, True])
def test_count_rows_tolerates_a_missing_first_eol(two_d: bool, fill: int) -> None:
    page = text_page(height=120)
    bits = lsb_bits(encode_page(page, two_d=two_d, min_bits_per_line=fill))
    without = bits[13:] if two_d else bits[12:]  # drop EOL (+ tag) before row 0
    data = pack_lsb(without)
    assert count_rows(data) == page.height
    assert count_rows(data, two_d=two_d) == page.height
    assert_same_pixels(decode_page(data, two_d=two_d), page)


@pytest.mark.parametrize("two_d", [False, True])
def test_count_rows_ignores_lead_in_and_data_after_rtc(two_d: bool) -> None:
    page = text_page(height=80)
    bits = lsb_bits(encode_page(page, two_d=two_d))
    eol = EOL + "1" if two_d else EOL
    noisy = (
        "0" * 40  # fill before the first EOL
        + "1" * 30  # line noise that is no MH row of 1728 pels
        + eol * 3  # a sender that starts with extra EOLs
        + bits
        + "110100111010" * 30  # garbage after RTC
        + eol
        + "0011010100"
    )
    data = pack_lsb(noisy)
    assert count_rows(data) == page.height
    assert count_rows(data, two_d=two_d) == page.height
    assert line_stats(data, two_d=two_d) == (page.height, 0)
    assert_same_pixels(decode_page(data, two_d=two_d), page)


def test_count_rows_is_not_eols_minus_six_when_rows_are_empty() -> None:
    page = text_page(height=50)
    bits = lsb_bits(encode_page(page)).rstrip("0")
    # two empty EOLs in the middle of the page (damage): still 50 rows
    cut = [m.end() for m in EOL_RE.finditer(bits)][20]
    damaged = bits[:cut] + EOL * 2 + bits[cut:]
    assert count_rows(pack_lsb(damaged)) == 50
    assert len(EOL_RE.findall(damaged)) - 6 == 52


def test_count_rows_of_nothing() -> None:
    assert count_rows(b"") == 0
    assert count_rows(b"\x00" * 50) == 0
    assert count_rows(b"\xff" * 50) == 0
    assert count_rows(pack_lsb(EOL * 6)) == 0
    assert line_stats(b"") == (0, 0)


def test_truncated_rtc_still_counts_every_row() -> None:
    page = text_page(height=40)
    bits = lsb_bits(encode_page(page)).rstrip("0")
    assert bits.endswith(EOL * 6)
    data = pack_lsb(bits[: -12 * 4])  # only two RTC EOLs survived
    assert count_rows(data) == 40
    assert_same_pixels(decode_page(data), page)


# --- damaged data -------------------------------------------------------------------------------


@pytest.mark.parametrize("two_d", [False, True])
def test_bad_rows_are_counted(two_d: bool) -> None:
    page = text_page(height=200)
    data = bytearray(encode_page(page, two_d=two_d, k=4))
    rnd = random.Random(3)
    for at in rnd.sample(range(200, len(data) - 50), 12):
        data[at] ^= 1 << rnd.randrange(8)
    rows, bad = line_stats(bytes(data), two_d=two_d)
    assert 190 <= rows <= 210
    assert 1 <= bad <= rows
    image = decode_page(bytes(data), two_d=two_d)
    assert image.size == (1728, rows)


def test_mr_rows_after_a_bad_row_are_bad_until_the_next_1d_row() -> None:
    page = text_page(height=40)
    bits = lsb_bits(encode_page(page, two_d=True, k=4))
    starts = [m.end() for m in EOL_RE.finditer(bits)]
    row4 = starts[4]  # a 1-D row (tag 1) followed by three 2-D rows
    assert bits[row4] == "1"
    damaged = bits[: row4 + 1] + "0000001" + bits[row4 + 8 :]  # no such 1-D code
    assert line_stats(pack_lsb(damaged), two_d=True) == (40, 4)


def test_libtiff_complaints_are_collected_not_printed(capfd: pytest.CaptureFixture[str]) -> None:
    rnd = random.Random(11)
    rows = [
        "".join(rnd.choice("01") for _ in range(300)).replace("0" * 10, "01" * 5) for _ in range(20)
    ]
    white_row = "01001101100110101"  # the page starts at the first good row
    data = pack_lsb(EOL + white_row + "".join(EOL + row for row in rows) + EOL * 6)
    assert line_stats(data) == (21, 20)
    image = decode_page(data)
    assert image.size == (1728, 21)
    assert any("Bad code word" in message for message in image.info["libtiff_messages"])
    captured = capfd.readouterr()
    assert "Bad code word" not in captured.err
    assert captured.err == ""


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    two_d=st.booleans(),
    how=st.sampled_from(["flip", "truncate", "garbage", "zeros"]),
)
def test_corrupt_data_gives_an_image_or_t4error(seed: int, two_d: bool, how: str) -> None:
    rnd = random.Random(seed)
    width = rnd.choice([8, 30, 1728])
    if width == 1728:
        page = text_page(height=40, seed=seed % 5)
    else:
        page = image_from_rows([[rnd.random() < 0.3 for _ in range(width)] for _ in range(12)])
    data = bytearray(encode_page(page, two_d=two_d, k=2))
    if how == "flip":
        for _ in range(rnd.randint(1, 20)):
            data[rnd.randrange(len(data))] ^= 1 << rnd.randrange(8)
    elif how == "truncate":
        data = data[: rnd.randrange(len(data))]
    elif how == "garbage":
        data = bytearray(rnd.randbytes(rnd.randint(0, 3000)))
    else:
        start = rnd.randrange(len(data))
        data[start : start + rnd.randint(1, 40)] = bytes(40)
    rows_found = count_rows(bytes(data), width=width, two_d=two_d)
    stats = line_stats(bytes(data), width=width, two_d=two_d)
    assert stats.rows == rows_found
    assert 0 <= stats.bad_lines <= stats.rows
    try:
        image = decode_page(bytes(data), width=width, two_d=two_d)
    except T4Error:
        assert rows_found == 0
    else:
        assert image.mode == "1"
        assert image.size == (width, rows_found)


def test_truncated_page_decodes_the_rows_that_arrived() -> None:
    page = text_page(height=300)
    data = encode_page(page)
    half = data[: len(data) // 2]
    rows = count_rows(half)
    assert 100 < rows < 250
    image = decode_page(half)
    assert image.size == (1728, rows)
    # every row but the cut one is exact
    assert (
        image.crop((0, 0, 1728, rows - 1)).tobytes() == page.crop((0, 0, 1728, rows - 1)).tobytes()
    )


# --- decode_page arguments ----------------------------------------------------------------------


def test_rows_argument_pads_or_crops() -> None:
    page = text_page(height=100)
    data = encode_page(page)
    longer = decode_page(data, rows=130)
    assert longer.size == (1728, 130)
    assert longer.crop((0, 0, 1728, 100)).tobytes() == page.tobytes()
    assert longer.crop((0, 100, 1728, 130)).getextrema() == (255, 255)
    shorter = decode_page(data, rows=60)
    assert shorter.tobytes() == page.crop((0, 0, 1728, 60)).tobytes()


def test_decode_page_errors() -> None:
    data = encode_page(text_page(height=20))
    with pytest.raises(T4Error, match="no scan lines"):
        decode_page(b"")
    with pytest.raises(T4Error, match="no scan lines"):
        decode_page(b"\x00\x80" * 20)  # EOLs only
    with pytest.raises(T4Error, match="not in 1"):
        decode_page(data, rows=0)
    with pytest.raises(T4Error, match="not in 1"):
        decode_page(data, rows=t4.MAX_ROWS + 1)
    with pytest.raises(T4Error, match="not in 1"):  # Pillow would call this a bomb
        decode_page(encode_page(Image.new("1", (60000, 2), 255)), width=60000, rows=2000)
    with pytest.raises(ValueError, match="width"):
        decode_page(data, width=0)


def test_encode_page_argument_errors() -> None:
    with pytest.raises(ValueError, match="mode"):
        encode_page(Image.new("L", (16, 2), 255))
    with pytest.raises(ValueError, match="k must"):
        encode_page(Image.new("1", (16, 2), 255), two_d=True, k=0)
    with pytest.raises(ValueError, match="negative"):
        encode_page(Image.new("1", (16, 2), 255), min_bits_per_line=-1)


def test_t4error_is_a_value_error() -> None:
    assert issubclass(T4Error, ValueError)


def test_empty_page_is_only_rtc() -> None:
    assert lsb_bits(encode_page(Image.new("1", (1728, 0), 255))).rstrip("0") == (EOL * 6).rstrip(
        "0"
    )


@pytest.mark.parametrize("two_d", [False, True])
def test_fine_a4_page_is_fast_enough(two_d: bool) -> None:
    page = text_page(height=2200)
    started = time.perf_counter()
    data = encode_page(page, two_d=two_d, k=4)
    encoded = time.perf_counter()
    image = decode_page(data, two_d=two_d, fine=True)
    decoded = time.perf_counter()
    assert_same_pixels(image, page)
    # well under a second each on a laptop; generous bounds for slow CI machines
    assert encoded - started < 3
    assert decoded - encoded < 3


@pytest.mark.parametrize("two_d", [False, True])
def test_rows_are_counted_in_page_data_as_it_arrives(two_d: bool) -> None:
    image = Image.new("1", (1728, 120), 255)
    ImageDraw.Draw(image).rectangle((100, 10, 1600, 110), outline=0, width=3)
    data = t4.encode_page(image, two_d=two_d, k=4, min_bits_per_line=96)
    assert t4.coded_rows(data) == 120
    assert t4.rows_so_far(b"") == 0
    counts = [t4.rows_so_far(data[:n]) for n in range(0, len(data) + 1, 97)]
    assert counts == sorted(counts)  # never backwards
    assert 0 < counts[len(counts) // 2] < 120
    assert t4.rows_so_far(data) == 120 + 5  # RTC's six EOLs: five more
