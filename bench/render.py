"""Page preview: decoding and drawing one fine fax page, against Pillow decoding it.

For each real fax page in tests/data (efax's G3, HylaFAX's G4; 1728 pixels across, 196 lines
per inch) and each preview area (80x40 and 200x60 cells, the page fitted in whole), in every
mode, one run takes in turn:
- decode: Pillow's own ``Image.open`` + ``load`` of the page (libtiff): the yardstick;
- load: faxtui's ``load_page`` (the same decode, with Pillow's warnings and libtiff's
  messages on file descriptor 2 caught, the page checked and its proportions read);
- draw: ``draw()``: the page reduced to the dots of the area (BOX filter, the stroke-keeping
  threshold) and turned into braille or half-block text, or into the 1-bit picture for sixel
  and Kitty (cells of 10x20 pixels, textual-image's guess when a terminal does not say);
- encode (sixel, Kitty only): textual-image's renderable printed on a Rich Console into
  memory: the sixel string, or the PNG in base64 and the placeholders for Kitty.
The medians of ``reps`` runs are shown. The goal is draw/decode <= 1: drawing a page costs no
more than decoding it, so the cache of decoded pages is what saves the UI's worker time.
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from PIL import Image

from bench.common import ROOT, median, table

PAGES = [
    ROOT / "tests" / "data" / "efax-g3-fine.tif",
    ROOT / "tests" / "data" / "hylafax-g4-fine.tif",
]
AREAS = [(80, 40), (200, 60)]
CELL = (10, 20)


def run(*, reps: int = 30) -> None:
    """Measure every page, area and mode; print the table."""
    from faxtui.render import Mode

    print(f"== Page preview: decode and draw one fine page, median of {reps} runs ==")
    rows: list[list[object]] = []
    for path in PAGES:
        with Image.open(path) as image:
            print(
                f"{path.name}: {image.info.get('compression')}, {image.width}x{image.height}, "
                f"{path.stat().st_size / 1024:.1f} KB"
            )
        for cols, lines in AREAS:
            for mode in (Mode.BRAILLE, Mode.HALFBLOCK, Mode.SIXEL, Mode.KITTY):
                rows.append(_measure(path, mode, cols, lines, reps))
    print()
    print(
        table(
            [
                "page",
                "area",
                "mode",
                "cells",
                "decode ms",
                "load ms",
                "draw ms",
                "encode ms",
                "draw/decode",
                "all/decode",
                "out KB",
            ],
            rows,
            title="Decoding and drawing a page (median ms; goal draw/decode <= 1; "
            "all = load + draw + encode)",
        )
    )


def _measure(path: Path, mode: object, cols: int, lines: int, reps: int) -> list[object]:
    from faxtui.render import Mode, draw, load_page

    assert isinstance(mode, Mode)
    decode: list[float] = []
    load: list[float] = []
    drawing_ms: list[float] = []
    encode: list[float] = []
    size = 0
    for _ in range(reps):  # in turn, so drift and the allocator's moods hit all alike
        decode.append(_time(lambda: _pillow_decode(path)))
        page = load_page(path)
        load.append(_time(lambda: load_page(path)))
        start = time.perf_counter()
        drawing = draw(page, mode, cols, lines, cell=CELL)
        drawing_ms.append((time.perf_counter() - start) * 1000)
        if drawing.picture is not None:
            start = time.perf_counter()
            sent = _encode(drawing.renderable(), drawing.cells[0])
            encode.append((time.perf_counter() - start) * 1000)
            size = len(sent.encode())
        else:
            size = len("\n".join(drawing.lines).encode())
    cells = "x".join(str(n) for n in drawing.cells)
    decoded = median(decode)
    drawn = median(drawing_ms)
    encoded = median(encode) if encode else float("nan")
    total = median(load) + drawn + (encoded if encode else 0.0)
    return [
        path.name.split("-")[1],  # g3, g4
        f"{cols}x{lines}",
        str(mode),
        cells,
        decoded,
        median(load),
        drawn,
        encoded,
        drawn / decoded,
        total / decoded,
        size / 1024,
    ]


def _pillow_decode(path: Path) -> None:
    with Image.open(path) as image:
        image.load()


def _time(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return (time.perf_counter() - start) * 1000


def _encode(renderable: object, width: int) -> str:
    """What the terminal would be sent: Rich's output, and what textual-image's Kitty
    renderable writes to ``sys.__stdout__`` itself (the image data), both into memory."""
    from rich.console import Console

    out = io.StringIO()
    with _stdout_into(out):
        Console(file=out, force_terminal=True, color_system="truecolor", width=width).print(
            renderable
        )
    return out.getvalue()


@contextlib.contextmanager
def _stdout_into(sink: io.StringIO) -> Iterator[None]:
    saved = sys.__stdout__
    setattr(sys, "__stdout__", sink)  # noqa: B010 (typeshed: a TextIOWrapper)
    try:
        yield
    finally:
        setattr(sys, "__stdout__", saved)  # noqa: B010
