"""The AMI simulator for the latency benchmark, paced by the wall clock (its own process).

    python -m bench.sim_driver --mode load --calls 10 --rate 5000
    python -m bench.sim_driver --mode idle --calls 6

Prints ``PORT <n>`` once it listens and exits when its standard input closes, writing how
many events it sent to standard error.

``load`` is the simulator's ``load`` scenario (``calls`` inbound faxes at all times, one page
each, and background VarSet/Newexten events on 20 phones) with one difference: the background
events are paced by the wall clock so that all events together come at ``rate`` a second.
The scenario's own loop assumes each 10 ms sleep lasts 10 ms and so falls short (about 4,300
a second for 5,000 on the benchmark machine).

``idle`` starts ``calls`` inbound faxes that stay in page transfer and then sends nothing:
the calls table has rows to move through, and only faxtui's own FAXSession polling talks.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from faxtui.sim import scenarios
from faxtui.sim.ami_server import AmiSimulator, SimUser

TICK = 0.005
MAX_BURST = 500  # never catch up by more than this in one tick


class CountingSimulator(AmiSimulator):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.sent = 0

    def event(self, name: str, klass: str, body: list[tuple[str, str]]) -> None:
        if self.sessions and not self.muted:
            self.sent += 1
        super().event(name, klass, body)


async def _load(sim: CountingSimulator, calls: int, rate: float) -> None:
    async def keep_calling() -> None:
        while True:
            plan = scenarios.FaxPlan(pages=1, training=1.0, page_seconds=2.0)
            await scenarios.inbound(sim, plan, detect=False)

    workers = [asyncio.ensure_future(keep_calling()) for _ in range(calls)]
    phones = [
        sim.new_channel(
            sim.channel_name("PJSIP", f"phone{i}"),
            state=6,
            context="internal",
            exten=str(200 + i),
            caller_num=str(200 + i),
        )
        for i in range(20)
    ]
    n = 0
    start = time.monotonic()
    base = sim.sent
    try:
        while True:
            if not sim.sessions:  # nobody listens yet: start the clock when someone does
                start, base = time.monotonic(), sim.sent
            owed = min(MAX_BURST, int(rate * (time.monotonic() - start)) - (sim.sent - base))
            for _ in range(max(owed, 0)):
                phone = phones[n % len(phones)]
                if n % 2:
                    sim.setvar(phone, "BLF_STATE", str(n))
                else:
                    sim.newexten(phone, "Playback", "queue-periodic-announce")
                n += 1
            await asyncio.sleep(TICK)
    finally:
        for worker in workers:
            worker.cancel()


async def _idle(sim: CountingSimulator, calls: int) -> None:
    plan = scenarios.FaxPlan(pages=3, training=1.0, page_seconds=1e9)  # page 1 never ends
    for _ in range(calls):
        sim.run(lambda s: scenarios.inbound(s, plan, detect=False))
    await asyncio.Event().wait()


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sim_driver")
    parser.add_argument("--mode", choices=("load", "idle"), default="load")
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--rate", type=float, default=5000.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    sim = CountingSimulator(users={"faxtui": SimUser("faxtui")}, seed=args.seed)
    port = await sim.start("127.0.0.1", 0)
    print(f"PORT {port}", flush=True)
    if args.mode == "load":
        sim.run(lambda s: _load(sim, args.calls, args.rate))
    else:
        sim.run(lambda s: _idle(sim, args.calls))
    started = time.monotonic()
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    seconds = time.monotonic() - started
    print(f"sent {sim.sent} events in {seconds:.1f} s", file=sys.stderr, flush=True)
    await sim.stop()


if __name__ == "__main__":
    asyncio.run(main())
