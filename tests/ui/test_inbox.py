"""The inbox on screen, against a real engine watching a real inbox folder: real fax files
(tests/data) and bad ones made here; what the rows and the preview say, and what each key does
to the files and to the engine's inbox."""

from __future__ import annotations

import os
import random
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input, Static

from faxtui.config import Config, HealthConfig
from faxtui.engine import Engine, InboxCommand
from faxtui.inbox.model import InboxItem, InboxLoaded, InboxState, InboxUpdated
from faxtui.render import Fit, Mode
from faxtui.sources.health import HealthProbe
from faxtui.ui.app import FaxApp
from faxtui.ui.screens.confirm import ConfirmScreen
from faxtui.ui.screens.help import HelpScreen
from faxtui.ui.screens.inbox import InboxScreen
from faxtui.ui.screens.inbox_dialogs import ExportDialog, ForwardDialog, NoteDialog
from faxtui.ui.widgets.inbox_table import InboxTable
from faxtui.ui.widgets.page_view import Graphics, PageView
from tests.conftest import wait_for
from tests.ui.conftest import HEALTH, HOSTILE, NOW, screen_text

DATA = Path(__file__).resolve().parent.parent / "data"
SIZE = (80, 24)
T = 10.0  # seconds to wait for anything

# The real fax files, by the name they get in the inbox, and when they came (None: the time
# the file says, its TIFF DateTime: 29 Nov 2026 16:21:06 and 16:20:20).
TWO_PAGES = "tiffcp-g4-standard-and-fine.tif"  # standard, then fine: 2 pages
STANDARD = "efix-text-standard.tif"  # 204 x 98 dpi, drawn twice as tall as its rows
EFAX = "efax-g3-fine.tif"
HYLAFAX = "hylafax-g4-fine.tif"
FAXES: dict[str, float | None] = {TWO_PAGES: NOW - 1800, STANDARD: NOW - 3600, EFAX: None,
                                  HYLAFAX: None}  # fmt: skip
NEWEST_FIRST = [TWO_PAGES, STANDARD, EFAX, HYLAFAX]


# --- the app, its inbox folder, and reading the screen ----------------------------------------


class Inbox:
    """The inbox folder of an app's engine, filled before the engine starts."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.folder = config.inbox
        self.folder.mkdir(parents=True, exist_ok=True)

    def add(self, name: str, source: str | None = None, *, at: float | None = None) -> Path:
        """A copy of tests/data/``source`` (default: ``name``), dated ``at`` (else now - 1 day,
        which the file's own DateTime overrides)."""
        target = self.folder / name
        shutil.copyfile(DATA / (source or name), target)
        stamp = at if at is not None else NOW - 86400
        os.utime(target, (stamp, stamp))
        return target

    def write(self, name: str, data: bytes, *, at: float = NOW - 7200) -> Path:
        target = self.folder / name
        target.write_bytes(data)
        os.utime(target, (at, at))
        return target

    def path(self, name: str) -> str:
        return str(self.folder / name)

    @property
    def archive(self) -> Path:
        return self.config.data_dir / "archive"


@pytest.fixture
def inbox(tmp_path: Path) -> Inbox:
    config = Config(ami=(), health=HealthConfig(processes=(), spool_dirs=()),
                    data_dir=tmp_path / "data")  # fmt: skip
    return Inbox(config)


@pytest.fixture
def faxes(inbox: Inbox) -> Inbox:
    """The four real fax files."""
    for name, at in FAXES.items():
        inbox.add(name, at=at)
    return inbox


@pytest.fixture
def make_app(inbox: Inbox, frozen_time: float, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``make_app(read_only=...)``: an app on a real engine watching ``inbox``."""
    monkeypatch.setattr(HealthProbe, "sample", lambda self, now: HEALTH)

    def make(*, read_only: bool = False, viewer: tuple[str, ...] = ()) -> FaxApp:
        engine = Engine(inbox.config, read_only=read_only, clock=lambda: time.time())
        return FaxApp(engine, linger=3600.0, viewer=viewer)

    return make


def exists(path: str | Path) -> bool:
    return os.path.exists(path)


def read(path: Path) -> bytes:
    return path.read_bytes()


def screen(app: FaxApp) -> InboxScreen:
    assert isinstance(app.screen, InboxScreen), app.screen
    return app.screen


def table(app: FaxApp) -> InboxTable:
    return app.screen.query_one(InboxTable)


def preview(app: FaxApp) -> PageView:
    return app.screen.query_one(PageView)


def names(app: FaxApp) -> list[str]:
    return [Path(p).name for p in table(app).rows]


def engine_item(app: FaxApp, path: str | Path) -> InboxItem | None:
    found = [i for i in app.engine.snapshot().inbox if i.path == str(path)]
    return found[0] if found else None


def toasts(app: FaxApp) -> list[tuple[str, str]]:
    return [(n.message, n.severity) for n in app._notifications]


def head(app: FaxApp) -> str:
    return str(app.screen.query_one("#page-head", Static).content)


def drawn(app: FaxApp, name: str, number: int = 1) -> bool:
    """The preview shows page ``number`` of ``name``, drawn for the room it has now."""
    view = preview(app)
    shown = view._shown
    return (
        view.item is not None
        and Path(view.item.path).name == name
        and shown is not None
        and shown.number == number
        and (shown.cols, shown.rows) == tuple(view.query_one("#page-body").content_size)
        and view.drawing is not None
        and view.drawing.number == number
        and view._timer is None
    )


async def open_inbox(
    pilot: Pilot[Any], count: int, *, graphics: Graphics | None = None
) -> InboxScreen:
    """Wait for the engine to index ``count`` faxes, then show the inbox."""
    app = pilot.app
    assert isinstance(app, FaxApp)
    await wait_for(lambda: len(app.inbox) == count and not app._pending, T)
    await app.push_screen(InboxScreen(graphics=graphics or Graphics(Mode.BRAILLE)))
    await wait_for(lambda: isinstance(app.screen, InboxScreen), T)
    await pilot.pause()
    return screen(app)


async def wait_drawn(pilot: Pilot[Any], name: str, number: int = 1) -> None:
    await wait_for(lambda: drawn(pilot.app, name, number), T)  # type: ignore[arg-type]
    await pilot.pause()


# --- the list ---------------------------------------------------------------------------------


async def test_the_list_shows_who_when_pages_and_result_newest_first(
    make_app: Any, faxes: Inbox
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_inbox(pilot, len(FAXES))
        assert names(app) == NEWEST_FIRST
        await wait_drawn(pilot, TWO_PAGES)
        lines = screen_text(app).splitlines()
        assert lines[0].startswith(" Inbox · 4 faxes · 4 unread")
        assert lines[1].split("│")[0].split() == ["Received", "From", "Station", "ID", "Pg",
                                                 "Res", "Result", "Note"]  # fmt: skip
        assert lines[1].split("│")[1].startswith(f" {TWO_PAGES} · 07:30 · page 1 of 2 · fit")
        assert lines[2].split()[:7] == ["•", "07:30", "tiffcp-g4-standar…", "2", "mixed", "✓",
                                        "complete"]  # fmt: skip
        assert lines[3].split()[3:5] == ["1", "std"]
        assert lines[4].split()[:9] == ["•", "29", "Nov", "2026", "1001", "1001", "1", "fine",
                                        "✓"]  # fmt: skip
        assert lines[5].split()[:10] == ["•", "29", "Nov", "2026", "1001", "HylaFAX", "A",
                                         "1001", "1", "fine"]  # fmt: skip


async def test_a_new_fax_comes_in_at_the_top_and_the_cursor_stays_on_its_fax(
    make_app: Any, faxes: Inbox
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_inbox(pilot, len(FAXES))
        await pilot.press("down")
        assert table(app).cursor_path == faxes.path(STANDARD)
        faxes.add("new.tif", HYLAFAX, at=NOW - 60)
        faxes.add("newest.tif", STANDARD, at=NOW - 60)  # no DateTime: a minute ago
        await wait_for(lambda: len(table(app).rows) == 6, T)
        # new.tif came with hylafax-g4-fine.tif's DateTime: the same time, then by name
        assert names(app) == ["newest.tif", *NEWEST_FIRST, "new.tif"]
        assert table(app).cursor_path == faxes.path(STANDARD)
        assert "Inbox · 6 faxes · 6 unread" in screen_text(app)


async def test_down_and_up_move_the_preview_and_brackets_turn_the_pages(
    make_app: Any, faxes: Inbox
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_inbox(pilot, len(FAXES))
        await wait_drawn(pilot, TWO_PAGES)
        assert "page 1 of 2" in head(app)
        await pilot.press("down")
        await wait_drawn(pilot, STANDARD)
        assert "page 1 of 1" in head(app)
        await pilot.press("down", "down")
        await wait_drawn(pilot, HYLAFAX)
        await pilot.press("up", "up", "up")
        await wait_drawn(pilot, TWO_PAGES)
        await pilot.press("tab")  # into the preview
        assert preview(app).has_focus
        await pilot.press("right_square_bracket")
        await wait_drawn(pilot, TWO_PAGES, 2)
        assert "page 2 of 2" in head(app)
        await pilot.press("right_square_bracket")  # no page 3: stays
        await pilot.pause()
        assert preview(app).number == 2
        await pilot.press("pageup")
        await wait_drawn(pilot, TWO_PAGES, 1)
        assert "page 1 of 2" in head(app)


async def test_a_standard_page_is_drawn_twice_as_tall_as_its_rows(
    make_app: Any, faxes: Inbox
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 60)) as pilot:
        await open_inbox(pilot, len(FAXES))
        await pilot.press("z")  # the whole screen: fit page
        await wait_drawn(pilot, TWO_PAGES)
        standard = preview(app).drawing
        await pilot.press("right_square_bracket")  # page 2: the same text page at fine
        await wait_drawn(pilot, TWO_PAGES, 2)
        fine = preview(app).drawing
        assert standard is not None and fine is not None
        assert standard.frame.page == (1728, 1144)
        assert fine.frame.page == (1728, 2204)
        # on paper the pages are about as tall: so on screen
        assert abs(standard.cells[1] - fine.cells[1] * 2288 / 2204) <= 2


async def test_fit_zoom_pan_and_reset_change_the_view(make_app: Any, faxes: Inbox) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_inbox(pilot, len(FAXES))
        await pilot.press("enter")  # the whole screen, the focus in the preview
        await wait_drawn(pilot, TWO_PAGES)
        assert preview(app).has_focus
        page = preview(app).drawing
        assert page is not None and page.frame.box[:2] == (0, 0)
        await pilot.press("f")
        await wait_for(lambda: preview(app).view.fit is Fit.WIDTH, T)
        await wait_drawn(pilot, TWO_PAGES)
        assert "fit width" in head(app)
        width = preview(app).drawing
        assert width is not None and width.frame.box[3] < 1144  # the top of the page only
        await pilot.press("j", "j")
        await wait_drawn(pilot, TWO_PAGES)
        lower = preview(app).drawing
        assert lower is not None and lower.frame.box[1] > 0
        await pilot.press("plus")
        await wait_drawn(pilot, TWO_PAGES)
        assert "zoom 1.5×" in head(app)
        await pilot.press("0")
        await wait_drawn(pilot, TWO_PAGES)
        assert "fit page" in head(app) and "zoom" not in head(app)
        await pilot.press("escape")  # out of the full screen, back in the list
        assert table(app).has_focus
        assert isinstance(app.screen, InboxScreen)


async def test_beside_the_list_from_120_columns_below_it_under(make_app: Any, faxes: Inbox) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await open_inbox(pilot, len(FAXES))
        assert preview(app).region.x >= table(app).region.right
        assert preview(app).region.y == table(app).region.y
    app = make_app()
    async with app.run_test(size=(119, 30)) as pilot:
        await open_inbox(pilot, len(FAXES))
        assert preview(app).region.y >= table(app).region.bottom
        await pilot.press("z")
        await pilot.pause()
        assert not table(app).display or table(app).region.height == 0
        assert preview(app).region.height >= 28


# --- the keys: what they do to the faxes --------------------------------------------------------


async def test_opening_a_fax_marks_it_read_and_u_makes_it_unread(
    make_app: Any, faxes: Inbox
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_inbox(pilot, len(FAXES))
        path = faxes.path(TWO_PAGES)
        await pilot.pause()
        assert engine_item(app, path).read is False  # the cursor on it is not opening it
        await pilot.press("enter")
        await wait_for(lambda: engine_item(app, path).read is True, T)
        await wait_for(lambda: table(app).items[path].read, T)
        await pilot.press("escape", "u")
        await wait_for(lambda: engine_item(app, path).read is False, T)
        await wait_for(lambda: "4 unread" in screen_text(app), T)
        await pilot.press("u")
        await wait_for(lambda: engine_item(app, path).read is True, T)
        assert toasts(app) == []  # nothing to say when it worked


async def test_space_marks_and_the_keys_act_on_every_marked_fax(
    make_app: Any, faxes: Inbox
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_inbox(pilot, len(FAXES))
        await pilot.press("space", "down", "space")  # the first and the third
        assert table(app).marked == {faxes.path(TWO_PAGES), faxes.path(EFAX)}
        assert "2 marked" in screen_text(app)
        await pilot.press("u")
        marked = (faxes.path(TWO_PAGES), faxes.path(EFAX))
        await wait_for(lambda: all(engine_item(app, p).read for p in marked), T)
        assert not engine_item(app, faxes.path(STANDARD)).read
        assert not table(app).marked  # acted on: the marks go


async def test_capital_n_writes_a_note(make_app: Any, faxes: Inbox) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_inbox(pilot, len(FAXES))
        await pilot.press("N")
        await wait_for(lambda: isinstance(app.screen, NoteDialog), T)
        await pilot.press(*"call back [b]Ms Weber[/b]", "enter")
        path = faxes.path(TWO_PAGES)
        await wait_for(lambda: engine_item(app, path).note == "call back [b]Ms Weber[/b]", T)
        await wait_for(lambda: "call back [b]Ms Weber[/b]" in screen_text(app), T)
        await pilot.press("N")  # again: the note is there to change
        await wait_for(lambda: isinstance(app.screen, NoteDialog), T)
        assert app.screen.query_one(Input).value == "call back [b]Ms Weber[/b]"
        await pilot.press("escape")
        await wait_for(lambda: isinstance(app.screen, InboxScreen), T)


async def test_e_exports_to_pdf_and_png_in_the_folder_given(
    make_app: Any, faxes: Inbox, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_inbox(pilot, len(FAXES))
        await pilot.press("e")
        await wait_for(lambda: isinstance(app.screen, ExportDialog), T)
        box = app.screen.query_one("#folder", Input)
        assert box.value == "~/"
        box.value = str(out)
        await pilot.press("enter")
        await wait_for(lambda: (out / "tiffcp-g4-standard-and-fine.pdf").exists(), T)
        await wait_for(lambda: any("exported" in m for m, _ in toasts(app)), T)
        await pilot.press("down", "e")
        await wait_for(lambda: isinstance(app.screen, ExportDialog), T)
        assert app.screen.query_one("#folder", Input).value == str(out)  # remembered
        await pilot.press("tab", "enter", "down", "enter")  # As: PNG
        await pilot.pause()
        await pilot.press("shift+tab", "enter")
        await wait_for(lambda: (out / "efix-text-standard-p1.png").exists(), T)
        assert sorted(p.name for p in out.iterdir()) == [
            "efix-text-standard-p1.png", "tiffcp-g4-standard-and-fine.pdf",
        ]  # fmt: skip


async def test_capital_f_forwards_the_pages_through_the_queue(make_app: Any, faxes: Inbox) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_inbox(pilot, len(FAXES))
        await pilot.press("F")
        await wait_for(lambda: isinstance(app.screen, ForwardDialog), T)
        await pilot.press("enter")  # no number: the dialog says so and stays
        assert "Number: type the fax number" in screen_text(app)
        await pilot.press(*"5550123", "enter")
        await wait_for(lambda: bool(app.engine.snapshot().jobs), T)
        (job,) = app.engine.snapshot().jobs
        assert job.number == "5550123"
        assert job.documents == (faxes.path(TWO_PAGES),)
        assert job.pages == 2
        await wait_for(lambda: any("queued" in m for m, _ in toasts(app)), T)


async def test_capital_a_asks_then_moves_the_fax_to_the_archive(
    make_app: Any, faxes: Inbox
) -> None:
    app = make_app()
    path = Path(faxes.path(TWO_PAGES))
    content = read(path)
    async with app.run_test(size=SIZE) as pilot:
        await open_inbox(pilot, len(FAXES))
        await pilot.press("A")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), T)
        assert "Archive this fax?" in screen_text(app)
        await pilot.press("n")  # no: nothing moves
        await wait_for(lambda: isinstance(app.screen, InboxScreen), T)
        await pilot.pause()
        assert exists(path)
        await pilot.press("A")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), T)
        await pilot.press("y")
        await wait_for(lambda: str(path) not in table(app).rows, T)
        assert not exists(path)
        assert read(faxes.archive / path.name) == content
        assert engine_item(app, path) is None
        assert names(app) == NEWEST_FIRST[1:]
        await wait_drawn(pilot, STANDARD)  # the cursor went to the next one
        await wait_for(lambda: any("archived" in m for m, _ in toasts(app)), T)


async def test_a_file_gone_from_disk_stays_dimmed_until_x_forgets_it(
    make_app: Any, faxes: Inbox
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await open_inbox(pilot, len(FAXES))
        footer = screen_text(app).splitlines()[-1]
        assert "Forget" not in footer
        gone = Path(faxes.path(TWO_PAGES))
        os.unlink(gone)  # by something else than faxtui
        await wait_for(lambda: table(app).items[str(gone)].state is InboxState.MISSING, T)
        await wait_for(lambda: "x Forget" in screen_text(app), T)
        assert "✗ missing" in screen_text(app)
        gone_words = f"✗ {TWO_PAGES}: the file is gone: moved or deleted"
        await wait_for(lambda: message(app).startswith(gone_words), T)  # the preview says why
        await pilot.press("x")
        await wait_for(lambda: str(gone) not in table(app).rows, T)
        assert engine_item(app, gone) is None


async def test_slash_filters_on_number_station_note_and_state(make_app: Any, faxes: Inbox) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_inbox(pilot, len(FAXES))
        await pilot.press("slash", *"hylafax")
        await wait_for(lambda: names(app) == [HYLAFAX], T)
        await wait_drawn(pilot, HYLAFAX)
        assert "1 matching “hylafax”" in screen_text(app)
        await pilot.press("enter")
        assert table(app).has_focus  # the filter stays
        await pilot.press("slash", *"nothing like it")  # the box selects its text: replaced
        await wait_for(lambda: names(app) == [], T)
        words = "No fax matches “nothing like it”. Esc clears the filter."
        await wait_for(lambda: words in screen_text(app), T)
        await pilot.press("escape")
        await wait_for(lambda: names(app) == NEWEST_FIRST, T)
        assert isinstance(app.screen, InboxScreen)
        await pilot.press("escape")  # nothing left to back out of: the screen goes
        await wait_for(lambda: not isinstance(app.screen, InboxScreen), T)


async def test_o_opens_the_fax_in_the_configured_viewer_at_the_page_shown(
    make_app: Any, faxes: Inbox, tmp_path: Path
) -> None:
    said = tmp_path / "viewer-args"
    viewer = ("sh", "-c", f'printf "%s\\n" "$@" > {said}', "viewer", "--page={page}", "{file}")
    app = make_app(read_only=True, viewer=viewer)  # looking needs no write access
    async with app.run_test(size=(140, 30)) as pilot:
        await open_inbox(pilot, len(FAXES))
        assert "o Viewer" in screen_text(app).splitlines()[-1]
        await pilot.press("z")
        await wait_drawn(pilot, TWO_PAGES)
        await pilot.press("right_square_bracket")
        await wait_drawn(pilot, TWO_PAGES, 2)
        await pilot.press("z", "o")
        await wait_for(lambda: said.exists() and toasts(app), T)
        assert said.read_text().splitlines() == ["--page=2", faxes.path(TWO_PAGES)]
        assert toasts(app) == [(f"{TWO_PAGES} handed to sh", "information")]


async def test_a_viewer_that_fails_says_why_and_none_configured_hides_the_key(
    make_app: Any, faxes: Inbox
) -> None:
    app = make_app(viewer=("sh", "-c", "echo 'Error: cannot open display' >&2; exit 3"))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_inbox(pilot, len(FAXES))
        await pilot.press("o")
        await wait_for(lambda: toasts(app), T)
        assert toasts(app) == [("viewer sh failed (exit 3): Error: cannot open display", "error")]
        assert all(exists(faxes.path(n)) for n in FAXES)
    app = make_app()
    async with app.run_test(size=(140, 30)) as pilot:
        await open_inbox(pilot, len(FAXES))
        assert "Viewer" not in screen_text(app).splitlines()[-1]
        await pilot.press("o")
        await pilot.pause()
        assert toasts(app) == []


async def test_read_only_refuses_every_key_and_opening_changes_nothing(
    make_app: Any, faxes: Inbox
) -> None:
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_inbox(pilot, len(FAXES))
        await pilot.press("enter")
        await wait_drawn(pilot, TWO_PAGES)
        await pilot.press("escape")
        for key in ("u", "N", "e", "F", "A"):
            app.clear_notifications()
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, InboxScreen), key
            assert toasts(app) == [(
                "read-only: this faxtui does not change the inbox", "warning")], key  # fmt: skip
        assert not any(i.read for i in app.engine.snapshot().inbox)
        assert all(exists(faxes.path(n)) for n in FAXES)


async def test_question_mark_and_the_palette_know_the_inbox_keys(
    make_app: Any, faxes: Inbox
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 50)) as pilot:
        await open_inbox(pilot, len(FAXES))
        await pilot.press("question_mark")
        await wait_for(lambda: isinstance(app.screen, HelpScreen), T)
        text = screen_text(app)
        for words in ("Full screen", "Read/unread", "Note", "Export", "Forward", "Archive",
                      "In the list", "Mark", "In the preview", "Next page", "Fit page/width",
                      "Zoom in"):  # fmt: skip
            assert words in text, words
        await pilot.press("escape", "ctrl+p")
        await wait_for(lambda: isinstance(app.screen, CommandPalette), T)
        await pilot.press(*"inbox archive")
        await wait_for(lambda: "Move into the archive folder" in screen_text(app), T)
        await pilot.press("enter")
        await wait_for(lambda: isinstance(app.screen, ConfirmScreen), T)


# --- bad files, hostile text, a big inbox -------------------------------------------------------


def make_bad_files(inbox: Inbox) -> dict[str, tuple[int, int]]:
    """Every kind of bad file; what each is on disk (size, time), to check nothing changes."""
    one, two = (DATA / EFAX).read_bytes(), (DATA / TWO_PAGES).read_bytes()
    inbox.write("empty.tif", b"", at=NOW - 7500)
    inbox.write("letter.tif", b"Dear Sir, please find attached\n", at=NOW - 7400)
    inbox.write("cut.tif", two[:5190], at=NOW - 7300)  # cut short after its first page
    inbox.write("header.tif", one[:100], at=NOW - 7200)  # not even a whole page
    garbled = bytearray(one)  # its page's data replaced with noise; its tags whole
    noise = random.Random(5)
    garbled[2000:24000] = bytes(noise.randrange(256) for _ in range(22000))
    inbox.write("garbled.tif", bytes(garbled), at=NOW - 7100)
    huge = inbox.folder / "huge.tif"
    with huge.open("wb") as file:  # sparse: a TIFF header, then 300 MB of nothing
        file.write(one[:8])
        file.truncate(300 * 1024 * 1024)
    os.utime(huge, (NOW - 7000, NOW - 7000))
    return on_disk(inbox)


def on_disk(inbox: Inbox) -> dict[str, tuple[int, int]]:
    return {p.name: (p.lstat().st_size, p.lstat().st_mtime_ns) for p in inbox.folder.iterdir()}


def settled(app: FaxApp) -> bool:
    """The preview shows what it was asked to: a message, or an answer from its worker."""
    view = preview(app)
    return view._timer is None and view._shown == view._wanted


def message(app: FaxApp) -> str:
    return str(preview(app).query_one("#page-text", Static).content)


async def test_bad_files_each_say_what_is_wrong_and_nothing_changes_on_disk(
    make_app: Any, inbox: Inbox
) -> None:
    before = make_bad_files(inbox)
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await open_inbox(pilot, len(before))
        # (garbled.tif kept efax's DateTime: the oldest)
        assert names(app) == ["huge.tif", "header.tif", "cut.tif", "letter.tif", "empty.tif",
                              "garbled.tif"]  # fmt: skip
        text = screen_text(app)
        for words in ("✗ bad: page 1 has no size", "✓ complete", "✗ bad: truncated: the file",
                      "◐ partial: 1 page", "✗ bad: not a fax TIFF",
                      "✗ bad: empty file (0 bytes)"):  # fmt: skip
            assert words in text, words
        seen: dict[str, tuple[InboxState, str, str]] = {}
        for _ in before:
            await wait_for(lambda: settled(app), T)
            item = preview(app).item
            assert item is not None
            seen[item.name] = (item.state, head(app), message(app))
            await pilot.press("down")
        assert seen["empty.tif"][2] == (
            "✗ empty.tif: empty file (0 bytes)\nfaxtui leaves the file as it is."
        )
        assert seen["letter.tif"][2].startswith("✗ letter.tif: not a fax TIFF")
        assert seen["header.tif"][2].startswith("✗ header.tif: truncated: the file ends")
        assert seen["huge.tif"][2].startswith("✗ huge.tif: page 1 has no size")
        assert seen["cut.tif"][0] is InboxState.PARTIAL  # its first page is drawn
        assert "page 1 of 1" in seen["cut.tif"][1]
        assert "◐ partial: the file ends before page 2" in seen["cut.tif"][1]
        assert seen["garbled.tif"][0] is InboxState.OK  # libtiff draws what it can of it
        assert "page 1 of 1" in seen["garbled.tif"][1]
        assert isinstance(app.screen, InboxScreen)
    assert on_disk(inbox) == before


async def test_a_page_that_cannot_be_decoded_shows_the_decoders_words(
    make_app: Any, inbox: Inbox
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_inbox(pilot, 0)
        store = app.engine.store
        assert store is not None
        # the index says it is fine, but the file went away before the index noticed
        path = inbox.path("vanished.tif")
        item = InboxItem(path, 24_847, 0, InboxState.OK, pages=1, received=NOW - 60)
        store.apply_many([InboxUpdated((item,))])
        await wait_for(lambda: preview(app).error != "", T)
        assert preview(app).error == f"{path}: no such file"
        assert message(app) == f"{path}: no such file"
        assert isinstance(app.screen, InboxScreen)


async def test_hostile_station_ids_notes_and_file_names_stay_plain_text(
    make_app: Any, inbox: Inbox
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 30)) as pilot:
        await open_inbox(pilot, 0)
        store = app.engine.store
        assert store is not None
        path = str(inbox.folder / f"{HOSTILE}.tif")
        item = InboxItem(path, 100, 0, InboxState.UNREADABLE, problem=HOSTILE, pages=1,
                         station_id=HOSTILE, remote_number=HOSTILE, note=HOSTILE,
                         received=NOW - 60)  # fmt: skip
        store.apply_many([InboxUpdated((item,))])
        await wait_for(lambda: len(table(app).rows) == 1, T)
        await pilot.pause()
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "\x07" not in svg
        text = screen_text(app)
        assert "␛[2J␛]0;owned␇[bold red]x[/]" in text


async def test_ten_thousand_faxes_fill_the_list(make_app: Any, inbox: Inbox) -> None:
    items = tuple(
        InboxItem(f"/var/spool/fax/{n:05}.tif", 40_000, 0, InboxState.OK, pages=1 + n % 3,
                  station_id=f"+49 30 {n:07}", received=NOW - n * 60, read=n % 2 == 0)
        for n in range(10_000)
    )  # fmt: skip
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_inbox(pilot, 0)
        store = app.engine.store
        assert store is not None
        store.apply_many([InboxLoaded(items)])
        await wait_for(lambda: len(table(app).rows) == 10_000, T)
        assert table(app).rows[:2] == ["/var/spool/fax/00000.tif", "/var/spool/fax/00001.tif"]
        await pilot.press("end")
        assert table(app).cursor_path == "/var/spool/fax/09999.tif"
        assert "Inbox · 10,000 faxes · 5,000 unread" in screen_text(app)


# --- pictures -----------------------------------------------------------------------------------


async def _inbox(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, FaxApp)
    await wait_for(lambda: len(app.inbox) == len(FAXES), T)
    folder = app.engine.config.inbox  # type: ignore[attr-defined]
    for command in (
        InboxCommand("note", (str(folder / HYLAFAX),), "invoice 4711: pay by Friday"),
        InboxCommand("read", (str(folder / HYLAFAX), str(folder / STANDARD))),
    ):
        assert (await app.engine.command(command)).ok
    await wait_for(lambda: app.inbox[str(folder / HYLAFAX)].note != "", T)
    await open_inbox(pilot, len(FAXES))
    if app.size.width >= 120:
        await pilot.press("down", "down")  # efax's page: a real fax, with its header line
        await wait_drawn(pilot, EFAX)
    else:
        await wait_drawn(pilot, TWO_PAGES)
    app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=lambda s: "x".join(map(str, s)))
def test_inbox_picture(
    make_app: Any, faxes: Inbox, snap_compare: Any, size: tuple[int, int]
) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=_inbox)
