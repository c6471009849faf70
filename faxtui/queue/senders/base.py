"""What every sender offers the queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from faxtui.model import Call, Job, Result


@dataclass(frozen=True, slots=True)
class Outcome:
    result: Result
    reason: str
    detail: str = ""
    pages: int = 0


class CallWatch(Protocol):
    """The queue's view of the calls in the store: a sender waits for its call's end."""

    async def ended(self, call_id: str, timeout: float | None = None) -> Call | None: ...

    def call(self, call_id: str) -> Call | None: ...


class Sender(Protocol):
    name: str
    kind: str  # "modem", "asterisk"
    capacity: int  # calls at once

    @property
    def ready(self) -> bool:
        """Connected and able to dial now."""
        ...

    def call_id(self, job: Job, attempt: int) -> str:
        """The id the call of this try will have in the store, known before dialling."""
        ...

    async def send(self, job: Job, call_id: str) -> Outcome:
        """Place the call and return how it ended; cancelling hangs up."""
        ...


def outcome_of(call: Call) -> Outcome:
    return Outcome(call.result, call.reason or "unknown", call.reason_detail, call.pages)
