"""The queue on screen, against the real queue (its jobs seeded in its database; no sender, so
nothing is dialled): what the rows say, and what each key does to the jobs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.command import CommandPalette
from textual.widgets import DataTable, Input, Static

from faxtui.model import Job, JobState
from faxtui.ui.app import FaxApp
from faxtui.ui.screens.call import CallScreen
from faxtui.ui.screens.confirm import ConfirmScreen
from faxtui.ui.screens.help import HelpScreen
from faxtui.ui.screens.job import JobScreen
from faxtui.ui.screens.main import MainScreen
from faxtui.ui.screens.send import FilePicker, FileTree, NewFaxScreen, split_files
from faxtui.ui.widgets.calls_table import CallsTable
from faxtui.ui.widgets.queue_table import QueueTable
from tests.conftest import wait_for
from tests.ui.conftest import (
    BUSY_ID,
    DONE_JOB,
    EVENTS,
    FAILED_JOB,
    HELD_JOB,
    HOSTILE,
    JOB_EVENTS,
    JOBS,
    OUTBOUND_ID,
    PDF,
    QUEUED_JOB,
    RETRY_JOB,
    SENDING_JOB,
    AppFactory,
    calls_table,
    inject,
    screen_text,
)

SIZE = (80, 24)
T = 10.0  # seconds to wait for anything


def queue(app: FaxApp) -> QueueTable:
    return app.screen.query_one(QueueTable)


def cells(table: DataTable[Any], key: str | int) -> dict[str, str]:
    row = table.get_row(str(key))
    return {
        str(column.key.value): c.plain if isinstance(c, Text) else str(c)
        for column, c in zip(table.ordered_columns, row, strict=True)
    }


def rows(table: DataTable[Any]) -> list[int]:
    return [int(str(row.key.value)) for row in table.ordered_rows]


def engine_job(app: FaxApp, job_id: int) -> Job:
    (job,) = [j for j in app.engine.snapshot().jobs if j.id == job_id]
    return job


def toasts(app: FaxApp) -> list[tuple[str, str]]:
    return [(n.message, n.severity) for n in app._notifications]


async def _started(pilot: Any, *, sending: bool = True) -> None:
    await inject(pilot, (*EVENTS, *JOB_EVENTS) if sending else EVENTS)


async def _to_job(pilot: Any, job_id: int) -> QueueTable:
    """Focus the queue (tab) and put its cursor on ``job_id``."""
    app = pilot.app
    await pilot.press("tab")
    table = queue(app)
    assert table.has_focus
    for _ in range(table.get_row_index(str(job_id))):
        await pilot.press("down")
    assert table.cursor_job_id == job_id
    return table


# --- what the rows say -----------------------------------------------------------------------


async def test_the_queue_shows_every_job_in_id_order_with_state_try_next_and_reason(
    make_app: AppFactory,
) -> None:
    app = make_app(jobs=JOBS)
    async with app.run_test(size=SIZE) as pilot:
        await _started(pilot)
        table = queue(app)
        assert rows(table) == [j.id for j in JOBS]
        assert cells(table, DONE_JOB)["reason"] == "✓ sent, 2 pages"
        failed = cells(table, FAILED_JOB)
        assert [failed[k] for k in ("state", "try", "reason")] == ["failed", "3/3", "✗ no answer"]
        waiting = cells(table, RETRY_JOB)
        assert (waiting["state"], waiting["try"], waiting["next"], waiting["reason"]) == (
            "retry-wait", "1/3", "08:04", "line dropped",
        )  # fmt: skip
        assert cells(table, QUEUED_JOB)["next"] == "now"
        assert cells(table, HELD_JOB)["state"] == "held"
        # a job in a call shows what its call is doing
        assert cells(table, SENDING_JOB)["reason"].startswith("fax session started")
        pane = app.screen.query_one("#queue-pane")
        assert str(pane.border_title) == (
            "Queue · 1 failed · 1 sending · 1 to retry · 1 held · 1 queued · 1 done"
        )


async def test_the_next_try_becomes_now_when_due_and_finished_jobs_leave_after_an_hour(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch, frozen_time: float
) -> None:
    import time

    app = make_app(jobs=JOBS)
    async with app.run_test(size=SIZE) as pilot:
        await _started(pilot)
        table = queue(app)
        monkeypatch.setattr(time, "time", lambda: frozen_time + 700)
        await wait_for(lambda: DONE_JOB not in rows(table), T)  # updated 3650 s ago
        assert FAILED_JOB in rows(table)  # 1300 s ago: stays
        assert cells(table, RETRY_JOB)["next"] == "now"


async def test_an_empty_queue_says_how_to_send(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await inject(pilot)
        assert not queue(app).display
        assert "No faxes queued. n sends one." in screen_text(app)
        await pilot.press("tab")
        assert not queue(app).has_focus  # nothing to act on: tab skips it


async def test_at_80x24_both_panes_stay_usable(make_app: AppFactory) -> None:
    app = make_app(jobs=JOBS)
    async with app.run_test(size=SIZE) as pilot:
        await _started(pilot)
        calls = calls_table(app)
        assert calls.size.height >= 6  # the header and five calls
        assert queue(app).size.height == len(JOBS) + 1  # every job, no scrolling
        assert queue(app).region.y > calls.region.y  # below the calls


async def test_a_wide_terminal_puts_the_queue_beside_the_calls(make_app: AppFactory) -> None:
    app = make_app(jobs=JOBS)
    async with app.run_test(size=(160, 48)) as pilot:
        await _started(pilot)
        calls, table = calls_table(app), queue(app)
        assert table.region.x >= calls.region.right
        assert table.region.y == calls.region.y
        assert calls.region.width + table.region.width <= 160
        assert table.virtual_size.width <= table.region.width  # no sideways scrolling


async def test_a_resize_rearranges_the_panes_and_their_columns(make_app: AppFactory) -> None:
    app = make_app(jobs=JOBS)
    async with app.run_test(size=SIZE) as pilot:
        await _started(pilot)
        table = queue(app)
        await pilot.resize_terminal(200, 50)
        await wait_for(lambda: table.region.x > 0, T)
        assert "pages" in [str(k.value) for k in table.columns]  # 89 beside the calls: medium
        await pilot.resize_terminal(*SIZE)
        await wait_for(lambda: table.region.x == 0, T)
        assert "pages" not in [str(k.value) for k in table.columns]
        assert rows(table) == [j.id for j in JOBS]
        assert table.virtual_size.width <= table.region.width


async def test_hostile_file_names_and_details_stay_plain_text(make_app: AppFactory) -> None:
    name = "/tmp/\x1b[2J\x1b]0;owned\x07[bold red]x.pdf"
    hostile = replace(JOBS[FAILED_JOB - 1], documents=(name,), detail=HOSTILE)
    app = make_app(jobs=(JOBS[0], hostile))
    async with app.run_test(size=(140, 30)) as pilot:  # the wide layout shows the document
        await _started(pilot, sending=False)
        assert cells(queue(app), FAILED_JOB)["document"].startswith("␛[2J␛]0;owned␇[b")
        await _to_job(pilot, FAILED_JOB)
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, JobScreen), T)
        await pilot.pause()
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "\x07" not in svg
        text = screen_text(app)
        assert "files /tmp/␛[2J␛]0;owned␇[bold red]x.pdf" in text
        assert "(␛[2J␛]0;owned␇[bold red]x[/])" in text


# --- the keys --------------------------------------------------------------------------------


async def test_c_asks_first_then_cancels_the_job(make_app: AppFactory) -> None:
    app = make_app(jobs=JOBS)
    async with app.run_test(size=SIZE) as pilot:
        await _started(pilot)
        table = await _to_job(pilot, QUEUED_JOB)
        await pilot.press("c")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), T)
        assert "job 4 to +15125550188 (queued, 1 page)" in screen_text(app)
        await pilot.press("escape")  # backs out: nothing happens
        await wait_for(lambda: isinstance(app.screen, MainScreen), T)
        await pilot.pause()
        assert engine_job(app, QUEUED_JOB).state is JobState.QUEUED
        await pilot.press("c")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), T)
        await pilot.press("enter")
        await wait_for(lambda: cells(table, QUEUED_JOB)["state"] == "cancelled", T)
        assert engine_job(app, QUEUED_JOB).state is JobState.CANCELLED
        assert ("cancelling job 4", "information") in toasts(app)
        assert table.has_focus


async def test_space_marks_two_jobs_then_h_holds_both_and_h_releases(
    make_app: AppFactory,
) -> None:
    app = make_app(jobs=JOBS)
    async with app.run_test(size=SIZE) as pilot:
        await _started(pilot)
        table = await _to_job(pilot, RETRY_JOB)
        await pilot.press("space", "space")  # each mark steps down: jobs 3 and 4
        assert table.marked == {RETRY_JOB, QUEUED_JOB}
        assert cells(table, RETRY_JOB)["mark"] == "●"
        assert "2 marked" in str(app.screen.query_one("#queue-pane").border_title)
        await pilot.press("h")
        await wait_for(
            lambda: {cells(table, i)["state"] for i in (RETRY_JOB, QUEUED_JOB)} == {"held"}, T
        )
        assert {engine_job(app, i).state for i in (RETRY_JOB, QUEUED_JOB)} == {JobState.HELD}
        assert not table.marked and cells(table, RETRY_JOB)["mark"] == ""  # cleared after
        assert engine_job(app, HELD_JOB).state is JobState.HELD  # unmarked: untouched
        table.select_job(RETRY_JOB)
        await pilot.press("h")  # held: released
        await wait_for(lambda: engine_job(app, RETRY_JOB).state is JobState.QUEUED, T)


async def test_escape_unmarks_first_then_clears_the_filter(make_app: AppFactory) -> None:
    app = make_app(jobs=JOBS)
    async with app.run_test(size=(160, 48)) as pilot:
        await _started(pilot)
        await pilot.press("tab", "slash", *"5550", "enter")
        table = queue(app)
        await wait_for(lambda: rows(table) == [FAILED_JOB, QUEUED_JOB, HELD_JOB, SENDING_JOB], T)
        await pilot.press("space", "space")
        assert table.marked == {FAILED_JOB, QUEUED_JOB}
        assert "esc Unmark all" in screen_text(app).splitlines()[-1]
        await pilot.press("escape")
        assert not table.marked
        assert cells(table, FAILED_JOB)["mark"] == ""
        assert "Unmark all" not in screen_text(app).splitlines()[-1]
        await pilot.press("escape")  # no marks: escape is the screen's again
        await wait_for(lambda: rows(table) == [j.id for j in JOBS], T)


async def test_r_resends_a_failed_job_as_a_new_one(make_app: AppFactory) -> None:
    app = make_app(jobs=JOBS)
    async with app.run_test(size=SIZE) as pilot:
        await _started(pilot)
        table = await _to_job(pilot, FAILED_JOB)
        await pilot.press("r")
        new = len(JOBS) + 1
        await wait_for(lambda: new in rows(table), T)
        job = engine_job(app, new)
        assert (job.resent_from, job.number, job.state) == (FAILED_JOB, "5550117", JobState.QUEUED)
        assert cells(table, new)["reason"] == "waiting for a line (resend of job 2)"
        assert (f"resent as job {new}", "information") in toasts(app)


async def test_capital_r_tries_a_waiting_job_now(make_app: AppFactory) -> None:
    app = make_app(jobs=JOBS)
    async with app.run_test(size=SIZE) as pilot:
        await _started(pilot)
        table = await _to_job(pilot, RETRY_JOB)
        await pilot.press("R")
        await wait_for(lambda: cells(table, RETRY_JOB)["state"] == "queued", T)
        assert cells(table, RETRY_JOB)["next"] == "now"
        assert cells(table, RETRY_JOB)["reason"] == "due now, last: line dropped"


async def test_what_the_queue_refuses_is_an_error_toast_naming_the_job(
    make_app: AppFactory,
) -> None:
    app = make_app(jobs=JOBS)
    async with app.run_test(size=SIZE) as pilot:
        await _started(pilot)
        await _to_job(pilot, QUEUED_JOB)
        await pilot.press("r")  # not finished: nothing to resend
        await wait_for(lambda: any(s == "error" for _, s in toasts(app)), T)
        assert ("job 4 is queued: only a finished job can be resent", "error") in toasts(app)
        assert len(app.engine.snapshot().jobs) == len(JOBS)


async def test_read_only_refuses_every_job_key_and_the_new_fax(make_app: AppFactory) -> None:
    app = make_app(jobs=JOBS, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await _started(pilot)
        await _to_job(pilot, QUEUED_JOB)
        for key in ("c", "h", "r", "R", "n"):
            app.clear_notifications()
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, MainScreen), key
            assert toasts(app) == [
                ("read-only: this faxtui does not change the queue", "warning")
            ], key
        unchanged = {j.id: j.state for j in JOBS} | {SENDING_JOB: JobState.SENDING}
        assert {j.id: engine_job(app, j.id).state for j in JOBS} == unchanged


async def test_the_job_keys_show_in_the_footer_only_while_the_queue_has_the_focus(
    make_app: AppFactory,
) -> None:
    app = make_app(jobs=JOBS)
    async with app.run_test(size=(160, 48)) as pilot:
        await _started(pilot)
        footer = screen_text(app).splitlines()[-1]
        assert "h History" in footer and "i Inbox" in footer and "n New fax" in footer
        assert "Resend" not in footer
        await pilot.press("tab")
        footer = screen_text(app).splitlines()[-1]
        for words in ("space Mark", "r Resend", "R Retry now", "c Cancel", "h Hold/release"):
            assert words in footer
        assert "History" not in footer and "Reconnect" not in footer


async def test_slash_filters_both_panes(make_app: AppFactory) -> None:
    app = make_app(jobs=JOBS)
    async with app.run_test(size=SIZE) as pilot:
        await _started(pilot)
        await pilot.press("tab", "slash", *"5550117")
        table = queue(app)
        await wait_for(lambda: rows(table) == [FAILED_JOB], T)
        assert [r.key.value for r in calls_table(app).ordered_rows] == [BUSY_ID]
        await pilot.press("enter")
        assert table.has_focus  # back where the filter started
        await pilot.press("slash", *"xyz")  # the box selects its text: typing replaces it
        await wait_for(lambda: not table.display, T)
        assert "No job matches “xyz”." in screen_text(app)
        await pilot.press("escape")
        await wait_for(lambda: rows(table) == [j.id for j in JOBS], T)  # in id order again


async def test_question_mark_lists_the_queue_keys(make_app: AppFactory) -> None:
    app = make_app(jobs=JOBS)
    async with app.run_test(size=(100, 40)) as pilot:
        await _started(pilot)
        await pilot.press("question_mark")
        await wait_for(lambda: isinstance(app.screen, HelpScreen), T)
        text = screen_text(app)
        for words in ("New fax", "In the queue", "space", "Mark", "Resend", "Retry now",
                      "Cancel", "Hold/release"):  # fmt: skip
            assert words in text


async def test_the_palette_has_new_fax_and_the_queue_commands(make_app: AppFactory) -> None:
    app = make_app(jobs=JOBS)
    async with app.run_test(size=(100, 30)) as pilot:
        await _started(pilot)
        await _to_job(pilot, HELD_JOB)
        await pilot.press("ctrl+p")
        await wait_for(lambda: isinstance(app.screen, CommandPalette), T)
        await pilot.press(*"queue cancel")
        await wait_for(lambda: "Cancel the marked jobs" in screen_text(app), T)
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), T)
        await pilot.press("y")
        await wait_for(lambda: engine_job(app, HELD_JOB).state is JobState.CANCELLED, T)
        await pilot.press("ctrl+p")
        await wait_for(lambda: isinstance(app.screen, CommandPalette), T)
        await pilot.press(*"new fax")
        await wait_for(lambda: "Send documents to a number" in screen_text(app), T)
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, NewFaxScreen), T)


# --- a job's detail ----------------------------------------------------------------------------


async def test_enter_shows_the_job_with_every_try_and_why(make_app: AppFactory) -> None:
    app = make_app(jobs=JOBS)
    async with app.run_test(size=SIZE) as pilot:
        await _started(pilot)
        await _to_job(pilot, FAILED_JOB)
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, JobScreen), T)
        await pilot.pause()
        text = screen_text(app)
        assert "Job 2 to 5550117 · failed · 1 page · fine · try 3/3" in text
        assert "files /home/ops/invoice 4711.pdf" in text
        assert "✗ nobody answered  (NO ANSWER (cause 19))" in text
        assert "next: Retry later; check the number is a fax line." in text
        tries = app.screen.query_one("#attempts", DataTable)
        reasons = [cells(tries, i)["reason"] for i in range(3)]
        assert reasons == ["busy  BUSY (cause 17)", "busy  BUSY (cause 17)",
                           "no answer  NO ANSWER (cause 19)"]  # fmt: skip
        assert cells(tries, 2)["time"] == "0:45"
        await pilot.press("escape")
        await wait_for(lambda: isinstance(app.screen, MainScreen), T)


async def test_the_job_keys_work_in_the_detail_and_it_follows_the_job(
    make_app: AppFactory,
) -> None:
    app = make_app(jobs=JOBS)
    async with app.run_test(size=SIZE) as pilot:
        await _started(pilot)
        await _to_job(pilot, RETRY_JOB)
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, JobScreen), T)
        await pilot.press("h")
        await wait_for(lambda: "· held ·" in screen_text(app), T)
        await pilot.press("c", "y")
        await wait_for(lambda: "· cancelled ·" in screen_text(app), T)
        assert engine_job(app, RETRY_JOB).state is JobState.CANCELLED


async def test_enter_on_a_try_opens_its_call(make_app: AppFactory) -> None:
    app = make_app(jobs=JOBS)
    async with app.run_test(size=SIZE) as pilot:
        await _started(pilot)
        await _to_job(pilot, SENDING_JOB)
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, JobScreen), T)
        await pilot.press("enter")  # its only try: the call in phase B now
        await wait_for(lambda: isinstance(app.screen, CallScreen), T)
        assert app.screen.call.id == OUTBOUND_ID  # type: ignore[attr-defined]
        await pilot.press("escape", "escape")
        await wait_for(lambda: isinstance(app.screen, MainScreen), T)
        assert queue(app).has_focus
        queue(app).select_job(FAILED_JOB)
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, JobScreen), T)
        await pilot.press("enter")  # a call of long ago, in neither place
        await wait_for(lambda: any("not in the history" in m for m, _ in toasts(app)), T)
        assert isinstance(app.screen, JobScreen)


# --- a new fax -------------------------------------------------------------------------------


async def _new_fax(pilot: Any, number: str, files: str) -> NewFaxScreen:
    await pilot.press("n")
    await wait_for(lambda: isinstance(pilot.app.screen, NewFaxScreen), T)
    screen = pilot.app.screen
    await pilot.press(*number, "enter")  # enter: on to the files
    assert screen.query_one("#files", Input).has_focus
    await pilot.press(*files)
    return screen


async def test_n_with_a_missing_file_names_it_and_queues_nothing(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(jobs=JOBS)
    async with app.run_test(size=SIZE) as pilot:
        await _started(pilot)
        missing = tmp_path / "gone.pdf"
        screen = await _new_fax(pilot, "5551234", f"{PDF} {missing}")
        await pilot.press("ctrl+s")
        error = screen.query_one("#send-error", Static)
        await wait_for(lambda: "no such file" in str(error.render()), T)
        assert str(missing) in str(error.render())
        assert app.screen is screen  # still open, to fix the file
        assert len(app.engine.snapshot().jobs) == len(JOBS)
        assert len(list(app.engine.config.spool.iterdir())) == len(JOBS)  # no spool file left


async def test_n_queues_a_pdf_and_the_cursor_goes_to_the_new_job(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(PDF.parent)  # a name relative to where faxtui runs
    app = make_app(jobs=JOBS)
    async with app.run_test(size=SIZE) as pilot:
        await _started(pilot)
        await _new_fax(pilot, "+49 30 555-0100", PDF.name)
        await pilot.press("enter")  # on to the resolution
        await pilot.press("tab", *"Order 4711", "enter")  # the cover's subject, then its note
        await pilot.press(*"Call me first", "enter")  # enter in the note sends
        await wait_for(lambda: isinstance(app.screen, MainScreen), T)
        new = len(JOBS) + 1
        job = engine_job(app, new)
        assert (job.number, job.documents, job.cover, job.resolution) == (
            "+49 30 555-0100", (str(PDF),), "Order 4711", "fine",
        )  # fmt: skip
        assert job.pages == 4  # a cover page and the three of the PDF
        assert (f"job {new}: 4 page(s) to +49 30 555-0100 queued", "information") in toasts(app)
        table = queue(app)
        await wait_for(lambda: table.cursor_job_id == new and table.has_focus, T)


async def test_the_dialog_draws_the_first_page(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await inject(pilot)
        screen = await _new_fax(pilot, "5551234", str(PDF))
        caption = screen.query_one("#preview-caption", Static)
        await wait_for(lambda: "page 1 of 3" in str(caption.render()), T)
        preview = screen.query_one("#preview", Static).content
        assert isinstance(preview, Text)
        braille = {c for c in preview.plain if 0x2800 < ord(c) <= 0x28FF}
        assert len(braille) > 10  # ink in many shapes: the page, drawn
        await pilot.press("escape")
        await wait_for(lambda: isinstance(app.screen, MainScreen), T)
        assert not app.engine.snapshot().jobs


async def test_up_goes_through_the_recent_numbers(make_app: AppFactory) -> None:
    app = make_app(jobs=JOBS)
    async with app.run_test(size=SIZE) as pilot:
        await _started(pilot)
        await pilot.press("n")
        await wait_for(lambda: isinstance(app.screen, NewFaxScreen), T)
        number = app.screen.query_one("#number", Input)
        await pilot.press("up")
        assert number.value == "5550142"  # the job updated last
        await pilot.press("up", "up")
        assert number.value == "+15125550188"
        await pilot.press("down", "down", "down")
        assert number.value == ""
        await pilot.press(*"+44", "right")  # the suggestion taken
        assert number.value == "+442079460123"


async def test_ctrl_o_picks_a_file_into_the_files_box(make_app: AppFactory, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("first\n")
    (folder / "b c.txt").write_text("second\n")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await inject(pilot)
        screen = await _new_fax(pilot, "5551234", str(folder / "a.txt"))
        await pilot.press("ctrl+o")
        await wait_for(lambda: isinstance(app.screen, FilePicker), T)
        tree = app.screen.query_one(FileTree)
        await wait_for(lambda: tree.root.children, T)

        def at() -> str:
            node = tree.cursor_node
            return node.data.path.name if node is not None and node.data else ""

        while at() != "b c.txt":
            await pilot.press("down")
        await pilot.press("enter")
        await wait_for(lambda: app.screen is screen, T)
        files = screen.query_one("#files", Input)
        assert files.value == f"{folder / 'a.txt'}, '{folder / 'b c.txt'}'"
        assert split_files(files.value) == [str(folder / "a.txt"), str(folder / "b c.txt")]
        assert files.has_focus


def test_files_split_on_spaces_and_commas_and_quotes_keep_a_name_whole() -> None:
    assert split_files("a.pdf b.tif,c.txt, 'd e.pdf'") == ["a.pdf", "b.tif", "c.txt", "d e.pdf"]
    with pytest.raises(ValueError):
        split_files("'open")


async def test_tab_moves_between_the_panes(make_app: AppFactory) -> None:
    app = make_app(jobs=JOBS)
    async with app.run_test(size=SIZE) as pilot:
        await _started(pilot)
        assert isinstance(app.focused, CallsTable)
        await pilot.press("tab")
        assert isinstance(app.focused, QueueTable)
        await pilot.press("shift+tab")
        assert isinstance(app.focused, CallsTable)
