"""Every simulator scenario through real panoramisk over TCP: phases, result, reason."""

from __future__ import annotations

import asyncio

import pytest

from faxtui.engine import Engine
from faxtui.model import Direction, Phase, Result, Transport
from faxtui.sim import scenarios
from faxtui.sim.ami_server import AmiSimulator
from tests.conftest import finished, wait_for

A, B, C, D, E = Phase.A, Phase.B, Phase.C, Phase.D, Phase.E

# scenario -> (direction, phases, result, reason, transport)
EXPECTED = {
    "inbound-t38": (Direction.IN, [A, B, C, D, C, E], Result.SUCCESS, "ok", Transport.T38),
    "inbound-audio": (Direction.IN, [A, B, C, E], Result.SUCCESS, "ok", Transport.AUDIO),
    "outbound": (Direction.OUT, [A, B, C, E], Result.SUCCESS, "ok", Transport.T38),
    "busy": (Direction.OUT, [A, E], Result.FAILED, "busy", Transport.UNKNOWN),
    "no-answer": (Direction.OUT, [A, E], Result.FAILED, "no_answer", Transport.UNKNOWN),
    "dropped": (Direction.IN, [A, B, C, D, C, E], Result.FAILED, "call_dropped", Transport.T38),
    "t38-failed": (
        Direction.IN,
        [A, E],
        Result.FAILED,
        "t38_negotiation_failed",
        Transport.UNKNOWN,
    ),
    "no-resource": (Direction.IN, [A, E], Result.FAILED, "no_resource", Transport.T38),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_scenario(name: str, sim: AmiSimulator, engine: Engine) -> None:
    direction, phases, result, reason, transport = EXPECTED[name]
    await scenarios.SCENARIOS[name](sim)
    await wait_for(lambda: finished(engine))
    (call,) = finished(engine)
    assert call.direction is direction
    assert call.phases() == phases
    assert call.result is result
    assert call.reason == reason
    assert call.transport is transport
    assert call.source == "pbx"
    assert call.event_count > 5  # the raw AMI events are kept for the detail view


async def test_inbound_fields(sim: AmiSimulator, engine: Engine) -> None:
    plan = scenarios.FaxPlan(remote_id="+49 30 1234", pages=3, resolution="8040x3850", rate=9600)
    await scenarios.inbound(sim, plan, caller=("+4930901820", "Praxis Weber"), did="5550177")
    await wait_for(lambda: finished(engine))
    (call,) = finished(engine)
    assert (call.remote_number, call.remote_name) == ("+4930901820", "Praxis Weber")
    assert call.local_number == "5550177"
    assert call.remote_station_id == "+49 30 1234"
    assert (call.pages, call.rate, call.resolution) == (3, 9600, "standard")
    assert call.ecm is True
    assert call.files and call.files[0].endswith(".tif")
    texts = [step.text for step in call.timeline]
    assert "incoming call from +4930901820 to 5550177" in texts
    assert "CNG detected: redirected to fax" in texts
    assert "receiving page 3" in texts


async def test_dropped_names_the_page(sim: AmiSimulator, engine: Engine) -> None:
    await scenarios.dropped(sim)
    await wait_for(lambda: finished(engine))
    (call,) = finished(engine)
    assert call.reason_detail == "The call dropped prematurely"
    assert call.pages == 1 and call.page == 2


async def test_outbound_busy_keeps_the_dial_history(sim: AmiSimulator, engine: Engine) -> None:
    await scenarios.busy(sim)
    await wait_for(lambda: finished(engine))
    (call,) = finished(engine)
    assert call.remote_number == "5550117"
    texts = [step.text for step in call.timeline]
    assert "dial ended: busy" in texts


async def test_several_at_once(sim: AmiSimulator, engine: Engine) -> None:
    await scenarios.several(sim)
    await wait_for(lambda: len(finished(engine)) == 4)
    results = sorted((c.direction, c.result, c.reason) for c in finished(engine))
    assert results == sorted(
        [
            (Direction.IN, Result.SUCCESS, "ok"),
            (Direction.IN, Result.SUCCESS, "ok"),
            (Direction.OUT, Result.SUCCESS, "ok"),
            (Direction.IN, Result.FAILED, "call_dropped"),
        ]
    )


async def test_without_status_events(sim: AmiSimulator, engine: Engine) -> None:
    """res_fax's default is statusevents=no: no FAXStatus at all, same outcome."""
    sim.statusevents = False
    await scenarios.inbound_t38(sim)
    await wait_for(lambda: finished(engine))
    (call,) = finished(engine)
    assert call.result is Result.SUCCESS
    assert call.transport is Transport.T38
    assert Phase.B in call.phases()


async def test_finished_calls_reach_the_history(sim: AmiSimulator, engine: Engine) -> None:
    await scenarios.busy(sim)
    await scenarios.inbound_audio(sim)
    await wait_for(lambda: len(finished(engine)) == 2)
    history = await engine.history()
    assert [c.reason for c in history] == ["ok", "busy"]  # newest first
    busy = await engine.history("busy")
    assert len(busy) == 1 and busy[0].remote_number == "5550117"
    events = await engine.call_events(busy[0].id)
    assert any(e.name == "OriginateResponse" for e in events)


async def test_load_many_calls(sim: AmiSimulator, engine: Engine) -> None:
    """The load scenario: concurrent faxes in an event storm; every call ends well.

    The storm's rate is scaled by the simulator's speed: 1,000 a second at speed 5 is 5,000
    events a second, the latency benchmark's load, here generated in the test's own process."""
    sim.speed = 5
    task = asyncio.ensure_future(scenarios.load(sim, calls=5, rate=1000))
    try:
        await wait_for(lambda: len(finished(engine)) >= 10, timeout=30)
    finally:
        task.cancel()
    failed = [(c.id, c.reason, c.reason_detail) for c in finished(engine)[:10]
              if c.result is not Result.SUCCESS]  # fmt: skip
    assert failed == []
