"""One call: its summary, why it failed, its timeline, and below what happened on the wire.

The lower pane shows, for a modem call, the T.30 ladder (``t`` switches to the AT trace), and
for an Asterisk call the raw AMI events (``e`` one line an event). It only appends what is
new while the call runs.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, RichLog, Static

from faxtui.model import PHASE_NAMES, Call, RawEvent, Result
from faxtui.t30.reasons import describe
from faxtui.text import safe_text
from faxtui.ui import format as fmt
from faxtui.ui import ladder
from faxtui.ui.screens.base import LiveScreen
from faxtui.ui.widgets.footer import Footer


class CallScreen(LiveScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("tab", "switch_pane", "Timeline/wire", id="switch"),
        Binding("t", "toggle_trace", "AT trace", id="trace"),
        Binding("e", "toggle_fields", "All fields", id="fields"),
    ]

    def __init__(self, call: Call) -> None:
        super().__init__()
        self.call = call
        self._steps_shown = 0
        self._events: list[RawEvent] = []
        self._shown: list[RawEvent] = []  # the events the pane shows, in order
        self._all_fields = True
        self.view = "ladder" if call.origin == "modem" else "raw"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_trace":
            return self.call.origin == "modem"
        if action == "toggle_fields":
            return self.view == "raw"
        return True

    def compose(self) -> ComposeResult:
        yield Static(id="call-summary")
        yield Static(id="call-outcome")
        timeline: DataTable[Text | str] = DataTable(id="timeline", cursor_type="row")
        yield timeline
        yield RichLog(id="raw", markup=False, wrap=False, highlight=False, max_lines=5000)
        yield Footer()

    def on_mount(self) -> None:
        timeline = self.query_one("#timeline", DataTable)
        timeline.add_column("Time", key="time", width=12)
        timeline.add_column("Ph", key="phase", width=2)
        timeline.add_column("What happened", key="text")
        self._render_call()
        self._load_events()

    # --- updates --------------------------------------------------------------------------

    def engine_update(self, changed: list[Call], sources_changed: bool) -> None:
        for call in changed:
            if call.id == self.call.id:
                self.call = call
                self._render_call()
                self._load_events()

    def _render_call(self) -> None:
        call, styles = self.call, self.fax.styles_
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append_text(safe_text(call.source, "bold"))
        head.append(f" · {fmt.direction(call).plain.strip()} · ")
        head.append_text(fmt.remote(call))
        head.append(" · ")
        head.append_text(fmt.ribbon(call, styles))
        facts = [
            fmt.transport(call),
            f"{call.rate} bit/s" if call.rate else "",
            {True: "ECM", False: "no ECM"}.get(call.ecm, ""),  # type: ignore[arg-type]
            call.resolution,
            f"{call.pages} page{'s' if call.pages != 1 else ''}" if call.pages else "",
            f"{call.bad_lines} bad lines" if call.bad_lines else "",
            fmt.elapsed(call),
        ]
        head.append(" · " + " · ".join(f for f in facts if f), "dim")
        detail = Text(no_wrap=True, overflow="ellipsis")
        detail.append("channel ", "dim")
        detail.append_text(safe_text(call.channel or "?"))
        detail.append("  started ", "dim")
        detail.append(fmt.short_time(call.started))
        if call.local_number or call.local_station_id:
            detail.append("  local ", "dim")
            detail.append_text(safe_text(f"{call.local_number} {call.local_station_id}".strip()))
        self.query_one("#call-summary", Static).update(Text("\n").join([head, detail]))
        self.query_one("#call-outcome", Static).update(self._outcome(call, styles))
        timeline = self.query_one("#timeline", DataTable)
        for step in call.timeline[self._steps_shown :]:
            timeline.add_row(fmt.clock(step.ts, precise=True), str(step.phase),
                             safe_text(step.text))  # fmt: skip
        self._steps_shown = len(call.timeline)

    def _outcome(self, call: Call, styles: fmt.Styles) -> Text:
        if call.result is Result.NONE:
            out = Text(f"Phase {call.phase}, {PHASE_NAMES[call.phase]}: ", style=styles.accent)
            out.append_text(safe_text(call.status))
            return out
        if call.result is Result.SUCCESS:
            return Text(f"✓ {call.status}: {call.pages} page(s)", style=styles.ok)
        reason = describe(call.reason)
        out = Text(f"✗ {reason.text}", style=styles.fail)
        if call.reason_detail:
            out.append("  (", "dim")
            out.append_text(safe_text(call.reason_detail, "dim"))
            out.append(")", "dim")
        if reason.hint:
            out.append(f"\n  next: {reason.hint}")
        return out

    def _load_events(self) -> None:
        self.run_worker(self._fetch_events(), exclusive=True, group="raw")

    async def _fetch_events(self) -> None:
        self._events = await self.fax.engine.call_events(self.call.id)
        self._render_events()

    def _wanted(self) -> list[RawEvent]:
        origin = {"ladder": "t30", "trace": "at"}.get(self.view, "ami")
        return [e for e in self._events if e.origin == origin]

    def _render_events(self, *, redraw: bool = False) -> None:
        """Append the new events; redraw only when the view changed or old ones fell off."""
        log = self.query_one("#raw", RichLog)
        wanted = self._wanted()
        shown = len(self._shown)
        if redraw or wanted[:shown] != self._shown:
            log.clear()
            shown = 0
            if self.view == "ladder":
                log.write(ladder.ladder_header(self.call.local_station_id,
                                               self.call.remote_station_id))  # fmt: skip
            if not wanted:
                log.write(Text(_EMPTY[self.view], style="dim"))
        for event in wanted[shown:]:
            for line in self._lines(event):
                log.write(line)
        self._shown = wanted

    def _lines(self, event: RawEvent) -> list[Text]:
        if self.view == "ladder":
            return ladder.ladder(event)
        if self.view == "trace":
            return ladder.at_trace(event)
        return ladder.raw(event, all_fields=self._all_fields)

    # --- actions ----------------------------------------------------------------------------

    def action_switch_pane(self) -> None:
        focused = self.focused
        target = "#raw" if focused is not None and focused.id == "timeline" else "#timeline"
        self.query_one(target).focus()

    def action_toggle_fields(self) -> None:
        self._all_fields = not self._all_fields
        self._render_events(redraw=True)

    def action_toggle_trace(self) -> None:
        self.view = "trace" if self.view == "ladder" else "ladder"
        self._render_events(redraw=True)
        self.refresh_bindings()


_EMPTY = {
    "ladder": "No T.30 frames yet.",
    "trace": "No AT commands yet.",
    "raw": "No raw events kept for this call.",
}
