"""T.4 page data (MH and MR) for non-ECM Class 1 fax, and fax TIFF files.

Bit strings: inside this module coded data is a ``str`` of ``"0"``/``"1"`` in line order (first
bit sent = leftmost). :func:`encode_page` packs it LSB first, which is what a Class 1 modem
sends and receives (TIFF FillOrder 2). Files written by :func:`write_fax_tiff` are packed MSB
first (FillOrder 1, the TIFF baseline).

Colours: Pillow mode ``"1"`` stores 0 for black and 255 for white; T.4 codes white and black
runs alternately, always starting with white. A row is kept as its *changing elements*: the
positions where the colour changes, the first one being the first black pixel.

Row rule used by :func:`count_rows`, :func:`line_stats` and :func:`decode_page`: the bit stream
is cut at every EOL (eleven or more zeros, then a one; the EOL itself is the last twelve of those
bits, the zeros before it are fill), giving pieces. The page starts at the first piece that
decodes as a complete 1-D row of ``width`` pixels, with or without an EOL before it (a sender
that left out the first EOL is fine); lead-in before it (fill, line noise, extra EOLs, and also
a damaged first row) is skipped. From there on every piece that, ignoring trailing zeros, holds
more than an MR tag bit is a row, bad codes or not: it occupies a scan line, and ``line_stats``
reports it as bad. Five empty pieces in a row (six EOLs: RTC) end the page; anything after them
is ignored. So rows are not "EOLs - 6", which breaks on lead-in EOLs, empty EOL pairs, a short
RTC or junk after it.

libtiff and stderr: libtiff prints decoding errors such as ``Fax3Decode1D: Bad code word`` to
stderr, which would scribble over a Textual screen; Pillow only silences libtiff's *warnings*.
:func:`decode_page` therefore installs, once per process, a libtiff error handler (through
``ctypes``, in the libtiff that Pillow loaded) that collects the messages into
``image.info["libtiff_messages"]`` (the printf format, unexpanded) or, outside a decode, logs them
at debug level. Where that libtiff cannot be found (e.g. a Pillow with libtiff linked in
statically, as on Windows), the messages still go to stderr.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import logging
import os
import re
import struct
import threading
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import BinaryIO, Final, Literal, NamedTuple

import PIL
from PIL import Image

__all__ = [
    "MAX_ROWS",
    "LineStats",
    "T4Error",
    "count_rows",
    "decode_page",
    "encode_page",
    "fax_tiff_bytes",
    "line_stats",
    "write_fax_tiff",
]

_log = logging.getLogger(__name__)

MAX_ROWS: Final = 32768
"""Most rows :func:`decode_page` accepts (4 m of paper at fine resolution; fewer for pages so
wide that Pillow's ``MAX_IMAGE_PIXELS`` would object)."""


class T4Error(ValueError):
    """Page data that cannot be turned into an image."""


class LineStats(NamedTuple):
    rows: int
    bad_lines: int


# --- Code tables (T.4 / reference Appendix A) ---------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


_WHITE_TERMINATING: Final = _words("""
    00110101 000111 0111 1000 1011 1100 1110 1111 10011 10100 00111 01000 001000 000011 110100
    110101 101010 101011 0100111 0001100 0001000 0010111 0000011 0000100 0101000 0101011
    0010011 0100100 0011000 00000010 00000011 00011010 00011011 00010010 00010011 00010100
    00010101 00010110 00010111 00101000 00101001 00101010 00101011 00101100 00101101 00000100
    00000101 00001010 00001011 01010010 01010011 01010100 01010101 00100100 00100101 01011000
    01011001 01011010 01011011 01001010 01001011 00110010 00110011 00110100
""")
_BLACK_TERMINATING: Final = _words("""
    0000110111 010 11 10 011 0011 0010 00011 000101 000100 0000100 0000101 0000111 00000100
    00000111 000011000 0000010111 0000011000 0000001000 00001100111 00001101000 00001101100
    00000110111 00000101000 00000010111 00000011000 000011001010 000011001011 000011001100
    000011001101 000001101000 000001101001 000001101010 000001101011 000011010010 000011010011
    000011010100 000011010101 000011010110 000011010111 000001101100 000001101101 000011011010
    000011011011 000001010100 000001010101 000001010110 000001010111 000001100100 000001100101
    000001010010 000001010011 000000100100 000000110111 000000111000 000000100111 000000101000
    000001011000 000001011001 000000101011 000000101100 000001011010 000001100110 000001100111
""")
# Make-up codes for 64, 128, ... 1728.
_WHITE_MAKEUP: Final = _words("""
    11011 10010 010111 0110111 00110110 00110111 01100100 01100101 01101000 01100111 011001100
    011001101 011010010 011010011 011010100 011010101 011010110 011010111 011011000 011011001
    011011010 011011011 010011000 010011001 010011010 011000 010011011
""")
_BLACK_MAKEUP: Final = _words("""
    0000001111 000011001000 000011001001 000001011011 000000110011 000000110100 000000110101
    0000001101100 0000001101101 0000001001010 0000001001011 0000001001100 0000001001101
    0000001110010 0000001110011 0000001110100 0000001110101 0000001110110 0000001110111
    0000001010010 0000001010011 0000001010100 0000001010101 0000001011010 0000001011011
    0000001100100 0000001100101
""")
# Extended make-up codes for 1792, 1856, ... 2560, the same for both colours.
_EXTENDED_MAKEUP: Final = _words("""
    00000001000 00000001100 00000001101 000000010010 000000010011 000000010100 000000010101
    000000010110 000000010111 000000011100 000000011101 000000011110 000000011111
""")

_EOL: Final = "000000000001"
_RTC_EOLS: Final = 6
_RTC_EMPTY_PIECES: Final = _RTC_EOLS - 1  # the first RTC EOL ends the last row
_EOL_RE: Final = re.compile("0{11,}1")

# 2-D (MR/MMR) mode codes. Vertical modes are keyed by a1 - b1.
_PASS: Final = "0001"
_HORIZONTAL: Final = "001"
_VERTICAL: Final = {
    0: "1",
    1: "011",
    2: "000011",
    3: "0000011",
    -1: "010",
    -2: "000010",
    -3: "0000010",
}

_REVERSED_BITS: Final = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def _codes_by_run() -> dict[str, dict[int, str]]:
    """Every code by run length, for ``"white"`` and ``"black"``."""
    tables: dict[str, dict[int, str]] = {}
    for colour, terminating, makeup in (
        ("white", _WHITE_TERMINATING, _WHITE_MAKEUP),
        ("black", _BLACK_TERMINATING, _BLACK_MAKEUP),
    ):
        codes = dict(enumerate(terminating))
        codes.update({64 * (i + 1): code for i, code in enumerate(makeup)})
        codes.update({1792 + 64 * i: code for i, code in enumerate(_EXTENDED_MAKEUP)})
        tables[colour] = codes
    return tables


_CODES: Final = _codes_by_run()
_LONGEST_RUN_CODE: Final = 13
_MAX_TABLE_RUN: Final = 2560 + 63


def _run_table(codes: dict[int, str]) -> list[str]:
    """The complete code (make-up + terminating) for each run 0..2623."""
    table = []
    for run in range(_MAX_TABLE_RUN + 1):
        makeup = run - run % 64
        table.append((codes[makeup] if makeup else "") + codes[run % 64])
    return table


_RUN_CODES: Final = (_run_table(_CODES["white"]), _run_table(_CODES["black"]))


def _run_code(run: int, colour: int) -> str:
    table = _RUN_CODES[colour]
    if run <= _MAX_TABLE_RUN:
        return table[run]
    repeats = (run - _MAX_TABLE_RUN - 1) // 2560 + 1  # leaves 64..2623 for the table
    return _EXTENDED_MAKEUP[-1] * repeats + table[run - 2560 * repeats]


# --- Bits and bytes -----------------------------------------------------------------------------


def _pack(bits: str, *, lsb_first: bool) -> bytes:
    """Bit string -> bytes, zero-padded to a whole byte."""
    if not bits:
        return b""
    bits += "0" * (-len(bits) % 8)
    data = int(bits, 2).to_bytes(len(bits) // 8, "big")
    return data.translate(_REVERSED_BITS) if lsb_first else data


def _unpack(data: bytes) -> str:
    """LSB-first bytes (Class 1 order) -> bit string in line order."""
    if not data:
        return ""
    return format(int.from_bytes(data.translate(_REVERSED_BITS), "big"), f"0{len(data) * 8}b")


_EOL_IN_BITS = re.compile("0{11}1")  # no row's codes hold 11 zeros in a row: only EOLs do


def rows_so_far(data: bytes) -> int:
    """Rows complete in the first part of a page's data (LSB first): EOLs less the one that
    opens the row in progress. RTC's EOLs count too once they have come."""
    return max(0, len(_EOL_IN_BITS.findall(_unpack(data))) - 1)


def coded_rows(data: bytes) -> int:
    """The rows of a whole coded page (LSB first, ending in RTC)."""
    return max(0, len(_EOL_IN_BITS.findall(_unpack(data))) - _RTC_EOLS)


# --- Encoding -----------------------------------------------------------------------------------


def _changing_elements(image: Image.Image) -> Iterator[list[int]]:
    """Per row: the positions where the colour changes (first one = first black pixel)."""
    if image.mode != "1":
        raise ValueError(f"fax pages must be mode '1' images, not {image.mode!r}")
    width, height = image.size
    if width < 1:
        raise ValueError("fax pages need a width of at least one pixel")
    pixels = image.convert("L").tobytes()  # one byte per pixel: 0 black, 255 white
    black, white = b"\x00", b"\xff"
    for start in range(0, width * height, width):
        end = start + width
        changes = []
        pos = pixels.find(black, start, end)
        while pos >= 0:
            changes.append(pos - start)
            pos = pixels.find(white, pos, end)
            if pos < 0:
                break
            changes.append(pos - start)
            pos = pixels.find(black, pos, end)
        yield changes


def _code_1d(changes: list[int], width: int) -> str:
    """One row in MH: alternating white and black runs, white first."""
    parts = []
    a0 = colour = 0
    for change in changes:
        parts.append(_run_code(change - a0, colour))
        a0, colour = change, colour ^ 1
    parts.append(_run_code(width - a0, colour))
    return "".join(parts)


def _code_2d(changes: list[int], reference: list[int], width: int) -> str:
    """One row in 2-D (T.4 4.2.1.3) against the reference row: pass, horizontal, vertical."""
    parts = []
    a0, colour = -1, 0  # a0 starts on an imaginary white pixel before the row
    n_changes, n_reference = len(changes), len(reference)
    while a0 < width:
        j = bisect_right(changes, a0)
        a1 = changes[j] if j < n_changes else width
        i = bisect_right(reference, a0)
        if i & 1 != colour:  # b1 must have the colour opposite to a0's
            i += 1
        b1 = reference[i] if i < n_reference else width
        b2 = reference[i + 1] if i + 1 < n_reference else width
        if b2 < a1:
            parts.append(_PASS)
            a0 = b2
        elif -3 <= a1 - b1 <= 3:
            parts.append(_VERTICAL[a1 - b1])
            a0, colour = a1, colour ^ 1
        else:
            a2 = changes[j + 1] if j + 1 < n_changes else width
            parts += (
                _HORIZONTAL,
                _run_code(a1 - max(a0, 0), colour),
                _run_code(a2 - a1, colour ^ 1),
            )
            a0 = a2
    return "".join(parts)


def _t4_bits(image: Image.Image, *, two_d: bool, k: int, min_bits_per_line: int) -> str:
    """EOL (+tag) and coded data for each row, fill before each EOL, then RTC."""
    width = image.width
    eol_bits = len(_EOL) + (1 if two_d else 0)
    parts: list[str] = []
    previous: list[int] = []
    line_bits = -1  # bits of the row before the next EOL; -1: no row yet (no fill)
    for row, changes in enumerate(_changing_elements(image)):
        one_d = not two_d or row % k == 0
        line = _code_1d(changes, width) if one_d else _code_2d(changes, previous, width)
        if line_bits >= 0:
            parts.append("0" * (min_bits_per_line - line_bits - eol_bits))
        parts.append(_EOL + ("1" if one_d else "0") if two_d else _EOL)
        parts.append(line)
        previous, line_bits = changes, len(line)
    if line_bits >= 0:
        parts.append("0" * (min_bits_per_line - line_bits - eol_bits))
    parts.append((_EOL + "1" if two_d else _EOL) * _RTC_EOLS)
    return "".join(parts)


def encode_page(
    image: Image.Image, *, two_d: bool = False, k: int = 2, min_bits_per_line: int = 0
) -> bytes:
    """T.4 page data for non-ECM phase C, packed LSB first as a Class 1 modem expects it.

    Each row is preceded by an EOL (MR: EOL plus tag bit, 1 = the row is 1-D). With ``two_d``
    every ``k``-th row (k=2 at standard, 4 at fine resolution) is 1-D and the others are 2-D.
    Zero fill goes before each EOL so that a row's data, its fill and the following EOL are at
    least ``min_bits_per_line`` bits (bit rate x minimum scan time; spandsp counts the same
    way). The page ends with RTC: six EOLs (MR: six EOL+1).
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    if min_bits_per_line < 0:
        raise ValueError("min_bits_per_line must not be negative")
    bits = _t4_bits(image, two_d=two_d, k=k, min_bits_per_line=min_bits_per_line)
    return _pack(bits, lsb_first=True)


def _t6_bits(image: Image.Image) -> str:
    """MMR (T.6): every row 2-D against the previous one (first: all white), then EOFB."""
    parts = []
    previous: list[int] = []
    for changes in _changing_elements(image):
        parts.append(_code_2d(changes, previous, image.width))
        previous = changes
    parts.append(_EOL * 2)
    return "".join(parts)


# --- Decoding (row framing and line checks) -----------------------------------------------------


class _BadRow(Exception):
    pass


@cache
def _run_lookup(colour: str) -> dict[str, tuple[int, int]]:
    """Every 13-bit prefix that starts with a code -> (run, code length)."""
    table = {}
    for run, code in _CODES[colour].items():
        free = _LONGEST_RUN_CODE - len(code)
        for tail in range(1 << free):
            table[code + format(tail, f"0{free}b") if free else code] = (run, len(code))
    return table


@cache
def _mode_lookup() -> dict[str, tuple[str | int, int]]:
    """Every 7-bit prefix that starts with a 2-D mode code -> (mode, code length)."""
    modes: dict[str, str | int] = {_PASS: "pass", _HORIZONTAL: "horizontal"}
    modes.update({code: offset for offset, code in _VERTICAL.items()})
    table: dict[str, tuple[str | int, int]] = {}
    for tail in range(128):
        key = format(tail, "07b")
        for code, mode in modes.items():
            if key.startswith(code):
                table[key] = (mode, len(code))
    return table


def _read_run(bits: str, pos: int, table: dict[str, tuple[int, int]]) -> tuple[int, int]:
    """One run (make-up codes + terminating code) at ``pos`` -> (run, new pos)."""
    total = 0
    while True:
        hit = table.get(bits[pos : pos + _LONGEST_RUN_CODE].ljust(_LONGEST_RUN_CODE, "0"))
        if hit is None:
            raise _BadRow
        run, size = hit
        pos += size
        if pos > len(bits):
            raise _BadRow
        total += run
        if run < 64:
            return total, pos


def _toggle(changes: list[int], at: int, width: int) -> None:
    if at < width:
        if changes and changes[-1] == at:  # zero-length run: two changes cancel
            changes.pop()
        else:
            changes.append(at)


def _decode_1d(bits: str, pos: int, width: int) -> tuple[list[int], int]:
    tables = (_run_lookup("white"), _run_lookup("black"))
    changes: list[int] = []
    a0 = colour = 0
    while a0 < width:
        run, pos = _read_run(bits, pos, tables[colour])
        a0 += run
        _toggle(changes, a0, width)
        colour ^= 1
    if a0 > width:
        raise _BadRow
    return changes, pos


def _decode_2d(bits: str, pos: int, width: int, reference: list[int]) -> tuple[list[int], int]:
    tables = (_run_lookup("white"), _run_lookup("black"))
    modes = _mode_lookup()
    changes: list[int] = []
    a0, colour = -1, 0
    n_reference = len(reference)
    while a0 < width:
        hit = modes.get(bits[pos : pos + 7].ljust(7, "0"))
        if hit is None:
            raise _BadRow
        mode, size = hit
        pos += size
        if pos > len(bits):
            raise _BadRow
        i = bisect_right(reference, a0)
        if i & 1 != colour:
            i += 1
        b1 = reference[i] if i < n_reference else width
        if mode == "pass":
            a0 = reference[i + 1] if i + 1 < n_reference else width
        elif mode == "horizontal":
            first, pos = _read_run(bits, pos, tables[colour])
            second, pos = _read_run(bits, pos, tables[colour ^ 1])
            a1 = max(a0, 0) + first
            a2 = a1 + second
            if (first == 0 and a0 >= 0) or (second == 0 and a1 < width):  # empty run
                raise _BadRow
            _toggle(changes, a1, width)
            _toggle(changes, a2, width)
            a0 = a2
        else:
            assert isinstance(mode, int)
            a1 = b1 + mode
            if a1 <= a0 or a1 > width:
                raise _BadRow
            _toggle(changes, a1, width)
            a0, colour = a1, colour ^ 1
    if a0 > width:
        raise _BadRow
    return changes, pos


def _is_complete_1d_row(bits: str, width: int) -> bool:
    try:
        _, pos = _decode_1d(bits, 0, width)
    except _BadRow:
        return False
    return "1" not in bits[pos:]


def _first_row(piece: str, width: int, two_d: bool | None, tagged: bool) -> str | None:
    """``piece`` as a tagged row if it is a complete 1-D row (the page starts here), else None."""
    if tagged and two_d is not False and piece[:1] == "1" and _is_complete_1d_row(piece[1:], width):
        return piece
    if (not tagged or two_d is not True) and _is_complete_1d_row(piece, width):
        return "1" + piece if two_d and not tagged else piece
    return None


def _has_row(piece: str, two_d: bool | None) -> bool:
    data = piece.rstrip("0")
    if two_d is None:  # MH or MR: a lone 1 is an MR tag (or a 3-pel white MH row)
        return data not in ("", "1")
    return len(data) > (1 if two_d else 0)


def _rows(bits: str, width: int, two_d: bool | None) -> list[str]:
    """Cut a bit string into coded rows (see the module docstring for the rule).

    Each row is the bits after its EOL, up to the next EOL: MR tag bit (with ``two_d``), row
    data, fill. A first row that came without an EOL gets a 1-D tag bit added when ``two_d``.
    """
    rows: list[str] = []
    start, empty, tagged = 0, 0, False
    for match in _EOL_RE.finditer(bits):
        piece = bits[start : match.end() - len(_EOL)]
        start = match.end()
        if not rows:
            first = _first_row(piece, width, two_d, tagged)
            if first is not None:
                rows.append(first)
        elif _has_row(piece, two_d):
            rows.append(piece)
            empty = 0
        else:
            empty += 1
            if empty >= _RTC_EMPTY_PIECES:
                return rows
        tagged = True
    tail = bits[start:]
    if not rows:
        first = _first_row(tail, width, two_d, tagged)
        if first is not None:
            rows.append(first)
    elif _has_row(tail, two_d):
        rows.append(tail)
    return rows


def _check_width(width: int) -> None:
    if not 1 <= width <= 65535:
        raise ValueError(f"width must be 1..65535, not {width}")


def count_rows(data: bytes, *, width: int = 1728, two_d: bool | None = None) -> int:
    """Scan rows in received MH/MR page data (see the row rule in the module docstring).

    ``width`` is only used to find the first row. With ``two_d=None`` the count works for MH
    and MR alike, except that an MH row coded as just ``1000`` (a white row 3 pixels wide) is
    taken for an MR tag bit; pass ``two_d`` to be exact.
    """
    _check_width(width)
    return len(_rows(_unpack(data), width, two_d))


def line_stats(data: bytes, *, width: int = 1728, two_d: bool = False) -> LineStats:
    """Rows and bad rows of received page data, for the copy-quality check (MCF or RTN).

    A row is bad when it has a code that is not in the tables, does not add up to exactly
    ``width`` pixels, or carries more than zero fill after its last run. With MR a 2-D row
    that follows a bad row is counted bad too until the next good 1-D row, as its reference
    row is damaged.
    """
    _check_width(width)
    rows = _rows(_unpack(data), width, two_d)
    bad = 0
    reference: list[int] = []
    reference_ok = True
    for row in rows:
        try:
            if two_d and row[0] == "0":
                if not reference_ok:
                    raise _BadRow
                changes, pos = _decode_2d(row, 1, width, reference)
            else:
                changes, pos = _decode_1d(row, 1 if two_d else 0, width)
            if "1" in row[pos:]:
                raise _BadRow
        except _BadRow:
            bad += 1
            reference_ok = False
        else:
            reference, reference_ok = changes, True
    return LineStats(len(rows), bad)


# --- libtiff messages ---------------------------------------------------------------------------

_HANDLER_TYPE: Final = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p)
_collector = threading.local()
_install_lock = threading.Lock()
_handler_state: dict[str, object] = {}  # "handler": the ctypes callback, kept alive


def _on_libtiff_error(module: bytes | None, fmt: bytes | None, _args: int | None) -> None:
    with contextlib.suppress(Exception):  # nothing may propagate back into C
        text = (module or b"").decode(errors="replace") + ": "
        text += (fmt or b"").decode(errors="replace")
        sink = getattr(_collector, "messages", None)
        if sink is not None:
            sink.append(text)
        else:
            _log.debug("libtiff: %s", text)


def _libtiff_path() -> str | None:
    """The libtiff that Pillow's ``_imaging`` module loaded, if it is a separate library."""
    package = Path(PIL.__file__).resolve().parent
    wheel_folders = (package.parent / "pillow.libs", package / ".dylibs")
    mapped = []
    with contextlib.suppress(OSError), open("/proc/self/maps", encoding="utf-8") as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            if len(fields) == 6 and os.path.basename(fields[5]).startswith("libtiff"):
                mapped.append(Path(fields[5].strip()))
    for path in mapped:  # Pillow's own copy first, then any other (a system Pillow's)
        if path.parent in wheel_folders:
            return str(path)
    if mapped:
        return str(mapped[0])
    for folder in wheel_folders:  # no /proc (macOS)
        found = sorted(folder.glob("libtiff*")) if folder.is_dir() else []
        if found:
            return str(found[0])
    return None


@contextlib.contextmanager
def libtiff_messages() -> Iterator[list[str]]:
    """What libtiff says while the block runs in this thread, in a list, never on stderr.

    libtiff reports bad lines of a damaged fax from C, straight to file descriptor 2, where
    they would scribble over a TUI. Its handlers are routed here once per process. Yields
    None-safe: if libtiff cannot be reached, the list stays empty and libtiff keeps stderr.
    """
    _install_error_handler()
    messages: list[str] = []
    before = getattr(_collector, "messages", None)
    _collector.messages = messages
    try:
        yield messages
    finally:
        _collector.messages = before


def libtiff_quiet() -> bool:
    """True if libtiff's errors and warnings come to faxtui, not to stderr."""
    return _install_error_handler()


def _install_error_handler() -> bool:
    """Route libtiff errors and warnings to :func:`_on_libtiff_error` (once per process)."""
    with _install_lock:
        if "installed" not in _handler_state:
            _handler_state["installed"] = False
            path = _libtiff_path()
            if path is not None:
                try:
                    library = ctypes.CDLL(path)
                    setters = (library.TIFFSetErrorHandler, library.TIFFSetWarningHandler)
                except (OSError, AttributeError):
                    _log.debug("cannot reach libtiff at %s; its errors go to stderr", path)
                else:
                    handler = _HANDLER_TYPE(_on_libtiff_error)
                    for set_handler in setters:
                        set_handler.argtypes = [_HANDLER_TYPE]
                        set_handler.restype = ctypes.c_void_p
                        set_handler(handler)
                    _handler_state.update(handler=handler, installed=True)
        return bool(_handler_state["installed"])


# --- Decoding to an image -----------------------------------------------------------------------


def decode_page(
    data: bytes,
    *,
    width: int = 1728,
    two_d: bool = False,
    rows: int | None = None,
    fine: bool = False,
) -> Image.Image:
    """Received Class 1 page data (LSB first) -> mode ``"1"`` image, decoded by libtiff.

    The rows found by the row rule (see the module docstring) are re-framed (one EOL before
    each, RTC after the last; data after RTC dropped) and wrapped in a single-strip TIFF for
    Pillow. ``rows`` overrides the row count: extra rows come out white, fewer rows crop the
    page. ``fine`` only sets the resolution (98 or 196 lines per inch) in ``image.info["dpi"]``.
    ``image.info["libtiff_messages"]`` lists libtiff's complaints. Raises :class:`T4Error` when
    there is no row at all, ``rows`` is below 1 or above :data:`MAX_ROWS`, or libtiff gives up.
    """
    _check_width(width)
    found = _rows(_unpack(data), width, two_d)
    if not found:
        raise T4Error("no scan lines in the page data")
    wanted = len(found) if rows is None else rows
    limit = MAX_ROWS
    if Image.MAX_IMAGE_PIXELS:  # stay clear of Pillow's decompression bomb check
        limit = min(limit, int(Image.MAX_IMAGE_PIXELS) // width)
    if not 1 <= wanted <= limit:
        raise T4Error(f"{wanted} scan lines of {width} pixels: not in 1..{limit}")
    decoded = min(wanted, len(found))
    eol = _EOL + "1" if two_d else _EOL
    strip = _pack("".join(_EOL + row for row in found[:decoded]) + eol * _RTC_EOLS, lsb_first=True)
    tags = _fax_tags(width, decoded, fine=fine, compression=3, two_d=two_d, fill_order=2)
    tiff = _tiff_file([(tags, strip)])

    with libtiff_messages() as messages:
        try:
            with Image.open(io.BytesIO(tiff)) as tiff_image:
                tiff_image.load()
                page = tiff_image.convert("1") if tiff_image.mode != "1" else tiff_image.copy()
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            raise T4Error(f"libtiff could not decode the page: {exc}") from exc
    if decoded < wanted:
        padded = Image.new("1", (width, wanted), 255)
        padded.paste(page, (0, 0))
        padded.info.update(page.info)
        page = padded
    page.info["libtiff_messages"] = messages
    return page


# --- TIFF files ---------------------------------------------------------------------------------

_ASCII, _SHORT, _LONG, _RATIONAL = 2, 3, 4, 5
_TYPE_FORMATS: Final = {_SHORT: "H", _LONG: "I", _RATIONAL: "II"}

_Tags = dict[int, tuple[int, tuple[int, ...] | bytes]]


def _fax_tags(
    width: int, height: int, *, fine: bool, compression: int, two_d: bool, fill_order: int
) -> _Tags:
    tags: _Tags = {
        256: (_LONG, (width,)),  # ImageWidth
        257: (_LONG, (height,)),  # ImageLength
        258: (_SHORT, (1,)),  # BitsPerSample
        259: (_SHORT, (compression,)),  # 3 = T.4, 4 = T.6
        262: (_SHORT, (0,)),  # PhotometricInterpretation: WhiteIsZero
        266: (_SHORT, (fill_order,)),  # FillOrder
        277: (_SHORT, (1,)),  # SamplesPerPixel
        278: (_LONG, (height,)),  # RowsPerStrip: one strip per page
        282: (_RATIONAL, (204, 1)),  # XResolution
        283: (_RATIONAL, (196 if fine else 98, 1)),  # YResolution
        296: (_SHORT, (2,)),  # ResolutionUnit: inch
    }
    if compression == 3:
        tags[292] = (_LONG, (1 if two_d else 0,))  # T4Options: bit 0 = 2-D coding
    else:
        tags[293] = (_LONG, (0,))  # T6Options
    return tags


def _ascii(text: str) -> bytes:
    return text.encode("ascii", "replace") + b"\0"


def _tiff_file(pages: list[tuple[_Tags, bytes]]) -> bytes:
    """Little-endian TIFF: per page its IFD, then its single strip, then long tag values."""
    out = bytearray(b"II*\0" + struct.pack("<I", 8))
    for number, (page_tags, strip) in enumerate(pages):
        tags = dict(page_tags)
        strip_at = len(out) + 2 + 12 * (len(tags) + 2) + 4  # after the IFD
        tags[273] = (_LONG, (strip_at,))  # StripOffsets
        tags[279] = (_LONG, (len(strip),))  # StripByteCounts
        extra_at = strip_at + len(strip) + len(strip) % 2
        entries, extra = bytearray(), bytearray()
        for tag in sorted(tags):
            kind, value = tags[tag]
            if isinstance(value, bytes):
                payload, count = value, len(value)
            else:
                fmt = _TYPE_FORMATS[kind]
                payload = struct.pack(f"<{fmt * (len(value) // len(fmt))}", *value)
                count = len(value) // len(fmt)
            if len(payload) <= 4:
                field = payload.ljust(4, b"\0")
            else:
                field = struct.pack("<I", extra_at + len(extra))
                extra += payload + b"\0" * (len(payload) % 2)
            entries += struct.pack("<HHI", tag, kind, count) + field
        next_at = 0 if number == len(pages) - 1 else extra_at + len(extra)
        out += struct.pack("<H", len(tags)) + entries + struct.pack("<I", next_at)
        out += strip + b"\0" * (len(strip) % 2) + extra
    return bytes(out)


def fax_tiff_bytes(
    pages: Sequence[Image.Image],
    *,
    fine: bool | Sequence[bool] = False,
    compression: Literal["group3", "group4"] = "group3",
    station_id: str = "",
    received: datetime | None = None,
    software: str = "faxtui",
) -> bytes:
    """A multi-page fax TIFF as bytes; see :func:`write_fax_tiff`."""
    if not pages:
        raise ValueError("a fax TIFF needs at least one page")
    fine_pages = [fine] * len(pages) if isinstance(fine, bool) else list(fine)
    if len(fine_pages) != len(pages):
        raise ValueError(f"{len(fine_pages)} resolutions for {len(pages)} pages")
    if compression not in ("group3", "group4"):
        raise ValueError(f"compression must be 'group3' or 'group4', not {compression!r}")
    built = []
    for number, (page, page_fine) in enumerate(zip(pages, fine_pages, strict=True)):
        if compression == "group3":
            bits = _t4_bits(page, two_d=False, k=1, min_bits_per_line=0)
        else:
            bits = _t6_bits(page)
        tags = _fax_tags(
            page.width,
            page.height,
            fine=page_fine,
            compression=3 if compression == "group3" else 4,
            two_d=False,
            fill_order=1,
        )
        tags[254] = (_LONG, (2,))  # NewSubfileType: one page of a multi-page document
        tags[274] = (_SHORT, (1,))  # Orientation: top left
        tags[297] = (_SHORT, (number, len(pages)))  # PageNumber
        if station_id:
            tags[270] = (_ASCII, _ascii(station_id))  # ImageDescription
        if software:
            tags[305] = (_ASCII, _ascii(software))  # Software
        if received is not None:
            tags[306] = (_ASCII, _ascii(received.strftime("%Y:%m:%d %H:%M:%S")))  # DateTime
        built.append((tags, _pack(bits, lsb_first=False)))
    return _tiff_file(built)


def write_fax_tiff(
    pages: Sequence[Image.Image],
    target: str | os.PathLike[str] | BinaryIO,
    *,
    fine: bool | Sequence[bool] = False,
    compression: Literal["group3", "group4"] = "group3",
    station_id: str = "",
    received: datetime | None = None,
    software: str = "faxtui",
) -> None:
    """Write mode ``"1"`` pages as a fax TIFF: one IFD and one strip per page.

    ``group3`` is MH (T4Options 0) with an EOL before each row and RTC at the end, the form
    efax/efix read; ``group4`` is MMR (T.6), which efax cannot read. MinIsWhite, FillOrder 1,
    204 dpi across and 98 or 196 (``fine``, one flag for all pages or one per page) down,
    PageNumber, ImageDescription = ``station_id`` (if any), Software, DateTime = ``received``
    (if given). ``target`` is a path or a binary file; the write is not atomic.
    """
    data = fax_tiff_bytes(
        pages,
        fine=fine,
        compression=compression,
        station_id=station_id,
        received=received,
        software=software,
    )
    if isinstance(target, str | os.PathLike):
        Path(target).write_bytes(data)
    else:
        target.write(data)
