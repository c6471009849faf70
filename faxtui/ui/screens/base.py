"""The base of every screen that shows engine state."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen

from faxtui.inbox.model import InboxItem
from faxtui.model import Call, Job
from faxtui.ui.format import Styles

if TYPE_CHECKING:
    from faxtui.ui.app import FaxApp


class LiveScreen(Screen[None]):
    """The app hands every mounted LiveScreen the batched engine changes."""

    @property
    def fax(self) -> FaxApp:
        return cast("FaxApp", self.app)

    def engine_update(self, changed: list[Call], sources_changed: bool) -> None:
        """Calls that changed since the last update (at most ten times a second)."""

    def jobs_update(self, changed: list[Job]) -> None:
        """Jobs of the queue that changed (batched with the calls)."""

    def inbox_update(self, changed: list[InboxItem], removed: list[str]) -> None:
        """Received faxes that are new or changed, and the paths that left the inbox (batched
        with the calls)."""

    def engine_tick(self, now: float, removed: bool) -> None:
        """Once a second; ``removed`` when finished calls left the live set."""

    def restyle(self, styles: Styles) -> None:
        """The theme changed."""
