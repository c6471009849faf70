"""Reading fax TIFF tags without decoding: real files from efax, HylaFAX, libtiff's tools and
faxtui's own writer, and every kind of bad file, none of which may be changed by reading."""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from faxtui.inbox import tags
from faxtui.inbox.model import InboxState
from faxtui.inbox.tags import MAX_PAGES, read_tags
from faxtui.t30 import t4

DATA = Path(__file__).resolve().parent.parent / "data"
EFAX = DATA / "efax-g3-fine.tif"  # received by HylaFAX from efax: MH, fine
HYLAFAX = DATA / "hylafax-g4-fine.tif"  # received by HylaFAX from HylaFAX: MMR, fine

needs_tiffcp = pytest.mark.skipif(shutil.which("tiffcp") is None, reason="no tiffcp")


def tool(*args: str | Path) -> None:
    subprocess.run([str(a) for a in args], check=True, capture_output=True)


def fingerprint(path: Path) -> tuple[str, int, int]:
    info = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), info.st_mtime_ns, info.st_mode


@pytest.fixture(autouse=True)
def untouched(tmp_path: Path) -> Iterator[None]:
    """Nothing a test reads is changed by the reading."""
    yield
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix == ".tif" and os.access(path, os.R_OK):
            before = fingerprint(path)
            read_tags(str(path))
            assert fingerprint(path) == before


# --- real files ------------------------------------------------------------------------------


def test_hylafax_from_efax_g3_fine() -> None:
    info = read_tags(str(EFAX))
    assert info.state is InboxState.OK and info.problem == ""
    assert (info.pages, info.width, info.height) == (1, 1728, 2220)
    assert (info.x_dpi, info.y_dpi, info.resolution) == (204.0, 196.0, "fine")
    assert info.compression == "MH"
    assert info.orientation == 1
    # HylaFAX: the TSI, then the caller ID (number, name, ...), one per line
    assert info.station_id() == "1001"
    assert info.remote_number() == "1001"
    assert info.software.startswith("HylaFAX")
    assert (info.make, info.model) == ("WWW.SOFT-SWITCH.ORG", "spandsp")
    assert info.received() == time.mktime((2026, 11, 29, 16, 21, 6, 0, 0, -1))


def test_hylafax_from_hylafax_g4_fine() -> None:
    info = read_tags(str(HYLAFAX))
    assert (info.state, info.pages, info.compression, info.resolution) == (
        InboxState.OK,
        1,
        "MMR",
        "fine",
    )
    assert (info.width, info.height) == (1728, 2204)
    assert info.station_id() == "HylaFAX A 1001"
    assert info.remote_number() == "1001"


def test_libtiff_variants_in_the_test_data() -> None:
    assert read_tags(str(DATA / "tiffcp-g3-2d.tif")).compression == "MR"
    standard = read_tags(str(DATA / "efix-text-standard.tif"))
    assert (standard.resolution, standard.y_dpi, standard.compression) == ("standard", 98.0, "MH")
    mixed = read_tags(str(DATA / "tiffcp-g4-standard-and-fine.tif"))
    assert (mixed.pages, mixed.resolution, mixed.compression) == (2, "mixed", "MMR")
    assert (mixed.height, mixed.y_dpi) == (1144, 98.0)  # the first page's


@needs_tiffcp
def test_multi_page_and_recompressed_by_tiffcp(tmp_path: Path) -> None:
    three = tmp_path / "three.tif"
    tool("tiffcp", EFAX, HYLAFAX, EFAX, three)
    info = read_tags(str(three))
    assert (info.state, info.pages, info.compression) == (InboxState.OK, 3, "mixed")
    g4 = tmp_path / "g4.tif"
    tool("tiffcp", "-c", "g4", three, g4)
    assert (read_tags(str(g4)).pages, read_tags(str(g4)).compression) == (3, "MMR")
    big_endian = tmp_path / "be.tif"
    tool("tiffcp", "-B", "-c", "g3", three, big_endian)
    assert (read_tags(str(big_endian)).pages, read_tags(str(big_endian)).compression) == (3, "MH")


@pytest.mark.skipif(shutil.which("tiffcrop") is None, reason="no tiffcrop")
def test_landscape_page_rotated_by_tiffcrop(tmp_path: Path) -> None:
    turned = tmp_path / "landscape.tif"
    tool("tiffcrop", "-R", "90", EFAX, turned)
    info = read_tags(str(turned))
    assert (info.state, info.width, info.height) == (InboxState.OK, 2220, 1728)
    assert info.orientation == 1  # the pixels turned, not the tag


@pytest.mark.skipif(shutil.which("tiffset") is None, reason="no tiffset")
def test_asterisk_spandsp_tags(tmp_path: Path) -> None:
    """spandsp writes the far end's TSI alone in ImageDescription, DateTime with slashes."""
    path = tmp_path / "asterisk.tif"
    shutil.copy(EFAX, path)
    path.chmod(0o644)
    tool("tiffset", "-s", "270", "+1 555 0199", path)
    tool("tiffset", "-s", "305", "Spandsp 20180108 201830", path)
    tool("tiffset", "-s", "306", "2026/11/30 08:15:00", path)
    tool("tiffset", "-s", "274", "6", path)
    info = read_tags(str(path))
    assert info.station_id() == "+1 555 0199"
    assert info.remote_number() == ""  # only HylaFAX writes the caller ID
    assert info.received() == time.mktime((2026, 11, 30, 8, 15, 0, 0, 0, -1))
    assert info.orientation == 6


def test_faxtui_own_writer(tmp_path: Path) -> None:
    page = Image.new("1", (1728, 40), 1)
    received = datetime(2026, 11, 29, 9, 30, 0)
    data = t4.fax_tiff_bytes(
        [page, page], fine=[True, False], station_id="+49 30 1234", received=received
    )
    path = tmp_path / "fax.tif"
    path.write_bytes(data)
    info = read_tags(str(path))
    assert (info.state, info.pages, info.resolution) == (InboxState.OK, 2, "mixed")
    assert (info.station_id(), info.software) == ("+49 30 1234", "faxtui")
    assert info.received() == received.timestamp()


def test_hostile_text_is_kept_as_it_is(tmp_path: Path) -> None:
    """Escape sequences and markup are stored raw; showing them safely is the UI's job."""
    page = Image.new("1", (1728, 8), 1)
    path = tmp_path / "hostile.tif"
    path.write_bytes(t4.fax_tiff_bytes([page], station_id="\x1b[2J[bold]x[/bold]"))
    assert read_tags(str(path)).station_id() == "\x1b[2J[bold]x[/bold]"


# --- bad files -------------------------------------------------------------------------------


def test_zero_bytes(tmp_path: Path) -> None:
    (tmp_path / "empty.tif").write_bytes(b"")
    info = read_tags(str(tmp_path / "empty.tif"))
    assert (info.state, info.problem) == (InboxState.BAD, "empty file (0 bytes)")


def test_truncated_libtiff_file_loses_its_only_directory(tmp_path: Path) -> None:
    # libtiff writes a page's directory after its data: cut short, there is no page at all
    path = tmp_path / "cut.tif"
    path.write_bytes(EFAX.read_bytes()[:20_000])
    info = read_tags(str(path))
    assert info.state is InboxState.BAD
    assert info.problem == "truncated: the file ends before page 1 (it is 20000 bytes)"


@needs_tiffcp
def test_truncated_multi_page_file_is_partial(tmp_path: Path) -> None:
    whole = tmp_path / "whole.tif"
    tool("tiffcp", EFAX, EFAX, EFAX, whole)
    data = whole.read_bytes()
    cut = tmp_path / "cut.tif"
    cut.write_bytes(data[: len(data) * 3 // 4])  # into page 3
    info = read_tags(str(cut))
    assert (info.state, info.pages) == (InboxState.PARTIAL, 2)
    assert info.problem.startswith("the file ends before page 3")


def test_truncated_inside_page_data_is_partial(tmp_path: Path) -> None:
    # faxtui writes the directory first, then the strip: the page is there, cut short
    page = Image.open(EFAX).convert("1")
    data = t4.fax_tiff_bytes([page, page], fine=True)
    path = tmp_path / "cut.tif"
    path.write_bytes(data[:-5000])
    info = read_tags(str(path))
    assert (info.state, info.pages, info.resolution) == (InboxState.PARTIAL, 2, "fine")
    assert info.problem.startswith("the file ends inside page 2")


def test_directory_chain_that_loops(tmp_path: Path) -> None:
    data = bytearray(EFAX.read_bytes())
    first = struct.unpack("<I", data[4:8])[0]
    count = struct.unpack("<H", data[first : first + 2])[0]
    next_at = first + 2 + 12 * count
    data[next_at : next_at + 4] = struct.pack("<I", first)  # page 1's next is page 1
    path = tmp_path / "loop.tif"
    path.write_bytes(bytes(data))
    info = read_tags(str(path))
    assert (info.state, info.pages) == (InboxState.PARTIAL, 1)
    assert "loops back after page 1" in info.problem


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"II*\0\xff\xff\xff\x7f", "truncated: the file ends before page 1"),
        (b"II*\0\x08\0\0\0\xff\xff" + b"\0" * 40, "entries: not a fax TIFF"),
        (b"MM\0+\0\x08\0\0", "a BigTIFF file"),
        (b"%PDF-1.7\n", "a PDF document"),
        (b"hello, world\n", "not a TIFF file at all"),
        (os.urandom(3000).replace(b"I", b"J"), "not a TIFF file at all"),
    ],
)
def test_corrupt_and_non_tiff(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "bad.tif"
    path.write_bytes(content)
    info = read_tags(str(path))
    assert info.state is InboxState.BAD
    assert words in info.problem


def test_not_a_fax_image() -> None:
    info = read_tags(str(DATA / "tiffcp-jpeg-rgb.tif"))
    assert (info.state, info.problem) == (
        InboxState.BAD,
        "not a fax: page 1 is a colour image (3 samples of 8 bits); a fax page is black and white",
    )
    grey = read_tags(str(DATA / "tiffcp-none-grey.tif"))
    assert "8-bit grey image" in grey.problem


def test_thousands_of_pages(tmp_path: Path) -> None:
    strip = Image.new("1", (1728, 1), 1)
    path = tmp_path / "huge.tif"
    strip.save(path, save_all=True, append_images=[strip] * MAX_PAGES, compression="group4")
    info = read_tags(str(path))
    assert (info.state, info.problem) == (InboxState.BAD, f"more than {MAX_PAGES} pages: not a fax")
    fewer = tmp_path / "fewer.tif"
    strip.save(fewer, save_all=True, append_images=[strip] * (MAX_PAGES - 1), compression="group4")
    assert (read_tags(str(fewer)).state, read_tags(str(fewer)).pages) == (InboxState.OK, MAX_PAGES)


def test_ten_thousand_pixels_wide(tmp_path: Path) -> None:
    path = tmp_path / "wide.tif"
    Image.new("1", (10_000, 20), 1).save(path, compression="group4", dpi=(204, 196))
    info = read_tags(str(path))
    assert info.state is InboxState.BAD
    assert info.problem == "page 1 is 10000 pixels wide: a fax page is at most 4864"


def test_a_bad_page_after_good_ones(tmp_path: Path) -> None:
    path = tmp_path / "wide-page-2.tif"
    good = Image.new("1", (1728, 20), 1)
    good.save(path, save_all=True, append_images=[Image.new("1", (10_000, 20), 1)],
              compression="group4", dpi=(204, 196))  # fmt: skip
    info = read_tags(str(path))
    assert (info.state, info.pages) == (InboxState.PARTIAL, 1)
    assert info.problem == "page 2 is 10000 pixels wide: a fax page is at most 4864"


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.tif"
    shutil.copy(EFAX, path)
    if os.geteuid() != 0:
        path.chmod(0)
    else:  # root reads anything: make the refusal happen

        def refuse(*args: object) -> int:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(tags.os, "open", refuse)
    info = read_tags(str(path))
    assert info.state is InboxState.UNREADABLE
    assert info.problem == f"permission denied (faxtui runs as uid {os.getuid()})"


def test_pipe_and_folder_are_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.tif"
    os.mkfifo(fifo)  # opening it for reading without O_NONBLOCK would wait for a writer
    assert read_tags(str(fifo)).problem == "not a regular file (a folder, device, pipe or socket)"
    (tmp_path / "folder.tif").mkdir()
    assert read_tags(str(tmp_path / "folder.tif")).state is InboxState.BAD


def test_gone_is_not_a_state_of_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_tags(str(tmp_path / "nothing.tif"))
