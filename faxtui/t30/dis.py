"""DIS/DTC/DCS facsimile information fields, session negotiation, and CSI/TSI/CIG idents.

FIF octets are in raw notation. T.30 bit *n* is ``fif[(n - 1) // 8] & (1 << ((n - 1) % 8))``;
the top bit of every octet from the third on (bits 24, 32, ...) says that another octet follows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum
from typing import Any, ClassVar, Final

from faxtui.t30.fcf import (
    DCS_RATE_FIELDS,
    DCS_RATES,
    FALLBACK_BPS,
    DisModems,
    Modem,
    Rate,
    pick_modem,
)

IDENT_LEN: Final = 20


class FrameError(ValueError):
    """A received frame or FIF that cannot be decoded."""


class Resolution(StrEnum):
    """Vertical x horizontal resolutions of DIS/DCS bits 15 and 41-43."""

    STANDARD = "standard"  # R8 x 3.85 l/mm
    FINE = "fine"  # R8 x 7.7 l/mm or 200 x 200
    SUPERFINE = "superfine"  # R8 x 15.4 l/mm
    R300 = "300x300"
    R400 = "400x400"  # or R16 x 15.4 l/mm


class Coding(StrEnum):
    """Page data coding."""

    MH = "MH"  # T.4 one-dimensional
    MR = "MR"  # T.4 two-dimensional
    MMR = "MMR"  # T.6


class Width(IntEnum):
    """Bits 17-18: the (widest) scan line."""

    A4 = 0
    B4 = 1
    A3 = 2

    @property
    def pels(self) -> int:
        return (1728, 2048, 2432)[self]

    @property
    def label(self) -> str:
        return f"{self.name} {self.pels}"


class Length(IntEnum):
    """Bits 19-20: the (longest) recording length."""

    A4 = 0
    B4 = 1
    UNLIMITED = 2

    @property
    def label(self) -> str:
        return f"{self.name.lower() if self is Length.UNLIMITED else self.name} length"


_RES_BITS: Final = {
    Resolution.FINE: 15,
    Resolution.SUPERFINE: 41,
    Resolution.R300: 42,
    Resolution.R400: 43,
}
# The T.30 resolution of a fax by faxtui's own names (jobs, the command line).
RESOLUTIONS: Final = {"standard": Resolution.STANDARD, "fine": Resolution.FINE,
                      "superfine": Resolution.SUPERFINE}  # fmt: skip
# Where a resolution the receiver lacks falls back to.
_RES_DOWNGRADE: Final = {
    Resolution.R400: Resolution.SUPERFINE,
    Resolution.SUPERFINE: Resolution.FINE,
    Resolution.R300: Resolution.FINE,
    Resolution.FINE: Resolution.STANDARD,
}
# Bits 21-23 as (fif[2] >> 4) & 7 -> (ms at 3.85 l/mm, halved at 7.7 l/mm) in a DIS/DTC.
_DIS_SCAN: Final = {
    0: (20, False),
    4: (40, False),
    2: (10, False),
    1: (5, False),
    6: (10, True),
    3: (20, True),
    5: (40, True),
    7: (0, False),
}
_DIS_SCAN_CODES: Final = {value: code for code, value in _DIS_SCAN.items()}
# In a DCS the "halved" codes are invalid; read them as their 3.85 l/mm value.
_DCS_SCAN: Final = {code: ms for code, (ms, _) in _DIS_SCAN.items()}
_DCS_SCAN_CODES: Final = {ms: code for code, (ms, halved) in _DIS_SCAN.items() if not halved}


def _octets(fif: bytes) -> bytes:
    """The FIF up to the first octet without an extend bit, padded to 3 octets.

    Octets after that one are not FIF bits (a stray FCS, say); unknown bits are ignored.
    """
    if len(fif) < 2:
        raise FrameError(f"FIF of {len(fif)} octet(s): DIS/DTC/DCS need at least 2")
    end = 3
    while end < len(fif) and fif[end - 1] & 0x80:
        end += 1
    return fif[:end].ljust(3, b"\0")


def _bit(octets: bytes, n: int) -> bool:
    i = (n - 1) // 8
    return i < len(octets) and bool(octets[i] >> ((n - 1) % 8) & 1)


def _pack(bits: list[int], octet1: int, octet2: int) -> bytes:
    """Octets 1 and 2 plus the numbered ``bits``, with only the extend bits needed."""
    out = bytearray(max([3] + [(n + 7) // 8 for n in bits]))
    out[1], out[2] = octet1, octet2
    for n in bits:
        out[(n - 1) // 8] |= 1 << ((n - 1) % 8)
    for i in range(2, len(out) - 1):
        out[i] |= 0x80
    return bytes(out)


class _Fif:
    """Encoding of the plain flags listed in ``_FLAGS`` (field name -> T.30 bit)."""

    __slots__ = ()
    _FLAGS: ClassVar[dict[str, int]]

    def _flag_bits(self) -> list[int]:
        return [n for name, n in self._FLAGS.items() if getattr(self, name)]

    @classmethod
    def _flag_values(cls, octets: bytes) -> dict[str, Any]:
        return {name: _bit(octets, n) for name, n in cls._FLAGS.items()}


@dataclass(frozen=True, slots=True)
class Capabilities(_Fif):
    """A DIS or DTC: what the remote terminal can do. The defaults are all bits clear."""

    t38: bool = False
    v8: bool = False
    ecm64_preferred: bool = False
    ready_to_transmit: bool = False  # has a document to be polled
    can_receive: bool = False
    modems: DisModems = DisModems.V27TER_FALLBACK
    fine: bool = False
    mr: bool = False
    width: Width = Width.A4
    length: Length = Length.A4
    scan_ms: int = 20
    scan_halved_fine: bool = False  # min scan time at 7.7 l/mm is half of scan_ms
    uncompressed: bool = False
    ecm: bool = False
    mmr: bool = False
    superfine: bool = False
    r300: bool = False
    r400: bool = False
    inch_preferred: bool = False
    metric_preferred: bool = False
    scan_halved_superfine: bool = False  # at 15.4 l/mm: half the 7.7 l/mm value
    selective_polling: bool = False
    subaddressing: bool = False
    password: bool = False
    letter: bool = False
    legal: bool = False

    _FLAGS: ClassVar[dict[str, int]] = {
        "t38": 3,
        "v8": 6,
        "ecm64_preferred": 7,
        "ready_to_transmit": 9,
        "can_receive": 10,
        "fine": 15,
        "mr": 16,
        "uncompressed": 26,
        "ecm": 27,
        "mmr": 31,
        "superfine": 41,
        "r300": 42,
        "r400": 43,
        "inch_preferred": 44,
        "metric_preferred": 45,
        "scan_halved_superfine": 46,
        "selective_polling": 47,
        "subaddressing": 49,
        "password": 50,
        "letter": 76,
        "legal": 77,
    }

    def __post_init__(self) -> None:
        if (self.scan_ms, self.scan_halved_fine) not in _DIS_SCAN_CODES:
            raise ValueError(
                f"no DIS code for a scan time of {self.scan_ms} ms"
                f"{' halved at fine' if self.scan_halved_fine else ''}"
            )

    def encode(self) -> bytes:
        """The FIF, raw notation."""
        scan = _DIS_SCAN_CODES[self.scan_ms, self.scan_halved_fine]
        octet2 = self.width | self.length << 2 | scan << 4
        return _pack(self._flag_bits(), self.modems, octet2)

    @classmethod
    def decode(cls, fif: bytes) -> Capabilities:
        """Read a DIS/DTC FIF (see ``_octets``); FrameError if under 2 octets."""
        octets = _octets(fif)
        scan_ms, halved = _DIS_SCAN[octets[2] >> 4 & 7]
        return cls(
            modems=DisModems.from_field(octets[1] & 0x3C),
            width=Width(min(octets[2] & 3, Width.A3)),
            length=Length(min(octets[2] >> 2 & 3, Length.UNLIMITED)),
            scan_ms=scan_ms,
            scan_halved_fine=halved,
            **cls._flag_values(octets),
        )

    def supports(self, resolution: Resolution) -> bool:
        return {
            Resolution.STANDARD: True,
            Resolution.FINE: self.fine,
            Resolution.SUPERFINE: self.superfine,
            Resolution.R300: self.r300,
            Resolution.R400: self.r400,
        }[resolution]

    def min_scan_ms(self, resolution: Resolution) -> int:
        """The minimum scan-line time this receiver needs at ``resolution``, rounded up."""
        ms = self.scan_ms
        if resolution is not Resolution.STANDARD and self.scan_halved_fine:
            ms = (ms + 1) // 2
        if resolution in (Resolution.SUPERFINE, Resolution.R400) and self.scan_halved_superfine:
            ms = (ms + 1) // 2
        return ms

    def describe(self) -> str:
        """E.g. ``V.17/V.29/V.27ter up to 14400, fine, MH, no ECM, A4 1728, ...``."""
        resolutions = [r for r in Resolution if r is not Resolution.STANDARD and self.supports(r)]
        codings = [c for c, on in ((Coding.MR, self.mr), (Coding.MMR, self.mmr)) if on]
        scan = f"scan {self.scan_ms} ms"
        if self.scan_halved_fine:
            scan += f" ({self.min_scan_ms(Resolution.FINE)} ms fine)"
        extras = (
            (not self.can_receive, "cannot receive"),
            (self.ready_to_transmit, "document to poll"),
            (self.t38, "T.38"),
            (self.v8, "V.8"),
        )
        return ", ".join(
            [
                self.modems.label,
                "+".join(resolutions) or Resolution.STANDARD,
                "/".join(codings) or Coding.MH,
                "ECM" if self.ecm else "no ECM",
                self.width.label,
                self.length.label,
                scan,
                *(text for on, text in extras if on),
            ]
        )


@dataclass(frozen=True, slots=True)
class Session(_Fif):
    """A DCS: the mode the transmitter chose. The defaults are all bits clear.

    ``rate`` is None when a received DCS has a reserved rate code; such a DCS cannot be encoded.
    """

    rate: Rate | None = DCS_RATES[0]
    t38: bool = False
    receive: bool = False  # bit 10, set in every normal DCS
    resolution: Resolution = Resolution.STANDARD
    inch: bool = False  # resolution unit: inch, else metric
    coding: Coding = Coding.MH
    width: Width = Width.A4
    length: Length = Length.A4
    scan_ms: int = 20
    uncompressed: bool = False
    ecm: bool = False
    ecm_frame_64: bool = False  # ECM frames of 64 octets, else 256
    subaddress: bool = False  # a SUB frame is sent
    sender_id: bool = False  # a SID frame is sent
    letter: bool = False
    legal: bool = False

    _FLAGS: ClassVar[dict[str, int]] = {
        "t38": 3,
        "receive": 10,
        "uncompressed": 26,
        "ecm": 27,
        "ecm_frame_64": 28,
        "inch": 44,
        "subaddress": 49,
        "sender_id": 50,
        "letter": 76,
        "legal": 77,
    }

    def __post_init__(self) -> None:
        if self.rate is not None and self.rate not in DCS_RATE_FIELDS:
            raise ValueError(f"no DCS code for the rate {self.rate}")
        if self.scan_ms not in _DCS_SCAN_CODES:
            raise ValueError(f"no DCS code for a scan time of {self.scan_ms} ms")

    def encode(self) -> bytes:
        """The FIF, raw notation."""
        if self.rate is None:
            raise ValueError("cannot encode a DCS whose rate is unknown")
        bits = self._flag_bits()
        if self.resolution is not Resolution.STANDARD:
            bits.append(_RES_BITS[self.resolution])
        if self.coding is not Coding.MH:
            bits.append(16 if self.coding is Coding.MR else 31)
        octet2 = self.width | self.length << 2 | _DCS_SCAN_CODES[self.scan_ms] << 4
        return _pack(bits, DCS_RATE_FIELDS[self.rate], octet2)

    @classmethod
    def decode(cls, fif: bytes) -> Session:
        """Read a DCS FIF (see ``_octets``); FrameError if under 2 octets."""
        octets = _octets(fif)
        # Only one resolution bit should be set; if not, the highest wins.
        chosen = (res for res in reversed(_RES_BITS) if _bit(octets, _RES_BITS[res]))
        return cls(
            rate=DCS_RATES.get(octets[1] & 0x3C),
            resolution=next(chosen, Resolution.STANDARD),
            coding=Coding.MMR if _bit(octets, 31) else Coding.MR if _bit(octets, 16) else Coding.MH,
            width=Width(min(octets[2] & 3, Width.A3)),
            length=Length(min(octets[2] >> 2 & 3, Length.UNLIMITED)),
            scan_ms=_DCS_SCAN[octets[2] >> 4 & 7],
            **cls._flag_values(octets),
        )

    def describe(self) -> str:
        """E.g. ``V.17 14400, fine, MH, A4 1728, unlimited length, no ECM, scan 0 ms``."""
        ecm = f"ECM {64 if self.ecm_frame_64 else 256}" if self.ecm else "no ECM"
        return ", ".join(
            [
                str(self.rate or "unknown rate"),
                self.resolution,
                self.coding,
                self.width.label,
                self.length.label,
                ecm,
                f"scan {self.scan_ms} ms",
            ]
        )


def choose_session(
    remote: Capabilities,
    *,
    max_bps: int = 14400,
    resolution: Resolution = Resolution.FINE,
    allow_mr: bool = True,
    allow_ecm: bool = False,
) -> Session:
    """The DCS to answer ``remote``'s DIS with, for sending an A4-wide MH or MR page.

    Picks the fastest common rate, ``resolution`` or the next lower one the receiver has, MR
    when both sides allow it, and the receiver's minimum scan time (0 ms with ECM).
    """
    if not remote.can_receive:
        raise ValueError("the remote terminal is not ready to receive")
    rate = next((r for r in remote.modems.rates if r.bps <= max_bps), None)
    if rate is None:
        raise ValueError(f"no common rate: remote offers {remote.modems.label}, we {max_bps}")
    while not remote.supports(resolution):
        resolution = _RES_DOWNGRADE[resolution]
    ecm = allow_ecm and remote.ecm
    return Session(
        rate=rate,
        receive=True,
        resolution=resolution,
        inch=resolution is Resolution.R300,
        coding=Coding.MR if allow_mr and remote.mr else Coding.MH,
        length=Length.UNLIMITED if remote.length is Length.UNLIMITED else Length.A4,
        scan_ms=0 if ecm else _dcs_scan_at_least(remote.min_scan_ms(resolution)),
        ecm=ecm,
        ecm_frame_64=ecm and remote.ecm64_preferred,
    )


def _dcs_scan_at_least(ms: int) -> int:
    """The shortest DCS scan time that is not below ``ms``."""
    return min(code_ms for code_ms in _DCS_SCAN_CODES if code_ms >= ms)


def fall_back(session: Session) -> Session | None:
    """``session`` at the next lower rate (after FTT), or None after 2400 bit/s.

    V.17 falls back within V.17 down to 7200, V.29 to 7200, then both go to V.27ter.
    """
    if session.rate is None:
        return None
    offered = (session.rate.modem, Modem.V27TER)
    for bps in FALLBACK_BPS:
        if bps < session.rate.bps and (modem := pick_modem(bps, offered)):
            return replace(session, rate=Rate(modem, bps))
    return None


def encode_ident(text: str) -> bytes:
    """A CSI/TSI/CIG FIF: ``text`` reversed and padded with spaces to 20 octets.

    T.30 only allows digits, "+" and space, but like HylaFAX we send any printable ASCII
    (many machines show names). Raises ValueError for longer or non-printable text.
    """
    if len(text) > IDENT_LEN:
        raise ValueError(f"ident {text!r} is longer than {IDENT_LEN} characters")
    if not (text.isascii() and text.isprintable()):
        raise ValueError(f"ident {text!r} has characters other than printable ASCII")
    return text[::-1].encode("ascii").ljust(IDENT_LEN, b" ")


def decode_ident(fif: bytes) -> str:
    """The text of a CSI/TSI/CIG FIF, padding (spaces, NULs) stripped; never raises.

    Octets are mapped one to one (Latin-1), so the text may hold control characters.
    """
    return fif[::-1].decode("latin-1").strip(" \0")
