"""What the job keys do, for every screen that shows jobs (the main screen, a job's detail).

A screen says which jobs a key acts on (``job_targets``); the commands go to the engine in a
worker, and its answer (what was done, and why not for each job it refused) is a toast.
"""

from __future__ import annotations

from faxtui.engine import JobCommand
from faxtui.model import Job, JobState
from faxtui.text import safe_text
from faxtui.ui import format as fmt
from faxtui.ui.screens.base import LiveScreen
from faxtui.ui.screens.confirm import ConfirmScreen

READ_ONLY = "read-only: this faxtui does not change the queue"


class JobActions(LiveScreen):
    """``job_resend``, ``job_retry``, ``job_cancel`` (confirmed) and ``job_hold`` actions."""

    def job_targets(self) -> list[Job]:
        """The jobs the next action applies to."""
        return []

    def jobs_acted_on(self) -> None:
        """The action went to the engine (the main screen clears its marks)."""

    def _chosen(self) -> list[Job] | None:
        if self.fax.engine.read_only:
            self.notify(READ_ONLY, severity="warning", markup=False)
            return None
        jobs = self.job_targets()
        if not jobs:
            self.notify("No job selected.", severity="warning", markup=False)
            return None
        return jobs

    def action_job_resend(self) -> None:
        jobs = self._chosen()
        if jobs:
            self._command([("resend", jobs)])

    def action_job_retry(self) -> None:
        jobs = self._chosen()
        if jobs:
            self._command([("retry", jobs)])

    def action_job_hold(self) -> None:
        """Held jobs are released, the others held (the engine says why not, for each)."""
        jobs = self._chosen()
        if not jobs:
            return
        held = [j for j in jobs if j.state is JobState.HELD]
        others = [j for j in jobs if j.state is not JobState.HELD]
        self._command([("release", held), ("hold", others)])

    def action_job_cancel(self) -> None:
        jobs = self._chosen()
        if not jobs:
            return
        question = f"Cancel {'this job' if len(jobs) == 1 else f'these {len(jobs)} jobs'}?"
        lines = [safe_text(fmt.job_summary(j)) for j in jobs]

        def answered(yes: bool | None) -> None:
            if yes:
                self._command([("cancel", jobs)])

        self.app.push_screen(ConfirmScreen(question, lines, "Yes, cancel", "No, keep"), answered)

    def _command(self, actions: list[tuple[str, list[Job]]]) -> None:
        self.jobs_acted_on()
        self.run_worker(self._send(actions), group="job-commands")

    async def _send(self, actions: list[tuple[str, list[Job]]]) -> None:
        ok = True
        words: list[str] = []
        for action, jobs in actions:
            if not jobs:
                continue
            result = await self.fax.engine.command(JobCommand(action, tuple(j.id for j in jobs)))
            ok = ok and result.ok
            words.append(result.message)
        self.notify("; ".join(words), title="Queue", severity="information" if ok else "error",
                    timeout=5 if ok else 10, markup=False)  # fmt: skip
