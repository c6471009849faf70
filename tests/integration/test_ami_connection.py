"""The AMI source's connection: failures with a clear state, reconnects, resync, no replay."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from faxtui.config import Secret
from faxtui.engine import Engine, Reconnect
from faxtui.model import LinkState, Result, SourceChange, SourceState
from faxtui.sim import scenarios
from faxtui.sim.ami_server import CLASSES, AmiSimulator, SimUser
from tests.conftest import SECRET, ami_config, finished, wait_for


class States:
    """Every state the source reported, in order."""

    def __init__(self, engine: Engine) -> None:
        self.seen: list[SourceState] = []
        self._task = asyncio.ensure_future(self._follow(engine))

    async def _follow(self, engine: Engine) -> None:
        async for batch in engine.subscribe():
            self.seen += [c.state for c in batch if isinstance(c, SourceChange)]

    def down(self) -> list[SourceState]:
        return [s for s in self.seen if s.state is LinkState.DOWN]

    def close(self) -> None:
        self._task.cancel()


@pytest.fixture
async def started(tmp_path: Path) -> AsyncIterator[list[Engine]]:
    """Engines a test starts; stopped at the end."""
    engines: list[Engine] = []
    yield engines
    for engine in engines:
        await engine.stop()


async def start(engines: list[Engine], engine: Engine) -> States:
    await engine.start()
    engines.append(engine)
    return States(engine)


async def test_bad_secret_backs_off_with_a_clear_message(
    sim: AmiSimulator, tmp_path: Path, started: list[Engine], caplog: pytest.LogCaptureFixture
) -> None:
    sim.auth_failure_delay = 0.05
    caplog.set_level(logging.DEBUG)
    states = await start(started, Engine(ami_config(sim.port, tmp_path, secret=Secret("wrong"))))
    await wait_for(lambda: len(states.down()) >= 3)
    first, second, third = states.down()[:3]
    assert first.problem == "auth"
    assert "login as 'faxtui' refused: Authentication failed" in first.message
    assert "manager.conf" in first.message
    waits = [int(re.search(r"retrying in (\d+) s", s.message).group(1)) for s in states.down()]
    assert waits[:3] == [1, 2, 4]  # backing off, not a silent fixed loop
    assert all(s.retry_at for s in (first, second, third))
    assert sim.received["login"] >= 3
    assert "wrong" not in caplog.text and SECRET not in caplog.text


async def test_back_off_stops_at_30_seconds(
    sim: AmiSimulator, tmp_path: Path, started: list[Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def instant(seconds: float) -> None:  # the back-off wait, without waiting
        waits.append(seconds)
        await asyncio.sleep(0)

    await sim.stop_listening()
    engine = Engine(ami_config(sim.port, tmp_path, connect_timeout=0.2))
    monkeypatch.setattr("faxtui.sources.ami.AmiSource._pause", lambda self, s: instant(s))
    states = await start(started, engine)
    await wait_for(lambda: len(waits) >= 8)
    assert waits[:8] == [1, 2, 4, 8, 16, 30, 30, 30]
    assert states.down()[0].problem == "refused"


async def test_refused(tmp_path: Path, started: list[Engine]) -> None:
    sim = AmiSimulator()
    port = await sim.start()
    await sim.stop()  # nothing listens there now
    states = await start(started, Engine(ami_config(port, tmp_path)))
    await wait_for(states.down)
    state = states.down()[0]
    assert state.problem == "refused"
    assert f"connection refused by 127.0.0.1:{port}" in state.message


async def test_not_an_ami_server(tmp_path: Path, started: list[Engine]) -> None:
    async def ssh(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH_9.2p1 \x1b[2J\r\n")
        await writer.drain()
        await reader.read()

    server = await asyncio.start_server(ssh, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        states = await start(started, Engine(ami_config(port, tmp_path)))
        await wait_for(states.down)
        state = states.down()[0]
        assert state.problem == "not-ami"
        assert "is not an AMI server" in state.message and "SSH-2.0-OpenSSH_9.2p1" in state.message
        assert "\x1b" not in state.message  # what the host said is shown inert
    finally:
        server.close()


async def test_silent_server(tmp_path: Path, started: list[Engine]) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        states = await start(started, Engine(ami_config(port, tmp_path, connect_timeout=0.3)))
        await wait_for(states.down)
        assert states.down()[0].problem == "not-ami"
        assert "sent no AMI greeting" in states.down()[0].message
    finally:
        server.close()


async def test_no_fully_booted(
    sim: AmiSimulator, tmp_path: Path, started: list[Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("faxtui.sources.ami.FULLY_BOOTED_WAIT", 0.3)
    sim.fully_booted = False
    states = await start(started, Engine(ami_config(sim.port, tmp_path)))
    await wait_for(lambda: any(s.state is LinkState.DEGRADED for s in states.seen))
    state = next(s for s in states.seen if s.state is LinkState.DEGRADED)
    assert "no FullyBooted" in state.message and "read=system" in state.message
    # It still works: calls are followed.
    await scenarios.busy(sim)
    engine = started[0]
    await wait_for(lambda: finished(engine))


async def test_missing_permissions_are_named(tmp_path: Path, started: list[Engine]) -> None:
    sim = AmiSimulator(users={"faxtui": SimUser(SECRET, write=CLASSES["call"])})
    await sim.start()
    try:
        states = await start(started, Engine(ami_config(sim.port, tmp_path)))
        await wait_for(lambda: any(s.state is LinkState.DEGRADED for s in states.seen))
        state = next(s for s in states.seen if s.state is LinkState.DEGRADED)
        assert "CoreShowChannels refused (Permission denied)" in state.message
        assert "write=reporting" in state.message
    finally:
        await sim.stop()


async def test_dead_connection_is_noticed_and_reconnected(
    sim: AmiSimulator, engine: Engine
) -> None:
    states = States(engine)
    sim.muted = True  # Asterisk hangs: the socket stays open, nothing answers
    await wait_for(states.down, timeout=10)
    assert states.down()[0].problem == "ping-timeout"
    sim.muted = False
    await wait_for(lambda: states.seen[-1].state is LinkState.UP, timeout=10)
    states.close()


async def test_shutdown_is_reported(sim: AmiSimulator, engine: Engine) -> None:
    states = States(engine)
    port = sim.port
    await sim.shutdown(restart=True)
    await wait_for(states.down)
    assert states.down()[0].problem == "shutdown"
    assert (
        "Asterisk is shutting down (Shutdown: Cleanly, Restart: True)" in states.down()[0].message
    )
    await sim.start(port=port)
    await engine.command(Reconnect())
    await wait_for(lambda: states.seen[-1].state is LinkState.UP, timeout=10)
    states.close()


async def test_restart_mid_fax_resyncs_the_same_call(sim: AmiSimulator, engine: Engine) -> None:
    plan = scenarios.FaxPlan(pages=3, page_seconds=30)
    fax = asyncio.ensure_future(scenarios.inbound(sim, plan))
    await wait_for(lambda: any(c.phase == "C" for c in engine.snapshot().calls))
    (call_id,) = [c.id for c in engine.snapshot().calls]
    port = sim.port
    await sim.stop_listening()  # the link breaks; the PBX and its fax go on
    await wait_for(lambda: engine.snapshot().calls[0].status == "AMI connection lost; will resync")
    await sim.start(port=port)
    await engine.command(Reconnect())
    await fax
    await wait_for(lambda: finished(engine))
    (call,) = finished(engine)
    assert call.id == call_id  # the same call, followed across the outage
    assert call.result is Result.SUCCESS and call.pages == 3


async def test_started_in_the_middle_of_a_fax(sim: AmiSimulator, tmp_path: Path) -> None:
    fax = asyncio.ensure_future(scenarios.inbound(sim, scenarios.FaxPlan(page_seconds=20)))
    await wait_for(lambda: sim.fax_sessions)
    engine = Engine(ami_config(sim.port, tmp_path))
    await engine.start()
    try:
        await wait_for(lambda: engine.snapshot().calls)
        (call,) = engine.snapshot().calls
        assert "found by resync" in " ".join(step.text for step in call.timeline)
        await fax
        await wait_for(lambda: finished(engine))
        assert finished(engine)[0].result is Result.SUCCESS
    finally:
        await engine.stop()


async def test_call_that_ended_during_the_outage(sim: AmiSimulator, engine: Engine) -> None:
    fax = asyncio.ensure_future(scenarios.inbound(sim, scenarios.FaxPlan(pages=1)))
    await wait_for(lambda: engine.snapshot().calls)
    port = sim.port
    await sim.stop_listening()
    await fax  # it ends while nobody listens
    await sim.start(port=port)
    await engine.command(Reconnect())
    await wait_for(lambda: finished(engine))
    (call,) = finished(engine)
    assert call.result is Result.UNKNOWN and call.reason == "lost_track"


async def test_an_unanswered_originate_is_never_sent_again(
    sim: AmiSimulator, engine: Engine
) -> None:
    source = engine.sources[0]
    sim.muted = True
    conn = source.connection  # type: ignore[attr-defined]
    pending = conn.manager.send_action(
        {
            "Action": "Originate",
            "Channel": "Local/5550142@fax-out",
            "Application": "SendFAX",
            "Data": "/tmp/x.tif",
            "Async": "true",
        }
    )
    await wait_for(lambda: sim.received["originate"] == 1)
    port = sim.port
    await sim.stop_listening()
    sim.muted = False
    await sim.start(port=port)
    await engine.command(Reconnect())
    await wait_for(lambda: engine.snapshot().sources[0].state is LinkState.UP, timeout=10)
    await asyncio.sleep(0.5)
    assert sim.received["originate"] == 1
    with pytest.raises(ConnectionError):
        await pending  # the caller learns it is unknown whether it ran
