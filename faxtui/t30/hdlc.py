"""HDLC frames as a Class 1 modem hands them over: FCS, DLE framing, parsing and building.

Octets are in raw notation (first bit on the line = LSB). On transmit the host sends
``address control FCF FIF`` and the modem appends the FCS; on receive the modem passes the two
FCS octets on (low octet first) before ``DLE ETX``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from faxtui.t30.dis import Capabilities, FrameError, Session, decode_ident
from faxtui.t30.fcf import Fcf, bitreverse8, identify

ADDRESS: Final = 0xFF
CONTROL_MORE: Final = 0x03  # more frames follow
CONTROL_FINAL: Final = 0x13  # last frame of the burst (P/F bit set)
DLE: Final = 0x10
ETX: Final = 0x03
SUB: Final = 0x1A  # DLE SUB stands for DLE DLE (+FDD)
DLE_ETX: Final = bytes([DLE, ETX])
_DLE_PAIRS: Final = {DLE: bytes([DLE]), SUB: bytes([DLE, DLE])}  # other DLE x pairs: dropped


def fcs16(data: bytes) -> int:
    """CRC-16/X.25 (HDLC FCS): reflected polynomial 0x1021, init and final XOR 0xFFFF."""
    crc = 0xFFFF
    for octet in data:
        crc ^= octet
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def add_fcs(data: bytes) -> bytes:
    """``data`` followed by its FCS, low octet first, as a modem delivers a received frame."""
    return data + fcs16(data).to_bytes(2, "little")


def dle_escape(data: bytes) -> bytes:
    """Double every DLE, for data sent to the modem; end the data with ``DLE_ETX``."""
    return data.replace(b"\x10", b"\x10\x10")


@dataclass(frozen=True, slots=True)
class DleEnd:
    """``DLE ETX`` arrived; ``rest`` is what followed it in the chunk, e.g. a result code."""

    rest: bytes = b""


class DleDecoder:
    """Undoes DLE framing of data from the modem, fed in chunks of any size.

    ``DLE DLE`` and ``DLE SUB`` give data DLEs, other ``DLE x`` pairs are dropped, and
    ``DLE ETX`` ends the data. After the end the decoder starts afresh.
    """

    def __init__(self) -> None:
        self._after_dle = False

    def feed(self, chunk: bytes) -> list[bytes | DleEnd]:
        """The payload in ``chunk`` (if any), then a ``DleEnd`` if the data ended in it."""
        out = bytearray()
        end: DleEnd | None = None
        for i, octet in enumerate(chunk):
            if self._after_dle:
                self._after_dle = False
                if octet == ETX:
                    end = DleEnd(chunk[i + 1 :])
                    break
                out += _DLE_PAIRS.get(octet, b"")
            elif octet == DLE:
                self._after_dle = True
            else:
                out.append(octet)
        events: list[bytes | DleEnd] = [bytes(out)] if out else []
        return [*events, end] if end else events


def build(fcf: int, fif: bytes = b"", final: bool = True) -> bytes:
    """A frame to send with ``+FTH=3``: address, control, raw ``fcf`` octet, FIF; no FCS."""
    return bytes([ADDRESS, CONTROL_FINAL if final else CONTROL_MORE, fcf]) + fif


@dataclass(frozen=True, slots=True)
class Frame:
    """One HDLC frame; ``fcf`` is the raw octet, X bit included."""

    fcf: int
    fif: bytes = b""
    final: bool = True

    @classmethod
    def parse(cls, raw: bytes, has_fcs: bool = True) -> Frame:
        """Read a frame as received, checking address, control and (if present) the FCS."""
        size = 5 if has_fcs else 3
        if len(raw) < size:
            raise FrameError(f"frame of {len(raw)} octet(s) is shorter than {size}: {raw.hex(' ')}")
        body = raw[:-2] if has_fcs else raw
        if has_fcs and raw[-2:] != (want := add_fcs(body)[-2:]):
            raise FrameError(
                f"bad FCS {raw[-2:].hex(' ')}, expected {want.hex(' ')}: {raw.hex(' ')}"
            )
        if body[0] != ADDRESS:
            raise FrameError(f"bad address 0x{body[0]:02x}, expected 0xff: {raw.hex(' ')}")
        if body[1] not in (CONTROL_MORE, CONTROL_FINAL):
            raise FrameError(f"bad control 0x{body[1]:02x}, expected 0x03/0x13: {raw.hex(' ')}")
        return cls(fcf=body[2], fif=body[3:], final=body[1] == CONTROL_FINAL)

    def to_bytes(self) -> bytes:
        """The frame without FCS, as sent with ``+FTH=3``."""
        return build(self.fcf, self.fif, self.final)

    def hex(self) -> str:
        """E.g. ``ff 13 80 00 6e 78``."""
        return self.to_bytes().hex(" ")

    @property
    def kind(self) -> Fcf | None:
        """The FCF, X bit ignored; None if unknown."""
        return identify(self.fcf)

    @property
    def name(self) -> str:
        """E.g. ``DIS``, or ``FCF 0x05`` when unknown."""
        return self.kind.label if self.kind else f"FCF 0x{self.fcf:02x}"

    def describe(self) -> str:
        """A one-line summary, decoding DIS/DTC/DCS, idents and NSF/NSS/NSC."""
        kind = self.kind
        try:
            if kind in (Fcf.DIS, Fcf.DTC):
                return f"{self.name}: {Capabilities.decode(self.fif).describe()}"
            if kind is Fcf.DCS:
                return f"{self.name}: {Session.decode(self.fif).describe()}"
        except FrameError as exc:
            return f"{self.name}: {exc}"
        if kind in (Fcf.CSI, Fcf.TSI, Fcf.CIG):
            return f'{self.name}: "{decode_ident(self.fif)}"'
        if kind in (Fcf.NSF, Fcf.NSS, Fcf.NSC) and self.fif:
            # The T.35 country code is defined in T.30 (bit-reversed) notation.
            country = bitreverse8(self.fif[0])
            return f"{self.name}: T.35 country 0x{country:02x}, {self.fif.hex(' ')}"
        text = kind.describe() if kind else self.name
        return f"{text}: {self.fif.hex(' ')}" if self.fif else text
