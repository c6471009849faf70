"""Malformed, split and truncated AMI traffic through panoramisk and our wrapper."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faxtui.model import CallClosed, FaxEvent, Result
from faxtui.sim import scenarios
from faxtui.sim.ami_server import AmiSimulator
from faxtui.sources.ami import _Manager, _Protocol
from faxtui.sources.ami_map import AmiMapper

GREETING = b"Asterisk Call Manager/9.0.0\r\n"


class _Recorder:
    """Stands in for a client session and keeps every byte the simulator sends."""

    def __init__(self) -> None:
        self.data: list[str] = []

    def wants(self, bits: int) -> bool:
        return True

    def write(self, data: str) -> None:
        self.data.append(data)


def _record(scenario: scenarios.ScenarioFn) -> list[bytes]:
    async def run() -> list[str]:
        sim = AmiSimulator(speed=10_000, seed=1)
        recorder = _Recorder()
        sim.sessions.add(recorder)  # type: ignore[arg-type]
        await scenario(sim)
        return recorder.data

    return [m.encode() for m in asyncio.run(run())]


CALL = _record(scenarios.inbound_t38)
OTHER = _record(scenarios.busy)


class _Transport(asyncio.Transport):
    def write(self, data: bytes | bytearray | memoryview) -> None:
        pass

    def close(self) -> None:
        pass

    def is_closing(self) -> bool:
        return False


def _feed(chunks: list[bytes]) -> list[FaxEvent]:
    """Push bytes through _Protocol/_Manager (panoramisk) into the mapper."""
    out: list[FaxEvent] = []

    async def run() -> None:
        loop = asyncio.get_running_loop()
        mapper = AmiMapper("pbx")
        manager = _Manager(loop, lambda msg: out.extend(mapper.feed(msg, loop.time())))
        protocol = _Protocol(loop)
        protocol.connection_made(_Transport())
        manager.attach(protocol)
        for chunk in chunks:
            protocol.data_received(chunk)

    asyncio.run(run())
    return out


def _closed(events: list[FaxEvent]) -> list[CallClosed]:
    return [e for e in events if isinstance(e, CallClosed)]


def test_the_recorded_call_maps_cleanly() -> None:
    closed = _closed(_feed([GREETING, *CALL]))
    assert [c.result for c in closed] == [Result.SUCCESS]


garbage = st.one_of(
    st.binary(max_size=200).map(lambda b: b.replace(b"\r\n\r\n", b"") + b"\r\n\r\n"),
    st.dictionaries(
        st.sampled_from(
            [
                "Event",
                "Uniqueid",
                "Linkedid",
                "Variable",
                "Value",
                "Channel",
                "Cause",
                "SessionNumber",
                "DataRate",
                "Status",
                "Response",
                "X",
            ]
        ),
        st.text(max_size=30).map(lambda t: t.replace("\r", "").replace("\n", "")),
    ).map(lambda d: "".join(f"{k}: {v}\r\n" for k, v in d.items()).encode("utf-8") + b"\r\n"),
    st.sampled_from(
        [
            b"Event: VarSet\r\nUniqueid: 1.999\r\nVariable: FAXSTATUS\r\nValue: FAILED\r\n\r\n",
            b"Event: Hangup\r\nUniqueid: \r\nCause: x\r\n\r\n",
            b"Event: FAXSession\r\nSessionNumber: -1\r\nDataRate: \xff\xfe\r\n\r\n",
            b"no colon here\r\n\r\n",
            b"Event: ReceiveFAX\r\n\r\n",
            "Event: Newchannel\r\nUniqueid: 1.5\r\nCallerIDName: Ünïcödé ☎\r\n\r\n".encode(),
        ]
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cuts=st.lists(st.integers(min_value=0), max_size=40),
    noise=st.lists(st.tuples(st.integers(min_value=0), garbage), max_size=25),
    other_first=st.booleans(),
)
def test_noise_and_any_chunking_never_lose_a_call(
    cuts: list[int], noise: list[tuple[int, bytes]], other_first: bool
) -> None:
    """Garbage between messages and any split of the byte stream: both calls still end right."""
    messages = [*OTHER, *CALL] if other_first else [*CALL, *OTHER]
    for position, junk in noise:
        messages.insert(position % (len(messages) + 1), junk)
    stream = GREETING + b"".join(messages)
    points = sorted({c % (len(stream) + 1) for c in cuts})
    chunks = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    results = sorted(
        (c.result, c.reason) for c in _closed(_feed(chunks)) if "1.999" not in c.call_id
    )
    assert results == sorted([(Result.SUCCESS, "ok"), (Result.FAILED, "busy")])


@settings(max_examples=40, deadline=None)
@given(cut=st.integers(min_value=0))
def test_a_connection_cut_anywhere_does_not_crash(cut: int) -> None:
    stream = GREETING + b"".join(CALL)
    events = _feed([stream[: cut % len(stream)]])
    assert len(_closed(events)) <= 1
