"""FCS, DLE framing and frames, checked against the lab captures (lab README, reference 4.3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faxtui.t30.dis import encode_ident
from faxtui.t30.fcf import Fcf, build_fcf
from faxtui.t30.hdlc import (
    DLE_ETX,
    DleDecoder,
    DleEnd,
    Frame,
    FrameError,
    add_fcs,
    build,
    dle_escape,
    fcs16,
)

LAB_CSI = bytes.fromhex("ff 03 40 32 30 30 31" + " 20" * 16 + " 4d 76")
LAB_DIS = bytes.fromhex("ff 13 80 00 6e 78 cd 8e")
LAB_DCS = bytes.fromhex("ff 13 83 00 62 78 a0 02")
LAB_CAPTURES = [
    LAB_CSI,
    LAB_DIS,
    LAB_DCS,
    bytes.fromhex("ff 13 84 ea 7d"),  # CFR
    bytes.fromhex("ff 13 8c a2 f1"),  # MCF
    bytes.fromhex("ff 13 2f 33 66"),  # EOP
    bytes.fromhex("ff 13 fa 13 e7"),  # DCN
    bytes.fromhex("ff 13 fb 9a f6"),  # DCN, X bit set
]


@pytest.mark.parametrize("raw", LAB_CAPTURES, ids=lambda raw: raw[:3].hex())
def test_fcs_of_lab_captures(raw: bytes) -> None:
    assert fcs16(raw[:-2]) == int.from_bytes(raw[-2:], "little")
    assert add_fcs(raw[:-2]) == raw


def test_fcs_check_value() -> None:
    assert fcs16(b"123456789") == 0x906E  # the CRC-16/X.25 catalogue check value
    assert fcs16(b"") == 0x0000


# raw capture, name, final, X bit, describe()
FRAME_TABLE = [
    (LAB_CSI, "CSI", False, 0x40, 'CSI: "1002"'),
    (
        LAB_DIS,
        "DIS",
        True,
        0x80,
        "DIS: V.17/V.29/V.27ter up to 14400, fine, MH, no ECM, A4 1728, unlimited length, "
        "scan 0 ms",
    ),
    (
        LAB_DCS,
        "DCS",
        True,
        0x83,
        "DCS: V.17 14400, fine, MH, A4 1728, unlimited length, no ECM, scan 0 ms",
    ),
    (LAB_CAPTURES[3], "CFR", True, 0x84, "CFR (confirmation to receive)"),
    (LAB_CAPTURES[4], "MCF", True, 0x8C, "MCF (message confirmation)"),
    (LAB_CAPTURES[5], "EOP", True, 0x2F, "EOP (end of procedure)"),
    (LAB_CAPTURES[6], "DCN", True, 0xFA, "DCN (disconnect)"),
    (LAB_CAPTURES[7], "DCN", True, 0xFB, "DCN (disconnect)"),
]


@pytest.mark.parametrize(("raw", "name", "final", "fcf", "text"), FRAME_TABLE)
def test_parse_lab_captures(raw: bytes, name: str, final: bool, fcf: int, text: str) -> None:
    frame = Frame.parse(raw)
    assert frame == Frame(fcf=fcf, fif=raw[3:-2], final=final)
    assert frame.name == name
    assert frame.kind is Fcf[name]
    assert frame.describe() == text
    assert frame.to_bytes() == raw[:-2]
    assert Frame.parse(raw[:-2], has_fcs=False) == frame


def test_frame_hex() -> None:
    assert Frame.parse(LAB_DIS).hex() == "ff 13 80 00 6e 78"
    assert Frame(fcf=0xFB).hex() == "ff 13 fb"
    assert Frame(fcf=0x40, fif=b"1", final=False).hex() == "ff 03 40 31"


def test_build_matches_what_was_sent_in_the_lab() -> None:
    assert build(build_fcf(Fcf.DCN, x=True)) == bytes.fromhex("ff 13 fb")
    csi = build(Fcf.CSI, encode_ident("1002"), final=False)
    assert add_fcs(csi) == LAB_CSI
    assert build(build_fcf(Fcf.DCS, x=True), bytes.fromhex("00 62 78")) == LAB_DCS[:-2]


def test_bad_fcs() -> None:
    damaged = LAB_DIS[:4] + b"\x01" + LAB_DIS[5:]
    with pytest.raises(FrameError, match=r"bad FCS cd 8e, expected .. ..: ff 13 80 00 01 78"):
        Frame.parse(damaged)
    with pytest.raises(FrameError, match="bad FCS 00 00, expected cd 8e"):
        Frame.parse(LAB_DIS[:-2] + b"\0\0")


def test_bad_address_control_and_length() -> None:
    with pytest.raises(FrameError, match="bad address 0xfe, expected 0xff"):
        Frame.parse(add_fcs(bytes.fromhex("fe 13 80 00 6e 78")))
    with pytest.raises(FrameError, match="bad control 0xc8, expected 0x03/0x13"):
        Frame.parse(bytes.fromhex("ff c8 01 00 76 1e"), has_fcs=False)  # T.30 notation
    with pytest.raises(FrameError, match="frame of 4 octet"):
        Frame.parse(bytes.fromhex("ff 13 fb 9a"))
    with pytest.raises(FrameError, match="frame of 2 octet"):
        Frame.parse(b"\xff\x13", has_fcs=False)


def test_describe_other_frames() -> None:
    hylafax_nsf = bytes.fromhex("ad 00 55 48 79 6c 61 46 41 58")  # reference section 8.1
    assert Frame(fcf=Fcf.NSF, fif=hylafax_nsf, final=False).describe() == (
        "NSF: T.35 country 0xb5, ad 00 55 48 79 6c 61 46 41 58"
    )
    assert Frame(fcf=0x43, fif=encode_ident("+49 30 1")).describe() == 'TSI: "+49 30 1"'
    assert Frame(fcf=Fcf.PPS | 1, fif=bytes.fromhex("2f 00 00 3f")).describe() == (
        "PPS (partial page signal): 2f 00 00 3f"
    )
    assert Frame(fcf=0x05).describe() == "FCF 0x05"
    assert Frame(fcf=0x05, fif=b"\x01").describe() == "FCF 0x05: 01"
    assert Frame(fcf=Fcf.DIS, fif=b"\x00").describe() == (
        "DIS: FIF of 1 octet(s): DIS/DTC/DCS need at least 2"
    )
    assert Frame(fcf=Fcf.DTC, fif=bytes.fromhex("00 6e 78")).name == "DTC"


# --- DLE framing --------------------------------------------------------------------------


def test_dle_escape() -> None:
    assert dle_escape(b"\x10\x03\x10") == b"\x10\x10\x03\x10\x10"
    assert dle_escape(b"abc") == b"abc"
    assert DLE_ETX == b"\x10\x03"


def test_dle_decoder_whole_frame() -> None:
    decoder = DleDecoder()
    data = dle_escape(LAB_DIS) + DLE_ETX + b"\r\nOK\r\n"
    assert decoder.feed(data) == [LAB_DIS, DleEnd(b"\r\nOK\r\n")]


def test_dle_decoder_doubled_dle_and_sub() -> None:
    decoder = DleDecoder()
    assert decoder.feed(b"a\x10\x10b\x10\x1ac") == [b"a\x10b\x10\x10c"]
    assert decoder.feed(b"\x10\x03") == [DleEnd()]


def test_dle_decoder_drops_other_pairs() -> None:
    assert DleDecoder().feed(b"a\x10Xb\x10\x03") == [b"ab", DleEnd()]


def test_dle_decoder_dle_split_across_chunks() -> None:
    decoder = DleDecoder()
    assert decoder.feed(b"ab\x10") == [b"ab"]
    assert decoder.feed(b"\x10cd\x10") == [b"\x10cd"]
    assert decoder.feed(b"\x03OK") == [DleEnd(b"OK")]
    # After the end the decoder starts afresh.
    assert decoder.feed(b"\x03\x10") == [b"\x03"]
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\x03") == [DleEnd()]


@st.composite
def chunked(draw: st.DrawFn, data: bytes) -> list[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=8)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


@given(st.data(), st.binary(max_size=64), st.binary(max_size=8))
def test_dle_decoder_any_chunking(data: st.DataObject, payload: bytes, tail: bytes) -> None:
    chunks = data.draw(chunked(dle_escape(payload) + DLE_ETX + tail))
    decoder = DleDecoder()
    received = b""
    for i, chunk in enumerate(chunks):
        events = decoder.feed(chunk)
        for event in events[:-1]:
            assert isinstance(event, bytes)
        if events and isinstance(events[-1], DleEnd):
            received += b"".join(e for e in events[:-1] if isinstance(e, bytes))
            assert received == payload
            assert events[-1].rest + b"".join(chunks[i + 1 :]) == tail
            return
        received += b"".join(e for e in events if isinstance(e, bytes))
    pytest.fail("no DleEnd")


# --- properties ---------------------------------------------------------------------------


@given(st.binary(max_size=40), st.booleans())
def test_parse_any_bytes_raises_only_frame_error(raw: bytes, has_fcs: bool) -> None:
    try:
        frame = Frame.parse(raw, has_fcs=has_fcs)
    except FrameError:
        return
    assert frame.describe()
    assert frame.to_bytes() == (raw[:-2] if has_fcs else raw)


@given(st.integers(0, 255), st.binary(max_size=40), st.booleans())
def test_build_parse_round_trip(fcf: int, fif: bytes, final: bool) -> None:
    frame = Frame.parse(add_fcs(build(fcf, fif, final)))
    assert frame == Frame(fcf=fcf, fif=fif, final=final)
    assert frame.describe().startswith(frame.name)
