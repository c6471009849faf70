"""``?``: the keys of the screen you came from, and what the phases mean."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from faxtui.model import PHASE_NAMES

PHASE_HELP = {
    "A": "dialling, ringing, answer; CNG (caller) and CED (answerer) tones",
    "B": "capabilities (DIS), choice (DCS), training (TCF, then CFR or FTT)",
    "C": "page data at the trained rate",
    "D": "after each page: MPS/EOP from the sender, MCF/RTN from the receiver",
    "E": "DCN and hang-up; the result and its reason",
}


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close"),
    ]

    def __init__(self, below: Screen[object]) -> None:
        super().__init__()
        self.below = below

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(self._keys(), id="help-keys")
            yield Static(self._phases(), id="help-phases")

    def _keys(self) -> Table:
        table = Table(title="Keys here", title_justify="left", show_header=False, box=None)
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        seen = set()
        keys: set[str] = set()
        for binding in [*self.below.BINDINGS, *self.app.BINDINGS]:
            if not isinstance(binding, Binding) or binding.action in seen:
                continue
            if self.below.check_action(binding.action, ()) is False:
                continue  # e.g. the AT trace on an Asterisk call
            seen.add(binding.action)
            keys.add(binding.key)
            key = binding.key_display or binding.key.replace("question_mark", "?")
            table.add_row(key.replace("slash", "/"), binding.description or binding.action)
        table.add_row("ctrl+p", "command palette: themes, reconnect, history, …")
        if "tab" not in keys:
            table.add_row("tab", "next pane")
        return table

    def _phases(self) -> Table:
        table = Table(title="\nThe phase ribbon  A B C D E", title_justify="left",
                      show_header=False, box=None)  # fmt: skip
        table.add_column(style="bold")
        table.add_column()
        for phase, words in PHASE_HELP.items():
            table.add_row(phase, Text(f"{PHASE_NAMES[phase]}: {words}"))  # type: ignore[index]
        table.add_row("", Text("lit = now; coloured = passed; green/red E = result", style="dim"))
        return table

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss()
