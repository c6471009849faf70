"""AMI ingest: events per second, bare panoramisk 1.4 against faxtui's whole path.

The same recorded stream (bench/streams.py) is served by bench/blast_server.py in another
process. The client side is timed from the moment it sends ``BenchStart`` (the server then
writes the stream as fast as the socket takes it) until it has handled the marker call:
- bare: a stock ``panoramisk.Manager``, ``register_event('*', handler)`` with a counting
  handler; done at the marker call's Hangup;
- faxtui: an ``Engine`` with one ``[[ami]]`` server, so every event goes through faxtui's
  connection on panoramisk, AmiMapper and the Store (SQLite history included), with one
  subscriber draining the changes; done when that subscriber sees the marker call closed and
  the history is flushed.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import pstats
import shutil
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import ROOT, child, median, table
from bench.streams import Stream, record

SERVER = "bench"
TIMEOUT = 300.0


@dataclass
class Run:
    seconds: float
    events: int  # events the client handled (bare) or changes the subscriber got (faxtui)
    extra: str = ""


# --- bare panoramisk --------------------------------------------------------------------------


async def _bare(port: int, stream: Stream) -> Run:
    from panoramisk import Manager

    loop = asyncio.get_running_loop()
    logged_in = loop.create_future()
    done = loop.create_future()
    count = 0
    marker = stream.marker_uniqueid

    def on_event(manager: Any, event: Any) -> None:
        nonlocal count
        count += 1
        if event.event == "Hangup" and event.uniqueid == marker and not done.done():
            done.set_result(time.perf_counter())

    manager = Manager(
        host="127.0.0.1",
        port=port,
        username="bench",
        secret="bench",
        loop=loop,
        reconnect_timeout=3600,
        on_login=lambda m: _resolve(logged_in),
    )
    manager.register_event("*", on_event)
    await manager.connect()
    await asyncio.wait_for(logged_in, 10)
    await asyncio.sleep(0.05)  # FullyBooted and the rest of the login traffic
    count = 0
    start = time.perf_counter()
    manager.send_action({"Action": "BenchStart"})
    end = await asyncio.wait_for(done, TIMEOUT)
    manager.close()
    return Run(end - start, count)


# --- faxtui ---------------------------------------------------------------------------------


async def _faxtui(port: int, stream: Stream, data_dir: Path) -> Run:
    from faxtui.config import AmiServer, Config, HealthConfig, Secret
    from faxtui.engine import Engine
    from faxtui.model import CallChange, LinkState, Resync

    config = Config(
        ami=(AmiServer(SERVER, port=port, username="bench", secret=Secret("bench")),),
        health=HealthConfig(processes=(), spool_dirs=()),
        data_dir=data_dir,
    )
    engine = Engine(config)
    await engine.start()
    assert engine.store is not None
    store = engine.store
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    marker = f"{SERVER}:{stream.marker_uniqueid}"
    changes = 0
    resyncs = 0

    async def subscriber() -> None:  # what the UI does with every batch, minus the UI
        nonlocal changes, resyncs
        async for batch in engine.subscribe():
            changes += len(batch)
            for change in batch:
                if isinstance(change, CallChange):
                    if change.call.id == marker and change.call.ended is not None:
                        _resolve(done)
                elif isinstance(change, Resync):
                    resyncs += 1
                    found = store.call(marker)
                    if found is not None and found.ended is not None:
                        _resolve(done)

    draining = asyncio.ensure_future(subscriber())
    try:
        deadline = time.monotonic() + 10
        while not any(s.state is LinkState.UP for s in engine.snapshot().sources):
            if time.monotonic() > deadline:
                raise RuntimeError(f"faxtui did not connect: {engine.snapshot().sources}")
            await asyncio.sleep(0.005)
        source = engine._ami[SERVER]
        assert source.connection is not None
        await asyncio.sleep(0.05)
        changes = 0
        start = time.perf_counter()
        asking = asyncio.ensure_future(source.connection.action({"Action": "BenchStart"}))
        await asyncio.wait_for(done, TIMEOUT)
        store.flush()  # the history of the last calls is on disk too
        end = time.perf_counter()
        await asking
        history = store._db.execute("SELECT count(*) FROM calls").fetchone()[0]  # type: ignore[union-attr]
    finally:
        draining.cancel()
        await engine.stop()
    extra = f"{history} calls in history" + (f", {resyncs} resyncs" if resyncs else "")
    return Run(end - start, changes, extra)


def _faxtui_run(port: int, stream: Stream, profile: cProfile.Profile | None = None) -> Run:
    data_dir = Path(tempfile.mkdtemp(prefix="faxtui-bench-data-"))
    try:
        if profile is None:
            return asyncio.run(_faxtui(port, stream, data_dir))
        profile.enable()
        try:
            return asyncio.run(_faxtui(port, stream, data_dir))
        finally:
            profile.disable()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


# --- the benchmark --------------------------------------------------------------------------


def run(*, events: int = 60_000, reps: int = 5, profile: bool = True) -> dict[str, Any]:
    """Measure both clients on both streams; print the tables; return the figures."""
    print(f"== AMI ingest: {reps} runs each, median reported ==")
    work = Path(tempfile.mkdtemp(prefix="faxtui-bench-ingest-"))
    rows: list[list[object]] = []
    results: dict[str, Any] = {}
    streams: dict[str, Stream] = {}
    try:
        for name in ("fax", "mixed"):
            stream = record(name, events)
            streams[name] = stream
            print(stream.describe)
            path = work / f"{name}.ami"
            path.write_bytes(stream.data)
            bare: list[Run] = []
            ours: list[Run] = []
            with child("bench.blast_server", str(path), log=work / f"{name}.log") as (_, port):
                for _ in range(reps):  # alternate, so drift hits both alike
                    bare.append(asyncio.run(_bare(port, stream)))
                    ours.append(_faxtui_run(port, stream))
            for run_ in bare:
                if run_.events != stream.events:
                    print(f"  warning: bare handler saw {run_.events} of {stream.events} events")
            bare_rate = median([stream.events / r.seconds for r in bare])
            our_rate = median([stream.events / r.seconds for r in ours])
            spread = [f"{stream.events / r.seconds:,.0f}" for r in ours]
            print(f"  faxtui runs (events/s): {', '.join(spread)}; {ours[-1].extra}")
            rows.append(
                [
                    name,
                    stream.events,
                    bare_rate,
                    our_rate,
                    our_rate / bare_rate,
                    1e6 / our_rate - 1e6 / bare_rate,
                    median([r.events for r in ours]),
                ]
            )
            results[name] = {"bare": bare_rate, "faxtui": our_rate, "ratio": our_rate / bare_rate}
        print()
        print(
            table(
                [
                    "stream",
                    "events",
                    "bare ev/s",
                    "faxtui ev/s",
                    "faxtui/bare",
                    "µs/event added",
                    "changes",
                ],
                rows,
                title="AMI ingest (events per second, median; goal faxtui/bare >= 0.7)",
            )
        )
        if profile:
            print()
            _profile(work, streams["fax"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def _profile(work: Path, stream: Stream) -> None:
    path = work / "fax.ami"
    prof = cProfile.Profile()
    with child("bench.blast_server", str(path), log=work / "profile.log") as (_, port):
        run_ = _faxtui_run(port, stream, prof)
    print(
        f"cProfile of the faxtui path, fax stream ({stream.events / run_.seconds:,.0f} events/s "
        "under the profiler)"
    )
    print(top(prof, "cumulative", 15))
    print()
    print(top(prof, "tottime", 15))


def top(prof: cProfile.Profile, key: str, n: int) -> str:
    stats = pstats.Stats(prof, stream=io.StringIO())
    stats.sort_stats(key)
    rows: list[list[object]] = []
    for func in stats.fcn_list[:n]:  # type: ignore[attr-defined]
        _, nc, tt, ct, _ = stats.stats[func]  # type: ignore[attr-defined]
        rows.append([nc, tt, ct, _where(func)])
    return table(
        ["calls", "tottime s", "cumtime s", "function"],
        rows,
        title=f"top {n} by {'cumulative' if key == 'cumulative' else 'own'} time",
    )


def _where(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    if filename == "~":
        return name  # a built-in
    paths = sysconfig.get_paths()
    for prefix in (paths["purelib"], paths["stdlib"], str(ROOT)):
        if filename.startswith(prefix + "/"):
            filename = filename[len(prefix) + 1 :]
            break
    return f"{filename}:{line}({name})"
