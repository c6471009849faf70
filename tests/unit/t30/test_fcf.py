"""FCF table, bit reversal, Class 1 modulations and rates (reference sections 2.1, 3.3, 4.2)."""

from __future__ import annotations

import pytest

from faxtui.t30.fcf import (
    DCS_RATE_FIELDS,
    DCS_RATES,
    FALLBACK_BPS,
    MODULATIONS,
    DisModems,
    Fcf,
    Modem,
    Modulation,
    Rate,
    bitreverse8,
    build_fcf,
    class1_code,
    identify,
    pick_modem,
    reverse_bits,
)

# Section 2.1: name, raw X=0, raw X=1, T.30 X=0, T.30 X=1 (None: no X bit).
FCF_TABLE = [
    ("DIS", 0x80, None, 0x01, None),
    ("CSI", 0x40, None, 0x02, None),
    ("NSF", 0x20, None, 0x04, None),
    ("DTC", 0x81, None, 0x81, None),
    ("CIG", 0x41, None, 0x82, None),
    ("NSC", 0x21, None, 0x84, None),
    ("DCS", 0x82, 0x83, 0x41, 0xC1),
    ("TSI", 0x42, 0x43, 0x42, 0xC2),
    ("NSS", 0x22, 0x23, 0x44, 0xC4),
    ("SUB", 0xC2, 0xC3, 0x43, 0xC3),
    ("CTC", 0x12, 0x13, 0x48, 0xC8),
    ("CFR", 0x84, 0x85, 0x21, 0xA1),
    ("FTT", 0x44, 0x45, 0x22, 0xA2),
    ("CTR", 0xC4, 0xC5, 0x23, 0xA3),
    ("EOM", 0x8E, 0x8F, 0x71, 0xF1),
    ("MPS", 0x4E, 0x4F, 0x72, 0xF2),
    ("EOP", 0x2E, 0x2F, 0x74, 0xF4),
    ("PRI_EOM", 0x9E, 0x9F, 0x79, 0xF9),
    ("PRI_MPS", 0x5E, 0x5F, 0x7A, 0xFA),
    ("PRI_EOP", 0x3E, 0x3F, 0x7C, 0xFC),
    ("PPS", 0xBE, 0xBF, 0x7D, 0xFD),
    ("EOR", 0xCE, 0xCF, 0x73, 0xF3),
    ("RR", 0x6E, 0x6F, 0x76, 0xF6),
    ("MCF", 0x8C, 0x8D, 0x31, 0xB1),
    ("RTP", 0xCC, 0xCD, 0x33, 0xB3),
    ("RTN", 0x4C, 0x4D, 0x32, 0xB2),
    ("PIP", 0xAC, 0xAD, 0x35, 0xB5),
    ("PIN", 0x2C, 0x2D, 0x34, 0xB4),
    ("PPR", 0xBC, 0xBD, 0x3D, 0xBD),
    ("RNR", 0xEC, 0xED, 0x37, 0xB7),
    ("ERR", 0x1C, 0x1D, 0x38, 0xB8),
    ("DCN", 0xFA, 0xFB, 0x5F, 0xDF),
    ("CRP", 0x1A, 0x1B, 0x58, 0xD8),
    ("FNV", 0xCA, 0xCB, 0x53, 0xD3),
    ("TNR", 0xEA, 0xEB, 0x57, 0xD7),
    ("TR", 0x6A, 0x6B, 0x56, 0xD6),
    # From the notes under the table: spandsp T30_PWD (polling) and T30_SID (HylaFAX FCF_PWD).
    ("PWD", 0xC1, None, 0x83, None),
    ("SID", 0xA2, 0xA3, 0x45, 0xC5),
]


@pytest.mark.parametrize(("name", "raw0", "raw1", "t30_0", "t30_1"), FCF_TABLE)
def test_fcf_table(name: str, raw0: int, raw1: int | None, t30_0: int, t30_1: int | None) -> None:
    fcf = Fcf[name]
    assert fcf == raw0
    assert build_fcf(fcf) == raw0
    assert identify(raw0) is fcf
    assert bitreverse8(raw0) == t30_0
    assert bitreverse8(t30_0) == raw0
    assert fcf.has_x_bit == (raw1 is not None)
    if raw1 is None:
        with pytest.raises(ValueError, match=f"{name} has no X bit"):
            build_fcf(fcf, x=True)
    else:
        assert build_fcf(fcf, x=True) == raw1
        assert identify(raw1) is fcf
        assert bitreverse8(raw1) == t30_1
        assert t30_1 == t30_0 | 0x80  # the X bit is the MSB in T.30 notation


def test_table_covers_every_fcf() -> None:
    assert {row[0] for row in FCF_TABLE} == {fcf.name for fcf in Fcf}


def test_identify_knows_exactly_the_table_octets() -> None:
    known = {row[1] for row in FCF_TABLE} | {row[2] for row in FCF_TABLE if row[2] is not None}
    assert {octet for octet in range(256) if identify(octet) is not None} == known
    assert identify(0x00) is None
    assert identify(0x05) is None


def test_labels_and_descriptions() -> None:
    assert Fcf.MCF.describe() == "MCF (message confirmation)"
    assert Fcf.DIS.describe() == "DIS (digital identification signal)"
    assert Fcf.PRI_EOM.label == "PRI-EOM"
    assert Fcf.PRI_EOP.describe() == "PRI-EOP (end of procedure, operator interrupt)"
    assert all(fcf.describe().startswith(f"{fcf.label} (") for fcf in Fcf)


def test_reverse_bits_matches_the_logs() -> None:
    # Lab README: efax prints the DIS ff 13 80 00 6e 78 as ff c8 01 00 76 1e.
    dis = bytes.fromhex("ff13 8000 6e78")
    assert reverse_bits(dis) == bytes.fromhex("ffc8 0100 761e")
    assert reverse_bits(reverse_bits(dis)) == dis
    # Section 3.6: FIF 00 6e b8 00 is 00 76 1d 00 in HylaFAX notation.
    assert reverse_bits(bytes.fromhex("006eb800")) == bytes.fromhex("00761d00")
    assert [bitreverse8(b) for b in (0x01, 0x03, 0x13, 0xF0)] == [0x80, 0xC0, 0xC8, 0x0F]


# Section 4.2: code, modem, bit/s, short training.
MODULATION_TABLE = [
    (3, Modem.V21, 300, False),
    (24, Modem.V27TER, 2400, False),
    (48, Modem.V27TER, 4800, False),
    (72, Modem.V29, 7200, False),
    (96, Modem.V29, 9600, False),
    (73, Modem.V17, 7200, False),
    (74, Modem.V17, 7200, True),
    (97, Modem.V17, 9600, False),
    (98, Modem.V17, 9600, True),
    (121, Modem.V17, 12000, False),
    (122, Modem.V17, 12000, True),
    (145, Modem.V17, 14400, False),
    (146, Modem.V17, 14400, True),
]


@pytest.mark.parametrize(("code", "modem", "bps", "short"), MODULATION_TABLE)
def test_modulations(code: int, modem: Modem, bps: int, short: bool) -> None:
    assert MODULATIONS[code] == Modulation(modem, bps, short_train=short)
    assert MODULATIONS[code].rate == Rate(modem, bps)
    assert class1_code(Rate(modem, bps), short_train=short) == code


def test_modulation_codes_are_what_iaxmodem_lists() -> None:
    # AT+FTM=? on iaxmodem (lab README); 3 is +FTH/+FRH.
    assert sorted(MODULATIONS) == [3, 24, 48, 72, 73, 74, 96, 97, 98, 121, 122, 145, 146]


def test_class1_code_without_short_training_variant() -> None:
    assert class1_code(Rate(Modem.V29, 9600), short_train=True) == 96
    assert class1_code(Rate(Modem.V27TER, 4800), short_train=True) == 48
    with pytest.raises(ValueError, match=r"no Class 1 modulation for V\.29 14400"):
        class1_code(Rate(Modem.V29, 14400))


def test_rate_str() -> None:
    assert str(Rate(Modem.V17, 14400)) == "V.17 14400"
    assert str(Rate(Modem.V27TER, 4800)) == "V.27ter 4800"


# Section 3.3, DCS rows: raw fif[1] & 0x3C, modem, bit/s.
DCS_RATE_TABLE = [
    (0x00, Modem.V27TER, 2400),
    (0x08, Modem.V27TER, 4800),
    (0x04, Modem.V29, 9600),
    (0x0C, Modem.V29, 7200),
    (0x20, Modem.V17, 14400),
    (0x28, Modem.V17, 12000),
    (0x24, Modem.V17, 9600),
    (0x2C, Modem.V17, 7200),
]


@pytest.mark.parametrize(("field", "modem", "bps"), DCS_RATE_TABLE)
def test_dcs_rate_field_both_ways(field: int, modem: Modem, bps: int) -> None:
    assert DCS_RATES[field] == Rate(modem, bps)
    assert DCS_RATE_FIELDS[Rate(modem, bps)] == field


def test_dcs_rate_table_is_complete_without_v33() -> None:
    assert len(DCS_RATES) == len(DCS_RATE_FIELDS) == len(DCS_RATE_TABLE)
    assert 0x10 not in DCS_RATES  # V.33 14400
    assert 0x18 not in DCS_RATES  # V.33 12000


def test_fallback_order_and_modems() -> None:
    assert FALLBACK_BPS == (14400, 12000, 9600, 7200, 4800, 2400)
    everything = {Modem.V17, Modem.V29, Modem.V27TER}
    assert [pick_modem(bps, everything) for bps in FALLBACK_BPS] == [
        Modem.V17,
        Modem.V17,
        Modem.V17,
        Modem.V17,
        Modem.V27TER,
        Modem.V27TER,
    ]
    no_v17 = {Modem.V29, Modem.V27TER}
    assert [pick_modem(bps, no_v17) for bps in FALLBACK_BPS] == [
        None,
        None,
        Modem.V29,
        Modem.V29,
        Modem.V27TER,
        Modem.V27TER,
    ]
    assert pick_modem(300, everything) is None


# Section 3.3, DIS rows: raw fif[1] & 0x3C -> member, label, rates offered.
DIS_MODEM_TABLE = [
    (0x00, DisModems.V27TER_FALLBACK, "V.27ter up to 2400", [2400]),
    (0x08, DisModems.V27TER, "V.27ter up to 4800", [4800, 2400]),
    (0x04, DisModems.V29, "V.29 up to 9600", [9600, 7200]),
    (0x0C, DisModems.V27TER_V29, "V.29/V.27ter up to 9600", [9600, 7200, 4800, 2400]),
    (
        0x2C,
        DisModems.V27TER_V29_V17,
        "V.17/V.29/V.27ter up to 14400",
        [14400, 12000, 9600, 7200, 4800, 2400],
    ),
]


@pytest.mark.parametrize(("field", "member", "label", "bps"), DIS_MODEM_TABLE)
def test_dis_modems(field: int, member: DisModems, label: str, bps: list[int]) -> None:
    assert DisModems.from_field(field) is member
    assert member == field
    assert member.label == label
    assert [rate.bps for rate in member.rates] == bps


def test_dis_modem_rates_pick_the_right_modem() -> None:
    assert DisModems.V27TER_V29_V17.rates[2:4] == (Rate(Modem.V17, 9600), Rate(Modem.V17, 7200))
    assert DisModems.V27TER_V29.rates[:2] == (Rate(Modem.V29, 9600), Rate(Modem.V29, 7200))
    assert DisModems.V27TER_V29.rates[2] == Rate(Modem.V27TER, 4800)


def test_reserved_dis_modem_codes_give_the_richest_contained_set() -> None:
    assert DisModems.from_field(0x1C) is DisModems.V27TER_V29  # V.27ter + V.29 + V.33
    assert DisModems.from_field(0x3C) is DisModems.V27TER_V29_V17
    assert DisModems.from_field(0x20) is DisModems.V27TER_FALLBACK
    assert DisModems.from_field(0x14) is DisModems.V29
    assert all(isinstance(DisModems.from_field(f), DisModems) for f in range(0, 0x40, 4))
