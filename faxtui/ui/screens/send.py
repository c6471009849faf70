"""``n``: a new fax. The number (↑ for the recent ones), the files (ctrl+o picks one), the
resolution and an optional cover subject; the first page drawn beside them before it goes.

The engine converts the files and queues the job; if it refuses (a bad number, a file it cannot
read), the dialog stays open with its words. The preview is decoded in a worker thread.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from rich.style import Style
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widgets import Button, DirectoryTree, Input, Label, Select, Static
from textual.worker import get_current_worker

from faxtui.documents.pages import DocumentError, load_pages
from faxtui.documents.paper import FAX_DPI_X, lines_per_inch
from faxtui.engine import SendFax
from faxtui.model import Call, Direction, Job
from faxtui.render import Drawing, Mode, Page, draw
from faxtui.text import plain, safe_text
from faxtui.ui.widgets.footer import Footer

if TYPE_CHECKING:
    from faxtui.ui.app import FaxApp

NUMBER = re.compile(r"[0-9+*#()\-. /wW,]+")  # what the queue takes as a fax number
PAPER = Style(color="#000000", bgcolor="#ffffff")  # the preview: ink on paper
SHORT = 30  # rows: below this the form's fields close up
PREVIEW_DELAY = 0.3  # seconds of quiet in the Files box before the preview is drawn


def recent_numbers(jobs: Iterable[Job], calls: Iterable[Call]) -> list[str]:
    """The numbers of the queue's jobs and of outgoing calls, newest first, each once."""
    seen: list[tuple[float, str]] = [(j.updated, j.number) for j in jobs]
    seen += [(c.started, c.remote_number) for c in calls if c.direction is Direction.OUT]
    numbers: dict[str, None] = {}
    for _, number in sorted(seen, key=lambda s: s[0], reverse=True):
        if NUMBER.fullmatch(number):  # also keeps remote oddities out of the suggestions
            numbers.setdefault(number.strip(), None)
    return list(numbers)


def split_files(text: str) -> list[str]:
    """Paths separated by spaces or commas; quotes keep a path with either in one piece."""
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace += ","
    lexer.whitespace_split = True
    lexer.commenters = ""
    return list(lexer)


def quoted(path: str) -> str:
    return shlex.quote(path) if re.search(r"[\s,'\"\\]", path) else path


@dataclass(frozen=True)
class _Preview:
    path: Path
    drawing: Drawing | None = None
    error: str = ""


class NumberInput(Input):
    """The number; ↑ and ↓ go through the recent numbers (newest first)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "recent(1)", "Older number", show=False),
        Binding("down", "recent(-1)", "Newer number", show=False),
    ]

    def __init__(self, recent: list[str], **kwargs: object) -> None:
        suggester = SuggestFromList(recent, case_sensitive=False) if recent else None
        super().__init__(suggester=suggester, **kwargs)  # type: ignore[arg-type]
        self.recent = recent
        self._at = -1

    def action_recent(self, step: int) -> None:
        if not self.recent:
            return
        self._at = max(-1, min(self._at + step, len(self.recent) - 1))
        self.value = self.recent[self._at] if self._at >= 0 else ""
        self.cursor_position = len(self.value)


class NewFaxScreen(ModalScreen[Job | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send", id="send"),
        Binding("ctrl+o", "browse", "Pick a file", id="browse"),
        Binding("escape", "cancel", "Cancel", id="cancel"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._preview_timer: Timer | None = None
        self._shown: Path | None = None  # the file the preview shows
        self._page: tuple[tuple[str, int, int], Page] | None = None  # the last page decoded
        self._drawn: _Preview | None = None
        self._sending = False

    @property
    def fax(self) -> FaxApp:
        return cast("FaxApp", self.app)

    def compose(self) -> ComposeResult:
        recent = recent_numbers(self.fax.jobs.values(), self.fax.calls.values())
        with Vertical(id="send-box"), Horizontal(id="send-body"):
            with Vertical(id="send-form"):
                with Horizontal(classes="field"):
                    yield Label("Number", classes="field-label")
                    yield NumberInput(recent, placeholder="fax number", id="number",
                                      compact=True)  # fmt: skip
                yield Static(self._recent_words(recent), id="number-hint")
                with Horizontal(classes="field"):
                    yield Label("Files", classes="field-label")
                    yield Input(placeholder="letter.pdf, more.tif …", id="files",
                                compact=True)  # fmt: skip
                yield Button("Pick a file… ^o", id="browse", compact=True)
                with Horizontal(classes="field"):
                    yield Label("Resolution", classes="field-label")
                    yield Select(
                        [
                            ("fine (196 lpi)", "fine"),
                            ("standard (98 lpi)", "standard"),
                            ("superfine (391 lpi)", "superfine"),
                        ],
                        value="fine",
                        allow_blank=False,
                        id="resolution",
                        compact=True,
                    )
                with Horizontal(classes="field"):
                    yield Label("Cover", classes="field-label")
                    yield Input(placeholder="subject (none: no cover)", id="cover",
                                compact=True)  # fmt: skip
                with Horizontal(classes="field"):
                    yield Label("Note", classes="field-label")
                    yield Input(placeholder="on the cover page (optional)", id="note",
                                compact=True)  # fmt: skip
                yield Static(id="send-error")
                with Horizontal(id="send-buttons"):
                    yield Button("Send ^s", variant="primary", id="send", compact=True)
                    yield Button("Cancel esc", id="cancel", compact=True)
            with Vertical(id="preview-box"):
                yield Static(id="preview")
                yield Static(Text("No file yet.", style="dim"), id="preview-caption")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#send-box").border_title = "New fax"
        self.query_one("#number", Input).focus()
        self._fit(self.app.size.height)

    def _fit(self, height: int) -> None:
        """Below 30 rows the fields close up, so the buttons stay on screen at 24."""
        self.set_class(height < SHORT, "-short")

    @staticmethod
    def _recent_words(recent: list[str]) -> Text:
        if not recent:
            return Text("")
        words = Text("↑ recent: ", style="dim", no_wrap=True, overflow="ellipsis")
        words.append_text(safe_text(", ".join(recent[:3]), "dim"))
        return words

    # --- moving through the form ------------------------------------------------------------

    @on(Input.Submitted, "#number")
    def _number_done(self) -> None:
        self.query_one("#files", Input).focus()

    @on(Input.Submitted, "#files")
    def _files_done(self) -> None:
        self.query_one("#resolution", Select).focus()

    @on(Input.Submitted, "#cover")
    def _cover_done(self) -> None:
        self.query_one("#note", Input).focus()

    @on(Input.Submitted, "#note")
    def _note_done(self) -> None:
        self.action_send()

    @on(Button.Pressed, "#send")
    def _send_pressed(self) -> None:
        self.action_send()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#browse")
    def _browse_pressed(self) -> None:
        self.action_browse()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _error(self, words: str) -> None:
        error = Text(plain(words), style=self.fax.styles_.fail)
        self.query_one("#send-error", Static).update(error)

    # --- files and the preview ----------------------------------------------------------------

    def _files(self) -> list[str]:
        """The paths in the Files box, absolute (the engine may run elsewhere: ``serve``)."""
        text = self.query_one("#files", Input).value
        return [str(Path(f).expanduser().absolute()) for f in split_files(text)]

    def action_browse(self) -> None:
        try:
            files = self._files()
        except ValueError:
            files = []
        start = Path(files[-1]).parent if files else Path.cwd()
        self.app.push_screen(FilePicker(start if start.is_dir() else Path.cwd()), self._picked)

    def _picked(self, path: Path | None) -> None:
        box = self.query_one("#files", Input)
        if path is not None:
            before = box.value.strip().rstrip(",")
            box.value = f"{before}, {quoted(str(path))}" if before else quoted(str(path))
            box.cursor_position = len(box.value)
        box.focus()

    @on(Input.Changed, "#files")
    def _files_changed(self) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_timer(PREVIEW_DELAY, self._update_preview)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.height)
        self._shown = None  # drawn again for the preview's new size, once laid out
        self.call_after_refresh(self._update_preview)

    def _update_preview(self) -> None:
        try:
            files = self._files()
        except ValueError:
            return  # an open quote: the path is not finished
        preview = self.query_one("#preview", Static)
        if not files:
            self._shown = self._drawn = None
            preview.update("")
            self._caption()
            return
        path = Path(files[0])
        cols, rows = preview.content_size
        if path != self._shown and cols > 0 and rows > 0:
            self._draw(path, cols, rows)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def _draw(self, path: Path, cols: int, rows: int) -> None:
        """Decode the first page (the whole file: a PDF is converted as it will be sent)."""
        try:
            info = path.stat()
            key = (str(path), info.st_mtime_ns, info.st_size)
            if self._page is None or self._page[0] != key:
                pages = load_pages(path)
                aspect = FAX_DPI_X / lines_per_inch("fine")
                self._page = (key, Page(pages[0], 1, len(pages), aspect))
            result = _Preview(path, draw(self._page[1], Mode.BRAILLE, cols, rows))
        except DocumentError as exc:
            result = _Preview(path, error=str(exc))
        except OSError as exc:
            result = _Preview(path, error=f"{path}: {exc.strerror or exc}")
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_preview, result)

    def _show_preview(self, result: _Preview) -> None:
        self._shown = result.path
        self._drawn = result
        preview = self.query_one("#preview", Static)
        if result.drawing is None:
            preview.update(Text(plain(result.error), style=self.fax.styles_.fail))
        else:
            preview.update(result.drawing.text(PAPER))
        self._caption()

    @on(Input.Changed, "#cover")
    @on(Input.Changed, "#note")
    def _caption(self) -> None:
        """What the preview shows: which page of which file, and whether a cover goes first."""
        drawn = self._drawn
        caption = self.query_one("#preview-caption", Static)
        if drawn is None or drawn.drawing is None:
            caption.update(Text("No preview." if drawn else "No file yet.", style="dim"))
            return
        words = safe_text(drawn.path.name, "bold")
        count = drawn.drawing.count
        words.append(f"\npage 1 of {count}" if count > 1 else "\n1 page", "dim")
        if self._cover_wanted():
            words.append(", after the cover", "dim")
        caption.update(words)

    def _cover_wanted(self) -> bool:
        return any(self.query_one(f"#{name}", Input).value.strip() for name in ("cover", "note"))

    # --- sending ----------------------------------------------------------------------------

    def action_send(self) -> None:
        if self._sending:
            return
        number = self.query_one("#number", Input).value.strip()
        try:
            files = self._files()
        except ValueError as exc:
            self._error(f"Files: {exc}")
            return
        if not number:
            self._error("Number: type the fax number.")
            self.query_one("#number", Input).focus()
            return
        if not files:
            self._error("Files: name at least one file (ctrl+o picks one).")
            self.query_one("#files", Input).focus()
            return
        resolution = self.query_one("#resolution", Select).value
        cover = self.query_one("#cover", Input).value.strip()
        note = self.query_one("#note", Input).value.strip()
        command = SendFax(number, tuple(files), resolution=str(resolution), cover=cover,
                          note=note)  # fmt: skip
        self._sending = True
        self.query_one("#send", Button).disabled = True
        self.query_one("#send-error", Static).update(Text("Converting the files…", style="dim"))
        self.run_worker(self._send(command), group="send", exit_on_error=False)

    async def _send(self, command: SendFax) -> None:
        try:
            result = await self.fax.engine.command(command)
        finally:
            self._sending = False
            self.query_one("#send", Button).disabled = False
        if not result.ok:
            self._error(result.message)
            return
        self.app.notify(result.message, title="Fax queued", markup=False)
        self.dismiss(result.data)


class FileTree(DirectoryTree):
    """A DirectoryTree without dot files unless asked for."""

    show_hidden = False

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [p for p in paths if self.show_hidden or not p.name.startswith(".")]


class FilePicker(ModalScreen[Path | None]):
    """Pick one file: Enter on a file takes it; Enter on a folder opens it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="cancel"),
        Binding("backspace", "parent", "Parent folder", id="parent"),
        Binding("full_stop", "toggle_hidden", "Dot files", key_display=".", id="hidden"),
    ]

    def __init__(self, start: Path) -> None:
        super().__init__()
        self.start = start

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box"):
            yield Static(id="picker-folder")
            yield FileTree(self.start, id="picker-tree")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#picker-box").border_title = "Pick a file"
        self._show_folder()
        self.query_one(FileTree).focus()

    def _show_folder(self) -> None:
        folder = Path(self.query_one(FileTree).path)
        self.query_one("#picker-folder", Static).update(safe_text(str(folder), "bold"))

    @on(DirectoryTree.FileSelected)
    def _chosen(self, event: DirectoryTree.FileSelected) -> None:
        self.dismiss(event.path)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_parent(self) -> None:
        tree = self.query_one(FileTree)
        tree.path = Path(tree.path).absolute().parent
        self._show_folder()

    def action_toggle_hidden(self) -> None:
        tree = self.query_one(FileTree)
        tree.show_hidden = not tree.show_hidden
        tree.reload()
