"""What happens to a job after a try: done, another try (when), or failed for good. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from faxtui.config import QueueConfig
from faxtui.model import Job, JobState, Result
from faxtui.t30.reasons import describe


@dataclass(frozen=True, slots=True)
class Verdict:
    state: JobState
    next_try: float | None
    reason: str  # the code that decided it (the try's own, or "kill_time")


def retry_delay(reason: str, tries: int, policy: QueueConfig) -> float:
    """Busy soon, no answer later, the rest in between; each try waits a little longer."""
    if reason in ("busy", "congestion"):
        base = policy.retry_busy
    elif reason == "no_answer":
        base = policy.retry_no_answer
    elif reason == "interrupted":  # our own restart: the line was fine
        base = min(policy.retry_busy, 30.0)
    else:
        base = policy.retry_other
    return base * min(tries, 4) if tries > 1 else base


def after_try(job: Job, result: Result, reason: str, now: float, policy: QueueConfig) -> Verdict:
    """The job's next state once a try has ended with ``result`` and ``reason``."""
    if result is Result.SUCCESS:
        return Verdict(JobState.DONE, None, reason or "ok")
    if not describe(reason).retry:  # an invalid number, a cancel: trying again cannot help
        return Verdict(JobState.FAILED, None, reason)
    if job.tries >= job.max_tries:
        return Verdict(JobState.FAILED, None, reason)
    next_try = now + retry_delay(reason, job.tries, policy)
    if job.kill_time is not None and next_try > job.kill_time:
        return Verdict(JobState.FAILED, None, "kill_time")
    return Verdict(JobState.RETRY_WAIT, next_try, reason)
