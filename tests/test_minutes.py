"""The minutes (protokoll) from a hand-built meeting: every fact the events hold is in the
model, in the HTML and in the DOCX (asserted on content, not on a snapshot)."""

from __future__ import annotations

import io
from html.parser import HTMLParser

import docx
import pytest

from compliance import adjournment, agenda, jav, proposals, reservations, speakers, votes
from compliance import events as ev
from compliance.chain import ChainVerdict
from compliance.evidence import build_evidence
from compliance.meeting import MeetingState
from compliance.minutes import Minutes, build_minutes, duration_sv
from compliance.minutes_docx import render_docx
from compliance.minutes_html import render_html
from tests.procedure_helpers import Meeting
from tests.test_meeting import at, meeting_events

FREEZE = {"value": 1.4, "threshold": 1.0, "window_s": 1.0}
LINK_OK = {"state": "ok", "fps": 15.0, "rtt_ms": 40}


def at_clock(m: Meeting, hhmm: str) -> None:
    """Move the meeting's clock to HH:MM on the meeting day."""
    hours, minutes = (int(x) for x in hhmm.split(":"))
    m.seconds = float((hours - 18) * 3600 + minutes * 60)


def hand_built_meeting() -> list[ev.Event]:
    """Thirteen seats. In the room: the chair, m1-m4, the secretary, substitutes sM1 and sS1;
    remote deciding: m5, m6, m7; remote attending only: sC1.
    § 1 (A): m5 asks for the floor and proposes rejection; m6 asks for a vote; 4-4, the
    chair's casting vote; m6 reserves with a reason.
    § 2 (B): m2 has jäv, sM1 serves for her; m6's picture freezes (suspended 18:25-18:29);
    adjournment for party groups 18:30-18:40; decided without a vote; m2 returns.
    m3 takes a technical pause; the meeting closes at 19:00. Item C is never handled."""
    m = Meeting(room=("chair", "sec", "m1", "m2", "m3", "m4", "sM1", "sS1"))
    m.do(agenda.change_item, "1", by="sec", draft="Nämnden antar planen.")
    m.do(agenda.change_item, "2", by="sec", draft="Nämnden beviljar bidraget.")
    m.do(agenda.add_item, "C", by="sec")

    at_clock(m, "18:05")
    m.open_item("1")
    m.do(speakers.request_floor, "m5", by="m5")
    m.do(speakers.give_floor, "m5", by="chair")
    draft = m.do(proposals.state_draft, by="chair").proposal_id
    rejection = m.do(proposals.make_proposal, "m5", "Avslag på planen.", by="m5").proposal_id
    m.do(proposals.end_deliberation, by="chair")
    m.do(proposals.confirm_equal_terms, by="chair")
    m.do(proposals.set_proposition_order, (draft, rejection), by="chair")
    m.do(proposals.put_question, draft, by="chair")
    m.do(proposals.request_vote, "m6", by="m6")
    m.do(votes.start_vote, by="chair")
    for pid, choice in (("m1", "ja"), ("m2", "ja"), ("m3", "nej"), ("m4", "nej")):
        m.do(votes.cast_vote, pid, choice, by="chair")  # in the room, recorded by the chair
    for pid, choice in (("m5", "nej"), ("m6", "nej"), ("m7", "ja")):
        m.do(votes.cast_vote, pid, choice, by=pid)  # remote, in the app
    m.do(votes.cast_vote, "chair", "ja", by="chair")
    links = {pid: LINK_OK for pid in ("m5", "m6", "m7")}
    m.do(votes.close_vote, by="chair", links=links)
    m.do(proposals.decide, by="chair", links=links)
    m.do(reservations.reserve, "1", "m6", by="m6", reason="Planen saknar finansiering.")
    m.do(agenda.close_item, "1", by="chair")

    at_clock(m, "18:20")
    m.open_item("2")
    m.do(jav.declare_jav, "m2", by="m2", reason="styrelseledamot i föreningen")
    m.do(MeetingState.serve_substitute, "sM1", "m2", by="chair")
    at_clock(m, "18:25")
    m.do(MeetingState.report_link_failed, "m6", code="video.freeze", params=FREEZE)
    m.seconds -= 1
    m.do(MeetingState.suspend, participant="m6", code="video.freeze", params=FREEZE)
    at_clock(m, "18:28")
    m.do(MeetingState.report_link_restored, "m6")
    at_clock(m, "18:29")
    m.do(MeetingState.resume, by="chair")
    at_clock(m, "18:30")
    m.do(adjournment.adjourn, by="chair", groups=[["S"], ["M"]], reason="gruppöverläggning")
    at_clock(m, "18:40")
    m.do(adjournment.end_adjournment, by="chair")
    draft = m.do(proposals.state_draft, by="chair").proposal_id
    m.do(proposals.end_deliberation, by="chair")
    m.do(proposals.confirm_equal_terms, by="chair")
    m.do(proposals.set_proposition_order, (draft,), by="chair")
    m.do(proposals.put_question, draft, by="chair")
    m.wait(60)
    m.do(proposals.decide, by="chair", links={pid: LINK_OK for pid in ("m5", "m6", "m7")})
    at_clock(m, "18:50")
    m.do(agenda.close_item, "2", by="chair")

    at_clock(m, "18:52")
    m.do(MeetingState.mark_present, "m8", by="sec")  # late
    m.do(MeetingState.leave, "m7", reason="annat åtagande")
    at_clock(m, "18:55")
    m.do(MeetingState.start_technical_pause, "m3")
    at_clock(m, "18:57")
    m.do(MeetingState.end_technical_pause, "m3")
    at_clock(m, "19:00")
    m.do(MeetingState.close, by="chair")
    return m.events


@pytest.fixture
def minutes() -> Minutes:
    return build_minutes(hand_built_meeting())


def test_durations_read_in_swedish() -> None:
    assert [duration_sv(s) for s in (45, 300, 250, 3900)] == [
        "45 s", "5 min", "4 min 10 s", "1 tim 5 min"]


def test_header_says_committee_date_place_times_and_profile(minutes: Minutes) -> None:
    assert minutes.committee == "Kultur- och fritidsnämnden"
    assert (minutes.date, minutes.date_text, minutes.place) == (
        "2026-03-10", "10 mars 2026", "Rådhuset")
    assert (minutes.opened_time, minutes.closed_time) == ("18:00", "19:00")
    assert minutes.profile == "Gällande lag (KL 2017:725) – KL 2017:725 (lydelse 2026)"
    assert (minutes.chair, minutes.secretary) == ("Person chair", "Person sec")
    assert minutes.paragraphs == "§§ 1–2" and minutes.not_handled == ("C",)


def test_the_profile_chosen_for_the_meeting_is_named() -> None:
    m = Meeting(open_meeting=False)
    m.do(MeetingState.choose_profile, "reform", by="sec")
    m.do(MeetingState.open, by="chair")
    assert build_minutes(m.events).profile.startswith(
        "Reformen enligt prop. 2025/26:164 (ej verifierad) – KL 2017:725 med prop. 2025/26:164")


def test_beslutande_mark_remote_members_jav_and_the_serving_substitute(minutes: Minutes) -> None:
    assert [p.line for p in minutes.beslutande] == [
        "Person chair (S), ordförande",
        "Person m1 (S), ledamot",
        "Person m2 (M), ledamot, jäv § 2",
        "Person m3 (S), ledamot",
        "Person m4 (M), ledamot",
        "Person m5 (S), ledamot, deltar på distans",
        "Person m6 (M), ledamot, deltar på distans",
        "Person m7 (S), ledamot, deltar på distans",
        "Person m8 (M), ledamot",
        "Person sM1 (M), ersättare, tjänstgörande ersättare för Person m2 (18:20–18:50)",
    ]  # m9-m12 never came: not listed


def test_substitutes_and_others_present(minutes: Minutes) -> None:
    assert [p.line for p in minutes.ersattare] == ["Person sS1 (S), ersättare"]
    assert [p.line for p in minutes.ovriga] == [
        "Person sec, sekreterare",
        "Person sC1 (C), ersättare, närvarar på distans utan rätt att delta i beslut",
    ]


def test_roll_call_lists_who_was_there_at_the_opening_and_how(minutes: Minutes) -> None:
    assert "Person m5 (S), ledamot, på distans, beslutande" in minutes.roll_call
    assert "Person sC1 (C), ersättare, på distans, utan rätt att delta i beslut" in (
        minutes.roll_call)
    assert "Person m3 (S), ledamot, i sammanträdeslokalen" in minutes.roll_call
    assert len(minutes.roll_call) == 12 and not any("m8" in r for r in minutes.roll_call)


def test_item_with_speaker_proposals_vote_casting_vote_and_reservation(
        minutes: Minutes) -> None:
    item = minutes.items[0]
    assert (item.number, item.title, item.opened_time) == (1, "A", "18:05")
    assert item.draft == "Nämnden antar planen."
    assert item.speakers == ("Person m5 (S)",)
    assert [p.line for p in item.proposals] == [
        "Ordföranden framställer förslaget till beslut: Nämnden antar planen.",
        "Person m5 (S) yrkar: Avslag på planen.",
    ]
    steps = [s for s in item.proceedings if isinstance(s, str)]
    assert steps == [
        "Ordföranden förklarar överläggningen avslutad.",
        "Ordföranden konstaterar att samtliga beslutande som deltar på distans har varit "
        "anslutna på lika villkor sedan ärendet öppnades.",
        "Ordföranden föreslår propositionsordningen: huvudförslag förslaget till beslut, mot "
        "Person m5s yrkande. Nämnden godkänner propositionsordningen.",
        "Ordföranden ställer proposition på förslaget till beslut mot Person m5s yrkande och "
        "finner att nämnden beslutar enligt förslaget till beslut.",
        "Votering begärs av Person m6 (M).",
    ]
    (vote,) = item.votes
    assert item.proceedings[-1] is vote  # the vote comes after the request
    assert vote.question == ("Öppen omröstning genom upprop. Ja-röst för förslaget till "
                             "beslut, nej-röst för Person m5s yrkande.")
    assert [(b.who, b.choice) for b in vote.ballots] == [
        ("Person m1 (S)", "Ja"), ("Person m2 (M)", "Ja"), ("Person m3 (S)", "Nej"),
        ("Person m4 (M)", "Nej"), ("Person m5 (S), på distans", "Nej"),
        ("Person m6 (M), på distans", "Nej"), ("Person m7 (S), på distans", "Ja"),
        ("Person chair (S)", "Ja"),  # the chair votes last
    ]
    assert vote.tally == {"ja": 4, "nej": 4, "avstår": 0}
    assert vote.result == ("Med 4 ja-röster mot 4 nej-röster och ordförandens utslagsröst "
                           "(Person chair (S), ja) har nämnden beslutat enligt förslaget till "
                           "beslut.")
    assert item.decision == ("Nämnden beslutar efter omröstning enligt förslaget till beslut: "
                             "Nämnden antar planen.")
    assert item.reservations == ("Person m6 (M) reserverar sig mot beslutet, med skriftlig "
                                 "motivering: ”Planen saknar finansiering.”",)
    assert item.jav == () and item.tabled is None


def test_item_with_jav_substitute_suspension_and_adjournment(minutes: Minutes) -> None:
    item = minutes.items[1]
    assert (item.number, item.title, item.opened_time, item.closed_time) == (
        2, "B", "18:20", "18:50")
    assert item.jav == (
        "Person m2 (M) anmäler jäv (styrelseledamot i föreningen) och lämnar sammanträdet "
        "under ärendet kl. 18:20.",
        "Person sM1 (M) tjänstgör i Person m2s ställe.",
        "Person m2 (M) återinträder i sammanträdet kl. 18:50 (borta 29 min 59 s).",
    )
    steps = [s for s in item.proceedings if isinstance(s, str)]
    assert steps[0] == ("Sammanträdet avbryts kl. 18:25–18:29 (4 min): bild eller ljud från "
                        "Person m6 (M) fungerade inte på lika villkor: Person m6s bild har "
                        "stått still i 1,4 s.")
    assert steps[1] == ("Sammanträdet ajourneras kl. 18:30–18:40 (10 min) för överläggning i "
                        "partigrupper (S; M): gruppöverläggning.")
    assert ("Ordföranden konstaterar följande avbrott för beslutande på distans sedan ärendet "
            "öppnades: Person m6 (M): förbindelsen bröts kl. 18:25; Person m6 (M): "
            "sammanträdet avbröts kl. 18:25.") in steps
    assert ("Ordföranden ställer proposition på förslaget till beslut och finner att nämnden "
            "bifaller det.") in steps
    assert item.votes == ()
    assert item.decision == "Nämnden beslutar enligt förslaget till beslut: Nämnden beviljar " \
        "bidraget."


def test_a_tabled_item_says_so_with_the_reason() -> None:
    m = Meeting()
    m.open_item("1")
    m.do(agenda.table_item, "1", by="chair", reason="sluten omröstning med distansdeltagare")
    (item,) = build_minutes(m.events).items
    assert item.tabled == ("Nämnden beslutar att bordlägga ärendet. Skäl: sluten omröstning "
                           "med distansdeltagare")
    assert item.decision is None


def test_a_voided_vote_is_recorded_with_its_reason() -> None:
    m = Meeting()
    ids = m.to_proposition("m5")
    m.put(ids)
    m.do(proposals.request_vote, "m6", by="m6")
    m.do(votes.start_vote, by="chair")
    m.do(votes.cast_vote, "m5", "nej", by="m5")
    m.do(MeetingState.report_link_failed, "m5")
    voided = votes.void_if_compromised(m.state, m.now())
    assert voided is not None
    m.do(lambda s, at: voided)
    (vote,) = build_minutes(m.events).items[0].votes
    assert vote.voided.startswith("Omröstningen är ogiltig och görs om: Förbindelsen till "
                                  "Person m5 bröts under omröstningen")
    assert vote.result == ""


def test_an_election_tie_is_drawn_by_lot_and_the_draw_recorded() -> None:
    m = Meeting(remote=(), observers=(), room=("chair", "sec", *(f"m{i}" for i in range(1, 7))))
    m.do(agenda.change_item, "1", by="sec", kind="election")
    ids = m.to_proposition("m1")
    m.put(ids)
    m.do(proposals.request_vote, "m2", by="m2")
    m.do(votes.start_vote, by="chair")
    for pid, choice in (("m1", "nej"), ("m2", "ja"), ("m3", "nej"), ("m4", "ja"),
                        ("m5", "nej"), ("m6", "avstår"), ("chair", "ja")):
        m.do(votes.cast_vote, pid, choice, by="chair")
    m.do(votes.close_vote, by="chair", draw=0.73)
    (vote,) = build_minutes(m.events).items[0].votes
    assert vote.result.startswith("Med 3 ja-röster mot 3 nej-röster, 1 avstår avgörs saken "
                                  "genom lottning (dragna värdet 0,73;")
    assert vote.result.endswith(": Person m1s yrkande.")


def test_suspension_and_adjournment_have_reasons_and_durations(minutes: Minutes) -> None:
    (suspension,) = minutes.suspensions
    assert (suspension.start_time, suspension.end_time) == ("18:25", "18:29")
    assert (suspension.duration, suspension.seconds) == ("4 min", 240)
    assert suspension.person_id == "m6"
    assert "Person m6 (M)" in suspension.reason
    assert "Person m6s bild har stått still i 1,4 s" in suspension.reason
    (adjourned,) = minutes.adjournments
    assert (adjourned.start_time, adjourned.end_time, adjourned.duration) == (
        "18:30", "18:40", "10 min")
    assert adjourned.reason == "överläggning i partigrupper (S; M): gruppöverläggning"


def test_attendance_changes_say_who_came_and_left_when(minutes: Minutes) -> None:
    changes = [(c.time, c.text) for c in minutes.attendance]
    assert changes == [
        ("18:20", "Person m2 (M) lämnar sammanträdet under § 2 (jäv)"),
        ("18:20", "Person sM1 (M) tjänstgör för Person m2 (M)"),
        ("18:25", "Förbindelsen med Person m6 (M) bryts: Person m6s bild har stått still i 1,4 s"),
        ("18:28", "Förbindelsen med Person m6 (M) återställd"),
        ("18:50", "Person m2 (M) återinträder efter § 2 (jäv)"),
        ("18:50", "Person sM1 (M) slutar tjänstgöra; Person m2 (M) återtar sin plats"),
        ("18:52", "Person m8 (M) närvarande i sammanträdeslokalen"),
        ("18:52", "Person m7 (S) lämnar sammanträdet (annat åtagande)"),
        ("18:55", "Person m3 (S) tar teknisk paus"),
        ("18:57", "Person m3 (S) åter efter teknisk paus"),
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
    found = [
        "SAMMANTRÄDESPROTOKOLL", minutes.committee, "Rådhuset, 10 mars 2026 kl. 18:00–19:00",
        "avbrott kl. 18:25–18:29", "ajournering kl. 18:30–18:40",
        "Beslutande", "Ersättare", "Övriga närvarande",
        *(p.line for p in minutes.beslutande + minutes.ersattare + minutes.ovriga),
        minutes.profile, "Justerare", "Ordförande", "Person chair", "Sekreterare", "§§ 1–2",
        "Upprop", *minutes.roll_call,
        *(s.reason for s in minutes.suspensions + minutes.adjournments), "4 min", "10 min",
        *(c.text for c in minutes.attendance),
        "avslutat kl. 19:00", "inte behandlades: C",
    ]
    for item in minutes.items:
        found += [f"§ {item.number}", item.title, item.draft, *item.jav, *item.speakers,
                  *(p.line for p in item.proposals), *item.reservations]
        found += [s for s in item.proceedings if isinstance(s, str)]
        found += [item.decision or "", item.tabled or ""]
        for vote in item.votes:
            found += [vote.question, vote.result, "Ja 4, Nej 4, Avstår 0",
                      *(f"{b.who} {b.choice}" for b in vote.ballots)]  # name, then the vote
    return [f for f in found if f]


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


def test_a_secret_ballot_shows_the_totals_and_no_one_s_vote() -> None:
    m = Meeting(profile="reform")  # remote members: the ballots are counted outside Kvorum
    m.do(agenda.change_item, "1", by="sec", kind="election")
    ids = m.to_proposition("m5")
    m.put(ids)
    m.do(proposals.request_vote, "m6", by="m6")
    m.do(votes.start_vote, by="chair", secret=True)
    m.do(votes.close_vote, by="chair", tally={"ja": 5, "nej": 3, "avstår": 0})
    (vote,) = build_minutes(m.events).items[0].votes
    assert vote.secret and vote.ballots == ()
    assert vote.question.startswith("Sluten omröstning; valsedlarna lämnades och räknades "
                                    "utanför Kvorum.")
    assert vote.result == "Med 5 ja-röster mot 3 nej-röster har nämnden beslutat enligt " \
        "förslaget till beslut."
    text = html_text(render_html(build_minutes(m.events)))
    assert "Ja 5, Nej 3, Avstår 0." in text and "Person m5 (S), på distans" not in text
