"""`faxtui serve`'s socket: two clients watching one engine, commands, read-only, bad input,
and a client that rides out the engine going away."""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from faxtui.engine import Engine, JobCommand, SendFax
from faxtui.model import JobChange, JobState, LinkState, Result
from faxtui.remote import EngineGone, RemoteEngine
from faxtui.service import EngineServer, ServiceError, engine_running
from faxtui.sim import scenarios
from faxtui.sim.ami_server import AmiSimulator
from tests.conftest import ami_config, wait_for


@pytest.fixture
async def served(sim: AmiSimulator, tmp_path: Path) -> AsyncIterator[tuple[Engine, Path]]:
    config = ami_config(sim.port, tmp_path, send_channel="Local/{number}@fax-out",
                        send_dir=str(tmp_path / "out"))  # fmt: skip
    engine = Engine(config)
    await engine.start()
    await wait_for(lambda: any(s.state is LinkState.UP for s in engine.snapshot().sources))
    path = tmp_path / "engine.sock"
    server = EngineServer(engine, path, mode=0o660)
    await server.start()
    yield engine, path
    await server.stop()
    await engine.stop()


async def test_two_clients_see_the_same_calls_and_jobs(
    served: tuple[Engine, Path], sim: AmiSimulator, tmp_path: Path
) -> None:
    engine, path = served
    assert stat.S_IMODE(path.stat().st_mode) == 0o660 and engine_running(path)
    one, two = RemoteEngine(path), RemoteEngine(path)
    await one.start()
    await two.start()
    try:
        changes = two.subscribe()
        await scenarios.inbound_t38(sim)
        for client in (one, two):
            await wait_for(lambda c=client: any(x.result is Result.SUCCESS  # type: ignore[misc]
                                                 for x in c.snapshot().calls))  # fmt: skip
        assert one.snapshot().calls == engine.snapshot().calls == two.snapshot().calls
        document = tmp_path / "page.png"
        Image.new("1", (1728, 300), 255).save(document)
        result = await one.command(SendFax("5550142", (str(document),)))
        assert result.ok, result.message
        job_id = result.data.id
        await wait_for(lambda: any(j.id == job_id and j.state is JobState.DONE
                                   for j in two.snapshot().jobs), timeout=30)  # fmt: skip
        seen = []
        while True:  # the subscription told the second client as it happened
            batch = await asyncio.wait_for(changes.__anext__(), 5)
            seen += [c.job.state for c in batch if isinstance(c, JobChange)]
            if JobState.DONE in seen:
                break
        assert seen[0] is JobState.QUEUED and JobState.DIALING in seen
        history = await two.history("5550142")
        assert [c.remote_number for c in history] == ["5550142"]
        events = await two.call_events(history[0].id)
        assert any(e.name == "SendFAX" for e in events)
    finally:
        await one.stop()
        await two.stop()


async def test_a_read_only_client_cannot_change_anything(
    served: tuple[Engine, Path], tmp_path: Path
) -> None:
    _, path = served
    watcher = RemoteEngine(path, read_only=True)
    await watcher.start()
    try:
        assert watcher.read_only and watcher.snapshot().read_only
        result = await watcher.command(SendFax("5550142", ("x.png",)))
        assert not result.ok and "read-only" in result.message
        result = await watcher.command(JobCommand("cancel", (1,)))
        assert not result.ok and "read-only" in result.message
    finally:
        await watcher.stop()


async def test_bad_requests_get_an_error_and_the_connection_lives_on(
    served: tuple[Engine, Path],
) -> None:
    _, path = served
    reader, writer = await asyncio.open_unix_connection(str(path))
    try:
        for line, expected in (
            (b"not json\n", "not a JSON object"),
            (b"[1, 2]\n", "not a JSON object"),
            (b'{"id": 1, "op": "frobnicate"}\n', "unknown op"),
            (b'{"id": 2, "op": "command", "command": {"kind": "job", "action": "x"}}\n',
             "bad job command"),
        ):  # fmt: skip
            writer.write(line)
            reply = json.loads(await reader.readline())
            assert expected in reply["error"]
        writer.write(b'{"id": 3, "op": "hello"}\n')
        reply = json.loads(await reader.readline())
        assert reply == {"id": 3, "protocol": 1, "read_only": False}
    finally:
        writer.close()


async def test_a_second_engine_cannot_take_the_socket(
    served: tuple[Engine, Path],
) -> None:
    engine, path = served
    with pytest.raises(ServiceError, match="serving there already"):
        await EngineServer(engine, path).start()


async def test_the_client_notices_the_engine_going_and_coming_back(
    sim: AmiSimulator, tmp_path: Path
) -> None:
    config = ami_config(sim.port, tmp_path)
    path = tmp_path / "engine.sock"
    engine = Engine(config)
    await engine.start()
    server = EngineServer(engine, path)
    await server.start()
    client = RemoteEngine(path)
    await client.start()
    try:
        await server.stop()
        await engine.stop()

        def engine_state() -> LinkState | None:
            found = [s for s in client.snapshot().sources if s.name == "engine"]
            return found[0].state if found else None

        await wait_for(lambda: engine_state() is LinkState.DOWN)
        result = await client.command(SendFax("5550142", ("x.png",)))
        assert not result.ok
        engine = Engine(replace(config))
        await engine.start()
        server = EngineServer(engine, path)
        await server.start()
        await wait_for(lambda: engine_state() is LinkState.UP, timeout=30)
    finally:
        await client.stop()
        await server.stop()
        await engine.stop()


async def test_no_engine_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "engine.sock"
    path.write_text("")  # a stale file, nobody listening
    assert not engine_running(path)
    with pytest.raises(EngineGone, match="no faxtui engine"):
        await RemoteEngine(path).start()
    assert path.read_text() == ""  # left alone
