"""``faxtui doctor``: what works, what does not, and what to do about it."""

from __future__ import annotations

import asyncio
import contextlib
import grp
import os
import shutil
import sqlite3
import sys
from dataclasses import dataclass
from typing import Any

from faxtui.config import AmiServer, Config, ModemConfig
from faxtui.service import engine_running
from faxtui.sources.ami import AmiConnection, AmiProblem
from faxtui.sources.health import HealthProbe
from faxtui.sources.modem.at import ModemError
from faxtui.sources.modem.modem import FaxModem
from faxtui.t30.fcf import MODULATIONS
from faxtui.text import plain

MODEM_PROBE_TIMEOUT = 15.0  # seconds for open, reset and identification
ASTERISK_FOR_AMI = {"9.": "20", "10.": "21", "11.": "22", "12.": "23", "13.": "master"}


@dataclass(frozen=True)
class Check:
    status: str  # "ok", "warn", "fail", "info"
    topic: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "topic": self.topic, "message": self.message}


async def run(config: Config) -> list[Check]:
    checks = [*_config_checks(config), *_storage_checks(config)]
    results = await asyncio.gather(*(probe_ami(server) for server in config.ami))
    for found in results:
        checks.extend(found)
    held = engine_running(config.socket)  # `faxtui serve` holds its modems: leave them be
    for modem in config.modems:
        checks.extend(await probe_modem(modem, config, held=held))
    checks.extend(_health_checks(config))
    checks.extend(_terminal_checks())
    return checks


def _config_checks(config: Config) -> list[Check]:
    checks = []
    if config.files:
        files = ", ".join(str(f) for f in config.files)
        checks.append(Check("ok", "config", f"read {files}"))
    else:
        checks.append(Check("info", "config", "no config file; using defaults (see README)"))
    checks += [Check("warn", "config", w) for w in config.warnings]
    if not config.ami:
        checks.append(Check("info", "config", "no [[ami]] server configured"))
    return checks


def _storage_checks(config: Config) -> list[Check]:
    path = config.history_db
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path)
        try:
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            count = db.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'calls'"
            ).fetchone()[0]
            calls = db.execute("SELECT count(*) FROM calls").fetchone()[0] if count else 0
        finally:
            db.close()
    except (OSError, sqlite3.Error) as exc:
        return [Check("fail", "history", f"cannot use {path}: {exc}")]
    return [Check("ok", "history", f"{path} ({mode}, {calls} finished calls)")]


async def probe_ami(server: AmiServer) -> list[Check]:
    """Connect, log in and try the actions faxtui needs; say what is missing and why."""
    topic = f"ami {server.name}"
    checks: list[Check] = []
    conn = AmiConnection(server, lambda event: None)
    try:
        await conn.open()
    except AmiProblem as exc:
        conn.close()
        return [Check("fail", topic, exc.message)]
    try:
        major = next((v for k, v in ASTERISK_FOR_AMI.items() if conn.version.startswith(k)), "?")
        checks.append(
            Check(
                "ok",
                topic,
                f"logged in to {server.host}:{server.port} as {server.username!r} "
                f"({server.auth}); AMI {plain(conn.version)} = Asterisk {major}",
            )
        )
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(3):
                await conn.fully_booted.wait()
        if conn.fully_booted.is_set():
            checks.append(Check("ok", topic, "FullyBooted received (read=system works)"))
        else:
            checks.append(
                Check(
                    "warn",
                    topic,
                    "no FullyBooted within 3 s: the user needs read=system (FullyBooted, "
                    "Shutdown), or Asterisk is still starting",
                )
            )
        for action, need, why in (
            ({"Action": "Ping"}, "", "liveness"),
            ({"Action": "CoreShowChannels"}, "write=reporting", "resync after a reconnect"),
            ({"Action": "FAXSessions"}, "write=call", "page progress of running faxes"),
            ({"Action": "FAXStats"}, "write=reporting", "fax counters"),
            # No Channel: Asterisk refuses it before dialling ("Channel not specified") unless
            # the user lacks the permission, so nothing is ever dialled by this test.
            ({"Action": "Originate", "Async": "false"}, "write=originate", "sending faxes"),
        ):
            checks.append(await _try_action(conn, topic, action, need, why))
    finally:
        conn.close()
    return checks


async def _try_action(
    conn: AmiConnection, topic: str, action: dict[str, str], need: str, why: str
) -> Check:
    name = action["Action"]
    as_list = None if name in ("CoreShowChannels", "FAXSessions") else False
    try:
        reply = await conn.action(action, as_list=as_list, timeout=5)
    except (TimeoutError, ConnectionError) as exc:
        return Check("fail", topic, f"{name}: no reply ({exc.__class__.__name__})")
    if reply.message == "Permission denied":
        status = "warn" if name == "Originate" else "fail"
        return Check(status, topic, f"{name} refused: add {need} to the user ({why})")
    if not reply.ok and name != "Originate":
        return Check("fail", topic, f"{name} failed: {reply.message}")
    if name == "FAXSessions":
        count = max(0, len(reply.messages) - 2)
        return Check("ok", topic, f"FAXSessions works ({count} fax sessions now)")
    return Check("ok", topic, f"{name} allowed ({why})")


def _port_problem(topic: str, device: str) -> Check | None:
    """Why the port cannot be opened at all, if so."""
    if not os.path.exists(device):
        folder = os.path.dirname(device) or "/dev"
        return Check("fail", topic, f"{device}: no such device (unplugged? see `ls -l {folder}` "
                                    "and dmesg)")  # fmt: skip
    if not os.access(device, os.R_OK | os.W_OK):
        group = _group_of(device)
        return Check("fail", topic, f"{device}: no permission to read and write it: add the "
                                    f"user to group {group} (then log in again)")  # fmt: skip
    return None


async def probe_modem(modem: ModemConfig, config: Config, *, held: bool) -> list[Check]:
    """The port exists and may be opened, the modem answers AT and has fax Class 1."""
    topic = f"modem {modem.name}"
    device = modem.device
    problem = _port_problem(topic, device)
    if problem is not None:
        return [problem]
    if held:
        return [Check("info", topic, f"{device}: not opened, `faxtui serve` drives it "
                                     "(its state is in the TUI's header)")]  # fmt: skip
    fax = FaxModem(modem, inbox=config.inbox, emit=lambda events: None)
    try:
        async with asyncio.timeout(MODEM_PROBE_TIMEOUT):
            identity = await fax.open()
    except TimeoutError:
        fax.close()
        return [Check("fail", topic, f"{device}: no answer to AT in {MODEM_PROBE_TIMEOUT:.0f} s "
                                     "(wrong port, or another program holds it)")]  # fmt: skip
    except ModemError as exc:
        return [Check("fail", topic, plain(str(exc)))]
    fax.close()
    rates = [MODULATIONS[c].rate for c in identity.transmit if c in MODULATIONS]
    fastest = max((r.bps for r in rates), default=0)
    words = f"{device}: {plain(identity.describe())}"
    if fastest:
        words += f", sends up to {fastest} bit/s"
    return [Check("ok", topic, words)]


def _group_of(path: str) -> str:
    gid = os.stat(path).st_gid
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _health_checks(config: Config) -> list[Check]:
    health = HealthProbe(config.health).sample(0.0)
    checks = []
    for proc in health.processes:
        checks.append(Check("ok", "process", f"{proc.name} running (pid {proc.pid})"))
    if health.missing:
        checks.append(Check("info", "process", "not running: " + ", ".join(health.missing)))
    for disk in health.disks:
        if disk.error:
            checks.append(Check("info", "spool", f"{disk.path}: {disk.error}"))
        else:
            free = disk.free / disk.total * 100 if disk.total else 0
            status = "warn" if free < 10 else "ok"
            checks.append(Check(status, "spool", f"{disk.path}: {free:.0f}% free"))
    return checks


def _terminal_checks() -> list[Check]:
    term = os.environ.get("TERM", "")
    size = shutil.get_terminal_size((0, 0))
    checks = [Check("info", "terminal", f"TERM={term or '(unset)'}, {size.columns}x{size.lines}")]
    if os.environ.get("TMUX"):
        checks.append(Check("info", "terminal", "inside tmux"))
    encoding = sys.stdout.encoding or ""
    if encoding.lower().replace("-", "") != "utf8":
        checks.append(
            Check("warn", "terminal", f"output encoding is {encoding}: use a UTF-8 locale")
        )
    if size.columns and (size.columns < 80 or size.lines < 24):
        checks.append(Check("warn", "terminal", "smaller than 80x24: some columns are hidden"))
    return checks


MARKS = {"ok": "✓", "warn": "!", "fail": "✗", "info": "·"}


def render(checks: list[Check]) -> str:
    width = max((len(c.topic) for c in checks), default=0)
    return "\n".join(f"{MARKS[c.status]} {c.topic:<{width}}  {c.message}" for c in checks)


def exit_code(checks: list[Check]) -> int:
    return 1 if any(c.status == "fail" for c in checks) else 0
