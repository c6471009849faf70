"""The inbox source on real folders: watchfiles, the quiet time, the index across restarts."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from faxtui.inbox.actions import ActionError
from faxtui.inbox.config import InboxConfig, Watch
from faxtui.inbox.index import InboxIndex
from faxtui.inbox.model import InboxItem, InboxLoaded, InboxRemoved, InboxState, InboxUpdated
from faxtui.inbox.scan import GONE
from faxtui.inbox.tags import TagInfo, read_tags
from faxtui.model import LinkState, SourceStatus
from faxtui.sources import spool
from faxtui.sources.spool import InboxSource
from tests.conftest import wait_for

DATA = Path(__file__).resolve().parent.parent / "data"
EFAX = DATA / "efax-g3-fine.tif"
HYLAFAX = DATA / "hylafax-g4-fine.tif"
LONG_AGO = 1_700_000_000  # an mtime well past any quiet time


class Recorder:
    """The engine's side: every event, and the inbox as the events build it."""

    def __init__(self) -> None:
        self.events: list[object] = []

    def __call__(self, events: Sequence[object]) -> None:
        self.events.extend(events)

    @property
    def items(self) -> dict[str, InboxItem]:
        items: dict[str, InboxItem] = {}
        for event in self.events:
            match event:
                case InboxLoaded(items=loaded):
                    items = {i.path: i for i in loaded}
                case InboxUpdated(items=updated):
                    items.update((i.path, i) for i in updated)
                case InboxRemoved(paths=paths):
                    for path in paths:
                        items.pop(path, None)
        return items

    def state(self, path: Path) -> InboxState | None:
        item = self.items.get(str(path))
        return item.state if item else None

    def seen(self, path: Path, state: InboxState) -> bool:
        return any(
            isinstance(e, InboxUpdated) and any(i.path == str(path) and i.state is state
                                                for i in e.items)
            for e in self.events
        )  # fmt: skip

    @property
    def status(self) -> tuple[LinkState, str] | None:
        states = [e.state for e in self.events if isinstance(e, SourceStatus)]
        return (states[-1].state, states[-1].message) if states else None

    def up(self) -> bool:
        return self.status is not None and self.status[0] is LinkState.UP


class CountingReader:
    """The tag reader, counting the files it reads."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, path: str) -> TagInfo:
        self.paths.append(path)
        return read_tags(path)


def put(source: Path, target: Path, *, old: bool = True) -> Path:
    shutil.copy(source, target)
    target.chmod(0o644)
    if old:
        os.utime(target, (LONG_AGO, LONG_AGO))
    return target


def append(path: Path | bytes, data: bytes) -> None:
    with open(path, "ab") as out:
        out.write(data)


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@asynccontextmanager
async def running(
    tmp_path: Path,
    folder: Path,
    *,
    reader: Callable[[str], TagInfo] = read_tags,
    watches: Sequence[Watch] | None = None,
    **settings: object,
) -> AsyncIterator[tuple[InboxSource, Recorder]]:
    config = InboxConfig(**{"quiet": 0.3, "rescan": 0.0, **settings})  # type: ignore[arg-type]
    index = InboxIndex(tmp_path / "data")
    recorder = Recorder()
    source = InboxSource(
        config,
        recorder,
        watches=watches or [Watch(str(folder), "*.tif")],
        index=index,
        archive=tmp_path / "archive",
        reader=reader,
    )
    source.start()
    try:
        yield source, recorder
    finally:
        await source.stop()
        index.close()


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


async def test_the_index_survives_a_restart_without_reading_again(
    tmp_path: Path, inbox: Path
) -> None:
    a, b, c = (
        put(EFAX, inbox / "a.tif"),
        put(HYLAFAX, inbox / "b.tif"),
        put(EFAX, inbox / "c.tif"),
    )
    first = CountingReader()
    async with running(tmp_path, inbox, reader=first) as (_, seen):
        await wait_for(lambda: len(seen.items) == 3 and seen.up())
        assert isinstance(seen.events[1], InboxLoaded) and seen.events[1].items == ()
        assert sorted(first.paths) == [str(a), str(b), str(c)]
        assert {i.state for i in seen.items.values()} == {InboxState.OK}
    # while faxtui is away: one file changes, one goes, one is left alone
    append(b, b"\0" * 16)
    os.utime(b, (LONG_AGO + 60, LONG_AGO + 60))
    c.unlink()
    second = CountingReader()
    async with running(tmp_path, inbox, reader=second) as (_, seen):
        await wait_for(lambda: any(isinstance(e, InboxLoaded) for e in seen.events))
        loaded = next(e for e in seen.events if isinstance(e, InboxLoaded))
        assert sorted(i.path for i in loaded.items) == [str(a), str(b), str(c)]  # from the index
        await wait_for(lambda: seen.up() and seen.state(c) is InboxState.MISSING)
        assert second.paths == [str(b)]  # only the changed file was read again
        assert seen.items[str(c)].problem == GONE
        assert seen.state(a) is seen.state(b) is InboxState.OK


async def test_a_file_appears_grows_and_completes(tmp_path: Path, inbox: Path) -> None:
    data = EFAX.read_bytes()
    path = inbox / "fax0001.tif"
    reader = CountingReader()
    async with running(tmp_path, inbox, reader=reader, quiet=1.0) as (_, seen):
        await wait_for(seen.up)
        append(path, data[:8000])
        await wait_for(lambda: seen.state(path) is InboxState.RECEIVING)
        assert seen.items[str(path)].size == 8000
        append(path, data[8000:])
        await wait_for(lambda: seen.state(path) is InboxState.OK)
        item = seen.items[str(path)]
        assert (item.size, item.pages, item.station_id, item.remote_number) == (
            len(data),
            1,
            "1001",
            "1001",
        )
        assert reader.paths == [str(path)]  # read once, when complete


async def test_a_file_moved_in_is_complete_at_once(tmp_path: Path, inbox: Path) -> None:
    outside = put(HYLAFAX, tmp_path / "elsewhere.tif")
    async with running(tmp_path, inbox, quiet=30.0) as (_, seen):
        await wait_for(seen.up)
        os.rename(outside, inbox / "moved.tif")
        await wait_for(lambda: seen.state(inbox / "moved.tif") is InboxState.OK, timeout=10)
        assert not seen.seen(inbox / "moved.tif", InboxState.RECEIVING)


async def test_a_file_removed_from_outside_stays_as_missing(tmp_path: Path, inbox: Path) -> None:
    path = put(EFAX, inbox / "a.tif")
    async with running(tmp_path, inbox) as (source, seen):
        await wait_for(lambda: seen.state(path) is InboxState.OK)
        await source.set_note(str(path), "call them back")
        path.unlink()
        await wait_for(lambda: seen.state(path) is InboxState.MISSING)
        assert seen.items[str(path)].note == "call them back"
        assert await source.forget(str(inbox / "other.tif")) is False
    index = InboxIndex(tmp_path / "data")
    (row,) = index.load_all()
    assert (row.path, row.state, row.note) == (str(path), InboxState.MISSING, "call them back")
    index.close()


async def test_forget_drops_a_missing_row(tmp_path: Path, inbox: Path) -> None:
    path = put(EFAX, inbox / "a.tif")
    async with running(tmp_path, inbox) as (source, seen):
        await wait_for(lambda: seen.state(path) is InboxState.OK)
        assert await source.forget(str(path)) is False  # it is still there
        path.unlink()
        await wait_for(lambda: seen.state(path) is InboxState.MISSING)
        assert await source.forget(str(path)) is True
        assert str(path) not in seen.items


async def test_a_temporary_file_that_vanishes_leaves_no_row(tmp_path: Path, inbox: Path) -> None:
    path = inbox / "scratch.tif"
    async with running(tmp_path, inbox, quiet=5.0) as (_, seen):
        await wait_for(seen.up)
        path.write_bytes(b"II*\0")
        await wait_for(lambda: seen.state(path) is InboxState.RECEIVING)
        path.unlink()
        await wait_for(lambda: any(isinstance(e, InboxRemoved) for e in seen.events))
        assert str(path) not in seen.items


async def test_a_renamed_fax_keeps_its_note_and_read_flag(tmp_path: Path, inbox: Path) -> None:
    old = put(EFAX, inbox / "old.tif")
    async with running(tmp_path, inbox) as (source, seen):
        await wait_for(lambda: seen.state(old) is InboxState.OK)
        await source.mark_read(str(old))
        await source.set_note(str(old), "paid")
        os.rename(old, inbox / "new.tif")
        await wait_for(lambda: seen.state(inbox / "new.tif") is InboxState.OK)
        await wait_for(lambda: str(old) not in seen.items)
        item = seen.items[str(inbox / "new.tif")]
        assert (item.read, item.note) == (True, "paid")


async def test_modem_style_temporary_then_hard_link(tmp_path: Path, inbox: Path) -> None:
    reader = CountingReader()
    async with running(tmp_path, inbox, reader=reader) as (_, seen):
        await wait_for(seen.up)
        temp = put(EFAX, inbox / ".receiving-abc123.tif", old=False)
        os.link(temp, inbox / "fax-20261129-162106-1001.tif")
        temp.unlink()
        await wait_for(lambda: seen.state(inbox / "fax-20261129-162106-1001.tif") is InboxState.OK)
        assert list(seen.items) == [str(inbox / "fax-20261129-162106-1001.tif")]
        assert all(".receiving" not in p for p in reader.paths)


async def test_bad_files_get_a_state_and_nothing_breaks(tmp_path: Path, inbox: Path) -> None:
    (inbox / "empty.tif").write_bytes(b"")
    (inbox / "letter.tif").write_bytes(b"%PDF-1.4 not a fax")
    (inbox / "cut.tif").write_bytes(EFAX.read_bytes()[:20_000])
    put(DATA / "tiffcp-jpeg-rgb.tif", inbox / "photo.tif")
    os.mkfifo(inbox / "pipe.tif")  # not a regular file: not taken at all
    before = contents(inbox)
    for name in before:
        os.utime(inbox / name, (LONG_AGO, LONG_AGO))
    async with running(tmp_path, inbox) as (_, seen):
        await wait_for(lambda: len(seen.items) == 4 and seen.up())
        states = {Path(p).name: (i.state, i.problem) for p, i in seen.items.items()}
    assert states == {
        "empty.tif": (InboxState.BAD, "empty file (0 bytes)"),
        "letter.tif": (InboxState.BAD, "not a fax TIFF: a PDF document"),
        "cut.tif": (InboxState.BAD, "truncated: the file ends before page 1 (it is 20000 bytes)"),
        "photo.tif": (
            InboxState.BAD,
            "not a fax: page 1 is a colour image (3 samples of 8 bits); a fax page is black and "
            "white",
        ),
    }
    assert contents(inbox) == before


async def test_a_file_name_that_is_not_utf8(tmp_path: Path, inbox: Path) -> None:
    """watchfiles gives up on such a name; the rescan that follows finds it."""
    async with running(tmp_path, inbox) as (_, seen):
        await wait_for(seen.up)
        raw = os.fsencode(inbox) + b"/fax-\xff\x1b[2J.tif"
        append(raw, EFAX.read_bytes())
        os.utime(raw, (LONG_AGO, LONG_AGO))
        name = os.fsdecode(raw)
        await wait_for(lambda: seen.state(Path(name)) is InboxState.OK, timeout=15)


async def test_link_call_reads_at_once_and_ties_the_call(tmp_path: Path, inbox: Path) -> None:
    path = inbox / "asterisk-1234.tif"
    async with running(tmp_path, inbox, quiet=60.0) as (source, seen):
        await wait_for(seen.up)
        put(EFAX, path, old=False)
        await wait_for(lambda: seen.state(path) is InboxState.RECEIVING)
        await source.link_call(str(path), "pbx-1732896066.12", "+1 555 0100", "ACME")
        await wait_for(lambda: seen.state(path) is InboxState.OK, timeout=5)
        item = seen.items[str(path)]
        assert (item.call_id, item.remote_number, item.station_id) == (
            "pbx-1732896066.12",
            "+1 555 0100",
            "ACME",
        )


async def test_a_held_file_waits_for_its_call(tmp_path: Path, inbox: Path) -> None:
    path = inbox / "live.tif"
    reader = CountingReader()
    async with running(tmp_path, inbox, reader=reader, quiet=0.2) as (source, seen):
        await wait_for(seen.up)
        source.hold(str(path))
        put(EFAX, path, old=False)  # page 1 is in; page 2 is on its way
        await wait_for(lambda: seen.state(path) is InboxState.RECEIVING)
        await _sleep(1.0)
        assert seen.state(path) is InboxState.RECEIVING and reader.paths == []
        await source.link_call(str(path), "modem-7")
        await wait_for(lambda: seen.state(path) is InboxState.OK)


async def test_archive(tmp_path: Path, inbox: Path) -> None:
    path = put(EFAX, inbox / "a.tif")
    async with running(tmp_path, inbox, quiet=30.0) as (source, seen):
        await wait_for(lambda: seen.state(path) is InboxState.OK)
        target = await source.archive(str(path))
        assert target == tmp_path / "archive" / "a.tif" and target.exists()
        assert not path.exists()
        assert str(path) not in seen.items
        fresh = put(EFAX, inbox / "fresh.tif", old=False)
        await wait_for(lambda: seen.state(fresh) is InboxState.RECEIVING)
        with pytest.raises(ActionError, match="still being received"):
            await source.archive(str(fresh))
        assert fresh.exists()


async def test_archive_into_a_watched_folder_keeps_the_row(tmp_path: Path, inbox: Path) -> None:
    path = put(EFAX, inbox / "a.tif")
    watches = [Watch(str(inbox), "*.tif"), Watch(str(tmp_path / "archive"), "*.tif")]
    async with running(tmp_path, inbox, watches=watches) as (source, seen):
        await wait_for(lambda: seen.state(path) is InboxState.OK)
        await source.set_note(str(path), "done")
        target = await source.archive(str(path))
        await _sleep(1.0)  # the watchers report the move; nothing may change
        assert seen.items[str(target)].note == "done"
        assert str(path) not in seen.items


async def test_polling(tmp_path: Path, inbox: Path) -> None:
    async with running(tmp_path, inbox, polling=True) as (_, seen):
        await wait_for(seen.up)
        assert seen.status == (LinkState.UP, "watching 1 folder (polling)")
        path = put(HYLAFAX, inbox / "polled.tif", old=False)
        await wait_for(lambda: seen.state(path) is InboxState.OK, timeout=10)


async def test_polling_when_inotify_cannot_be_had(
    tmp_path: Path, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = spool.awatch

    def limited(*paths: str, force_polling: bool, **kwargs: object) -> object:
        if not force_polling:  # what watchfiles raises when the inotify watches run out
            raise OSError("OS file watch limit reached. about [...]")
        return real(*paths, force_polling=True, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(spool, "awatch", limited)
    async with running(tmp_path, inbox) as (_, seen):
        await wait_for(lambda: seen.status == (LinkState.UP, "watching 1 folder (polling)"))
        path = put(HYLAFAX, inbox / "polled.tif", old=False)
        await wait_for(lambda: seen.state(path) is InboxState.OK, timeout=10)


async def test_a_folder_that_appears_later(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spool, "FOLDER_RETRY", 0.1)
    later = tmp_path / "later"
    async with running(tmp_path, later) as (_, seen):
        await wait_for(lambda: seen.status is not None and seen.status[0] is LinkState.DEGRADED)
        assert seen.status == (
            LinkState.DEGRADED,
            f"watching 1 folder; {later}: no such folder",
        )
        later.mkdir()
        path = put(EFAX, later / "a.tif")
        await wait_for(lambda: seen.state(path) is InboxState.OK, timeout=10)
        await wait_for(seen.up)


async def _sleep(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    await wait_for(lambda: time.monotonic() >= deadline, timeout=seconds + 5)
