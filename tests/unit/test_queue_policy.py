"""What happens to a job after a try: the retry policy, pure, case by case."""

from __future__ import annotations

import pytest

from faxtui.config import QueueConfig
from faxtui.model import Attempt, Job, JobState, Result
from faxtui.queue.policy import after_try, retry_delay

POLICY = QueueConfig(max_tries=3, retry_busy=60, retry_no_answer=300, retry_other=180,
                     kill_after=3 * 3600)  # fmt: skip
NOW = 1_800_000_000.0


def job(*reasons: str, kill_time: float | None = NOW + 3 * 3600, max_tries: int = 3) -> Job:
    """A job whose tries ended with ``reasons`` (the last one just now)."""
    attempts = tuple(
        Attempt(NOW - 60 * (len(reasons) - i), "usb0", ended=NOW, result=Result.FAILED, reason=r)
        for i, r in enumerate(reasons)
    )
    return Job(1, "5550142", "/spool/1.tif", 1, state=JobState.SENDING, attempts=attempts,
               max_tries=max_tries, kill_time=kill_time)  # fmt: skip


def test_success_is_done_whatever_came_before() -> None:
    verdict = after_try(job("busy", "ok"), Result.SUCCESS, "", NOW, POLICY)
    assert (verdict.state, verdict.next_try, verdict.reason) == (JobState.DONE, None, "ok")


@pytest.mark.parametrize(
    ("reason", "wait"),
    [("busy", 60), ("congestion", 60), ("no_answer", 300), ("call_dropped", 180)],
)
def test_a_first_failure_waits_by_its_reason(reason: str, wait: float) -> None:
    verdict = after_try(job(reason), Result.FAILED, reason, NOW, POLICY)
    assert verdict.state is JobState.RETRY_WAIT
    assert verdict.next_try == NOW + wait
    assert verdict.reason == reason


def test_each_try_waits_longer_up_to_four_times_the_base() -> None:
    assert [retry_delay("busy", n, POLICY) for n in range(1, 7)] == [60, 120, 180, 240, 240, 240]


def test_an_interrupted_try_is_not_counted_and_comes_back_soon() -> None:
    interrupted = job("busy", "interrupted", "interrupted", "interrupted")
    assert interrupted.tries == 1
    verdict = after_try(interrupted, Result.FAILED, "interrupted", NOW, POLICY)
    assert verdict.state is JobState.RETRY_WAIT
    assert verdict.next_try == NOW + 30  # min(retry_busy, 30 s): the line was fine


@pytest.mark.parametrize("reason", ["invalid_number", "cancelled"])
def test_a_failure_another_try_cannot_help_is_final_at_once(reason: str) -> None:
    verdict = after_try(job(reason), Result.FAILED, reason, NOW, POLICY)
    assert (verdict.state, verdict.next_try, verdict.reason) == (JobState.FAILED, None, reason)


def test_the_last_allowed_try_fails_for_good_with_its_own_reason() -> None:
    verdict = after_try(job("busy", "busy", "no_answer"), Result.FAILED, "no_answer", NOW, POLICY)
    assert (verdict.state, verdict.reason) == (JobState.FAILED, "no_answer")
    one_more = after_try(job("busy", "busy", "no_answer", max_tries=4), Result.FAILED,
                         "no_answer", NOW, POLICY)  # fmt: skip
    assert one_more.state is JobState.RETRY_WAIT


def test_a_retry_that_would_fall_after_the_kill_time_fails_now_as_kill_time() -> None:
    soon = job("no_answer", kill_time=NOW + 299)  # the retry would be at NOW + 300
    verdict = after_try(soon, Result.FAILED, "no_answer", NOW, POLICY)
    assert (verdict.state, verdict.next_try, verdict.reason) == (JobState.FAILED, None,
                                                                 "kill_time")  # fmt: skip
    in_time = after_try(job("no_answer", kill_time=NOW + 300), Result.FAILED, "no_answer", NOW,
                        POLICY)  # fmt: skip
    assert in_time.state is JobState.RETRY_WAIT
    unlimited = after_try(job("no_answer", kill_time=None), Result.FAILED, "no_answer", NOW,
                          POLICY)  # fmt: skip
    assert unlimited.state is JobState.RETRY_WAIT
