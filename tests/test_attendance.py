"""Attendance timelines and the CSV for fees (arvode), derived from the events."""

from __future__ import annotations

import csv
import io

from compliance.attendance import Segment, attendance_csv, timelines
from compliance.events import Event
from compliance.meeting import MeetingState
from tests.test_meeting import approve_remote, at, meeting_events, run


def evening() -> list[Event]:
    """Chair and secretary in the room 18:00-20:00; m7 remote with a pause, a link failure,
    leaving for an item and coming back."""
    events = meeting_events()
    state = MeetingState.replay(events)
    approve_remote(state, "m7")
    for make in (
        lambda: state.mark_present("chair", by="sec", at=at("18:00")),
        lambda: state.mark_present("sec", by="chair", at=at("18:00")),
        lambda: state.enter_lobby("m7", at("17:58")),
        lambda: state.admit("m7", "deciding", by="sec", at=at("18:00")),
        lambda: state.open(by="chair", at=at("18:01")),
        lambda: state.start_technical_pause("m7", at("18:30")),
        lambda: state.end_technical_pause("m7", at("18:35")),
        lambda: state.report_link_failed("m7", at("19:00")),
        lambda: state.report_link_restored("m7", at("19:02")),
        lambda: state.leave("m7", at("19:30"), reason="jäv § 4"),
        lambda: state.enter_lobby("m7", at("19:44")),
        lambda: state.admit("m7", "deciding", by="sec", at=at("19:45")),
        lambda: state.close(by="chair", at=at("20:00")),
    ):
        events.append(run(state, make()))
    return events


def test_remote_member_timeline_follows_pause_link_failure_and_leaving() -> None:
    assert timelines(evening())["m7"] == [
        Segment("remote-deciding", at("18:00"), at("18:30")),
        Segment("technical-pause", at("18:30"), at("18:35")),
        Segment("remote-deciding", at("18:35"), at("19:00")),
        Segment("link-failed", at("19:00"), at("19:02")),
        Segment("remote-deciding", at("19:02"), at("19:30")),
        Segment("left", at("19:30"), at("19:45")),
        Segment("remote-deciding", at("19:45"), at("20:00")),
    ]


def test_room_presence_lasts_until_the_meeting_closes() -> None:
    assert timelines(evening())["chair"] == [Segment("in-room", at("18:00"), at("20:00"))]


def test_people_never_present_have_no_timeline() -> None:
    assert "m1" not in timelines(evening())


def test_open_meeting_leaves_the_last_segment_open() -> None:
    events = evening()[:-1]  # not closed yet
    assert timelines(events)["chair"] == [Segment("in-room", at("18:00"), None)]


def test_csv_lists_each_segment_with_minutes_in_roster_order() -> None:
    rows = list(csv.reader(io.StringIO(attendance_csv(evening()))))

    assert rows[0] == [
        "person_id", "namn", "roll", "parti", "närvaro", "från", "till", "minuter",
        "tjänstgör_för",
    ]  # fmt: skip
    assert rows[1] == [
        "chair", "Person chair", "ordförande", "S", "i sammanträdeslokalen",
        at("18:00"), at("20:00"), "120.0", "",
    ]  # fmt: skip
    m7 = [r for r in rows if r[0] == "m7"]
    assert [r[4] for r in m7] == [
        "på distans, beslutande",
        "teknisk paus",
        "på distans, beslutande",
        "förbindelsen bruten",
        "på distans, beslutande",
        "har lämnat",
        "på distans, beslutande",
    ]
    assert [r[7] for r in m7] == ["30.0", "5.0", "25.0", "2.0", "28.0", "15.0", "15.0"]
    assert [r[0] for r in rows[1:]] == ["chair"] + ["m7"] * 7 + ["sec"]


def test_csv_quotes_names_with_commas() -> None:
    events = evening()
    index = next(i for i, e in enumerate(events) if getattr(e, "person_id", "") == "chair")
    chair = events[index]
    events[index] = type(chair).from_dict({**chair.to_dict(), "name": "Berg, Anna"})
    rows = list(csv.reader(io.StringIO(attendance_csv(events))))
    assert rows[1][1] == "Berg, Anna"


def test_a_serving_substitute_is_shown_serving_for_whom_and_from_when_to_when() -> None:
    events = meeting_events()
    state = MeetingState.replay(events)
    for make in (
        lambda: state.mark_present("chair", by="sec", at=at("18:00")),
        lambda: state.mark_present("sS1", by="sec", at=at("18:00")),
        lambda: state.open(by="chair", at=at("18:01")),
        lambda: state.serve_substitute("sS1", "m1", by="chair", at=at("18:20")),
        lambda: state.release_substitute("sS1", by="chair", at=at("19:05")),
        lambda: state.close(by="chair", at=at("20:00")),
    ):
        events.append(run(state, make()))

    assert timelines(events)["sS1"] == [
        Segment("in-room", at("18:00"), at("18:20")),
        Segment("in-room", at("18:20"), at("19:05"), serving_for="m1"),
        Segment("in-room", at("19:05"), at("20:00")),
    ]
    rows = [r for r in csv.reader(io.StringIO(attendance_csv(events))) if r[0] == "sS1"]
    assert [(r[5], r[6], r[7], r[8]) for r in rows] == [
        (at("18:00"), at("18:20"), "20.0", ""),
        (at("18:20"), at("19:05"), "45.0", "Person m1 (m1)"),
        (at("19:05"), at("20:00"), "55.0", ""),
    ]
