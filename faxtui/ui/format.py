"""How calls and jobs read on screen: pure functions from records to Rich Text.

Every remote string goes through ``safe_text``; nothing here parses markup.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import PurePath

from rich.style import Style
from rich.text import Text

from faxtui.model import Call, Direction, Job, JobState, Phase, Result, Transport
from faxtui.t30.reasons import describe
from faxtui.text import plain, safe_text

PHASES = (Phase.A, Phase.B, Phase.C, Phase.D, Phase.E)


@dataclass(frozen=True)
class Styles:
    """Rich styles resolved from the current theme (ui/theming.py ``styles_for``)."""

    ok: Style
    fail: Style
    warn: Style
    lit: Style
    done: Style
    todo: Style
    dim: Style
    accent: Style


DEFAULT_STYLES = Styles(
    ok=Style(color="green", bold=True),
    fail=Style(color="red", bold=True),
    warn=Style(color="yellow"),
    lit=Style(color="cyan", bold=True, reverse=True),
    done=Style(color="cyan"),
    todo=Style(dim=True),
    dim=Style(dim=True),
    accent=Style(color="yellow", bold=True),
)


def ribbon(call: Call, styles: Styles) -> Text:
    """``A B C D E`` with the current phase lit, those passed in colour, the rest dim."""
    seen = set(call.phases())
    out = Text(no_wrap=True, end="")
    for i, phase in enumerate(PHASES):
        if i:
            out.append(" ")
        if phase is call.phase:
            if call.result is Result.SUCCESS:
                style = styles.ok + Style(reverse=True)
            elif call.result in (Result.FAILED, Result.UNKNOWN):
                style = styles.fail + Style(reverse=True)
            else:
                style = styles.lit
        elif phase in seen:
            style = styles.done
        else:
            style = styles.todo
        out.append(str(phase), style)
    return out


def direction(call: Call) -> Text:
    arrow = {Direction.IN: "in ", Direction.OUT: "out"}.get(call.direction, " ? ")
    return Text(arrow, no_wrap=True, end="")


def remote(call: Call, *, with_id: bool = True) -> Text:
    """The far end: number, then its station ID (TSI/CSI) if it differs."""
    number = call.remote_number or call.remote_name or "unknown"
    out = safe_text(number)
    if with_id and call.remote_station_id and call.remote_station_id != call.remote_number:
        out.append(" ")
        out.append_text(safe_text(f"«{call.remote_station_id.strip()}»", "italic"))
    return out


def status(call: Call, styles: Styles) -> Text:
    if call.result is Result.SUCCESS:
        done = "received" if call.direction is Direction.IN else "sent"
        words = f"✓ {done}, {call.pages} page{'s' if call.pages != 1 else ''}"
        return safe_text(words, styles.ok)
    if call.result in (Result.FAILED, Result.UNKNOWN):
        reason = describe(call.reason).short if call.reason else call.status
        if call.reason in ("call_dropped", "remote_disconnected") and call.page:
            reason = f"{reason} p.{call.page}"
        return safe_text(f"✗ {reason}", styles.fail)
    return safe_text(call.status)


def transport(call: Call) -> str:
    if call.origin == "modem":  # our own modem on a phone line: no codec to speak of
        return "modem" if call.transport is not Transport.UNKNOWN else ""
    return {Transport.T38: "T.38", Transport.AUDIO: "G.711"}.get(call.transport, "")


def link(call: Call) -> str:
    """Transport and rate in one column: ``T.38 14400``."""
    return " ".join(part for part in (transport(call), rate(call)) if part)


def rate(call: Call) -> str:
    return f"{call.rate}" if call.rate else ""


def ecm(call: Call) -> str:
    return {True: "ECM", False: "no", None: ""}[call.ecm]


def page(call: Call) -> str:
    if call.active and call.page:
        return str(call.page)
    return str(call.pages) if call.pages else ""


def elapsed(call: Call, now: float | None = None) -> str:
    end = call.ended if call.ended is not None else (now or time.time())
    return duration(end - call.started)


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 3600:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}"


def clock(ts: float, *, precise: bool = False) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(ts))
    return f"{stamp}.{int(ts * 1000) % 1000:03d}" if precise else stamp


def short_time(ts: float) -> str:
    """Today: the time; earlier: the date and the time."""
    if time.strftime("%Y%m%d", time.localtime(ts)) == time.strftime("%Y%m%d"):
        return time.strftime("%H:%M:%S", time.localtime(ts))
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def size(n: float) -> str:
    for unit in ("B", "K", "M", "G", "T"):
        if n < 1024 or unit == "T":
            return f"{n:.0f}{unit}" if unit in ("B", "K") else f"{n:.1f}{unit}"
        n /= 1024
    return f"{n:.1f}T"


def summary(call: Call) -> str:
    """One plain line about a call, for the event log and notifications."""
    who = plain(call.remote_number or call.remote_name or "unknown")
    arrow = {Direction.IN: "from", Direction.OUT: "to"}.get(call.direction, "with")
    return f"{plain(call.source)}: fax {arrow} {who}"


# --- jobs of the queue ---------------------------------------------------------------------

WAITING = (JobState.QUEUED, JobState.RETRY_WAIT)


def job_state(job: Job, styles: Styles) -> Text:
    style = {
        JobState.DIALING: styles.accent,
        JobState.SENDING: styles.accent,
        JobState.RETRY_WAIT: styles.warn,
        JobState.HELD: styles.warn,
        JobState.DONE: styles.ok,
        JobState.FAILED: styles.fail,
        JobState.CANCELLED: styles.dim,
    }.get(job.state, "")
    return Text(str(job.state), style=style, no_wrap=True, end="")


def tries(job: Job) -> str:
    """``k/N``: the tries made (an interrupted one does not count) of the most allowed."""
    return f"{job.tries}/{job.max_tries}"


def next_try(job: Job, now: float) -> str:
    """When a waiting job goes next: ``now`` once due, else the time (days when far off)."""
    if job.state not in WAITING:
        return ""
    if job.next_try is None or job.next_try <= now:
        return "now"
    if job.next_try - now >= 86400:
        return f"{int((job.next_try - now) // 86400)}d"
    return time.strftime("%H:%M", time.localtime(job.next_try))


def pages_of(n: int) -> str:
    return f"{n} page{'s' if n != 1 else ''}"


def job_reason(job: Job, call: Call | None, styles: Styles) -> Text:
    """The job's last reason in words, or what it is doing (its call's status while in one)."""
    why = describe(job.reason).short if job.reason else ""
    match job.state:
        case JobState.DONE:
            return Text(f"✓ sent, {pages_of(job.pages)}", style=styles.ok, end="")
        case JobState.FAILED:
            return Text(f"✗ {why or 'failed'}", style=styles.fail, end="")
        case JobState.CANCELLED:
            return Text(why or "cancelled", style=styles.dim, end="")
        case JobState.DIALING | JobState.SENDING:
            if call is not None and call.status:
                return safe_text(call.status)
            via = job.attempts[-1].via if job.attempts else job.via
            return safe_text(f"{job.state} via {via}" if via else str(job.state))
        case JobState.RETRY_WAIT:
            return Text(why or "waiting to retry", style=styles.warn, end="")
        case JobState.HELD:
            return Text(f"on hold, last: {why}" if why else "on hold", end="")
    if why:  # queued again after a failure (retry now, release)
        return Text(f"due now, last: {why}", end="")
    if job.resent_from is not None:
        return Text(f"waiting for a line (resend of job {job.resent_from})", end="")
    return Text("waiting for a line", end="")


def documents(job: Job) -> Text:
    """The first document's name, and how many more."""
    if not job.documents:
        return Text("")
    out = safe_text(PurePath(job.documents[0]).name)
    if len(job.documents) > 1:
        out.append(f" +{len(job.documents) - 1}", "dim")
    return out


def job_summary(job: Job) -> str:
    """One plain line about a job, for dialogs and notifications."""
    return f"job {job.id} to {plain(job.number)} ({job.state}, {pages_of(job.pages)})"
