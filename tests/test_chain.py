"""The hash chain over the event log: it verifies, and an edit, deletion or insertion made
directly in the SQLite file (triggers dropped) is found, by the pure check and the command."""

from __future__ import annotations

import itertools
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from compliance.chain import GENESIS, ChainRow, chain_hash, verify_chain
from server.eventlog import MIGRATIONS, EventLog
from server.verify import main as verify_main
from tests.test_eventlog import ONE_OF_EACH, scripted_events, stream

ROOT = Path(__file__).resolve().parent.parent


def write_log(path: Path) -> list[str]:
    """A roll call and opening in a real SQLite log; the stored hashes in order."""
    with EventLog(path) as log:
        for event in scripted_events():
            log.append(stream(event), event)
        return [row.hash or "" for row in log.chain_rows()]


def tamper(path: Path, *statements: str) -> None:
    """Edit the file as an intruder would: triggers dropped, plain SQL."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("DROP TRIGGER events_no_update")
    db.execute("DROP TRIGGER events_no_delete")
    db.execute("DROP TRIGGER events_hash_required")
    for sql in statements:
        db.execute(sql)
    db.close()


def verdict(path: Path, anchor: str | None = None):  # type: ignore[no-untyped-def]
    with EventLog(path) as log:
        return verify_chain(log.chain_rows(), anchor)


def test_each_event_carries_the_hash_of_the_one_before(tmp_path: Path) -> None:
    hashes = write_log(tmp_path / "log.db")
    with EventLog(tmp_path / "log.db") as log:
        rows = log.chain_rows()
        stored = log.all_events()
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].hash == chain_hash(GENESIS, rows[0])
    for before, row in itertools.pairwise(rows):
        assert row.hash == chain_hash(before.hash or "", row)
    assert [s.hash for s in stored] == hashes and len(set(hashes)) == len(hashes)
    result = verify_chain(rows)
    assert result.intact and result.events == len(rows) and result.head == hashes[-1]


def test_editing_one_event_in_the_file_breaks_the_chain_there(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    write_log(path)
    with EventLog(path) as log:
        target = next(r for r in log.chain_rows() if r.type == "marked_present")
    forged = json.dumps({**json.loads(target.data), "by": "chair"}, ensure_ascii=False)
    db = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):  # the trigger holds...
        db.execute("UPDATE events SET data = ? WHERE seq = ?", (forged, target.seq))
    db.close()
    tamper(path)  # ...until it is dropped
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("UPDATE events SET data = ? WHERE seq = ?", (forged, target.seq))
    db.close()

    result = verdict(path)
    assert not result.intact and result.reason == "hash_mismatch"
    assert (result.broken_seq, result.broken_type) == (target.seq, "marked_present")
    assert result.events == target.seq - 1
    assert f"händelse {target.seq}" in result.message_sv


def test_only_the_time_changed_is_found_too(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    write_log(path)
    tamper(path, "UPDATE events SET at = '2026-03-10T17:59:00+01:00' WHERE seq = 3")
    assert verdict(path).broken_seq == 3


def test_deleting_an_event_breaks_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    write_log(path)
    tamper(path, "DELETE FROM events WHERE seq = 5")
    result = verdict(path)
    assert not result.intact and result.broken_seq == 6 and result.reason == "sequence_gap"


def test_deleting_and_renumbering_breaks_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    write_log(path)
    tamper(path, "DELETE FROM events WHERE seq = 5",
           "UPDATE events SET seq = seq - 1 WHERE seq > 5")
    result = verdict(path)
    assert not result.intact and result.broken_seq == 5 and result.reason == "hash_mismatch"


def test_inserting_a_correctly_hashed_event_breaks_the_chain_after_it(tmp_path: Path) -> None:
    """The intruder knows the algorithm: the inserted row's own hash is right, the next is not."""
    path = tmp_path / "log.db"
    write_log(path)
    with EventLog(path) as log:
        rows = log.chain_rows()
    before = rows[5]
    forged = ChainRow(before.seq + 1, "mt1", before.at, "left",
                      json.dumps({"person_id": "m1", "reason": ""}), None)
    forged_hash = chain_hash(before.hash or "", forged)
    tamper(path,
           f"UPDATE events SET seq = seq + 1000 WHERE seq > {before.seq}",
           "UPDATE events SET seq = seq - 999 WHERE seq > 1000")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("INSERT INTO events (seq, meeting_id, at, type, data, hash) VALUES (?,?,?,?,?,?)",
               (forged.seq, forged.stream, forged.at, forged.type, forged.data, forged_hash))
    db.close()

    result = verdict(path)
    assert not result.intact and result.reason == "hash_mismatch"
    assert result.broken_seq == before.seq + 2  # the first genuine event after the insertion
    assert result.events == before.seq + 1


def test_a_cut_at_the_end_is_found_against_an_anchor(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    hashes = write_log(path)
    tamper(path, f"DELETE FROM events WHERE seq = {len(hashes)}")
    assert verdict(path).intact  # a chain alone cannot see its own end cut off
    result = verdict(path, anchor=hashes[-1])
    assert not result.intact and result.reason == "anchor_not_found"
    assert verdict(path, anchor=hashes[-2]).intact


def test_an_insert_without_a_hash_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    write_log(path)
    db = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(sqlite3.DatabaseError, match="chain hash"):
        db.execute("INSERT INTO events (meeting_id, at, type, data) "
                   "VALUES ('mt1', '2026-03-10T18:00:00+01:00', 'meeting_closed', '{}')")


def test_a_log_written_before_the_chain_is_chained_by_its_migration(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    for step in MIGRATIONS[:4]:  # the schema before the chain
        assert isinstance(step, str)
        db.execute(step)
    db.execute("PRAGMA user_version = 4")
    for event in ONE_OF_EACH[:5]:
        fields = event.to_dict()
        del fields["type"], fields["at"]
        db.execute("INSERT INTO events (meeting_id, at, type, data) VALUES (?, ?, ?, ?)",
                   ("mt1", event.at, event.type, json.dumps(fields, sort_keys=True)))
    db.close()

    with EventLog(path) as log:
        assert log.events("mt1") == ONE_OF_EACH[:5]
        log.append("mt1", ONE_OF_EACH[5])
        rows = log.chain_rows()
    assert len(rows) == 6 and verify_chain(rows).intact
    db = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):  # the trigger is back
        db.execute("UPDATE events SET hash = NULL")


def test_the_command_gives_a_one_line_verdict_and_an_exit_code(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "log.db"
    hashes = write_log(path)
    assert verify_main([str(path)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "obruten" in out and "intact" in out and hashes[-1] in out
    assert verify_main([str(path), "--anchor", hashes[3]]) == 0
    assert verify_main([str(path), "--anchor", "f" * 64]) == 1
    capsys.readouterr()

    tamper(path, "UPDATE events SET type = 'meeting_closed' WHERE seq = 4")
    assert verify_main([str(path)]) == 1
    out = capsys.readouterr().out
    assert "bruten vid händelse 4" in out and "broken at event 4" in out

    (tmp_path / "other.txt").write_text("not a database")
    assert verify_main([str(tmp_path / "other.txt")]) == 2
    assert verify_main([str(tmp_path / "missing.db")]) == 2


def test_the_command_runs_as_a_module_and_leaves_the_file_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    write_log(path)
    before = path.read_bytes()
    done = subprocess.run([sys.executable, "-m", "server.verify", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Händelseloggens hashkedja är obruten")
    assert path.read_bytes() == before
