"""``faxtui preview``: pages from 1, exit codes, a clear message for every bad input."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from faxtui import preview_cli
from faxtui.render import Mode, draw, load_page
from tests.unit.test_render import (
    DECODERS,
    FAXES,
    ROOT,
    Likeness,
    bad_files,
    decode_braille,
    make_multipage,
)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="faxtui")
    preview_cli.register(top.add_subparsers(dest="command"))
    return top


def preview(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = preview_cli.run(parser().parse_args(["preview", *argv]))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("mode", [Mode.BRAILLE, Mode.HALFBLOCK])
def test_a_page_is_drawn_across_the_width(capsys: pytest.CaptureFixture[str], mode: Mode) -> None:
    code, out, err = preview(capsys, str(FAXES[1]), "--mode", str(mode), "--width", "70")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 70
    page = load_page(FAXES[1])
    expected = draw(page, mode, 70)
    assert len(lines) == expected.cells[1]  # the whole page, as tall as it takes
    dots = DECODERS[mode](lines)
    width, height = expected.frame.dots
    like = Likeness(
        page.image, {d for d in dots if d[0] < width and d[1] < height}, (width, height)
    )
    assert like.recall >= 0.98 and like.iou >= 0.75


def test_auto_into_a_pipe_is_braille(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "50")
    code, out, _ = preview(capsys, str(FAXES[0]))
    assert code == 0
    assert set(out) <= {" ", "\n"} | {chr(c) for c in range(0x2801, 0x2900)}
    assert max(len(line) for line in out.splitlines()) <= 50
    assert decode_braille(out.splitlines())


def test_pages_count_from_one(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = make_multipage(tmp_path / "two.tif")
    _, first, _ = preview(capsys, str(path), "--mode", "braille", "--width", "40")
    code, second, _ = preview(
        capsys, str(path), "--page", "2", "--mode", "braille", "--width", "40"
    )
    assert code == 0
    assert first.splitlines() == [
        line.rstrip() for line in draw(load_page(FAXES[0]), Mode.BRAILLE, 40).lines
    ]
    assert second.splitlines() == [
        line.rstrip() for line in draw(load_page(FAXES[1]), Mode.BRAILLE, 40).lines
    ]
    code, out, err = preview(capsys, str(path), "--page", "3")
    assert (code, out) == (2, "")
    assert err == f"faxtui: {path}: has 2 pages, there is no page 3\n"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--page", "0"], "argument --page: pages count from 1, there is no page 0"),
        (["--page", "-2"], "argument --page: pages count from 1, there is no page -2"),
        (["--page", "two"], "argument --page: not a whole number: 'two'"),
        (["--width", "0"], "argument --width: from 1 to 1000 columns, not 0"),
        (["--mode", "ascii"], "argument --mode: invalid choice: 'ascii'"),
    ],
)
def test_bad_arguments(capsys: pytest.CaptureFixture[str], argv: list[str], says: str) -> None:
    with pytest.raises(SystemExit) as exited:
        parser().parse_args(["preview", str(FAXES[0]), *argv])
    assert exited.value.code == 2
    assert says in capsys.readouterr().err


def test_bad_files(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for name, (path, says) in bad_files(tmp_path).items():
        code = preview_cli.run(parser().parse_args(["preview", str(path)]))
        out, err = capfd.readouterr()
        assert code == 2, name
        assert out == "", name
        assert re.fullmatch(f"faxtui: {re.escape(str(path))}: .*{says}.*\n", err), (name, err)
        assert "Traceback" not in err


def test_a_hostile_file_name_is_shown_inert(capsys: pytest.CaptureFixture[str]) -> None:
    name = "/nonexistent/\x1b]0;owned\x07[red]fax[/red]\x1b[2J.tif"
    code, _, err = preview(capsys, name)
    assert code == 2
    assert "\x1b" not in err and "\x07" not in err
    assert "␛]0;owned␇[red]fax[/red]␛[2J.tif: no such file" in err


def test_sixel_is_written_at_the_cell_size(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = preview(capsys, str(FAXES[0]), "--mode", "sixel", "--width", "30")
    assert (code, err) == (0, "")
    drawing = draw(load_page(FAXES[0]), Mode.SIXEL, 30, cell=(10, 20))  # no terminal: 10x20
    cols, rows = drawing.cells
    assert out.count("\n") >= rows  # room made for the picture, then the picture over it
    assert f'\x1bP0;0;0q"1;1;{cols * 10};{rows * 20}' in out
    assert out.rstrip("\n").endswith("\x1b\\\x1b8")  # the end of the sixels, the cursor back


def test_kitty_graphics(capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TMUX", raising=False)
    monkeypatch.delenv("STY", raising=False)
    code = preview_cli.run(parser().parse_args(["preview", str(FAXES[1]), "--mode", "kitty"]))
    out, err = capfd.readouterr()
    assert (code, err) == (0, "")
    assert out.startswith("\x1b_G") and "\U0010eeee" in out


def test_kitty_in_tmux_says_why_it_may_not_show(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMUX", "/tmp/tmux-1000/default,1,0")
    preview_cli.run(parser().parse_args(["preview", str(FAXES[1]), "--mode", "kitty"]))
    assert "inside tmux" in capfd.readouterr().err


def test_a_reader_that_leaves_early_is_not_an_error() -> None:
    code = (
        "import sys; from tests.unit.test_render_cli import parser; from faxtui import preview_cli;"
        f"sys.exit(preview_cli.run(parser().parse_args(['preview', {str(FAXES[0])!r},"
        " '--mode', 'halfblock', '--width', '300'])))"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.readline()
    child.stdout.close()  # like `| head -1`
    err = child.stderr.read()
    assert child.wait(timeout=60) == 0
    assert err == b""
