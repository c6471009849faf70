"""The pure AMI mapping: messages in, FaxEvents out, no sockets."""

from __future__ import annotations

from faxtui.model import CallClosed, CallInfo, CallOpened, Direction, FaxEvent, PhaseEntered, Result
from faxtui.sources.ami_map import AmiMapper, resolution_name
from faxtui.store import Store

UID = "1700000000.42"


def chan(event: str, **fields: str) -> dict[str, str]:
    """An event with the channel block of one inbound PJSIP channel."""
    block = {
        "Event": event,
        "Channel": "PJSIP/trunk-0000002a",
        "ChannelState": "6",
        "ChannelStateDesc": "Up",
        "CallerIDNum": "+14155550134",
        "CallerIDName": "ACME",
        "ConnectedLineNum": "5550100",
        "ConnectedLineName": "<unknown>",
        "Context": "from-trunk",
        "Exten": "5550100",
        "Priority": "1",
        "Uniqueid": UID,
        "Linkedid": UID,
    }
    block.update(fields)
    return block


def varset(name: str, value: str) -> dict[str, str]:
    return chan("VarSet", Variable=name, Value=value)


def run(*messages: dict[str, str], mapper: AmiMapper | None = None) -> tuple[AmiMapper, Store]:
    """Feed messages one second apart into a mapper and a store."""
    mapper = mapper or AmiMapper("pbx")
    store = Store(None)
    for i, msg in enumerate(messages):
        store.apply_many(mapper.feed(msg, 1000.0 + i))
    return mapper, store


def the_call(store: Store):  # type: ignore[no-untyped-def]
    (call,) = store.snapshot().calls
    return call


PLACEHOLDER = [
    varset("FAXSTATUS", "FAILED"),
    varset("FAXPAGES", "0"),
    varset("FAXSTATUS", "FAILED"),
    varset("FAXERROR", "INIT_ERROR"),
    varset("FAXSTATUSSTRING", "error starting fax session"),
    varset("REMOTESTATIONID", ""),
    varset("LOCALSTATIONID", ""),
    varset("FAXMODE", "audio"),
    varset("FAXPAGES", "0"),
    varset("FAXERROR", "Channel Problems"),
    varset("FAXSTATUSSTRING", "Error before FAX transmission started."),
]
SESSION_START = [
    varset("FAXSTATUS", ""),
    varset("FAXERROR", ""),
    varset("FAXSTATUSSTRING", ""),
    varset("REMOTESTATIONID", ""),
    varset("LOCALSTATIONID", ""),
    varset("FAXMODE", "T38"),
    varset("FAXPAGES", "0"),
]
SUCCESS = [
    varset("FAXSTATUS", "SUCCESS"),
    varset("FAXSTATUSSTRING", "OK"),
    varset("REMOTESTATIONID", "+1 415 555 0134"),
    varset("FAXBITRATE", "14400"),
    varset("FAXRESOLUTION", "8040x7700"),
    varset("FAXMODE", "T38"),
    varset("FAXPAGES", "2"),
]
RECEIVE_FAX = chan(
    "ReceiveFAX",
    LocalStationID="",
    RemoteStationID="+1 415 555 0134",
    PagesTransferred="2",
    Resolution="8040x7700",
    TransferRate="14400",
    FileName="/var/spool/asterisk/fax/x.tif",
)


def test_the_early_failed_placeholder_is_not_a_result() -> None:
    _, store = run(chan("Newchannel", ChannelState="4", ChannelStateDesc="Ring"), *PLACEHOLDER)
    call = the_call(store)
    assert call.active and call.result is Result.NONE
    assert call.direction is Direction.IN  # only ReceiveFAX sets "Channel Problems"
    assert call.transport == ""  # FAXMODE=audio of the placeholder says nothing yet


def test_a_full_receive() -> None:
    _, store = run(
        chan("Newchannel", ChannelState="4", ChannelStateDesc="Ring"),
        chan("Newexten", Exten="fax", Priority="1", Application="ReceiveFAX", AppData="/x.tif"),
        *PLACEHOLDER,
        *SESSION_START,
        *SUCCESS,
        RECEIVE_FAX,
        chan("Hangup", Cause="16", **{"Cause-txt": "Normal Clearing"}),
    )
    call = the_call(store)
    assert call.result is Result.SUCCESS and call.reason == "ok"
    assert [str(p) for p in call.phases()] == ["A", "B", "E"]
    assert (call.transport, call.pages, call.resolution) == ("t38", 2, "fine")
    assert call.remote_station_id == "+1 415 555 0134"
    assert call.event_count == 1 + 1 + len(PLACEHOLDER) + len(SESSION_START) + len(SUCCESS) + 1


def test_success_even_if_the_far_end_hung_up_after_the_last_mcf() -> None:
    quirk = [
        varset("FAXSTATUS", "SUCCESS"),
        varset("FAXERROR", "HANGUP"),
        varset("FAXSTATUSSTRING", "OK"),
    ]
    _, store = run(*PLACEHOLDER, *SESSION_START, *quirk, RECEIVE_FAX)
    assert the_call(store).result is Result.SUCCESS


def test_t38_failure_has_no_end_event() -> None:
    _, store = run(
        *PLACEHOLDER,
        varset("FAXSTATUS", "FAILED"),
        varset("FAXERROR", "T38_NEG_ERROR"),
        varset("FAXSTATUSSTRING", "error negotiating T.38"),
        chan("Hangup", Cause="16", **{"Cause-txt": "Normal Clearing"}),
    )
    call = the_call(store)
    assert (call.result, call.reason) == (Result.FAILED, "t38_negotiation_failed")
    assert call.reason_detail == "error negotiating T.38"


def test_hangup_before_the_session_started() -> None:
    _, store = run(
        chan("Newexten", Exten="fax", Priority="1", Application="ReceiveFAX", AppData="/x"),
        *PLACEHOLDER,
        chan("Hangup", Cause="16", **{"Cause-txt": "Normal Clearing"}),
    )
    assert the_call(store).reason == "hangup_before_fax"


def test_hangup_during_the_session_without_an_end_event() -> None:
    _, store = run(*PLACEHOLDER, *SESSION_START, chan("Hangup", Cause="16"))
    call = the_call(store)
    assert call.reason == "call_dropped" and "phase B" in call.reason_detail


def test_no_varsets_means_getvar_then_the_answer_decides() -> None:
    mapper, store = run(RECEIVE_FAX)
    assert the_call(store).active
    assert mapper.take_getvar_requests() == [(UID, "PJSIP/trunk-0000002a")]
    store.apply_many(
        mapper.apply_vars(
            UID,
            {"FAXSTATUS": "FAILED", "FAXSTATUSSTRING": "Far end is not able to receive"},
            1010.0,
        )
    )
    call = the_call(store)
    assert (call.result, call.reason) == (Result.FAILED, "remote_cannot_receive")


def test_no_varsets_and_no_getvar_answer_ends_unknown() -> None:
    mapper, store = run(RECEIVE_FAX)
    store.apply_many(mapper.tick(1001.0))
    assert the_call(store).active
    store.apply_many(mapper.tick(1010.0))
    call = the_call(store)
    assert call.result is Result.UNKNOWN and "VarSet" in call.reason_detail


def test_faxsession_polling_gives_pages_and_phases() -> None:
    mapper = AmiMapper("pbx")
    entry = {
        "Event": "FAXSessionsEntry",
        "Channel": "PJSIP/trunk-0000002a",
        "SessionNumber": "7",
        "SessionType": "T.38",
        "Operation": "receive",
        "State": "Active",
    }

    def poll(page: int, done: int, resolution: str = "8040x7700") -> dict[str, str]:
        return {
            "Event": "FAXSession",
            "SessionNumber": "7",
            "Operation": "receive",
            "State": "Active",
            "ErrorCorrectionMode": "Yes",
            "DataRate": "14400",
            "ImageResolution": resolution,
            "PageNumber": str(page),
            "FileName": "/x.tif",
            "PagesTransmitted": "0",
            "PagesReceived": str(done),
            "TotalBadLines": "3",
        }

    _, store = run(
        *PLACEHOLDER,
        *SESSION_START,
        entry,
        poll(1, 0, resolution="0x0"),  # before training: not a rate yet
        poll(1, 0),
        poll(2, 1),
        poll(2, 1),
        mapper=mapper,
    )
    call = the_call(store)
    assert [str(p) for p in call.phases()] == ["A", "B", "C", "D", "C"]
    assert (call.rate, call.ecm, call.page, call.pages, call.bad_lines) == (14400, True, 2, 1, 3)
    assert mapper.active_sessions() == [7]


def test_resync_closes_the_calls_asterisk_no_longer_has() -> None:
    mapper, store = run(*PLACEHOLDER)
    mapper.begin_resync()
    store.apply_many(mapper.end_resync(2000.0))
    call = the_call(store)
    assert (call.result, call.reason) == (Result.UNKNOWN, "lost_track")


def test_resync_finds_a_running_fax() -> None:
    mapper = AmiMapper("pbx")
    mapper.begin_resync()
    events: list[FaxEvent] = mapper.feed(
        chan(
            "CoreShowChannel",
            Application="SendFAX",
            ApplicationData="/a.tif",
            Duration="00:01:05",
            BridgeId="",
        ),
        5000.0,
    )
    events += mapper.end_resync(5000.0)
    opened = [e for e in events if isinstance(e, CallOpened)]
    assert opened and opened[0].started == 5000.0 - 65
    assert not [e for e in events if isinstance(e, CallClosed)]
    assert any(isinstance(e, CallInfo) and e.direction is Direction.OUT for e in events)


def test_failed_originate_with_no_channel_at_all() -> None:
    response = {
        "Event": "OriginateResponse",
        "Response": "Failure",
        "Channel": "PJSIP/5550117@trunk",
        "Application": "SendFAX",
        "Data": "/a.tif",
        "Reason": "5",
        "Uniqueid": "<unknown>",
        "CallerIDNum": "<unknown>",
        "CallerIDName": "<unknown>",
    }
    _, store = run(response)
    call = the_call(store)
    assert (call.direction, call.remote_number) == (Direction.OUT, "5550117")
    assert (call.result, call.reason) == (Result.FAILED, "busy")


def test_an_ordinary_call_never_becomes_a_fax() -> None:
    _, store = run(
        chan("Newchannel"),
        chan("Newexten", Application="Dial", AppData="PJSIP/200"),
        varset("DIALSTATUS", "ANSWER"),
        chan("Hangup", Cause="16"),
    )
    assert store.snapshot().calls == ()


def test_watched_channels_are_fax_calls_from_the_start() -> None:
    mapper = AmiMapper("pbx", watch_channels=["PJSIP/trunk-*"])
    _, store = run(chan("Newchannel", ChannelState="4", ChannelStateDesc="Ring"), mapper=mapper)
    assert the_call(store).active


def test_asterisk_timestamps_are_used() -> None:
    mapper = AmiMapper("pbx")
    events = mapper.feed({**varset("FAXSTATUS", "FAILED"), "Timestamp": "1234.5"}, 9999.0)
    assert any(isinstance(e, CallOpened) and e.ts == 1234.5 for e in events)


def test_phase_text_names_the_page() -> None:
    _, store = run(*PLACEHOLDER, *SESSION_START)
    steps = the_call(store).timeline
    assert steps[-1].text == "DIS/DCS, training"
    assert isinstance(PhaseEntered, type)


def test_resolution_names() -> None:
    assert resolution_name("8040x3850") == "standard"
    assert resolution_name("8040x7700") == "fine"
    assert resolution_name("8040x15400") == "superfine"
    assert resolution_name("7874x7874") == "200x200 dpi"
    assert resolution_name("0x0") == ""
    assert resolution_name("garbage") == "garbage"
