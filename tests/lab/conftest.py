"""The fax lab: two iaxmodem software modems (spandsp inside) calling each other on 127.0.0.1.

iaxmodem and efax come from Debian (`.ci/run` installs them). iaxmodem must start as root
(it then drops to uucp) or inside `unshare -r`. After every hang-up a modem rejects calls
for five seconds, so each test waits that out before it dials.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

BUSY_OUT = 5.5  # iaxmodem refuses calls this long after a hang-up (lab trap 5)
# .ci/run sets it: there the lab must run, and a reason to skip is a failure
REQUIRED = os.environ.get("FAXTUI_REQUIRE_LAB", "") not in ("", "0")


def unavailable(why: str) -> None:
    """Skip, saying how to enable the lab tests; fail where they are required."""
    if REQUIRED:
        pytest.fail(f"FAXTUI_REQUIRE_LAB is set, but {why}", pytrace=False)
    pytest.skip(why)


@dataclass
class Lab:
    folder: Path
    a: Path  # the pty of modem A, number 1001
    b: Path  # the pty of modem B, number 1002

    def settle(self) -> None:
        time.sleep(BUSY_OUT)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(folder: Path, me: str, port: int, peer: int, number: str) -> Path:
    path = folder / f"ttyIAX{me}"
    path.write_text(
        f"device\t\t{folder}/dev{me}\nowner\t\troot:root\nmode\t\t660\nport\t\t{port}\n"
        f"refresh\t\t0\nserver\t\t127.0.0.1:{peer}\npeername\tmodem{me}\nsecret\t\tsecret{me}\n"
        f"cidname\t\tModem {me}\ncidnumber\t{number}\ncodec\t\tslinear\n"
    )
    return path


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    if not (shutil.which("iaxmodem") and shutil.which("efax") and shutil.which("efix")):
        unavailable(
            "the fax lab needs iaxmodem and efax: `sudo apt-get install iaxmodem efax` "
            "(.ci/run does it)"
        )
    prefix: list[str] = []
    if os.geteuid() != 0:
        if not shutil.which("unshare"):
            unavailable("iaxmodem must start as root or under `unshare -r` (util-linux)")
        prefix = ["unshare", "-r"]
    folder = tmp_path_factory.mktemp("faxlab")
    port_a, port_b = _free_udp_port(), _free_udp_port()
    configs = [
        _config(folder, "A", port_a, port_b, "1001"),
        _config(folder, "B", port_b, port_a, "1002"),
    ]
    modems = []
    for config in configs:
        # iaxmodem only takes a name under /etc/iaxmodem, but a relative one works.
        name = f"../..{config}"
        log = open(folder / f"{config.name}.log", "w")  # noqa: SIM115 - lives as long as the modem
        modems.append(
            subprocess.Popen(
                [*prefix, "stdbuf", "-oL", "-eL", "iaxmodem", name],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
    devices = [folder / "devA", folder / "devB"]
    deadline = time.monotonic() + 15
    while not all(d.exists() for d in devices):
        if time.monotonic() > deadline or any(m.poll() is not None for m in modems):
            for m in modems:
                m.kill()
            logs = " | ".join((folder / f"{c.name}.log").read_text()[-300:] for c in configs)
            unavailable(f"iaxmodem did not start: {logs}")
        time.sleep(0.1)
    yield Lab(folder, devices[0], devices[1])
    for modem in modems:
        os.killpg(modem.pid, signal.SIGTERM)
    for modem in modems:
        try:
            modem.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(modem.pid, signal.SIGKILL)


def lab_page(height: int = 2200, number: int = 1) -> Image.Image:
    """A fine-resolution A4 page with text, lines and boxes, like the lab's mkpage.py."""
    image = Image.new("1", (1728, height), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 60, 1668, height - 60), outline=0, width=4)
    draw.rectangle((200, 300, 700, 800), fill=0)
    for y in range(900, height - 120, 40):
        draw.text((120, y), f"faxtui lab page {number}, line {y}: 0123456789 ABCDEFGHIJ", fill=0)
    draw.line((60, 60, 1668, height - 60), fill=0, width=3)
    return image
