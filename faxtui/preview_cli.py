"""``faxtui preview FILE``: draw a page of a fax file on standard output.

The renderer of the TUI's page preview, outside the TUI: braille or half blocks anywhere (a
pipe, a file, tmux), sixel or Kitty graphics in a terminal that has them. The page fills the
width and is as tall as it needs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from rich.console import Console

from faxtui.render import Mode, Page, PageError, detect, draw, load_page
from faxtui.render.graphics import KITTY_MAX_CELLS, PIXEL_MODES, cell_pixels
from faxtui.text import plain

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
MODES = ("auto", "braille", "halfblock", "sixel", "kitty")
MAX_WIDTH = 1000


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    preview = subparsers.add_parser(
        "preview",
        help="draw a page of a fax file in the terminal",
        description="Draw a page of a fax file (TIFF, or any image) on standard output.",
    )
    preview.add_argument("file", type=Path, metavar="FILE", help="a fax (TIFF) or an image")
    preview.add_argument(
        "--page", type=_page_number, default=1, metavar="N", help="the page, from 1 (1)"
    )
    preview.add_argument(
        "--mode",
        choices=MODES,
        default="auto",
        help="how to draw (auto: ask the terminal; braille in tmux or into a pipe)",
    )
    preview.add_argument(
        "--width", type=_width, metavar="COLS", help="columns to fill (the terminal's width)"
    )


def run(args: argparse.Namespace) -> int:
    try:
        page = load_page(args.file, args.page)
    except PageError as exc:
        return _fail(str(exc), EXIT_USAGE)
    mode = detect(args.mode)
    cols = args.width or shutil.get_terminal_size().columns
    try:
        if mode in PIXEL_MODES:
            _pixels(page, mode, cols)
        else:
            lines = draw(page, mode, cols).lines
            sys.stdout.write("".join(line.rstrip() + "\n" for line in lines))
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader left (| head): not an error. Nothing more can reach it, not even the
        # flush at exit, which would complain.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except UnicodeEncodeError:
        return _fail(
            f"standard output is {sys.stdout.encoding}, without braille or block characters: "
            "use a UTF-8 locale",
            EXIT_FAILED,
        )
    return EXIT_OK


def _pixels(page: Page, mode: Mode, cols: int) -> None:
    if mode is Mode.KITTY and (os.environ.get("TMUX") or os.environ.get("STY")):
        print(
            "faxtui: inside tmux or screen, Kitty graphics need a passthrough, which "
            "textual-image does not use; --mode sixel (tmux 3.4 built with sixel) or braille "
            "may do",
            file=sys.stderr,
        )
    # Kitty's limit in textual-image, and more pixels than a page has for sixel too.
    cols, rows = min(cols, KITTY_MAX_CELLS), KITTY_MAX_CELLS
    drawing = draw(page, mode, cols, rows, cell=cell_pixels())
    console = Console(
        file=sys.stdout,
        force_terminal=True,  # sixel is a control sequence, which Rich drops for a file
        color_system="truecolor",  # Kitty's placeholders carry the image number in colour
        width=drawing.cells[0],
        legacy_windows=False,
    )
    console.print(drawing.renderable())


def _fail(message: str, code: int) -> int:
    print(f"faxtui: {plain(message)}", file=sys.stderr)
    return code


def _page_number(text: str) -> int:
    number = _integer(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"pages count from 1, there is no page {number}")
    return number


def _width(text: str) -> int:
    cols = _integer(text)
    if not 1 <= cols <= MAX_WIDTH:
        raise argparse.ArgumentTypeError(f"from 1 to {MAX_WIDTH} columns, not {cols}")
    return cols


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
