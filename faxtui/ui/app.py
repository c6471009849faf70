"""The Textual application: renders the engine's state, turns keys into commands.

The app talks only to the engine (snapshot, subscribe, command, history). Changes arrive in
batches and are applied at most ten times a second; tables are updated by row key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen

from faxtui import heap
from faxtui.engine import EngineApi, Reconnect
from faxtui.model import (
    Call,
    CallChange,
    Change,
    Health,
    HealthChange,
    InboxChange,
    Job,
    JobChange,
    JobState,
    LinkState,
    Resync,
    SourceChange,
    SourceState,
)
from faxtui.store import Subscription
from faxtui.t30.reasons import describe
from faxtui.text import plain
from faxtui.ui import theming
from faxtui.ui.format import DEFAULT_STYLES, summary
from faxtui.ui.inbox_state import InboxFeed
from faxtui.ui.screens.base import LiveScreen
from faxtui.ui.widgets.page_view import Graphics

log = logging.getLogger(__name__)

REFRESH_INTERVAL = 0.1  # at most ten UI updates a second
MAX_TOASTS = (2, 4)  # toasts on screen at once, below and from TALL rows: the newest stay
TALL = 40
TTY_CHECK_INTERVAL = 2.0


class FaxApp(App[int]):
    TITLE = "faxtui"
    CSS_PATH = "faxtui.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", key_display="?", id="help"),
        Binding("i", "inbox", "Inbox", id="inbox", show=False),  # the main screen shows it
    ]

    def __init__(
        self,
        engine: EngineApi,
        *,
        theme: str = "faxtui-dark",
        linger: float = 60.0,
        bell: bool = False,
        notify: str = "failures",
        before_start: Callable[[], Awaitable[None]] | None = None,
        after_stop: Callable[[], Awaitable[None]] | None = None,
        startup_warnings: Iterable[str] = (),
        settle_heap: bool = False,
        graphics: Graphics | None = None,
        viewer: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self._settle_heap = settle_heap  # the process is ours: tune its collector once started
        self.engine = engine
        self.linger = linger
        self.bell_on_failure = bell
        self.notify_on = notify
        self._before_start = before_start
        self._after_stop = after_stop
        self._startup_warnings = list(startup_warnings)
        self._wanted_theme = theming.remembered_theme() or theme
        # What the engine told us, for rendering; always replaced, never edited by widgets.
        self.calls: dict[str, Call] = {}
        self.sources: dict[str, SourceState] = {}
        self.health: Health | None = None
        self.jobs: dict[int, Job] = {}
        self.inbox = InboxFeed()
        self.graphics = graphics or Graphics()  # how fax pages are drawn (prepare_graphics)
        self.viewer = viewer  # [inbox] viewer: the external viewer's command line
        self.styles_ = DEFAULT_STYLES
        self._pending: dict[object, Change] = {}
        self._flush_timer: object | None = None
        self._last_flush = 0.0

    # --- start and stop ---------------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        from faxtui.ui.screens.main import MainScreen

        return MainScreen()

    async def on_mount(self) -> None:
        for theme in theming.load_themes():
            self.register_theme(theme)
        if self._wanted_theme in self.available_themes:
            self.theme = self._wanted_theme
        self.styles_ = theming.styles_for(self)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        for warning in self._startup_warnings:
            self.notify(warning, severity="warning", timeout=15, markup=False)
        if self._before_start is not None:
            await self._before_start()
        await self.engine.start()
        subscription = self.engine.subscribe()  # first: nothing published after it is lost
        self._take_snapshot()
        self.run_worker(
            self._follow(subscription), exclusive=True, group="engine", exit_on_error=False
        )
        self.set_interval(1.0, self._tick)
        self._watch_terminal()
        if self._settle_heap:
            heap.settle()

    async def on_unmount(self) -> None:
        await self.engine.stop()
        if self._after_stop is not None:
            await self._after_stop()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Textual's toast, but a burst of failures (a trunk going down) must not bury the
        screen at 80x24: beyond a few toasts the oldest go (they are in the event log)."""
        keep = MAX_TOASTS[self.size.height >= TALL] - 1
        shown = list(self._notifications)  # Textual's own list, oldest first (8.2)
        for old in shown[: max(len(shown) - keep, 0)]:
            self._unnotify(old, refresh=False)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def _fatal_error(self) -> None:
        """Textual prints a crash with the local variables; ours could hold a secret."""
        from rich.traceback import Traceback

        log.error("faxtui crashed", exc_info=True)
        self.bell()
        traceback = Traceback(show_locals=False, width=None)
        self._exit_renderables.append(traceback)
        self._close_messages_no_wait()

    def _watch_terminal(self) -> None:
        """Leave cleanly when the terminal goes away (an SSH session dropped)."""
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._terminal_gone)
        if sys.__stdin__ is not None and sys.__stdin__.isatty():
            self.set_interval(TTY_CHECK_INTERVAL, self._check_tty)

    def _check_tty(self) -> None:
        """A hung-up terminal fails every tty ioctl (EIO): then nobody is watching."""
        stdin = sys.__stdin__
        try:
            if stdin is not None:
                os.tcgetpgrp(stdin.fileno())
        except OSError:
            self._terminal_gone()

    def _terminal_gone(self) -> None:
        self.exit(0)

    # --- engine changes ---------------------------------------------------------------------

    def _take_snapshot(self) -> None:
        snapshot = self.engine.snapshot()
        self.calls = {c.id: c for c in snapshot.calls if self._showable(c, time.time())}
        self.sources = {s.name: s for s in snapshot.sources}
        self.health = snapshot.health
        self.jobs = {j.id: j for j in snapshot.jobs}
        self.inbox.load(snapshot.inbox)
        self._render_all()

    async def _follow(self, subscription: Subscription) -> None:
        async for batch in subscription:
            for change in batch:
                match change:
                    case CallChange(call=call):
                        self._pending[("call", call.id)] = change
                    case SourceChange(state=state):
                        self._pending[("source", state.name)] = change
                    case HealthChange():
                        self._pending["health"] = change
                    case JobChange(job=job):
                        self._pending[("job", job.id)] = change
                    case InboxChange():
                        self.inbox.add(change)  # the feed keeps every change until a flush
                        self._pending["inbox"] = change
                    case Resync():
                        self._pending.clear()
                        self._take_snapshot()
            self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._flush_timer is not None or not self._pending:
            return
        wait = self._last_flush + REFRESH_INTERVAL - time.monotonic()
        # (a Textual timer of 0 s divides by zero: the minimum is one frame)
        self._flush_timer = self.set_timer(max(wait, 1 / 60), self._apply_pending)

    def _apply_pending(self) -> None:
        self._flush_timer = None
        self._last_flush = time.monotonic()
        pending, self._pending = self._pending, {}
        changed: list[Call] = []
        jobs: list[Job] = []
        sources_changed = False
        for change in pending.values():
            match change:
                case CallChange(call=call):
                    self._note_transition(self.calls.get(call.id), call)
                    self.calls[call.id] = call
                    changed.append(call)
                case SourceChange(state=state):
                    self._note_source(self.sources.get(state.name), state)
                    self.sources[state.name] = state
                    sources_changed = True
                case HealthChange(health=health):
                    self.health = health
                case JobChange(job=job):
                    self._note_job(self.jobs.get(job.id), job)
                    self.jobs[job.id] = job
                    jobs.append(job)
        with self.batch_update():
            for screen in self._live_screens():
                screen.engine_update(changed, sources_changed)
                if jobs:
                    screen.jobs_update(jobs)
            self._inbox_to_screens()

    def _note_transition(self, before: Call | None, after: Call) -> None:
        if after.ended is None or (before is not None and before.ended is not None):
            return
        if after.result == "success":
            if self.notify_on == "all":
                text = f"{summary(after)}: {after.pages} page(s)"
                self._news(text, title="Fax done")
        elif self.notify_on != "none" or self.bell_on_failure:
            reason = describe(after.reason)
            if self.notify_on != "none":
                self._news(f"{summary(after)}: {reason.text}. {reason.hint}", title="Fax failed",
                           severity="error", timeout=10)  # fmt: skip
            if self.bell_on_failure:
                self.bell()

    def _note_job(self, before: Job | None, after: Job) -> None:
        """A toast when a job is done or has failed for good (and the bell, if asked)."""
        if not after.state.final or (before is not None and before.state.final):
            return
        if before is None and after.state.final:
            return  # an old job seen for the first time
        who = f"job {after.id} to {plain(after.number)}"
        if after.state is JobState.DONE:
            if self.notify_on == "all":
                self._news(f"{who}: {after.pages} page(s) sent", title="Fax sent")
        elif after.state is JobState.FAILED:
            reason = describe(after.reason)
            if self.notify_on != "none":
                self._news(f"{who}: {reason.text}. {reason.hint}", title="Fax job failed",
                           severity="error", timeout=10)  # fmt: skip
            if self.bell_on_failure:
                self.bell()

    def _note_source(self, before: SourceState | None, after: SourceState) -> None:
        worse = after.state in (LinkState.DOWN, LinkState.DEGRADED)
        if worse and (before is None or before.problem != after.problem):
            self._news(after.message, title=after.name, severity="warning")

    def _news(
        self,
        message: str,
        *,
        title: str,
        severity: SeverityLevel = "information",
        timeout: float | None = None,
    ) -> None:
        """A toast about the engine's news, unless a dialog is open: over it a toast would hide
        the question being asked (the event log keeps the news, the bell still rings)."""
        if not isinstance(self.screen, ModalScreen):
            self.notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        """As Textual's; a dialog opens on a clean screen: earlier toasts go."""
        if isinstance(screen, ModalScreen):
            self.clear_notifications()
        return super().push_screen(screen, *args, **kwargs)

    def _tick(self) -> None:
        """Once a second: elapsed times, and finished calls leave after the linger time."""
        now = time.time()
        gone = [k for k, c in self.calls.items() if not self._showable(c, now)]
        for key in gone:
            del self.calls[key]
        for screen in self._live_screens():
            screen.engine_tick(now, bool(gone))

    def _showable(self, call: Call, now: float) -> bool:
        return call.ended is None or now - call.ended < self.linger

    def _render_all(self) -> None:
        for screen in self._live_screens():
            screen.engine_update(list(self.calls.values()), True)
            screen.jobs_update(list(self.jobs.values()))
        self._inbox_to_screens()

    def _inbox_to_screens(self) -> None:
        """What changed in the inbox since the last flush, to the screens that show it."""
        taken = self.inbox.take()
        if taken is not None:
            for screen in self._live_screens():
                screen.inbox_update(*taken)

    def _live_screens(self) -> list[LiveScreen]:
        """Mounted screens that show engine state (they get every batch of changes)."""
        if not self.is_running:
            return []  # shutting down: timers still fire while the widgets go away
        return [s for s in self.screen_stack if isinstance(s, LiveScreen) and s.is_mounted]

    # --- themes -----------------------------------------------------------------------------

    def _theme_changed(self, theme: object) -> None:
        self.styles_ = theming.styles_for(self)
        theming.remember_theme(self.theme)
        for screen in self._live_screens():
            screen.restyle(self.styles_)

    # --- actions ----------------------------------------------------------------------------

    def action_help(self) -> None:
        from faxtui.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    async def action_reconnect(self) -> None:
        result = await self.engine.command(Reconnect())
        self.notify(result.message, markup=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # q in a dialog is not a reason to leave (esc closes the dialog)
        return not (action == "quit" and isinstance(self.screen, ModalScreen))

    async def action_quit(self) -> None:
        """Quit, after a question if this process drives a modem call: it would be cut off."""
        mine = self.engine.modems
        cut = [c for c in self.calls.values()
               if c.ended is None and c.origin == "modem" and c.source in mine]  # fmt: skip
        if not cut:
            self.exit()
            return
        from faxtui.ui.screens.confirm import ConfirmScreen

        lines = [Text(f"{summary(c)}: {plain(c.status) or 'in progress'}") for c in cut]
        lines.append(Text("A queued fax is tried again when faxtui starts (the try is not "
                          "counted); a fax being received is lost.", style="dim"))  # fmt: skip
        question = f"Quit? {len(cut)} fax call(s) on this faxtui's modems will be cut off."

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(ConfirmScreen(question, lines, "Yes, quit", "No, stay"), answered)

    def action_inbox(self) -> None:
        from faxtui.ui.screens.inbox import InboxScreen

        if not isinstance(self.screen, InboxScreen):
            self.push_screen(InboxScreen())

    def action_new_fax(self) -> None:
        from faxtui.ui.screens.job_actions import READ_ONLY
        from faxtui.ui.screens.send import NewFaxScreen

        if self.engine.read_only:
            self.notify(READ_ONLY, severity="warning", markup=False)
        elif not isinstance(self.screen, NewFaxScreen):
            self.push_screen(NewFaxScreen(), self._fax_queued)

    def _fax_queued(self, job: Job | None) -> None:
        from faxtui.ui.screens.main import MainScreen

        if job is not None and isinstance(self.screen, MainScreen):
            self.screen.follow_job(job.id)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        from faxtui.ui.screens.main import MainScreen

        yield from super().get_system_commands(screen)
        yield SystemCommand("New fax", "Send documents to a number (n)", self.action_new_fax)
        yield SystemCommand("Inbox", "Received faxes and their pages (i)", self.action_inbox)
        yield SystemCommand("Reconnect", "Retry every AMI connection now", self.action_reconnect)
        yield SystemCommand("History", "Finished calls from the history database",
                            lambda: self.run_action("screen.history"))  # fmt: skip
        yield SystemCommand("Event log", "Show or hide the event log",
                            lambda: self.run_action("screen.toggle_log"))  # fmt: skip
        if not isinstance(screen, MainScreen):
            return
        which = "the marked jobs, or the one under the queue's cursor"
        for title, help_, action in (
            ("Queue: resend", f"A new job for each of {which} (r)", "job_resend"),
            ("Queue: retry now", f"Try {which} now (R)", "job_retry"),
            ("Queue: cancel", f"Cancel {which}, after a question (c)", "job_cancel"),
            ("Queue: hold or release", f"Hold {which}; release held ones (h)", "job_hold"),
            ("Queue: clear the marks", "Unmark every job (space marks one)", "clear_marks"),
        ):
            yield SystemCommand(title, help_, lambda a=action: self.run_action(f"screen.{a}"))
