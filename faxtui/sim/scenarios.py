"""Fax calls as Asterisk 20+ reports them over AMI, event for event.

The sequences follow res_fax.c and res_fax_spandsp.c (see ../shared/reference/asterisk-ami.md
and the research notes it links): the placeholder FAXSTATUS=FAILED set at the start of every
fax, the clearing of the result when the session starts, FAXStatus only with statusevents,
the end event only when the fax session was reached, Originate's channels and its
OriginateResponse. Durations are real-world seconds, divided by the simulator's speed.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from faxtui.sim.ami_server import AmiSimulator, SimChannel, SimFaxSession
from faxtui.sim.modem import sample_page
from faxtui.t30 import t4

TRUNK = "trunk"
INBOX = "/var/spool/asterisk/fax"


@dataclass(frozen=True)
class FaxPlan:
    """How a fax session goes once ReceiveFAX/SendFAX runs."""

    pages: int = 2
    rate: int = 14400
    resolution: str = "8040x7700"  # fine, in pixels per metre as spandsp reports it
    ecm: bool = True
    t38: bool = True
    remote_id: str = "+1 555 0100"
    local_id: str = "faxtui lab"
    training: float = 4.0
    page_seconds: float = 9.0
    bad_lines: int = 0
    drop_during_page: int = 0  # the far end hangs up while this page is being transferred
    t38_fails: bool = False
    no_resource: bool = False


# --- the res_fax application ----------------------------------------------------------------


def _set_all(
    sim: AmiSimulator,
    chan: SimChannel,
    *,
    status: str | None,
    error: str | None,
    words: str | None,
    remote: str = "",
    local: str = "",
    rate: str | None = None,
    resolution: str | None = None,
    t38: bool = False,
    pages: int = 0,
) -> None:
    """res_fax set_channel_variables(): nine variables in this order; None deletes."""
    sim.setvar(chan, "FAXSTATUS", status)
    sim.setvar(chan, "FAXERROR", error)
    sim.setvar(chan, "FAXSTATUSSTRING", words)
    sim.setvar(chan, "REMOTESTATIONID", remote or "")  # never NULL: always a VarSet
    sim.setvar(chan, "LOCALSTATIONID", local or "")
    sim.setvar(chan, "FAXBITRATE", rate)
    sim.setvar(chan, "FAXRESOLUTION", resolution)
    sim.setvar(chan, "FAXMODE", "T38" if t38 else "audio")
    sim.setvar(chan, "FAXPAGES", str(pages))


async def fax_application(
    sim: AmiSimulator, chan: SimChannel, operation: str, files: list[str], plan: FaxPlan
) -> bool:
    """ReceiveFAX or SendFAX on ``chan``; returns whether the channel is still alive."""
    receive = operation == "receive"
    chan.app = "ReceiveFAX" if receive else "SendFAX"
    chan.appdata = "&".join(files)
    # receivefax_exec/sendfax_exec: a pessimistic start, so a crash reads as a failure
    sim.setvar(chan, "FAXSTATUS", "FAILED")
    sim.setvar(chan, "REMOTESTATIONID", None)
    sim.setvar(chan, "FAXPAGES", "0")
    for name in ("FAXBITRATE", "FAXRESOLUTION", "FAXMODE"):
        sim.setvar(chan, name, None)
    _set_all(sim, chan, status="FAILED", error="INIT_ERROR", words="error starting fax session")
    sim.stats["ReceiveAttempts" if receive else "TransmitAttempts"] += 1
    if receive:
        sim.setvar(chan, "FAXERROR", "Channel Problems")
        sim.setvar(chan, "FAXSTATUSSTRING", "Error before FAX transmission started.")
    if plan.t38:
        await sim.sleep(3.0)  # CED (receive) or CNG (send) while the re-INVITE goes through
        if plan.t38_fails:
            await sim.sleep(5.0)  # t38timeout
            _set_all(
                sim, chan, status="FAILED", error="T38_NEG_ERROR", words="error negotiating T.38"
            )
            return False  # no ReceiveFAX/SendFAX event: the application returns -1
        sim.fax_status(chan, operation, "T.38 Negotiated", "", files)
    if plan.no_resource:  # fax_session_new() failed: generic_fax_exec reports and returns
        sim.fax_status(chan, operation, "No Available Resource", plan.local_id, files)
        sim.stats["FailedFAXes"] += 1
        _end_event(sim, chan, receive, files, plan, pages=0, rate="", resolution="", remote="")
        return True  # generic_fax_exec returned -1 with the channel alive: dialplan goes on
    sim.fax_status(chan, operation, "Allocating Resources", plan.local_id, files)
    fax = sim.fax_session(chan, operation, "T.38" if plan.t38 else "G.711")
    fax.files, fax.state, fax.rate, fax.resolution = list(files), "Active", 14400, "0x0"
    fax.ecm = False
    _set_all(sim, chan, status=None, error=None, words=None, t38=plan.t38)
    sim.fax_status(chan, operation, "FAX Transmission In Progress", plan.local_id, files)
    try:
        await sim.sleep(plan.training)  # DIS, DCS, TCF, CFR
        fax.rate, fax.resolution, fax.ecm = plan.rate, plan.resolution, plan.ecm
        for page in range(1, plan.pages + 1):
            if page == plan.drop_during_page:
                await sim.sleep(plan.page_seconds / 2)
                await _write_received(sim, receive, files, plan, fax.pages_done)
                return _dropped(sim, chan, receive, files, plan, fax)
            await sim.sleep(plan.page_seconds)
            if chan.vars.get("__hangup_requested"):  # AMI Hangup: the line goes mid-fax
                await _write_received(sim, receive, files, plan, fax.pages_done)
                return _dropped(sim, chan, receive, files, plan, fax)
            fax.bad_lines += plan.bad_lines
            await sim.sleep(0.8)  # MPS or EOP, then MCF: only now does the page count
            fax.pages_done = page
    finally:
        sim.fax_sessions.pop(fax.number, None)
    await _write_received(sim, receive, files, plan, plan.pages)
    sim.stats["CompletedFAXes"] += 1
    _set_all(
        sim,
        chan,
        status="SUCCESS",
        error=None,
        words="OK",
        remote=plan.remote_id,
        local=plan.local_id,
        rate=str(plan.rate),
        resolution=plan.resolution,
        t38=plan.t38,
        pages=plan.pages,
    )
    _end_event(sim, chan, receive, files, plan, pages=plan.pages)
    return True


async def _write_received(
    sim: AmiSimulator, receive: bool, files: list[str], plan: FaxPlan, pages: int
) -> None:
    """What ReceiveFAX leaves on disk: a fax TIFF of the pages that came (into ``fax_dir``)."""
    if not (receive and sim.fax_dir and files and pages):
        return
    target = Path(files[0])
    images = [sample_page(n, 900, plan.remote_id or "unknown") for n in range(1, pages + 1)]
    fine = plan.resolution.endswith("7700")

    def write() -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.part")
        t4.write_fax_tiff(images, temp, fine=fine, station_id=plan.remote_id)
        temp.replace(target)

    await asyncio.to_thread(write)


def _dropped(
    sim: AmiSimulator,
    chan: SimChannel,
    receive: bool,
    files: list[str],
    plan: FaxPlan,
    fax: SimFaxSession,
) -> bool:
    """The far end hung up during a page: spandsp ends with T30_ERR_CALLDROPPED."""
    sim.hangup_request(chan, 16)
    _set_all(
        sim, chan, status="FAILED", error="HANGUP", words="remote channel hungup", t38=plan.t38
    )
    words = "The call dropped prematurely"
    _set_all(
        sim,
        chan,
        status="FAILED",
        error=words,
        words=words,
        remote=plan.remote_id,
        local=plan.local_id,
        rate=str(plan.rate),
        resolution=plan.resolution,
        t38=plan.t38,
        pages=fax.pages_done,
    )
    sim.stats["CompletedFAXes"] += 1
    sim.stats["FailedFAXes"] += 1
    _end_event(sim, chan, receive, files, plan, pages=fax.pages_done)
    return False


def _end_event(
    sim: AmiSimulator,
    chan: SimChannel,
    receive: bool,
    files: list[str],
    plan: FaxPlan,
    *,
    pages: int,
    rate: str | None = None,
    resolution: str | None = None,
    remote: str | None = None,
) -> None:
    body = [
        ("LocalStationID", plan.local_id),
        ("RemoteStationID", plan.remote_id if remote is None else remote),
        ("PagesTransferred", str(pages)),
        ("Resolution", plan.resolution if resolution is None else resolution),
        ("TransferRate", str(plan.rate) if rate is None else rate),
    ]
    body += [("FileName", f) for f in (files[:1] if receive else files)]
    sim.channel_event("ReceiveFAX" if receive else "SendFAX", "call", chan, body)


# --- inbound ------------------------------------------------------------------------------

_callers = itertools.cycle(
    [
        ("+14155550134", "ACME Corp"),
        ("+442079460123", "Bright Legal LLP"),
        ("+33142685300", "Cabinet Durand"),
        ("+4930901820", "Praxis Dr. Weber"),
        ("+15125550188", "<unknown>"),
    ]
)
_remote_ids = itertools.cycle(["+1 415 555 0134", "BRIGHT LEGAL", "+33 1 42 68 53 00", "", "FAX"])


def _inbound_channel(sim: AmiSimulator, did: str, caller: tuple[str, str] | None) -> SimChannel:
    number, name = caller or next(_callers)
    chan = sim.new_channel(
        sim.channel_name("PJSIP", TRUNK),
        state=4,  # Ring: chan_pjsip creates incoming channels ringing
        caller_num=number,
        caller_name="" if name == "<unknown>" else name,
        connected_num=did,
        context="from-trunk",
        exten=did,
    )
    return chan


async def inbound(
    sim: AmiSimulator,
    plan: FaxPlan | None = None,
    *,
    detect: bool = True,
    did: str = "5550100",
    caller: tuple[str, str] | None = None,
) -> None:
    """A call to a DID: answered, CNG detected (or a fax-only DID), ReceiveFAX."""
    plan = plan or FaxPlan(remote_id=next(_remote_ids))
    chan = _inbound_channel(sim, did, caller)
    await sim.sleep(0.1)
    sim.newexten(chan, "NoOp", "inbound", priority=1)
    if detect:
        sim.newexten(chan, "Set", "FAXOPT(faxdetect)=yes")  # a function: no VarSet
    sim.newexten(chan, "Answer", "")
    await sim.sleep(0.3)
    sim.newstate(chan, 6)
    path = f"{sim.fax_dir or INBOX}/{chan.uniqueid}.tif"
    if detect:
        sim.newexten(chan, "Wait", "10")
        await sim.sleep(2.5)  # CNG heard by the fax detector
        sim.setvar(chan, "FAXEXTEN", did)
        sim.newexten(chan, "ReceiveFAX", path, exten="fax", priority=1)
    else:
        sim.newexten(chan, "ReceiveFAX", path)
    alive = await fax_application(sim, chan, "receive", [path], plan)
    if alive:
        sim.newexten(chan, "Hangup", "")
    await sim.sleep(0.2)
    sim.hangup(chan, 16)


# --- outbound -------------------------------------------------------------------------------

OUTCOMES = ("ok", "busy", "no-answer", "congestion", "dropped", "t38-failed")


def outcome_for(sim: AmiSimulator, number: str) -> str:
    """What happens when the simulated trunk dials ``number`` (see --route)."""
    return sim.routes.get(number, DEFAULT_ROUTES.get(number, "ok"))


DEFAULT_ROUTES = {
    "5550117": "busy",
    "5550119": "no-answer",
    "5550134": "congestion",
    "5550150": "dropped",
    "5550138": "t38-failed",
}


def _header(action: dict[str, str | list[str]], key: str) -> str:
    for k, v in action.items():
        if k.lower() == key.lower():
            return v[0] if isinstance(v, list) else v
    return ""


async def originate(
    sim: AmiSimulator,
    action: dict[str, str | list[str]],
    dialled: asyncio.Future[bool],
    *,
    report: bool = True,
) -> None:
    """Play an Originate of SendFAX (Local/<n>@ctx or PJSIP/<n>@trunk) as Asterisk does."""
    requested = _header(action, "Channel")
    tech, _, rest = requested.partition("/")
    number = rest.split("@")[0]
    outcome = outcome_for(sim, number)
    data = _header(action, "Data")
    files = [f for f in data.split(",")[0].split("&") if f]
    caller_num, caller_name = _parse_callerid(_header(action, "CallerID"))
    timeout = float(_header(action, "Timeout") or 30000) / 1000
    action_id = _header(action, "ActionID")

    def respond(ok: bool, reason: int, chan: SimChannel | None) -> None:
        if not dialled.done():
            dialled.set_result(ok)
        if not report:
            return
        body = [("ActionID", action_id)] if action_id else []
        body += [
            ("Response", "Success" if ok else "Failure"),
            ("Channel", chan.name if ok and chan is not None else requested),
            ("Application", _header(action, "Application")),
            ("Data", data),
            ("Reason", str(reason)),
            ("Uniqueid", chan.uniqueid if ok and chan is not None else "<unknown>"),
            ("CallerIDNum", caller_num or "<unknown>"),
            ("CallerIDName", caller_name or "<unknown>"),
        ]
        sim.event("OriginateResponse", "call", body)

    # The originated channel and, for Local, the half that dials the trunk; ChannelId and
    # OtherChannelId name them (Asterisk 12+), else Asterisk makes up their Uniqueids.
    channel_id, other_id = _header(action, "ChannelId"), _header(action, "OtherChannelId")
    if tech == "Local":
        context = rest.split("@")[1] if "@" in rest else "default"
        name = sim.channel_name("Local", f"{number}@{context}")
        one = sim.new_channel(
            f"{name};1",
            state=0,
            caller_num=caller_num,
            caller_name=caller_name,
            context=context,
            exten=number,
            uniqueid=channel_id,
        )
        two = sim.new_channel(
            f"{name};2",
            state=4,
            linkedid=one.linkedid,
            caller_num=caller_num,
            caller_name=caller_name,
            context=context,
            exten=number,
            uniqueid=other_id,
        )
    else:
        one = sim.new_channel(
            sim.channel_name(tech, TRUNK),
            state=0,
            caller_num=caller_num,
            caller_name=caller_name,
            context="from-trunk",
            exten="s",
            uniqueid=channel_id,
        )
        two = None
    sim.newexten(one, "AppDial2", "(Outgoing Line)", priority=1)
    if two is not None:
        sim.local_bridge(one, two)
    sim.dial("DialBegin", None, one, ("DialString", rest))
    trunk = one
    if two is not None:
        sim.newexten(two, "Dial", f"PJSIP/{number}@{TRUNK},60", priority=1)
        trunk = sim.new_channel(
            sim.channel_name("PJSIP", TRUNK),
            state=0,
            linkedid=one.linkedid,
            caller_num=caller_num,
            caller_name=caller_name,
            context="from-trunk",
            exten="s",
        )
        sim.newexten(trunk, "AppDial", "(Outgoing Line)", priority=1)
        sim.dial("DialBegin", two, trunk, ("DialString", f"{number}@{TRUNK}"))
    await sim.sleep(0.6)
    if outcome in ("busy", "congestion"):
        cause, status, reason = (17, "BUSY", 5) if outcome == "busy" else (34, "CONGESTION", 8)
        for chan in [c for c in (trunk, two, one) if c is not None and c is not one]:
            sim.hangup(chan, cause)
        if two is not None:
            sim.dial("DialEnd", two, trunk, ("DialStatus", status))
        sim.dial("DialEnd", None, one, ("DialStatus", status))
        sim.hangup(one, cause)
        respond(False, reason, None)
        return
    sim.newstate(trunk, 5)
    sim.dial("DialState", two, trunk, ("DialStatus", "RINGING"))
    if outcome == "no-answer":
        await sim.sleep(timeout)  # the Originate's Timeout runs out: no DialEnd for ;1
        if two is not None:
            sim.dial("DialEnd", two, trunk, ("DialStatus", "CANCEL"))
            sim.hangup(trunk, 16)
            sim.hangup(two, 16)
        sim.hangup(one, 19)
        respond(False, 3, None)
        return
    await sim.sleep(2.5)
    sim.newstate(trunk, 6)
    if two is not None:
        sim.dial("DialEnd", two, trunk, ("DialStatus", "ANSWER"))
        sim.newstate(two, 6)
        sim.newstate(one, 6)
    sim.dial("DialEnd", None, one, ("DialStatus", "ANSWER"))
    respond(True, 4, one)
    plan = FaxPlan(
        remote_id=f"+1 {number}",
        pages=max(2 if outcome == "dropped" else 1, len(files)),  # dropped: during page 2
        drop_during_page=2 if outcome == "dropped" else 0,
        t38_fails=outcome == "t38-failed",
    )
    await fax_application(sim, one, "send", files, plan)
    await sim.sleep(0.2)
    for leg in (one, two, trunk):
        if leg is not None and leg.uniqueid in sim.channels:
            sim.hangup(leg, 16)


def _parse_callerid(value: str) -> tuple[str, str]:
    """``"Name" <number>`` as CallerIDNum and CallerIDName."""
    if "<" in value and value.endswith(">"):
        name, _, number = value[:-1].rpartition("<")
        return number.strip(), name.strip().strip('"')
    return value.strip(), ""


async def outbound(sim: AmiSimulator, number: str = "5550100", *, tech: str = "Local") -> None:
    """Someone (another AMI client) originates a SendFAX: the events everybody sees."""
    channel = f"Local/{number}@fax-out" if tech == "Local" else f"PJSIP/{number}@{TRUNK}"
    action: dict[str, str | list[str]] = {
        "Action": "Originate",
        "Channel": channel,
        "Application": "SendFAX",
        "Data": "/var/spool/asterisk/fax/outgoing/invoice-1184.tif",
        "CallerID": '"faxtui" <5550100>',
        "Async": "true",
    }
    done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    await originate(sim, action, done)


# --- the named scenarios --------------------------------------------------------------------


async def inbound_t38(sim: AmiSimulator) -> None:
    await inbound(sim, FaxPlan(remote_id=next(_remote_ids)))


async def inbound_audio(sim: AmiSimulator) -> None:
    plan = FaxPlan(
        t38=False,
        ecm=False,
        rate=9600,
        resolution="8040x3850",
        pages=1,
        remote_id=next(_remote_ids),
        bad_lines=3,
    )
    await inbound(sim, plan, detect=False, did="5550101")


async def outbound_ok(sim: AmiSimulator) -> None:
    await outbound(sim, "5550142")


async def busy(sim: AmiSimulator) -> None:
    await outbound(sim, "5550117")


async def no_answer(sim: AmiSimulator) -> None:
    await outbound(sim, "5550119")


async def dropped(sim: AmiSimulator) -> None:
    await inbound(sim, FaxPlan(pages=3, drop_during_page=2, remote_id="+49 30 901820"))


async def t38_failed(sim: AmiSimulator) -> None:
    await inbound(sim, FaxPlan(t38_fails=True), detect=False)


async def no_resource(sim: AmiSimulator) -> None:
    await inbound(sim, FaxPlan(no_resource=True), detect=False)


async def hostile(sim: AmiSimulator) -> None:
    """Remote text that tries to drive the terminal or Rich markup."""
    evil = "\x1b[2J\x1b]0;owned\x07[bold red]x[/]"
    await inbound(sim, FaxPlan(remote_id=evil, pages=1), caller=("+15550000666", evil))


async def several(sim: AmiSimulator) -> None:
    """Several faxes at once, in both directions."""
    await asyncio.gather(
        inbound_t38(sim), outbound_ok(sim), inbound_audio(sim), _later(sim, 2.0, dropped)
    )


async def _later(sim: AmiSimulator, seconds: float, scenario: ScenarioFn) -> None:
    await sim.sleep(seconds)
    await scenario(sim)


ScenarioFn = Callable[[AmiSimulator], Awaitable[None]]

SCENARIOS: dict[str, ScenarioFn] = {
    "inbound-t38": inbound_t38,
    "inbound-audio": inbound_audio,
    "outbound": outbound_ok,
    "busy": busy,
    "no-answer": no_answer,
    "dropped": dropped,
    "t38-failed": t38_failed,
    "no-resource": no_resource,
    "hostile": hostile,
    "several": several,
}

# The demo's weighted mix: mostly good faxes, a fair share of the usual failures.
MIX = (
    ["inbound-t38"] * 3
    + ["outbound"] * 3
    + ["inbound-audio"] * 2
    + [
        "busy",
        "no-answer",
        "dropped",
        "t38-failed",
        "no-resource",
    ]
)


async def mix(sim: AmiSimulator, *, concurrent: int = 3) -> None:
    """A never-ending, overlapping mix of the scenarios (the demo)."""
    running: set[asyncio.Task[None]] = set()
    while True:
        if len(running) < concurrent:
            task = asyncio.ensure_future(SCENARIOS[sim.random.choice(MIX)](sim))
            running.add(task)
            task.add_done_callback(running.discard)
        await sim.sleep(sim.random.uniform(3.0, 8.0))


async def load(sim: AmiSimulator, *, calls: int = 10, rate: float = 1000.0) -> None:
    """``calls`` faxes at all times, plus background events at ``rate`` a second in all."""

    async def keep_calling() -> None:
        while True:
            await inbound(sim, FaxPlan(pages=1, training=1.0, page_seconds=2.0), detect=False)

    workers = [asyncio.ensure_future(keep_calling()) for _ in range(calls)]
    phones = [
        sim.new_channel(
            sim.channel_name("PJSIP", f"phone{i}"),
            state=6,
            context="internal",
            exten=str(200 + i),
            caller_num=str(200 + i),
        )
        for i in range(20)
    ]
    tick = 0.01
    owed = 0.0
    try:
        n = 0
        while True:
            owed += rate * tick * sim.speed
            while owed >= 1:
                owed -= 1
                phone = phones[n % len(phones)]
                if n % 2:
                    sim.setvar(phone, "BLF_STATE", str(n))
                else:
                    sim.newexten(phone, "Playback", "queue-periodic-announce")
                n += 1
            await asyncio.sleep(tick)
    finally:
        for worker in workers:
            worker.cancel()


async def run_scenarios(
    sim: AmiSimulator, names: list[str], *, loop: bool, calls: int = 10, rate: float = 1000.0
) -> None:
    """Start the named scenarios in the background ("mix" and "load" never end)."""

    async def play() -> None:
        while True:
            for name in names:
                if name == "mix":
                    await mix(sim)
                elif name == "load":
                    await load(sim, calls=calls, rate=rate)
                else:
                    await SCENARIOS[name](sim)
            if not loop:
                return
            await sim.sleep(2.0)

    sim.run(lambda _sim: play())


SCENARIO_NAMES = [*SCENARIOS, "mix", "load"]
