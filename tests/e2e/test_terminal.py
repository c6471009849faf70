"""`faxtui demo` in a real terminal (tmux, 80x24), driven by keys as a sysadmin would.

The pilot tests run the app headless; this one runs the installed command in a terminal
emulator, so the terminal driver, the key decoding and the exit path are the real ones.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REQUIRED = os.environ.get("FAXTUI_REQUIRE_LAB", "") not in ("", "0")


class Terminal:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, check=True, timeout=10)  # fmt: skip
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def wait_for(self, check: Callable[[str], bool], what: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if check(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} on screen after {timeout} s:\n{screen}")
            time.sleep(0.3)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    if not shutil.which("tmux"):
        why = "the terminal test needs tmux: `sudo apt-get install tmux` (.ci/run does it)"
        if REQUIRED:
            pytest.fail(f"FAXTUI_REQUIRE_LAB is set, but {why}", pytrace=False)
        pytest.skip(why)
    term = Terminal(f"faxtui-test-{os.getpid()}")
    command = (
        f"{sys.executable} -m faxtui demo --speed 4 --seed 2 --data-dir {tmp_path / 'data'}; "
        "echo faxtui-exit=$?; sleep 30"
    )
    term.tmux("new-session", "-d", "-s", "t", "-x", "80", "-y", "24", command)
    try:
        yield term
    finally:
        subprocess.run(["tmux", "-L", term.socket, "kill-server"], capture_output=True)


def test_the_demo_in_a_real_terminal(terminal: Terminal) -> None:
    screen = terminal.wait_for(
        lambda s: "demo-pbx ● up" in s and "demo-modem ● up" in s, "both sources up"
    )
    assert len(screen.splitlines()[0]) <= 80
    terminal.wait_for(lambda s: "✓" in s, "a call finished with a result")
    terminal.wait_for(lambda s: "demo-modem: fax" in s, "a call on the modem line")
    terminal.keys("?")
    terminal.wait_for(lambda s: "Keys here" in s, "the help screen")
    terminal.keys("Escape")
    terminal.wait_for(lambda s: "Keys here" not in s and "? Help" in s, "the main screen again")
    terminal.keys("Down", "Enter")
    terminal.wait_for(lambda s: "Time" in s and "What happened" in s, "a call's timeline")
    terminal.keys("Escape")  # alone: ESC then q at once reads as alt+q
    terminal.wait_for(lambda s: "h History" in s, "the main screen again")
    terminal.keys("q")
    screen = terminal.wait_for(
        lambda s: "faxtui-exit=0" in s or "will be cut off" in s,
        "a clean exit, or the question a modem call asks",
        timeout=15,
    )
    if "will be cut off" in screen:  # the demo's modem line was in a call
        terminal.keys("y")
    terminal.wait_for(lambda s: "faxtui-exit=0" in s, "a clean exit", timeout=15)
