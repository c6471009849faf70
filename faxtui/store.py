"""The one truth: applies FaxEvents, keeps live calls in memory, finished calls in SQLite.

Every applied event that changes something produces a ``Change`` for each subscriber.
Finished calls are written to the history database (WAL mode, so a kill -9 loses at most
the calls of the last unflushed batch and never corrupts the file).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from faxtui.model import (
    CALL_INFO_FIELDS,
    Call,
    CallChange,
    CallClosed,
    CallInfo,
    CallOpened,
    CallRaw,
    Change,
    Direction,
    FaxEvent,
    Health,
    HealthChange,
    HealthSample,
    InboxChange,
    InboxItem,
    InboxLoaded,
    InboxRemoved,
    InboxUpdated,
    Job,
    JobChange,
    JobChanged,
    Phase,
    PhaseEntered,
    RawEvent,
    Result,
    Resync,
    Snapshot,
    SourceChange,
    SourceState,
    SourceStatus,
    Step,
)
from faxtui.t30.reasons import describe

log = logging.getLogger(__name__)

MAX_RAW_PER_CALL = 2000
RECENT_CALLS = 200
RECENT_JOBS = 500  # finished jobs kept in memory for the queue pane (all are in the queue db)
SUBSCRIBER_BACKLOG = 20_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    origin TEXT NOT NULL,
    direction TEXT NOT NULL,
    started REAL NOT NULL,
    ended REAL NOT NULL,
    result TEXT NOT NULL,
    reason TEXT NOT NULL,
    search TEXT NOT NULL,
    record TEXT NOT NULL,
    events TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_ended ON calls (ended);
"""


class Subscription:
    """Changes for one subscriber, delivered in batches by ``async for``."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._queue: deque[Change] = deque()
        self._wakeup = asyncio.Event()
        self._closed = False

    def _put(self, changes: list[Change]) -> None:
        if len(self._queue) + len(changes) > SUBSCRIBER_BACKLOG:
            self._queue.clear()
            self._queue.append(Resync())
        else:
            self._queue.extend(changes)
        self._wakeup.set()

    def close(self) -> None:
        self._closed = True
        self._store._subscribers.discard(self)
        self._wakeup.set()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> list[Change]:
        while not self._queue:
            if self._closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()
        batch = list(self._queue)
        self._queue.clear()
        return batch


class Store:
    """Applies events; owns the in-memory state and the history database."""

    def __init__(
        self,
        db_path: Path | None,
        *,
        defer: Callable[[Callable[[], None]], object] | None = None,
    ) -> None:
        self.db_path = db_path
        self._defer = defer
        self._calls: dict[str, Call] = {}
        self._raw: dict[str, deque[RawEvent]] = {}
        # raw events applied since the call's event_count was last brought up to date: a
        # raw event alone changes nothing visible, so it costs no copy of the call.
        self._uncounted: dict[str, int] = {}
        self._recent: deque[Call] = deque(maxlen=RECENT_CALLS)
        self._recent_raw: dict[str, list[RawEvent]] = {}
        self._sources: dict[str, SourceState] = {}
        self._health: Health | None = None
        self._jobs: dict[int, Job] = {}
        self._inbox: dict[str, InboxItem] = {}
        self._finished_jobs: OrderedDict[int, None] = OrderedDict()
        self._subscribers: set[Subscription] = set()
        self._unsaved: list[tuple[Call, list[RawEvent]]] = []
        self._flush_scheduled = False
        self._db: sqlite3.Connection | None = None
        if db_path is not None:
            self._db = _open(db_path)

    # --- applying events ------------------------------------------------------------------

    def apply(self, event: FaxEvent) -> None:
        self.apply_many((event,))

    def apply_many(self, events: Iterable[FaxEvent]) -> None:
        changes = [c for c in map(self._apply, events) if c is not None]
        if self._uncounted:
            changes.extend(self._count_raw())
        if changes:
            self._publish(changes)

    def _apply(self, event: FaxEvent) -> Change | None:
        match event:
            case CallOpened():
                return self._open(event)
            case CallInfo():
                return self._info(event)
            case PhaseEntered():
                return self._phase(event)
            case CallRaw():
                return self._raw_event(event)
            case CallClosed():
                return self._close(event)
            case SourceStatus(state=state):
                if self._sources.get(state.name) == state:
                    return None
                self._sources[state.name] = state
                return SourceChange(state)
            case HealthSample(health=health):
                self._health = health
                return HealthChange(health)
            case JobChanged(job=job):
                return self._job(job)
            case InboxLoaded(items=items):
                self._inbox = {i.path: i for i in items}
                return InboxChange(items, replace=True)
            case InboxUpdated(items=items):
                self._inbox.update((i.path, i) for i in items)
                return InboxChange(items)
            case InboxRemoved(paths=paths):
                for path in paths:
                    self._inbox.pop(path, None)
                return InboxChange(removed=paths)
        return None

    def _open(self, ev: CallOpened) -> Change | None:
        if ev.call_id in self._calls:
            return None
        call = Call(
            id=ev.call_id,
            source=ev.source,
            origin=ev.origin,
            started=ev.started,
            uniqueid=ev.uniqueid,
            linkedid=ev.linkedid,
            timeline=(Step(ev.started, Phase.A, "call set-up"),),
            status="call set-up",
        )
        self._calls[ev.call_id] = call
        self._raw[ev.call_id] = deque(maxlen=MAX_RAW_PER_CALL)
        return CallChange(call)

    def _info(self, ev: CallInfo) -> Change | None:
        call = self._calls.get(ev.call_id)
        if call is None:
            return None
        updates: dict[str, Any] = {}
        for name in CALL_INFO_FIELDS:
            value = getattr(ev, name)
            if value is not None and value != getattr(call, name):
                updates[name] = value
        if ev.status is not None and ev.status != call.status:
            updates["status"] = ev.status
            if not ev.progress:  # (a page's progress, twice a second, would flood the timeline)
                updates["timeline"] = (*call.timeline, Step(ev.ts, call.phase, ev.status))
        if not updates:
            return None
        return self._replace(call, updates)

    def _phase(self, ev: PhaseEntered) -> Change | None:
        call = self._calls.get(ev.call_id)
        if call is None or (call.phase is ev.phase and call.status == ev.text):
            return None
        return self._replace(
            call,
            {
                "phase": ev.phase,
                "status": ev.text,
                "timeline": (*call.timeline, Step(ev.ts, ev.phase, ev.text)),
            },
        )

    def _raw_event(self, ev: CallRaw) -> Change | None:
        call = self._calls.get(ev.call_id)
        if call is None:
            return None
        self._raw[ev.call_id].append(ev.event)
        self._uncounted[ev.call_id] = self._uncounted.get(ev.call_id, 0) + 1
        return None

    def _count_raw(self) -> list[Change]:
        """One change per call for raw events that came without any other change."""
        changes: list[Change] = []
        for call_id in list(self._uncounted):
            call = self._calls.get(call_id)
            if call is not None:
                changes.append(self._replace(call, {}))
        self._uncounted.clear()
        return changes

    def _close(self, ev: CallClosed) -> Change | None:
        call = self._calls.pop(ev.call_id, None)
        if call is None:
            return None
        if ev.result is Result.SUCCESS:
            text = "fax received" if call.direction is Direction.IN else "fax sent"
        else:
            text = describe(ev.reason).text
        call = replace(
            call,
            phase=Phase.E,
            status=text,
            timeline=(*call.timeline, Step(ev.ts, Phase.E, text)),
            ended=ev.ts,
            result=ev.result,
            reason=ev.reason,
            reason_detail=ev.detail,
            event_count=call.event_count + self._uncounted.pop(call.id, 0),
        )
        raw = list(self._raw.pop(ev.call_id, ()))
        self._recent.append(call)
        self._recent_raw[call.id] = raw
        while len(self._recent_raw) > RECENT_CALLS:
            self._recent_raw.pop(next(iter(self._recent_raw)))
        if self._db is not None:
            self._unsaved.append((call, raw))
            self._schedule_flush()
        return CallChange(call)

    def _job(self, job: Job) -> Change | None:
        if self._jobs.get(job.id) == job:
            return None
        self._jobs[job.id] = job
        self._finished_jobs.pop(job.id, None)
        if job.state.final:  # the oldest finished ones leave first
            self._finished_jobs[job.id] = None
            if len(self._finished_jobs) > RECENT_JOBS:
                del self._jobs[self._finished_jobs.popitem(last=False)[0]]
        return JobChange(job)

    def _replace(self, call: Call, updates: dict[str, Any]) -> Change:
        if uncounted := self._uncounted.pop(call.id, 0):
            updates["event_count"] = call.event_count + uncounted
        call = replace(call, **updates)
        self._calls[call.id] = call
        return CallChange(call)

    def _publish(self, changes: list[Change]) -> None:
        for sub in self._subscribers:
            sub._put(changes)

    # --- reading ----------------------------------------------------------------------------

    def snapshot(self, *, read_only: bool = False) -> Snapshot:
        return Snapshot(
            calls=(*self._recent, *self._calls.values()),
            sources=tuple(self._sources.values()),
            health=self._health,
            read_only=read_only,
            jobs=tuple(sorted(self._jobs.values(), key=lambda j: j.id)),
            inbox=tuple(sorted(self._inbox.values(), key=lambda i: -i.received)),
        )

    def subscribe(self) -> Subscription:
        sub = Subscription(self)
        self._subscribers.add(sub)
        return sub

    def call(self, call_id: str) -> Call | None:
        found = self._calls.get(call_id)
        if found is not None:
            return found
        for call in reversed(self._recent):
            if call.id == call_id:
                return call
        return None

    def raw_events(self, call_id: str) -> list[RawEvent] | None:
        """The raw events of a live or recently finished call (None if not in memory)."""
        if call_id in self._raw:
            return list(self._raw[call_id])
        return self._recent_raw.get(call_id)

    # --- persistence ------------------------------------------------------------------------

    def _schedule_flush(self) -> None:
        if self._defer is None:
            self.flush()
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            self._defer(self.flush)

    def flush(self) -> None:
        """Write the finished calls not yet in the history database."""
        self._flush_scheduled = False
        if self._db is None or not self._unsaved:
            return
        rows = [_row(call, raw) for call, raw in self._unsaved]
        try:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO calls VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows
                )
        except sqlite3.Error as exc:
            log.error("cannot write call history to %s: %s", self.db_path, exc)
            return
        self._unsaved.clear()

    def close(self) -> None:
        self.flush()
        if self._db is not None:
            self._db.close()
            self._db = None
        for sub in list(self._subscribers):
            sub.close()


def _open(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(_SCHEMA)
    return db


def _row(call: Call, raw: list[RawEvent]) -> tuple[Any, ...]:
    search = call.search_text()
    events = [(e.ts, e.origin, e.name, e.fields) for e in raw]  # json writes tuples as lists
    return (
        call.id,
        call.source,
        call.origin,
        str(call.direction),
        call.started,
        call.ended,
        str(call.result),
        call.reason,
        search,
        json.dumps(call.to_dict()),
        json.dumps(events),
    )


def read_history(path: Path, text: str = "", limit: int = 500) -> list[Call]:
    """Finished calls, newest first; ``text`` filters on numbers, IDs, result and reason.

    Opens its own connection so it can run in a worker thread.
    """
    if not path.exists():
        return []
    db = sqlite3.connect(_readonly_uri(path), uri=True)
    try:
        words = text.lower().split()
        where = " AND ".join("search LIKE ? ESCAPE '\\'" for _ in words) or "1"
        args = [f"%{_escape_like(w)}%" for w in words]
        rows = db.execute(
            f"SELECT record FROM calls WHERE {where} ORDER BY ended DESC LIMIT ?",
            (*args, limit),
        ).fetchall()
    finally:
        db.close()
    return [Call.from_dict(json.loads(r[0])) for r in rows]


def read_history_events(path: Path, call_id: str) -> list[RawEvent]:
    if not path.exists():
        return []
    db = sqlite3.connect(_readonly_uri(path), uri=True)
    try:
        row = db.execute("SELECT events FROM calls WHERE id = ?", (call_id,)).fetchone()
    finally:
        db.close()
    if row is None:
        return []
    return [
        RawEvent(ts, origin, name, tuple((k, v) for k, v in kv))
        for ts, origin, name, kv in json.loads(row[0])
    ]


def _readonly_uri(path: Path) -> str:
    """A read-only SQLite URI for ``path``; as_uri() quotes '#', '?' and '%' in the path."""
    return f"{path.absolute().as_uri()}?mode=ro"


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
