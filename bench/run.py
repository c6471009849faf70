"""faxtui benchmarks: ``.venv/bin/python bench/run.py [ingest|latency|all]``.

They print figures and ratios; they never assert times (see bench/README.md).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import isolate_home


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__)
    parser.add_argument("which", nargs="?", choices=("ingest", "latency", "all"), default="all")
    parser.add_argument("--events", type=int, default=60_000, help="events a stream (ingest)")
    parser.add_argument("--reps", type=int, default=5, help="runs per figure (ingest)")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile (ingest)")
    parser.add_argument("--presses", type=int, default=400, help="key presses a run (latency)")
    parser.add_argument("--rate", type=float, default=5000, help="AMI events/s (latency)")
    parser.add_argument(
        "--stock-sim",
        action="store_true",
        help="latency: load from `python -m faxtui.sim.ami_server --scenario load` "
        "(its pacing falls short of --rate) instead of bench/sim_driver.py",
    )
    args = parser.parse_args(argv)
    home = isolate_home()
    try:
        _run(args)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


def _run(args: argparse.Namespace) -> None:
    if args.which in ("ingest", "all"):
        from bench import ingest

        ingest.run(events=args.events, reps=args.reps, profile=not args.no_profile)
    if args.which == "all":
        print()
    if args.which in ("latency", "all"):
        from bench import latency

        latency.run(presses=args.presses, rate=args.rate, stock=args.stock_sim)


if __name__ == "__main__":
    raise SystemExit(main())
