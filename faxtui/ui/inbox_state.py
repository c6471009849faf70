"""The app's copy of the inbox: received faxes by path, from the snapshot and the changes.

The app keeps one :class:`InboxFeed` (``app.inbox``). ``load`` takes a snapshot's items,
``add`` an ``InboxChange`` as it arrives; ``take`` hands the live screens what changed since
the last time, once a flush (the last word on each path wins), so a rescan of thousands of
files reaches the screens as a few batches, not one call a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from faxtui.inbox.model import InboxItem
from faxtui.model import InboxChange


class InboxFeed(Mapping[str, InboxItem]):
    """Received faxes by path (read only for everyone but the app), and what changed."""

    def __init__(self) -> None:
        self._items: dict[str, InboxItem] = {}
        self._changed: dict[str, InboxItem] = {}
        self._removed: set[str] = set()

    def __getitem__(self, path: str) -> InboxItem:
        return self._items[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def load(self, items: Iterable[InboxItem]) -> None:
        """Everything there is (a snapshot): what is not among ``items`` is gone."""
        self.add(InboxChange(tuple(items), replace=True))

    def add(self, change: InboxChange) -> None:
        if change.replace:
            fresh = {item.path: item for item in change.items}
            for path in self._items.keys() - fresh.keys():
                self._gone(path)
            self._items = fresh
        else:
            self._items.update((item.path, item) for item in change.items)
        for item in change.items:
            if self._changed.get(item.path) is not item:
                self._changed[item.path] = item
            self._removed.discard(item.path)
        for path in change.removed:
            self._items.pop(path, None)
            self._gone(path)

    def _gone(self, path: str) -> None:
        self._changed.pop(path, None)
        self._removed.add(path)

    def take(self) -> tuple[list[InboxItem], list[str]] | None:
        """The items that changed and the paths gone since the last take; None: nothing."""
        if not self._changed and not self._removed:
            return None
        changed = list(self._changed.values())
        removed = sorted(self._removed)
        self._changed.clear()
        self._removed.clear()
        return changed, removed
