"""The SQLite event log: append and replay, crash safety, migrations, append-only."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from compliance import events as ev
from compliance.meeting import MeetingState
from server.eventlog import MIGRATIONS, EventLog, migrate
from tests.test_meeting import at, meeting_events

ROOT = Path(__file__).resolve().parent.parent
T = at("18:00")

ONE_OF_EACH: list[ev.Event] = [
    ev.CommitteeCreated(at=T, committee_id="c1", name="Nämnden", party_order=("S", "M")),
    ev.PersonAdded(at=T, person_id="p", name="Åsa Öberg", role="ersättare", party="C",
                   substitute_order=2, email="asa@example.se"),
    ev.MeetingCreated(at=T, meeting_id="mt1", committee_id="c1", date="2026-03-10", time="18:00",
                      place="Rådhuset", agenda=("Val av justerare", "Budget"), profile="reform"),
    ev.ProfileChosen(at=T, profile_id="seed-half", by="sec"),
    ev.AgendaItemAdded(at=T, item_id="3", title="Bygglov", kind="decision", draft="Bevilja",
                       position=1, by=""),
    ev.AgendaItemChanged(at=T, item_id="3", title="Bygglov kv. Ek", kind="election", draft="",
                         by="sec"),
    ev.AgendaItemMoved(at=T, item_id="3", position=0, by="sec"),
    ev.AgendaItemRemoved(at=T, item_id="3", by="sec"),
    ev.ItemOpened(at=T, item_id="1", by="chair"),
    ev.FloorRequested(at=T, item_id="1", person_id="p", by="p", reply=True),
    ev.ReplyAllowed(at=T, item_id="1", person_id="p", by="chair"),
    ev.FloorWithdrawn(at=T, item_id="1", person_id="p", by="p"),
    ev.FloorGiven(at=T, item_id="1", person_id="p", by="chair"),
    ev.ProposalMade(at=T, item_id="1", proposal_id="1.1", text="Bifall", author="", by="chair",
                    draft=True),
    ev.ProposalWithdrawn(at=T, item_id="1", proposal_id="1.1", by="chair"),
    ev.DeliberationEnded(at=T, item_id="1", by="chair"),
    ev.DeliberationReopened(at=T, item_id="1", by="chair"),
    ev.EqualTermsConfirmed(at=T, item_id="1", by="chair", ok=False,
                           interruptions=({"person_id": "p", "what": "link_failed", "at": T},)),
    ev.PropositionOrderSet(at=T, item_id="1", order=("1.1", "1.2"), by="chair"),
    ev.QuestionPut(at=T, item_id="1", round=1, stage="main", ja="1.1", nej="1.2", finding="1.1",
                   by="chair", window_s=30.0, closes_at=T),
    ev.VoteRequested(at=T, item_id="1", round=1, person_id="p", by="p"),
    ev.VoteStarted(at=T, item_id="1", vote_id="1.v1", round=1, ja="1.1", nej="1.2",
                   kind="election", secret=False, voters=("p", "chair"), by="chair"),
    ev.VoteCast(at=T, vote_id="1.v1", person_id="p", choice="avstår", by="p"),
    ev.VoteClosed(at=T, vote_id="1.v1", by="chair", votes={"p": "avstår", "chair": "ja"},
                  tally={"ja": 1, "nej": 0, "avstår": 1}, result="ja", winner="1.1",
                  tie_break="lot", draw={"value": 0.25, "rule": "ja < 0,5"},
                  links={"p": {"state": "ok", "fps": 15.0}}),
    ev.VoteVoided(at=T, vote_id="1.v1", code="vote_void_link_failed", person_ids=("p",),
                  message_sv="Ogiltig", message_en="Void"),
    ev.RoundDecided(at=T, item_id="1", round=1, winner="1.2", method="vote", vote_id="1.v1",
                    by="chair"),
    ev.DecisionRecorded(at=T, item_id="1", proposal_id="1.1", text="Bifall", method="vote",
                        vote_id="1.v1", by="chair", deciding=("p", "chair"),
                        quorum={"members": 3, "present": 2, "required": 2, "quorate": True},
                        profile="today", links={"p": {"state": "ok"}}),
    ev.ReservationMade(at=T, item_id="1", person_id="p", by="p", reason=""),
    ev.ReservationReasonGiven(at=T, item_id="1", person_id="p", by="p", reason="För dyrt"),
    ev.JavDeclared(at=T, item_id="1", person_id="p", by="chair", reason="släkt"),
    ev.ItemClosed(at=T, item_id="1", by="chair", tabled=True, reason="sluten omröstning",
                  returned=("p",), released=("s1",)),
    ev.Adjourned(at=T, by="chair", groups=(("S", "V"), ("M",)), reason="gruppöverläggning"),
    ev.AdjournmentEnded(at=T, by="chair"),
    ev.InvitationIssued(at=T, invitation_id="i1", person_id="p"),
    ev.InvitationRevoked(at=T, invitation_id="i1", reason="vidarebefordrad"),
    ev.RemoteRequested(at=T, person_id="p", mode="attending-only", late=True, reason="riskgrupp"),
    ev.RemoteDecided(at=T, person_id="p", approved=True, by="chair"),
    ev.LobbyEntered(at=T, person_id="p"),
    ev.Admitted(at=T, person_id="p", mode="deciding", by="sec"),
    ev.MarkedPresent(at=T, person_id="p", by="sec"),
    ev.LeftMeeting(at=T, person_id="p", reason="jäv"),
    ev.TechnicalPauseStarted(at=T, person_id="p"),
    ev.TechnicalPauseEnded(at=T, person_id="p"),
    ev.LinkFailed(at=T, person_id="p", evidence={"fps": 0.0, "faults": ["video_freeze"]}),
    ev.LinkRestored(at=T, person_id="p"),
    ev.SubstituteServing(at=T, substitute_id="p", member_id="m1", by="chair"),
    ev.SubstituteReleased(at=T, substitute_id="p", by="chair"),
    ev.MeetingOpened(at=T, by="chair"),
    ev.MeetingSuspended(at=T, reason="link_failed", participant="p", evidence={"loss": 0.3}),
    ev.MeetingResumed(at=T, by="chair"),
    ev.MeetingClosed(at=T, by="chair"),
]  # fmt: skip


def scripted_events() -> list[ev.Event]:
    """A committee, its roster, a meeting, a roll call and the opening."""
    events = meeting_events()
    state = MeetingState.replay(events)
    for pid in ("chair", "m1", "m2", "m3", "m4", "m5", "m6"):
        events.append(state.mark_present(pid, by="sec", at=at("18:00")))
        state.apply(events[-1])
    events.append(state.open(by="chair", at=at("18:01")))
    return events


def stream(event: ev.Event) -> str:
    """Roster events go to the committee's stream, the rest to the meeting's."""
    return "c1" if isinstance(event, ev.CommitteeCreated | ev.PersonAdded) else "mt1"


def test_every_event_type_survives_storage_unchanged(tmp_path: Path) -> None:
    assert {e.type for e in ONE_OF_EACH} == set(ev.Event.registry)
    with EventLog(tmp_path / "log.db") as log:
        for event in ONE_OF_EACH:
            log.append("mt1", event)
        assert log.events("mt1") == ONE_OF_EACH


def test_append_numbers_events_and_streams_replay_in_order(tmp_path: Path) -> None:
    events = scripted_events()
    with EventLog(tmp_path / "log.db") as log:
        seqs = [log.append(stream(e), e) for e in events]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)

        replayed = MeetingState.replay(log.events("c1") + log.events("mt1"))

        assert replayed == MeetingState.replay(events)
        assert replayed.phase == "open" and replayed.decision_block() is None
        stored = log.all_events()
        assert [s.event for s in stored] == events
        assert [s.seq for s in stored] == seqs
        assert {s.meeting_id for s in stored} == {"c1", "mt1"}


def test_file_is_in_wal_mode(tmp_path: Path) -> None:
    EventLog(tmp_path / "log.db").close()
    db = sqlite3.connect(tmp_path / "log.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


CHILD = """
import sys, time
from server.eventlog import EventLog
from tests.test_eventlog import scripted_events, stream
log = EventLog(sys.argv[1])
for event in scripted_events():
    log.append(stream(event), event)
print("appended", flush=True)
time.sleep(60)
"""


def test_events_committed_before_sigkill_are_there_after_restart(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "appended\n"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL

    with EventLog(path) as log:
        recovered = log.events("c1") + log.events("mt1")
    assert recovered == scripted_events()
    assert MeetingState.replay(recovered) == MeetingState.replay(scripted_events())


def test_migrations_run_once_and_reopening_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with EventLog(path) as log:
        log.append("mt1", ONE_OF_EACH[0])
    with EventLog(path) as log:  # CREATE TABLE without IF NOT EXISTS: a rerun would fail
        assert log.events("mt1") == [ONE_OF_EACH[0]]
    db = sqlite3.connect(path, isolation_level=None)
    assert migrate(db) == len(MIGRATIONS)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'events'").fetchone() == (1,)


def test_partly_migrated_file_gets_only_the_missing_steps(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    db = sqlite3.connect(path, isolation_level=None)
    assert isinstance(MIGRATIONS[0], str)
    db.execute(MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    db.close()

    EventLog(path).close()

    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    triggers = db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
    assert sorted(triggers) == [("events_hash_required",), ("events_no_delete",),
                                ("events_no_update",)]


def test_stored_events_cannot_be_updated_or_deleted(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with EventLog(path) as log:
        log.append("mt1", ONE_OF_EACH[0])
    db = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE events SET type = 'meeting_closed'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM events")
    assert db.execute("SELECT count(*) FROM events").fetchone() == (1,)
