"""Make remote text safe to show.

Station IDs, caller IDs, channel names, AMI values and file names come from the outside and
may carry terminal escape sequences, bidi overrides or Rich markup. ``plain`` turns every
control character into a visible stand-in; the UI then wraps the result in ``rich.text.Text``
(never markup), so brackets stay brackets.
"""

from __future__ import annotations

import unicodedata

from rich.style import Style
from rich.text import Text


class _Table(dict[int, str]):
    """The stand-ins below, and an escape for any other control (Cc), format (Cf: zero-width,
    tags, soft hyphen...) or line/paragraph separator (Zl, Zp), worked out on first sight."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            stand_in = f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
        else:
            stand_in = char
        if len(self) < 100_000:  # remember, within reason: hostile text has many code points
            self[code] = stand_in
        return stand_in


_TABLE = _Table({c: chr(0x2400 + c) for c in range(0x20)})  # ␀ … ␟ (␛ for ESC)
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
    return Text(plain(value), style=style, no_wrap=True, overflow="ellipsis", end="")
