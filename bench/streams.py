"""Recorded AMI byte streams: what faxtui's simulator sends for many full fax calls.

A recording pseudo-session sits in ``sim.sessions`` (it wants every event class and keeps
what is written to it) while the simulator's own scenarios run on a virtual clock: their
sleeps cost no real time, yet calls overlap as they would on a PBX and every event carries
the Asterisk ``Timestamp`` it would have had (``timestampevents = yes``).

Two streams of about the same number of events:
- ``fax``: only fax calls, the demo's weighted mix of outcomes, ``concurrent`` at a time;
- ``mixed``: fewer fax calls and, after every fax event, four background events of the kind
  the ``load`` scenario makes (VarSet BLF_STATE and Newexten Playback on 20 phones): 80 %
  noise.

Each stream ends with a marker: one more short fax call (no fax resource, so it closes at
once) whose Hangup is the last event. A client has seen everything when it has seen that.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
from dataclasses import dataclass
from typing import Any

from faxtui.sim import scenarios
from faxtui.sim.ami_server import AmiSimulator, SimChannel, privilege, render

NOISE_PER_FAX_EVENT = 4  # 4 background events after each fax event: 80 % noise
PHONES = 20
START = 1_760_000_000.0  # the virtual clock's start (a Unix time)


@dataclass
class Stream:
    name: str
    data: bytes
    events: int  # AMI events in ``data``, the marker call's included
    calls: int  # fax calls, the marker call included
    noise: int  # background events
    marker_uniqueid: str  # the Uniqueid of the marker call (its Hangup ends the stream)

    @property
    def describe(self) -> str:
        mib = len(self.data) / (1 << 20)
        share = 100 * self.noise / self.events if self.events else 0
        return (
            f"{self.name}: {self.events:,} events ({share:.0f} % noise), "
            f"{self.calls:,} fax calls, {mib:.1f} MiB"
        )


class _Recorder:
    """A pseudo-session: wants every event; after each fax event, optional noise events."""

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.noise: Any = None  # a callable that makes one background event
        self.noise_per_event = 0
        self.noise_count = 0
        self._in_noise = False

    def wants(self, bits: int) -> bool:
        return True

    def write(self, data: str) -> None:
        self.chunks.append(data)
        if self.noise is None or self._in_noise:
            return
        self._in_noise = True
        try:
            for _ in range(self.noise_per_event):
                self.noise()
                self.noise_count += 1
        finally:
            self._in_noise = False


class _VirtualSim(AmiSimulator):
    """The simulator on a virtual clock: ``sleep`` waits for virtual time to pass."""

    def __init__(self, seed: int) -> None:
        super().__init__(speed=1.0, seed=seed, timestampevents=True)
        self.now = START
        self.started = START
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self.last_channel: SimChannel | None = None

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + seconds, next(self._order), future))
        await future

    def event(self, name: str, klass: str, body: list[tuple[str, str]]) -> None:
        # AmiSimulator.event with the virtual time in Timestamp
        from faxtui.sim.ami_server import mask

        bits = mask(klass)
        lines = [("Event", name), ("Privilege", privilege(bits)), ("Timestamp", f"{self.now:.6f}")]
        data = render([*lines, *body])
        for session in self.sessions:
            if session.wants(bits):
                session.write(data)

    def new_channel(self, name: str, **kwargs: Any) -> SimChannel:
        chan = super().new_channel(name, **kwargs)
        self.last_channel = chan
        return chan

    async def run_until(self, task: asyncio.Future[Any]) -> None:
        """Advance the virtual clock, timer by timer, until ``task`` is done."""
        while not task.done():
            for _ in range(6):  # let the woken tasks run up to their next sleep
                await asyncio.sleep(0)
            if task.done():
                break
            if not self._timers:
                await asyncio.sleep(0)
                continue
            when, _, future = heapq.heappop(self._timers)
            self.now = max(self.now, when)
            if not future.done():
                future.set_result(None)
        await task


async def _record(name: str, target_events: int, seed: int, noise: bool) -> Stream:
    # the scenarios cycle through module-level callers and station IDs: restart them
    scenarios._callers = itertools.cycle(
        [
            ("+14155550134", "ACME Corp"),
            ("+442079460123", "Bright Legal LLP"),
            ("+33142685300", "Cabinet Durand"),
            ("+4930901820", "Praxis Dr. Weber"),
            ("+15125550188", "<unknown>"),
        ]
    )
    scenarios._remote_ids = itertools.cycle(
        ["+1 415 555 0134", "BRIGHT LEGAL", "+33 1 42 68 53 00", "", "FAX"]
    )
    sim = _VirtualSim(seed)
    rec = _Recorder()
    sim.sessions.add(rec)  # type: ignore[arg-type]
    rng = random.Random(seed)
    if noise:
        phones = [
            sim.new_channel(
                sim.channel_name("PJSIP", f"phone{i}"),
                state=6,
                context="internal",
                exten=str(200 + i),
                caller_num=str(200 + i),
            )
            for i in range(PHONES)
        ]
        counter = itertools.count()

        def one_noise_event() -> None:  # what scenarios.load sends in the background
            n = next(counter)
            phone = phones[n % len(phones)]
            if n % 2:
                sim.setvar(phone, "BLF_STATE", str(n))
            else:
                sim.newexten(phone, "Playback", "queue-periodic-announce")

        rec.noise = one_noise_event
        rec.noise_per_event = NOISE_PER_FAX_EVENT
    per_call = 45 * (1 + (NOISE_PER_FAX_EVENT if noise else 0))  # a rough guess, corrected
    calls = 0

    async def worker() -> None:
        nonlocal calls
        while len(rec.chunks) < target_events - per_call:
            calls += 1
            await scenarios.SCENARIOS[rng.choice(scenarios.MIX)](sim)
            await sim.sleep(rng.uniform(0.5, 5.0))

    async def all_calls() -> None:
        await asyncio.gather(*(_later(sim, i * 1.7, worker) for i in range(10)))

    await sim.run_until(asyncio.ensure_future(all_calls()))
    rec.noise = None  # the marker comes alone, last
    marker = asyncio.ensure_future(scenarios.no_resource(sim))
    await sim.run_until(marker)
    assert sim.last_channel is not None
    calls += 1
    data = "".join(rec.chunks).encode("utf-8")
    return Stream(name, data, len(rec.chunks), calls, rec.noise_count, sim.last_channel.uniqueid)


async def _later(sim: _VirtualSim, seconds: float, job: Any) -> None:
    await sim.sleep(seconds)
    await job()


def record(name: str, events: int, *, seed: int = 7) -> Stream:
    """Record the ``fax`` or ``mixed`` stream with about ``events`` events."""
    if name not in ("fax", "mixed"):
        raise ValueError(name)
    return asyncio.run(_record(name, events, seed, noise=name == "mixed"))
