"""The inbox index: what survives a restart, what a rescan may and may not overwrite."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from faxtui.inbox.index import SCHEMA_VERSION, InboxIndex, InboxIndexError
from faxtui.inbox.model import InboxItem, InboxState


def fax(path: str, **fields: object) -> InboxItem:
    base = InboxItem(path, 24847, 1_700_000_000_000_000_000, InboxState.OK, pages=1,
                     resolution="fine", compression="MH", station_id="1001",
                     received=1_700_000_000.0)  # fmt: skip
    return replace(base, **fields)  # type: ignore[arg-type]


@pytest.fixture
def index(tmp_path: Path) -> InboxIndex:
    return InboxIndex(tmp_path / "data")


def test_round_trip_newest_first(index: InboxIndex, tmp_path: Path) -> None:
    older = fax("/in/a.tif", received=100.0)
    newer = fax("/in/b.tif", received=200.0, state=InboxState.PARTIAL, problem="cut short")
    assert index.upsert([older, newer]) == [older, newer]
    index.close()
    again = InboxIndex(tmp_path / "data")
    assert again.load_all() == [newer, older]
    assert again.get("/in/a.tif") == older
    assert again.get("/in/none.tif") is None


def test_wal_and_schema_version(index: InboxIndex) -> None:
    db = sqlite3.connect(index.path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_an_index_from_a_newer_faxtui_is_refused(tmp_path: Path) -> None:
    InboxIndex(tmp_path).close()
    db = sqlite3.connect(tmp_path / "inbox.db")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(InboxIndexError, match="made by a newer faxtui"):
        InboxIndex(tmp_path)


def test_a_damaged_index_is_named(tmp_path: Path) -> None:
    (tmp_path / "inbox.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(InboxIndexError, match=r"inbox\.db: cannot open the inbox index"):
        InboxIndex(tmp_path)


def test_file_names_that_are_not_utf8(index: InboxIndex) -> None:
    name = os.fsdecode(b"/in/fax-\xff\xfe-\x1b[31m.tif")
    index.upsert([fax(name)])
    assert [item.path for item in index.load_all()] == [name]
    assert os.fsencode(index.load_all()[0].path) == b"/in/fax-\xff\xfe-\x1b[31m.tif"


def test_a_rescan_keeps_what_the_operator_added(index: InboxIndex) -> None:
    index.upsert([fax("/in/a.tif")])
    index.mark_read("/in/a.tif")
    index.set_note("/in/a.tif", "for accounts")
    rescanned = fax("/in/a.tif", size=30000, pages=2)  # read=False, note="" from the file
    (stored,) = index.upsert([rescanned])
    assert (stored.read, stored.note, stored.pages, stored.size) == (True, "for accounts", 2, 30000)
    assert index.mark_read("/in/a.tif", read=False).read is False  # type: ignore[union-attr]
    assert index.mark_read("/in/none.tif") is None


def test_link_call_before_the_file_is_seen(index: InboxIndex) -> None:
    linked = index.link_call("/in/new.tif", "call-7", "+1 555 0100", "ACME")
    assert (linked.state, linked.size, linked.call_id) == (InboxState.RECEIVING, -1, "call-7")
    (stored,) = index.upsert([fax("/in/new.tif", station_id="ACME FAX", remote_number="")])
    # the call's word wins over the tags; the file's facts replace the placeholder's
    assert (stored.call_id, stored.remote_number, stored.station_id) == (
        "call-7",
        "+1 555 0100",
        "ACME",
    )
    assert (stored.state, stored.size) == (InboxState.OK, 24847)


def test_link_call_after_the_file_is_indexed(index: InboxIndex) -> None:
    index.upsert([fax("/in/a.tif", station_id="FROM TAGS")])
    linked = index.link_call("/in/a.tif", "call-9", remote_number="+1 555 0101")
    assert (linked.call_id, linked.remote_number, linked.station_id) == (
        "call-9",
        "+1 555 0101",
        "FROM TAGS",  # the call did not say: the tags' stays
    )


def test_missing_rows_stay_and_a_moved_file_takes_its_row(index: InboxIndex) -> None:
    index.upsert([fax("/in/a.tif"), fax("/in/b.tif", size=1)])
    index.set_note("/in/a.tif", "keep me")
    (gone,) = index.mark_missing(["/in/a.tif"], "gone")
    assert (gone.state, gone.problem, gone.note) == (InboxState.MISSING, "gone", "keep me")
    moved = index.find_moved(24847, 1_700_000_000_000_000_000)
    assert moved is not None and moved.path == "/in/a.tif"
    assert index.find_moved(1, 1_700_000_000_000_000_000) is None  # b.tif is not missing
    renamed = index.rename("/in/a.tif", replace(moved, path="/in/c.tif", state=InboxState.OK))
    assert (renamed.path, renamed.note, renamed.state) == ("/in/c.tif", "keep me", InboxState.OK)
    assert sorted(i.path for i in index.load_all()) == ["/in/b.tif", "/in/c.tif"]


def test_remove_drops_rows_only(index: InboxIndex, tmp_path: Path) -> None:
    real = tmp_path / "real.tif"
    real.write_bytes(b"II*\0")
    index.upsert([fax(str(real))])
    index.remove([str(real)])
    assert index.load_all() == []
    assert real.read_bytes() == b"II*\0"


def test_ten_thousand_rows_in_one_query(index: InboxIndex) -> None:
    index.upsert(fax(f"/in/{i:05}.tif", received=float(i)) for i in range(10_000))
    items = index.load_all()
    assert len(items) == 10_000
    assert items[0].path == "/in/09999.tif"
