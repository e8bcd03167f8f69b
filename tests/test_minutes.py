"""The minutes (protokoll) from a hand-built meeting: every fact the events hold is in the
model, in the HTML and in the DOCX (asserted on content, not on a snapshot)."""

from __future__ import annotations

import io
from html.parser import HTMLParser

import docx
import pytest

from compliance import events as ev
from compliance.chain import ChainVerdict
from compliance.evidence import build_evidence
from compliance.meeting import MeetingState
from compliance.minutes import Minutes, build_minutes, duration_sv
from compliance.minutes_docx import render_docx
from compliance.minutes_html import render_html
from tests.test_meeting import at, committee_roster, meeting_events

FREEZE = {"metric": "video.freeze", "value": 1.4, "threshold": 1.0, "window_s": 1.0,
          "detail": "no video frame for 1.40 s"}


class Recorder:
    """Runs commands on a meeting's state and keeps the events, as the server's log would."""

    def __init__(self, events: list[ev.Event]) -> None:
        self.events = events
        self.state = MeetingState.replay(events)

    def do(self, event: ev.Event) -> None:
        self.state.apply(event)
        self.events.append(event)


def hand_built_meeting() -> list[ev.Event]:
    """Seven seats; m1 and m2 remote deciding, sC1 remote attending only; m1's picture
    freezes (suspended 18:20-18:25); m2 leaves for jäv and sM1 serves for her; m5 pauses."""
    r = Recorder(meeting_events(committee_roster(members=7)))
    s = r.state
    for pid, mode in (("m1", "deciding"), ("m2", "deciding"), ("sC1", "attending-only")):
        r.do(s.request_remote(pid, mode, at("10:00", "2026-03-01")))  # type: ignore[arg-type]
        r.do(s.decide_remote(pid, True, by="chair", at=at("11:00", "2026-03-01")))
        r.do(s.enter_lobby(pid, at("17:55")))
        r.do(s.admit(pid, mode, by="sec", at=at("17:58")))  # type: ignore[arg-type]
    for pid in ("chair", "m3", "m4", "m5", "sec", "sS1", "sM1"):
        r.do(s.mark_present(pid, by="sec", at=at("18:00")))
    r.do(s.open(by="chair", at=at("18:01")))
    r.do(s.report_link_failed("m1", at("18:20"), FREEZE))
    r.do(s.suspend("Person m1: no video frame for 1.40 s", at("18:20"), participant="m1",
                   evidence=FREEZE))
    r.do(s.report_link_restored("m1", at("18:24")))
    r.do(s.resume(by="chair", restorable=True, at=at("18:25")))
    r.do(s.leave("m2", at("18:30"), reason="jäv"))
    r.do(s.serve_substitute("sM1", "m2", by="chair", at=at("18:31")))
    r.do(s.start_technical_pause("m5", at("18:45")))
    r.do(s.end_technical_pause("m5", at("18:47")))
    r.do(s.release_substitute("sM1", by="chair", at=at("18:50")))
    r.do(s.enter_lobby("m2", at("18:50")))
    r.do(s.admit("m2", "deciding", by="chair", at=at("18:51")))
    r.do(s.close(by="chair", at=at("19:00")))
    return r.events


@pytest.fixture
def minutes() -> Minutes:
    return build_minutes(hand_built_meeting())


def test_durations_read_in_swedish() -> None:
    assert [duration_sv(s) for s in (45, 300, 250, 3900)] == [
        "45 s", "5 min", "4 min 10 s", "1 tim 5 min"]


def test_header_says_committee_date_place_and_times(minutes: Minutes) -> None:
    assert minutes.committee == "Kultur- och fritidsnämnden"
    assert (minutes.date, minutes.date_text, minutes.place) == (
        "2026-03-10", "10 mars 2026", "Rådhuset")
    assert (minutes.opened_time, minutes.closed_time) == ("18:01", "19:00")
    assert minutes.profile == "KL 2017:725 (lydelse 2026)"
    assert (minutes.chair, minutes.secretary) == ("Person chair", "Person sec")


def test_beslutande_mark_remote_members_and_the_serving_substitute(minutes: Minutes) -> None:
    lines = [p.line for p in minutes.beslutande]
    assert lines == [
        "Person chair (S), ordförande",
        "Person m1 (S), ledamot, deltar på distans",
        "Person m2 (M), ledamot, deltar på distans",
        "Person m3 (S), ledamot",
        "Person m4 (M), ledamot",
        "Person m5 (S), ledamot",
        "Person sM1 (M), ersättare, tjänstgörande ersättare för Person m2 (18:31–18:50)",
    ]  # m6 never came: not listed


def test_substitutes_and_others_present(minutes: Minutes) -> None:
    assert [p.line for p in minutes.ersattare] == ["Person sS1 (S), ersättare"]
    assert [p.line for p in minutes.ovriga] == [
        "Person sec, sekreterare",
        "Person sC1 (C), ersättare, närvarar på distans utan rätt att delta i beslut",
    ]


def test_roll_call_lists_who_was_there_at_the_opening_and_how(minutes: Minutes) -> None:
    assert "Person m1 (S), ledamot, på distans, beslutande" in minutes.roll_call
    assert "Person sC1 (C), ersättare, på distans, utan rätt att delta i beslut" in (
        minutes.roll_call)
    assert "Person m3 (S), ledamot, i sammanträdeslokalen" in minutes.roll_call
    assert len(minutes.roll_call) == 10


def test_suspension_has_its_reason_with_the_name_and_its_duration(minutes: Minutes) -> None:
    (suspension,) = minutes.suspensions
    assert (suspension.start_time, suspension.end_time) == ("18:20", "18:25")
    assert (suspension.duration, suspension.seconds) == ("5 min", 300)
    assert suspension.person_id == "m1"
    assert "Person m1 (S)" in suspension.reason
    assert "bilden frös (uppmätt 1,4 s, gräns 1 s)" in suspension.reason


def test_attendance_changes_say_who_came_and_left_when(minutes: Minutes) -> None:
    changes = [(c.time, c.text) for c in minutes.attendance]
    assert changes == [
        ("18:20", "Förbindelsen med Person m1 (S) bryts: bilden frös (uppmätt 1,4 s, gräns 1 s)"),
        ("18:24", "Förbindelsen med Person m1 (S) återställd"),
        ("18:30", "Person m2 (M) lämnar sammanträdet (jäv)"),
        ("18:31", "Person sM1 (M) tjänstgör för Person m2 (M)"),
        ("18:45", "Person m5 (S) tar teknisk paus"),
        ("18:47", "Person m5 (S) åter efter teknisk paus"),
        ("18:50", "Person sM1 (M) slutar tjänstgöra; Person m2 (M) återtar sin plats"),
        ("18:51", "Person m2 (M) ansluter på distans"),
    ]


def test_a_suspension_never_resumed_is_shown_open() -> None:
    events = hand_built_meeting()
    cut = next(i for i, e in enumerate(events) if isinstance(e, ev.MeetingResumed))
    (suspension,) = build_minutes(events[:cut]).suspensions
    assert suspension.end is None and suspension.duration is None


def test_an_unopened_meeting_has_minutes_without_times() -> None:
    minutes = build_minutes(meeting_events())
    assert minutes.opened_time is None and minutes.beslutande == ()
    assert "öppnades inte" in html_text(render_html(minutes))


# -- the renderings ---------------------------------------------------------------------------


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(html: str) -> str:
    """The visible text of an HTML document, whitespace collapsed."""
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def docx_text(data: bytes) -> str:
    """Every paragraph and table cell of a .docx, whitespace collapsed."""
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return " ".join(" ".join(parts).split())


def facts(minutes: Minutes) -> list[str]:
    """The facts any rendering must show."""
    return [
        "SAMMANTRÄDESPROTOKOLL", minutes.committee, "Rådhuset, 10 mars 2026 kl. 18:01–19:00",
        "avbrott kl. 18:20–18:25", "Beslutande", "Ersättare", "Övriga närvarande",
        *(p.line for p in minutes.beslutande + minutes.ersattare + minutes.ovriga),
        minutes.profile, "Justerare", "Ordförande", "Person chair", "Sekreterare",
        "Upprop", *minutes.roll_call,
        *(s.reason for s in minutes.suspensions), "5 min",
        *(c.text for c in minutes.attendance),
        "avslutat kl. 19:00",
    ]


def test_html_shows_every_fact_and_escapes_what_people_typed(minutes: Minutes) -> None:
    text = html_text(render_html(minutes))
    for fact in facts(minutes):
        assert fact in text, fact
    events = hand_built_meeting()
    events.insert(-1, ev.LeftMeeting(at=at("18:59"), person_id="m3", reason="<script>x</script>"))
    html = render_html(build_minutes(events))
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


def test_docx_opens_and_shows_the_same_facts(minutes: Minutes) -> None:
    data = render_docx(minutes)
    text = docx_text(data)
    for fact in facts(minutes):
        assert fact in text, fact
    assert docx.Document(io.BytesIO(data)).core_properties.language == "sv-SE"


def test_evidence_appendix_shows_the_chain_verdict_and_the_anchor(minutes: Minutes) -> None:
    class Row:
        def __init__(self, seq: int, event: ev.Event) -> None:
            self.seq, self.event, self.hash = seq, event, f"{seq:064x}"

    events = hand_built_meeting()
    rows = [Row(i + 1, e) for i, e in enumerate(events)]
    verdict = ChainVerdict(True, len(rows), rows[-1].hash)
    with_evidence = build_minutes(events, evidence=build_evidence(rows, verdict))
    for text in (html_text(render_html(with_evidence)), docx_text(render_docx(with_evidence))):
        assert "Bilaga: Bevis för besluten" in text
        assert verdict.message_sv in text
        assert rows[-1].hash in text
