"""T.30 facsimile control fields (FCF), Class 1 modulations and data signalling rates.

Everything is in raw notation: octets as a Class 1 modem puts them on the serial line, with
the first bit on the line as the LSB. HylaFAX and efax logs use T.30 notation, which is the
same octet bit-reversed (see ``bitreverse8``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Final


class Fcf(IntEnum):
    """Facsimile control fields, raw notation, with the X bit (bit 0) clear."""

    DIS = 0x80
    CSI = 0x40
    NSF = 0x20
    DTC = 0x81
    CIG = 0x41
    NSC = 0x21
    PWD = 0xC1
    DCS = 0x82
    TSI = 0x42
    NSS = 0x22
    SUB = 0xC2
    SID = 0xA2
    CTC = 0x12
    CFR = 0x84
    FTT = 0x44
    CTR = 0xC4
    EOM = 0x8E
    MPS = 0x4E
    EOP = 0x2E
    PRI_EOM = 0x9E
    PRI_MPS = 0x5E
    PRI_EOP = 0x3E
    PPS = 0xBE
    EOR = 0xCE
    RR = 0x6E
    MCF = 0x8C
    RTP = 0xCC
    RTN = 0x4C
    PIP = 0xAC
    PIN = 0x2C
    PPR = 0xBC
    RNR = 0xEC
    ERR = 0x1C
    DCN = 0xFA
    CRP = 0x1A
    FNV = 0xCA
    TNR = 0xEA
    TR = 0x6A

    @property
    def label(self) -> str:
        """The name as T.30 writes it, e.g. ``PRI-EOM``."""
        return self.name.replace("_", "-")

    @property
    def has_x_bit(self) -> bool:
        """False for DIS/CSI/NSF and the polling frames, whose bit 0 is part of the code."""
        return self not in _NO_X_BIT

    def describe(self) -> str:
        """E.g. ``MCF (message confirmation)``."""
        return f"{self.label} ({_MEANINGS[self]})"


_NO_X_BIT: Final = frozenset({Fcf.DIS, Fcf.CSI, Fcf.NSF, Fcf.DTC, Fcf.CIG, Fcf.NSC, Fcf.PWD})

_MEANINGS: Final = {
    Fcf.DIS: "digital identification signal",
    Fcf.CSI: "called subscriber identification",
    Fcf.NSF: "non-standard facilities",
    Fcf.DTC: "digital transmit command",
    Fcf.CIG: "calling subscriber identification",
    Fcf.NSC: "non-standard facilities command",
    Fcf.PWD: "polling password",
    Fcf.DCS: "digital command signal",
    Fcf.TSI: "transmitting subscriber identification",
    Fcf.NSS: "non-standard set-up",
    Fcf.SUB: "sub-address",
    Fcf.SID: "sender identification",
    Fcf.CTC: "continue to correct",
    Fcf.CFR: "confirmation to receive",
    Fcf.FTT: "failure to train",
    Fcf.CTR: "response to continue to correct",
    Fcf.EOM: "end of message",
    Fcf.MPS: "multipage signal",
    Fcf.EOP: "end of procedure",
    Fcf.PRI_EOM: "end of message, operator interrupt",
    Fcf.PRI_MPS: "multipage signal, operator interrupt",
    Fcf.PRI_EOP: "end of procedure, operator interrupt",
    Fcf.PPS: "partial page signal",
    Fcf.EOR: "end of retransmission",
    Fcf.RR: "receive ready",
    Fcf.MCF: "message confirmation",
    Fcf.RTP: "retrain positive",
    Fcf.RTN: "retrain negative",
    Fcf.PIP: "procedure interrupt positive",
    Fcf.PIN: "procedure interrupt negative",
    Fcf.PPR: "partial page request",
    Fcf.RNR: "receive not ready",
    Fcf.ERR: "response to end of retransmission",
    Fcf.DCN: "disconnect",
    Fcf.CRP: "command repeat",
    Fcf.FNV: "field not valid",
    Fcf.TNR: "transmitter not ready",
    Fcf.TR: "transmitter ready",
}


_BY_OCTET: Final = {f.value | x: f for f in Fcf for x in ((0, 1) if f.has_x_bit else (0,))}


def identify(octet: int) -> Fcf | None:
    """The FCF of a received raw octet, whatever its X bit; None if unknown."""
    return _BY_OCTET.get(octet)


def build_fcf(fcf: Fcf, x: bool = False) -> int:
    """The raw octet for ``fcf`` with the X bit set to ``x`` ("DIS received")."""
    if x and not fcf.has_x_bit:
        raise ValueError(f"{fcf.label} has no X bit")
    return fcf | int(x)


_REVERSED: Final = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def bitreverse8(octet: int) -> int:
    """Reverse the bits of one octet: raw <-> T.30 notation."""
    return _REVERSED[octet]


def reverse_bits(data: bytes) -> bytes:
    """Bit-reverse every octet: raw <-> T.30 notation (its own inverse)."""
    return data.translate(_REVERSED)


class Modem(StrEnum):
    """Fax modulations a Class 1 modem offers."""

    V21 = "V.21"
    V27TER = "V.27ter"
    V29 = "V.29"
    V17 = "V.17"


@dataclass(frozen=True, slots=True)
class Rate:
    """A modem and a data signalling rate, e.g. V.17 at 14400 bit/s."""

    modem: Modem
    bps: int

    def __str__(self) -> str:
        return f"{self.modem} {self.bps}"


@dataclass(frozen=True, slots=True)
class Modulation:
    """What a Class 1 ``+FTM``/``+FRM`` code selects."""

    modem: Modem
    bps: int
    short_train: bool = False  # False: long training, or the modem's only one

    @property
    def rate(self) -> Rate:
        return Rate(self.modem, self.bps)


MODULATIONS: Final = {
    3: Modulation(Modem.V21, 300),
    24: Modulation(Modem.V27TER, 2400),
    48: Modulation(Modem.V27TER, 4800),
    72: Modulation(Modem.V29, 7200),
    73: Modulation(Modem.V17, 7200),
    74: Modulation(Modem.V17, 7200, short_train=True),
    96: Modulation(Modem.V29, 9600),
    97: Modulation(Modem.V17, 9600),
    98: Modulation(Modem.V17, 9600, short_train=True),
    121: Modulation(Modem.V17, 12000),
    122: Modulation(Modem.V17, 12000, short_train=True),
    145: Modulation(Modem.V17, 14400),
    146: Modulation(Modem.V17, 14400, short_train=True),
}


def class1_code(rate: Rate, short_train: bool = False) -> int:
    """The Class 1 modulation code for ``rate``; ``short_train`` only matters for V.17."""
    codes = [code for code, mod in MODULATIONS.items() if mod.rate == rate]
    if not codes:
        raise ValueError(f"no Class 1 modulation for {rate}")
    return codes[-1] if short_train else codes[0]


DCS_RATES: Final = {
    0x00: Rate(Modem.V27TER, 2400),
    0x08: Rate(Modem.V27TER, 4800),
    0x04: Rate(Modem.V29, 9600),
    0x0C: Rate(Modem.V29, 7200),
    0x20: Rate(Modem.V17, 14400),
    0x28: Rate(Modem.V17, 12000),
    0x24: Rate(Modem.V17, 9600),
    0x2C: Rate(Modem.V17, 7200),
}
"""DCS bits 11-14 (``fif[1] & 0x3C``, raw) -> the selected rate. V.33 codes are left out."""

DCS_RATE_FIELDS: Final = {rate: field for field, rate in DCS_RATES.items()}
"""The inverse of ``DCS_RATES``."""

_BPS_MODEMS: Final = {
    14400: (Modem.V17,),
    12000: (Modem.V17,),
    9600: (Modem.V17, Modem.V29),
    7200: (Modem.V17, Modem.V29),
    4800: (Modem.V27TER,),
    2400: (Modem.V27TER,),
}

FALLBACK_BPS: Final = tuple(_BPS_MODEMS)
"""Data rates from fastest to slowest, the order to try after FTT."""


def pick_modem(bps: int, offered: Collection[Modem]) -> Modem | None:
    """The modem to use at ``bps`` among ``offered`` (V.17 before V.29); None if none fits."""
    return next((m for m in _BPS_MODEMS.get(bps, ()) if m in offered), None)


class DisModems(IntEnum):
    """DIS/DTC bits 11-14 (``fif[1] & 0x3C``, raw): the modems a receiver offers."""

    V27TER_FALLBACK = 0x00  # V.27ter at 2400 only
    V27TER = 0x08
    V29 = 0x04
    V27TER_V29 = 0x0C
    V27TER_V29_V17 = 0x2C

    @classmethod
    def from_field(cls, field: int) -> DisModems:
        """Decode bits 11-14; reserved codes (V.33 ...) give the richest set they contain."""
        return max((m for m in cls if m & field == m), key=lambda m: len(m.rates))

    @property
    def modems(self) -> tuple[Modem, ...]:
        return tuple(m for bit, m in _DIS_MODEM_BITS if self & bit) or (Modem.V27TER,)

    @property
    def rates(self) -> tuple[Rate, ...]:
        """The usable rates, in fall-back order."""
        if self is DisModems.V27TER_FALLBACK:
            return (Rate(Modem.V27TER, 2400),)
        offered = self.modems
        return tuple(
            Rate(modem, bps) for bps in FALLBACK_BPS if (modem := pick_modem(bps, offered))
        )

    @property
    def label(self) -> str:
        """E.g. ``V.17/V.29/V.27ter up to 14400``."""
        return f"{'/'.join(self.modems)} up to {self.rates[0].bps}"


_DIS_MODEM_BITS: Final = ((0x20, Modem.V17), (0x04, Modem.V29), (0x08, Modem.V27TER))
