"""faxtui's own event parser reads every event exactly as panoramisk would."""

from __future__ import annotations

import asyncio

from hypothesis import assume, given
from hypothesis import strategies as st
from panoramisk.message import Message

from faxtui.sim import scenarios
from faxtui.sim.ami_server import AmiSimulator
from faxtui.sources.ami import fields, parse_event
from faxtui.sources.ami_map import Fields, raw_event


class _Recorder:
    def __init__(self) -> None:
        self.data: list[str] = []

    def wants(self, bits: int) -> bool:
        return True

    def write(self, data: str) -> None:
        self.data.append(data)


def _blocks() -> list[str]:
    async def run() -> list[str]:
        sim = AmiSimulator(speed=10_000, seed=3)
        recorder = _Recorder()
        sim.sessions.add(recorder)  # type: ignore[arg-type]
        for scenario in (scenarios.inbound_t38, scenarios.outbound, scenarios.hostile):
            await scenario(sim)
        return recorder.data

    text = "".join(asyncio.run(run()))
    return [b.strip() for b in text.split("\r\n\r\n") if b.strip()]


BLOCKS = _blocks()


def _same(block: str) -> None:
    ours = parse_event(block)
    theirs = Message.from_line(block)
    if ours is None:  # left to panoramisk: replies, list items, Shutdown, non-events
        assert (
            theirs is None
            or "Event" not in theirs
            or theirs.action_id
            or (str(theirs.get("Event", "")).lower() == "shutdown")
            or "commandid" in theirs
        )
        return
    assert theirs is not None
    # the same header lines (panoramisk groups a repeated header; ours keep their order)
    assert sorted(ours.lines) == sorted(fields(theirs).lines)
    for key in {k for k, _ in ours.lines} | {"Uniqueid", "uniqueid", "ABSENT"}:
        assert ours.get(key) == theirs.get(key), key
    assert raw_event(ours, 1.0).fields == ours.lines


def test_every_simulated_event_parses_as_panoramisk_parses_it() -> None:
    events = [b for b in BLOCKS if b.startswith("Event: ")]
    assert len(events) > 50
    for block in BLOCKS:
        _same(block)


def test_repeated_headers_become_lists_in_order() -> None:
    block = "Event: Test\r\nChanVariable: A=1\r\nChanVariable: B=2\r\nUniqueid: 1.2"
    event = parse_event(block)
    assert event is not None
    assert event.get("chanvariable") == ["A=1", "B=2"]
    assert event.lines[1:3] == (("ChanVariable", "A=1"), ("ChanVariable", "B=2"))
    _same(block)


def test_what_panoramisk_must_see_is_left_to_it() -> None:
    for block in (
        "Event: CoreShowChannel\r\nActionID: 7\r\nChannel: x",  # an item of our own list action
        "Event: Shutdown\r\nShutdown: Cleanly\r\nRestart: False",  # closes the connection
        "Response: Success\r\nActionID: 3\r\nPing: Pong",
        "Event: X\r\nactionid: 9",
    ):
        assert parse_event(block) is None


LINE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=30
)


@given(st.lists(st.tuples(LINE, LINE), max_size=12), st.sampled_from(BLOCKS), st.integers(0, 400))
def test_mutated_blocks_parse_as_panoramisk_parses_them(
    extra: list[tuple[str, str]], block: str, cut: int
) -> None:
    """Odd keys, odd values, lines without ': ', truncation: the same view either way."""
    spellings: dict[str, set[str]] = {}
    for key, _ in extra:
        spellings.setdefault(key.lower(), set()).add(key)
    # Asterisk never sends one header in two spellings; panoramisk would keep only the last
    assume(all(len(keys) == 1 for keys in spellings.values()))
    lines = block.split("\r\n")
    lines[1:1] = [f"{k}: {v}" if i % 2 else f"{k}{v}" for i, (k, v) in enumerate(extra)]
    mutated = "\r\n".join(lines)[: len(block) + 40 * len(extra) - cut].strip()
    _same(mutated)


def test_fields_lookups_ignore_case_like_panoramisk() -> None:
    event = Fields([("Event", "VarSet"), ("Uniqueid", "1.5")])
    assert event["UNIQUEID"] == "1.5" and "uniqueid" in event
    assert list(event) == ["Event", "Uniqueid"] and len(event) == 2
