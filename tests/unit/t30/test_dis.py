"""DIS/DTC/DCS FIF coding, negotiation and idents (reference sections 3.2-3.7, lab captures)."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faxtui.t30.dis import (
    Capabilities,
    Coding,
    FrameError,
    Length,
    Resolution,
    Session,
    Width,
    choose_session,
    decode_ident,
    encode_ident,
    fall_back,
)
from faxtui.t30.fcf import DCS_RATES, DisModems, Modem, Rate

V17_14400 = Rate(Modem.V17, 14400)

# Lab capture ff 13 80 00 6e 78 cd 8e (address, control, FCF | FIF | FCS).
LAB_DIS_FIF = bytes.fromhex("00 6e 78")
LAB_DIS = Capabilities(
    can_receive=True,
    modems=DisModems.V27TER_V29_V17,
    fine=True,
    length=Length.UNLIMITED,
    scan_ms=0,
)
# Lab capture ff 13 83 00 62 78 a0 02.
LAB_DCS_FIF = bytes.fromhex("00 62 78")
LAB_DCS = Session(
    rate=V17_14400,
    receive=True,
    resolution=Resolution.FINE,
    length=Length.UNLIMITED,
    scan_ms=0,
)


def test_lab_dis_decodes_field_by_field() -> None:
    caps = Capabilities.decode(LAB_DIS_FIF)
    assert caps == LAB_DIS  # every other field is at its all-bits-clear default
    assert caps.can_receive and not caps.ready_to_transmit
    assert caps.modems is DisModems.V27TER_V29_V17
    assert caps.fine and not caps.superfine and not caps.mr and not caps.mmr
    assert (caps.width, caps.length) == (Width.A4, Length.UNLIMITED)
    assert (caps.scan_ms, caps.scan_halved_fine) == (0, False)
    assert not caps.ecm and not caps.t38 and not caps.v8
    assert caps.describe() == (
        "V.17/V.29/V.27ter up to 14400, fine, MH, no ECM, A4 1728, unlimited length, scan 0 ms"
    )
    assert caps.encode() == LAB_DIS_FIF


def test_lab_dcs_decodes_field_by_field() -> None:
    session = Session.decode(LAB_DCS_FIF)
    assert session == LAB_DCS
    assert session.rate == V17_14400
    assert session.receive
    assert session.resolution is Resolution.FINE
    assert session.coding is Coding.MH
    assert (session.width, session.length, session.scan_ms) == (Width.A4, Length.UNLIMITED, 0)
    assert not session.ecm
    assert session.describe() == (
        "V.17 14400, fine, MH, A4 1728, unlimited length, no ECM, scan 0 ms"
    )
    assert session.encode() == LAB_DCS_FIF


def test_worked_example_of_section_3_6() -> None:
    caps = Capabilities.decode(bytes.fromhex("00 6e b8 00"))
    assert caps == replace(LAB_DIS, scan_ms=20, scan_halved_fine=True)
    assert caps.min_scan_ms(Resolution.STANDARD) == 20
    assert caps.min_scan_ms(Resolution.FINE) == 10
    assert caps.describe().endswith("unlimited length, scan 20 ms (10 ms fine)")
    # The all-zero fourth octet is not sent again, so the extend bit goes too.
    assert caps.encode() == bytes.fromhex("00 6e 38")


def test_full_dis_summary() -> None:
    caps = replace(
        LAB_DIS, superfine=True, mr=True, mmr=True, ecm=True, scan_ms=20, length=Length.UNLIMITED
    )
    assert caps.describe() == (
        "V.17/V.29/V.27ter up to 14400, fine+superfine, MR/MMR, ECM, A4 1728, "
        "unlimited length, scan 20 ms"
    )
    assert Capabilities(ready_to_transmit=True, t38=True, v8=True).describe() == (
        "V.27ter up to 2400, standard, MH, no ECM, A4 1728, A4 length, scan 20 ms, "
        "cannot receive, document to poll, T.38, V.8"
    )


# Section 3.2: field, T.30 bit.
DIS_BITS = [
    ("t38", 3),
    ("v8", 6),
    ("ecm64_preferred", 7),
    ("ready_to_transmit", 9),
    ("can_receive", 10),
    ("fine", 15),
    ("mr", 16),
    ("uncompressed", 26),
    ("ecm", 27),
    ("mmr", 31),
    ("superfine", 41),
    ("r300", 42),
    ("r400", 43),
    ("inch_preferred", 44),
    ("metric_preferred", 45),
    ("scan_halved_superfine", 46),
    ("selective_polling", 47),
    ("subaddressing", 49),
    ("password", 50),
    ("letter", 76),
    ("legal", 77),
]


def fif_with_bit(n: int) -> bytes:
    """A FIF with only bit ``n`` set, plus the extend bits it needs."""
    octets = bytearray(max(3, (n + 7) // 8))
    octets[(n - 1) // 8] |= 1 << ((n - 1) % 8)
    for i in range(2, len(octets) - 1):
        octets[i] |= 0x80
    return bytes(octets)


@pytest.mark.parametrize(("name", "bit"), DIS_BITS)
def test_dis_flag_bits(name: str, bit: int) -> None:
    flag: dict[str, Any] = {name: True}
    caps = Capabilities(**flag)
    assert caps.encode() == fif_with_bit(bit)
    assert Capabilities.decode(fif_with_bit(bit)) == caps


# Section 3.2: field, value, T.30 bit; the DCS meaning of the shared bits.
DCS_BITS = [
    ("t38", True, 3),
    ("receive", True, 10),
    ("resolution", Resolution.FINE, 15),
    ("coding", Coding.MR, 16),
    ("uncompressed", True, 26),
    ("ecm", True, 27),
    ("ecm_frame_64", True, 28),
    ("coding", Coding.MMR, 31),
    ("resolution", Resolution.SUPERFINE, 41),
    ("resolution", Resolution.R300, 42),
    ("resolution", Resolution.R400, 43),
    ("inch", True, 44),
    ("subaddress", True, 49),
    ("sender_id", True, 50),
    ("letter", True, 76),
    ("legal", True, 77),
]


@pytest.mark.parametrize(("name", "value", "bit"), DCS_BITS)
def test_dcs_bits(name: str, value: Any, bit: int) -> None:
    field: dict[str, Any] = {name: value}
    session = Session(**field)
    assert session.encode() == fif_with_bit(bit)
    assert Session.decode(fif_with_bit(bit)) == session


def test_extend_bits_only_as_needed() -> None:
    assert Capabilities().encode() == bytes(3)
    assert Capabilities(ecm=True).encode() == bytes.fromhex("00 00 80 04")
    assert Capabilities(superfine=True).encode() == bytes.fromhex("00 00 80 80 80 01")
    letter = Capabilities(letter=True, ecm=True).encode()
    assert letter == bytes.fromhex("00 00 80 84 80 80 80 80 80 08")


def test_decode_stops_at_the_first_octet_without_extend_bit() -> None:
    # Trailing octets after an octet without extend bit (here: the FCS) are not FIF bits.
    assert Capabilities.decode(LAB_DIS_FIF + bytes.fromhex("cd 8e")) == LAB_DIS
    # An extend bit with no octet after it: the missing octets read as 0.
    assert Capabilities.decode(bytes.fromhex("00 6e f8")) == LAB_DIS
    # Unknown bits in later octets are ignored.
    assert Capabilities.decode(bytes.fromhex("00 6e f8 80 80 80 80 80 80 ff ff")) == replace(
        LAB_DIS, letter=True, legal=True
    )


def test_short_fifs() -> None:
    assert Capabilities.decode(bytes.fromhex("00 6e")) == replace(
        LAB_DIS, scan_ms=20, length=Length.A4
    )
    assert Session.decode(bytes.fromhex("00 62")) == replace(LAB_DCS, scan_ms=20, length=Length.A4)
    for fif in (b"", b"\x00"):
        with pytest.raises(FrameError, match=f"FIF of {len(fif)} octet"):
            Capabilities.decode(fif)
        with pytest.raises(FrameError, match="at least 2"):
            Session.decode(fif)
    assert issubclass(FrameError, ValueError)


# Section 3.4: (fif[2] >> 4) & 7 -> DIS (ms, halved at fine), DCS ms.
SCAN_TABLE = [
    (0, (20, False), 20),
    (4, (40, False), 40),
    (2, (10, False), 10),
    (1, (5, False), 5),
    (6, (10, True), 10),
    (3, (20, True), 20),
    (5, (40, True), 40),
    (7, (0, False), 0),
]


@pytest.mark.parametrize(("code", "dis", "dcs_ms"), SCAN_TABLE)
def test_min_scan_time_codes(code: int, dis: tuple[int, bool], dcs_ms: int) -> None:
    fif = bytes([0, 0, code << 4])
    caps = Capabilities.decode(fif)
    assert (caps.scan_ms, caps.scan_halved_fine) == dis
    assert caps.encode() == fif
    session = Session.decode(fif)
    assert session.scan_ms == dcs_ms
    if not dis[1]:  # the halved codes have no DCS meaning
        assert session.encode() == fif


def test_min_scan_time_per_resolution() -> None:
    caps = Capabilities(scan_ms=40, scan_halved_fine=True, scan_halved_superfine=True)
    assert [caps.min_scan_ms(r) for r in Resolution] == [40, 20, 10, 20, 10]
    plain = Capabilities(scan_ms=10)
    assert [plain.min_scan_ms(r) for r in Resolution] == [10, 10, 10, 10, 10]
    rounded = Capabilities(scan_ms=10, scan_halved_fine=True, scan_halved_superfine=True)
    assert rounded.min_scan_ms(Resolution.SUPERFINE) == 3  # 2.5 rounded up


def test_width_and_length() -> None:
    assert [Capabilities.decode(bytes([0, 0, w])).width for w in range(4)] == [
        Width.A4,
        Width.B4,
        Width.A3,
        Width.A3,  # invalid code, read as A3 like HylaFAX
    ]
    lengths = [Capabilities.decode(bytes([0, 0, v << 2])).length for v in range(4)]
    assert lengths == [Length.A4, Length.B4, Length.UNLIMITED, Length.UNLIMITED]
    assert [w.label for w in Width] == ["A4 1728", "B4 2048", "A3 2432"]
    assert [x.label for x in Length] == ["A4 length", "B4 length", "unlimited length"]
    assert Session(width=Width.B4, length=Length.B4).encode() == bytes([0, 0, 0x05])


def test_dcs_rate_field_and_unknown_rates() -> None:
    for field, rate in DCS_RATES.items():
        session = Session.decode(bytes([0, field, 0]))
        assert session.rate == rate
        assert session.encode() == bytes([0, field, 0])
    v33 = Session.decode(bytes([0, 0x10, 0]))
    assert v33.rate is None
    assert v33.describe().startswith("unknown rate, standard, MH")
    with pytest.raises(ValueError, match="rate is unknown"):
        v33.encode()


def test_invalid_values_are_refused() -> None:
    with pytest.raises(ValueError, match="no DIS code for a scan time of 5 ms halved at fine"):
        Capabilities(scan_ms=5, scan_halved_fine=True)
    with pytest.raises(ValueError, match="no DIS code for a scan time of 15 ms"):
        Capabilities(scan_ms=15)
    with pytest.raises(ValueError, match="no DCS code for a scan time of 3 ms"):
        Session(scan_ms=3)
    with pytest.raises(ValueError, match=r"no DCS code for the rate V\.21 300"):
        Session(rate=Rate(Modem.V21, 300))


def test_dcs_summary_with_ecm() -> None:
    session = replace(LAB_DCS, ecm=True, coding=Coding.MMR, ecm_frame_64=True)
    assert session.describe() == (
        "V.17 14400, fine, MMR, A4 1728, unlimited length, ECM 64, scan 0 ms"
    )
    assert replace(session, ecm_frame_64=False).describe().endswith("ECM 256, scan 0 ms")


def test_dcs_with_several_resolution_bits_takes_the_highest() -> None:
    fif = bytes.fromhex("00 40 80 80 80 03")  # bits 15, 41 and 42
    assert Session.decode(fif).resolution is Resolution.R300


# --- negotiation --------------------------------------------------------------------------


def test_choose_session_for_the_lab_dis() -> None:
    assert choose_session(LAB_DIS) == LAB_DCS
    assert choose_session(LAB_DIS).encode() == LAB_DCS_FIF  # what efax answered in the lab


def test_choose_session_without_v17_uses_v29_9600() -> None:
    session = choose_session(replace(LAB_DIS, modems=DisModems.V27TER_V29))
    assert session.rate == Rate(Modem.V29, 9600)
    assert session.encode()[1] & 0x3C == 0x04


def test_choose_session_with_only_v27ter_uses_4800() -> None:
    assert choose_session(replace(LAB_DIS, modems=DisModems.V27TER)).rate == Rate(
        Modem.V27TER, 4800
    )
    assert choose_session(replace(LAB_DIS, modems=DisModems.V27TER_FALLBACK)).rate == Rate(
        Modem.V27TER, 2400
    )


def test_choose_session_respects_max_rate() -> None:
    assert choose_session(LAB_DIS, max_bps=9600).rate == Rate(Modem.V17, 9600)
    assert choose_session(LAB_DIS, max_bps=4800).rate == Rate(Modem.V27TER, 4800)
    v29_only = replace(LAB_DIS, modems=DisModems.V29)
    with pytest.raises(ValueError, match="no common rate"):
        choose_session(v29_only, max_bps=4800)


def test_choose_session_falls_back_to_standard_without_fine() -> None:
    session = choose_session(replace(LAB_DIS, fine=False))
    assert session.resolution is Resolution.STANDARD
    assert session.encode()[1] & 0x40 == 0


def test_choose_session_resolution_downgrades() -> None:
    superfine = replace(LAB_DIS, superfine=True)
    assert choose_session(superfine, resolution=Resolution.SUPERFINE).resolution is (
        Resolution.SUPERFINE
    )
    assert choose_session(LAB_DIS, resolution=Resolution.SUPERFINE).resolution is Resolution.FINE
    assert choose_session(LAB_DIS, resolution=Resolution.R400).resolution is Resolution.FINE
    assert choose_session(LAB_DIS, resolution=Resolution.STANDARD).resolution is (
        Resolution.STANDARD
    )
    r300 = choose_session(replace(LAB_DIS, r300=True), resolution=Resolution.R300)
    assert (r300.resolution, r300.inch) == (Resolution.R300, True)
    assert choose_session(LAB_DIS, resolution=Resolution.R300).resolution is Resolution.FINE


def test_choose_session_coding() -> None:
    assert choose_session(replace(LAB_DIS, mr=True)).coding is Coding.MR
    assert choose_session(replace(LAB_DIS, mr=True), allow_mr=False).coding is Coding.MH
    assert choose_session(replace(LAB_DIS, mmr=True, ecm=True)).coding is Coding.MH


def test_choose_session_scan_time_follows_the_receiver() -> None:
    worked = replace(LAB_DIS, scan_ms=20, scan_halved_fine=True)  # section 3.6
    assert choose_session(worked).scan_ms == 10
    assert choose_session(worked, resolution=Resolution.STANDARD).scan_ms == 20
    halves = replace(worked, superfine=True, scan_halved_superfine=True)
    assert choose_session(halves, resolution=Resolution.SUPERFINE).scan_ms == 5
    odd = replace(LAB_DIS, superfine=True, scan_ms=10, scan_halved_fine=True)
    odd = replace(odd, scan_halved_superfine=True)  # 2.5 ms is not a DCS code: 5 ms
    assert choose_session(odd, resolution=Resolution.SUPERFINE).scan_ms == 5


def test_choose_session_length_and_width() -> None:
    assert choose_session(replace(LAB_DIS, length=Length.A4)).length is Length.A4
    assert choose_session(replace(LAB_DIS, length=Length.B4)).length is Length.A4
    assert choose_session(replace(LAB_DIS, width=Width.A3)).width is Width.A4


def test_choose_session_ecm() -> None:
    ecm = replace(LAB_DIS, ecm=True, scan_ms=20, ecm64_preferred=True)
    assert not choose_session(ecm).ecm  # not allowed by default
    chosen = choose_session(ecm, allow_ecm=True)
    assert (chosen.ecm, chosen.ecm_frame_64, chosen.scan_ms) == (True, True, 0)
    assert not choose_session(replace(LAB_DIS, scan_ms=20), allow_ecm=True).ecm


def test_choose_session_needs_a_receiver() -> None:
    with pytest.raises(ValueError, match="not ready to receive"):
        choose_session(replace(LAB_DIS, can_receive=False))


def test_fall_back_sequence_from_v17() -> None:
    rates = []
    session: Session | None = replace(LAB_DCS, coding=Coding.MR)
    while session is not None:
        rates.append(str(session.rate))
        assert session.coding is Coding.MR and session.resolution is Resolution.FINE
        session = fall_back(session)
    assert rates == [
        "V.17 14400",
        "V.17 12000",
        "V.17 9600",
        "V.17 7200",
        "V.27ter 4800",
        "V.27ter 2400",
    ]


def test_fall_back_sequence_from_v29() -> None:
    rates = []
    session: Session | None = choose_session(replace(LAB_DIS, modems=DisModems.V27TER_V29))
    while session is not None:
        rates.append(str(session.rate))
        session = fall_back(session)
    assert rates == ["V.29 9600", "V.29 7200", "V.27ter 4800", "V.27ter 2400"]
    assert fall_back(Session(rate=None)) is None


# --- idents -------------------------------------------------------------------------------

LAB_CSI_FIF = bytes.fromhex("32 30 30 31") + b" " * 16  # from ff 03 40 ... 4d 76


def test_ident_lab_capture() -> None:
    assert decode_ident(LAB_CSI_FIF) == "1002"
    assert encode_ident("1002") == LAB_CSI_FIF


def test_ident_encoding() -> None:
    assert encode_ident("") == b" " * 20
    assert encode_ident("+49 30 1234567") == b"7654321 03 94+      "
    assert encode_ident("+1 555-0100 ACME") == b"EMCA 0010-555 1+    "  # printable ASCII kept
    assert len(encode_ident("12345678901234567890")) == 20
    with pytest.raises(ValueError, match="longer than 20"):
        encode_ident("123456789012345678901")
    with pytest.raises(ValueError, match="printable ASCII"):
        encode_ident("Zürich")
    with pytest.raises(ValueError, match="printable ASCII"):
        encode_ident("12\t34")


def test_ident_decoding_keeps_raw_characters() -> None:
    assert decode_ident(b"") == ""
    assert decode_ident(b" " * 20) == ""
    assert decode_ident(b"4321\0\0\0") == "1234"
    assert decode_ident(b"\x1b\xe9a ") == "a\xe9\x1b"
    assert decode_ident(b"4321" + b" " * 30) == "1234"  # over-long FIF


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20))
def test_ident_round_trip(text: str) -> None:
    fif = encode_ident(text)
    assert len(fif) == 20
    assert decode_ident(fif) == text.strip(" ")


@given(st.binary(max_size=40))
def test_decode_ident_never_raises(fif: bytes) -> None:
    assert len(decode_ident(fif)) <= len(fif)


# --- properties ---------------------------------------------------------------------------

_DIS_FLAGS = [
    f.name
    for f in fields(Capabilities)
    if isinstance(f.default, bool) and f.name != "scan_halved_fine"
]
_DCS_FLAGS = [f.name for f in fields(Session) if isinstance(f.default, bool)]

capabilities = st.builds(
    lambda flags, modems, width, length, scan: Capabilities(
        **flags,
        modems=modems,
        width=width,
        length=length,
        scan_ms=scan[0],
        scan_halved_fine=scan[1],
    ),
    st.fixed_dictionaries({name: st.booleans() for name in _DIS_FLAGS}),
    st.sampled_from(DisModems),
    st.sampled_from(Width),
    st.sampled_from(Length),
    st.sampled_from([dis for _, dis, _ in SCAN_TABLE]),
)
sessions = st.builds(
    lambda flags, **kwargs: Session(**flags, **kwargs),
    st.fixed_dictionaries({name: st.booleans() for name in _DCS_FLAGS}),
    rate=st.sampled_from(list(DCS_RATES.values())),
    resolution=st.sampled_from(Resolution),
    coding=st.sampled_from(Coding),
    width=st.sampled_from(Width),
    length=st.sampled_from(Length),
    scan_ms=st.sampled_from([0, 5, 10, 20, 40]),
)


def assert_well_extended(fif: bytes) -> None:
    assert len(fif) >= 3
    assert all(bool(fif[i] & 0x80) == (i < len(fif) - 1) for i in range(2, len(fif)))
    assert len(fif) == 3 or fif[-1] != 0


@given(capabilities)
def test_capabilities_round_trip(caps: Capabilities) -> None:
    fif = caps.encode()
    assert_well_extended(fif)
    assert Capabilities.decode(fif) == caps


@given(sessions)
def test_session_round_trip(session: Session) -> None:
    fif = session.encode()
    assert_well_extended(fif)
    assert Session.decode(fif) == session


@given(st.binary(max_size=24))
def test_capabilities_decode_any_bytes(fif: bytes) -> None:
    try:
        caps = Capabilities.decode(fif)
    except FrameError:
        assert len(fif) < 2
        return
    assert Capabilities.decode(caps.encode()) == caps
    assert caps.describe()


@given(st.binary(max_size=24))
def test_session_decode_any_bytes(fif: bytes) -> None:
    try:
        session = Session.decode(fif)
    except FrameError:
        assert len(fif) < 2
        return
    assert session.describe()
    if session.rate is not None:
        assert Session.decode(session.encode()) == session
