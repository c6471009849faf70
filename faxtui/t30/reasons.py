"""One failure vocabulary for every source.

Asterisk (res_fax FAXERROR codes and spandsp's T.30 completion strings), Q.850 hang-up causes,
AMI OriginateResponse reasons, HylaFAX status codes, Class 2 +FHNG codes and faxtui's own T.30
engine all map to a short code here. Each code has a sentence for the operator and the next
step worth trying. Unknown words from the far end map to "unknown", never to an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    short: str  # a table cell's worth (at most 19 characters)
    category: str  # "ok", "line", "remote", "training", "protocol", "t38", "local", "unknown"
    text: str
    hint: str
    retry: bool  # worth an automatic retry


_VOCABULARY = [
    Reason(
        code="ok",
        short="completed",
        category="ok",
        text="completed",
        hint="",
        retry=False,
    ),
    # the call never became a fax call
    Reason(
        code="busy",
        short="busy",
        category="line",
        text="the line was busy",
        hint="Retry in a few minutes.",
        retry=True,
    ),
    Reason(
        code="no_answer",
        short="no answer",
        category="line",
        text="nobody answered",
        hint="Retry later; check the number is a fax line.",
        retry=True,
    ),
    Reason(
        code="congestion",
        short="congestion",
        category="line",
        text="the network was congested or the trunk refused the call",
        hint="Retry later; if it persists, check the SIP trunk (registration, channels in use).",
        retry=True,
    ),
    Reason(
        code="rejected",
        short="rejected",
        category="line",
        text="the call was rejected",
        hint="Check the number and the trunk's permissions (outbound route, caller ID).",
        retry=True,
    ),
    Reason(
        code="invalid_number",
        short="invalid number",
        category="line",
        text="the number does not exist",
        hint="Check the number, including any prefix the trunk needs.",
        retry=False,
    ),
    Reason(
        code="unreachable",
        short="unreachable",
        category="line",
        text="the destination could not be reached",
        hint="Check the trunk or the route to this number.",
        retry=True,
    ),
    Reason(
        code="no_dialtone",
        short="no dial tone",
        category="line",
        text="no dial tone",
        hint="Check the line or the modem's connection.",
        retry=True,
    ),
    Reason(
        code="hangup_before_fax",
        short="hung up early",
        category="line",
        text="the call ended before the fax started",
        hint="If the far end hung up, it may not be a fax machine; check the number.",
        retry=True,
    ),
    Reason(
        code="no_fax_answer",
        short="no fax answered",
        category="remote",
        text="no fax machine answered",
        hint="A person or voicemail may have answered; check the number is a fax line.",
        retry=True,
    ),
    # capabilities
    Reason(
        code="remote_cannot_receive",
        short="can't receive",
        category="remote",
        text="the far end cannot receive faxes",
        hint="Check the number; the machine may be out of paper or set to send only.",
        retry=False,
    ),
    Reason(
        code="incompatible",
        short="incompatible",
        category="remote",
        text="the far end cannot take this document",
        hint="Resend at standard resolution, or ask the far end for its capabilities.",
        retry=False,
    ),
    # training and line quality
    Reason(
        code="training_failed",
        short="training failed",
        category="training",
        text="training failed at every speed",
        hint="Line quality is poor: retry, or limit the rate to 9600 (FAXOPT(maxrate) / modem "
        "rates) and try the other transport (T.38 or G.711).",
        retry=True,
    ),
    Reason(
        code="page_rejected",
        short="page rejected (RTN)",
        category="training",
        text="the far end rejected a page after every retry (RTN)",
        hint="The line is noisy: limit the rate to 9600 or 4800 and resend.",
        retry=True,
    ),
    # the call broke during the fax
    Reason(
        code="call_dropped",
        short="line dropped",
        category="remote",
        text="the line dropped during the fax",
        hint="Resend; if it repeats at the same page, try ECM off or a lower rate.",
        retry=True,
    ),
    Reason(
        code="remote_disconnected",
        short="far end hung up",
        category="remote",
        text="the far end hung up (DCN) during the fax",
        hint="Resend; if the far end keeps hanging up, its memory may be full.",
        retry=True,
    ),
    # protocol
    Reason(
        code="protocol_error",
        short="protocol error",
        category="protocol",
        text="the fax protocol went wrong (unexpected frame)",
        hint="Retry; if it repeats, turn ECM off or force G.711 audio (or T.38) for this route.",
        retry=True,
    ),
    Reason(
        code="ecm_error",
        short="ECM error",
        category="protocol",
        text="error correction (ECM) failed",
        hint="Resend with ECM off (FAXOPT(ecm)=no).",
        retry=True,
    ),
    Reason(
        code="timeout",
        short="T.30 timeout",
        category="protocol",
        text="the far end stopped answering (T.30 timeout)",
        hint="Retry; check for echo or jitter on the route (T.38 timings).",
        retry=True,
    ),
    Reason(
        code="t38_negotiation_failed",
        short="T.38 failed",
        category="t38",
        text="T.38 could not be negotiated",
        hint="The trunk may not support T.38: allow audio fallback (option f) or force G.711.",
        retry=True,
    ),
    # local
    Reason(
        code="no_resource",
        short="no fax resource",
        category="local",
        text="no fax resource was free on the PBX",
        hint="Too many faxes at once for the fax licence or module: wait, or raise the limit.",
        retry=True,
    ),
    Reason(
        code="file_error",
        short="file error",
        category="local",
        text="the document could not be read",
        hint="Check the file exists where the PBX can read it and is a fax TIFF.",
        retry=False,
    ),
    Reason(
        code="invalid_arguments",
        short="bad arguments",
        category="local",
        text="the fax application got invalid arguments",
        hint="Check the dialplan's SendFAX/ReceiveFAX arguments.",
        retry=False,
    ),
    Reason(
        code="local_error",
        short="local error",
        category="local",
        text="the PBX or modem failed locally",
        hint="Check the PBX or modem logs; restart the fax module if it persists.",
        retry=True,
    ),
    Reason(
        code="modem_error",
        short="modem error",
        category="local",
        text="the modem stopped responding",
        hint="Check the modem is plugged in and not used by another program.",
        retry=True,
    ),
    Reason(
        code="cancelled",
        short="cancelled",
        category="local",
        text="cancelled by the operator",
        hint="",
        retry=False,
    ),
    Reason(
        code="interrupted",
        short="interrupted",
        category="local",
        text="faxtui stopped while the call was running",
        hint="The job is tried again; check the history if the far end got it already.",
        retry=True,
    ),
    Reason(
        code="kill_time",
        short="gave up",
        category="local",
        text="the job's time ran out before it could be sent",
        hint="Resend it if it is still wanted.",
        retry=False,
    ),
    Reason(
        code="lost_track",
        short="outcome unknown",
        category="unknown",
        text="faxtui lost contact while the call was running",
        hint="Check the PBX's own logs for the outcome.",
        retry=False,
    ),
    Reason(
        code="unknown",
        short="failed",
        category="unknown",
        text="failed for an unknown reason",
        hint="Look at the call's raw events for the far end's own words.",
        retry=True,
    ),
]

VOCABULARY: dict[str, Reason] = {r.code: r for r in _VOCABULARY}


def describe(code: str) -> Reason:
    """The Reason for ``code``; an unknown code reads as "unknown"."""
    return VOCABULARY.get(code) or VOCABULARY["unknown"]


# --- Asterisk ------------------------------------------------------------------------------

# res_fax's own FAXERROR codes (res/res_fax.c)
_RES_FAX_ERRORS = {
    "INIT_ERROR": "local_error",
    "INVALID_ARGUMENTS": "invalid_arguments",
    "MEMORY_ERROR": "local_error",
    "FILE_ERROR": "file_error",
    "T38_NEG_ERROR": "t38_negotiation_failed",
    "HANGUP": "call_dropped",
    "TIMEOUT": "timeout",
    "NATIVE_T38": "local_error",
    "UNKNOWN": "unknown",
}

# FAXSTATUSSTRING texts res_fax sets itself (res/res_fax.c)
_RES_FAX_STRINGS = {
    "error starting fax session": "local_error",
    "error reading file": "file_error",
    "invalid arguments": "invalid_arguments",
    "error negotiating T.38": "t38_negotiation_failed",
    "error reserving fax session": "no_resource",
    "error answering channel": "local_error",
    "remote channel hungup": "call_dropped",
    "fax session timed-out": "timeout",
    "Error before FAX transmission started.": "hangup_before_fax",
    "error allocating memory": "local_error",
    "failed to get a fax session": "no_resource",
}

# spandsp t30_completion_code_to_str() (src/t30_logging.c)
SPANDSP_STRINGS: dict[str, str] = {
    "OK": "ok",
    "The CED tone exceeded 5s": "protocol_error",
    "Timed out waiting for initial communication": "no_fax_answer",
    "Timed out waiting for the first message": "timeout",
    "Timed out waiting for procedural interrupt": "timeout",
    "The HDLC carrier did not stop in a timely manner": "protocol_error",
    "Failed to train with any of the compatible modems": "training_failed",
    "Operator intervention failed": "protocol_error",
    "Far end is not compatible": "incompatible",
    "Far end is not able to receive": "remote_cannot_receive",
    "Far end is not able to transmit": "incompatible",
    "Far end cannot receive at the resolution of the image": "incompatible",
    "Far end cannot receive at the size of image": "incompatible",
    "Unexpected message received": "protocol_error",
    "Received bad response to DCS or training": "training_failed",
    "Received a DCN from remote after sending a page": "remote_disconnected",
    "Invalid ECM response received from receiver": "ecm_error",
    "Received a DCN while waiting for a DIS": "remote_disconnected",
    "Invalid response after sending a page": "protocol_error",
    "Received other than DIS while waiting for DIS": "protocol_error",
    "Received no response to DCS or TCF": "training_failed",
    "No response after sending a page": "timeout",
    "Timed out waiting for receiver ready (ECM mode)": "ecm_error",
    "Invalid ECM response received from transmitter": "ecm_error",
    "DCS received while waiting for DTC": "protocol_error",
    "Unexpected command after page received": "protocol_error",
    "Carrier lost during fax receive": "call_dropped",
    "Timed out while waiting for EOL (end Of line)": "protocol_error",
    "Timed out while waiting for first line": "protocol_error",
    "Timer T2 expired while waiting for DCN": "timeout",
    "Timer T2 expired while waiting for phase D": "timeout",
    "Timer T2 expired while waiting for fax page": "timeout",
    "Timer T2 expired while waiting for next fax page": "timeout",
    "Timer T2 expired while waiting for RR command": "ecm_error",
    "Timer T2 expired while waiting for NSS, DCS or MCF": "timeout",
    "Unexpected DCN while waiting for DCS or DIS": "remote_disconnected",
    "Unexpected DCN while waiting for image data": "remote_disconnected",
    "Unexpected DCN while waiting for EOM, EOP or MPS": "remote_disconnected",
    "Unexpected DCN after EOM or MPS sequence": "remote_disconnected",
    "Unexpected DCN after RR/RNR sequence": "remote_disconnected",
    "Unexpected DCN after requested retransmission": "remote_disconnected",
    "TIFF/F file cannot be opened": "file_error",
    "TIFF/F page not found": "file_error",
    "TIFF/F format is not compatible": "file_error",
    "TIFF/F page number tag missing": "file_error",
    "Incorrect values for TIFF/F tags": "file_error",
    "Bad TIFF/F header - incorrect values in fields": "file_error",
    "Cannot allocate memory for more pages": "local_error",
    "Disconnected after permitted retries": "page_rejected",
    "The call dropped prematurely": "call_dropped",
    "Poll not accepted": "incompatible",
}

# Keyword rules for strings not in the tables (other spandsp versions, other backends).
_KEYWORDS = [
    (re.compile(r"t\.?38", re.I), "t38_negotiation_failed"),
    (re.compile(r"train", re.I), "training_failed"),
    (re.compile(r"\bECM\b|RR command|receiver ready", re.I), "ecm_error"),
    (re.compile(r"\bDCN\b", re.I), "remote_disconnected"),
    (re.compile(r"dropped|hung ?up|carrier lost", re.I), "call_dropped"),
    (re.compile(r"TIFF|file", re.I), "file_error"),
    (re.compile(r"resource|reserv", re.I), "no_resource"),
    (re.compile(r"timed out|timer|expired|timeout", re.I), "timeout"),
    (re.compile(r"memory", re.I), "local_error"),
    (re.compile(r"unexpected|invalid|bad response", re.I), "protocol_error"),
]


def from_text(text: str) -> str:
    """Classify a free-text failure (spandsp, res_fax) into a vocabulary code."""
    text = text.strip()
    code = SPANDSP_STRINGS.get(text) or _RES_FAX_STRINGS.get(text)
    if code:
        return code
    for pattern, code in _KEYWORDS:
        if pattern.search(text):
            return code
    return "unknown"


def from_asterisk(faxerror: str, statusstring: str) -> str:
    """The reason of a failed Asterisk fax from its FAXERROR and FAXSTATUSSTRING variables.

    The T.30 string is the more precise one when spandsp ran; res_fax's own codes cover the
    failures before or around the session.
    """
    for text in (statusstring, faxerror):
        if text and text not in _RES_FAX_ERRORS:
            code = from_text(text)
            if code != "unknown":
                return code
    return _RES_FAX_ERRORS.get(faxerror.strip(), "unknown")


# Q.850 cause values as Asterisk reports them in Hangup's Cause field
_HANGUP_CAUSES = {
    1: "invalid_number",  # unallocated number
    2: "unreachable",  # no route to transit network
    3: "unreachable",  # no route to destination
    17: "busy",  # user busy
    18: "no_answer",  # no user responding
    19: "no_answer",  # no answer
    20: "unreachable",  # subscriber absent
    21: "rejected",  # call rejected
    22: "invalid_number",  # number changed
    27: "unreachable",  # destination out of order
    28: "invalid_number",  # invalid number format
    34: "congestion",  # no circuit available
    38: "congestion",  # network out of order
    41: "congestion",  # temporary failure
    42: "congestion",  # switching equipment congestion
    44: "congestion",  # requested channel not available
    58: "rejected",  # bearer capability not available
    88: "incompatible",  # incompatible destination
}


def from_hangup_cause(cause: int) -> str | None:
    """The reason a Hangup cause gives on its own; None for normal clearing and the like."""
    return _HANGUP_CAUSES.get(cause)


# AMI OriginateResponse Reason (main/pbx.c pbx_dial_reason)
_ORIGINATE_REASONS = {0: "unknown", 1: "hangup_before_fax", 3: "no_answer", 5: "busy",
                      8: "congestion"}  # fmt: skip


def from_originate_reason(reason: int) -> str:
    return _ORIGINATE_REASONS.get(reason, "unknown")
