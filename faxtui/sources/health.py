"""Host health from psutil: the fax daemons that run, and the free space of the spools.

One sample a second at most, taken in a worker thread (walking /proc costs a few
milliseconds) and chained: the next sample is scheduled only after the previous one is done.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import psutil

from faxtui.config import HealthConfig
from faxtui.model import DiskInfo, Health, HealthSample, ProcessInfo
from faxtui.sources.base import Emit, Source


class HealthProbe:
    """Samples processes by name; keeps Process objects so CPU percentages have a baseline."""

    def __init__(self, config: HealthConfig) -> None:
        self.config = config
        self._watched = set(config.processes)
        self._known: dict[int, psutil.Process] = {}

    def sample(self, now: float) -> Health:
        found: list[ProcessInfo] = []
        alive: dict[int, psutil.Process] = {}
        for proc in psutil.process_iter(["name", "create_time"]):
            name = proc.info.get("name") or ""
            if name not in self._watched:
                continue
            proc = self._known.get(proc.pid, proc)
            try:
                with proc.oneshot():
                    cpu = proc.cpu_percent(interval=None)
                    rss = proc.memory_info().rss
                    started = proc.create_time()
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            alive[proc.pid] = proc
            found.append(ProcessInfo(name, proc.pid, cpu, rss, started))
        self._known = alive
        running = {p.name for p in found}
        missing = tuple(n for n in self.config.processes if n not in running)
        return Health(
            ts=now,
            processes=tuple(sorted(found, key=lambda p: (p.name, p.pid))),
            disks=tuple(_disk(path) for path in self.config.spool_dirs),
            missing=missing,
        )


def _disk(path: str) -> DiskInfo:
    try:
        usage = psutil.disk_usage(path)
    except FileNotFoundError:
        return DiskInfo(path, 0, 0, "missing")
    except OSError as exc:
        return DiskInfo(path, 0, 0, exc.strerror or "unreadable")
    return DiskInfo(path, usage.total, usage.free)


class HealthSource(Source):
    name = "health"
    kind = "health"

    def __init__(
        self, config: HealthConfig, emit: Emit, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(emit, clock)
        self.probe = HealthProbe(config)

    async def run(self) -> None:
        interval = max(1.0, self.probe.config.interval)
        while True:
            health = await asyncio.to_thread(self.probe.sample, self._clock())
            self._emit([HealthSample(health)])
            await asyncio.sleep(interval)
