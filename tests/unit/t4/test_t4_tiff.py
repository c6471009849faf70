"""Fax TIFF files: one IFD and one strip per page, readable by Pillow (and efax's reader)."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageSequence, TiffImagePlugin

from faxtui.t30.t4 import fax_tiff_bytes, write_fax_tiff

EOL = "000000000001"


def page(height: int, seed: int) -> Image.Image:
    image = Image.new("1", (1728, height), 255)
    draw = ImageDraw.Draw(image)
    for i in range(0, height - 40, 50):
        draw.rectangle((100 + seed * 30 + i, i + 5, 400 + i * 2, i + 30), fill=0)
        draw.text((900, i + 10), f"page {seed} line {i}", fill=0)
    draw.line((0, height - 1, 1727, 0), fill=0)
    return image


def read_ifds(data: bytes) -> list[dict[int, tuple[int, int, bytes]]]:
    """A small independent TIFF reader: per IFD, tag -> (type, count, value field bytes)."""
    assert data[:4] == b"II*\0"
    (offset,) = struct.unpack_from("<I", data, 4)
    ifds = []
    while offset:
        (count,) = struct.unpack_from("<H", data, offset)
        entries = {}
        for i in range(count):
            (
                tag,
                kind,
                n,
            ) = struct.unpack_from("<HHI", data, offset + 2 + 12 * i)
            entries[tag] = (kind, n, data[offset + 2 + 12 * i + 8 : offset + 2 + 12 * i + 12])
        assert list(entries) == sorted(entries), "tags must be in ascending order"
        ifds.append(entries)
        (offset,) = struct.unpack_from("<I", data, offset + 2 + 12 * count)
    return ifds


def open_tiff(source: Path | bytes) -> TiffImagePlugin.TiffImageFile:
    image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
    assert isinstance(image, TiffImagePlugin.TiffImageFile)
    return image


def frames(tiff: TiffImagePlugin.TiffImageFile) -> Iterator[TiffImagePlugin.TiffImageFile]:
    """Each page in turn (the same object, seeked)."""
    for frame in ImageSequence.Iterator(tiff):
        assert isinstance(frame, TiffImagePlugin.TiffImageFile)
        yield frame


def inline(entry: tuple[int, int, bytes]) -> int:
    kind, _, field = entry
    return struct.unpack_from("<H" if kind == 3 else "<I", field)[0]


PAGES = [page(2200, 1), page(1100, 2), page(300, 3)]
FINE = [True, False, True]
RECEIVED = datetime(2026, 5, 1, 12, 30, 5)


@pytest.mark.parametrize("compression", ["group3", "group4"])
def test_pillow_reads_every_page_back(tmp_path: Path, compression: str) -> None:
    target = tmp_path / "fax.tif"
    write_fax_tiff(
        PAGES,
        target,
        fine=FINE,
        compression=compression,  # type: ignore[arg-type]
        station_id="+49 30 1234567",
        received=RECEIVED,
    )
    with open_tiff(target) as tiff:
        assert tiff.n_frames == 3
        for number, frame in enumerate(frames(tiff)):
            expected = PAGES[number]
            assert frame.size == expected.size
            assert frame.mode == "1"
            assert frame.info["compression"] == compression
            assert frame.info["dpi"] == pytest.approx((204, 196 if FINE[number] else 98))
            assert frame.convert("1").tobytes() == expected.tobytes()
            tags = frame.tag_v2
            assert len(tags[273]) == 1  # StripOffsets: a single strip
            assert tags[278] == expected.height  # RowsPerStrip
            assert tags[262] == 0  # MinIsWhite
            assert tags[297] == (number, 3)  # PageNumber
            assert tags[270] == "+49 30 1234567"
            assert tags[305] == "faxtui"
            assert tags[306] == "2026:05:01 12:30:05"


def test_group3_file_is_what_efax_reads() -> None:
    """efax: compression 3, no 2-D bit in T4Options, one strip offset, data starting with EOL."""
    data = fax_tiff_bytes(PAGES[1:], fine=False)
    ifds = read_ifds(data)
    assert len(ifds) == 2
    for ifd, expected in zip(ifds, PAGES[1:], strict=True):
        assert inline(ifd[259]) == 3
        assert inline(ifd[292]) & 0b11 == 0
        assert ifd[273][1] == 1 and ifd[279][1] == 1
        assert inline(ifd[256]) == 1728 and inline(ifd[257]) == expected.height
        assert inline(ifd[266]) == 1  # FillOrder MSB first
        assert inline(ifd[254]) == 2  # NewSubfileType: page
        offset, size = inline(ifd[273]), inline(ifd[279])
        strip = data[offset : offset + size]
        bits = "".join(f"{byte:08b}" for byte in strip)
        assert bits.startswith(EOL)
        assert bits.rstrip("0").endswith(EOL * 6)  # RTC, as libtiff writes it
        assert offset + size <= len(data)
    assert 270 not in ifds[0] and 306 not in ifds[0]  # no station id, no date given


def test_write_to_a_file_object_and_defaults() -> None:
    out = io.BytesIO()
    write_fax_tiff([PAGES[2]], out)
    with open_tiff(out.getvalue()) as tiff:
        assert tiff.n_frames == 1
        assert tiff.info["dpi"] == pytest.approx((204, 98))
        assert tiff.info["compression"] == "group3"
        assert tiff.tag_v2[297] == (0, 1)
        assert tiff.convert("1").tobytes() == PAGES[2].tobytes()
    assert out.getvalue() == fax_tiff_bytes([PAGES[2]])


def test_one_fine_flag_for_all_pages() -> None:
    with open_tiff(fax_tiff_bytes(PAGES[1:], fine=True)) as tiff:
        assert tiff.n_frames == 2
        for frame in frames(tiff):
            assert frame.info["dpi"] == pytest.approx((204, 196))


def test_non_ascii_station_id_is_replaced() -> None:
    data = fax_tiff_bytes([PAGES[2]], station_id="Müller")
    with open_tiff(data) as tiff:
        assert tiff.tag_v2[270] == "M?ller"


def test_argument_errors() -> None:
    with pytest.raises(ValueError, match="at least one page"):
        fax_tiff_bytes([])
    with pytest.raises(ValueError, match="resolutions"):
        fax_tiff_bytes(PAGES, fine=[True])
    with pytest.raises(ValueError, match="compression"):
        fax_tiff_bytes(PAGES, compression="lzw")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mode"):
        fax_tiff_bytes([PAGES[0].convert("L")])


@pytest.mark.skipif(shutil.which("tiffinfo") is None, reason="libtiff-tools not installed")
def test_tiffinfo_sees_one_strip_per_page(tmp_path: Path) -> None:
    target = tmp_path / "fax.tif"
    write_fax_tiff(PAGES, target, fine=FINE)
    report = subprocess.run(
        ["tiffinfo", str(target)], capture_output=True, text=True, check=True
    ).stdout
    assert report.count("TIFF Directory") == 3
    assert report.count("Rows/Strip:") == 3
    assert "CCITT Group 3" in report
