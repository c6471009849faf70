"""The T.30 engine, both ends, over the simulated line: what arrives, and why a call fails."""

from __future__ import annotations

from functools import cache

import pytest
from PIL import Image, ImageChops, ImageDraw

from faxtui.model import Phase, Result
from faxtui.sim.line import Faults, Line, simulate
from faxtui.t30.dis import Capabilities, Coding, Resolution
from faxtui.t30.engine import (
    T30,
    Command,
    FramesIn,
    Hangup,
    Input,
    Negotiated,
    Options,
    Output,
    PageReport,
    PhaseReport,
    ReceiveFrames,
    Report,
    SendFrames,
    Sent,
    TimedOut,
)
from faxtui.t30.fcf import DisModems, Fcf, Modem, Rate, build_fcf
from faxtui.t30.hdlc import Frame


@cache
def page(n: int) -> Image.Image:
    image = Image.new("1", (1728, 2200), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 1688, 2160), outline=0, width=3)
    for y in range(120, 2100, 48):
        draw.text((120, y), f"page {n}: line {y} of a test fax, 0123456789", fill=0)
    draw.line((40, 40, 1688, 2160), fill=0, width=2)
    return image


def call(
    pages: int = 2,
    faults: Faults | None = None,
    sender: Options | None = None,
    receiver: Options | None = None,
    documents: list[list[Image.Image]] | None = None,
) -> tuple[T30, T30, list[tuple[float, int, Report]]]:
    caller = T30(
        sender or Options(local_id="+1 555 0100"),
        documents=documents or [[page(i) for i in range(1, pages + 1)]],
    )
    answerer = T30(receiver or Options(local_id="+49 30 1234"))
    log = simulate(caller, answerer, Line(faults or Faults()))
    return caller, answerer, log


def frames(log: list[tuple[float, int, Report]], side: int, outgoing: bool = True) -> list[str]:
    from faxtui.t30.engine import FrameLogged

    return [
        r.frame.name
        for _, s, r in log
        if s == side and isinstance(r, FrameLogged) and r.outgoing is outgoing
    ]


def same(a: Image.Image, b: Image.Image) -> bool:
    return (
        a.size == b.size and ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None
    )


def test_two_pages_arrive_pixel_for_pixel() -> None:
    caller, answerer, log = call(2)
    assert caller.result and caller.result.result is Result.SUCCESS
    assert answerer.result and answerer.result.result is Result.SUCCESS
    assert [same(a, b) for a, b in zip(answerer.received, (page(1), page(2)), strict=True)] == [
        True,
        True,
    ]
    assert frames(log, 0) == ["TSI", "DCS", "MPS", "EOP", "DCN"]
    assert frames(log, 1) == ["CSI", "DIS", "CFR", "MCF", "MCF"]
    assert (caller.remote_id, answerer.remote_id) == ("+49 30 1234", "+1 555 0100")
    phases = [r.phase for _, side, r in log if side == 0 and isinstance(r, PhaseReport)]
    assert phases[:4] == [Phase.B, Phase.B, Phase.C, Phase.D] and phases[-1] is Phase.E
    duration = log[-1][0]
    assert 25 < duration < 40  # a real two-page call at 14400 takes about half a minute


def test_the_session_is_the_best_common_one() -> None:
    _caller, _answerer, log = call(1)
    negotiated = next(r for _, s, r in log if s == 1 and isinstance(r, Negotiated))
    assert negotiated.session.rate == Rate(Modem.V17, 14400)
    assert negotiated.session.coding is Coding.MR
    assert negotiated.session.resolution is Resolution.FINE


def test_mh_and_v29_when_that_is_all_the_receiver_takes() -> None:
    receiver = Options(modems=DisModems.V27TER_V29, allow_mr=False)
    _caller, answerer, log = call(1, receiver=receiver)
    negotiated = next(r for _, s, r in log if s == 0 and isinstance(r, Negotiated))
    assert negotiated.session.rate == Rate(Modem.V29, 9600)
    assert negotiated.session.coding is Coding.MH
    assert same(answerer.received[0], page(1))


def test_standard_resolution_halves_the_lines() -> None:
    _caller, answerer, _ = call(1, sender=Options(resolution=Resolution.STANDARD))
    (received,) = answerer.received
    assert received.size == (1728, 1100)
    assert answerer.result and answerer.result.result is Result.SUCCESS


def test_ftt_steps_the_rate_down_until_cfr() -> None:
    caller, _answerer, log = call(1, Faults(train_fails_above=9600))
    rates = [r.session.rate.bps for _, s, r in log if s == 0 and isinstance(r, Negotiated)]  # type: ignore[union-attr]
    assert rates == [14400, 12000, 9600]
    assert frames(log, 1)[2:5] == ["FTT", "FTT", "CFR"]
    assert caller.result and caller.result.result is Result.SUCCESS


def test_training_fails_at_every_rate() -> None:
    caller, _answerer, log = call(1, Faults(train_fails_above=1))
    rates = [r.session.rate.bps for _, s, r in log if s == 0 and isinstance(r, Negotiated)]  # type: ignore[union-attr]
    assert rates == [14400, 12000, 9600, 7200, 4800, 2400]
    assert caller.result and (caller.result.result, caller.result.reason) == (
        Result.FAILED,
        "training_failed",
    )
    assert frames(log, 0)[-1] == "DCN"


def test_rtn_on_page_2_retrains_and_resends() -> None:
    caller, answerer, log = call(2, Faults(corrupt_page=2))
    refused = [r for _, s, r in log if s == 1 and isinstance(r, PageReport) and not r.accepted]
    assert [r.page for r in refused] == [2] and refused[0].bad_lines > 0
    assert "RTN" in frames(log, 1)
    assert frames(log, 0).count("DCS") == 2  # retrained after RTN
    assert len(answerer.received) == 2 and same(answerer.received[1], page(2))
    assert caller.result and caller.result.result is Result.SUCCESS


def test_the_rtn_limit() -> None:
    caller, _answerer, _ = call(2, Faults(corrupt_page=1), sender=Options(rtn_limit=0))
    assert caller.result and caller.result.reason == "page_rejected"
    assert "page 1 refused 1 times" in caller.result.detail


def test_line_dropped_during_page_2() -> None:
    caller, answerer, _ = call(3, Faults(drop_during_page=2))
    for engine in (caller, answerer):
        assert engine.result and (engine.result.result, engine.result.reason) == (
            Result.FAILED,
            "call_dropped",
        )
        assert "phase C" in engine.result.detail
    assert len(answerer.received) == 1


def test_a_lost_mcf_is_repeated() -> None:
    caller, answerer, log = call(2, Faults(lose_frame="MCF"))
    assert frames(log, 0).count("MPS") == 2
    assert caller.result and caller.result.result is Result.SUCCESS
    assert len(answerer.received) == 2


def test_two_documents_use_eom_and_a_new_dis() -> None:
    caller, answerer, log = call(documents=[[page(1)], [page(2), page(3)]])
    assert frames(log, 0).count("EOM") == 1 and frames(log, 1).count("DIS") == 2
    assert len(answerer.received) == 3
    assert caller.result and caller.result.result is Result.SUCCESS


def test_a_receiver_page_limit() -> None:
    _caller, answerer, _ = call(3, receiver=Options(max_pages=1))
    assert answerer.result and answerer.result.result is Result.FAILED
    assert len(answerer.received) == 1


class _Silent:
    """A far end that answers and then never says a word."""

    done = False

    def start(self, now: float) -> list[Output]:
        return [ReceiveFrames(1000.0)]

    def handle(self, event: Input, now: float) -> list[Output]:
        self.done = True
        return []


def test_a_remote_that_never_sends_dis() -> None:
    caller = T30(Options(), documents=[[page(1)]])
    log = simulate(caller, _Silent(), Line())
    assert caller.result and (caller.result.result, caller.result.reason) == (
        Result.FAILED,
        "no_fax_answer",
    )
    assert "T1" in caller.result.detail
    assert 35 <= log[-1][0] <= 45


# --- the sender fed by hand ------------------------------------------------------------------


def run_by_hand(engine: T30, inputs: list[Input]) -> tuple[list[Report], Command | None]:
    reports: list[Report] = []
    last: Command | None = None
    outputs = engine.start(0.0)
    for step, event in enumerate([*inputs, None]):
        for output in outputs:
            if isinstance(output, Report):
                reports.append(output)
            else:
                last = output
        if event is None:
            break
        outputs = engine.handle(event, float(step + 1))
    return reports, last


def dis(**caps: object) -> Frame:
    return Frame(build_fcf(Fcf.DIS), Capabilities(**caps).encode(), True)  # type: ignore[arg-type]


def test_a_remote_that_cannot_receive() -> None:
    sender = T30(Options(), documents=[[page(1)]])
    _reports, last = run_by_hand(sender, [FramesIn((dis(can_receive=False),)), Sent(), Sent()])
    assert sender.result and sender.result.reason == "remote_cannot_receive"
    assert last is not None and isinstance(last, Hangup)


def test_dcn_instead_of_dis() -> None:
    sender = T30(Options(), documents=[[page(1)]])
    run_by_hand(sender, [FramesIn((Frame(build_fcf(Fcf.DCN), b"", True),)), Sent()])
    assert sender.result and sender.result.reason == "remote_disconnected"


def test_no_answer_to_dcs_three_times() -> None:
    sender = T30(Options(), documents=[[page(1)]])
    good_dis = dis(can_receive=True, modems=DisModems.V27TER_V29_V17, fine=True)
    inputs: list[Input] = [FramesIn((good_dis,))]
    for _ in range(3):
        inputs += [Sent(), Sent(), TimedOut()]  # DCS sent, TCF sent, no CFR
    inputs += [Sent(), Sent()]  # DCN, hang-up
    reports, _ = run_by_hand(sender, inputs)
    sent = [r for r in reports if isinstance(r, Negotiated)]
    assert len(sent) == 3
    assert sender.result and sender.result.reason == "training_failed"


def test_bad_fcs_frames_are_reported_not_trusted() -> None:
    sender = T30(Options(), documents=[[page(1)]])
    reports, last = run_by_hand(sender, [FramesIn((None,))])
    assert isinstance(last, ReceiveFrames)  # still waiting for a good DIS
    assert any(getattr(r, "name", "") == "bad frame" for r in reports)


@pytest.mark.parametrize("ident", ["x" * 21, "é"])
def test_a_bad_local_id_is_refused_before_the_call(ident: str) -> None:
    with pytest.raises(ValueError):
        T30(Options(local_id=ident))


def test_sendframes_carry_the_x_bit_of_the_sender() -> None:
    sender = T30(Options(), documents=[[page(1)]])
    good_dis = dis(can_receive=True, modems=DisModems.V27TER_V29_V17, fine=True)
    outputs = sender.start(0.0) + sender.handle(FramesIn((good_dis,)), 1.0)
    (send,) = [o for o in outputs if isinstance(o, SendFrames)]
    assert [f.fcf for f in send.frames] == [0x83]  # DCS with X=1, as on the wire from a caller


def test_a_garbled_mps_gets_crp_and_is_said_again_at_once() -> None:
    caller, answerer, log = call(2, Faults(garble_frame="MPS"))
    assert frames(log, 1).count("CRP") == 1
    assert frames(log, 0).count("MPS") == 2  # repeated on CRP, not after T4
    assert frames(log, 1).count("MCF") == 2
    assert caller.result and caller.result.result is Result.SUCCESS
    assert answerer.result and answerer.result.result is Result.SUCCESS
    assert len(answerer.received) == 2


def test_rtp_after_eom_sends_dis_for_the_next_document() -> None:
    """RTP keeps the page; after EOM both ends go to phase B, where the receiver speaks first."""
    lenient = Options(local_id="+49 30 1234", rtp_bad_share=0.0, rtn_bad_share=1.0)
    caller, answerer, log = call(documents=[[page(1)], [page(2)]], receiver=lenient,
                                 faults=Faults(corrupt_page=1))  # fmt: skip
    assert frames(log, 1) == ["CSI", "DIS", "CFR", "RTP", "CSI", "DIS", "CFR", "MCF"]
    assert caller.result and caller.result.result is Result.SUCCESS
    assert answerer.result and answerer.result.result is Result.SUCCESS
    assert len(answerer.received) == 2


def superfine(image: Image.Image) -> Image.Image:
    """``image`` (fine) at superfine: every line twice."""
    return image.resize((image.width, image.height * 2), Image.Resampling.NEAREST)


def test_superfine_pages_go_at_superfine_to_a_receiver_that_takes_it() -> None:
    from faxtui.t30 import t4
    from faxtui.t30.dis import Session
    from faxtui.t30.engine import SendPage

    tall = superfine(page(1))
    sender = T30(Options(resolution=Resolution.SUPERFINE), documents=[[tall]])
    takes_it = dis(can_receive=True, modems=DisModems.V27TER_V29_V17, fine=True, superfine=True,
                   mr=True)  # fmt: skip
    outputs = sender.start(0.0) + sender.handle(FramesIn((takes_it,)), 1.0)
    (dcs,) = [f for o in outputs if isinstance(o, SendFrames) for f in o.frames]
    session = Session.decode(dcs.fif)
    assert session.resolution is Resolution.SUPERFINE
    outputs = sender.handle(Sent(), 2.0)  # DCS out: TCF
    outputs = sender.handle(Sent(), 3.0)  # TCF out: wait for CFR
    cfr = Frame(build_fcf(Fcf.CFR), b"", True)
    outputs = sender.handle(FramesIn((cfr,)), 4.0)
    (send,) = [o for o in outputs if isinstance(o, SendPage)]
    two_d = session.coding is Coding.MR
    assert t4.line_stats(send.data, two_d=two_d).rows == tall.height  # every superfine line


def test_superfine_pages_are_merged_to_fine_for_a_receiver_without_it() -> None:
    tall = superfine(page(2))
    caller, answerer, log = call(documents=[[tall]],
                                 sender=Options(resolution=Resolution.SUPERFINE))  # fmt: skip
    negotiated = [r for _, side, r in log if side == 0 and isinstance(r, Negotiated)]
    assert negotiated[0].session.resolution is Resolution.FINE
    assert caller.result and caller.result.result is Result.SUCCESS
    (received,) = answerer.received
    assert received.height == page(2).height
    assert same(received, page(2))  # each pair of equal lines merged back into one
