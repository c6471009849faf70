"""The fax lab's modem pair, outside pytest: the lab tests and bench/lab.py start it alike.

Two iaxmodem software modems (spandsp inside) call each other on 127.0.0.1, no PBX between:
A is number 1001, B is 1002. efax and efix (the far end and its page converter) belong to
the lab too. iaxmodem must start as root (it then drops to uucp) or inside `unshare -r`.
After every hang-up a modem rejects calls for five seconds (lab trap 5).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

BUSY_OUT = 5.5  # iaxmodem refuses calls this long after a hang-up (lab trap 5)
START_TIMEOUT = 15.0  # for both pty symlinks to appear


class LabUnavailable(RuntimeError):
    """The lab cannot run here; the message says why and what to install."""


@dataclass
class Lab:
    folder: Path
    a: Path  # the pty of modem A, number 1001
    b: Path  # the pty of modem B, number 1002

    def settle(self) -> None:
        time.sleep(BUSY_OUT)


def _free_udp_ports(count: int) -> list[int]:
    """Ports free on 127.0.0.1, held together while probing so that they differ."""
    with contextlib.ExitStack() as stack:
        probes = []
        for _ in range(count):
            probe = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
            probe.bind(("127.0.0.1", 0))
            probes.append(probe)
        return [int(p.getsockname()[1]) for p in probes]


def _config(folder: Path, me: str, port: int, peer: int, number: str) -> Path:
    path = folder / f"ttyIAX{me}"
    path.write_text(
        f"device\t\t{folder}/dev{me}\nowner\t\troot:root\nmode\t\t660\nport\t\t{port}\n"
        f"refresh\t\t0\nserver\t\t127.0.0.1:{peer}\npeername\tmodem{me}\nsecret\t\tsecret{me}\n"
        f"cidname\t\tModem {me}\ncidnumber\t{number}\ncodec\t\tslinear\n"
    )
    return path


def _stop(modems: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM: iaxmodem hangs up cleanly and removes its symlink (SIGKILL if it lingers)."""
    for modem in modems:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(modem.pid, signal.SIGTERM)
    for modem in modems:
        try:
            modem.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(modem.pid, signal.SIGKILL)
            modem.wait()


@contextlib.contextmanager
def start_pair(folder: Path) -> Iterator[Lab]:
    """Start modems A and B with their configs, ptys and logs in ``folder``; stop them after.

    Raises LabUnavailable when iaxmodem, efax or efix is missing, when iaxmodem cannot start
    as root or under `unshare -r`, or when the modems do not come up.
    """
    if not (shutil.which("iaxmodem") and shutil.which("efax") and shutil.which("efix")):
        raise LabUnavailable(
            "the fax lab needs iaxmodem and efax: `sudo apt-get install iaxmodem efax` "
            "(.ci/run does it)"
        )
    prefix: list[str] = []
    if os.geteuid() != 0:
        if not shutil.which("unshare"):
            raise LabUnavailable("iaxmodem must start as root or under `unshare -r` (util-linux)")
        prefix = ["unshare", "-r"]
    port_a, port_b = _free_udp_ports(2)
    configs = [
        _config(folder, "A", port_a, port_b, "1001"),
        _config(folder, "B", port_b, port_a, "1002"),
    ]
    modems: list[subprocess.Popen[bytes]] = []
    with contextlib.ExitStack() as stack:
        stack.callback(_stop, modems)
        for config in configs:
            log = stack.enter_context(open(folder / f"{config.name}.log", "wb"))
            # iaxmodem only takes a name under /etc/iaxmodem, but a relative one works.
            modems.append(
                subprocess.Popen(
                    [*prefix, "stdbuf", "-oL", "-eL", "iaxmodem", f"../..{config}"],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        lab = Lab(folder, folder / "devA", folder / "devB")
        deadline = time.monotonic() + START_TIMEOUT
        while not (lab.a.exists() and lab.b.exists()):
            if time.monotonic() > deadline or any(m.poll() is not None for m in modems):
                logs = " | ".join(
                    (folder / f"{c.name}.log").read_text(errors="replace")[-300:] for c in configs
                )
                raise LabUnavailable(f"iaxmodem did not start: {logs}")
            time.sleep(0.1)
        yield lab


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
