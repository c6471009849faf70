"""faxtui benchmarks: ``.venv/bin/python bench/run.py [ingest|latency|all]``.

They print figures and ratios; they never assert times (see bench/README.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import isolate_home

BENCHES = ("ingest", "latency", "documents", "render", "inbox", "queue", "lab")
IN_ALL = BENCHES[:-1]  # the lab needs iaxmodem, efax and root (or unshare): by name only


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__)
    parser.add_argument("which", nargs="*", choices=(*BENCHES, "all"), default=["all"],
                        help="which benchmarks (all: every one but lab)")  # fmt: skip
    parser.add_argument("--events", type=int, default=60_000, help="events a stream (ingest)")
    parser.add_argument("--reps", type=int, default=5, help="runs per figure (ingest, inbox)")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile (ingest)")
    parser.add_argument("--presses", type=int, default=400, help="key presses a run (latency)")
    parser.add_argument("--rate", type=float, default=5000, help="AMI events/s (latency)")
    parser.add_argument(
        "--stock-sim",
        action="store_true",
        help="latency: load from `python -m faxtui.sim.ami_server --scenario load` "
        "(its pacing falls short of --rate) instead of bench/sim_driver.py",
    )
    parser.add_argument("--pages", type=int, default=30, help="pages an input (documents)")
    parser.add_argument("--draws", type=int, default=30, help="runs per figure (render)")
    parser.add_argument("--faxes", type=int, default=10_000, help="faxes in the inbox (inbox)")
    parser.add_argument("--jobs", type=int, default=10_000, help="jobs (queue)")
    parser.add_argument("--runs", type=int, default=3, help="sessions per sender (lab)")
    args = parser.parse_args(argv)
    isolate_home()
    chosen = [b for b in BENCHES if b in args.which or ("all" in args.which and b in IN_ALL)]
    for n, name in enumerate(chosen):
        if n:
            print()
        if name == "ingest":
            from bench import ingest

            ingest.run(events=args.events, reps=args.reps, profile=not args.no_profile)
        elif name == "latency":
            from bench import latency

            latency.run(presses=args.presses, rate=args.rate, stock=args.stock_sim)
        elif name == "documents":
            from bench import documents

            documents.run(pages=args.pages, reps=min(args.reps, 3))
        elif name == "render":
            from bench import render

            render.run(reps=args.draws)
        elif name == "inbox":
            from bench import inbox

            inbox.run(faxes=args.faxes, reps=args.reps)
        elif name == "queue":
            from bench import queue_jobs

            queue_jobs.run(jobs=args.jobs)
        elif name == "lab":
            from bench import lab

            lab.run(runs=args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
