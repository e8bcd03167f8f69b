"""The demo committee and meeting `make run` starts with, and their personal links."""

from __future__ import annotations

from datetime import datetime

from .meetings import LOCAL_TIME, MeetingService

DEMO_COMMITTEE = "demonamnden"
DEMO_MEETING = "demo"

# (person id, name, role, party, substitute order)
DEMO_ROSTER = [
    ("ordf", "Eva Ek", "ordförande", "S", None),
    ("led1", "Karin Lind", "ledamot", "M", None),
    ("led2", "Omar Haddad", "ledamot", "S", None),
    ("led3", "Lena Berg", "ledamot", "C", None),
    ("led4", "Jonas Nyström", "ledamot", "SD", None),
    ("led5", "Maja Svensson", "ledamot", "V", None),
    ("led6", "Per Holm", "ledamot", "KD", None),
    ("ers1", "Sara Ali", "ersättare", "S", 1),
    ("ers2", "Nils Ström", "ersättare", "M", 1),
    ("ers3", "Anna Vik", "ersättare", "C", 1),
    ("sekr", "Tove Sjö", "sekreterare", "", None),
]
REMOTE_APPROVED = {"led1": "deciding", "led2": "deciding", "led3": "deciding",
                   "ers1": "attending-only"}


async def ensure_demo(service: MeetingService) -> None:
    """Create the demo committee, roster, meeting, invitations and approved requests once."""
    if service.meeting(DEMO_MEETING) is not None:
        return
    if service.committee(DEMO_COMMITTEE) is None:
        await service.create_committee(DEMO_COMMITTEE, "Demonämnden",
                                       party_order=("S", "M", "C", "SD", "V", "KD", "L", "MP"))
    for pid, name, role, party, order in DEMO_ROSTER:
        email = f"{pid}@demonamnden.example"
        await service.run_committee(
            DEMO_COMMITTEE, lambda s, at, p=(pid, name, role, party, order, email):
            s.add_person(p[0], p[1], p[2], at, party=p[3], substitute_order=p[4], email=p[5]))
    today = datetime.now(LOCAL_TIME).date()
    await service.create_meeting(
        DEMO_COMMITTEE, DEMO_MEETING, date=(today.replace(year=today.year + 1)).isoformat(),
        time="18:00", place="Sessionssalen, stadshuset",
        agenda=("Mötets öppnande och upprop", "Val av justerare", "Budgetuppföljning",
                "Detaljplan för kv. Linden", "Mötets avslutande"))
    for pid, *_ in DEMO_ROSTER:
        await service.issue_invitation(DEMO_MEETING, pid)
    for pid, mode in REMOTE_APPROVED.items():
        await service.run(DEMO_MEETING, lambda s, at, p=pid, m=mode: s.request_remote(p, m, at))
        await service.run(DEMO_MEETING,
                          lambda s, at, p=pid: s.decide_remote(p, True, by="ordf", at=at))


def demo_links(service: MeetingService, base_url: str) -> list[tuple[str, str, str]]:
    """(name, role, personal link) for everyone invited to the demo meeting."""
    state = service.meeting(DEMO_MEETING)
    if state is None:
        return []
    links = []
    for invitation_id, person_id in state.invitations.items():
        if invitation_id in state.revoked:
            continue
        person = state.people[person_id]
        token = service.token_for(DEMO_MEETING, invitation_id)
        links.append((person.name, person.role, f"{base_url}/m/{DEMO_MEETING}?t={token}"))
    return links
