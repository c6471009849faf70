"""The inbox's small dialogs: a note, where to export to, which number to forward to.

Each asks, and gives the answer back to the inbox screen (None: cancelled), which sends the
command; Enter in the last box answers, Esc cancels.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from faxtui.text import plain, safe_text
from faxtui.ui.screens.send import NumberInput

T = TypeVar("T")

EXPORT_KINDS = (("PDF: one file a fax", "export-pdf"), ("PNG: one file a page", "export-png"))


class InboxDialog(ModalScreen[T]):
    """A titled box in the middle of the screen, over the inbox."""

    DEFAULT_CSS = """
    InboxDialog {
        align: center middle;
    }
    InboxDialog > #dialog-box {
        width: 64;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    InboxDialog #dialog-about {
        height: auto;
        max-height: 3;
        margin-bottom: 1;
    }
    InboxDialog .dialog-field {
        height: 1;
        margin-bottom: 1;
    }
    InboxDialog .dialog-label {
        width: 8;
        color: $text-muted;
    }
    InboxDialog .dialog-field Input, InboxDialog .dialog-field Select {
        width: 1fr;
    }
    InboxDialog #dialog-hint {
        height: auto;
        color: $text-muted;
    }
    InboxDialog #dialog-error {
        height: auto;
        color: $error;
    }
    InboxDialog #dialog-buttons {
        height: 1;
        margin-top: 1;
        align-horizontal: right;
    }
    InboxDialog #dialog-buttons Button {
        margin-left: 2;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    TITLE_TEXT = ""
    OK_TEXT = "OK"

    def __init__(self, about: Text) -> None:
        super().__init__()
        self.about = about

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Static(self.about, id="dialog-about")
            yield from self.fields()
            yield Static(id="dialog-error")
            with Horizontal(id="dialog-buttons"):
                yield Button(f"{self.OK_TEXT} ⏎", variant="primary", id="ok", compact=True)
                yield Button("Cancel esc", id="cancel", compact=True)

    def fields(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.query_one("#dialog-box").border_title = self.TITLE_TEXT
        self.query(Input).first().focus()

    def answer(self) -> T | None:
        """The answer to give back, or None after saying what is missing (``error``)."""
        raise NotImplementedError

    def error(self, words: str) -> None:
        self.query_one("#dialog-error", Static).update(Text(plain(words)))

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def action_ok(self) -> None:
        answer = self.answer()
        if answer is not None:
            self.dismiss(answer)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class NoteDialog(InboxDialog[str]):
    """A note on the faxes (an empty one takes the note away)."""

    TITLE_TEXT = "Note"
    OK_TEXT = "Save"

    def __init__(self, about: Text, note: str) -> None:
        super().__init__(about)
        self.note = note

    def fields(self) -> ComposeResult:
        yield Input(self.note, placeholder="a note (empty: none)", id="note", compact=True)

    def answer(self) -> str:
        return self.query_one("#note", Input).value.strip()


class ExportDialog(InboxDialog[tuple[str, str]]):
    """Where to (a folder on the fax server's disk) and as what: (action, folder)."""

    TITLE_TEXT = "Export"
    OK_TEXT = "Export"

    def __init__(self, about: Text, folder: str, action: str) -> None:
        super().__init__(about)
        self.folder = folder
        self.action = action

    def fields(self) -> ComposeResult:
        with Horizontal(classes="dialog-field"):
            yield Label("Folder", classes="dialog-label")
            yield Input(self.folder, placeholder="~/faxes", id="folder", compact=True)
        with Horizontal(classes="dialog-field"):
            yield Label("As", classes="dialog-label")
            yield Select(EXPORT_KINDS, value=self.action, allow_blank=False, id="kind",
                         compact=True)  # fmt: skip
        yield Static(Text("Existing files are never overwritten.", style="dim"), id="dialog-hint")

    def answer(self) -> tuple[str, str] | None:
        folder = self.query_one("#folder", Input).value.strip()
        if not folder:
            self.error("Folder: name the folder to write to.")
            return None
        return str(self.query_one("#kind", Select).value), folder


class ForwardDialog(InboxDialog[str]):
    """The number to send the faxes to (↑ for the recent ones)."""

    TITLE_TEXT = "Forward"
    OK_TEXT = "Forward"

    def __init__(self, about: Text, recent: list[str]) -> None:
        super().__init__(about)
        self.recent = recent

    def fields(self) -> ComposeResult:
        with Horizontal(classes="dialog-field"):
            yield Label("Number", classes="dialog-label")
            yield NumberInput(self.recent, placeholder="fax number", id="number", compact=True)
        if self.recent:
            hint = Text("↑ recent: ", style="dim", no_wrap=True, overflow="ellipsis")
            hint.append_text(safe_text(", ".join(self.recent[:3]), "dim"))
            yield Static(hint, id="dialog-hint")

    def answer(self) -> str | None:
        number = self.query_one("#number", Input).value.strip()
        if not number:
            self.error("Number: type the fax number to forward to.")
            return None
        return number
