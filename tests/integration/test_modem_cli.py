"""`faxtui answer` and `faxtui send --modem` as an operator runs them: real processes, and the
simulated Class 1 modem (``python -m faxtui.sim.modem``) on a pty in a process of its own."""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from itertools import groupby
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

SPEED = "20"


def start_modem(tmp_path: Path, *args: str) -> subprocess.Popen[bytes]:
    link = tmp_path / "ttyFAX"
    log = (tmp_path / "modem.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "faxtui.sim.modem", "--link", str(link), "--speed", SPEED, *args],
        stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while not link.exists():
        assert process.poll() is None, (tmp_path / "modem.log").read_text()
        assert time.monotonic() < deadline, "the simulated modem made no pty"
        time.sleep(0.05)
    return process


@pytest.fixture
def modem(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """The simulated modem, with the arguments of the test's ``modem_args`` mark."""
    mark = request.node.get_closest_marker("modem_args")
    process = start_modem(tmp_path, *(mark.args if mark else ()))
    yield tmp_path / "ttyFAX"
    process.terminate()
    process.wait(10)


def faxtui(tmp_path: Path, *args: str, **popen: Any) -> subprocess.Popen[str]:
    config = tmp_path / "config.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n[health]\nprocesses = []\n')
    return subprocess.Popen(
        [sys.executable, "-m", "faxtui", "--config", str(config), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen,
    )  # fmt: skip


Record = dict[str, Any]


def records_until(process: subprocess.Popen[str], kind: str, timeout: float) -> list[Record]:
    """JSON lines from ``process`` up to the first of type ``kind``."""
    assert process.stdout is not None
    seen: list[Record] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            line = process.stdout.readline()
            if not line:
                break
            seen.append(json.loads(line))
            if seen[-1]["type"] == kind:
                return seen
    raise AssertionError(f"no {kind!r} record in {timeout} s; got {[r['type'] for r in seen]}")


@pytest.mark.modem_args("--ring-every", "2", "--pages", "2")
def test_answer_receives_a_fax_saves_it_and_stops_cleanly_on_sigterm(
    modem: Path, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    process = faxtui(tmp_path, "answer", "--modem", str(modem), "--inbox", str(inbox), "--rings",
                     "1", "--json")  # fmt: skip
    try:
        records = records_until(process, "result", 90)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "answering after 1 ring(s)" in err
    phases = [r["phase"] for r in records if r["type"] == "phase"]
    assert [phase for phase, _ in groupby(phases)] == ["A", "B", "C", "D", "C", "D", "E"]
    frames = [(r["dir"], r["name"]) for r in records if r["type"] == "frame"]
    assert frames == [("tx", "CED"), ("tx", "DIS"), ("rx", "TSI"), ("rx", "DCS"), ("rx", "TCF"),
                      ("tx", "CFR"), ("rx", "page 1"), ("rx", "MPS"), ("tx", "MCF"),
                      ("rx", "page 2"), ("rx", "EOP"), ("tx", "MCF"), ("rx", "DCN")]  # fmt: skip
    result = records[-1]
    assert (result["result"], result["reason"]) == ("success", "ok")
    saved = Path(result["file"])
    assert saved.parent == inbox
    with Image.open(saved) as tiff:
        assert tiff.n_frames == 2
        assert tiff.width == 1728


def test_answer_on_a_port_that_is_not_there_says_so_and_fails(tmp_path: Path) -> None:
    process = faxtui(tmp_path, "answer", "--modem", str(tmp_path / "ttyUSB9"))
    _, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert str(tmp_path / "ttyUSB9") in err
    assert "Traceback" not in err


def page(path: Path) -> Path:
    image = Image.new("1", (1728, 400), 255)
    ImageDraw.Draw(image).text((100, 100), "faxtui send --modem", fill=0)
    image.save(path)
    return path


def test_send_through_the_modem_exits_0_when_the_far_end_confirms(
    modem: Path, tmp_path: Path
) -> None:
    process = faxtui(tmp_path, "send", str(page(tmp_path / "p.png")), "--modem", str(modem),
                     "--to", "5550142", "--json")  # fmt: skip
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    result = json.loads(out.splitlines()[-1])
    assert (result["type"], result["result"]) == ("result", "success")
    assert [json.loads(line) for line in out.splitlines()][-2]["type"] in ("page", "phase")


@pytest.mark.modem_args("--answer", "busy")
def test_send_to_a_busy_line_exits_1_with_the_reason_and_what_to_try(
    modem: Path, tmp_path: Path
) -> None:
    process = faxtui(tmp_path, "send", str(page(tmp_path / "p.png")), "--modem", str(modem),
                     "--to", "5550142")  # fmt: skip
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    assert "busy" in out
    assert "next:" in out
