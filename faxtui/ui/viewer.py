"""The external viewer (``[inbox] viewer``): a program with its own window, started apart.

faxtui keeps the terminal: the program gets no terminal (its input and output go nowhere, its
own session), so a viewer that wants one cannot take it over from the TUI, and the engine in the
same process runs on while it is open. What the program says on standard error before it ends
is the answer when it fails (``cannot open display``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os

from faxtui.text import plain

FILE, PAGE = "{file}", "{page}"
STDERR_KEPT = 4096  # bytes of the viewer's complaints kept for the message
QUICK = 5.0  # seconds: a viewer still running after this is taken as open; its end is not news
_REAPING: set[asyncio.Task[None]] = set()  # viewers left open (a task needs a reference)


def command_line(viewer: tuple[str, ...], path: str, page: int) -> list[str]:
    """``viewer`` with ``{file}`` and ``{page}`` filled in; without ``{file}``, the path last."""
    argv = [arg.replace(FILE, path).replace(PAGE, str(page)) for arg in viewer]
    if not any(FILE in arg for arg in viewer):
        argv.append(path)
    return argv


async def open_in_viewer(viewer: tuple[str, ...], path: str, page: int = 1) -> tuple[bool, str]:
    """Start the viewer on ``path``; (ok, words for the operator). Waits at most ``QUICK``."""
    argv = command_line(viewer, path, page)
    name = os.path.basename(argv[0])
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        return False, f"viewer {plain(argv[0])}: {exc.strerror or exc}"
    assert process.stderr is not None
    try:
        said = await asyncio.wait_for(process.stderr.read(STDERR_KEPT), QUICK)
        code = await asyncio.wait_for(process.wait(), QUICK)
    except TimeoutError:
        reaping = asyncio.get_running_loop().create_task(_reap(process))
        _REAPING.add(reaping)
        reaping.add_done_callback(_REAPING.discard)
        return True, f"{plain(os.path.basename(path))} opened in {plain(name)}"
    if code == 0:
        return True, f"{plain(os.path.basename(path))} handed to {plain(name)}"
    lines = said.decode(errors="replace").strip().splitlines()
    why = f": {plain(lines[-1])}" if lines else ""
    return False, f"viewer {plain(name)} failed (exit {code}){why}"


async def _reap(process: asyncio.subprocess.Process) -> None:
    """Wait for a viewer left open, so it does not linger as a zombie."""
    with contextlib.suppress(Exception):
        assert process.stderr is not None
        while await process.stderr.read(STDERR_KEPT):
            pass
        await process.wait()
