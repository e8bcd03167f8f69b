"""The append-only event log in SQLite: the meetings' single source of truth.

One row per event, numbered by `seq` in commit order. A stream is named by the `meeting_id`
column: a meeting's id for its events, a committee's id for its roster events (state of a
meeting = replay of the committee's stream, then the meeting's). Rows are never updated or
deleted: triggers refuse it.

Durability: WAL journal with `synchronous=FULL`. In WAL mode, NORMAL already survives a
killed process (a committed transaction is in the WAL file), but may lose the last commits on
power loss or an OS crash; FULL fsyncs the WAL at every commit, so an event that `append`
returned is on disk. Events come at human rate (joins, roll call, votes), so one fsync per
event is cheap, and the log is the legal record of who was present.

Synchronous and quick by design; the asyncio caller calls it directly or via a thread.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass

from compliance.events import Event

# Schema steps in order; after step n is applied, PRAGMA user_version = n. Append, never edit.
MIGRATIONS: tuple[str, ...] = (
    """CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        meeting_id TEXT NOT NULL,
        at TEXT NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL CHECK (json_valid(data))
    )""",
    "CREATE INDEX events_by_meeting ON events (meeting_id, seq)",
    """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END""",
    """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
       BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END""",
)


@dataclass(frozen=True)
class StoredEvent:
    """An event as stored: its sequence number and stream."""

    seq: int
    meeting_id: str
    event: Event


def migrate(db: sqlite3.Connection) -> int:
    """Apply the pending MIGRATIONS in one transaction; return the schema version.

    Safe to call any number of times, also from two processes at once (BEGIN IMMEDIATE
    takes the write lock before reading the version).
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise RuntimeError(
                f"event log schema version {version} is newer than this code "
                f"({len(MIGRATIONS)})"
            )
        for step in MIGRATIONS[version:]:
            db.execute(step)
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return len(MIGRATIONS)


class EventLog:
    """Append-only event log in one SQLite file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        # The log names people and what they did: readable by the server's user only. SQLite
        # gives its -wal and -shm files the database file's mode.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        os.chmod(path, 0o600)
        # isolation_level=None: no implicit transactions; each append commits by itself.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA busy_timeout = 5000")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")
        migrate(self._db)

    def append(self, meeting_id: str, event: Event) -> int:
        """Store one event in its own committed transaction; return its `seq`."""
        fields = event.to_dict()
        del fields["type"], fields["at"]  # they have their own columns
        data = json.dumps(fields, ensure_ascii=False, sort_keys=True)
        cursor = self._db.execute(
            "INSERT INTO events (meeting_id, at, type, data) VALUES (?, ?, ?, ?)",
            (meeting_id, event.at, event.type, data),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def events(self, meeting_id: str) -> list[Event]:
        """The events of one stream (meeting or committee), in commit order."""
        rows = self._db.execute(
            "SELECT at, type, data FROM events WHERE meeting_id = ? ORDER BY seq", (meeting_id,)
        )
        return [_event(at, kind, data) for at, kind, data in rows]

    def all_events(self) -> list[StoredEvent]:
        """Every event of every stream, in commit order (for a restart)."""
        rows = self._db.execute("SELECT seq, meeting_id, at, type, data FROM events ORDER BY seq")
        return [StoredEvent(seq, mid, _event(at, kind, data)) for seq, mid, at, kind, data in rows]

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _event(at: str, kind: str, data: str) -> Event:
    return Event.from_dict({"type": kind, "at": at, **json.loads(data)})
