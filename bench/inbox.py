"""Inbox: the first load of an index of 10,000 faxes, and the rescans behind it.

The faxes are real files from tests/data (efax's G3 and HylaFAX's G4, received by HylaFAX),
hard-linked under 10,000 names in one folder, so the disk holds two files and the index holds
10,000 rows. Everything runs through ``faxtui.sources.spool.InboxSource`` with its index in a
temporary data folder; the engine's emit is a list.

- *cold*: no index yet: the source reads the tags of every file (in its worker thread);
- *load*: the index exists: from ``start()`` to the ``InboxLoaded`` event with every row
  (what the inbox pane needs for its first paint), and the index's ``load_all()`` alone;
- *warm rescan*: from ``start()`` to "up" with nothing changed: every file is compared by
  size and modification time with its row, no tag is read;
- *changed rescan*: the same with 1 % of the files touched while faxtui was away.

Event-loop lag (how late a 5 ms sleep wakes up) is sampled through each run: the tag reading
and the index writes are meant to stay off the loop.

- *first paint*: the whole app (engine, index already built) headless at 160x48 with every
  fax loaded; from ``i`` to the inbox screen painted with its 10,000 rows, and from the app's
  start to the same point (engine start, index load, first flush, screen).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import ROOT, median, percentile, table, until

DATA = ROOT / "tests" / "data"
SOURCES = ("efax-g3-fine.tif", "hylafax-g4-fine.tif")


class _Counter:
    def __init__(self) -> None:
        from faxtui.inbox.tags import read_tags

        self.read_tags = read_tags
        self.count = 0

    def __call__(self, path: str) -> Any:
        self.count += 1
        return self.read_tags(path)


async def _lag(samples: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(0.005)
        samples.append(time.perf_counter() - start - 0.005)


async def _session(folder: Path, data_dir: Path) -> dict[str, float]:
    """One start of the source: until it is up with every file indexed."""
    from faxtui.inbox.config import InboxConfig, Watch
    from faxtui.inbox.index import InboxIndex
    from faxtui.inbox.model import InboxLoaded
    from faxtui.model import LinkState, SourceStatus
    from faxtui.sources.spool import InboxSource

    loop = asyncio.get_running_loop()
    loaded: asyncio.Future[float] = loop.create_future()
    up: asyncio.Future[float] = loop.create_future()
    rows = 0

    def emit(events: Sequence[object]) -> None:
        nonlocal rows
        for event in events:
            if isinstance(event, InboxLoaded) and not loaded.done():
                rows = len(event.items)
                loaded.set_result(time.perf_counter())
            elif (
                isinstance(event, SourceStatus)
                and event.state.state is LinkState.UP
                and "reading" not in event.state.message  # done with the files, not under way
                and not up.done()
            ):
                up.set_result(time.perf_counter())

    counter = _Counter()
    samples: list[float] = []
    stop = asyncio.Event()
    lag = asyncio.ensure_future(_lag(samples, stop))
    start = time.perf_counter()
    index = InboxIndex(data_dir)
    source = InboxSource(
        InboxConfig(rescan=0),
        emit,
        watches=[Watch(str(folder), "*.tif")],
        index=index,
        archive=data_dir / "archive",
        reader=counter,
    )
    source.start()
    try:
        first = await asyncio.wait_for(loaded, 60)
        ready = await asyncio.wait_for(up, 600)
    finally:
        stop.set()
        await lag
        await source.stop()
        index.close()
    return {
        "loaded": first - start,
        "up": ready - start,
        "rows": rows,
        "reads": counter.count,
        "lag_p99": percentile(samples, 99),
        "lag_max": max(samples, default=float("nan")),
    }


async def _first_paint(folder: Path, data_dir: Path, faxes: int) -> tuple[float, float]:
    """(seconds from ``i`` to the painted inbox, seconds from the app's start to it)."""
    from faxtui.config import Config, HealthConfig
    from faxtui.engine import Engine
    from faxtui.inbox import config as inbox_config
    from faxtui.ui.app import FaxApp
    from faxtui.ui.screens.inbox import InboxScreen
    from faxtui.ui.widgets.inbox_table import InboxTable

    config = Config(
        ami=(),
        health=HealthConfig(processes=(), spool_dirs=()),
        data_dir=data_dir,
        inboxes=inbox_config.from_toml({"folders": [f"{folder}/*.tif"], "rescan": 0}, "bench"),
    )
    start = time.perf_counter()
    app = FaxApp(Engine(config))
    async with app.run_test(size=(160, 48)) as pilot:
        await until(lambda: len(app.inbox) == faxes)
        await pilot.pause()
        pressed = time.perf_counter()
        await pilot.press("i")
        await until(
            lambda: (
                isinstance(app.screen, InboxScreen)
                and len(app.screen.query_one(InboxTable).rows) == faxes
            )
        )
        await pilot.pause()  # the paint itself
        painted = time.perf_counter()
    return painted - pressed, painted - start


def _load_all(data_dir: Path) -> float:
    from faxtui.inbox.index import InboxIndex

    start = time.perf_counter()
    index = InboxIndex(data_dir)
    items = index.load_all()
    elapsed = time.perf_counter() - start
    index.close()
    assert items
    return elapsed


def _touch(folder: Path, every: int) -> int:
    """Replace every ``every``-th file by a copy with another time (long past, as if it
    changed while faxtui was away); return how many."""
    names = sorted(os.listdir(folder))[::every]
    stamp = time.time() - 3600 - len(os.listdir(folder))
    for name in names:
        path = folder / name
        data = path.read_bytes()
        path.unlink()
        path.write_bytes(data)
        os.utime(path, (stamp, stamp))
    return len(names)


def run(*, faxes: int = 10_000, reps: int = 5) -> None:
    """Build the folder, time the four cases, print the table."""
    print(f"== Inbox: {faxes:,} faxes, {reps} runs each, median reported ==")
    work = Path(tempfile.mkdtemp(prefix="faxtui-bench-inbox-"))
    try:
        folder = work / "spool"
        folder.mkdir()
        originals = []
        for name in SOURCES:
            shutil.copy(DATA / name, work / name)
            os.utime(work / name, (1_700_000_000, 1_700_000_000))
            originals.append(work / name)
        for i in range(faxes):
            os.link(originals[i % len(originals)], folder / f"fax{i:06d}.tif")
        rows: list[list[object]] = []

        def measure(name: str, runs: list[dict[str, float]]) -> None:
            rows.append(
                [
                    name,
                    int(median([r["rows"] for r in runs])),
                    int(median([r["reads"] for r in runs])),
                    median([r["loaded"] for r in runs]) * 1000,
                    median([r["up"] for r in runs]) * 1000,
                    median([r["lag_p99"] for r in runs]) * 1000,
                    max(r["lag_max"] for r in runs) * 1000,
                ]
            )

        cold = []
        for rep in range(reps):
            data_dir = work / f"cold{rep}"
            cold.append(asyncio.run(_session(folder, data_dir)))
        measure("cold (no index)", cold)
        data_dir = work / "cold0"
        measure("warm rescan", [asyncio.run(_session(folder, data_dir)) for _ in range(reps)])
        changed = []
        for _ in range(reps):
            touched = _touch(folder, 100)
            changed.append(asyncio.run(_session(folder, data_dir)))
        measure(f"changed rescan ({touched:,} files)", changed)
        load = median([_load_all(data_dir) for _ in range(reps)]) * 1000
        paints = [asyncio.run(_first_paint(folder, data_dir, faxes)) for _ in range(reps)]
        print()
        print(
            table(
                ["start", "rows", "tag reads", "loaded ms", "up ms", "lag p99 ms", "lag max ms"],
                rows,
                title="Inbox source start (median; goal: loaded < 500 ms at 10,000 faxes)",
            )
        )
        print()
        print(f"InboxIndex(...).load_all() of {faxes:,} rows alone: {load:.1f} ms (median)")
        per_file = median([r["up"] / max(1, r["reads"]) for r in cold]) * 1e6
        print(f"cold: {per_file:.0f} µs a file, tag reading, index writes and events included")
        key = median([p[0] for p in paints]) * 1000
        whole = median([p[1] for p in paints]) * 1000
        print(f"first paint of the inbox screen, {faxes:,} faxes, 160x48 (median; goal < 500 ms):"
              f" {key:.0f} ms from `i`, {whole:.0f} ms from the app's start")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
