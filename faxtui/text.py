"""Make remote text safe to show.

Station IDs, caller IDs, channel names, AMI values and file names come from the outside and
may carry terminal escape sequences, bidi overrides or Rich markup. ``plain`` turns every
control character into a visible stand-in; the UI then wraps the result in ``rich.text.Text``
(never markup), so brackets stay brackets.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

_TABLE: dict[int, str] = {c: chr(0x2400 + c) for c in range(0x20)}  # ␀ … ␟ (␛ for ESC)
_TABLE[0x7F] = "\u2421"  # ␡
_TABLE.update({c: f"\\x{c:02x}" for c in range(0x80, 0xA0)})  # C1 controls, e.g. CSI 0x9b
# Bidi overrides and isolates can make a line read differently from what it contains.
_TABLE.update({c: f"\\u{c:04x}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})
_TABLE.update({c: f"\\u{c:04x}" for c in (0x200E, 0x200F, 0x061C, 0xFEFF)})


def plain(value: object) -> str:
    """``value`` as a single line of inert text."""
    return str(value).translate(_TABLE)


def safe_text(value: object, style: str | Style = "") -> Text:
    """A Rich Text of ``value`` that no terminal or markup parser will interpret."""
    return Text(plain(value), style=style, no_wrap=True, end="")
