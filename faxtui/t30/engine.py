"""The T.30 session: a pure state machine for both ends of a non-ECM fax call.

Sans-I/O in the way of h11: the engine never touches a modem, a socket or a clock. The driver
gives it the time and what happened on the line (frames received, data received, something sent,
a timeout, the line lost) and gets back reports for the screen and the one thing to do next on
the line: send V.21 frames, listen for frames, send or receive training (TCF), send or receive a
page, hang up. The same engine runs behind the Class 1 driver (sources/modem) and as the far-end
fax machine of the modem simulator (sim/modem.py), talking through a simulated line.

Supported: caller sending (phase B from the remote DIS, DCS + TCF, fall-back on FTT, pages with
MPS/EOM/EOP, MCF/RTP/RTN/PIP/PIN, DCN) and answerer receiving (CSI + DIS, TCF judged, CFR/FTT,
pages decoded and judged for copy quality). Phase C is non-ECM MH or MR. Timers follow T.30:
T1 35 s to identify the far end, T2 6 s for a command, T4 3 s for a response; a command with no
response is repeated up to three times.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum, auto

from PIL import Image

from faxtui.model import Phase, Result
from faxtui.t30 import t4
from faxtui.t30.dis import (
    Capabilities,
    Coding,
    FrameError,
    Length,
    Resolution,
    Session,
    choose_session,
    decode_ident,
    encode_ident,
    fall_back,
)
from faxtui.t30.fcf import DisModems, Fcf, Rate, build_fcf
from faxtui.t30.hdlc import Frame

T1 = 35.0  # identify the far end (phase B), both sides
T2 = 6.0  # wait for a command
T4 = 3.0  # wait for a response
TCF_SECONDS = 1.5
MAX_TRIES = 3  # a command without a response is sent this many times in all


# --- what the engine asks the line to do (exactly one at a time) --------------------------------


@dataclass(frozen=True, slots=True)
class SendFrames:
    """Send these V.21 HDLC frames in one burst; the last one is final."""

    frames: tuple[Frame, ...]


@dataclass(frozen=True, slots=True)
class ReceiveFrames:
    """Listen on V.21 for a burst of frames, up to ``timeout`` seconds for the first one."""

    timeout: float


@dataclass(frozen=True, slots=True)
class SendTraining:
    """TCF: zeros for ``seconds`` at ``rate``, long training."""

    rate: Rate
    seconds: float = TCF_SECONDS


@dataclass(frozen=True, slots=True)
class ReceiveTraining:
    rate: Rate
    timeout: float


@dataclass(frozen=True, slots=True)
class SendPage:
    """Page data (already T.4 coded, Class 1 bit order), short training allowed."""

    rate: Rate
    data: bytes
    page: int


@dataclass(frozen=True, slots=True)
class ReceivePage:
    rate: Rate
    timeout: float
    page: int


@dataclass(frozen=True, slots=True)
class Hangup:
    pass


Command = (
    SendFrames | ReceiveFrames | SendTraining | ReceiveTraining | SendPage | ReceivePage | Hangup
)


# --- what the line tells the engine --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sent:
    """The last Send* finished."""


@dataclass(frozen=True, slots=True)
class FramesIn:
    """Frames received; FCS checked by the modem (a bad one arrives as ``None``)."""

    frames: tuple[Frame | None, ...]


@dataclass(frozen=True, slots=True)
class DataIn:
    """High-speed data received until the carrier dropped (TCF or a page)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class TimedOut:
    """Nothing arrived within the timeout of the last Receive*."""


@dataclass(frozen=True, slots=True)
class WrongCarrier:
    """A different carrier than the one awaited (Class 1 +FCERROR), e.g. V.21 instead of a page."""


@dataclass(frozen=True, slots=True)
class LineLost:
    """The call is gone: the far end hung up (or the line), or ``local``ly the modem failed."""

    detail: str
    local: bool = False


Input = Sent | FramesIn | DataIn | TimedOut | WrongCarrier | LineLost


# --- what the engine tells the screen ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FrameLogged:
    """A frame on the ladder: ``outgoing`` from us, else from the far end."""

    outgoing: bool
    frame: Frame


@dataclass(frozen=True, slots=True)
class SignalLogged:
    """A non-frame signal on the ladder: TCF, a page, CNG/CED, silence."""

    outgoing: bool
    name: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PhaseReport:
    phase: Phase
    text: str


@dataclass(frozen=True, slots=True)
class Negotiated:
    """The session both ends agreed on (DCS), and who the far end says it is."""

    session: Session
    remote_id: str


@dataclass(frozen=True, slots=True)
class PageReport:
    """A page finished: confirmed (MCF/RTP) or refused (RTN/PIN)."""

    page: int
    accepted: bool
    rows: int = 0
    bad_lines: int = 0
    image: Image.Image | None = None  # received pages only


@dataclass(frozen=True, slots=True)
class Finished:
    result: Result
    reason: str  # a code of faxtui.t30.reasons
    detail: str = ""


Report = FrameLogged | SignalLogged | PhaseReport | Negotiated | PageReport | Finished
Output = Command | Report


@dataclass(frozen=True)
class Options:
    local_id: str = ""
    max_bps: int = 14400
    resolution: Resolution = Resolution.FINE  # what a sender would like to send at (its pages':
    # superfine pages at 391 lines per inch, else fine ones at 196)
    allow_mr: bool = True
    modems: DisModems = DisModems.V27TER_V29_V17  # what a receiver offers
    rtn_limit: int = 3  # a sender resends a refused page at most this many times
    max_pages: int = 0  # a receiver hangs up after this many pages (0: no limit)
    tcf_zero_seconds: float = 1.0  # a good TCF holds a run of zeros at least this long
    rtp_bad_share: float = 0.02  # above this share of bad lines: page kept, retrain (RTP)
    rtn_bad_share: float = 0.10  # above this: page refused (RTN)


class _State(Enum):
    # sender
    WAIT_DIS = auto()
    SEND_DCS = auto()
    SEND_TCF = auto()
    WAIT_CFR = auto()
    SEND_PAGE = auto()
    SEND_PPM = auto()
    WAIT_MCF = auto()
    SEND_DCN = auto()
    # receiver
    SEND_DIS = auto()
    WAIT_DCS = auto()
    RECV_TCF = auto()
    SEND_CFR = auto()
    RECV_PAGE = auto()
    WAIT_PPM = auto()
    SEND_MCF = auto()
    WAIT_DCN = auto()
    SEND_CRP = auto()  # a garbled post-page command: "say it again", then hear it
    RESYNC = auto()  # V.21 came instead of a page: a repeated command, or a new DCS
    # both
    HANGUP = auto()
    DONE = auto()


@dataclass
class _Page:
    """A page to send: the image and, once the session is known, its coded data."""

    image: Image.Image
    last_of_document: bool
    data: bytes = b""
    coded_for: Session | None = None


@dataclass
class T30:
    """One fax call. ``documents`` given: we send them (the caller); none: we receive.

    Pages are 1-bit Pillow images 1728 pixels wide at fine resolution (196 lines per inch),
    or at superfine (391) when ``options.resolution`` asks for it; where the receiver takes
    less, the engine merges line pairs (or fours) itself. Call
    ``start(now)`` once the modem connected, then ``handle(result, now)`` with the outcome
    of each command. Each call returns reports and, last, the next command. The Finished
    report comes after the Hangup command has been carried out.
    """

    options: Options = field(default_factory=Options)
    documents: Sequence[Sequence[Image.Image]] = ()

    def __post_init__(self) -> None:
        if self.options.local_id:
            encode_ident(self.options.local_id)  # ValueError now, not in the middle of a call
        self.sending = bool(self.documents)
        self._pages = [
            _Page(image, last_of_document=i == len(doc) - 1)
            for doc in self.documents
            for i, image in enumerate(doc)
        ]
        self.state = _State.DONE
        self.phase = Phase.A
        self.session: Session | None = None
        self.remote_id = ""
        self.page = 0  # index of the page being sent or received
        self.pages_done = 0
        self.received: list[Image.Image] = []
        self.result: Finished | None = None
        self._identified = False  # the far end's DIS (sender) or DCS (receiver) came
        self._t1_deadline = 0.0
        self._tries = 0
        self._refusals = 0  # RTN for the page in hand
        self._last_ppm: Fcf | None = None
        self._quality = Fcf.MCF
        self._page_report: PageReport | None = None
        self._ending: Finished | None = None
        self._handlers: dict[_State, Callable[[Input, float], list[Output]]] = {
            _State.WAIT_DIS: self._on_wait_dis,
            _State.SEND_DCS: self._on_send_dcs,
            _State.SEND_TCF: self._on_send_tcf,
            _State.WAIT_CFR: self._on_wait_cfr,
            _State.SEND_PAGE: self._on_send_page,
            _State.SEND_PPM: self._on_send_ppm,
            _State.WAIT_MCF: self._on_wait_mcf,
            _State.SEND_DCN: self._on_send_dcn,
            _State.SEND_DIS: self._on_send_dis,
            _State.WAIT_DCS: self._on_wait_dcs,
            _State.RECV_TCF: self._on_recv_tcf,
            _State.SEND_CFR: self._on_send_cfr,
            _State.RECV_PAGE: self._on_recv_page,
            _State.WAIT_PPM: self._on_wait_ppm,
            _State.SEND_MCF: self._on_send_mcf,
            _State.WAIT_DCN: self._on_wait_dcn,
            _State.SEND_CRP: self._on_send_crp,
            _State.RESYNC: self._on_resync,
            _State.HANGUP: self._on_hangup,
        }

    # --- driving ------------------------------------------------------------------------

    def start(self, now: float) -> list[Output]:
        self._t1_deadline = now + T1
        self.phase = Phase.B
        if self.sending:
            self.state = _State.WAIT_DIS
            return [PhaseReport(Phase.B, "waiting for the far end's DIS"), ReceiveFrames(T2)]
        return [PhaseReport(Phase.B, "sending CSI and DIS"), *self._send_dis()]

    def handle(self, event: Input, now: float) -> list[Output]:
        if self.state is _State.DONE:
            return []
        if isinstance(event, LineLost) and self.state is not _State.HANGUP:
            return self._lost(event.detail, local=event.local)
        return self._handlers[self.state](event, now)

    @property
    def done(self) -> bool:
        return self.state is _State.DONE

    # --- common pieces ------------------------------------------------------------------

    def _frame(self, fcf: Fcf, fif: bytes = b"", *, final: bool = True) -> Frame:
        # The X bit is set in the frames of the station that received a valid DIS: the sender.
        return Frame(build_fcf(fcf, self.sending and fcf.has_x_bit), fif, final)

    def _send(self, *frames: Frame) -> list[Output]:
        return [*(FrameLogged(True, f) for f in frames), SendFrames(tuple(frames))]

    def _received(self, event: FramesIn) -> tuple[list[Output], list[Frame]]:
        """Log the frames; return the good ones."""
        good = [f for f in event.frames if f is not None]
        out: list[Output] = [FrameLogged(False, f) for f in good]
        if len(good) < len(event.frames):
            bad = len(event.frames) - len(good)
            out.append(SignalLogged(False, "bad frame", f"{bad} frame(s) with a bad FCS"))
        return out, good

    def _fail(self, reason: str, detail: str, *, dcn: bool = True) -> list[Output]:
        """End the call: DCN (unless the far end already left), hang up, report."""
        self._ending = Finished(Result.FAILED, reason, detail)
        if dcn:
            self.state = _State.SEND_DCN
            return self._send(self._frame(Fcf.DCN))
        return self._hangup()

    def _hangup(self) -> list[Output]:
        self.state = _State.HANGUP
        self.phase = Phase.E
        return [PhaseReport(Phase.E, "releasing the call"), Hangup()]

    def _lost(self, detail: str, *, local: bool = False) -> list[Output]:
        if self._ending is None:
            where = f"{detail} in phase {self.phase}"
            if local:
                self._ending = Finished(Result.FAILED, "modem_error", where)
            elif self.state is _State.WAIT_DCN:
                self._ending = Finished(Result.SUCCESS, "ok")  # all pages were confirmed
            elif not self._identified:
                reason = "no_fax_answer" if self.sending else "hangup_before_fax"
                self._ending = Finished(Result.FAILED, reason, where)
            else:
                self._ending = Finished(Result.FAILED, "call_dropped", where)
        return self._hangup()

    def _on_hangup(self, event: Input, now: float) -> list[Output]:
        self.state = _State.DONE
        self.result = self._ending or Finished(Result.SUCCESS, "ok")
        return [self.result]

    def _on_send_dcn(self, event: Input, now: float) -> list[Output]:
        return self._hangup()

    # --- the sender ------------------------------------------------------------------------

    def _on_wait_dis(self, event: Input, now: float) -> list[Output]:
        if not isinstance(event, FramesIn):
            if not self._identified and now >= self._t1_deadline:
                return self._fail("no_fax_answer", "no DIS from the far end within T1 (35 s)")
            return [ReceiveFrames(T2)]
        out, frames = self._received(event)
        remote = None
        for frame in frames:
            if frame.kind is Fcf.CSI:
                self.remote_id = decode_ident(frame.fif)
            elif frame.kind is Fcf.DCN:
                return out + self._fail("remote_disconnected", "DCN instead of DIS", dcn=False)
            elif frame.kind is Fcf.DIS:
                try:
                    remote = Capabilities.decode(frame.fif)
                except FrameError as exc:
                    return out + self._fail("protocol_error", f"undecodable DIS: {exc}")
        if remote is None:
            return [*out, ReceiveFrames(T2)]
        self._identified = True
        if not remote.can_receive:
            return out + self._fail("remote_cannot_receive", "DIS: the far end cannot receive")
        try:
            self.session = choose_session(
                remote,
                max_bps=self.options.max_bps,
                resolution=self.options.resolution,
                allow_mr=self.options.allow_mr,
            )
        except ValueError as exc:
            return out + self._fail("incompatible", str(exc))
        out.append(SignalLogged(False, "DIS", remote.describe()))
        self._tries = 0
        return out + self._send_dcs()

    def _send_dcs(self) -> list[Output]:
        assert self.session is not None and self.session.rate is not None
        self.phase = Phase.B
        self.state = _State.SEND_DCS
        self._tries += 1
        frames = []
        if self.options.local_id:
            frames.append(self._frame(Fcf.TSI, encode_ident(self.options.local_id), final=False))
        frames.append(self._frame(Fcf.DCS, self.session.encode()))
        return [
            PhaseReport(Phase.B, f"DCS: training at {self.session.rate}"),
            Negotiated(self.session, self.remote_id),
            *self._send(*frames),
        ]

    def _on_send_dcs(self, event: Input, now: float) -> list[Output]:
        assert self.session is not None and self.session.rate is not None
        self.state = _State.SEND_TCF
        detail = f"{TCF_SECONDS:g} s of zeros at {self.session.rate}"
        return [SignalLogged(True, "TCF", detail), SendTraining(self.session.rate)]

    def _on_send_tcf(self, event: Input, now: float) -> list[Output]:
        self.state = _State.WAIT_CFR
        return [ReceiveFrames(T4)]

    def _on_wait_cfr(self, event: Input, now: float) -> list[Output]:
        assert self.session is not None
        if not isinstance(event, FramesIn):
            if self._tries >= MAX_TRIES:
                return self._fail("training_failed", "no answer to DCS and TCF, 3 times")
            return self._send_dcs()
        out, frames = self._received(event)
        kinds = {f.kind for f in frames}
        if Fcf.CFR in kinds:
            self._tries = 0
            return out + self._start_page()
        if Fcf.FTT in kinds:
            lower = fall_back(self.session)
            if lower is None:
                return out + self._fail("training_failed", "FTT at every rate down to 2400")
            self.session, self._tries = lower, 0
            return out + self._send_dcs()
        if Fcf.DCN in kinds:
            return out + self._fail("remote_disconnected", "DCN after DCS", dcn=False)
        if self._tries >= MAX_TRIES:
            return out + self._fail("protocol_error", f"no CFR or FTT: got {_names(frames)}")
        return out + self._send_dcs()  # DIS again (our DCS was lost), CRP, or noise

    def _start_page(self) -> list[Output]:
        assert self.session is not None and self.session.rate is not None
        self.phase = Phase.C
        self.state = _State.SEND_PAGE
        page = self._pages[self.page]
        if page.coded_for != self.session:
            source = _LPI[self.options.resolution is Resolution.SUPERFINE]
            page.data, page.coded_for = _code(page.image, self.session, source), self.session
        number = self.page + 1
        return [
            PhaseReport(Phase.C, f"sending page {number} of {len(self._pages)}"),
            SignalLogged(True, f"page {number}", f"{len(page.data)} bytes at {self.session.rate}"),
            SendPage(self.session.rate, page.data, number),
        ]

    def _on_send_page(self, event: Input, now: float) -> list[Output]:
        self._tries = 0
        if not self._pages[self.page].last_of_document:
            self._last_ppm = Fcf.MPS
        elif self.page == len(self._pages) - 1:
            self._last_ppm = Fcf.EOP
        else:
            self._last_ppm = Fcf.EOM
        return self._send_ppm()

    def _send_ppm(self) -> list[Output]:
        assert self._last_ppm is not None
        self.phase = Phase.D
        self.state = _State.SEND_PPM
        self._tries += 1
        text = f"page {self.page + 1} sent: {self._last_ppm.label}"
        return [PhaseReport(Phase.D, text), *self._send(self._frame(self._last_ppm))]

    def _on_send_ppm(self, event: Input, now: float) -> list[Output]:
        self.state = _State.WAIT_MCF
        return [ReceiveFrames(T4)]

    def _on_wait_mcf(self, event: Input, now: float) -> list[Output]:
        assert self.session is not None
        if not isinstance(event, FramesIn):
            if self._tries >= MAX_TRIES:
                return self._fail("timeout", f"no answer to {_label(self._last_ppm)}, 3 times")
            return self._send_ppm()
        out, frames = self._received(event)
        kinds = {f.kind for f in frames}
        number = self.page + 1
        if kinds & {Fcf.MCF, Fcf.RTP, Fcf.PIP}:
            self.pages_done += 1
            self._refusals = 0
            out.append(PageReport(number, accepted=True))
            return out + self._next_page(retrain=Fcf.MCF not in kinds)
        if kinds & {Fcf.RTN, Fcf.PIN}:
            self._refusals += 1
            out.append(PageReport(number, accepted=False))
            if self._refusals > self.options.rtn_limit:
                detail = f"page {number} refused {self._refusals} times (RTN)"
                return out + self._fail("page_rejected", detail)
            # retrain, a rate lower if there is one, then send the page again
            self.session = fall_back(self.session) or self.session
            self._tries = 0
            return out + self._send_dcs()
        if Fcf.DCN in kinds:
            return out + self._fail("remote_disconnected", f"DCN after page {number}", dcn=False)
        if Fcf.CRP in kinds or self._tries < MAX_TRIES:
            return out + self._send_ppm()
        return out + self._fail("protocol_error", f"invalid answer to a page: {_names(frames)}")

    def _next_page(self, *, retrain: bool) -> list[Output]:
        if self._last_ppm is Fcf.EOP:
            self._ending = Finished(Result.SUCCESS, "ok")
            self.phase = Phase.E
            self.state = _State.SEND_DCN
            return [PhaseReport(Phase.E, "all pages confirmed: DCN"),
                    *self._send(self._frame(Fcf.DCN))]  # fmt: skip
        self.page += 1
        self._tries = 0
        if self._last_ppm is Fcf.EOM:  # a new document: phase B again, the receiver sends DIS
            self.phase = Phase.B
            self.state = _State.WAIT_DIS
            return [PhaseReport(Phase.B, "next document: waiting for DIS"), ReceiveFrames(T2)]
        if retrain:
            return self._send_dcs()
        return self._start_page()

    # --- the receiver ----------------------------------------------------------------------

    def _capabilities(self) -> Capabilities:
        return Capabilities(
            can_receive=True,
            modems=self.options.modems,
            fine=True,
            mr=self.options.allow_mr,
            length=Length.UNLIMITED,
            scan_ms=0,
        )

    def _send_dis(self) -> list[Output]:
        self.state = _State.SEND_DIS
        frames = []
        if self.options.local_id:
            frames.append(self._frame(Fcf.CSI, encode_ident(self.options.local_id), final=False))
        frames.append(self._frame(Fcf.DIS, self._capabilities().encode()))
        return self._send(*frames)

    def _on_send_dis(self, event: Input, now: float) -> list[Output]:
        self.state = _State.WAIT_DCS
        return [ReceiveFrames(T4)]

    def _on_wait_dcs(self, event: Input, now: float) -> list[Output]:
        """Phase B of the receiver: TSI and DCS, first or after FTT, RTN or RTP."""
        out: list[Output] = []
        if isinstance(event, FramesIn):
            out, frames = self._received(event)
            done = self._phase_b_frames(frames, out)
            if done is not None:
                return done
        if not self._identified:
            if now >= self._t1_deadline:
                return out + self._fail("timeout", "no DCS within T1 (35 s)")
            return out + self._send_dis()  # the caller may not have heard our DIS
        self._tries += 1
        if self._tries >= MAX_TRIES:
            return out + self._fail("timeout", "no DCS after FTT, RTN or RTP")
        return [*out, ReceiveFrames(T2)]

    def _phase_b_frames(self, frames: list[Frame], out: list[Output]) -> list[Output] | None:
        """Act on TSI/DCS/DCN; None if no frame called for an action."""
        for frame in frames:
            if frame.kind is Fcf.TSI:
                self.remote_id = decode_ident(frame.fif)
            elif frame.kind is Fcf.DCN:
                return out + self._fail("remote_disconnected", "DCN in phase B", dcn=False)
            elif frame.kind is Fcf.DCS:
                try:
                    session = Session.decode(frame.fif)
                except FrameError as exc:
                    return out + self._fail("protocol_error", f"undecodable DCS: {exc}")
                if session.rate is None or session.coding is Coding.MMR or session.ecm:
                    return out + self._fail("incompatible", f"DCS asks for {session.describe()}")
                self.session = session
                self._identified = True
                self._tries = 0
                self.phase = Phase.B
                self.state = _State.RECV_TCF
                return [
                    *out,
                    Negotiated(session, self.remote_id),
                    PhaseReport(Phase.B, f"training at {session.rate}"),
                    ReceiveTraining(session.rate, T2),
                ]
        return None

    def _on_recv_tcf(self, event: Input, now: float) -> list[Output]:
        assert self.session is not None and self.session.rate is not None
        data = event.data if isinstance(event, DataIn) else b""
        zero_run = max(map(len, re.findall(b"\0+", data)), default=0)
        needed = int(self.session.rate.bps / 8 * self.options.tcf_zero_seconds)
        good = zero_run >= needed
        detail = f"{len(data)} bytes, longest zero run {zero_run} (need {needed})"
        self.state = _State.SEND_CFR
        self._quality = Fcf.CFR if good else Fcf.FTT
        return [SignalLogged(False, "TCF", detail), *self._send(self._frame(self._quality))]

    def _on_send_cfr(self, event: Input, now: float) -> list[Output]:
        if self._quality is Fcf.FTT:  # the sender retrains at a lower rate: await its DCS
            self.state = _State.WAIT_DCS
            return [ReceiveFrames(T4)]
        return self._receive_page()

    def _receive_page(self) -> list[Output]:
        assert self.session is not None and self.session.rate is not None
        self.phase = Phase.C
        self.state = _State.RECV_PAGE
        number = self.page + 1
        return [PhaseReport(Phase.C, f"receiving page {number}"),
                ReceivePage(self.session.rate, T2, number)]  # fmt: skip

    def _on_recv_page(self, event: Input, now: float) -> list[Output]:
        assert self.session is not None
        if isinstance(event, WrongCarrier):
            # V.21 instead of a page: the sender did not hear our answer and repeats its
            # command, or it retrains, or it gives up. Hear what it says.
            self.state = _State.RESYNC
            return [ReceiveFrames(T2)]
        if not isinstance(event, DataIn):
            return self._fail("timeout", f"no page data within T2 (page {self.page + 1})")
        number = self.page + 1
        self._page_report = self._judge(number, event.data)
        report = self._page_report
        detail = f"{len(event.data)} bytes, {report.rows} lines, {report.bad_lines} bad"
        self.phase = Phase.D
        self.state = _State.WAIT_PPM
        return [SignalLogged(False, f"page {number}", detail),
                PhaseReport(Phase.D, f"page {number} received"), ReceiveFrames(T2)]  # fmt: skip

    def _judge(self, number: int, data: bytes) -> PageReport:
        """Copy quality: MCF, RTP (kept, but retrain) or RTN (refused) by the share of bad lines."""
        assert self.session is not None
        two_d = self.session.coding is Coding.MR
        stats = t4.line_stats(data, two_d=two_d)
        share = stats.bad_lines / stats.rows if stats.rows else 1.0
        if share > self.options.rtn_bad_share:
            self._quality = Fcf.RTN
            return PageReport(number, False, stats.rows, stats.bad_lines)
        self._quality = Fcf.RTP if share > self.options.rtp_bad_share else Fcf.MCF
        fine = self.session.resolution is not Resolution.STANDARD
        try:
            image = t4.decode_page(data, two_d=two_d, rows=stats.rows, fine=fine)
        except t4.T4Error:
            self._quality = Fcf.RTN
            return PageReport(number, False, stats.rows, stats.bad_lines)
        return PageReport(number, True, stats.rows, stats.bad_lines, image)

    def _on_wait_ppm(self, event: Input, now: float) -> list[Output]:
        if not isinstance(event, FramesIn):
            self._tries += 1
            if self._tries >= MAX_TRIES:
                return self._fail("timeout", f"no MPS/EOP after page {self.page + 1}")
            return [ReceiveFrames(T2)]
        out, frames = self._received(event)
        if not frames and event.frames:  # it said something, garbled: ask for it again (CRP)
            self._tries += 1
            if self._tries >= MAX_TRIES:
                return out + self._fail("protocol_error", "MPS/EOP garbled every time (bad FCS)")
            self.state = _State.SEND_CRP
            return out + self._send(self._frame(Fcf.CRP))
        kinds = {f.kind for f in frames}
        if Fcf.DCN in kinds:
            return out + self._fail("remote_disconnected", "DCN instead of MPS/EOP", dcn=False)
        ppm = next((_PRI.get(k, k) for k in kinds if k in _POST_PAGE), None)
        if ppm is None:
            return [*out, ReceiveFrames(T2)]
        self._tries = 0
        self._last_ppm = ppm
        report = self._page_report
        if report is not None:
            out.append(report)
            if report.accepted and report.image is not None:
                self.received.append(report.image)
                self.pages_done += 1
                self.page += 1
            self._page_report = None
        self.state = _State.SEND_MCF
        limit = self.options.max_pages
        if limit and self.pages_done >= limit and ppm is not Fcf.EOP:
            self._ending = Finished(Result.FAILED, "incompatible", f"more than {limit} pages")
        return out + self._send(self._frame(self._quality))

    def _on_send_mcf(self, event: Input, now: float) -> list[Output]:
        if self._ending is not None:
            self.state = _State.SEND_DCN
            return self._send(self._frame(Fcf.DCN))
        if self._last_ppm is Fcf.EOP and self._quality is not Fcf.RTN:
            self.phase = Phase.E
            self.state = _State.WAIT_DCN
            return [PhaseReport(Phase.E, "all pages received: waiting for DCN"), ReceiveFrames(T2)]
        if self._last_ppm is Fcf.EOM and self._quality is not Fcf.RTN:
            # a new document (after MCF or RTP): phase B again, where the receiver speaks first
            self._tries = 0
            return [PhaseReport(Phase.B, "next document: sending DIS"), *self._send_dis()]
        if self._quality is not Fcf.MCF:
            # RTN (page refused) and RTP: the sender retrains with DCS and TCF first
            self.state = _State.WAIT_DCS
            return [ReceiveFrames(T2)]
        return self._receive_page()

    def _on_send_crp(self, event: Input, now: float) -> list[Output]:
        self.state = _State.WAIT_PPM
        return [ReceiveFrames(T2)]

    def _on_resync(self, event: Input, now: float) -> list[Output]:
        if not isinstance(event, FramesIn):
            return self._fail("timeout", f"no page {self.page + 1} and no command either")
        out, frames = self._received(event)
        if any(f.kind in _POST_PAGE for f in frames):  # our last answer was lost: say it again
            self.state = _State.SEND_MCF
            return out + self._send(self._frame(self._quality))
        done = self._phase_b_frames(frames, out)
        if done is not None:
            return done
        return [*out, ReceiveFrames(T2)]

    def _on_wait_dcn(self, event: Input, now: float) -> list[Output]:
        if isinstance(event, FramesIn):
            out, frames = self._received(event)
            if Fcf.EOP in {f.kind for f in frames} and self._tries < MAX_TRIES:
                self._tries += 1  # our MCF was lost: say it again
                self.state = _State.SEND_MCF
                return out + self._send(self._frame(Fcf.MCF))
        else:
            out = []
        self._ending = Finished(Result.SUCCESS, "ok")
        return out + self._hangup()


_POST_PAGE = frozenset({Fcf.MPS, Fcf.EOP, Fcf.EOM, Fcf.PRI_MPS, Fcf.PRI_EOP, Fcf.PRI_EOM})
_PRI = {Fcf.PRI_MPS: Fcf.MPS, Fcf.PRI_EOP: Fcf.EOP, Fcf.PRI_EOM: Fcf.EOM}


_LPI = (196, 391)  # the lines per inch of a sender's pages: fine, or superfine
_SESSION_LPI = {Resolution.STANDARD: 98, Resolution.FINE: 196, Resolution.SUPERFINE: 391}
_MR_K = {Resolution.STANDARD: 2, Resolution.FINE: 4, Resolution.SUPERFINE: 8}  # T.4 4.2.1


def _code(image: Image.Image, session: Session, source_lpi: int = 196) -> bytes:
    """The page (at ``source_lpi``) as T.4 data for ``session``: at its resolution, coded,
    with scan-time fill."""
    assert session.rate is not None
    factor = max(1, round(source_lpi / _SESSION_LPI.get(session.resolution, 196)))
    if factor > 1:  # merge each pair (or four) of lines; a group with any ink stays ink
        fewer = (image.width, max(1, image.height // factor))
        image = image.convert("L").resize(fewer, Image.Resampling.BOX)
        white = 255 - 128 // factor
        image = image.point(lambda v: 255 if v > white else 0, "1")
    two_d = session.coding is Coding.MR
    k = _MR_K.get(session.resolution, 4)
    min_bits = session.rate.bps * session.scan_ms // 1000
    return t4.encode_page(image, two_d=two_d, k=k, min_bits_per_line=min_bits)


def _names(frames: Sequence[Frame]) -> str:
    return ", ".join(f.name for f in frames) or "nothing"


def _label(fcf: Fcf | None) -> str:
    return fcf.label if fcf is not None else "?"
