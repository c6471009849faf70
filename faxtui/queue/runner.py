"""The queue at work: jobs due go out through the senders, each try recorded as it happens.

Every change of a job is committed to the queue database before anything is done about it,
so a kill -9 at any moment loses no job: a job caught in a call comes back as interrupted and
is tried again, and a job that was done stays done. At most one call at a time goes to a
number, and each sender takes as many calls as it can carry.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import getpass
import heapq
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import cast

from faxtui.config import Config
from faxtui.documents.cover import Cover
from faxtui.documents.pages import DocumentError
from faxtui.documents.paper import Resolution
from faxtui.model import (
    Attempt,
    Call,
    CallChange,
    Job,
    JobChanged,
    JobState,
    Phase,
    Result,
    Resync,
)
from faxtui.queue import spool
from faxtui.queue.jobs import JobStore
from faxtui.queue.policy import after_try
from faxtui.queue.senders.base import Outcome, Sender, outcome_of
from faxtui.sources.base import Emit
from faxtui.store import Store, Subscription
from faxtui.t30.reasons import describe

log = logging.getLogger(__name__)

VIA_KINDS = ("modem", "asterisk")
EXPIRY_EVERY = 30.0  # seconds between looks for jobs past their kill time
ORPHAN_CONNECT_WAIT = 120  # seconds to wait for the PBX after a restart mid-call
ORPHAN_RESYNC_WAIT = 5.0  # then this long for the resync to name the calls still running


class QueueError(Exception):
    """A command the queue cannot carry out; the message says why, for the operator."""


@dataclass(frozen=True, slots=True)
class NewJob:
    number: str
    files: tuple[str, ...]
    via: str = ""
    resolution: str = ""  # "" = the queue's default
    cover: str = ""
    priority: int = 0
    owner: str = ""
    note: str = ""  # on the cover page


def _waiting(job: Job) -> bool:
    return job.state in (JobState.QUEUED, JobState.RETRY_WAIT)


def dial_key(number: str) -> str:
    """The same number however it is written: one call at a time to it."""
    return re.sub(r"[^0-9*#]", "", number) or number


class Calls:
    """The store's calls, for senders that wait for the end of theirs."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._waiting: dict[str, list[asyncio.Future[Call]]] = {}

    def call(self, call_id: str) -> Call | None:
        return self._store.call(call_id)

    async def ended(self, call_id: str, timeout: float | None = None) -> Call | None:
        call = self._store.call(call_id)
        if call is not None and call.ended is not None:
            return call
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(call_id, []).append(future)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            return None
        finally:
            waiters = self._waiting.get(call_id, [])
            if future in waiters:
                waiters.remove(future)
            if not waiters:
                self._waiting.pop(call_id, None)

    def saw(self, call: Call) -> None:
        if call.ended is None:
            return
        for future in self._waiting.pop(call.id, []):
            if not future.done():
                future.set_result(call)

    def recheck(self) -> None:
        for call_id in list(self._waiting):
            call = self._store.call(call_id)
            if call is not None:
                self.saw(call)


class Queue:
    def __init__(
        self,
        config: Config,
        store: Store,
        emit: Emit,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.policy = config.queue
        self._store = store
        self._emit = emit
        self._clock = clock
        self.calls = Calls(store)
        self.senders: list[Sender] = []
        self.jobs: JobStore | None = None
        self.sending = False  # this process holds the queue lock and places the calls
        self._lock_file: int | None = None
        self._unfinished: dict[int, Job] = {}
        self._tries: dict[int, asyncio.Task[None]] = {}  # job id -> its try in progress
        self._busy: dict[str, int] = {}  # sender name -> calls in progress
        self._numbers: set[str] = set()  # dial keys in a call now
        self._cancelling: set[int] = set()
        self._ready: list[tuple[int, float, int, float]] = []  # (-priority, due, id, version)
        self._later: list[tuple[float, int, float]] = []  # (due, id, version)
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # --- life cycle -------------------------------------------------------------------------

    async def start(self, *, send: bool = True) -> None:
        """Load the jobs; with ``send``, place their calls too (if no other process does)."""
        self.jobs = JobStore(self.config.queue_db)
        self.sending = send and self._take_lock()
        if self.sending:
            self._recover()
            keep = self.jobs.referenced_spool_files()
            await asyncio.to_thread(spool.remove_orphans, self.config.spool, keep, self._clock())
        recent = self.jobs.recent()
        for job in recent:
            if not job.state.final:
                self._keep(job)
        self._emit([JobChanged(j) for j in recent])
        subscription = self._store.subscribe()
        self._tasks.append(asyncio.create_task(self._follow_calls(subscription)))
        if self.sending:
            self._tasks.append(asyncio.create_task(self._run(), name="queue"))

    async def stop(self) -> None:
        """Stop placing calls; a call in progress is hung up and its job tried again later."""
        for task in self._tries.values():
            task.cancel()
        await asyncio.gather(*self._tries.values(), return_exceptions=True)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.jobs is not None:
            self.jobs.close()
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None

    def _take_lock(self) -> bool:
        """One process places the calls of a queue; another one only watches it."""
        path = self.config.data_dir / "queue.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            log.warning("another faxtui engine is sending this queue (%s)", path)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_file = fd
        return True

    def _recover(self) -> None:
        """Jobs left in a call by a process that died.

        A modem call died with us: that try was interrupted, and the job goes again. An
        Asterisk call may still be running on the PBX, or have ended while we were away:
        follow it to its end if the AMI resync finds it, never dial again blindly.
        """
        assert self.jobs is not None
        now = self._clock()
        for job in self.jobs.unfinished():
            if not job.state.in_call:
                continue
            attempt = job.attempts[-1]
            sender = next((s for s in self.senders if s.name == attempt.via), None)
            if sender is not None and sender.kind == "asterisk":
                self._unfinished[job.id] = job
                self._busy[sender.name] = self._busy.get(sender.name, 0) + 1
                self._numbers.add(dial_key(job.number))
                task = asyncio.create_task(self._follow_orphan(job, sender, attempt.call_id))
                self._tries[job.id] = task
                task.add_done_callback(partial(self._forget_try, job.id))
                continue
            why = "faxtui stopped during the call"
            self._save(self._end_try(job, Outcome(Result.FAILED, "interrupted", why), now))

    async def _follow_orphan(self, job: Job, sender: Sender, call_id: str) -> None:
        outcome = Outcome(Result.UNKNOWN, "lost_track",
                          "faxtui restarted during the call and did not find it on the PBX "
                          "again; check Asterisk's logs before sending it again")  # fmt: skip
        try:
            for _ in range(ORPHAN_CONNECT_WAIT):
                if sender.ready:
                    break
                await asyncio.sleep(1)
            await asyncio.sleep(ORPHAN_RESYNC_WAIT)  # the resync after login names what runs
            if self.calls.call(call_id) is not None:
                call = await self.calls.ended(call_id, 120.0 * max(1, job.pages) + 120)
                if call is not None:
                    outcome = outcome_of(call)
        finally:
            self._busy[sender.name] -= 1
            self._numbers.discard(dial_key(job.number))
            self._wake.set()
        self._finish(job.id, outcome)

    def _expire(self) -> None:
        """Waiting jobs past their kill time fail, even while no sender can take them."""
        now = self._clock()
        for job in list(self._unfinished.values()):
            if _waiting(job) and job.kill_time is not None and now >= job.kill_time:
                self._save(replace(job, state=JobState.FAILED, reason="kill_time",
                                   detail=describe("kill_time").text, updated=now))  # fmt: skip

    # --- the loop ---------------------------------------------------------------------------

    async def _run(self) -> None:
        last_expiry = 0.0
        while True:
            self._wake.clear()
            try:
                if self._clock() - last_expiry > EXPIRY_EVERY:
                    last_expiry = self._clock()
                    self._expire()
                self._dispatch()
            except Exception:  # a bug must not stop the queue for good
                log.exception("queue dispatch failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._wake.wait()

    def _dispatch(self) -> None:
        """Start the jobs that are due, best first, while senders have room.

        Waiting jobs sit in two heaps: ``_later`` by due time, ``_ready`` (due now) by
        priority, then age. Each change of a job pushes a new entry; an entry whose job has
        changed since is dropped when it comes up. So a dispatch costs what it starts.
        """
        now = self._clock()
        while self._later and self._later[0][0] <= now:
            due, job_id, version = heapq.heappop(self._later)
            job = self._unfinished.get(job_id)
            if job is not None and job.updated == version:
                heapq.heappush(self._ready, (-job.priority, due, job_id, version))
        put_back = []
        while self._ready and self._room():
            entry = heapq.heappop(self._ready)
            job = self._unfinished.get(entry[2])
            if job is None or job.updated != entry[3] or not _waiting(job):
                continue  # stale: the job changed after this entry was made
            if job.kill_time is not None and now >= job.kill_time:
                self._save(replace(job, state=JobState.FAILED, reason="kill_time",
                                   detail=describe("kill_time").text, updated=now))  # fmt: skip
                continue
            sender = self._free_sender(job)
            if sender is None or dial_key(job.number) in self._numbers:
                put_back.append(entry)  # its number is in a call, or its senders are busy
                continue
            self._begin(job, sender)
        for entry in put_back:
            heapq.heappush(self._ready, entry)

    def _room(self) -> bool:
        return any(s.ready and self._busy.get(s.name, 0) < s.capacity for s in self.senders)

    def _schedule(self, job: Job) -> None:
        """Make a waiting job's entry: due now, or later."""
        due = job.next_try or job.created
        if due <= self._clock():
            heapq.heappush(self._ready, (-job.priority, due, job.id, job.updated))
        else:
            heapq.heappush(self._later, (due, job.id, job.updated))

    def _senders_for(self, via: str) -> list[Sender]:
        if not via:
            return self.senders
        return [s for s in self.senders if via in (s.kind, s.name)]

    def _free_sender(self, job: Job) -> Sender | None:
        for sender in self._senders_for(job.via):
            if sender.ready and self._busy.get(sender.name, 0) < sender.capacity:
                return sender
        return None

    def _begin(self, job: Job, sender: Sender) -> None:
        now = self._clock()
        call_id = sender.call_id(job, len(job.attempts) + 1)
        job = replace(
            job,
            state=JobState.DIALING,
            attempts=(*job.attempts, Attempt(now, sender.name, call_id)),
            next_try=None,
            updated=now,
        )
        self._save(job)  # committed before the call is placed
        self._busy[sender.name] = self._busy.get(sender.name, 0) + 1
        self._numbers.add(dial_key(job.number))
        task = asyncio.create_task(self._try(job, sender, call_id), name=f"job {job.id}")
        self._tries[job.id] = task
        task.add_done_callback(partial(self._forget_try, job.id))

    def _forget_try(self, job_id: int, _: object) -> None:
        self._tries.pop(job_id, None)

    async def _try(self, job: Job, sender: Sender, call_id: str) -> None:
        try:
            outcome = await sender.send(job, call_id)
        except asyncio.CancelledError:
            if job.id in self._cancelling:
                outcome = Outcome(Result.FAILED, "cancelled", "cancelled by the operator")
            else:
                outcome = Outcome(Result.FAILED, "interrupted", "faxtui stopped")
                self._finish(job.id, outcome)
                raise
        except Exception as exc:
            log.exception("sending job %s failed", job.id)
            outcome = Outcome(Result.FAILED, "local_error", f"internal error: {exc!r}")
        finally:
            self._busy[sender.name] -= 1
            self._numbers.discard(dial_key(job.number))
            self._wake.set()
        self._finish(job.id, outcome)

    def _finish(self, job_id: int, outcome: Outcome) -> None:
        job = self._unfinished.get(job_id)
        if job is None:
            return
        cancelled = job_id in self._cancelling
        self._cancelling.discard(job_id)
        job = self._end_try(job, outcome, self._clock())
        if cancelled:
            job = replace(job, state=JobState.CANCELLED, next_try=None)
        self._save(job)

    def _end_try(self, job: Job, outcome: Outcome, now: float) -> Job:
        last = replace(
            job.attempts[-1],
            ended=now,
            result=outcome.result,
            reason=outcome.reason,
            detail=outcome.detail,
            pages=outcome.pages,
        )
        job = replace(job, attempts=(*job.attempts[:-1], last), updated=now)
        verdict = after_try(job, outcome.result, outcome.reason, now, self.policy)
        detail = (
            outcome.detail if verdict.reason == outcome.reason else describe(verdict.reason).text
        )
        return replace(
            job, state=verdict.state, next_try=verdict.next_try, reason=verdict.reason,
            detail=detail,
        )  # fmt: skip

    def _save(self, job: Job) -> None:
        assert self.jobs is not None
        self.jobs.save(job)
        self._keep(job)
        self._emit([JobChanged(job)])

    def _keep(self, job: Job) -> None:
        if job.state.final:
            self._unfinished.pop(job.id, None)
            return
        self._unfinished[job.id] = job
        if _waiting(job):
            self._schedule(job)

    # --- the calls of the jobs --------------------------------------------------------------

    async def _follow_calls(self, subscription: Subscription) -> None:
        async for batch in subscription:
            for change in batch:
                if isinstance(change, CallChange):
                    self.calls.saw(change.call)
                    self._dialled(change.call)
                elif isinstance(change, Resync):
                    self.calls.recheck()

    def _dialled(self, call: Call) -> None:
        """A job's call got through to a fax machine: dialing becomes sending."""
        if call.phase in (Phase.A, Phase.E) or call.ended is not None:
            return
        for job in self._unfinished.values():
            if job.state is JobState.DIALING and job.attempts[-1].call_id == call.id:
                self._save(replace(job, state=JobState.SENDING, updated=self._clock()))
                return

    # --- commands ---------------------------------------------------------------------------

    async def submit(self, new: NewJob) -> Job:
        """Convert the files, write the spool file, then add the job: all or nothing."""
        if not new.number.strip() or not re.fullmatch(r"[0-9+*#()\-. /wW,]+", new.number):
            raise QueueError(f"{new.number!r} is not a fax number")
        if not new.files:
            raise QueueError("no files to send")
        if new.via and not self._senders_for(new.via):
            have = ", ".join(s.name for s in self.senders) or "none configured"
            raise QueueError(f"no sender {new.via!r} (senders: {have})")
        wanted = new.resolution or self.policy.resolution
        if wanted not in ("fine", "standard", "superfine"):
            raise QueueError(f"resolution {wanted!r}: use fine, standard or superfine")
        resolution = cast(Resolution, wanted)
        owner = new.owner or _user()
        cover = (
            Cover(to=new.number, from_=owner, subject=new.cover, note=new.note)
            if new.cover or new.note
            else None
        )
        try:
            pages = await asyncio.to_thread(
                spool.convert, new.files, resolution=resolution, paper=self.policy.paper,
                cover=cover,
            )  # fmt: skip
            target = await asyncio.to_thread(
                spool.write, pages, self.config.spool, resolution=resolution
            )
        except DocumentError as exc:
            raise QueueError(str(exc)) from None
        except OSError as exc:
            where = self.config.spool
            raise QueueError(f"cannot write to the spool {where}: {exc.strerror}") from None
        now = self._clock()
        job = Job(
            id=0,
            number=new.number.strip(),
            spool=str(target),
            pages=len(pages),
            documents=new.files,
            resolution=resolution,
            via=new.via,
            cover=new.cover,
            owner=owner,
            priority=new.priority,
            created=now,
            updated=now,
            max_tries=self.policy.max_tries,
            kill_time=now + self.policy.kill_after,
        )
        return self._add(job)

    def _add(self, job: Job) -> Job:
        assert self.jobs is not None
        job = self.jobs.add(job)
        self._keep(job)
        self._emit([JobChanged(job)])
        self._wake.set()
        return job

    def _get(self, job_id: int) -> Job:
        assert self.jobs is not None
        job = self._unfinished.get(job_id) or self.jobs.get(job_id)
        if job is None:
            raise QueueError(f"no job {job_id}")
        return job

    def cancel(self, job_id: int) -> Job:
        job = self._get(job_id)
        if job.state.final:
            raise QueueError(f"job {job_id} is {job.state} already")
        task = self._tries.get(job_id)
        if task is not None:  # in a call: hang up; the try ends as cancelled
            self._cancelling.add(job_id)
            task.cancel()
            return job
        job = replace(job, state=JobState.CANCELLED, next_try=None, reason="cancelled",
                      detail=describe("cancelled").text, updated=self._clock())  # fmt: skip
        self._save(job)
        return job

    def hold(self, job_id: int) -> Job:
        job = self._get(job_id)
        if job.state not in (JobState.QUEUED, JobState.RETRY_WAIT):
            raise QueueError(f"job {job_id} is {job.state}: only a waiting job can be held")
        job = replace(job, state=JobState.HELD, updated=self._clock())
        self._save(job)
        return job

    def release(self, job_id: int) -> Job:
        job = self._get(job_id)
        if job.state is not JobState.HELD:
            raise QueueError(f"job {job_id} is {job.state}, not held")
        job = replace(job, state=JobState.QUEUED, updated=self._clock())
        self._save(job)
        self._wake.set()
        return job

    def retry(self, job_id: int) -> Job:
        """Try now: a waiting, held or failed job (a failed one gets one more try)."""
        job = self._get(job_id)
        if job.state in (JobState.DONE, JobState.CANCELLED) or job.state.in_call:
            raise QueueError(f"job {job_id} is {job.state}: use resend for a new job")
        now = self._clock()
        tries = max(job.max_tries, job.tries + 1)
        kill = max(job.kill_time or now, now + self.policy.kill_after)
        job = replace(job, state=JobState.QUEUED, next_try=now, max_tries=tries,
                      kill_time=kill, updated=now)  # fmt: skip
        self._save(job)
        self._wake.set()
        return job

    async def resend(self, job_id: int) -> Job:
        """A new job with the same pages and number."""
        old = self._get(job_id)
        if not old.state.final:
            raise QueueError(f"job {job_id} is {old.state}: only a finished job can be resent")
        try:
            target = await asyncio.to_thread(spool.copy_of, Path(old.spool), self.config.spool)
        except OSError as exc:
            raise QueueError(f"job {job_id}: its spool file is gone ({exc.strerror})") from None
        now = self._clock()
        job = replace(
            old, id=0, spool=str(target), state=JobState.QUEUED, created=now, updated=now,
            next_try=None, attempts=(), reason="", detail="", resent_from=old.id,
            max_tries=self.policy.max_tries, kill_time=now + self.policy.kill_after,
            owner=_user(),
        )  # fmt: skip
        return self._add(job)

    def find(self, ids: Sequence[int]) -> list[Job]:
        return [self._get(i) for i in ids]


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())
