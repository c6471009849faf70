"""UI fixtures: a FaxApp on a real Engine fed with fixed events at a frozen time, and a live
FaxApp on the AMI simulator.

The fixed app has no AMI server; its store gets a hand-made but realistic set of calls,
sources and host health (``EVENTS``) once the app has mounted. Wall time is frozen at
``NOW`` so elapsed times, clocks and "retry in" stay the same from run to run.

``make_app(jobs=JOBS)`` also fills the queue's database before the engine starts: the real
queue then owns them (no sender: nothing is dialled), and the job keys act on them for real.
"""

from __future__ import annotations

import html
import re
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import RichLog

from faxtui.config import Config, HealthConfig
from faxtui.engine import Engine
from faxtui.model import (
    Attempt,
    CallClosed,
    CallInfo,
    CallOpened,
    CallRaw,
    Direction,
    DiskInfo,
    FaxEvent,
    Health,
    HealthSample,
    Job,
    JobChanged,
    JobState,
    LinkState,
    Phase,
    PhaseEntered,
    ProcessInfo,
    RawEvent,
    Result,
    SourceState,
    SourceStatus,
    Transport,
)
from faxtui.queue.jobs import JobStore
from faxtui.sim.ami_server import AmiSimulator
from faxtui.sources.health import HealthProbe
from faxtui.ui.app import FaxApp
from faxtui.ui.widgets.calls_table import CallsTable
from tests.conftest import ami_config, wait_for

NOW = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC
T = NOW

# --- the fixed calls ---------------------------------------------------------------------

OK_ID = "pbx1:1799999700.41"  # inbound, finished, 2 pages
DROPPED_ID = "pbx1:1799999760.52"  # inbound, failed: the line dropped during page 2
BUSY_ID = "pbx1:1799999880.63"  # outbound, busy
INBOUND_ID = "pbx1:1799999905.74"  # inbound T.38, receiving page 2 now
OUTBOUND_ID = "pbx1:1799999980.85"  # outbound, in phase B now
OLD_IDS = ("pbx1:1799990000.11", "pbx1:1799993000.22")  # finished hours ago (history only)

LIVE_IDS = (OK_ID, DROPPED_ID, BUSY_ID, INBOUND_ID, OUTBOUND_ID)  # in the order they began
FINISHED_IDS = (OK_ID, DROPPED_ID, BUSY_ID)
ACTIVE_IDS = (INBOUND_ID, OUTBOUND_ID)

HOSTILE = "\x1b[2J\x1b]0;owned\x07[bold red]x[/]"


def _raw(ts: float, name: str, *fields: tuple[str, str]) -> RawEvent:
    return RawEvent(ts, "ami", name, tuple(fields))


def _ami(ts: float, name: str, uid: str, channel: str, *fields: tuple[str, str]) -> RawEvent:
    return _raw(ts, name, ("Channel", channel), ("Uniqueid", uid), ("Linkedid", uid), *fields)


def _varset(ts: float, uid: str, channel: str, variable: str, value: str) -> RawEvent:
    return _ami(ts, "VarSet", uid, channel, ("Variable", variable), ("Value", value))


def _opened(call_id: str, started: float) -> CallOpened:
    uid = call_id.split(":", 1)[1]
    return CallOpened(call_id, started, "pbx1", "ami", started, uid, uid)


def _inbound_ok() -> list[FaxEvent]:
    c, s = OK_ID, T - 300
    return [
        _opened(c, s),
        CallInfo(c, s, channel="PJSIP/trunk-00000029"),
        CallInfo(c, s + 0.4, status="answered"),
        CallInfo(
            c,
            s + 0.4,
            direction=Direction.IN,
            remote_number="+442079460123",
            remote_name="Bright Legal LLP",
            local_number="5550100",
        ),
        CallInfo(c, s + 2.9, status="CNG heard: to fax"),
        CallInfo(c, s + 5.9, transport=Transport.T38, status="T.38 negotiated"),
        PhaseEntered(c, s + 6.1, Phase.B, "fax session started: DIS/DCS and training"),
        CallInfo(c, s + 6.1, local_station_id="faxtui lab"),
        CallInfo(c, s + 10.2, rate=14400, ecm=True, resolution="fine", page=1),
        PhaseEntered(c, s + 10.2, Phase.C, "receiving page 1"),
        CallInfo(c, s + 20.1, pages=1),
        PhaseEntered(c, s + 20.1, Phase.D, "page 1 confirmed"),
        CallInfo(c, s + 20.2, page=2),
        PhaseEntered(c, s + 20.2, Phase.C, "receiving page 2"),
        CallInfo(c, s + 30.0, pages=2),
        PhaseEntered(c, s + 30.0, Phase.D, "page 2 confirmed"),
        CallInfo(
            c,
            s + 30.1,
            remote_station_id="BRIGHT LEGAL",
            files=("/var/spool/asterisk/fax/1799999700.41.tif",),
        ),
        CallClosed(c, s + 30.4, Result.SUCCESS, "ok", "OK"),
    ]


def _inbound_dropped() -> list[FaxEvent]:
    c, s = DROPPED_ID, T - 240
    uid, chan = DROPPED_ID.split(":", 1)[1], "PJSIP/trunk-0000002a"
    raw = [
        _ami(
            s,
            "Newchannel",
            uid,
            chan,
            ("ChannelState", "4"),
            ("ChannelStateDesc", "Ring"),
            ("CallerIDNum", "+4930901820"),
            ("CallerIDName", "Praxis Dr. Weber"),
            ("Context", "from-trunk"),
            ("Exten", "5550101"),
        ),
        _ami(
            s + 0.1,
            "Newexten",
            uid,
            chan,
            ("Context", "from-trunk"),
            ("Exten", "5550101"),
            ("Priority", "1"),
            ("Application", "ReceiveFAX"),
            ("AppData", "/var/spool/asterisk/fax/1799999760.52.tif"),
        ),
        _ami(s + 0.4, "Newstate", uid, chan, ("ChannelState", "6"), ("ChannelStateDesc", "Up")),
        _varset(s + 0.5, uid, chan, "FAXSTATUS", "FAILED"),
        _varset(s + 0.5, uid, chan, "FAXERROR", "Channel Problems"),
        _varset(s + 0.6, uid, chan, "FAXMODE", "audio"),
        _ami(
            s + 0.6,
            "FAXStatus",
            uid,
            chan,
            ("Operation", "receive"),
            ("Status", "FAX Transmission In Progress"),
            ("LocalStationID", "faxtui lab"),
            ("FileName", "/var/spool/asterisk/fax/1799999760.52.tif"),
        ),
        _ami(s + 33.0, "HangupRequest", uid, chan, ("Cause", "16")),
        _varset(s + 33.1, uid, chan, "FAXSTATUS", "FAILED"),
        _varset(s + 33.1, uid, chan, "FAXERROR", "HANGUP"),
        _varset(s + 33.1, uid, chan, "FAXSTATUSSTRING", "remote channel hungup"),
        _ami(
            s + 33.2,
            "ReceiveFAX",
            uid,
            chan,
            ("LocalStationID", "faxtui lab"),
            ("RemoteStationID", "+49 30 901820"),
            ("PagesTransferred", "1"),
            ("Resolution", "8040x3850"),
            ("TransferRate", "9600"),
            ("FileName", "/var/spool/asterisk/fax/1799999760.52.tif"),
        ),
        _ami(s + 33.4, "Hangup", uid, chan, ("Cause", "16"), ("Cause-txt", "Normal Clearing")),
    ]
    return [
        _opened(c, s),
        CallInfo(c, s, channel=chan),
        CallInfo(
            c,
            s + 0.4,
            direction=Direction.IN,
            remote_number="+4930901820",
            remote_name="Praxis Dr. Weber",
            local_number="5550101",
        ),
        CallInfo(c, s + 0.4, status="answered"),
        CallInfo(c, s + 0.6, transport=Transport.AUDIO),
        PhaseEntered(c, s + 0.6, Phase.B, "fax session started: DIS/DCS and training"),
        CallInfo(
            c,
            s + 5.0,
            rate=9600,
            ecm=False,
            resolution="standard",
            page=1,
            remote_station_id="+49 30 901820",
            local_station_id="faxtui lab",
        ),
        PhaseEntered(c, s + 5.0, Phase.C, "receiving page 1"),
        CallInfo(c, s + 20.8, pages=1),
        PhaseEntered(c, s + 20.8, Phase.D, "page 1 confirmed"),
        CallInfo(c, s + 21.0, page=2),
        PhaseEntered(c, s + 21.0, Phase.C, "receiving page 2"),
        *(CallRaw(c, event) for event in raw),
        CallClosed(c, s + 33.4, Result.FAILED, "call_dropped", "The call dropped prematurely"),
    ]


def _outbound_busy() -> list[FaxEvent]:
    c, s = BUSY_ID, T - 120
    return [
        _opened(c, s),
        CallInfo(c, s, channel="Local/5550117@fax-out-00000013;1"),
        CallInfo(c, s, direction=Direction.OUT, remote_number="5550117", local_number="5550100"),
        CallInfo(c, s + 0.1, status="dialling 5550117"),
        CallInfo(c, s + 0.7, status="dial ended: busy"),
        CallClosed(c, s + 0.8, Result.FAILED, "busy", "BUSY (cause 17)"),
    ]


def _inbound_t38_page2() -> list[FaxEvent]:
    c, s = INBOUND_ID, T - 95
    uid, chan = INBOUND_ID.split(":", 1)[1], "PJSIP/trunk-0000002c"
    raw = [
        _ami(
            s,
            "Newchannel",
            uid,
            chan,
            ("ChannelStateDesc", "Ring"),
            ("CallerIDNum", "+14155550134"),
            ("CallerIDName", "ACME Corp"),
        ),
        _varset(s + 6.0, uid, chan, "FAXMODE", "T38"),
        _ami(
            s + 6.1,
            "FAXStatus",
            uid,
            chan,
            ("Operation", "receive"),
            ("Status", "FAX Transmission In Progress"),
        ),
    ]
    return [
        _opened(c, s),
        CallInfo(c, s, channel=chan),
        CallInfo(c, s + 0.4, status="answered"),
        CallInfo(
            c,
            s + 0.4,
            direction=Direction.IN,
            remote_number="+14155550134",
            remote_name="ACME Corp",
            local_number="5550100",
        ),
        CallInfo(c, s + 2.9, status="CNG heard: to fax"),
        CallInfo(c, s + 5.9, transport=Transport.T38, status="T.38 negotiated"),
        PhaseEntered(c, s + 6.1, Phase.B, "fax session started: DIS/DCS and training"),
        CallInfo(c, s + 6.1, local_station_id="faxtui lab", remote_station_id="+1 415 555 0134"),
        CallInfo(c, s + 10.3, rate=14400, ecm=True, resolution="fine", page=1),
        PhaseEntered(c, s + 10.3, Phase.C, "receiving page 1"),
        CallInfo(c, s + 20.2, pages=1),
        PhaseEntered(c, s + 20.2, Phase.D, "page 1 confirmed"),
        CallInfo(c, s + 20.3, page=2),
        PhaseEntered(c, s + 20.3, Phase.C, "receiving page 2"),
        *(CallRaw(c, event) for event in raw),
    ]


def _outbound_phase_b() -> list[FaxEvent]:
    c, s = OUTBOUND_ID, T - 20
    return [
        _opened(c, s),
        CallInfo(c, s, channel="Local/5550142@fax-out-00000014;1"),
        CallInfo(c, s, direction=Direction.OUT, remote_number="5550142", local_number="5550100"),
        CallInfo(c, s + 0.1, status="dialling 5550142"),
        CallInfo(c, s + 3.2, status="dial ended: answer"),
        CallInfo(c, s + 6.3, transport=Transport.T38, status="T.38 negotiated"),
        PhaseEntered(c, s + 6.5, Phase.B, "fax session started: DIS/DCS and training"),
        CallInfo(c, s + 6.5, local_station_id="faxtui lab"),
    ]


def _finished_earlier(call_id: str, started: float, number: str, ok: bool) -> list[FaxEvent]:
    """A call that ended long ago: only the history shows it."""
    return [
        _opened(call_id, started),
        CallInfo(
            call_id,
            started,
            channel="PJSIP/trunk-00000001",
            direction=Direction.IN,
            remote_number=number,
            transport=Transport.AUDIO,
            rate=9600,
        ),
        PhaseEntered(call_id, started + 5, Phase.B, "fax session started: DIS/DCS and training"),
        CallInfo(call_id, started + 9, pages=1 if ok else 0),
        CallClosed(
            call_id,
            started + 40,
            Result.SUCCESS if ok else Result.FAILED,
            "ok" if ok else "training_failed",
        ),
    ]


SOURCES = (
    SourceState(
        "pbx1",
        "ami",
        LinkState.UP,
        "connected to 10.0.0.11:5038 (Asterisk 22.1.0)",
        since=T - 3600,
        detail="Asterisk Call Manager/9.0.0",
    ),
    SourceState(
        "pbx2",
        "ami",
        LinkState.DOWN,
        "login as 'faxtui' refused: Authentication failed "
        "(check username and secret against manager.conf); retrying in 30 s",
        problem="auth",
        since=T - 5,
        retry_at=T + 25,
    ),
)

HEALTH = Health(
    ts=T,
    processes=(ProcessInfo("asterisk", 812, 0.4, 64_200_000, T - 3 * 3600 - 4 * 60),),
    disks=(DiskInfo("/var/spool/asterisk/fax", 50 * 2**30, 35 * 2**30),),
)

EVENTS: tuple[FaxEvent, ...] = (
    *(SourceStatus(state) for state in SOURCES),
    HealthSample(HEALTH),
    *_inbound_ok(),
    *_inbound_dropped(),
    *_outbound_busy(),
    *_inbound_t38_page2(),
    *_outbound_phase_b(),
)

OLD_EVENTS: tuple[FaxEvent, ...] = (
    *_finished_earlier(OLD_IDS[0], T - 10_000, "+33142685300", ok=True),
    *_finished_earlier(OLD_IDS[1], T - 7_000, "+15125550188", ok=False),
)

# --- the fixed jobs of the queue ------------------------------------------------------------

DATA = Path(__file__).resolve().parent.parent / "data"
PDF = DATA / "reportlab-3-pages.pdf"  # three pages of text
SPOOL_SAMPLE = DATA / "efix-text-standard.tif"  # a real fax TIFF, as the spool keeps them

DONE_JOB, FAILED_JOB, RETRY_JOB, QUEUED_JOB, HELD_JOB, SENDING_JOB = 1, 2, 3, 4, 5, 6


def _job(job_id: int, number: str, document: str, pages: int, **fields: Any) -> Job:
    created = fields.pop("created", T - 1800)
    return Job(
        id=job_id,
        number=number,
        spool=f"job{job_id}.tif",  # in the queue's spool folder: make_app fills it in
        pages=pages,
        documents=(document,),
        owner="ops",
        created=created,
        updated=fields.pop("updated", created),
        kill_time=T + 86400,
        **fields,
    )


JOBS: tuple[Job, ...] = (
    _job(
        DONE_JOB, "+442079460123", "/home/ops/contract-2027.pdf", 2,
        state=JobState.DONE, created=T - 3000, updated=T - 2950, reason="ok",
        attempts=(Attempt(T - 2990, "pbx1", "pbx1:1799997010.11", T - 2950, Result.SUCCESS,
                          "ok", "OK", 2),),
    ),
    _job(
        FAILED_JOB, "5550117", "/home/ops/invoice 4711.pdf", 1,
        state=JobState.FAILED, created=T - 1500, updated=T - 600, reason="no_answer",
        detail="NO ANSWER (cause 19)",
        attempts=(
            Attempt(T - 1490, "pbx1", "pbx1:1799998510.21", T - 1489, Result.FAILED, "busy",
                    "BUSY (cause 17)"),
            Attempt(T - 1189, "pbx1", "pbx1:1799998811.22", T - 1188, Result.FAILED, "busy",
                    "BUSY (cause 17)"),
            Attempt(T - 645, "pbx1", "pbx1:1799999355.23", T - 600, Result.FAILED, "no_answer",
                    "NO ANSWER (cause 19)"),
        ),
    ),
    _job(
        RETRY_JOB, "+4930901820", "/srv/scans/befund.tif", 3,
        state=JobState.RETRY_WAIT, created=T - 420, updated=T - 60, reason="call_dropped",
        detail="remote channel hungup", next_try=T + 240,
        attempts=(Attempt(T - 400, "pbx1", "pbx1:1799999600.31", T - 60, Result.FAILED,
                          "call_dropped", "remote channel hungup", 1),),
    ),
    _job(QUEUED_JOB, "+15125550188", "/home/ops/quote.txt", 1, created=T - 30),
    _job(HELD_JOB, "5550199", "/home/ops/draft.pdf", 4, state=JobState.HELD, created=T - 25),
    _job(SENDING_JOB, "5550142", "/home/ops/order.pdf", 1, created=T - 21),
)  # fmt: skip

# The last job in a call: the queue cannot be made to place it without a sender, so the
# pictures show it through the store (``JOB_EVENTS``); the queue keeps it as queued.
SENDING = replace(
    JOBS[-1], state=JobState.SENDING, updated=T - 14,
    attempts=(Attempt(T - 20, "pbx1", OUTBOUND_ID),),
)  # fmt: skip
JOB_EVENTS: tuple[FaxEvent, ...] = (JobChanged(SENDING),)


def seed_jobs(config: Config, jobs: Iterable[Job]) -> None:
    """Put ``jobs`` in the queue's database (ids in order from 1), each with a spool file."""
    spool = config.spool
    spool.mkdir(parents=True, exist_ok=True)
    store = JobStore(config.queue_db)
    try:
        for job in jobs:
            target = spool / job.spool
            shutil.copyfile(SPOOL_SAMPLE, target)
            added = store.add(replace(job, spool=str(target)))
            assert added.id == job.id, "seed the jobs in id order, from 1"
    finally:
        store.close()


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def frozen_time(monkeypatch: pytest.MonkeyPatch) -> float:
    """Wall time stands still at NOW (monotonic time, which timers use, goes on)."""
    real_strftime = time.strftime

    def strftime(fmt: str, t: Any = None) -> str:
        return real_strftime(fmt, time.localtime(NOW) if t is None else t)

    monkeypatch.setattr(time, "time", lambda: NOW)
    monkeypatch.setattr(time, "strftime", strftime)
    return NOW


AppFactory = Callable[..., FaxApp]


@pytest.fixture
def make_app(tmp_path: Path, frozen_time: float, monkeypatch: pytest.MonkeyPatch) -> AppFactory:
    """``make_app(theme=..., read_only=...)``: a FaxApp on a real Engine with no AMI server.

    The engine's health source samples the same fixed ``HEALTH`` every time.
    """
    monkeypatch.setattr(HealthProbe, "sample", lambda self, now: HEALTH)

    def make(
        *,
        theme: str = "faxtui-dark",
        read_only: bool = False,
        jobs: Iterable[Job] = (),
        **kwargs: Any,
    ) -> FaxApp:
        config = Config(
            ami=(),
            health=HealthConfig(processes=(), spool_dirs=()),
            data_dir=tmp_path / "data",
        )
        seed_jobs(config, jobs)
        # the queue stamps its jobs with the frozen time too
        engine = Engine(config, read_only=read_only, clock=lambda: time.time())
        kwargs.setdefault("linger", 3600.0)
        return FaxApp(engine, theme=theme, **kwargs)

    return make


@pytest.fixture
def app(make_app: AppFactory) -> FaxApp:
    return make_app()


async def engine_ready(app: FaxApp) -> None:
    """Wait until the engine started and the app follows its changes."""
    await wait_for(
        lambda: app.engine.store is not None and bool(app.engine.store._subscribers),
        timeout=10,
    )


async def inject(pilot: Pilot[Any], events: Iterable[FaxEvent] = EVENTS) -> None:
    """Apply ``events`` to the app's store and wait until every screen shows them."""
    app = pilot.app
    assert isinstance(app, FaxApp)
    await engine_ready(app)
    store = app.engine.store
    assert store is not None
    events = list(events)
    store.apply_many(events)
    store.flush()
    now = time.time()
    ids = {e.call_id for e in events if isinstance(e, CallOpened)}
    # a call that ended longer ago than the linger time leaves the table at the next tick
    ids = {i for i in ids if app._showable(store.call(i), now)}  # type: ignore[arg-type]
    names = {e.state.name for e in events if isinstance(e, SourceStatus)}
    jobs = {e.job.id: e.job for e in events if isinstance(e, JobChanged)}

    def shown() -> bool:
        sources = {s.name: s for s in store.snapshot().sources}
        return (
            not app._pending
            and all(app.calls.get(i) == store.call(i) for i in ids)
            and all(app.sources.get(n) == sources[n] for n in names)
            and all(app.jobs.get(i) == job for i, job in jobs.items())
        )

    await wait_for(shown, timeout=10)
    await pilot.pause()


async def settle(pilot: Pilot[Any], events: Iterable[FaxEvent] = EVENTS) -> None:
    """``inject`` for pictures: also drop the toasts (their timeouts run in real time)."""
    await inject(pilot, events)
    pilot.app.clear_notifications()
    await pilot.pause()
    await pilot.pause()


def calls_table(app: FaxApp) -> CallsTable:
    return app.screen.query_one(CallsTable)


def event_log(app: FaxApp) -> RichLog:
    return app.screen.query_one("#log", RichLog)


# --- the live app on the AMI simulator ------------------------------------------------------


@pytest.fixture
def live_app(sim: AmiSimulator, tmp_path: Path) -> FaxApp:
    """A FaxApp whose engine watches the simulator (``sim``, speed 10) as server "pbx".

    The engine starts with the app (``run_test``) and stops with it; ``sim`` outlives both.
    """
    return FaxApp(Engine(ami_config(sim.port, tmp_path)), linger=600.0)


# --- reading a screenshot back as text ------------------------------------------------------

_TEXT = re.compile(
    r'<text[^>]*\bx="([\d.]+)"[^>]*clip-path="url\(#terminal-[\w-]*?line-(\d+)\)"[^>]*>([^<]*)</text>'
)
CELL_WIDTH = 12.2  # rich's export_svg at its default font size (20)


def svg_lines(svg: str) -> list[str]:
    """The terminal of an SVG screenshot as lines of text, each character in its cell.

    (A double-width character shifts the rest of its run by one: fine for ``in`` checks.)
    """
    rows: dict[int, dict[int, str]] = {}
    for x, line, chunk in _TEXT.findall(svg):
        row = rows.setdefault(int(line), {})
        col = round(float(x) / CELL_WIDTH)
        for i, char in enumerate(html.unescape(chunk).replace("\xa0", " ")):
            row[col + i] = char
    lines = []
    for number in range(max(rows, default=-1) + 1):
        cells = rows.get(number, {})
        lines.append("".join(cells.get(c, " ") for c in range(max(cells, default=-1) + 1)))
    return [line.rstrip() for line in lines]


def screen_text(app: FaxApp) -> str:
    return "\n".join(svg_lines(app.export_screenshot()))
