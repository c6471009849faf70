"""Queue throughput: 10,000 jobs through the queue's state machine and its SQLite commits.

The sender answers at once (a call that takes no time), so what is measured is the queue
itself: picking the jobs due, one call at a time per number, committing each change
(dialing, then done) before acting on it, and telling the store. Also measured: adding jobs
(a commit each), and loading 10,000 unfinished jobs at start.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from pathlib import Path

from bench.common import table
from faxtui.config import Config, HealthConfig
from faxtui.model import Job, JobState, Result
from faxtui.queue.jobs import JobStore
from faxtui.queue.runner import Queue
from faxtui.queue.senders.base import Outcome
from faxtui.store import Store


class InstantSender:
    """A sender whose calls end at once, successfully."""

    kind = "modem"

    def __init__(self, name: str, capacity: int) -> None:
        self.name = name
        self.capacity = capacity
        self.calls = 0

    @property
    def ready(self) -> bool:
        return True

    def call_id(self, job: Job, attempt: int) -> str:
        return f"{self.name}:job{job.id}-{attempt}"

    async def send(self, job: Job, call_id: str) -> Outcome:
        self.calls += 1
        await asyncio.sleep(0)
        return Outcome(Result.SUCCESS, "ok", pages=job.pages)


def _job(n: int, now: float) -> Job:
    return Job(id=0, number=f"555{n:05d}", spool="/dev/null", pages=1, created=now,
               updated=now, kill_time=now + 86400)  # fmt: skip


async def _through(jobs: int, senders: int, data: Path) -> tuple[float, float, float, int]:
    """(add s, load s, through s, calls) for ``jobs`` jobs and ``senders`` senders."""
    config = Config(health=HealthConfig(processes=(), spool_dirs=()), data_dir=data)
    store = JobStore(config.queue_db)
    now = time.time()
    start = time.perf_counter()
    for n in range(jobs):
        store.add(_job(n, now))
    added = time.perf_counter() - start
    store.close()
    memory = Store(None)
    queue = Queue(config, memory, memory.apply_many)
    pool = [InstantSender(f"m{i}", 1) for i in range(senders)]
    queue.senders = list(pool)
    changes = memory.subscribe()
    start = time.perf_counter()
    await queue.start()
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    async for _ in changes:  # until the last job is done
        if not queue._unfinished:
            break
    through = time.perf_counter() - start
    done = [j for j in memory.snapshot().jobs if j.state is JobState.DONE]
    await queue.stop()
    if len(done) < min(jobs, 500):
        raise RuntimeError(f"only {len(done)} jobs done")
    return added, loaded, through, sum(s.calls for s in pool)


def run(*, jobs: int = 10_000) -> None:
    print(f"== Queue: {jobs:,} jobs, senders that answer at once ==")
    rows = []
    for senders in (1, 8):
        work = Path(tempfile.mkdtemp(prefix="faxtui-bench-queue-"))
        try:
            added, loaded, through, calls = asyncio.run(_through(jobs, senders, work))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        rows.append((senders, f"{jobs / added:,.0f}", f"{loaded * 1000:,.0f}",
                     f"{calls / through:,.0f}", f"{1000 * through / calls:.2f}"))  # fmt: skip
    print(table(("senders", "adds/s", "start ms", "jobs/s through", "ms/job"), rows))
