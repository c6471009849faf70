"""The engine's API as JSON: what `faxtui serve` and its clients say to each other.

One JSON object a line. The client asks with ``{"id": n, "op": ...}`` and gets
``{"id": n, ...}`` back; after ``subscribe`` the server also sends ``{"changes": [...]}``
lines, unasked, as they happen. Every record is a plain dict of its dataclass fields.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from faxtui.engine import Command, CommandResult, JobCommand, Reconnect, SendFax
from faxtui.inbox.model import InboxState
from faxtui.model import (
    Call,
    CallChange,
    Change,
    DiskInfo,
    Health,
    HealthChange,
    InboxChange,
    InboxItem,
    Job,
    JobChange,
    LinkState,
    ProcessInfo,
    RawEvent,
    Resync,
    Snapshot,
    SourceChange,
    SourceState,
)

PROTOCOL = 1


class WireError(ValueError):
    """A message that is not what the other side should have sent."""


def _fields(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


# --- records --------------------------------------------------------------------------------


def source_out(state: SourceState) -> dict[str, Any]:
    return _fields(state)


def source_in(data: dict[str, Any]) -> SourceState:
    return SourceState(**{**data, "state": LinkState(data["state"])})


def health_out(health: Health) -> dict[str, Any]:
    return {
        "ts": health.ts,
        "processes": [_fields(p) for p in health.processes],
        "disks": [_fields(d) for d in health.disks],
        "missing": list(health.missing),
    }


def health_in(data: dict[str, Any]) -> Health:
    return Health(
        ts=data["ts"],
        processes=tuple(ProcessInfo(**p) for p in data.get("processes", ())),
        disks=tuple(DiskInfo(**d) for d in data.get("disks", ())),
        missing=tuple(data.get("missing", ())),
    )


def raw_out(event: RawEvent) -> dict[str, Any]:
    return {"ts": event.ts, "origin": event.origin, "name": event.name,
            "fields": [list(kv) for kv in event.fields]}  # fmt: skip


def raw_in(data: dict[str, Any]) -> RawEvent:
    pairs = tuple((str(k), str(v)) for k, v in data.get("fields", ()))
    return RawEvent(data["ts"], data["origin"], data["name"], pairs)


def inbox_in(data: dict[str, Any]) -> InboxItem:
    known = {f.name for f in dataclasses.fields(InboxItem)}
    values = {k: v for k, v in data.items() if k in known}
    return InboxItem(**{**values, "state": InboxState(values["state"])})


def snapshot_out(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "inbox": [i.to_dict() for i in snapshot.inbox],
        "calls": [c.to_dict() for c in snapshot.calls],
        "sources": [source_out(s) for s in snapshot.sources],
        "health": health_out(snapshot.health) if snapshot.health else None,
        "jobs": [j.to_dict() for j in snapshot.jobs],
        "read_only": snapshot.read_only,
    }


def snapshot_in(data: dict[str, Any]) -> Snapshot:
    return Snapshot(
        calls=tuple(Call.from_dict(c) for c in data.get("calls", ())),
        sources=tuple(source_in(s) for s in data.get("sources", ())),
        health=health_in(data["health"]) if data.get("health") else None,
        jobs=tuple(Job.from_dict(j) for j in data.get("jobs", ())),
        read_only=bool(data.get("read_only", False)),
        inbox=tuple(inbox_in(i) for i in data.get("inbox", ())),
    )


# --- changes --------------------------------------------------------------------------------


def change_out(change: Change) -> dict[str, Any]:
    match change:
        case CallChange(call=call):
            return {"call": call.to_dict()}
        case SourceChange(state=state):
            return {"source": source_out(state)}
        case HealthChange(health=health):
            return {"health": health_out(health)}
        case JobChange(job=job):
            return {"job": job.to_dict()}
        case InboxChange(items=items, removed=removed, replace=replace):
            return {"inbox": {"items": [i.to_dict() for i in items], "removed": list(removed),
                              "replace": replace}}  # fmt: skip
        case Resync(reason=reason):
            return {"resync": reason}
    raise WireError(f"no wire form for {change!r}")


def change_in(data: dict[str, Any]) -> Change:
    if "call" in data:
        return CallChange(Call.from_dict(data["call"]))
    if "source" in data:
        return SourceChange(source_in(data["source"]))
    if "health" in data:
        return HealthChange(health_in(data["health"]))
    if "job" in data:
        return JobChange(Job.from_dict(data["job"]))
    if "inbox" in data:
        inbox = data["inbox"]
        return InboxChange(
            tuple(inbox_in(i) for i in inbox.get("items", ())),
            tuple(str(p) for p in inbox.get("removed", ())),
            bool(inbox.get("replace", False)),
        )
    if "resync" in data:
        return Resync(str(data["resync"]))
    raise WireError(f"unknown change {sorted(data)}")


# --- commands -------------------------------------------------------------------------------


def command_out(command: Command) -> dict[str, Any]:
    match command:
        case Reconnect(source=source):
            return {"kind": "reconnect", "source": source}
        case SendFax():
            return {"kind": "send", **_fields(command), "files": list(command.files)}
        case JobCommand(action=action, ids=ids):
            return {"kind": "job", "action": action, "ids": list(ids)}
    raise WireError(f"no wire form for {command!r}")


def command_in(data: dict[str, Any]) -> Command:
    kind = data.get("kind")
    try:
        if kind == "reconnect":
            return Reconnect(str(data.get("source", "")))
        if kind == "send":
            values = {k: v for k, v in data.items() if k != "kind"}
            values["files"] = tuple(str(f) for f in values.get("files", ()))
            return SendFax(**values)
        if kind == "job":
            return JobCommand(str(data["action"]), tuple(int(i) for i in data["ids"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise WireError(f"bad {kind} command: {exc}") from None
    raise WireError(f"unknown command kind {kind!r}")


def result_out(result: CommandResult) -> dict[str, Any]:
    data: Any = result.data
    if isinstance(data, Job):
        data = {"job": data.to_dict()}
    elif isinstance(data, tuple) and all(isinstance(j, Job) for j in data):
        data = {"jobs": [j.to_dict() for j in data]}
    else:
        data = None
    return {"ok": result.ok, "message": result.message, "data": data}


def result_in(data: dict[str, Any]) -> CommandResult:
    payload = data.get("data") or {}
    value: Any = None
    if "job" in payload:
        value = Job.from_dict(payload["job"])
    elif "jobs" in payload:
        value = tuple(Job.from_dict(j) for j in payload["jobs"])
    return CommandResult(bool(data.get("ok")), str(data.get("message", "")), value)
