"""The append-only event log in SQLite: the meetings' single source of truth.

One row per event, numbered by `seq` in commit order. A stream is named by the `meeting_id`
column: a meeting's id for its events, a committee's id for its roster events (state of a
meeting = replay of the committee's stream, then the meeting's). Rows are never updated or
deleted: triggers refuse it. Each row carries `hash`, chaining it to the row before
(`compliance.chain`), so an edit made with the triggers dropped is still found by
`python -m server.verify`.

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
from collections.abc import Callable
from dataclasses import dataclass

from compliance.chain import GENESIS, ChainRow, chain_hash, link_rows
from compliance.events import Event

Step = str | Callable[[sqlite3.Connection], None]
NO_UPDATE_TRIGGER = """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"""
ROW_COLUMNS = "seq, meeting_id, at, type, data, hash"


def _chain_existing_rows(db: sqlite3.Connection) -> None:
    """Give the rows stored before the chain existed their hashes, in `seq` order.

    The only UPDATE the log ever sees: the append-only trigger is lifted for it, inside the
    migration's transaction, and put back.
    """
    rows = read_chain(db)
    db.execute("DROP TRIGGER events_no_update")
    db.executemany(
        "UPDATE events SET hash = ? WHERE seq = ?", [(r.hash, r.seq) for r in link_rows(rows)]
    )
    db.execute(NO_UPDATE_TRIGGER)


# Schema steps in order; after step n is applied, PRAGMA user_version = n. Append, never edit.
# A step is SQL, or a function for what SQL alone cannot do.
MIGRATIONS: tuple[Step, ...] = (
    """CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        meeting_id TEXT NOT NULL,
        at TEXT NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL CHECK (json_valid(data))
    )""",
    "CREATE INDEX events_by_meeting ON events (meeting_id, seq)",
    NO_UPDATE_TRIGGER,
    """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
       BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END""",
    "ALTER TABLE events ADD COLUMN hash TEXT",  # the chain (compliance/chain.py)
    _chain_existing_rows,
    """CREATE TRIGGER events_hash_required BEFORE INSERT ON events
       WHEN NEW.hash IS NULL OR length(NEW.hash) != 64
       BEGIN SELECT RAISE(ABORT, 'every event carries its chain hash'); END""",
)


@dataclass(frozen=True)
class StoredEvent:
    """An event as stored: its sequence number, stream and chain hash."""

    seq: int
    meeting_id: str
    event: Event
    hash: str


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
            if isinstance(step, str):
                db.execute(step)
            else:
                step(db)
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
        """Store one event, chained to the last, in its own committed transaction; return its
        `seq`. BEGIN IMMEDIATE holds the write lock from reading the last hash to the commit,
        so two writers (or processes) never chain to the same event."""
        fields = event.to_dict()
        del fields["type"], fields["at"]  # they have their own columns
        data = json.dumps(fields, ensure_ascii=False, sort_keys=True)
        self._db.execute("BEGIN IMMEDIATE")
        try:
            last = self._db.execute(
                "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            seq, previous = (last[0] + 1, last[1]) if last else (1, GENESIS)
            row = ChainRow(seq, meeting_id, event.at, event.type, data, None)
            self._db.execute(
                f"INSERT INTO events ({ROW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (seq, meeting_id, event.at, event.type, data, chain_hash(previous, row)),
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return seq

    def events(self, meeting_id: str) -> list[Event]:
        """The events of one stream (meeting or committee), in commit order."""
        return [stored.event for stored in self.stored(meeting_id)]

    def stored(self, meeting_id: str) -> list[StoredEvent]:
        """The events of one stream with their `seq` and chain hash, in commit order."""
        rows = self._db.execute(
            f"SELECT {ROW_COLUMNS} FROM events WHERE meeting_id = ? ORDER BY seq", (meeting_id,)
        )
        return [_stored(*row) for row in rows]

    def all_events(self) -> list[StoredEvent]:
        """Every event of every stream, in commit order (for a restart)."""
        rows = self._db.execute(f"SELECT {ROW_COLUMNS} FROM events ORDER BY seq")
        return [_stored(*row) for row in rows]

    def chain_rows(self) -> list[ChainRow]:
        """Every row as stored, for `compliance.chain.verify_chain`."""
        return read_chain(self._db)

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_chain(db: sqlite3.Connection) -> list[ChainRow]:
    """Every row of an event log database as stored, in `seq` order."""
    return [ChainRow(*r) for r in db.execute(f"SELECT {ROW_COLUMNS} FROM events ORDER BY seq")]


def _stored(seq: int, stream: str, at: str, kind: str, data: str, hash: str) -> StoredEvent:
    event = Event.from_dict({"type": kind, "at": at, **json.loads(data)})
    return StoredEvent(seq, stream, event, hash)
