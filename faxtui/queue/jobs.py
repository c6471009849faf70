"""The jobs, in SQLite (WAL): every change is committed before the queue acts on it.

A job is one JSON record plus the columns the queue searches by. Writes go through one
connection in the engine's process; `faxtui queue` and other readers open their own.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

from faxtui.model import Job, JobState

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    state TEXT NOT NULL,
    number TEXT NOT NULL,
    next_try REAL,
    updated REAL NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state);
"""


class JobStore:
    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        if readonly:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # kill -9 loses nothing committed
            self._db.executescript(_SCHEMA)
        self._db.execute("PRAGMA busy_timeout=5000")

    def add(self, job: Job) -> Job:
        """Store a new job; it gets its id here."""
        with self._db:
            cursor = self._db.execute(
                "INSERT INTO jobs (state, number, next_try, updated, record) VALUES (?,?,?,?,'')",
                (str(job.state), job.number, job.next_try, job.updated),
            )
            assert cursor.lastrowid is not None
            job = replace(job, id=cursor.lastrowid)
            self._db.execute(
                "UPDATE jobs SET record = ? WHERE id = ?", (json.dumps(job.to_dict()), job.id)
            )
        return job

    def save(self, job: Job) -> None:
        with self._db:
            self._db.execute(
                "UPDATE jobs SET state = ?, number = ?, next_try = ?, updated = ?, record = ? "
                "WHERE id = ?",
                (str(job.state), job.number, job.next_try, job.updated,
                 json.dumps(job.to_dict()), job.id),
            )  # fmt: skip

    def get(self, job_id: int) -> Job | None:
        row = self._db.execute("SELECT record FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return Job.from_dict(json.loads(row[0])) if row else None

    def unfinished(self) -> list[Job]:
        finals = tuple(str(s) for s in JobState if s.final)
        rows = self._db.execute(
            "SELECT record FROM jobs WHERE state NOT IN (?,?,?) ORDER BY id", finals
        )
        return [Job.from_dict(json.loads(r[0])) for r in rows]

    def recent(self, limit: int = 500) -> list[Job]:
        """Every unfinished job and the ``limit`` last finished ones, by id."""
        finals = tuple(str(s) for s in JobState if s.final)
        rows = self._db.execute(
            "SELECT record FROM jobs WHERE state NOT IN (?,?,?) OR id IN "
            "(SELECT id FROM jobs WHERE state IN (?,?,?) ORDER BY updated DESC LIMIT ?) "
            "ORDER BY id",
            (*finals, *finals, limit),
        )
        return [Job.from_dict(json.loads(r[0])) for r in rows]

    def referenced_spool_files(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT json_extract(record, '$.spool') FROM jobs")}

    def close(self) -> None:
        self._db.close()
