"""Calls and sources as flat JSON records: the format of ``watch --json`` and friends.

Field names are part of the interface (documented in the README); add, never rename.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from faxtui.model import Call, SourceState
from faxtui.t30.reasons import describe


def call_record(call: Call, now: float) -> dict[str, Any]:
    reason = describe(call.reason) if call.reason else None
    end = call.ended if call.ended is not None else now
    return {
        "type": "call",
        "ts": round(now, 3),
        "server": call.source,
        "origin": call.origin,
        "call_id": call.id,
        "direction": str(call.direction),
        "phase": str(call.phase),
        "status": call.status,
        "remote_number": call.remote_number,
        "remote_name": call.remote_name,
        "remote_station_id": call.remote_station_id,
        "local_number": call.local_number,
        "local_station_id": call.local_station_id,
        "channel": call.channel,
        "uniqueid": call.uniqueid,
        "transport": str(call.transport),
        "rate": call.rate,
        "ecm": call.ecm,
        "resolution": call.resolution,
        "page": call.page,
        "pages": call.pages,
        "bad_lines": call.bad_lines,
        "started": round(call.started, 3),
        "ended": None if call.ended is None else round(call.ended, 3),
        "elapsed": round(end - call.started, 1),
        "result": str(call.result),
        "reason": call.reason,
        "reason_text": reason.text if reason and call.reason != "ok" else "",
        "hint": reason.hint if reason else "",
        "detail": call.reason_detail,
    }


def source_record(state: SourceState, now: float) -> dict[str, Any]:
    return {
        "type": "source",
        "ts": round(now, 3),
        "server": state.name,
        "kind": state.kind,
        "state": str(state.state),
        "problem": state.problem,
        "message": state.message,
        "retry_at": state.retry_at,
    }


def same_call_facts(a: Call, b: Call) -> bool:
    """True when two records of a call differ at most in their raw-event count."""
    return replace(a, event_count=0) == replace(b, event_count=0)
