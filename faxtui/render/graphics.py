"""How pages are drawn in this terminal: which mode, and sixel / Kitty output through textual-image.

Modes: ``sixel`` and ``kitty`` are real pixels (textual-image's renderables, fed a 1-bit picture
of exactly the pixels they will draw, so they do not scale it again); ``braille`` and
``halfblock`` are text and work anywhere; ``none`` draws nothing; ``auto`` is worked out by
:func:`detect`:

- no terminal on standard output: braille (text, and a file can take it);
- tmux or screen: braille, since sixel needs a tmux built for it and Kitty graphics need
  passthrough (a forced mode is still obeyed);
- the Linux console: half blocks (its fonts have no braille);
- otherwise the terminal is asked, the way textual-image asks it (a DA1 reply with attribute 4
  means sixel; an ``OK`` to a graphics query means Kitty; sixel wins, as there), but in one
  round trip behind the DA1 request, which every terminal answers: a reply is awaited up to a
  timeout (1 s) instead of textual-image's 0.1 s a question, which a slow SSH link misses and
  then leaves the late reply in the input (lnqs/textual-image#148).

textual-image asks at import time; :func:`renderables` imports it without that, so import
``textual_image`` modules only after it (the UI: after :func:`detect`, before Textual starts).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import select
import sys
import threading
import time
from collections.abc import Mapping
from enum import StrEnum
from types import ModuleType

from PIL import Image
from rich.console import RenderableType


class Mode(StrEnum):
    AUTO = "auto"
    SIXEL = "sixel"
    KITTY = "kitty"
    HALFBLOCK = "halfblock"
    BRAILLE = "braille"
    NONE = "none"


PIXEL_MODES = frozenset({Mode.SIXEL, Mode.KITTY})
DEFAULT_CELL = (10, 20)  # pixels, when the terminal does not say (textual-image's VT340 guess)
KITTY_MAX_CELLS = 297  # textual-image numbers Kitty placeholder rows and columns up to this
PROBE_TIMEOUT = 1.0

_DA1 = b"\x1b[c"
_DA1_REPLY = re.compile(rb"\x1b\[\?([0-9;]*)c")
# textual-image's own graphics query: a 1x1 image, answered only by terminals that speak it.
_KITTY_QUERY = b"\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
_KITTY_OK = re.compile(rb"\x1b_Gi=31;OK")
_CELL_QUERY = b"\x1b[16t"
_CELL_REPLY = re.compile(rb"\x1b\[6;([0-9]+);([0-9]+)t")


def choose(requested: Mode, *, tty: bool, environ: Mapping[str, str]) -> Mode | None:
    """The mode, if it can be told without asking the terminal; None if only it can tell."""
    if requested is not Mode.AUTO:
        return requested
    term = environ.get("TERM", "")
    if not tty or term == "dumb":
        return Mode.BRAILLE
    if term == "linux":
        return Mode.HALFBLOCK
    if environ.get("TMUX") or environ.get("STY") or term.startswith(("screen", "tmux")):
        return Mode.BRAILLE
    return None


def detect(requested: Mode | str = Mode.AUTO, *, timeout: float = PROBE_TIMEOUT) -> Mode:
    """The mode to draw in: ``requested`` unless it is ``auto``; then see the module's notes."""
    stdout = sys.__stdout__
    tty = stdout is not None and stdout.isatty()
    mode = choose(Mode(requested), tty=tty, environ=os.environ)
    return mode if mode is not None else probe(timeout)


def probe(timeout: float = PROBE_TIMEOUT) -> Mode:
    """Ask the terminal whether it draws sixel or Kitty graphics; braille if neither."""
    reply = _ask(_KITTY_QUERY, timeout)
    answer = _DA1_REPLY.search(reply)
    if answer and b"4" in answer.group(1).split(b";"):
        return Mode.SIXEL
    if _KITTY_OK.search(reply):
        return Mode.KITTY
    return Mode.BRAILLE


def cell_pixels(timeout: float = PROBE_TIMEOUT) -> tuple[int, int]:
    """A cell's size in pixels, and textual-image's too: its renderables must agree with ours."""
    from textual_image._terminal import CellSize, get_cell_size

    cached = getattr(get_cell_size, "_result", None)
    if isinstance(cached, CellSize):
        return cached.width, cached.height
    stdout = sys.__stdout__
    asked = None
    if stdout is not None and stdout.isatty():
        asked = _winsize_cell(stdout.fileno()) or _asked_cell(timeout)
    size = asked or DEFAULT_CELL
    # Its own way asks with 0.1 s timeouts and reads standard input even when that is not a
    # terminal; it keeps the answer here, so it will not ask.
    get_cell_size._result = CellSize(*size)  # type: ignore[attr-defined]
    return size


_importing = threading.Lock()


def renderables() -> ModuleType:
    """``textual_image.renderable``, imported without the terminal probe it makes at import."""
    with _importing:
        if "textual_image.renderable" not in sys.modules:
            stdout = sys.__stdout__
            sys.__stdout__ = None  # type: ignore[misc]  # it probes only if this is a terminal
            try:
                importlib.import_module("textual_image.renderable")
            finally:
                sys.__stdout__ = stdout  # type: ignore[misc]
        return sys.modules["textual_image.renderable"]


def pixel_renderable(picture: Image.Image, mode: Mode, cols: int, rows: int) -> RenderableType:
    """textual-image's sixel or Kitty renderable for a 1-bit ``picture`` of ``cols`` x ``rows``
    cells. Print it on a Console with ``force_terminal=True`` (sixel is a control sequence,
    which Rich drops for a file) and ``color_system="truecolor"`` (Kitty's placeholders carry
    the image number in their colour). Kitty's image data goes straight to ``sys.__stdout__``."""
    images = renderables()
    if mode is Mode.SIXEL:
        # Grey with two levels: its encoder takes that as a palette; mode "1" it would quantize.
        return images.SixelImage(picture.convert("L"), width=cols, height=rows)
    if mode is Mode.KITTY:
        if cols > KITTY_MAX_CELLS or rows > KITTY_MAX_CELLS:
            raise ValueError(f"Kitty graphics take at most {KITTY_MAX_CELLS} cells a side")
        return images.TGPImage(picture, width=cols, height=rows)
    raise ValueError(f"{mode} is not a pixel mode")


def _ask(query: bytes, timeout: float) -> bytes:
    """Send ``query`` and DA1 to the terminal; what came back until DA1's reply (or timeout)."""
    try:
        import termios
        import tty
    except ImportError:  # not POSIX
        return b""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return b""
    reply = b""
    try:
        saved = termios.tcgetattr(fd)
        tty.setcbreak(fd, termios.TCSANOW)
        try:
            if sys.__stdout__ is not None:
                sys.__stdout__.flush()
            os.write(fd, query + _DA1)
            deadline = time.monotonic() + timeout
            while not _DA1_REPLY.search(reply):
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    break
                reply += os.read(fd, 1024)
        finally:
            termios.tcsetattr(fd, termios.TCSANOW, saved)
    except (OSError, termios.error):
        pass
    finally:
        os.close(fd)
    return reply


def _winsize_cell(fd: int) -> tuple[int, int] | None:
    """The cell size from the kernel's window size (pixels / cells), where the terminal sets it."""
    try:
        import fcntl
        import struct
        import termios
    except ImportError:
        return None
    with contextlib.suppress(OSError):
        packed = fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8)
        rows, cols, width, height = struct.unpack("HHHH", packed)
        if rows and cols and width >= cols and height >= rows:
            return width // cols, height // rows
    return None


def _asked_cell(timeout: float) -> tuple[int, int] | None:
    answer = _CELL_REPLY.search(_ask(_CELL_QUERY, timeout))
    if answer is None:
        return None
    height, width = int(answer.group(1)), int(answer.group(2))
    return (width, height) if width > 0 and height > 0 else None
