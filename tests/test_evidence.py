"""Evidence per decision, from a real SQLite log: who decided, the quorum, each remote
deciding member's link over the item and the vote, the decision's place in the hash chain;
and what an edit of the file does to it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from compliance import proposals, votes
from compliance.chain import verify_chain
from compliance.events import Event
from compliance.evidence import Evidence, build_evidence
from compliance.meeting import MeetingState
from compliance.minutes import build_minutes
from compliance.minutes_html import render_html
from server.eventlog import EventLog
from tests.procedure_helpers import Meeting
from tests.test_eventlog import stream
from tests.test_minutes import LINK_OK, hand_built_meeting, html_text


def stored_evidence(path: Path, events: list[Event]) -> Evidence:
    """Store the events in a real log, read them back with their hashes, verify, build."""
    with EventLog(path) as log:
        if not log.chain_rows():
            for event in events:
                log.append(stream(event), event)
        rows = log.stored("c1") + log.stored("mt1")
        return build_evidence(rows, verify_chain(log.chain_rows()))


def test_each_decision_names_who_decided_the_quorum_and_its_place_in_the_chain(
        tmp_path: Path) -> None:
    evidence = stored_evidence(tmp_path / "log.db", hand_built_meeting())
    assert evidence.chain.intact and evidence.meeting_id == "mt1"
    first, second = evidence.decisions
    with EventLog(tmp_path / "log.db") as log:
        decided = [s for s in log.all_events() if s.event.type == "decision_recorded"]
        assert (evidence.last_seq, evidence.last_hash) == (
            log.all_events()[-1].seq, log.all_events()[-1].hash)
    assert [(d.seq, d.hash) for d in (first, second)] == [(s.seq, s.hash) for s in decided]
    assert first.chain_verified and second.chain_verified

    assert (first.item_id, first.title, first.method, first.vote_id) == ("1", "A", "vote", "1.v1")
    assert [(d["person_id"], d["where"]) for d in first.deciding] == [
        ("chair", "room"), ("m1", "room"), ("m2", "room"), ("m3", "room"), ("m4", "room"),
        ("m5", "remote"), ("m6", "remote"), ("m7", "remote")]
    assert first.quorum == {"members": 13, "present": 8, "required": 7, "quorate": True}
    assert first.votes["chair"] == "ja" and first.votes["m6"] == "nej"
    assert first.profile == "today"
    assert [link.person_id for link in first.remote] == ["m5", "m6", "m7"]
    for link in first.remote:
        assert link.unbroken_over_item and link.unbroken_over_vote
        assert link.at_vote_close == LINK_OK and link.at_decision == LINK_OK

    # § 2: m2 out for jäv, sM1 serving for her; m6's link failed during the item.
    deciding = {d["person_id"]: d for d in second.deciding}
    assert "m2" not in deciding and deciding["sM1"]["serving_for"] == "m2"
    m6 = next(link for link in second.remote if link.person_id == "m6")
    assert not m6.unbroken_over_item and m6.vote_id is None and m6.unbroken_over_vote is None
    assert [f["type"] for f in m6.over_item] == [
        "link_failed", "meeting_suspended", "link_restored"]
    assert m6.over_item[0]["code"] == "video.freeze"
    assert all(link.unbroken_over_item for link in second.remote if link.person_id != "m6")
    assert [f["type"] for f in second.suspensions] == ["meeting_suspended", "meeting_resumed"]


def test_the_evidence_is_json_and_shown_in_the_minutes_appendix(tmp_path: Path) -> None:
    events = hand_built_meeting()
    evidence = stored_evidence(tmp_path / "log.db", events)
    data = json.loads(json.dumps(evidence.to_dict(), ensure_ascii=False))
    assert data["chain"]["intact"] is True
    assert [d["item_id"] for d in data["decisions"]] == ["1", "2"]
    assert data["decisions"][0]["remote_links"][0]["vote"]["unbroken"] is True
    assert data["decisions"][1]["remote_links"][1]["item"]["unbroken"] is False

    text = html_text(render_html(build_minutes(events, evidence=evidence)))
    assert "§ 1 A, beslut kl. 18:05" in text and "§ 2 B, beslut kl. 18:41" in text
    assert "8 beslutande; beslutför: 8 av 13 ledamöter närvarande, 7 krävs" in text
    assert ("Person m6 (M): avbrott under ärendet (förbindelsen bröts kl. 18:25; "
            "sammanträdet avbröts kl. 18:25; återställd kl. 18:28); beslut utan "
            "omröstning.") in text
    assert ("Person m5 (S): förbindelsen obruten under hela ärendet; obruten under "
            "omröstningen.") in text
    for decision in evidence.decisions:
        assert decision.hash in text


def test_an_edit_between_two_decisions_leaves_the_first_vouched_for_and_not_the_second(
        tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    events = hand_built_meeting()
    first, second = stored_evidence(path, events).decisions
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("DROP TRIGGER events_no_update")
    db.execute("UPDATE events SET data = replace(data, 'föreningen', 'bolaget') "
               "WHERE type = 'jav_declared'")
    db.close()

    evidence = stored_evidence(path, events)
    assert not evidence.chain.intact and evidence.chain.broken_seq is not None
    assert first.seq < evidence.chain.broken_seq <= second.seq
    after_first, after_second = evidence.decisions
    assert after_first.chain_verified and not after_second.chain_verified
    text = html_text(render_html(build_minutes(events, evidence=evidence)))
    assert "kedjan bruten före denna händelse" in text
    assert f"bruten vid händelse {evidence.chain.broken_seq}" in text


def test_a_vote_voided_by_a_failed_link_is_in_the_evidence_of_the_retaken_decision(
        tmp_path: Path) -> None:
    m = Meeting()
    ids = m.to_proposition("m5")
    m.put(ids)
    m.do(proposals.request_vote, "m6", by="m6")
    m.do(votes.start_vote, by="chair")
    m.do(MeetingState.report_link_failed, "m5")
    voided = votes.void_if_compromised(m.state, m.now())
    assert voided is not None
    m.do(lambda s, at: voided)
    m.do(MeetingState.report_link_restored, "m5")
    m.do(votes.start_vote, by="chair")
    for pid in ("m1", "m2", "m3", "m4", "m5", "m6", "m7"):
        m.do(votes.cast_vote, pid, "ja" if pid in ("m1", "m2", "m3", "m4") else "nej",
             by="chair" if pid < "m5" else pid)
    m.do(votes.cast_vote, "chair", "ja", by="chair")
    m.do(votes.close_vote, by="chair")
    m.do(proposals.decide, by="chair")

    (decision,) = stored_evidence(tmp_path / "log.db", m.events).decisions
    assert decision.vote_id == "1.v2"
    assert [(v["vote_id"], v["code"], v["person_ids"]) for v in decision.voided] == [
        ("1.v1", "vote_void_link_failed", ["m5"])]
    m5 = next(link for link in decision.remote if link.person_id == "m5")
    assert not m5.unbroken_over_item  # the item saw the failure...
    assert m5.unbroken_over_vote  # ...the vote that decided did not
