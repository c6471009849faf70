"""The flat JSON records of ``watch --json`` and ``history --json``: an interface."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from typing import Any

import pytest

from faxtui.model import (
    Call,
    Direction,
    LinkState,
    Phase,
    Result,
    SourceState,
    Step,
    Transport,
)
from faxtui.records import call_record, same_call_facts, source_record

# The interface of `watch --json` and `history --json` (faxtui/records.py): add, never rename.
CALL_FIELDS = {
    "type", "ts", "server", "origin", "call_id", "direction", "phase", "status",
    "remote_number", "remote_name", "remote_station_id", "local_number", "local_station_id",
    "channel", "uniqueid", "transport", "rate", "ecm", "resolution", "page", "pages",
    "bad_lines", "started", "ended", "elapsed", "result", "reason", "reason_text", "hint",
    "detail",
}  # fmt: skip
SOURCE_FIELDS = {"type", "ts", "server", "kind", "state", "problem", "message", "retry_at"}


def live_call() -> Call:
    return Call(
        id="1700000000.42",
        source="pbx",
        origin="ami",
        started=1000.0,
        direction=Direction.OUT,
        channel="PJSIP/trunk-00000001",
        uniqueid="1700000000.42",
        linkedid="1700000000.41",
        local_number="100",
        remote_number="+4930123456",
        remote_name="Acme",
        local_station_id="FAXTUI",
        remote_station_id="ACME FAX",
        transport=Transport.T38,
        phase=Phase.C,
        status="page 2",
        timeline=(Step(1000.0, Phase.A, "call set-up"), Step(1002.0, Phase.C, "page 2")),
        rate=14400,
        ecm=True,
        resolution="fine",
        page=2,
        pages=1,
        bad_lines=4,
        files=("/tmp/a.tif",),
        event_count=17,
    )


def failed_call() -> Call:
    return replace(
        live_call(),
        phase=Phase.E,
        status="training failed at every speed",
        ended=1012.3456,
        result=Result.FAILED,
        reason="training_failed",
        reason_detail="Failed to train with any of the compatible modems",
    )


def test_call_record_has_every_documented_field() -> None:
    record = call_record(live_call(), now=1005.0)
    assert set(record) >= CALL_FIELDS
    for key in record:
        assert key in CALL_FIELDS, f"new field {key!r}: add it to CALL_FIELDS and the docs"


def test_call_record_values_of_a_live_call() -> None:
    record = call_record(live_call(), now=1005.04449)
    assert record == {
        "type": "call",
        "ts": 1005.044,
        "server": "pbx",
        "origin": "ami",
        "call_id": "1700000000.42",
        "direction": "out",
        "phase": "C",
        "status": "page 2",
        "remote_number": "+4930123456",
        "remote_name": "Acme",
        "remote_station_id": "ACME FAX",
        "local_number": "100",
        "local_station_id": "FAXTUI",
        "channel": "PJSIP/trunk-00000001",
        "uniqueid": "1700000000.42",
        "transport": "t38",
        "rate": 14400,
        "ecm": True,
        "resolution": "fine",
        "page": 2,
        "pages": 1,
        "bad_lines": 4,
        "started": 1000.0,
        "ended": None,
        "elapsed": 5.0,  # measured to now while the call runs
        "result": "",
        "reason": "",
        "reason_text": "",
        "hint": "",
        "detail": "",
    }


def test_call_record_of_a_failed_call() -> None:
    record = call_record(failed_call(), now=5000.0)
    assert record["ended"] == 1012.346
    assert record["elapsed"] == 12.3  # to the end, not to now
    assert record["phase"] == "E"
    assert record["result"] == "failed"
    assert record["reason"] == "training_failed"
    assert record["reason_text"] == "training failed at every speed"
    assert record["hint"].startswith("Line quality is poor")
    assert record["detail"] == "Failed to train with any of the compatible modems"


def test_call_record_of_a_successful_call_has_no_reason_text() -> None:
    call = replace(failed_call(), result=Result.SUCCESS, reason="ok", reason_detail="")
    record = call_record(call, now=5000.0)
    assert record["result"] == "success"
    assert record["reason"] == "ok"
    assert record["reason_text"] == ""
    assert record["hint"] == ""


def test_call_record_with_an_unknown_reason_code() -> None:
    call = replace(failed_call(), reason="from-the-future")
    record = call_record(call, now=5000.0)
    assert record["reason"] == "from-the-future"
    assert record["reason_text"] == "failed for an unknown reason"


def test_call_record_of_a_bare_call() -> None:
    record = call_record(Call("x", "s", "modem", 10.0), now=10.0)
    assert record["direction"] == "?"
    assert record["transport"] == ""
    assert record["phase"] == "A"
    assert record["ecm"] is None
    assert record["elapsed"] == 0.0


@pytest.mark.parametrize("call", [live_call(), failed_call(), Call("x", "s", "hylafax", 0.0)])
def test_call_record_is_json_serialisable(call: Call) -> None:
    record = call_record(call, now=2000.0)
    text = json.dumps(record, ensure_ascii=False, allow_nan=False)
    assert json.loads(text) == record
    for value in record.values():
        assert value is None or type(value) in (str, int, float, bool)


def test_call_record_keeps_hostile_text_verbatim_but_valid_json() -> None:
    call = replace(live_call(), remote_station_id="\x1b]0;owned\x07[bold]x", remote_name='"\\')
    record = call_record(call, now=2000.0)
    assert record["remote_station_id"] == "\x1b]0;owned\x07[bold]x"
    line = json.dumps(record, ensure_ascii=False)
    assert "\x1b" not in line and "\x07" not in line  # JSON escapes control characters
    assert "\n" not in line
    assert json.loads(line) == record


def test_source_record() -> None:
    state = SourceState("pbx", "ami", LinkState.DOWN, "refused", "refused", 3.0, retry_at=9.5)
    record = source_record(state, now=4.56789)
    assert set(record) == SOURCE_FIELDS
    assert record == {
        "type": "source",
        "ts": 4.568,
        "server": "pbx",
        "kind": "ami",
        "state": "down",
        "problem": "refused",
        "message": "refused",
        "retry_at": 9.5,
    }
    assert json.loads(json.dumps(record)) == record


# --- same_call_facts --------------------------------------------------------------------------


def test_same_call_facts_ignores_the_event_count() -> None:
    call = live_call()
    assert same_call_facts(call, call)
    assert same_call_facts(call, replace(call, event_count=0))
    assert same_call_facts(call, replace(call, event_count=call.event_count + 100))


def _different(value: Any) -> Any:
    """Some other value of the same kind."""
    match value:
        case Direction():
            return Direction.IN if value is not Direction.IN else Direction.OUT
        case Transport():
            return Transport.AUDIO if value is not Transport.AUDIO else Transport.T38
        case Phase():
            return Phase.D if value is not Phase.D else Phase.E
        case Result():
            return Result.FAILED if value is not Result.FAILED else Result.SUCCESS
        case bool() | None:
            return value is False
        case int() | float():
            return value + 1
        case str():
            return value + "x"
        case tuple():
            return (
                (*value, Step(9999.0, Phase.E, "more"))
                if value and isinstance(value[0], Step)
                else (*value, "more")
            )
    raise AssertionError(f"no other value for {value!r}")


FACT_FIELDS = [f.name for f in fields(Call) if f.name != "event_count"]


@pytest.mark.parametrize("name", FACT_FIELDS)
def test_same_call_facts_sees_every_other_field(name: str) -> None:
    for call in (live_call(), failed_call()):
        other = replace(call, **{name: _different(getattr(call, name))})
        assert other != call
        assert not same_call_facts(call, other)
        assert not same_call_facts(other, call)
        # a different event count on top changes nothing
        assert not same_call_facts(call, replace(other, event_count=0))


def test_fact_fields_cover_the_whole_call() -> None:
    assert {*FACT_FIELDS, "event_count"} == {f.name for f in fields(Call)}
    assert len(FACT_FIELDS) > 25
