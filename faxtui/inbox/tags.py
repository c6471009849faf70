"""What a fax TIFF says about itself, read from its directories (IFDs) without its pixels.

The page count is the length of the IFD chain. A small walker of our own reads it, not
Pillow: Pillow's ``n_frames`` loads and sets up every frame twice (about 230 µs a page here,
against 10-20 µs), refuses to open a page larger than its decompression-bomb limit before
anything can be said about it, and reports damaged directories through ``warnings`` (stderr,
under a TUI). The walker reads at most :data:`MAX_PAGES` directories and a few KB of text, so a
hostile file costs little, and it never changes the file.

Where the sender's identity is: faxtui's own files and Asterisk's (spandsp) put the remote
station ID (TSI) in ImageDescription; HylaFAX puts the TSI on its first line and the caller ID
on the next ones (number, name, ...); spandsp's Make and Model are the far end's, HylaFAX's
are its modem's.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import struct
import time
from dataclasses import dataclass
from typing import BinaryIO

from faxtui.inbox.model import InboxState
from faxtui.t30.t4 import MAX_ROWS

MAX_PAGES = 1000  # as faxtui.documents.pages: more is not a fax, it is an accident or an attack
MAX_WIDTH = 4864  # A3 at 408 dpi, the widest page T.30 knows
MAX_HEIGHT = MAX_ROWS  # what faxtui's decoder takes: 4 m of paper at fine resolution
MAX_TEXT = 1024  # bytes of a text tag kept
MAX_ENTRIES = 1000  # entries in one directory (a fax page has about 20)
MAX_STRIPS = 65536  # strips (or tiles) of one page
MAX_VALUE_BYTES = 8 << 20  # of numbers read from one file: a bound on the work a file can cause

_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_INT_FORMATS = {1: "B", 3: "H", 4: "I", 6: "b", 8: "h", 9: "i", 13: "I"}
_TEXT_TAGS = {270: "description", 271: "make", 272: "model", 305: "software", 306: "datetime"}
_COMPRESSIONS = {
    1: "none",
    2: "MH (RLE)",
    4: "MMR",
    5: "LZW",
    6: "JPEG",
    7: "JPEG",
    8: "Deflate",
    9: "JBIG",
    10: "JBIG",
    32773: "PackBits",
    32946: "Deflate",
    34661: "JBIG",
}
_PAGE_TAGS = {
    256: "width",
    257: "height",
    258: "bits",
    259: "compression",
    274: "orientation",
    277: "samples",
    282: "x_res",
    283: "y_res",
    292: "t4_options",
    296: "unit",
}
_DATA_OFFSETS = (273, 324)  # StripOffsets, TileOffsets
_DATA_COUNTS = (279, 325)  # StripByteCounts, TileByteCounts
_OTHER_FORMATS = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"PK\x03\x04": "a ZIP archive",
}


@dataclass(frozen=True, slots=True)
class TagInfo:
    """The verdict on one file and what its tags say."""

    state: InboxState  # OK, PARTIAL, BAD or UNREADABLE
    problem: str = ""
    pages: int = 0
    width: int = 0
    height: int = 0
    x_dpi: float = 0.0
    y_dpi: float = 0.0
    resolution: str = ""
    compression: str = ""
    orientation: int = 1
    description: str = ""
    make: str = ""
    model: str = ""
    software: str = ""
    datetime: str = ""

    def station_id(self) -> str:
        """The sender's TSI: ImageDescription, or its first line (HylaFAX)."""
        return self.description.split("\n", 1)[0].strip()

    def remote_number(self) -> str:
        """The caller ID number HylaFAX writes on ImageDescription's second line."""
        lines = self.description.split("\n")
        if self.software.startswith("HylaFAX") and len(lines) > 1:
            number = lines[1].strip()
            if re.fullmatch(r"\+?[0-9][0-9 ()*#.-]*", number):
                return number
        return ""

    def received(self) -> float | None:
        """DateTime as a timestamp (local time, as TIFF writers write it), if it parses."""
        for layout in ("%Y:%m:%d %H:%M:%S", "%Y/%m/%d %H:%M:%S"):  # TIFF; spandsp uses slashes
            try:
                return time.mktime(time.strptime(self.datetime.strip(), layout))
            except (ValueError, OverflowError):
                continue
        return None


@dataclass(slots=True)
class _Page:
    width: int = 0
    height: int = 0
    bits: int = 1
    samples: int = 1
    compression: int = 1
    t4_options: int = 0
    x_res: float = 0.0
    y_res: float = 0.0
    unit: int = 2
    orientation: int = 1
    data_end: int = 0  # where its last strip (or tile) ends
    has_data: bool = False


class _Bad(Exception):
    def __init__(self, state: InboxState, problem: str) -> None:
        super().__init__(problem)
        self.state = state
        self.problem = problem


def read_tags(path: str) -> TagInfo:
    """Read ``path``'s directories; never raises for a bad file (FileNotFoundError aside)."""
    try:
        # O_NONBLOCK: a named pipe called fax.tif must not hang the reader.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise
    except PermissionError:
        return TagInfo(
            InboxState.UNREADABLE, f"permission denied (faxtui runs as uid {os.getuid()})"
        )
    except OSError as exc:
        return TagInfo(InboxState.UNREADABLE, f"cannot open: {exc.strerror or exc}")
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        return TagInfo(InboxState.BAD, "not a regular file (a folder, device, pipe or socket)")
    with open(fd, "rb", buffering=0) as file:
        try:
            return _walk(file, info.st_size)
        except _Bad as bad:
            return TagInfo(bad.state, bad.problem)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                raise
            return TagInfo(InboxState.UNREADABLE, f"read error: {exc.strerror or exc}")


def _walk(file: BinaryIO, size: int) -> TagInfo:
    head = file.read(8)
    if size == 0:
        raise _Bad(InboxState.BAD, "empty file (0 bytes)")
    if len(head) < 8 or head[:4] not in (b"II*\0", b"MM\0*"):
        kind = next((n for magic, n in _OTHER_FORMATS.items() if head.startswith(magic)), "")
        if head[:4] in (b"II+\0", b"MM\0+"):
            kind = "a BigTIFF file"
        raise _Bad(InboxState.BAD, f"not a fax TIFF: {kind or 'not a TIFF file at all'}")
    order = "<" if head[:2] == b"II" else ">"
    offset = struct.unpack(order + "I", head[4:8])[0]
    reader = _Reader(file, size, order)
    pages: list[_Page] = []
    text: dict[str, str] = {}
    seen: set[int] = set()
    problem = ""
    while offset:
        number = len(pages) + 1
        if number > MAX_PAGES:
            raise _Bad(InboxState.BAD, f"more than {MAX_PAGES} pages: not a fax")
        if offset in seen:
            problem = f"its page chain loops back after page {len(pages)}"
            break
        seen.add(offset)
        if offset < 8 or offset + 2 > size:
            problem = f"the file ends before page {number} (it is {size} bytes)"
            break
        page, offset = _directory(reader, offset, number, text if number == 1 else None)
        if page is None:
            problem = f"the file ends inside page {number}'s directory"
            break
        try:
            _check(page, number)
        except _Bad as bad:
            if not pages:
                raise
            problem = bad.problem  # the pages before it can still be shown
            break
        pages.append(page)
        if page.data_end > size:
            problem = f"the file ends inside page {number} ({size} of {page.data_end} bytes)"
            break
    if not pages:
        raise _Bad(InboxState.BAD, f"truncated: {problem}" if problem else "no pages")
    first = pages[0]
    x_dpi, y_dpi = _dpi(first)
    labels = {_resolution(*_dpi(p)) for p in pages} - {""}  # "": a cut-off page says nothing
    kinds = {_compression(p) for p in pages}
    return TagInfo(
        InboxState.PARTIAL if problem else InboxState.OK,
        problem,
        pages=len(pages),
        width=first.width,
        height=first.height,
        x_dpi=x_dpi,
        y_dpi=y_dpi,
        resolution=labels.pop() if len(labels) == 1 else "mixed" if labels else "",
        compression=kinds.pop() if len(kinds) == 1 else "mixed",
        orientation=first.orientation,
        **text,
    )


class _Reader:
    """Bounded reads of a TIFF's numbers and text, in its byte order."""

    def __init__(self, file: BinaryIO, size: int, order: str) -> None:
        self.file = file
        self.size = size
        self.order = order
        self.budget = MAX_VALUE_BYTES

    def read(self, offset: int, length: int) -> bytes | None:
        """``length`` bytes at ``offset``, or None where the file is shorter."""
        if offset + length > self.size:
            return None
        self.file.seek(offset)
        data = self.file.read(length)
        return data if len(data) == length else None

    def values(self, kind: int, count: int, field: bytes) -> tuple[float, ...] | None:
        """The numbers of one entry (its 4-byte field holds them or points at them)."""
        width = _TYPE_SIZES.get(kind, 0)
        if not width or count < 1 or count > MAX_STRIPS:
            return None
        if width * count <= 4:
            data: bytes | None = field[: width * count]
        else:
            self.budget -= width * count
            if self.budget < 0:
                raise _Bad(InboxState.BAD, "far more directory data than a fax has")
            data = self.read(struct.unpack(self.order + "I", field)[0], width * count)
        if data is None:
            return None
        if kind in (5, 10):  # (S)RATIONAL: numerator, denominator pairs
            pairs = struct.unpack(f"{self.order}{2 * count}{'I' if kind == 5 else 'i'}", data)
            return tuple(n / d if d else 0.0 for n, d in zip(pairs[::2], pairs[1::2], strict=True))
        if kind in (11, 12):
            return struct.unpack(f"{self.order}{count}{'f' if kind == 11 else 'd'}", data)
        fmt = _INT_FORMATS.get(kind)
        return struct.unpack(f"{self.order}{count}{fmt}", data) if fmt else None

    def text(self, count: int, field: bytes) -> str:
        length = min(count, MAX_TEXT)
        raw = (
            field[:length]
            if count <= 4
            else self.read(struct.unpack(self.order + "I", field)[0], length)
        )
        if raw is None:
            return ""
        return raw.split(b"\0", 1)[0].decode("utf-8", "backslashreplace")


def _directory(
    reader: _Reader, offset: int, number: int, text: dict[str, str] | None
) -> tuple[_Page | None, int]:
    """Page ``number``'s directory at ``offset`` and the offset of the next (0: the last)."""
    head = reader.read(offset, 2)
    if head is None:
        return None, 0
    count = struct.unpack(reader.order + "H", head)[0]
    if count > MAX_ENTRIES:
        raise _Bad(InboxState.BAD, f"page {number}'s directory has {count} entries: not a fax TIFF")
    body = reader.read(offset + 2, 12 * count + 4)
    if body is None:
        return None, 0
    page = _Page()
    offsets: tuple[float, ...] = ()
    counts: tuple[float, ...] = ()
    seen: set[int] = set()
    for i in range(count):
        tag, kind, n = struct.unpack_from(reader.order + "HHI", body, 12 * i)
        if tag in seen:  # each tag once, as TIFF says: a repeat is damage, or an attack
            continue
        seen.add(tag)
        field = body[12 * i + 8 : 12 * i + 12]
        if text is not None and tag in _TEXT_TAGS and kind == 2:
            text[_TEXT_TAGS[tag]] = reader.text(n, field)
        elif tag in _PAGE_TAGS or tag in _DATA_OFFSETS or tag in _DATA_COUNTS:
            values = reader.values(kind, n, field)
            if not values:
                continue
            if tag in _DATA_OFFSETS:
                offsets = values
            elif tag in _DATA_COUNTS:
                counts = values
            else:
                setattr(page, _PAGE_TAGS[tag], values[0] if tag in (282, 283) else int(values[0]))
    next_offset = struct.unpack_from(reader.order + "I", body, 12 * count)[0]
    if offsets and counts:
        page.has_data = True
        page.data_end = int(max(o + c for o, c in zip(offsets, counts, strict=False)))
    return page, next_offset


def _check(page: _Page, number: int) -> None:
    if page.width <= 0 or page.height <= 0:
        raise _Bad(InboxState.BAD, f"page {number} has no size ({page.width} x {page.height})")
    if (page.bits, page.samples) != (1, 1):
        if page.samples == 1:
            kind = f"a {page.bits}-bit grey image"
        else:
            kind = f"a colour image ({page.samples} samples of {page.bits} bits)"
        raise _Bad(
            InboxState.BAD, f"not a fax: page {number} is {kind}; a fax page is black and white"
        )
    if page.width > MAX_WIDTH:
        raise _Bad(
            InboxState.BAD,
            f"page {number} is {page.width} pixels wide: a fax page is at most {MAX_WIDTH}",
        )
    if page.height > MAX_HEIGHT:
        raise _Bad(
            InboxState.BAD,
            f"page {number} is {page.height} pixels long: faxtui reads at most {MAX_HEIGHT}",
        )
    if not page.has_data:
        raise _Bad(InboxState.BAD, f"page {number} has no image data")


def _dpi(page: _Page) -> tuple[float, float]:
    factor = {2: 1.0, 3: 2.54}.get(page.unit)
    if factor is None:  # no unit: the numbers are a ratio, not a resolution
        return 0.0, 0.0
    return round(page.x_res * factor, 1), round(page.y_res * factor, 1)


def _resolution(x_dpi: float, y_dpi: float) -> str:
    if not y_dpi:
        return ""
    for name, low, high in (("standard", 90, 110), ("fine", 180, 210), ("superfine", 370, 410)):
        if low <= y_dpi <= high and 190 <= x_dpi <= 410:
            return name
    return f"{x_dpi:g}x{y_dpi:g} dpi"


def _compression(page: _Page) -> str:
    code = int(page.compression)
    if code == 3:
        return "MR" if page.t4_options & 1 else "MH"
    return _COMPRESSIONS.get(code, f"compression {code}")
