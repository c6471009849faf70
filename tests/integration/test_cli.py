"""The commands as a user runs them: watch --json, doctor, history, and a dropped terminal."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from faxtui import doctor
from faxtui.config import Secret
from faxtui.sim.ami_server import CLASSES, AmiSimulator, SimUser
from tests.conftest import SECRET, ami_config

FAXTUI = [sys.executable, "-m", "faxtui"]


def write_config(path: Path, port: int, secret: str = SECRET) -> Path:
    path.write_text(
        f"""
data_dir = "{path.parent / "data"}"
[health]
processes = []
spool_dirs = []
[[ami]]
name = "lab"
port = {port}
username = "faxtui"
secret = "{secret}"
poll_interval = 0.1
"""
    )
    path.chmod(0o600)
    return path


@pytest.fixture
def sim_process() -> Iterator[int]:
    """The simulator as a user starts it: a separate process on a free port."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "faxtui.sim.ami_server",
            "--port",
            "0",
            "--speed",
            "10",
            "--scenario",
            "inbound-t38",
            "--scenario",
            "busy",
            "--loop",
            "--secret",
            SECRET,
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    port = int(re.search(r":(\d+), user", line).group(1))  # type: ignore[union-attr]
    yield port
    proc.terminate()
    proc.wait(10)


def test_watch_json_prints_the_documented_records(sim_process: int, tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.toml", sim_process)
    proc = subprocess.Popen(
        [*FAXTUI, "watch", "--json", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    records = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "watch stopped"
        records.append(json.loads(line))
        results = {r["reason"] for r in records if r["type"] == "call" and r["result"]}
        if {"ok", "busy"} <= results:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert SECRET not in out + err + json.dumps(records)
    calls = [r for r in records if r["type"] == "call"]
    documented = {
        "ts",
        "server",
        "call_id",
        "direction",
        "phase",
        "status",
        "remote_number",
        "remote_station_id",
        "transport",
        "rate",
        "ecm",
        "resolution",
        "page",
        "pages",
        "result",
        "reason",
    }
    assert all(documented <= set(r) for r in calls)
    ok = next(r for r in calls if r["reason"] == "ok")
    assert (ok["server"], ok["direction"], ok["phase"], ok["result"]) == (
        "lab",
        "in",
        "E",
        "success",
    )
    assert ok["transport"] == "t38" and ok["rate"] == 14400 and ok["pages"] == 2
    busy = next(r for r in calls if r["reason"] == "busy")
    assert busy["direction"] == "out" and busy["remote_number"] == "5550117"
    assert busy["reason_text"] == "the line was busy"
    phases = [r["phase"] for r in calls if r["call_id"] == ok["call_id"]]
    assert phases[0] == "A" and "B" in phases and "C" in phases and phases[-1] == "E"
    sources = [r for r in records if r["type"] == "source"]
    assert sources and sources[-1]["state"] == "up"


async def test_doctor_names_what_works(sim: AmiSimulator, tmp_path: Path) -> None:
    checks = await doctor.run(ami_config(sim.port, tmp_path))
    text = doctor.render(checks)
    assert doctor.exit_code(checks) == 0, text
    assert "logged in to 127.0.0.1" in text and "Asterisk 20" in text
    assert "FullyBooted received" in text
    for action in ("Ping", "CoreShowChannels", "FAXStats", "Originate"):
        assert f"{action} allowed" in text
    assert "FAXSessions works" in text
    assert sim.received["originate"] == 1 and not sim.channels  # tested, nothing dialled
    assert SECRET not in text


async def test_doctor_names_the_missing_permission(tmp_path: Path) -> None:
    sim = AmiSimulator(users={"faxtui": SimUser(SECRET, write=CLASSES["call"])})
    await sim.start()
    try:
        checks = await doctor.run(ami_config(sim.port, tmp_path))
    finally:
        await sim.stop()
    text = doctor.render(checks)
    assert doctor.exit_code(checks) == 1
    assert "CoreShowChannels refused: add write=reporting" in text
    assert "FAXStats refused: add write=reporting" in text
    assert "Originate refused: add write=originate" in text  # a warning only
    assert "FAXSessions works" in text


async def test_doctor_bad_secret(sim: AmiSimulator, tmp_path: Path) -> None:
    sim.auth_failure_delay = 0.05
    config = ami_config(sim.port, tmp_path, secret=Secret("wrong-" + SECRET))
    checks = await doctor.run(config)
    text = doctor.render(checks)
    assert doctor.exit_code(checks) == 1
    assert "✗ ami pbx" in text and "refused: Authentication failed" in text
    assert SECRET not in text


def test_doctor_command_exit_code(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.toml", 1)  # nothing listens on port 1
    done = subprocess.run(
        [*FAXTUI, "doctor", "--config", str(config)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "connection refused by 127.0.0.1:1" in done.stdout
    assert SECRET not in done.stdout + done.stderr


def test_a_broken_config_is_one_clear_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[ami]]\nname = "x"\nport = "5038"\n')
    done = subprocess.run(
        [*FAXTUI, "watch", "--config", str(config)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"faxtui: {config}:3: [[ami]] #1 'port' should be a whole number, not a string"
    )
    assert "Traceback" not in done.stderr


def test_history_command(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.toml", 1)
    done = subprocess.run(
        [*FAXTUI, "history", "--json", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout == ""


def test_the_tui_leaves_when_the_terminal_hangs_up(tmp_path: Path) -> None:
    """An SSH session drops: the terminal hangs up, faxtui must exit by itself, cleanly."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: faxtui in a terminal of its own
        os.environ.update({"TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"})
        os.execv(sys.executable, [*FAXTUI, "demo", "--data-dir", str(tmp_path / "d")])
    screen = b""
    deadline = time.monotonic() + 60
    while b"New fax" not in screen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            screen += os.read(fd, 65536)
    assert b"New fax" in screen, screen[-500:]
    os.close(fd)  # the terminal goes away
    deadline = time.monotonic() + 15
    status = None
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("faxtui was still running 15 s after its terminal hung up")
    assert os.WIFEXITED(status), f"killed by signal {os.WTERMSIG(status)}"


async def test_doctor_opens_each_modem_and_says_what_it_is_or_why_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from faxtui.config import Config, HealthConfig, ModemConfig
    from faxtui.sim.modem import SimModem

    modem = SimModem(link=tmp_path / "ttyFAX0")
    await modem.start()
    locked = tmp_path / "ttyLOCKED"
    locked.write_text("")
    access = os.access  # the tests may run as root, whom no mode keeps out
    monkeypatch.setattr(os, "access", lambda p, mode: p != str(locked) and access(p, mode))
    config = Config(
        modems=(
            ModemConfig("fax0", str(tmp_path / "ttyFAX0")),
            ModemConfig("usb", str(tmp_path / "ttyUSB7")),
            ModemConfig("locked", str(locked)),
        ),
        health=HealthConfig(processes=(), spool_dirs=()),
        data_dir=tmp_path / "data",
    )
    try:
        checks = await doctor.run(config)
    finally:
        await modem.stop()
    found = {c.topic: (c.status, c.message) for c in checks if c.topic.startswith("modem")}
    assert found["modem fax0"][0] == "ok"
    assert "spandsp" in found["modem fax0"][1] and "Class 1" in found["modem fax0"][1]
    assert found["modem fax0"][1].endswith("sends up to 14400 bit/s")
    assert found["modem usb"] == ("fail", f"{tmp_path}/ttyUSB7: no such device (unplugged? see "
                                          f"`ls -l {tmp_path}` and dmesg)")  # fmt: skip
    if os.geteuid() != 0:  # root may open anything
        assert found["modem locked"][0] == "fail"
        assert (
            "no permission to read and write it: add the user to group" in found["modem locked"][1]
        )
    assert doctor.exit_code(checks) == 1
