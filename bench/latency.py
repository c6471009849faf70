"""Key press to screen: how long a key takes to show while AMI events pour in.

The real FaxApp runs headless in this process (``run_test(size=(100, 30))``) on an Engine
connected to a simulator in another process (bench/sim_driver.py; ``--stock-sim`` uses
``python -m faxtui.sim.ami_server --scenario load`` instead). Keys are sent the way the
terminal driver sends them (``driver.send_message(Key)``, as Textual's pilot does), a human
pace apart (50-150 ms, random, so presses fall anywhere between the app's refreshes).

For each press three times are taken from the moment the key is sent:
- handled: the key's action ran (DataTable cursor_down/cursor_up, or the main screen's
  toggle_log) and changed the state (the cursor row moved, the log was shown or hidden);
- screen: the first frame the compositor produced after that (``App._display`` with a
  CompositorUpdate; headless Textual skips the terminal write, so the benchmark turns the
  update into the terminal's escape sequences itself, as a real terminal run would).
``pilot.press``/``pilot.pause`` are not used for timing: they wait until the whole process is
idle (CPU time against wall time, up to 1 s), which never happens under load and says
nothing about the screen.

Also measured over the same window: AMI messages the mapper was fed and events the store
applied (a second), how often FaxApp._apply_pending ran and how long it took, frames a
second, and event-loop lag (a 5 ms sleep's overshoot).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import ROOT, child, median, percentile, table

SIZE = (100, 30)
# Seconds of traffic before the first press. Under load the calls table grows until the
# first finished calls leave after the 60 s linger: press only once it is at its steady size.
WARMUP = {"loaded": 65.0, "idle": 6.0}
PRESS_TIMEOUT = 3.0
LONG_GC = 20.0  # ms: a garbage collection this long is a visible stutter
LOG_EVERY = 5  # every 5th press is `l` (show/hide the event log), the others move the cursor


@dataclass
class Press:
    key: str
    sent: float
    handled: float | None = None
    screen: float | None = None
    done: asyncio.Future[None] | None = None


@dataclass
class Result:
    name: str
    presses: list[Press]
    seconds: float
    ami: int  # AMI messages fed to the mapper
    applied: int  # events applied by the store
    batches: list[float]  # durations of FaxApp._apply_pending
    frames: int
    lag: list[float]
    rows: tuple[int, int]
    gc_pauses: dict[int, list[float]]  # garbage-collector pauses (ms), by generation
    sim_log: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def latencies(self, key: Callable[[Press], bool] = lambda p: True) -> list[float]:
        return [(p.screen - p.sent) * 1000 for p in self.presses if p.screen is not None and key(p)]

    def handled(self) -> list[float]:
        return [(p.handled - p.sent) * 1000 for p in self.presses if p.handled is not None]

    @property
    def timeouts(self) -> int:
        return sum(p.screen is None for p in self.presses)


def _make_app(engine: Any) -> Any:
    from rich.console import Console
    from textual._compositor import CompositorUpdate

    from faxtui.ui import app as app_module
    from faxtui.ui.app import FaxApp

    class BenchApp(FaxApp):
        """FaxApp that reports its refreshes and frames to the benchmark."""

        # Textual reads CSS_PATH relative to the module of the class: FaxApp's, not this one
        CSS_PATH = str(Path(app_module.__file__).parent / str(FaxApp.CSS_PATH))

        def __init__(self, engine: Any) -> None:
            super().__init__(engine, settle_heap=True)  # as `faxtui` and `faxtui demo` run it
            self.batch_times: list[float] = []
            self.frame_count = 0
            self.press: Press | None = None
            self._terminal = Console(
                width=SIZE[0], height=SIZE[1], color_system="truecolor", force_terminal=True
            )

        def _apply_pending(self) -> None:
            start = time.perf_counter()
            super()._apply_pending()
            self.batch_times.append(time.perf_counter() - start)

        def _display(self, screen: Any, renderable: Any) -> None:
            super()._display(screen, renderable)
            if renderable is None or self._batch_count:
                return
            if isinstance(renderable, CompositorUpdate):
                renderable.render_segments(self._terminal)  # what a terminal would be sent
            self.frame_count += 1
            press = self.press
            if press is not None and press.handled is not None and press.screen is None:
                press.screen = time.perf_counter()
                if press.done is not None and not press.done.done():
                    press.done.set_result(None)

    return BenchApp(engine)


def _make_engine(port: int, data_dir: Path) -> Any:
    from faxtui.config import AmiServer, Config, HealthConfig, Secret
    from faxtui.engine import Engine

    class CountingEngine(Engine):
        """An Engine that counts AMI messages mapped and events applied."""

        ami = 0
        applied = 0

        def _emit(self, events: Sequence[Any]) -> None:
            self.applied += len(events)
            super()._emit(events)

        async def start(self) -> None:
            await super().start()
            for source in self._ami.values():
                feed = source.mapper.feed

                def counting(msg: Any, now: float, feed: Any = feed) -> Any:
                    self.ami += 1
                    return feed(msg, now)

                source.mapper.feed = counting  # type: ignore[method-assign]

    server = AmiServer("pbx", port=port, username="faxtui", secret=Secret("faxtui"))
    config = Config(
        ami=(server,),
        health=HealthConfig(processes=(), spool_dirs=()),
        data_dir=data_dir,
    )
    return CountingEngine(config)


def _instrument(obj: Any, action: str, changed: Callable[[], object], app: Any) -> None:
    """Wrap obj.action_<action>: note when it ran and changed what ``changed()`` returns."""
    original = getattr(obj, f"action_{action}")

    def wrapped() -> Any:
        before = changed()
        result = original()
        press = app.press
        if press is not None and press.handled is None and changed() != before:
            press.handled = time.perf_counter()
        return result

    setattr(obj, f"action_{action}", wrapped)


class _GcPauses:
    """Times every garbage collection (gc.callbacks), by generation, while installed."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.pauses[info["generation"]].append((time.perf_counter() - self._start) * 1000)

    def __enter__(self) -> _GcPauses:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


async def _lag_monitor(samples: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(0.005)
        samples.append((time.perf_counter() - start - 0.005) * 1000)


async def _press_keys(app: Any, table: Any, presses: int, rng: random.Random) -> list[Press]:
    """Press keys a human pace apart; each Press gets its handled and screen times."""
    from textual import events

    loop = asyncio.get_running_loop()
    done: list[Press] = []
    direction = "down"
    for i in range(presses):
        if i % LOG_EVERY == LOG_EVERY - 1:
            key, char = "l", "l"
        else:  # alternate down and up, away from the table's ends
            row = table.cursor_row
            if row <= 0:
                direction = "down"
            elif row >= table.row_count - 1:
                direction = "up"
            else:
                direction = "up" if direction == "down" else "down"
            key, char = direction, None
        finished: asyncio.Future[None] = loop.create_future()
        press = Press(key, 0.0, done=finished)
        event = events.Key(key, char)
        event.set_sender(app)
        app.press = press
        press.sent = time.perf_counter()
        app._driver.send_message(event)  # as the terminal driver (and the pilot) does
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(finished, PRESS_TIMEOUT)
        app.press = None
        done.append(press)
        await asyncio.sleep(rng.uniform(0.05, 0.15))
    return done


async def _session(name: str, port: int, presses: int, seed: int) -> Result:
    from textual.widgets import RichLog

    from faxtui.model import LinkState
    from faxtui.ui.widgets.calls_table import CallsTable

    data_dir = Path(tempfile.mkdtemp(prefix="faxtui-bench-latency-"))
    engine = _make_engine(port, data_dir)
    app = _make_app(engine)
    rng = random.Random(seed)
    try:
        async with app.run_test(size=SIZE):
            deadline = time.monotonic() + 30
            table = app.screen.query_one(CallsTable)
            while not (
                any(s.state is LinkState.UP for s in engine.snapshot().sources)
                and table.row_count >= 3
            ):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no calls to move through: {engine.snapshot().sources}")
                await asyncio.sleep(0.1)
            await asyncio.sleep(WARMUP[name])
            screen = app.screen
            log = screen.query_one("#log", RichLog)
            _instrument(table, "cursor_down", lambda: table.cursor_row, app)
            _instrument(table, "cursor_up", lambda: table.cursor_row, app)
            _instrument(screen, "toggle_log", lambda: log.display, app)
            lag: list[float] = []
            stop = asyncio.Event()
            monitor = asyncio.ensure_future(_lag_monitor(lag, stop))
            rows_before = table.row_count
            ami0, applied0 = engine.ami, engine.applied
            batches0, frames0 = len(app.batch_times), app.frame_count
            began = time.perf_counter()
            with _GcPauses() as gc_pauses:
                done = await _press_keys(app, table, presses, rng)
            seconds = time.perf_counter() - began
            stop.set()
            await monitor
            return Result(
                name,
                done,
                seconds,
                engine.ami - ami0,
                engine.applied - applied0,
                app.batch_times[batches0:],
                app.frame_count - frames0,
                lag,
                (rows_before, table.row_count),
                gc_pauses.pauses,
            )
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@contextlib.contextmanager
def _stock_sim(rate: float, log: Path) -> Iterator[int]:
    """``python -m faxtui.sim.ami_server --scenario load`` on a free port."""
    cmd = [sys.executable, "-m", "faxtui.sim.ami_server", "--scenario", "load"]
    cmd += ["--calls", "10", "--rate", str(rate), "--port", "0", "--seed", "1"]
    with open(log, "wb") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 10
        while not (m := re.search(r"on 127\.0\.0\.1:(\d+)", log.read_text())):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"the simulator did not start: {log.read_text()}")
            time.sleep(0.05)
        yield int(m.group(1))
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def _measure(name: str, presses: int, args: list[str], work: Path, stock_rate: float = 0) -> Result:
    log = work / f"{name}.log"
    if stock_rate:
        with _stock_sim(stock_rate, log) as port:
            result = asyncio.run(_session(name, port, presses, seed=1))
    else:
        with child("bench.sim_driver", *args, log=log) as (_, port):
            result = asyncio.run(_session(name, port, presses, seed=1))
    result.sim_log = log.read_text().strip().splitlines()[-1] if log.read_text().strip() else ""
    return result


def run(*, presses: int = 400, rate: float = 5000, stock: bool = False) -> dict[str, Any]:
    print(f"== Key press to screen: {presses} presses a run, {SIZE[0]}x{SIZE[1]} headless ==")
    work = Path(tempfile.mkdtemp(prefix="faxtui-bench-latency-"))
    try:
        loaded = _measure(
            "loaded",
            presses,
            ["--mode", "load", "--calls", "10", "--rate", str(rate)],
            work,
            stock_rate=rate if stock else 0,
        )
        idle = _measure("idle", presses, ["--mode", "idle", "--calls", "6"], work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results = [loaded, idle]
    for r in results:
        print(
            f"{r.name}: simulator {r.sim_log or '?'}; calls table {r.rows[0]} -> {r.rows[1]} rows"
        )
    rows: list[list[object]] = []
    for r in results:
        lat = r.latencies()
        rows.append(
            [
                r.name,
                len(lat),
                percentile(lat, 50),
                percentile(lat, 95),
                percentile(lat, 99),
                max(lat) if lat else float("nan"),
                r.timeouts,
                r.ami / r.seconds,
                r.applied / r.seconds,
                len(r.batches) / r.seconds,
                r.frames / r.seconds,
            ]
        )
    lat_l, lat_i = loaded.latencies(), idle.latencies()
    rows.append(
        [
            "loaded/idle",
            "",
            percentile(lat_l, 50) / percentile(lat_i, 50),
            percentile(lat_l, 95) / percentile(lat_i, 95),
            percentile(lat_l, 99) / percentile(lat_i, 99),
            max(lat_l) / max(lat_i),
            "",
            "",
            "",
            "",
            "",
        ]
    )
    print()
    print(
        table(
            [
                "run",
                "presses",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "max ms",
                "timeouts",
                "AMI msg/s",
                "store ev/s",
                "UI batches/s",
                "frames/s",
            ],
            rows,
            title="Key press -> frame on screen (goal p99 < 100 ms)",
        )
    )
    detail: list[list[object]] = []
    for r in results:
        for label, pick in (
            ("cursor", lambda p: p.key in ("up", "down")),
            ("log (l)", lambda p: p.key == "l"),
        ):
            lat = r.latencies(pick)
            detail.append(
                [
                    r.name,
                    label,
                    len(lat),
                    percentile(lat, 50),
                    percentile(lat, 99),
                    max(lat) if lat else float("nan"),
                ]
            )
    print()
    print(table(["run", "keys", "presses", "p50 ms", "p99 ms", "max ms"], detail, "By key"))
    inside: list[list[object]] = []
    for r in results:
        handled = r.handled()
        batches = [b * 1000 for b in r.batches]
        inside.append(
            [
                r.name,
                percentile(handled, 50),
                percentile(handled, 99),
                median(batches),
                percentile(batches, 99),
                max(batches) if batches else float("nan"),
                percentile(r.lag, 50),
                percentile(r.lag, 99),
                max(r.lag) if r.lag else float("nan"),
                len(r.gc_pauses[2]),
                sum(p >= LONG_GC for g in r.gc_pauses.values() for p in g),
                max((p for g in r.gc_pauses.values() for p in g), default=float("nan")),
            ]
        )
    print()
    print(
        table(
            [
                "run",
                "handled p50",
                "handled p99",
                "batch p50",
                "batch p99",
                "batch max",
                "lag p50",
                "lag p99",
                "lag max",
                "gen2 GCs",
                f"GCs >= {LONG_GC:g}",
                "GC max",
            ],
            inside,
            "Where the time goes (ms): key handled, one _apply_pending, event-loop lag, GC pauses",
        )
    )
    return {
        r.name: {
            "p50": percentile(r.latencies(), 50),
            "p99": percentile(r.latencies(), 99),
            "ami_rate": r.ami / r.seconds,
        }
        for r in results
    }
