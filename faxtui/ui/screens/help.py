"""``?``: the keys of the screen you came from, and what the phases mean."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
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
            for widget in self._sections():
                yield Static(self._section(widget), classes="help-section")
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
            table.add_row(_key(binding), binding.description or binding.action)
        table.add_row("ctrl+p", "command palette: new fax, themes, reconnect, history, …")
        if "tab" not in keys:
            table.add_row("tab", "next pane")
        return table

    def _sections(self) -> list[Widget]:
        """The widgets below with keys of their own (the queue's), once per kind."""
        kinds: dict[type, Widget] = {}
        for widget in self.below.query("*"):
            if getattr(widget, "HELP_TITLE", None):
                kinds.setdefault(type(widget), widget)
        return list(kinds.values())

    def _section(self, widget: Widget) -> Group:
        title = Text(f"\n{widget.HELP_TITLE}", style="italic")  # type: ignore[attr-defined]
        if self.below.focused is not widget:
            title.append(" (tab moves there)", "dim italic")
        table = Table(show_header=False, box=None)
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for binding in type(widget).BINDINGS:  # its own, not those it inherits
            if isinstance(binding, Binding):
                table.add_row(_key(binding), binding.description)
        return Group(title, table)

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


def _key(binding: Binding) -> str:
    key = binding.key_display or binding.key.replace("question_mark", "?")
    return key.replace("slash", "/")
