"""The lower pane of a call's detail: the T.30 ladder, the AT trace, or the raw AMI events.

Pure functions from RawEvents to lines of Rich Text, one event at a time, so the screen can
append what is new instead of redrawing. Every field is remote text and goes out inert.
"""

from __future__ import annotations

from rich.text import Text

from faxtui.model import RawEvent
from faxtui.text import plain, safe_text
from faxtui.ui import format as fmt

ARROW = 18  # the width of an arrow with its frame name


def ladder(event: RawEvent) -> list[Text]:
    """A frame or signal as an arrow: ours left to right, the far end's right to left."""
    fields = dict(event.fields)
    outgoing = fields.get("dir") == "tx"
    name = plain(event.name)[: ARROW - 6]
    if outgoing:
        arrow = f"──{name}".ljust(ARROW - 1, "─") + "▶"
        style = "bold cyan"
    else:
        arrow = "◀" + f"{name}──".rjust(ARROW - 1, "─")
        style = "bold magenta"
    line = Text(fmt.clock(event.ts, precise=True) + "  ", style="dim", no_wrap=True)
    line.append(arrow, style)
    detail = fields.get("detail", "")
    if detail and not detail.startswith(f"{event.name}:"):
        line.append("  ")
        line.append_text(safe_text(detail))
    elif detail:
        line.append("  ")
        line.append_text(safe_text(detail.partition(":")[2].strip()))
    return [line]


def ladder_header(local: str, remote: str) -> Text:
    head = Text("time          ", style="dim")
    head.append_text(safe_text(f"us {local}".strip(), "bold cyan"))
    head.append("  ⇄  ", "dim")
    head.append_text(safe_text(f"far end {remote}".strip(), "bold magenta"))
    return head


def at_trace(event: RawEvent) -> list[Text]:
    """``<--`` what we wrote to the modem, ``-->`` what it answered, as HylaFAX logs it."""
    fields = dict(event.fields)
    line = Text(fmt.clock(event.ts, precise=True) + "  ", style="dim", no_wrap=True)
    sent = fields.get("dir") == "tx"
    line.append("<-- " if sent else "--> ", "cyan" if sent else "magenta")
    line.append_text(safe_text(fields.get("text", "")))
    return [line]


def raw(event: RawEvent, *, all_fields: bool) -> list[Text]:
    """An AMI event: its name, then every field (or, compact, the fields that matter)."""
    head = Text(fmt.clock(event.ts, precise=True) + " ", style="dim", no_wrap=True)
    head.append_text(safe_text(event.name, "bold"))
    if not all_fields:
        head.append(" ")
        head.append_text(safe_text(_gist(event)))
        return [head]
    lines = [head]
    for key, value in event.fields:
        if key in ("Event", "Privilege"):  # the name is on the first line; the class says nothing
            continue
        field = Text("    ", no_wrap=True)
        field.append_text(safe_text(key, "dim"))
        field.append(": ", "dim")
        field.append_text(safe_text(value))
        lines.append(field)
    return lines


_GIST_KEYS = (
    *("Variable", "Value", "Status", "Exten", "Application", "AppData", "ChannelStateDesc"),
    *("Cause-txt", "DialStatus", "PagesTransferred", "Response", "Reason"),
)


def _gist(event: RawEvent) -> str:
    """The few fields that say what a raw event was about."""
    fields = dict(event.fields)
    if "Variable" in fields:
        return f"{fields['Variable']}={fields.get('Value', '')}"
    return " ".join(f"{k}={fields[k]}" for k in _GIST_KEYS if fields.get(k))
