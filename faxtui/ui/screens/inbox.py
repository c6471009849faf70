"""The inbox: received faxes newest first, and the page preview beside them or below them.

From 120 columns the preview stands beside the list, below that under it; ``z`` or Enter
gives it the whole screen. A fax counts as read once opened (Enter, ``z``) or looked at in
the preview (tab into it). The keys act on the marked faxes, or else on the one under the
cursor; the engine does the work (notes, exports, moves to the archive, forwarding through
the queue) and answers in a toast. faxtui never deletes a received fax: archiving moves it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Container, Vertical
from textual.timer import Timer
from textual.widgets import Input, Static

from faxtui.engine import InboxCommand, SendFax
from faxtui.inbox.model import InboxItem, InboxState
from faxtui.render import PreviewCache
from faxtui.text import plain, safe_text
from faxtui.ui import format as fmt
from faxtui.ui.screens.base import LiveScreen
from faxtui.ui.screens.confirm import ConfirmScreen
from faxtui.ui.screens.inbox_dialogs import ExportDialog, ForwardDialog, NoteDialog
from faxtui.ui.screens.send import recent_numbers
from faxtui.ui.viewer import open_in_viewer
from faxtui.ui.widgets.footer import Footer
from faxtui.ui.widgets.inbox_table import InboxTable, received, sender, when
from faxtui.ui.widgets.page_view import Graphics, PageView

READ_ONLY = "read-only: this faxtui does not change the inbox"
SIDE_BY_SIDE = 120  # from this width the preview stands beside the list
PREVIEW_SHARE = 0.4  # of the width, beside the list
PREVIEW_WIDTH = (44, 90)  # at least and at most, beside the list
FILTER_QUIET = 0.15  # seconds after the last key in the filter box (a big inbox is re-read)
SHOWABLE = (InboxState.OK, InboxState.PARTIAL)  # faxes with pages to export or forward

COMMANDS = (  # the command palette's inbox entries: title, help, action
    ("Inbox: full-screen preview", "The fax under the cursor on the whole screen (z)",
     "toggle_full"),
    ("Inbox: read or unread", "Mark the marked faxes, or the one under the cursor (u)",
     "toggle_read"),
    ("Inbox: note", "A note on the marked faxes, or the one under the cursor (N)", "note"),
    ("Inbox: export", "As PDF or PNG files into a folder (e)", "export"),
    ("Inbox: forward", "Queue the pages to another number (F)", "forward"),
    ("Inbox: archive", "Move into the archive folder, after a question (A)", "archive"),
    ("Inbox: open in the viewer", "The [inbox] viewer program, on this fax (o)", "view"),
    ("Inbox: forget a missing fax", "Drop the row of a file that is gone (x)", "forget"),
    ("Inbox: clear the marks", "Unmark every fax (space marks one)", "clear_marks"),
)  # fmt: skip


class InboxCommands(Provider):
    """The inbox's actions in the command palette."""

    def _commands(self) -> list[tuple[str, str, str]]:
        """The entries whose action can run here (no viewer entry without a viewer)."""
        screen = self.screen
        return [c for c in COMMANDS if screen.check_action(c[2], ()) is not False]

    async def discover(self) -> Hits:
        for title, words, action in self._commands():
            yield DiscoveryHit(title, partial(self.screen.run_action, action), help=words)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, words, action in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title),
                          partial(self.screen.run_action, action), help=words)  # fmt: skip


def summary(item: InboxItem) -> Text:
    """One line about a fax, for the dialogs: who, when, pages, the file's name."""
    words = safe_text(sender(item) or "unknown sender", "bold")
    words.append(f"  {when(received(item))}")
    if item.pages:
        words.append(f"  {fmt.pages_of(item.pages)}")
    words.append("  ")
    words.append_text(safe_text(item.name, "dim"))
    return words


def about(items: list[InboxItem]) -> Text:
    """The faxes a dialog is about: each on a line, at most three."""
    lines = [summary(item) for item in items[:3]]
    if len(items) > 3:
        lines.append(Text(f"and {len(items) - 3} more", style="dim"))
    return Text("\n").join(lines)


class InboxScreen(LiveScreen):
    COMMANDS: ClassVar = {InboxCommands}
    DEFAULT_CSS = """
    InboxScreen #inbox-title {
        height: 1;
        padding: 0 1;
        background: $panel;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    InboxScreen #inbox-body {
        height: 1fr;
    }
    InboxScreen #inbox-list-pane {
        height: 40%;
        min-height: 4;
    }
    InboxScreen #inbox-list {
        height: 1fr;
    }
    InboxScreen #inbox-empty {
        display: none;
        height: auto;
        padding: 1 2;
        color: $text-muted;
    }
    InboxScreen #inbox-list-pane.-empty #inbox-list {
        height: 1;
    }
    InboxScreen #inbox-list-pane.-empty #inbox-empty {
        display: block;
    }
    InboxScreen #inbox-preview {
        height: 1fr;
    }
    InboxScreen.-side #inbox-body {
        layout: horizontal;
    }
    InboxScreen.-side #inbox-list-pane {
        width: 1fr;
        height: 1fr;
    }
    InboxScreen.-side #inbox-preview {
        border-left: solid $primary-muted;
    }
    InboxScreen.-side #inbox-preview:focus {
        border-left: solid $primary;
    }
    InboxScreen.-full #inbox-list-pane {
        display: none;
    }
    InboxScreen.-full #inbox-preview {
        width: 1fr;
        border-left: none;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [  # in the footer in this order: it gets cut
        Binding("x", "forget", "Forget", id="forget"),  # only for a file that is gone
        Binding("slash", "filter", "Filter", key_display="/", id="filter"),
        Binding("u", "toggle_read", "Read/unread", id="read"),
        Binding("N", "note", "Note", id="note"),
        Binding("e", "export", "Export", id="export"),
        Binding("F", "forward", "Forward", id="forward"),
        Binding("A", "archive", "Archive", id="archive"),
        Binding("o", "view", "Viewer", id="view"),  # only with [inbox] viewer
        Binding("z", "toggle_full", "Full screen", id="full"),
        Binding("escape", "back", "Back", id="back"),
    ]

    def __init__(
        self, *, graphics: Graphics | None = None, cache: PreviewCache | None = None
    ) -> None:
        """``graphics``: how pages are drawn (``prepare_graphics`` before the app starts);
        by default the app's."""
        super().__init__()
        self._graphics = graphics
        self.cache = cache or PreviewCache()
        self.full = False
        self.export_to = ("export-pdf", "~/")
        self._filter_timer: Timer | None = None
        self._forgettable: bool | None = False  # what the footer shows for x (forget)

    def compose(self) -> ComposeResult:
        yield Static(id="inbox-title")
        with Container(id="inbox-body"):
            with Vertical(id="inbox-list-pane"):
                yield InboxTable(id="inbox-list")
                yield Static(id="inbox-empty")
            yield PageView(self.cache, self._graphics or self.fax.graphics, id="inbox-preview")
        yield Input(placeholder="filter: number, station ID, note, state, file name…",
                    id="filter")  # fmt: skip
        yield Footer()

    @property
    def table(self) -> InboxTable:
        return self.query_one(InboxTable)

    @property
    def preview(self) -> PageView:
        return self.query_one(PageView)

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        table = self.table
        table.styles_ = self.preview.styles_ = self.fax.styles_
        self._arrange(self.app.size.width)
        table.load(self.fax.inbox.values())
        table.focus()
        self._refresh_view()

    def on_resize(self, event: events.Resize) -> None:
        self._arrange(event.size.width)

    def _arrange(self, width: int) -> None:
        side = width >= SIDE_BY_SIDE
        self.set_class(side, "-side")
        preview = self.preview
        if side and not self.full:
            share = round(width * PREVIEW_SHARE)
            preview.styles.width = min(max(share, PREVIEW_WIDTH[0]), PREVIEW_WIDTH[1])
        else:
            preview.styles.width = None

    # --- the engine's changes (batched by the app) ------------------------------------------

    def inbox_update(self, changed: list[InboxItem], removed: list[str]) -> None:
        self.table.update(changed, removed)
        shown = self.preview.item
        if shown is not None:
            self.preview.show(self.table.items.get(shown.path, shown))
        self._refresh_view()

    def restyle(self, styles: fmt.Styles) -> None:
        self.table.restyle(styles)
        self.preview.restyle(styles)
        self._refresh_view()

    def _refresh_view(self) -> None:
        table = self.table
        empty = not table.rows
        pane = self.query_one("#inbox-list-pane")
        if empty != pane.has_class("-empty"):
            pane.set_class(empty, "-empty")
        if empty:
            self.query_one("#inbox-empty", Static).update(self._empty_words())
        title = self._title()
        box = self.query_one("#inbox-title", Static)
        if box.content != title:
            box.update(title)
        self._refresh_forget()

    def _refresh_forget(self) -> None:
        """Show ``x`` when it applies. Only then: the footer rebuilds itself at each
        refresh_bindings (a dozen widgets restyled, 100+ ms on a big inbox's first paint)."""
        forgettable = self.check_action("forget", ())
        if forgettable != self._forgettable:
            self._forgettable = forgettable
            self.refresh_bindings()

    def _title(self) -> Text:
        table = self.table
        items = table.items.values()
        unread = sum(1 for i in items if not i.read and i.state is not InboxState.MISSING)
        counts: dict[str, int] = {}
        for item in items:
            if item.state not in SHOWABLE:
                counts[item.state] = counts.get(item.state, 0) + 1
        title = Text("Inbox", style="bold", no_wrap=True, overflow="ellipsis", end="")
        count = len(table.items)
        parts = [f"{count:,} fax{'es' if count != 1 else ''}"]
        parts += [f"{unread:,} unread"] if unread else []
        parts += [f"{n:,} {state}" for state, n in sorted(counts.items())]
        if table.marked:
            parts.append(f"{len(table.marked):,} marked")
        title.append(" · " + " · ".join(parts))
        if table.filter_words:
            title.append(f" · {len(table.rows):,} matching “")
            title.append_text(safe_text(" ".join(table.filter_words)))
            title.append("”")
        return title

    def _empty_words(self) -> Text:
        if self.table.filter_words:
            words = " ".join(self.table.filter_words)
            return Text(f"No fax matches “{plain(words)}”. Esc clears the filter.")
        return Text("No faxes received yet: they appear here as they arrive.")

    # --- moving around ----------------------------------------------------------------------

    @on(InboxTable.Highlighted)
    def _highlighted(self, event: InboxTable.Highlighted) -> None:
        table = self.table
        self.preview.show(table.items.get(event.path) if event.path else None)
        self._refresh_forget()

    @on(InboxTable.Opened)
    def _opened(self) -> None:
        self.action_toggle_full()

    @on(InboxTable.MarksChanged)
    def _marks_changed(self) -> None:
        self._refresh_view()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if event.widget is self.preview:
            self._opening(self.preview.item)

    def action_toggle_full(self) -> None:
        self.full = not self.full
        self.set_class(self.full, "-full")
        self._arrange(self.size.width)
        if self.full:
            self.preview.focus()  # which counts as opening the fax
        else:
            self.table.focus()

    def action_back(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display and (box.has_focus or self.table.filter_words):
            self._clear_filter()
        elif self.full:
            self.action_toggle_full()
        elif self.table.marked:
            self.action_clear_marks()
        else:
            self.app.pop_screen()

    def action_clear_marks(self) -> None:
        self.table.clear_marks()

    # --- the filter -------------------------------------------------------------------------

    def action_filter(self) -> None:
        if self.full:
            self.action_toggle_full()
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(FILTER_QUIET, self._apply_filter)

    def _apply_filter(self) -> None:
        self._filter_timer = None
        self.table.set_filter(self.query_one("#filter", Input).value)
        self._refresh_view()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self._apply_filter()
        if not self.table.filter_words:
            self._clear_filter()
        else:
            self.table.focus()

    def _clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False
        self._apply_filter()
        self.table.focus()

    # --- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "forget":
            return any(i.state is InboxState.MISSING for i in self.table.targets())
        if action == "view":
            return bool(self.fax.viewer)
        return True

    def _chosen(self, states: Iterable[InboxState] | None = None) -> list[InboxItem] | None:
        """The faxes the next action applies to (of ``states``), or None after saying why."""
        if self.fax.engine.read_only:
            self.notify(READ_ONLY, severity="warning", markup=False)
            return None
        items = self.table.targets()
        if not items:
            self.notify("No fax selected.", severity="warning", markup=False)
            return None
        if states is not None:
            wanted = set(states)
            left_out = [i for i in items if i.state not in wanted]
            items = [i for i in items if i.state in wanted]
            if left_out:
                names = ", ".join(f"{plain(i.name)} ({i.state})" for i in left_out[:3])
                more = f" and {len(left_out) - 3} more" if len(left_out) > 3 else ""
                self.notify(f"Left out: {names}{more}", severity="warning", markup=False)
        return items or None

    def _opening(self, item: InboxItem | None) -> None:
        """A fax looked at counts as read (quietly: nothing to say if it cannot be)."""
        if item is None or item.read or item.state is InboxState.MISSING:
            return
        if not self.fax.engine.read_only:
            self._command(InboxCommand("read", (item.path,)), quiet=True, marks=False)

    def action_toggle_read(self) -> None:
        items = self._chosen()
        if items:
            action = "unread" if all(i.read for i in items) else "read"
            self._command(InboxCommand(action, tuple(i.path for i in items)), quiet=True)

    def action_note(self) -> None:
        items = self._chosen()
        if not items:
            return
        notes = {i.note for i in items}
        note = notes.pop() if len(notes) == 1 else ""
        paths = tuple(i.path for i in items)

        def answered(text: str | None) -> None:
            if text is not None:
                self._command(InboxCommand("note", paths, text), quiet=True)

        self.app.push_screen(NoteDialog(about(items), note), answered)

    def action_export(self) -> None:
        items = self._chosen(SHOWABLE)
        if not items:
            return
        paths = tuple(i.path for i in items)

        def answered(choice: tuple[str, str] | None) -> None:
            if choice is not None:
                self.export_to = choice
                action, folder = choice
                self._command(InboxCommand(action, paths, folder), title="Export")

        action, folder = self.export_to
        self.app.push_screen(ExportDialog(about(items), folder, action), answered)

    def action_forward(self) -> None:
        items = self._chosen(SHOWABLE)
        if not items:
            return
        paths = tuple(i.path for i in items)
        recent = recent_numbers(self.fax.jobs.values(), self.fax.calls.values())

        def answered(number: str | None) -> None:
            if number is not None:
                self._command(SendFax(number, paths), title="Forward")

        self.app.push_screen(ForwardDialog(about(items), recent), answered)

    def action_archive(self) -> None:
        items = self._chosen()
        if not items:
            return
        question = f"Archive {'this fax' if len(items) == 1 else f'these {len(items)} faxes'}?"
        lines = [summary(i) for i in items]
        lines.append(Text("They move into the archive folder; nothing is deleted.", style="dim"))
        paths = tuple(i.path for i in items)

        def answered(yes: bool | None) -> None:
            if yes:
                self._command(InboxCommand("archive", paths), title="Archive")

        self.app.push_screen(ConfirmScreen(question, lines, "Yes, archive", "No, keep"), answered)

    def action_view(self) -> None:
        """The fax under the cursor in the external viewer, at the page the preview shows
        (reading needs no write access: read-only faxtuis may too). Only with a viewer
        configured (``check_action``)."""
        item = self.table.cursor_item
        if item is None or item.state not in SHOWABLE:
            self.notify("No fax with pages under the cursor.", severity="warning", markup=False)
        else:
            page = self.preview.number if self.preview.item is item else 1
            self.run_worker(self._view(item.path, page), group="inbox-viewer")

    async def _view(self, path: str, page: int) -> None:
        ok, words = await open_in_viewer(self.fax.viewer, path, page)
        self.notify(words, title="Viewer", severity="information" if ok else "error",
                    timeout=5 if ok else 10, markup=False)  # fmt: skip

    def action_forget(self) -> None:
        items = self._chosen([InboxState.MISSING])
        if items:
            self._command(InboxCommand("forget", tuple(i.path for i in items)), title="Inbox")

    def _command(
        self,
        command: InboxCommand | SendFax,
        *,
        title: str = "Inbox",
        quiet: bool = False,
        marks: bool = True,
    ) -> None:
        """Send ``command`` in a worker; the answer is a toast (``quiet``: only a refusal).
        ``marks``: the marks were acted on, and go."""
        if marks:
            self.table.clear_marks()
        self.run_worker(self._send(command, title, quiet), group="inbox-commands")

    async def _send(self, command: InboxCommand | SendFax, title: str, quiet: bool) -> None:
        result = await self.fax.engine.command(command)
        if result.ok and quiet:
            return
        self.notify(result.message, title=title, severity="information" if result.ok else "error",
                    timeout=5 if result.ok else 10, markup=False)  # fmt: skip
