"""What every source has: a task that runs until stopped, and a connection state it reports."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence

from faxtui.model import FaxEvent, LinkState, SourceState, SourceStatus

Emit = Callable[[Sequence[FaxEvent]], None]


class Source:
    """A source runs ``run()`` in a task from ``start()`` until ``stop()``."""

    name: str = ""
    kind: str = ""

    def __init__(self, emit: Emit, clock: Callable[[], float] = time.time) -> None:
        self._emit = emit
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._state: SourceState | None = None

    async def run(self) -> None:
        raise NotImplementedError

    @property
    def up(self) -> bool:
        """Connected and working (perhaps with a warning)."""
        return self._state is not None and self._state.state in (LinkState.UP, LinkState.DEGRADED)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=f"{self.kind}:{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._state is not None:
            self.report(LinkState.STOPPED, "stopped")

    def report(
        self,
        state: LinkState,
        message: str,
        *,
        problem: str = "",
        retry_at: float | None = None,
        detail: str = "",
    ) -> None:
        """Tell the store the connection state; a repeat of the same news is not news."""
        new = SourceState(self.name, self.kind, state, message, problem, self._clock(),
                          retry_at, detail)  # fmt: skip
        old = self._state
        if old is not None and (old.state, old.message, old.problem) == (
            new.state,
            new.message,
            new.problem,
        ):
            return
        self._state = new
        self._emit([SourceStatus(new)])
