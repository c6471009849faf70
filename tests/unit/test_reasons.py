"""The failure vocabulary and the mappings of Asterisk, Q.850 and Originate reasons onto it."""

from __future__ import annotations

import pytest

from faxtui.t30 import reasons
from faxtui.t30.reasons import (
    SPANDSP_STRINGS,
    VOCABULARY,
    describe,
    from_asterisk,
    from_hangup_cause,
    from_originate_reason,
    from_text,
)

CATEGORIES = {"ok", "line", "remote", "training", "protocol", "t38", "local", "unknown"}


# --- the vocabulary ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(VOCABULARY))
def test_every_code_has_text_and_hint(code: str) -> None:
    reason = VOCABULARY[code]
    assert reason.code == code
    assert describe(code) is reason
    assert reason.category in CATEGORIES
    assert reason.text.strip()
    assert reason.text == reason.text.strip()
    if code in ("ok", "cancelled"):
        assert reason.hint == ""
    else:
        assert reason.hint.strip(), f"{code} needs a next step"
        assert reason.hint.endswith("."), f"{code}: the hint is a sentence"
    assert isinstance(reason.retry, bool)


def test_codes_are_unique_and_short() -> None:
    codes = [r.code for r in reasons._VOCABULARY]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert code.isidentifier()
        assert code == code.lower()


def test_a_few_retry_decisions() -> None:
    assert VOCABULARY["busy"].retry is True
    assert VOCABULARY["no_answer"].retry is True
    assert VOCABULARY["invalid_number"].retry is False
    assert VOCABULARY["file_error"].retry is False
    assert VOCABULARY["cancelled"].retry is False
    assert VOCABULARY["ok"].retry is False


@pytest.mark.parametrize("code", ["", "nonsense", "BUSY", " busy", "ok "])
def test_unknown_codes_describe_as_unknown(code: str) -> None:
    assert describe(code) is VOCABULARY["unknown"]


# --- every mapping lands in the vocabulary ----------------------------------------------------


@pytest.mark.parametrize(("text", "code"), sorted(SPANDSP_STRINGS.items()))
def test_every_spandsp_string_maps_to_a_known_code(text: str, code: str) -> None:
    assert code in VOCABULARY
    assert describe(code).code == code
    assert from_text(text) == code
    assert from_text(f"  {text}\n") == code  # as it comes out of an AMI field
    assert from_asterisk("", text) == code


def test_only_the_ok_string_maps_to_ok() -> None:
    assert [t for t, c in SPANDSP_STRINGS.items() if c == "ok"] == ["OK"]


@pytest.mark.parametrize(
    "table",
    [
        reasons._RES_FAX_ERRORS,
        reasons._RES_FAX_STRINGS,
        reasons._HANGUP_CAUSES,
        reasons._ORIGINATE_REASONS,
    ],
    ids=["res_fax errors", "res_fax strings", "hangup causes", "originate reasons"],
)
def test_every_table_maps_into_the_vocabulary(table: dict) -> None:
    assert set(table.values()) <= set(VOCABULARY)


def test_every_keyword_rule_maps_into_the_vocabulary() -> None:
    assert {code for _pattern, code in reasons._KEYWORDS} <= set(VOCABULARY)


@pytest.mark.parametrize(("text", "code"), sorted(reasons._RES_FAX_STRINGS.items()))
def test_res_fax_status_strings(text: str, code: str) -> None:
    assert from_text(text) == code
    assert from_asterisk("", text) == code


# --- from_asterisk ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("faxerror", "status", "code"),
    [
        # the spandsp string is the precise one
        ("HANGUP", "Failed to train with any of the compatible modems", "training_failed"),
        ("HANGUP", "Received a DCN from remote after sending a page", "remote_disconnected"),
        ("TIMEOUT", "Invalid ECM response received from receiver", "ecm_error"),
        ("UNKNOWN", "Disconnected after permitted retries", "page_rejected"),
        ("INIT_ERROR", "Far end is not able to receive", "remote_cannot_receive"),
        # res_fax's own strings win over its codes too
        ("HANGUP", "error negotiating T.38", "t38_negotiation_failed"),
        ("INIT_ERROR", "error reserving fax session", "no_resource"),
    ],
)
def test_asterisk_prefers_the_status_string(faxerror: str, status: str, code: str) -> None:
    assert from_asterisk(faxerror, status) == code


@pytest.mark.parametrize(
    ("faxerror", "code"),
    [
        ("T38_NEG_ERROR", "t38_negotiation_failed"),
        ("FILE_ERROR", "file_error"),
        ("INIT_ERROR", "local_error"),
        ("INVALID_ARGUMENTS", "invalid_arguments"),
        ("MEMORY_ERROR", "local_error"),
        ("HANGUP", "call_dropped"),
        ("TIMEOUT", "timeout"),
        ("NATIVE_T38", "local_error"),  # not taken for a T.38 negotiation failure by keyword
        ("UNKNOWN", "unknown"),
        (" FILE_ERROR\r\n", "file_error"),
    ],
)
def test_asterisk_res_fax_codes_alone(faxerror: str, code: str) -> None:
    assert from_asterisk(faxerror, "") == code


def test_asterisk_unknown_status_falls_back_to_the_res_fax_code() -> None:
    assert from_asterisk("HANGUP", "zxcv qwerty") == "call_dropped"
    assert from_asterisk("FILE_ERROR", "something odd happened") == "file_error"


@pytest.mark.parametrize(
    ("faxerror", "status"),
    [("", ""), ("SOMETHING_NEW", ""), ("", "the moon is full"), ("WAT", "qwerty"), ("  ", " ")],
)
def test_asterisk_unknown_text_is_unknown(faxerror: str, status: str) -> None:
    assert from_asterisk(faxerror, status) == "unknown"


def test_asterisk_unknown_faxerror_text_is_classified_by_keyword() -> None:
    # a FAXERROR that is not one of res_fax's codes is free text: keywords apply
    assert from_asterisk("T38 gateway failure", "") == "t38_negotiation_failed"


# --- keyword fallbacks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("T.38 re-INVITE was refused", "t38_negotiation_failed"),
        ("t38 udptl error", "t38_negotiation_failed"),
        ("Training failed at 14400", "training_failed"),
        ("ECM frame rejected", "ecm_error"),
        ("Timed out waiting for receiver ready", "ecm_error"),
        ("got DCN before page", "remote_disconnected"),
        ("Call dropped during page 3", "call_dropped"),
        ("Remote hung up", "call_dropped"),
        ("remote hangup", "unknown"),  # "hangup" is not "hung up": nothing matches
        ("Carrier lost on the line", "call_dropped"),
        ("TIFF decode error", "file_error"),
        ("cannot open file /tmp/x", "file_error"),
        ("No resources available", "no_resource"),
        ("Could not reserve a channel", "no_resource"),
        ("Timer T4 fired", "timeout"),
        ("operation timed out", "timeout"),
        ("deadline expired", "timeout"),
        ("out of memory", "local_error"),
        ("Unexpected frame CRP", "protocol_error"),
        ("invalid FCF", "protocol_error"),
        ("Received bad response", "protocol_error"),
        ("lorem ipsum", "unknown"),
        ("", "unknown"),
    ],
)
def test_keyword_fallbacks(text: str, code: str) -> None:
    assert from_text(text) == code


def test_keyword_order_t38_before_timeout() -> None:
    assert from_text("T.38 negotiation timed out") == "t38_negotiation_failed"
    assert from_text("training timed out") == "training_failed"
    assert from_text("unexpected DCN") == "remote_disconnected"


@pytest.mark.parametrize("text", ["\x1b[2J\x07", "[bold]x[/]", "é" * 1000, "\x00", "%s%n"])
def test_hostile_text_never_raises(text: str) -> None:
    assert from_text(text) in VOCABULARY
    assert from_asterisk(text, text) in VOCABULARY


# --- Q.850 and Originate ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cause", "code"),
    [
        (1, "invalid_number"),
        (3, "unreachable"),
        (17, "busy"),
        (18, "no_answer"),
        (19, "no_answer"),
        (21, "rejected"),
        (28, "invalid_number"),
        (34, "congestion"),
        (42, "congestion"),
        (88, "incompatible"),
    ],
)
def test_hangup_causes(cause: int, code: str) -> None:
    assert from_hangup_cause(cause) == code


@pytest.mark.parametrize("cause", [0, 16, 31, 127, -1, 9999])
def test_normal_clearing_and_unknown_causes_give_no_reason(cause: int) -> None:
    assert from_hangup_cause(cause) is None


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        (0, "unknown"),
        (1, "hangup_before_fax"),
        (3, "no_answer"),
        (5, "busy"),
        (8, "congestion"),
        (4, "unknown"),  # answered: not a failure reason
        (99, "unknown"),
        (-1, "unknown"),
    ],
)
def test_originate_reasons(reason: int, code: str) -> None:
    assert from_originate_reason(reason) == code
