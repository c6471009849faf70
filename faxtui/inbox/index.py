"""The inbox index: one SQLite row per received fax file (WAL, so readers never wait).

A row holds what was read from the file (tags, state) with the ``(size, mtime_ns)`` it was
read at, so a start-up rescan reads again only what changed, and what the operator added
(read, note) or the engine linked (the call). Paths are stored as the bytes of the file name:
a name that is not UTF-8 stays exactly what it is on disk.

Rows are never dropped because a file went away: the row becomes ``missing`` until the
operator forgets it, or the same file (same size and modification time, so a rename or a
move) turns up under another name and takes its row with it. One connection, shared by the
source's worker threads and the event loop under a lock; other processes (``faxtui inbox``)
open their own.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from faxtui.inbox.model import InboxItem, InboxState

SCHEMA_VERSION = 1
FILE_NAME = "inbox.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS faxes (
    path BLOB PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    state TEXT NOT NULL,
    problem TEXT NOT NULL,
    pages INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    x_dpi REAL NOT NULL,
    y_dpi REAL NOT NULL,
    resolution TEXT NOT NULL,
    compression TEXT NOT NULL,
    orientation INTEGER NOT NULL,
    station_id TEXT NOT NULL,
    remote_number TEXT NOT NULL,
    device TEXT NOT NULL,
    software TEXT NOT NULL,
    received REAL NOT NULL,
    call_id TEXT NOT NULL,
    read INTEGER NOT NULL,
    note TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS faxes_missing ON faxes (size, mtime_ns) WHERE state = 'missing';
"""

_COLUMNS = (
    "path, size, mtime_ns, state, problem, pages, width, height, x_dpi, y_dpi, resolution, "
    "compression, orientation, station_id, remote_number, device, software, received, "
    "call_id, read, note"
)
# What a scan knows replaces what the row had; what the operator added (read, note) and the
# linked call stay, and a linked call's station ID and number win over the file's tags.
_UPSERT = f"""
INSERT INTO faxes ({_COLUMNS}) VALUES ({", ".join("?" * 21)})
ON CONFLICT (path) DO UPDATE SET
    size = excluded.size, mtime_ns = excluded.mtime_ns, state = excluded.state,
    problem = excluded.problem, pages = excluded.pages, width = excluded.width,
    height = excluded.height, x_dpi = excluded.x_dpi, y_dpi = excluded.y_dpi,
    resolution = excluded.resolution, compression = excluded.compression,
    orientation = excluded.orientation,
    station_id = CASE WHEN faxes.call_id != '' AND faxes.station_id != ''
                      THEN faxes.station_id ELSE excluded.station_id END,
    remote_number = CASE WHEN faxes.call_id != '' AND faxes.remote_number != ''
                         THEN faxes.remote_number ELSE excluded.remote_number END,
    device = excluded.device, software = excluded.software, received = excluded.received
RETURNING {_COLUMNS}
"""


class InboxIndexError(Exception):
    """The index cannot be opened or used; the message names the file."""


class InboxIndex:
    """The SQLite index in ``data_dir``; every method is safe to call from any thread."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE_NAME
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA busy_timeout = 5000")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise InboxIndexError(
                    f"{self.path}: made by a newer faxtui (index version {version}, "
                    f"this one knows {SCHEMA_VERSION}); move it away to rebuild it"
                )
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except (sqlite3.Error, OSError) as exc:
            raise InboxIndexError(f"{self.path}: cannot open the inbox index ({exc})") from None
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # --- reading ------------------------------------------------------------------------------

    def load_all(self) -> list[InboxItem]:
        """Every row, newest first: one query, no file touched."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM faxes ORDER BY received DESC, path"
            ).fetchall()
        return [_item(row) for row in rows]

    def get(self, path: str) -> InboxItem | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM faxes WHERE path = ?", (os.fsencode(path),)
            ).fetchone()
        return _item(row) if row else None

    def find_moved(self, size: int, mtime_ns: int) -> InboxItem | None:
        """A missing row of a file of this size and time: the same file under a new name."""
        with self._lock:
            row = self._db.execute(
                # state spelled out, so that SQLite uses the partial index
                f"SELECT {_COLUMNS} FROM faxes WHERE size = ? AND mtime_ns = ? "
                "AND state = 'missing' ORDER BY path LIMIT 1",
                (size, mtime_ns),
            ).fetchone()
        return _item(row) if row else None

    # --- writing ------------------------------------------------------------------------------

    def upsert(self, items: Iterable[InboxItem]) -> list[InboxItem]:
        """Store what scans found, in one transaction; return the rows as stored.

        The operator's read flag and note, and the linked call, are kept from the row there.
        """
        stored = []
        with self._transaction() as db:
            for item in items:
                row = db.execute(_UPSERT, _values(item)).fetchall()[0]
                stored.append(_item(row))
        return stored

    def mark_read(self, path: str, read: bool = True) -> InboxItem | None:
        return self._update(path, "read = ?", (int(read),))

    def set_note(self, path: str, note: str) -> InboxItem | None:
        return self._update(path, "note = ?", (note,))

    def link_call(
        self, path: str, call_id: str, remote_number: str = "", station_id: str = ""
    ) -> InboxItem:
        """Tie a file to the call that brought it (the engine, when the call closes).

        The call's numbers win over the file's tags. A file the index has not seen yet gets a
        row in the ``receiving`` state, which the next look at the file completes.
        """
        with self._transaction() as db:
            key = os.fsencode(path)
            exists = db.execute("SELECT 1 FROM faxes WHERE path = ?", (key,)).fetchone()
            if not exists:
                placeholder = InboxItem(path, -1, -1, InboxState.RECEIVING)
                db.execute(_UPSERT, _values(placeholder)).fetchall()
            row = db.execute(
                "UPDATE faxes SET call_id = ?, "
                "remote_number = CASE WHEN ? != '' THEN ? ELSE remote_number END, "
                "station_id = CASE WHEN ? != '' THEN ? ELSE station_id END "
                f"WHERE path = ? RETURNING {_COLUMNS}",
                (call_id, remote_number, remote_number, station_id, station_id, key),
            ).fetchall()[0]
        return _item(row)

    def mark_missing(self, paths: Iterable[str], problem: str) -> list[InboxItem]:
        stored = []
        with self._transaction() as db:
            for path in paths:
                row = db.execute(
                    f"UPDATE faxes SET state = ?, problem = ? WHERE path = ? RETURNING {_COLUMNS}",
                    (InboxState.MISSING.value, problem, os.fsencode(path)),
                ).fetchall()
                stored += [_item(r) for r in row]
        return stored

    def rename(self, old: str, item: InboxItem) -> InboxItem:
        """Replace ``old``'s row by ``item`` (a moved file: ``item`` carries the old row's
        read flag, note and call)."""
        with self._transaction() as db:
            db.executemany(
                "DELETE FROM faxes WHERE path = ?", ((os.fsencode(old),), (os.fsencode(item.path),))
            )
            row = db.execute(_UPSERT, _values(item)).fetchall()[0]
        return _item(row)

    def remove(self, paths: Iterable[str]) -> None:
        """Drop rows (an archived file, a forgotten one); never touches a file."""
        with self._transaction() as db:
            db.executemany("DELETE FROM faxes WHERE path = ?", ((os.fsencode(p),) for p in paths))

    def _update(self, path: str, assignment: str, values: tuple[object, ...]) -> InboxItem | None:
        with self._transaction() as db:
            row = db.execute(
                f"UPDATE faxes SET {assignment} WHERE path = ? RETURNING {_COLUMNS}",
                (*values, os.fsencode(path)),
            ).fetchall()
        return _item(row[0]) if row else None


_STATES = {s.value: s for s in InboxState}


def _item(row: tuple[Any, ...]) -> InboxItem:
    (path, size, mtime_ns, state, problem, pages, width, height, x_dpi, y_dpi, resolution,
     compression, orientation, station_id, remote_number, device, software, received,
     call_id, read, note) = row  # fmt: skip
    return InboxItem(
        os.fsdecode(path), size, mtime_ns, _STATES[state], problem, pages, width, height,
        x_dpi, y_dpi, resolution, compression, orientation, station_id, remote_number, device,
        software, received, call_id, bool(read), note,
    )  # fmt: skip


def _values(item: InboxItem) -> tuple[object, ...]:
    return (
        os.fsencode(item.path),
        item.size,
        item.mtime_ns,
        item.state.value,
        item.problem,
        item.pages,
        item.width,
        item.height,
        item.x_dpi,
        item.y_dpi,
        item.resolution,
        item.compression,
        item.orientation,
        item.station_id,
        item.remote_number,
        item.device,
        item.software,
        item.received,
        item.call_id,
        int(item.read),
        item.note,
    )
