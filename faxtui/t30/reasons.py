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
    Reason("ok", "completed", "ok", "completed", "", False),
    # the call never became a fax call
    Reason("busy", "busy", "line", "the line was busy", "Retry in a few minutes.", True),
    Reason("no_answer", "no answer", "line", "nobody answered",
           "Retry later; check the number is a fax line.", True),
    Reason("congestion", "congestion", "line", "the network was congested or the trunk refused the call",
           "Retry later; if it persists, check the SIP trunk (registration, channels in use).",
           True),
    Reason("rejected", "rejected", "line", "the call was rejected", "Check the number and the trunk's "
           "permissions (outbound route, caller ID).", True),
    Reason("invalid_number", "invalid number", "line", "the number does not exist",
           "Check the number, including any prefix the trunk needs.", False),
    Reason("unreachable", "unreachable", "line", "the destination could not be reached",
           "Check the trunk or the route to this number.", True),
    Reason("no_dialtone", "no dial tone", "line", "no dial tone", "Check the line or the modem's connection.",
           True),
    Reason("hangup_before_fax", "hung up early", "line", "the call ended before the fax started",
           "If the far end hung up, it may not be a fax machine; check the number.", True),
    Reason("no_fax_answer", "no fax answered", "remote", "no fax machine answered",
           "A person or voicemail may have answered; check the number is a fax line.", True),
    # capabilities
    Reason("remote_cannot_receive", "can't receive", "remote", "the far end cannot receive faxes",
           "Check the number; the machine may be out of paper or set to send only.", False),
    Reason("incompatible", "incompatible", "remote", "the far end cannot take this document",
           "Resend at standard resolution, or ask the far end for its capabilities.", False),
    # training and line quality
    Reason("training_failed", "training failed", "training", "training failed at every speed",
           "Line quality is poor: retry, or limit the rate to 9600 (FAXOPT(maxrate) / modem "
           "rates) and try the other transport (T.38 or G.711).", True),
    Reason("page_rejected", "page rejected (RTN)", "training", "the far end rejected a page after every retry (RTN)",
           "The line is noisy: limit the rate to 9600 or 4800 and resend.", True),
    # the call broke during the fax
    Reason("call_dropped", "line dropped", "remote", "the line dropped during the fax",
           "Resend; if it repeats at the same page, try ECM off or a lower rate.", True),
    Reason("remote_disconnected", "far end hung up", "remote", "the far end hung up (DCN) during the fax",
           "Resend; if the far end keeps hanging up, its memory may be full.", True),
    # protocol
    Reason("protocol_error", "protocol error", "protocol", "the fax protocol went wrong (unexpected frame)",
           "Retry; if it repeats, turn ECM off or force G.711 audio (or T.38) for this route.",
           True),
    Reason("ecm_error", "ECM error", "protocol", "error correction (ECM) failed",
           "Resend with ECM off (FAXOPT(ecm)=no).", True),
    Reason("timeout", "T.30 timeout", "protocol", "the far end stopped answering (T.30 timeout)",
           "Retry; check for echo or jitter on the route (T.38 timings).", True),
    Reason("t38_negotiation_failed", "T.38 failed", "t38", "T.38 could not be negotiated",
           "The trunk may not support T.38: allow audio fallback (option f) or force G.711.",
           True),
    # local
    Reason("no_resource", "no fax resource", "local", "no fax resource was free on the PBX",
           "Too many faxes at once for the fax licence or module: wait, or raise the limit.",
           True),
    Reason("file_error", "file error", "local", "the document could not be read",
           "Check the file exists where the PBX can read it and is a fax TIFF.", False),
    Reason("invalid_arguments", "bad arguments", "local", "the fax application got invalid arguments",
           "Check the dialplan's SendFAX/ReceiveFAX arguments.", False),
    Reason("local_error", "local error", "local", "the PBX or modem failed locally",
           "Check the PBX or modem logs; restart the fax module if it persists.", True),
    Reason("modem_error", "modem error", "local", "the modem stopped responding",
           "Check the modem is plugged in and not used by another program.", True),
    Reason("cancelled", "cancelled", "local", "cancelled by the operator", "", False),
    Reason("lost_track", "outcome unknown", "unknown", "faxtui lost contact while the call was running",
           "Check the PBX's own logs for the outcome.", False),
    Reason("unknown", "failed", "unknown", "failed for an unknown reason",
           "Look at the call's raw events for the far end's own words.", True),
]  # fmt: skip

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
