"""The store: events build calls, subscribers get changes, finished calls survive in SQLite."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from faxtui import store as store_module
from faxtui.model import (
    Call,
    CallChange,
    CallClosed,
    CallInfo,
    CallOpened,
    CallRaw,
    Direction,
    DiskInfo,
    Health,
    HealthChange,
    HealthSample,
    LinkState,
    Phase,
    PhaseEntered,
    ProcessInfo,
    RawEvent,
    Result,
    Resync,
    SourceChange,
    SourceState,
    SourceStatus,
    Step,
    Transport,
)
from faxtui.store import Store, Subscription, read_history, read_history_events


def opened(call_id: str = "c1", ts: float = 100.0, source: str = "pbx") -> CallOpened:
    return CallOpened(call_id, ts, source, "ami", ts, uniqueid=f"u-{call_id}", linkedid="L1")


def raw(ts: float, name: str = "FAXSession", **fields: str) -> RawEvent:
    return RawEvent(ts, "ami", name, tuple(fields.items()))


def full_call_events(call_id: str = "c1", t0: float = 100.0) -> list:
    """A complete outgoing fax: set-up, negotiation, two pages, success."""
    return [
        opened(call_id, t0),
        CallInfo(
            call_id,
            t0 + 0.5,
            direction=Direction.OUT,
            channel="PJSIP/trunk-0001",
            local_number="100",
            remote_number="+33 1 23 45 67 89",
            remote_name="Acme",
            local_station_id="FAXTUI",
        ),
        CallRaw(call_id, raw(t0 + 0.6, "Newexten", Exten="fax")),
        PhaseEntered(call_id, t0 + 1.0, Phase.B, "DIS received"),
        CallInfo(
            call_id,
            t0 + 1.5,
            remote_station_id="ACME FAX",
            transport=Transport.T38,
            rate=14400,
            ecm=True,
            resolution="fine",
        ),
        CallInfo(call_id, t0 + 1.8, status="training"),
        PhaseEntered(call_id, t0 + 2.0, Phase.C, "page 1"),
        CallInfo(call_id, t0 + 2.1, page=1),
        PhaseEntered(call_id, t0 + 3.0, Phase.D, "MCF"),
        CallInfo(call_id, t0 + 3.1, pages=1),
        PhaseEntered(call_id, t0 + 4.0, Phase.C, "page 2"),
        CallInfo(call_id, t0 + 4.1, page=2, bad_lines=3),
        PhaseEntered(call_id, t0 + 5.0, Phase.D, "MCF"),
        CallInfo(call_id, t0 + 5.1, pages=2, files=("/var/spool/fax/out.tif",)),
        CallRaw(call_id, raw(t0 + 5.5, "FAXSession", Pages="2", Status="OK")),
        CallClosed(call_id, t0 + 6.0, Result.SUCCESS, "ok"),
    ]


def apply_all(store: Store, events: list) -> None:
    for event in events:
        store.apply(event)


def finished_call(
    store: Store,
    call_id: str,
    ended: float,
    *,
    remote_number: str = "",
    station: str = "",
    result: Result = Result.FAILED,
    reason: str = "busy",
    detail: str = "",
) -> None:
    store.apply(opened(call_id, ended - 1))
    store.apply(
        CallInfo(
            call_id,
            ended - 0.5,
            direction=Direction.IN,
            remote_number=remote_number,
            remote_station_id=station,
        )
    )
    store.apply(CallClosed(call_id, ended, result, reason, detail))


# --- applying events --------------------------------------------------------------------------


def test_a_full_call_builds_the_right_record() -> None:
    store = Store(None)
    apply_all(store, full_call_events())
    call = store.call("c1")
    assert call is not None

    assert call.source == "pbx"
    assert call.origin == "ami"
    assert call.uniqueid == "u-c1"
    assert call.linkedid == "L1"
    assert call.started == 100.0
    assert call.ended == 106.0
    assert not call.active
    assert call.direction is Direction.OUT
    assert call.channel == "PJSIP/trunk-0001"
    assert call.remote_number == "+33 1 23 45 67 89"
    assert call.remote_name == "Acme"
    assert call.local_number == "100"
    assert call.local_station_id == "FAXTUI"
    assert call.remote_station_id == "ACME FAX"
    assert call.transport is Transport.T38
    assert (call.rate, call.ecm, call.resolution) == (14400, True, "fine")
    assert (call.page, call.pages, call.bad_lines) == (2, 2, 3)
    assert call.files == ("/var/spool/fax/out.tif",)
    assert call.event_count == 2
    assert call.phase is Phase.E
    assert call.status == "fax sent"
    assert call.result is Result.SUCCESS
    assert call.reason == "ok"
    assert call.timeline == (
        Step(100.0, Phase.A, "call set-up"),
        Step(101.0, Phase.B, "DIS received"),
        Step(101.8, Phase.B, "training"),  # a status inside the current phase
        Step(102.0, Phase.C, "page 1"),
        Step(103.0, Phase.D, "MCF"),
        Step(104.0, Phase.C, "page 2"),
        Step(105.0, Phase.D, "MCF"),
        Step(106.0, Phase.E, "fax sent"),
    )
    assert call.phases() == [Phase.A, Phase.B, Phase.C, Phase.D, Phase.C, Phase.D, Phase.E]
    assert call.phase_began(Phase.A) == 100.0
    assert call.phase_began(Phase.B) == 101.0  # not the later "training" step
    assert call.phase_began(Phase.C) == 104.0  # the last time it entered C
    assert call.phase_began(Phase.D) == 105.0
    assert call.phase_began(Phase.E) == 106.0


def test_a_new_call_is_in_phase_a_and_active() -> None:
    store = Store(None)
    store.apply(opened("c1", 50.0))
    call = store.call("c1")
    assert call is not None
    assert call.active
    assert call.phase is Phase.A
    assert call.status == "call set-up"
    assert call.timeline == (Step(50.0, Phase.A, "call set-up"),)
    assert call.phases() == [Phase.A]
    assert call.phase_began(Phase.B) is None
    assert call.result is Result.NONE
    assert call.direction is Direction.UNKNOWN


def test_incoming_success_reads_fax_received() -> None:
    store = Store(None)
    store.apply(opened())
    store.apply(CallInfo("c1", 101.0, direction=Direction.IN))
    store.apply(CallClosed("c1", 102.0, Result.SUCCESS, "ok"))
    call = store.call("c1")
    assert call is not None
    assert call.status == "fax received"
    assert call.timeline[-1] == Step(102.0, Phase.E, "fax received")


def test_failure_status_is_the_reason_text() -> None:
    store = Store(None)
    store.apply(opened())
    store.apply(PhaseEntered("c1", 101.0, Phase.B, "DCS sent"))
    store.apply(
        CallClosed("c1", 102.0, Result.FAILED, "training_failed", "Failed to train with any")
    )
    call = store.call("c1")
    assert call is not None
    assert call.result is Result.FAILED
    assert call.reason == "training_failed"
    assert call.reason_detail == "Failed to train with any"
    assert call.status == "training failed at every speed"
    assert call.phase is Phase.E
    assert call.ended == 102.0
    assert call.phases() == [Phase.A, Phase.B, Phase.E]


def test_unknown_reason_code_closes_with_the_unknown_text() -> None:
    store = Store(None)
    store.apply(opened())
    store.apply(CallClosed("c1", 102.0, Result.UNKNOWN, "no-such-code"))
    call = store.call("c1")
    assert call is not None
    assert call.reason == "no-such-code"
    assert call.status == "failed for an unknown reason"


def test_repeating_the_same_phase_and_text_changes_nothing() -> None:
    store = Store(None)
    store.apply(opened())
    sub = store.subscribe()
    store.apply(PhaseEntered("c1", 101.0, Phase.B, "DIS"))
    store.apply(PhaseEntered("c1", 101.5, Phase.B, "DIS"))  # ignored
    store.apply(PhaseEntered("c1", 102.0, Phase.B, "DCS"))  # same phase, new text
    call = store.call("c1")
    assert call is not None
    assert [s.text for s in call.timeline] == ["call set-up", "DIS", "DCS"]
    assert call.phases() == [Phase.A, Phase.B]
    assert call.phase_began(Phase.B) == 101.0
    assert len(sub._queue) == 2  # one change per effective event


def test_call_info_without_news_publishes_nothing() -> None:
    store = Store(None)
    store.apply(opened())
    store.apply(CallInfo("c1", 101.0, remote_number="123", status="ringing"))
    before = store.call("c1")
    sub = store.subscribe()
    store.apply(CallInfo("c1", 102.0, remote_number="123", status="ringing"))
    store.apply(CallInfo("c1", 103.0))
    assert store.call("c1") == before
    assert len(sub._queue) == 0


def test_page_progress_shows_as_the_status_but_is_not_a_timeline_step() -> None:
    store = Store(None)
    store.apply(opened())
    store.apply(PhaseEntered("c1", 101.0, Phase.C, "receiving page 1"))
    for n, ts in enumerate((101.5, 102.0, 102.5), start=1):
        store.apply(CallInfo("c1", ts, status=f"receiving page 1: {n} KB", page=1, progress=True))
    store.apply(PhaseEntered("c1", 103.0, Phase.D, "page 1 received"))
    call = store.call("c1")
    assert call is not None
    assert [s.text for s in call.timeline] == ["call set-up", "receiving page 1",
                                               "page 1 received"]  # fmt: skip
    store.apply(CallInfo("c1", 103.5, status="receiving page 2: 1 KB", page=2, progress=True))
    live = store.call("c1")
    assert live is not None and live.status == "receiving page 2: 1 KB" and live.page == 2


def test_call_info_none_means_unchanged_and_false_is_a_value() -> None:
    store = Store(None)
    store.apply(opened())
    store.apply(CallInfo("c1", 101.0, ecm=True, rate=9600, remote_number="1"))
    store.apply(CallInfo("c1", 102.0, ecm=False))
    call = store.call("c1")
    assert call is not None
    assert call.ecm is False
    assert call.rate == 9600
    assert call.remote_number == "1"
    # a field-only CallInfo adds no timeline step
    assert call.timeline == (Step(100.0, Phase.A, "call set-up"),)


def test_events_for_unknown_calls_are_ignored() -> None:
    store = Store(None)
    sub = store.subscribe()
    store.apply(CallInfo("ghost", 1.0, remote_number="1", status="x"))
    store.apply(PhaseEntered("ghost", 1.0, Phase.C, "page"))
    store.apply(CallRaw("ghost", raw(1.0)))
    store.apply(CallClosed("ghost", 1.0, Result.FAILED, "busy"))
    assert store.call("ghost") is None
    assert store.raw_events("ghost") is None
    assert store.snapshot().calls == ()
    assert len(sub._queue) == 0


def test_events_after_close_are_ignored() -> None:
    store = Store(None)
    store.apply(opened())
    store.apply(CallClosed("c1", 101.0, Result.FAILED, "busy"))
    closed = store.call("c1")
    store.apply(CallInfo("c1", 102.0, remote_number="late"))
    store.apply(PhaseEntered("c1", 102.0, Phase.C, "late"))
    store.apply(CallClosed("c1", 103.0, Result.SUCCESS, "ok"))
    assert store.call("c1") == closed


def test_reopening_a_live_call_keeps_it() -> None:
    store = Store(None)
    store.apply(opened("c1", 100.0))
    store.apply(CallInfo("c1", 101.0, remote_number="555"))
    store.apply(opened("c1", 200.0))
    call = store.call("c1")
    assert call is not None
    assert call.remote_number == "555"
    assert call.started == 100.0


def test_raw_events_are_kept_and_counted() -> None:
    store = Store(None)
    store.apply(opened())
    events = [raw(100.0 + i, "FAXStatus", Status=str(i)) for i in range(3)]
    for event in events:
        store.apply(CallRaw("c1", event))
    assert store.raw_events("c1") == events
    call = store.call("c1")
    assert call is not None
    assert call.event_count == 3
    store.apply(CallClosed("c1", 110.0, Result.SUCCESS, "ok"))
    assert store.raw_events("c1") == events  # still there once finished


def test_raw_events_per_call_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "MAX_RAW_PER_CALL", 3)
    store = Store(None)
    store.apply(opened())
    for i in range(5):
        store.apply(CallRaw("c1", raw(float(i))))
    assert [e.ts for e in store.raw_events("c1") or []] == [2.0, 3.0, 4.0]
    call = store.call("c1")
    assert call is not None
    assert call.event_count == 5  # the count says how many came, not how many are kept


def test_source_status_publishes_only_real_changes() -> None:
    store = Store(None)
    sub = store.subscribe()
    up = SourceState("pbx", "ami", LinkState.UP, "connected", since=1.0)
    down = SourceState("pbx", "ami", LinkState.DOWN, "refused", "refused", 2.0, retry_at=7.0)
    other = SourceState("pbx2", "ami", LinkState.CONNECTING)
    store.apply(SourceStatus(up))
    store.apply(SourceStatus(up))  # same state: no change
    store.apply(SourceStatus(other))
    store.apply(SourceStatus(down))
    assert list(sub._queue) == [SourceChange(up), SourceChange(other), SourceChange(down)]
    assert store.snapshot().sources == (down, other)


def test_health_sample() -> None:
    store = Store(None)
    sub = store.subscribe()
    health = Health(
        ts=5.0,
        processes=(ProcessInfo("asterisk", 42, 1.5, 1 << 20, 0.0),),
        disks=(DiskInfo("/var/spool", 100, 40),),
        missing=("faxq",),
    )
    store.apply(HealthSample(health))
    assert list(sub._queue) == [HealthChange(health)]
    assert store.snapshot().health == health


def test_snapshot_holds_active_and_recently_finished_calls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(store_module, "RECENT_CALLS", 2)
    store = Store(None)
    for i in range(3):
        finished_call(store, f"done{i}", 10.0 + i)
    store.apply(opened("live", 20.0))

    snap = store.snapshot()

    ids = [c.id for c in snap.calls]
    assert ids == ["done1", "done2", "live"]  # the oldest finished one fell off
    assert snap.read_only is False
    assert store.snapshot(read_only=True).read_only is True
    assert store.call("done0") is None
    assert store.raw_events("done0") is None
    assert store.call("done2") is not None


def test_snapshot_is_a_frozen_copy() -> None:
    store = Store(None)
    store.apply(opened("c1"))
    snap = store.snapshot()
    store.apply(CallInfo("c1", 101.0, remote_number="9"))
    assert snap.calls[0].remote_number == ""
    assert store.snapshot().calls[0].remote_number == "9"


# --- subscribers ------------------------------------------------------------------------------


async def next_batch(sub: Subscription) -> list:
    return await asyncio.wait_for(anext(sub), timeout=2)


async def test_subscriber_gets_batches_in_order() -> None:
    store = Store(None)
    sub = store.subscribe()
    store.apply(opened("c1"))
    store.apply(CallInfo("c1", 101.0, remote_number="1"))
    store.apply_many([PhaseEntered("c1", 102.0, Phase.B, "DIS"), opened("c2")])

    batch = await next_batch(sub)

    assert all(isinstance(c, CallChange) for c in batch)
    calls = [c.call for c in batch]
    assert [(c.id, c.phase, c.remote_number) for c in calls] == [
        ("c1", Phase.A, ""),
        ("c1", Phase.A, "1"),
        ("c1", Phase.B, "1"),
        ("c2", Phase.A, ""),
    ]
    # later events come in a later batch
    store.apply(CallClosed("c2", 103.0, Result.FAILED, "busy"))
    (change,) = await next_batch(sub)
    assert change.call.id == "c2"
    assert change.call.ended == 103.0


async def test_subscriber_waits_for_changes() -> None:
    store = Store(None)
    sub = store.subscribe()
    waiter = asyncio.ensure_future(anext(sub))
    await asyncio.sleep(0.01)
    assert not waiter.done()
    store.apply(opened("c1"))
    batch = await asyncio.wait_for(waiter, timeout=2)
    assert [c.call.id for c in batch] == ["c1"]


async def test_every_subscriber_gets_every_change() -> None:
    store = Store(None)
    first, second = store.subscribe(), store.subscribe()
    apply_all(store, full_call_events())
    a, b = await next_batch(first), await next_batch(second)
    assert a == b
    assert len(a) == len(full_call_events())


async def test_subscriber_that_falls_behind_gets_a_resync(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "SUBSCRIBER_BACKLOG", 5)
    store = Store(None)
    slow = store.subscribe()
    for i in range(5):
        store.apply(opened(f"c{i}"))
    assert len(slow._queue) == 5  # at the limit, still fine
    store.apply(opened("c5"))  # one too many
    store.apply(opened("c6"))  # after the Resync, changes queue again

    batch = await next_batch(slow)

    assert batch[0] == Resync()
    assert [c.call.id for c in batch[1:]] == ["c6"]
    # a fresh snapshot has everything the dropped changes carried
    assert {c.id for c in store.snapshot().calls} == {f"c{i}" for i in range(7)}


async def test_one_big_batch_overflows_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "SUBSCRIBER_BACKLOG", 3)
    store = Store(None)
    sub = store.subscribe()
    store.apply_many([opened(f"c{i}") for i in range(4)])
    assert await next_batch(sub) == [Resync()]


async def test_subscriber_that_keeps_up_never_resyncs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "SUBSCRIBER_BACKLOG", 3)
    store = Store(None)
    sub = store.subscribe()
    seen = []
    for i in range(10):
        store.apply(opened(f"c{i}"))
        seen += await next_batch(sub)
    assert Resync() not in seen
    assert [c.call.id for c in seen] == [f"c{i}" for i in range(10)]


async def test_closed_subscription_ends_iteration_and_gets_nothing() -> None:
    store = Store(None)
    sub = store.subscribe()
    store.apply(opened("c1"))
    sub.close()
    store.apply(opened("c2"))  # after close: not delivered
    batches = [batch async for batch in sub]
    assert [[c.call.id for c in b] for b in batches] == [["c1"]]


async def test_store_close_ends_every_subscription() -> None:
    store = Store(None)
    sub = store.subscribe()
    waiter = asyncio.ensure_future(anext(sub))
    await asyncio.sleep(0)
    store.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(waiter, timeout=2)


# --- history in SQLite ------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "faxtui.db"


def test_history_database_is_in_wal_mode(db: Path) -> None:
    store = Store(db)
    store.close()
    assert db.exists()  # the parent directory was created
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_finished_call_reads_back_identical(db: Path) -> None:
    store = Store(db)
    apply_all(store, full_call_events("c1"))
    in_memory = store.call("c1")
    store.close()

    (back,) = read_history(db)

    assert back == in_memory
    assert back.to_dict() == in_memory.to_dict()  # type: ignore[union-attr]
    assert isinstance(back.timeline, tuple)
    assert back.timeline[1].phase is Phase.B
    assert back.direction is Direction.OUT
    assert back.transport is Transport.T38
    assert back.result is Result.SUCCESS


def test_live_calls_are_not_in_history(db: Path) -> None:
    store = Store(db)
    store.apply(opened("live"))
    finished_call(store, "done", 10.0)
    store.close()
    assert [c.id for c in read_history(db)] == ["done"]


def test_call_to_dict_from_dict_round_trip() -> None:
    call = Call(
        id="x",
        source="s",
        origin="modem",
        started=1.25,
        direction=Direction.IN,
        channel="ch",
        uniqueid="u",
        linkedid="l",
        local_number="1",
        remote_number="2",
        remote_name="n\x1b[2J",
        local_station_id="L",
        remote_station_id="R",
        transport=Transport.AUDIO,
        phase=Phase.D,
        status="st",
        timeline=(Step(1.25, Phase.A, "a"), Step(2.5, Phase.D, "d")),
        rate=7200,
        ecm=False,
        resolution="superfine",
        page=3,
        pages=2,
        bad_lines=9,
        files=("a.tif", "b.tif"),
        ended=4.0,
        result=Result.UNKNOWN,
        reason="lost_track",
        reason_detail="détail",
        event_count=12,
    )
    assert Call.from_dict(json.loads(json.dumps(call.to_dict()))) == call
    # unknown keys from a newer version are ignored
    data = call.to_dict() | {"future_field": 1}
    assert Call.from_dict(data) == call


def test_history_is_newest_first_and_limited(db: Path) -> None:
    store = Store(db)
    for i, ended in enumerate([30.0, 10.0, 50.0, 20.0, 40.0]):
        finished_call(store, f"c{i}", ended)
    store.close()
    assert [c.ended for c in read_history(db)] == [50.0, 40.0, 30.0, 20.0, 10.0]
    assert [c.ended for c in read_history(db, limit=2)] == [50.0, 40.0]
    assert read_history(db, limit=0) == []


def test_history_of_a_missing_database_is_empty(tmp_path: Path) -> None:
    assert read_history(tmp_path / "none.db") == []
    assert read_history_events(tmp_path / "none.db", "c1") == []
    assert not (tmp_path / "none.db").exists()  # reading creates nothing


@pytest.fixture
def history(db: Path) -> Path:
    store = Store(db)
    finished_call(store, "busy1", 10.0, remote_number="+33123456789", reason="busy")
    finished_call(
        store, "train", 20.0, remote_number="0612345678", station="ACME Corp FAX",
        reason="training_failed", detail="Failed to train with any of the compatible modems",
    )  # fmt: skip
    finished_call(
        store, "ok1", 30.0, remote_number="5551234", station="Globex", result=Result.SUCCESS,
        reason="ok",
    )  # fmt: skip
    finished_call(store, "pct", 40.0, station="100%_sure", reason="busy")
    finished_call(store, "plain", 50.0, station="1000 sure", reason="busy")
    store.close()
    return db


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["plain", "pct", "ok1", "train", "busy1"]),
        ("   ", ["plain", "pct", "ok1", "train", "busy1"]),
        ("123456", ["train", "busy1"]),  # a part of a number
        ("+33", ["busy1"]),
        ("acme", ["train"]),  # station ID, case-insensitive
        ("ACME fax", ["train"]),  # every word must match
        ("acme globex", []),
        ("globex", ["ok1"]),
        ("success", ["ok1"]),  # result
        ("failed", ["plain", "pct", "train", "busy1"]),
        ("busy", ["plain", "pct", "busy1"]),  # reason code
        ("training_failed", ["train"]),
        ("compatible modems", ["train"]),  # the far end's own words
        ("%", ["pct"]),  # LIKE wildcards are literal
        ("_", ["pct", "train"]),  # 100%_sure and training_failed
        ("100%", ["pct"]),
        ("0%_", ["pct"]),
        ("1_0", []),
        ("\\", []),
    ],
)
def test_history_text_filter(history: Path, text: str, expected: list[str]) -> None:
    assert [c.id for c in read_history(history, text)] == expected


def test_raw_events_round_trip(db: Path) -> None:
    store = Store(db)
    events = [
        raw(100.5, "Newchannel", Channel="PJSIP/1", CallerIDNum="555"),
        raw(101.0, "FAXStatus", Status="DIS", Note="a=b; \x1b[31m"),
        RawEvent(102.0, "at", "AT+FRH=3"),  # no fields
    ]
    store.apply(opened("c1"))
    for event in events:
        store.apply(CallRaw("c1", event))
    store.apply(CallClosed("c1", 103.0, Result.SUCCESS, "ok"))
    finished_call(store, "c2", 110.0)
    store.close()

    assert read_history_events(db, "c1") == events
    assert read_history_events(db, "c2") == []
    assert read_history_events(db, "nope") == []


def test_history_survives_reopening_and_closing_twice(db: Path) -> None:
    store = Store(db)
    finished_call(store, "a", 1.0)
    store.close()
    store.close()  # harmless
    store = Store(db)
    finished_call(store, "b", 2.0)
    store.close()
    assert [c.id for c in read_history(db)] == ["b", "a"]


def test_history_readable_while_the_store_is_open(db: Path) -> None:
    store = Store(db)
    finished_call(store, "a", 1.0)
    assert [c.id for c in read_history(db)] == ["a"]
    store.close()


def test_store_without_database_keeps_nothing(tmp_path: Path) -> None:
    store = Store(None)
    finished_call(store, "a", 1.0)
    store.flush()
    store.close()
    assert list(tmp_path.iterdir()) == []


def test_deferred_flush_writes_only_when_the_callback_runs(db: Path) -> None:
    deferred: list[Callable[[], None]] = []
    store = Store(db, defer=deferred.append)

    finished_call(store, "a", 1.0)
    finished_call(store, "b", 2.0)

    assert len(deferred) == 1  # one flush scheduled for both calls
    assert read_history(db) == []
    deferred.pop()()
    assert [c.id for c in read_history(db)] == ["b", "a"]

    finished_call(store, "c", 3.0)  # a new flush is scheduled after the last one ran
    assert len(deferred) == 1
    assert [c.id for c in read_history(db)] == ["b", "a"]
    deferred.pop()()
    assert [c.id for c in read_history(db)] == ["c", "b", "a"]
    store.close()


def test_deferred_flush_with_nothing_left_is_harmless(db: Path) -> None:
    deferred: list[Callable[[], None]] = []
    store = Store(db, defer=deferred.append)
    finished_call(store, "a", 1.0)
    store.flush()  # e.g. the history screen flushes before reading
    assert [c.id for c in read_history(db)] == ["a"]
    deferred.pop()()  # the scheduled flush finds nothing to do
    assert [c.id for c in read_history(db)] == ["a"]
    store.close()


def test_close_flushes_pending_calls(db: Path) -> None:
    store = Store(db, defer=lambda fn: None)  # a loop that never runs the callback
    finished_call(store, "a", 1.0)
    assert read_history(db) == []
    store.close()
    assert [c.id for c in read_history(db)] == ["a"]


async def test_flush_deferred_on_the_event_loop(db: Path) -> None:
    store = Store(db, defer=asyncio.get_running_loop().call_soon)
    finished_call(store, "a", 1.0)
    assert read_history(db) == []
    await asyncio.sleep(0)
    assert [c.id for c in read_history(db)] == ["a"]
    store.close()


def test_a_failed_write_keeps_the_calls_for_the_next_flush(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    deferred: list[Callable[[], None]] = []
    store = Store(db, defer=deferred.append)
    finished_call(store, "a", 1.0)
    blocker = sqlite3.connect(db)
    blocker.execute("PRAGMA busy_timeout=0")
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    store._db.execute("PRAGMA busy_timeout=0")  # type: ignore[union-attr]
    deferred.pop()()
    assert "cannot write call history" in caplog.text
    blocker.rollback()
    blocker.close()
    store.flush()
    assert [c.id for c in read_history(db)] == ["a"]
    store.close()


@pytest.mark.parametrize("dirname", ["hash#dir", "query?dir", "percent%41dir"])
def test_history_in_a_directory_with_uri_characters(tmp_path: Path, dirname: str) -> None:
    db = tmp_path / dirname / "faxtui.db"
    store = Store(db)
    finished_call(store, "a", 1.0)
    store.close()
    assert [c.id for c in read_history(db)] == ["a"]


# --- kill -9 ----------------------------------------------------------------------------------

KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from faxtui.model import CallClosed, CallInfo, CallOpened, Direction, Result
    from faxtui.store import Store

    db, flushed, more = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

    def finish(store, i):
        store.apply(CallOpened(f"call-{i}", i, "pbx", "ami", float(i)))
        store.apply(CallInfo(f"call-{i}", i + 0.5, direction=Direction.IN,
                             remote_number=f"+1555{i:04d}", remote_station_id="X" * 500))
        store.apply(CallClosed(f"call-{i}", i + 1.0, Result.SUCCESS, "ok"))

    store = Store(db)  # no defer: every finished call is flushed at once
    for i in range(flushed):
        finish(store, i)
    print("flushed", flushed, flush=True)

    pending = []
    store._defer = pending.append  # batch the next calls into one big write
    for i in range(flushed, flushed + more):
        finish(store, i)
    steps = 0

    def die_mid_write():
        global steps
        steps += 1
        if steps == 50:  # well inside the INSERTs of the batch
            os.kill(os.getpid(), signal.SIGKILL)
        return 0

    store._db.execute("PRAGMA cache_size=5")  # spill uncommitted pages into the WAL
    store._db.set_progress_handler(die_mid_write, 100)
    store.flush()
    print("survived", flush=True)  # never printed
    """
)


def test_kill_9_while_writing_keeps_the_flushed_calls(tmp_path: Path) -> None:
    db = tmp_path / "faxtui.db"
    flushed, more = 40, 400
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(db), str(flushed), str(more)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert proc.stdout.split("\n")[0] == f"flushed {flushed}"
    assert "survived" not in proc.stdout

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    calls = read_history(db, limit=10_000)
    # the interrupted batch was one transaction: none of it, all of what came before
    assert sorted(c.id for c in calls) == sorted(f"call-{i}" for i in range(flushed))
    for call in calls:
        i = int(call.id.removeprefix("call-"))
        assert call.remote_number == f"+1555{i:04d}"
        assert call.remote_station_id == "X" * 500
        assert (call.started, call.ended) == (float(i), i + 1.0)
        assert call.result is Result.SUCCESS
        assert call.phases() == [Phase.A, Phase.E]
