"""The fuzzer in CI: a few thousand Hypothesis-written messages (seeded) over the WebSocket and
the API against a live meeting with media (bench/fuzz.py says what is sent and judged)."""

from __future__ import annotations

import os

from bench.fuzz import LiveMeeting, fuzz, resources
from compliance.profile import default_profile
from server.eventlog import EventLog
from server.invitations import Invitations
from server.meetings import MeetingService, load_secret
from server.verify import verify_file

MESSAGES = int(os.environ.get("KVORUM_FUZZ_MESSAGES", "2000"))


def test_fuzzing_a_live_meeting_gets_clear_errors_and_harms_nothing(tmp_path):
    meeting = LiveMeeting(tmp_path)
    meeting.start()
    try:
        assert meeting.media_flows(), "media did not flow before fuzzing"
        fuzz(meeting, 100, seed_value=1)  # warm up: caches, first allocations
        meeting.close_fuzz_sockets()
        fds_before, rss_before = resources()
        fuzz(meeting, MESSAGES, seed_value=11)
        meeting.close_fuzz_sockets()
        findings = meeting.findings
        assert findings.messages >= MESSAGES
        assert not findings.problems, findings.problems[:10]
        assert not meeting.errors.records, meeting.errors.records[:5]
        assert meeting.media_flows(), "media stopped flowing"
        fds_after, rss_after = resources()
        assert fds_after <= fds_before + 8, (fds_before, fds_after)
        assert rss_after <= rss_before * 1.25 + 20, (rss_before, rss_after)
        # the refusals were many and varied, and some messages had their effect
        assert findings.replies["bad-message"] > 50 and findings.replies["bad-json"] > 20
        assert findings.replies["(effect)"] > 0
    finally:
        meeting.stop()
    database = tmp_path / "kvorum.sqlite3"
    assert verify_file(database).intact
    log = EventLog(database)
    try:  # the log replays
        service = MeetingService(log, Invitations(load_secret(tmp_path / "secret.key")),
                                 default_profile())
        assert service.meeting("demo") is not None
    finally:
        log.close()
