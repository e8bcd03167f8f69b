"""The secretary's HTTP API (JSON) and the pages that use it: committees, rosters, meetings,
invitations, remote-participation requests, the chair's decisions, state and attendance.

Every write goes through `MeetingService` (the rules in `compliance/` decide, the event log
records); this module only reads requests, checks who is calling (`server.auth`) and shapes
answers. Errors are JSON `{"code", "message_sv", "message_en"}`: 400 malformed JSON, 401/403
refused, 404 unknown, 409 a rule says no, 422 bad input. Nothing is written on an error.
Endpoints with examples: docs/api.md.
"""

from __future__ import annotations

import asyncio
import functools
import re
import unicodedata
from collections.abc import Awaitable, Callable, Container, Iterable
from datetime import date as Date
from datetime import timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from aiohttp import web

from compliance import roster
from compliance.attendance import attendance_csv
from compliance.chain import verify_chain
from compliance.events import (
    ELECTED_ROLES,
    REMOTE_MODES,
    ROLE_EN,
    ROLES,
    PersonAdded,
    RemoteMode,
    RemoteRequested,
    Role,
)
from compliance.evidence import Evidence, build_evidence
from compliance.meeting import MeetingState, RuleViolation
from compliance.minutes import Minutes, build_minutes
from compliance.minutes_docx import render_docx
from compliance.minutes_html import render_html
from compliance.roster import RosterError, parse_roster, person_problems

from .auth import (
    ADMIN_KEY_FILE,
    ApiError,
    Caller,
    dumps,
    load_admin_key,
    require_admin,
    require_manager,
    require_member,
)
from .keys import ADMIN_KEY, CONFIG, SERVICE
from .meetings import MeetingService
from .schemas import (
    Body,
    CommitteeBody,
    DecisionBody,
    Empty,
    Invalid,
    InvitationBody,
    MeetingBody,
    PersonBody,
    RequestBody,
    RevokeBody,
    check,
    read_json,
)
from .views import suspension_view

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIME_PATTERN = re.compile(r"^\d{2}:\d{2}$")
MAX_NAME = 120
MAX_TEXT = 500

# Swedish and English names of the fields, for messages about them.
FIELD_NAMES: dict[str, tuple[str, str]] = {
    "id": ("id", "id"),
    "name": ("namn", "name"),
    "party_order": ("partiordning", "party order"),
    "role": ("roll", "role"),
    "party": ("parti", "party"),
    "substitute_order": ("ersättarordning", "substitute order"),
    "email": ("e-post", "e-mail"),
    "date": ("datum", "date"),
    "time": ("klockslag", "time"),
    "place": ("plats", "place"),
    "agenda": ("föredragningslista", "agenda"),
    "person_id": ("person", "person"),
    "mode": ("sätt att delta", "mode"),
    "reason": ("motivering", "reason"),
    "approved": ("beslut", "decision"),
    "by": ("beslutad av", "decided by"),
    "profile": ("regelprofil", "rule profile"),
    "profile_id": ("regelprofil", "rule profile"),
    "title": ("rubrik", "title"),
    "kind": ("typ", "kind"),
    "draft": ("förslag till beslut", "draft decision"),
    "position": ("plats", "position"),
}

# RuleViolation codes that are not "409 Conflict".
NOT_FOUND = frozenset({"unknown_committee", "unknown_meeting", "unknown_person",
                       "unknown_invitation", "no_request", "unknown_item"})
BAD_INPUT = frozenset({"invalid_person", "invalid_time", "invalid_item", "invalid_position",
                       "unknown_profile"})
FORBIDDEN = frozenset({"not_allowed"})

Handler = Callable[["SecretaryApi", web.Request], Awaitable[web.StreamResponse]]


# -- plumbing -----------------------------------------------------------------------------------


def _violation(exc: RuleViolation) -> ApiError:
    status = (404 if exc.code in NOT_FOUND else 422 if exc.code in BAD_INPUT
              else 403 if exc.code in FORBIDDEN else 409)
    return ApiError(status, exc.code, exc.message_sv, exc.message_en)


def _answers_json(handler: Handler) -> Handler:
    """Turn refusals and rule violations into their JSON error responses."""

    @functools.wraps(handler)
    async def wrapped(self: SecretaryApi, request: web.Request) -> web.StreamResponse:
        try:
            return await handler(self, request)
        except ApiError as exc:
            return exc.response()
        except RuleViolation as exc:
            return _violation(exc).response()

    return wrapped


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, headers={"Cache-Control": "no-store"},
                             dumps=dumps)


async def _fields(request: web.Request, schema: type[Body], optional: bool = False) -> Fields:
    """The request's JSON object checked by its schema (server/schemas.py): 400 if it is not
    a JSON object; otherwise its fields, with a problem for each of the wrong type, for
    `Fields` to add its own and refuse them all at once (422)."""
    raw = await request.read()
    if not raw.strip():
        if optional:
            return Fields({})
        raise ApiError(400, "bad_json", "Begäran saknar innehåll; skicka ett JSON-objekt.",
                       "The request has no body; send a JSON object.")
    try:
        data = read_json(raw)
    except Invalid as exc:
        if exc.code == "bad-json":
            raise ApiError(400, "bad_json", exc.message_sv, exc.message_en) from None
        raise ApiError(422, "invalid_input", exc.message_sv, exc.message_en,
                       problems=[p._asdict() for p in exc.problems]) from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "Innehållet ska vara ett JSON-objekt {…}.",
                       "The body must be a JSON object {…}.")
    values, problems = check(data, schema)
    fields = Fields(values)
    for problem in problems:
        fields.problem(problem.field, problem.message_sv, problem.message_en)
    return fields


class Fields:
    """Reads fields from a JSON object, collecting every problem before refusing (422)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.problems: list[dict[str, str]] = []

    def problem(self, name: str, sv: str, en: str) -> None:
        """Note a problem with field `name` (only the first one per field is kept)."""
        if name and any(p["field"] == name for p in self.problems):
            return
        label_sv, label_en = FIELD_NAMES.get(name, (name, name))
        self.problems.append({"field": name, "message_sv": f"{label_sv}: {sv}",
                              "message_en": f"{label_en}: {en}"})

    def text(self, name: str, required: bool = True, max_len: int = MAX_NAME,
             pattern: re.Pattern[str] | None = None, example: str = "",
             check: Callable[[str], bool] | None = None) -> str:
        value = self.data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(name, "saknas", "is missing")
            return ""
        if not isinstance(value, str):
            self.problem(name, "ska vara text", "must be text")
            return ""
        value = value.strip()
        if len(value) > max_len:
            self.problem(name, f"för lång (högst {max_len} tecken)",
                         f"too long (at most {max_len} characters)")
        elif (pattern is not None and not pattern.match(value)) or (check and not check(value)):
            hint = f" (exempel: {example})" if example else ""
            hint_en = f" (example: {example})" if example else ""
            self.problem(name, f"fel format '{value}'{hint}", f"wrong format '{value}'{hint_en}")
        return value

    def texts(self, name: str, max_items: int, max_len: int, unique: bool = False
              ) -> tuple[str, ...]:
        value = self.data.get(name)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(name, "ska vara en lista med text", "must be a list of text")
            return ()
        items = tuple(v.strip() for v in value if v.strip())
        if len(items) > max_items:
            self.problem(name, f"högst {max_items} rader", f"at most {max_items} items")
        for item in items:
            if len(item) > max_len:
                self.problem(name, f"'{item[:20]}…' är för lång (högst {max_len} tecken)",
                             f"'{item[:20]}…' is too long (at most {max_len} characters)")
        if unique:
            for item in sorted({i for i in items if items.count(i) > 1}):
                self.problem(name, f"'{item}' finns två gånger", f"'{item}' appears twice")
        return items

    def integer(self, name: str) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            return int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(name, "ska vara ett heltal", "must be a whole number")
            return None
        return value

    def boolean(self, name: str) -> bool:
        value = self.data.get(name)
        if not isinstance(value, bool):
            self.problem(name, "ska vara true eller false", "must be true or false")
            return False
        return value

    def done(self) -> None:
        """Refuse with every problem found, if any."""
        if self.problems:
            raise ApiError(
                422, "invalid_input",
                "Felaktiga uppgifter: " + "; ".join(p["message_sv"] for p in self.problems) + ".",
                "Invalid input: " + "; ".join(p["message_en"] for p in self.problems) + ".",
                problems=self.problems)


def _is_date(text: str) -> bool:
    try:
        Date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _is_time(text: str) -> bool:
    hours, _, minutes = text.partition(":")
    return hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60


def slug(text: str, fallback: str = "x") -> str:
    """An id from a name: 'Barn- och utbildningsnämnden' -> 'barn-och-utbildningsnamnden'."""
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:40].strip("-") or fallback


def unique_id(base: str, taken: Container[str]) -> str:
    """`base`, or `base-2`, `base-3`, ... whichever is free."""
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def roster_conflicts(people: dict[str, PersonAdded], role: str, party: str,
                     order: int | None, email: str) -> list[tuple[str, str]]:
    """What a new entry repeats from the existing roster: e-mail, the chair, a party's
    substitute number (the CSV import checks the same within a file)."""
    found: list[tuple[str, str]] = []
    for p in people.values():
        if email and p.email.lower() == email.lower():
            found.append((f"e-postadressen finns redan i förteckningen ({p.name})",
                          f"e-mail address already on the roster ({p.name})"))
        if role == "ordförande" and p.role == "ordförande":
            found.append((f"nämnden har redan en ordförande ({p.name})",
                          f"the committee already has a chair ({p.name})"))
        if (role == "ersättare" and p.role == "ersättare" and order is not None
                and p.party == party and p.substitute_order == order):
            found.append((f"{party} har redan ersättare nr {order} ({p.name})",
                          f"{party} already has substitute no. {order} ({p.name})"))
    return found


def request_deadline(state: MeetingState) -> str | None:
    """The last day a remote request is on time (profile: 4 days before the meeting)."""
    if state.meeting is None:
        return None
    day = Date.fromisoformat(state.meeting.date)
    return (day - timedelta(days=state.rules.remote_request_deadline_days)).isoformat()


# -- views --------------------------------------------------------------------------------------


def person_view(p: PersonAdded) -> dict[str, Any]:
    return {"id": p.person_id, "name": p.name, "role": p.role, "role_en": ROLE_EN.get(p.role, ""),
            "party": p.party, "substitute_order": p.substitute_order, "email": p.email}


def meeting_info(meeting_id: str, state: MeetingState) -> dict[str, Any]:
    """What anyone invited may know about the meeting."""
    assert state.meeting is not None
    m = state.meeting
    return {"id": meeting_id, "committee_id": m.committee_id,
            "committee_name": state.committee.name if state.committee else "",
            "date": m.date, "time": m.time, "place": m.place,
            "agenda": [item.title for item in state.agenda.ordered()],
            "profile": state.profile_id,
            "phase": state.phase, "request_deadline": request_deadline(state)}


def meeting_brief(meeting_id: str, state: MeetingState) -> dict[str, Any]:
    """The meeting as the secretary's lists show it."""
    active = [i for i in state.invitations if i not in state.revoked]
    pending = [p for p in state.requests if p not in state.decisions]
    return meeting_info(meeting_id, state) | {
        "invitations": len(active), "requests": len(state.requests),
        "pending_requests": len(pending)}


def request_view(state: MeetingState, req: RemoteRequested) -> dict[str, Any]:
    person = state.people.get(req.person_id)
    decision = state.decisions.get(req.person_id)
    status = "pending" if decision is None else "approved" if decision.approved else "refused"
    by = state.people.get(decision.by) if decision else None
    return {
        "person_id": req.person_id, "name": person.name if person else "",
        "role": person.role if person else "", "party": person.party if person else "",
        "mode": req.mode, "late": req.late, "reason": req.reason, "at": req.at,
        "status": status,
        "decision": None if decision is None else {
            "approved": decision.approved, "by": decision.by, "by_name": by.name if by else "",
            "recorded_by": decision.recorded_by,
            "reason": decision.reason, "at": decision.at},
    }


# -- the API ------------------------------------------------------------------------------------


class SecretaryApi:
    """Handlers for /api/committees/... and /api/meetings/{id}/..."""

    def __init__(self, service: MeetingService, admin_key: str) -> None:
        self.service = service
        self.admin_key = admin_key
        # Writes that take several events (roster import, invite everyone) check everything
        # first, then append; the lock keeps other API writes from slipping in between.
        self.lock = asyncio.Lock()

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/committees", self.list_committees),
            web.post("/api/committees", self.create_committee),
            web.get("/api/committees/{committee_id}", self.get_committee),
            web.post("/api/committees/{committee_id}/people", self.add_person),
            web.post("/api/committees/{committee_id}/roster", self.import_roster),
            web.get("/api/committees/{committee_id}/meetings", self.list_meetings),
            web.post("/api/committees/{committee_id}/meetings", self.create_meeting),
            web.get("/api/meetings/{meeting_id}", self.meeting_state),
            web.get("/api/meetings/{meeting_id}/invitations", self.list_invitations),
            web.post("/api/meetings/{meeting_id}/invitations", self.issue_invitation),
            web.post("/api/meetings/{meeting_id}/invitations/all", self.invite_everyone),
            web.post("/api/meetings/{meeting_id}/invitations/{invitation_id}/revoke",
                     self.revoke_invitation),
            web.get("/api/meetings/{meeting_id}/me", self.me),
            web.get("/api/meetings/{meeting_id}/requests", self.list_requests),
            web.post("/api/meetings/{meeting_id}/requests", self.request_remote),
            web.post("/api/meetings/{meeting_id}/requests/{person_id}/decision", self.decide),
            web.get("/api/meetings/{meeting_id}/attendance.csv", self.attendance),
            web.get("/api/meetings/{meeting_id}/minutes.html", self.minutes_html),
            web.get("/api/meetings/{meeting_id}/minutes.docx", self.minutes_docx),
            web.get("/api/meetings/{meeting_id}/evidence.json", self.evidence_json),
        ]

    # -- helpers --

    def _committee(self, committee_id: str) -> MeetingState:
        state = self.service.committee(committee_id)
        if state is None or state.committee is None:
            raise RuleViolation("unknown_committee", "Nämnden finns inte.",
                                "The committee does not exist.")
        return state

    def _meeting(self, meeting_id: str) -> MeetingState:
        state = self.service.meeting(meeting_id)
        if state is None or state.meeting is None:
            raise RuleViolation("unknown_meeting", "Sammanträdet finns inte.",
                                "The meeting does not exist.")
        return state

    def _manager(self, request: web.Request) -> tuple[str, MeetingState, Caller]:
        """Checks the caller before anything of the meeting is looked at or returned."""
        meeting_id = request.match_info["meeting_id"]
        caller = require_manager(request, self.admin_key, self.service, meeting_id)
        return meeting_id, self._meeting(meeting_id), caller

    def _taken_ids(self) -> set[str]:
        return set(self.service.committees) | set(self.service.meetings)

    def _meetings_of(self, committee_id: str) -> list[tuple[str, MeetingState]]:
        found = [(mid, s) for mid, s in self.service.meetings.items()
                 if self.service.committee_of(mid) == committee_id and s.meeting is not None]
        def when(item: tuple[str, MeetingState]) -> tuple[str, str, str]:
            meeting = item[1].meeting
            assert meeting is not None
            return meeting.date, meeting.time, item[0]

        return sorted(found, key=when)

    def _invitation_view(self, meeting_id: str, state: MeetingState, invitation_id: str,
                         caller: Caller) -> dict[str, Any]:
        """An invitation; its usable link only for the secretariat (admin key) and for the
        invited person themself: a chair or secretary never holds another person's key."""
        person_id = state.invitations[invitation_id]
        person = state.people.get(person_id)
        revoked = invitation_id in state.revoked
        view: dict[str, Any] = {
            "invitation_id": invitation_id, "person_id": person_id,
            "name": person.name if person else "", "role": person.role if person else "",
            "revoked": revoked, "link": None, "request_link": None}
        if not revoked and (caller.admin or caller.person_id == person_id):
            token = quote(self.service.token_for(meeting_id, invitation_id), safe="")
            view["link"] = f"/m/{quote(meeting_id)}?t={token}"
            view["request_link"] = f"/m/{quote(meeting_id)}/request?t={token}"
        return view

    def _committee_view(self, committee_id: str) -> dict[str, Any]:
        state = self._committee(committee_id)
        assert state.committee is not None
        return {"id": committee_id, "name": state.committee.name,
                "party_order": list(state.committee.party_order),
                "people": [person_view(p) for p in state.people.values()],
                "meetings": [meeting_brief(mid, s) for mid, s in self._meetings_of(committee_id)],
                "roles": [{"role": r, "role_en": ROLE_EN[r]} for r in ROLES]}

    # -- committees and rosters (admin key) --

    @_answers_json
    async def list_committees(self, request: web.Request) -> web.StreamResponse:
        require_admin(request, self.admin_key)
        out = []
        for cid, state in self.service.committees.items():
            if state.committee is None:
                continue
            out.append({"id": cid, "name": state.committee.name,
                        "party_order": list(state.committee.party_order),
                        "people": len(state.people), "meetings": len(self._meetings_of(cid))})
        return _json(sorted(out, key=lambda c: c["name"].lower()))

    @_answers_json
    async def create_committee(self, request: web.Request) -> web.StreamResponse:
        require_admin(request, self.admin_key)
        f = await _fields(request, CommitteeBody)
        name = f.text("name")
        committee_id = f.text("id", required=False, pattern=ID_PATTERN,
                              example="socialnamnden")
        party_order = f.texts("party_order", max_items=30, max_len=30, unique=True)
        f.done()
        async with self.lock:
            committee_id = committee_id or unique_id(slug(name, "namnd"), self._taken_ids())
            await self.service.create_committee(committee_id, name, party_order)
        return _json(self._committee_view(committee_id), status=201)

    @_answers_json
    async def get_committee(self, request: web.Request) -> web.StreamResponse:
        require_admin(request, self.admin_key)
        return _json(self._committee_view(request.match_info["committee_id"]))

    @_answers_json
    async def add_person(self, request: web.Request) -> web.StreamResponse:
        require_admin(request, self.admin_key)
        committee_id = request.match_info["committee_id"]
        f = await _fields(request, PersonBody)
        # name, role and e-mail are checked by the roster's own rules, every problem at once
        name = f.text("name", required=False, max_len=roster.MAX_NAME)
        role = f.text("role", required=False, max_len=40).lower()
        party = f.text("party", required=False, max_len=roster.MAX_PARTY)
        order = f.integer("substitute_order")
        email = f.text("email", required=False, max_len=roster.MAX_EMAIL)
        person_id = f.text("id", required=False, pattern=ID_PATTERN, example="anna-lind")
        if not f.problems:
            f.problems += [{"field": "", "message_sv": sv, "message_en": en}
                           for sv, en in person_problems(name, role, party, order, email)]
        f.done()
        async with self.lock:
            state = self._committee(committee_id)
            conflicts = roster_conflicts(state.people, role, party, order, email)
            if conflicts:
                raise ApiError(
                    409, "roster_conflict",
                    "Kan inte läggas till: " + "; ".join(sv for sv, _ in conflicts) + ".",
                    "Cannot be added: " + "; ".join(en for _, en in conflicts) + ".")
            person_id = person_id or unique_id(slug(name, "person"), state.people)
            await self.service.run_committee(committee_id, lambda s, at: s.add_person(
                person_id, name, cast(Role, role), at, party=party, substitute_order=order,
                email=email))
            return _json(person_view(state.people[person_id]), status=201)

    @_answers_json
    async def import_roster(self, request: web.Request) -> web.StreamResponse:
        """CSV text in; every bad line reported and nothing added, or every row added."""
        require_admin(request, self.admin_key)
        committee_id = request.match_info["committee_id"]
        text = roster_text(await request.read())
        async with self.lock:
            state = self._committee(committee_id)
            try:
                rows = parse_roster(text)
            except RosterError as exc:
                raise _roster_refused([(p.line, p.message_sv, p.message_en)
                                       for p in exc.problems]) from None
            if not rows:
                raise ApiError(422, "empty_roster", "Filen innehåller inga personer.",
                               "The file lists no people.")
            problems: list[tuple[int, str, str]] = []
            taken = set(state.people)
            planned: list[tuple[str, Any]] = []
            for row in rows:
                for sv, en in roster_conflicts(state.people, row.role, row.party, row.order,
                                               row.email):
                    problems.append((row.line, sv, en))
                person_id = unique_id(slug(row.name, "person"), taken)
                taken.add(person_id)
                planned.append((person_id, row))
            if problems:
                raise _roster_refused(problems)
            for person_id, row in planned:  # the same checks again, by the model, as it adds
                await self.service.run_committee(
                    committee_id, lambda s, at, p=person_id, r=row: s.add_person(
                        p, r.name, r.role, at, party=r.party, substitute_order=r.order,
                        email=r.email))
            added = [person_view(state.people[pid]) | {"line": row.line}
                     for pid, row in planned]
        return _json({"added": added, "count": len(added)}, status=201)

    # -- meetings (admin key) --

    @_answers_json
    async def list_meetings(self, request: web.Request) -> web.StreamResponse:
        require_admin(request, self.admin_key)
        committee_id = request.match_info["committee_id"]
        self._committee(committee_id)
        return _json([meeting_brief(mid, s) for mid, s in self._meetings_of(committee_id)])

    @_answers_json
    async def create_meeting(self, request: web.Request) -> web.StreamResponse:
        require_admin(request, self.admin_key)
        committee_id = request.match_info["committee_id"]
        f = await _fields(request, MeetingBody)
        date = f.text("date", pattern=DATE_PATTERN, example="2026-05-20", check=_is_date)
        time = f.text("time", pattern=TIME_PATTERN, example="18:00", check=_is_time)
        place = f.text("place", max_len=200)
        agenda = f.texts("agenda", max_items=100, max_len=300)
        meeting_id = f.text("id", required=False, pattern=ID_PATTERN, example="ks-2026-05-20")
        profile = f.text("profile", required=False, max_len=40)
        f.done()
        async with self.lock:
            self._committee(committee_id)
            taken = self._taken_ids()
            if meeting_id in taken:
                raise RuleViolation("id_taken", "Id:t används redan.", "The id is already in use.")
            meeting_id = meeting_id or unique_id(f"{committee_id}-{date}", taken)
            await self.service.create_meeting(
                committee_id, meeting_id, date=date, time=time, place=place, agenda=agenda,
                profile=profile)
        return _json(meeting_brief(meeting_id, self._meeting(meeting_id)), status=201)

    # -- one meeting (admin key, or the meeting's chair or secretary) --

    @_answers_json
    async def meeting_state(self, request: web.Request) -> web.StreamResponse:
        meeting_id, state, _ = self._manager(request)
        q = state.quorum()
        block = state.decision_block()
        serving_for = dict(state.serving)
        presence = []
        for pid, p in state.present.items():
            person = state.people.get(pid)
            presence.append({
                "person_id": pid, "name": person.name if person else "",
                "role": person.role if person else "", "party": person.party if person else "",
                "where": p.where, "mode": p.mode, "paused": p.paused,
                "link_failed": p.link_failed, "counts": p.counts,
                "serving_for": serving_for.get(pid)})
        order = list(state.people)
        presence.sort(key=lambda e: order.index(e["person_id"]) if e["person_id"] in order else 0)
        suspension = state.suspension
        return _json({
            "meeting": meeting_brief(meeting_id, state),
            "phase": state.phase,
            "suspension": None if suspension is None else {
                "reason": suspension.reason, "person_id": suspension.participant,
                "at": suspension.at} | (suspension_view(state) or {}),
            "quorum": {"members": q.members, "present": q.present, "required": q.required,
                       "quorate": q.quorate, "counted": list(q.counted)},
            "decision_block": None if block is None else {
                "code": block.code, "message_sv": block.message_sv,
                "message_en": block.message_en},
            "presence": presence,
            "lobby": [{"person_id": pid, "name": state.people[pid].name}
                      for pid in order if pid in state.lobby],
            "people": [person_view(p) for p in state.people.values()],
        })

    @_answers_json
    async def list_invitations(self, request: web.Request) -> web.StreamResponse:
        meeting_id, state, caller = self._manager(request)
        return _json([self._invitation_view(meeting_id, state, iid, caller)
                      for iid in state.invitations])

    @_answers_json
    async def issue_invitation(self, request: web.Request) -> web.StreamResponse:
        meeting_id, state, caller = self._manager(request)
        f = await _fields(request, InvitationBody)
        person_id = f.text("person_id")
        f.done()
        async with self.lock:
            invitation_id, _token = await self.service.issue_invitation(meeting_id, person_id)
        return _json(self._invitation_view(meeting_id, state, invitation_id, caller),
                     status=201)

    @_answers_json
    async def invite_everyone(self, request: web.Request) -> web.StreamResponse:
        """An invitation for everyone on the roster who has no working one yet."""
        meeting_id, state, caller = self._manager(request)
        await _fields(request, Empty, optional=True)
        async with self.lock:
            invited = {pid for iid, pid in state.invitations.items() if iid not in state.revoked}
            issued = []
            for person_id in list(state.people):
                if person_id not in invited:
                    invitation_id, _token = await self.service.issue_invitation(
                        meeting_id, person_id)
                    issued.append(self._invitation_view(meeting_id, state, invitation_id,
                                                        caller))
        return _json({"issued": issued, "already_invited": len(invited)}, status=201)

    @_answers_json
    async def revoke_invitation(self, request: web.Request) -> web.StreamResponse:
        meeting_id, state, caller = self._manager(request)
        invitation_id = request.match_info["invitation_id"]
        f = await _fields(request, RevokeBody, optional=True)
        reason = f.text("reason", required=False, max_len=MAX_TEXT)
        f.done()
        async with self.lock:
            await self.service.run(meeting_id,
                                   lambda s, at: s.revoke_invitation(invitation_id, at, reason))
        return _json(self._invitation_view(meeting_id, state, invitation_id, caller))

    # -- remote participation: the member asks, the chair decides --

    @_answers_json
    async def me(self, request: web.Request) -> web.StreamResponse:
        """The member's own view for the request page: who, which meeting, their request."""
        meeting_id = request.match_info["meeting_id"]
        caller = require_member(request, self.service, meeting_id)
        state = self._meeting(meeting_id)
        assert caller.person_id is not None
        person = state.people[caller.person_id]
        req = state.requests.get(caller.person_id)
        chair_in_room = person.role == "ordförande" and state.rules.chair_must_be_in_room
        return _json({
            "person": {"id": person.person_id, "name": person.name, "role": person.role,
                       "role_en": ROLE_EN.get(person.role, "")},
            "meeting": meeting_info(meeting_id, state),
            "may_request": not chair_in_room and state.phase != "closed",
            "may_decide": person.role in ELECTED_ROLES and not chair_in_room,
            "request": None if req is None else request_view(state, req),
        })

    @_answers_json
    async def request_remote(self, request: web.Request) -> web.StreamResponse:
        meeting_id = request.match_info["meeting_id"]
        caller = require_member(request, self.service, meeting_id)
        state = self._meeting(meeting_id)
        f = await _fields(request, RequestBody)
        mode = f.text("mode", max_len=20)
        if mode and mode not in REMOTE_MODES:
            f.problem("mode", f"'{mode}' är inte ett av {', '.join(REMOTE_MODES)}",
                      f"'{mode}' is not one of {', '.join(REMOTE_MODES)}")
        reason = f.text("reason", required=False, max_len=MAX_TEXT)
        f.done()
        person_id = caller.person_id
        assert person_id is not None
        async with self.lock:
            await self.service.run(meeting_id, lambda s, at: s.request_remote(
                person_id, cast(RemoteMode, mode), at, reason))
        return _json(request_view(state, state.requests[person_id]), status=201)

    @_answers_json
    async def list_requests(self, request: web.Request) -> web.StreamResponse:
        _, state, _ = self._manager(request)
        order = list(state.people)
        requests = sorted(state.requests.values(),
                          key=lambda r: order.index(r.person_id) if r.person_id in order else 0)
        return _json([request_view(state, r) for r in requests])

    @_answers_json
    async def decide(self, request: web.Request) -> web.StreamResponse:
        """The chair's decision: the chair's own token, or the admin key with `by`."""
        meeting_id, state, caller = self._manager(request)
        person_id = request.match_info["person_id"]
        f = await _fields(request, DecisionBody)
        approved = f.boolean("approved")
        reason = f.text("reason", required=False, max_len=MAX_TEXT)
        by = f.text("by", required=caller.admin)
        f.done()
        if not caller.admin:
            assert caller.person_id is not None
            if state.people[caller.person_id].role != "ordförande":
                raise ApiError(403, "chair_only",
                               "Endast ordföranden beslutar om deltagande på distans.",
                               "Only the chair decides on remote participation.")
            if by and by != caller.person_id:
                raise ApiError(403, "by_mismatch",
                               "Ordföranden beslutar i eget namn ('by' ska vara du själv).",
                               "The chair decides in their own name ('by' must be you).")
            by = caller.person_id
        async with self.lock:
            await self.service.run(meeting_id, lambda s, at: s.decide_remote(
                person_id, approved, by, at, reason,
                recorded_by="secretariat" if caller.admin else ""))
        return _json(request_view(state, state.requests[person_id]))

    # -- attendance for fees --

    @_answers_json
    async def attendance(self, request: web.Request) -> web.StreamResponse:
        """Attendance CSV (who, how, from when to when), for the fee administration."""
        meeting_id, _state, _ = self._manager(request)
        committee_id = self.service.committee_of(meeting_id) or ""
        log = self.service.log
        text = attendance_csv(log.events(committee_id) + log.events(meeting_id))
        safe = re.sub(r"[^A-Za-z0-9_-]", "_", meeting_id)
        disposition = (f'attachment; filename="narvaro-{safe}.csv"; '
                       f"filename*=UTF-8''{quote(f'närvaro-{safe}.csv')}")
        # The byte-order mark makes Excel read å, ä and ö as UTF-8.
        return web.Response(body=("\ufeff" + text).encode("utf-8"),
                            content_type="text/csv", charset="utf-8",
                            headers={"Content-Disposition": disposition,
                                     "Cache-Control": "no-store"})

    # -- the minutes (protokoll) and the evidence per decision --

    def _record(self, meeting_id: str) -> tuple[Minutes, Evidence]:
        """The minutes and evidence, rendered from the log as stored now, with the verdict on
        the whole log's hash chain."""
        stored = self.service.stored_events(meeting_id)
        rules = self.service.profile.legal
        evidence = build_evidence(stored, verify_chain(self.service.log.chain_rows()), rules)
        minutes = build_minutes([s.event for s in stored], rules, evidence)
        return minutes, evidence

    @_answers_json
    async def minutes_html(self, request: web.Request) -> web.StreamResponse:
        """The minutes as print-ready HTML, evidence appendix included."""
        meeting_id, _state, _ = self._manager(request)
        minutes, _evidence = self._record(meeting_id)
        return web.Response(text=render_html(minutes), content_type="text/html",
                            charset="utf-8", headers={
                                "Content-Disposition": _attachment("protokoll", meeting_id,
                                                                   "html", inline=True),
                                "Cache-Control": "no-store",
                                "Content-Security-Policy": "default-src 'none'; "
                                "style-src 'unsafe-inline'"})

    @_answers_json
    async def minutes_docx(self, request: web.Request) -> web.StreamResponse:
        """The minutes as a Word document."""
        meeting_id, _state, _ = self._manager(request)
        minutes, _evidence = self._record(meeting_id)
        return web.Response(
            body=render_docx(minutes),
            content_type="application/vnd.openxmlformats-officedocument."
                         "wordprocessingml.document",
            headers={"Content-Disposition": _attachment("protokoll", meeting_id, "docx"),
                     "Cache-Control": "no-store"})

    @_answers_json
    async def evidence_json(self, request: web.Request) -> web.StreamResponse:
        """The evidence per decision, with the hash chain's verdict."""
        meeting_id, _state, _ = self._manager(request)
        _minutes, evidence = self._record(meeting_id)
        response = _json(evidence.to_dict())
        response.headers["Content-Disposition"] = _attachment("beslutsbevis", meeting_id, "json")
        return response


def _attachment(stem: str, meeting_id: str, ext: str, inline: bool = False) -> str:
    """A Content-Disposition with an ASCII file name and the UTF-8 one."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", meeting_id)
    kind = "inline" if inline else "attachment"
    return (f'{kind}; filename="{stem}-{safe}.{ext}"; '
            f"filename*=UTF-8''{quote(f'{stem}-{safe}.{ext}')}")


SPREADSHEET_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (zip), .xls (OLE)


def roster_text(raw: bytes) -> str:
    """The roster file as text: UTF-8, or Windows-1252 (what older Swedish Excel saves as
    "CSV"); a spreadsheet file or bytes neither can read are refused (422)."""
    if raw.startswith(SPREADSHEET_MAGIC):
        raise ApiError(422, "not_csv",
                       "Filen är en Excel-fil. Spara den som CSV (semikolonavgränsad) och "
                       "försök igen.",
                       "The file is an Excel workbook. Save it as CSV and try again.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ApiError(422, "bad_encoding",
                       f"Filen kan inte läsas som text (byte {exc.start}); spara den som CSV "
                       "med teckenkodning UTF-8.",
                       f"The file cannot be read as text (byte {exc.start}); save it as CSV "
                       "in UTF-8.") from None


def _roster_refused(problems: Iterable[tuple[int, str, str]]) -> ApiError:
    items = sorted(problems, key=lambda p: p[0])
    lines = sorted({line for line, _, _ in items})
    return ApiError(
        422, "invalid_roster",
        f"Förteckningen har fel på {len(lines)} rad(er); ingen person lades till.",
        f"The roster has errors on {len(lines)} line(s); nobody was added.",
        problems=[{"line": line, "message_sv": sv, "message_en": en} for line, sv, en in items])


# -- pages and wiring ---------------------------------------------------------------------------

PAGE_HEADERS = {"Cache-Control": "no-cache", "Referrer-Policy": "no-referrer",
                "X-Frame-Options": "DENY"}


async def secretary_page(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(WEB_DIR / "secretary.html", headers=PAGE_HEADERS)


async def request_page(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(WEB_DIR / "request.html", headers=PAGE_HEADERS)


HTTP_ERRORS: dict[int, tuple[str, str, str]] = {
    404: ("not_found", "Det finns ingen sådan adress i API:t.", "No such API path."),
    405: ("method_not_allowed", "Metoden stöds inte här.", "The method is not allowed here."),
    413: ("too_large", "Begäran är för stor.", "The request is too large."),
}


@web.middleware
async def api_errors(request: web.Request, handler: Callable[[web.Request], Awaitable[
        web.StreamResponse]]) -> web.StreamResponse:
    """aiohttp's own refusals under /api/ (unknown path, method, too large) as the API's JSON
    errors, like every other: code, Swedish and English."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if not request.path.startswith("/api/") or exc.status < 400:
            raise
        code, sv, en = HTTP_ERRORS.get(exc.status, ("http_error", "Begäran kunde inte tas emot.",
                                                    "The request could not be taken."))
        return ApiError(exc.status, code, sv, en).response()


def setup_api(app: web.Application) -> None:
    """Load (or make) the admin key and register the API and the secretary's pages."""
    admin_key = load_admin_key(app[CONFIG].database.parent / ADMIN_KEY_FILE)
    app[ADMIN_KEY] = admin_key
    app.middlewares.append(api_errors)
    api = SecretaryApi(app[SERVICE], admin_key)
    app.router.add_routes(api.routes())
    from .agenda_api import setup_agenda_api  # it builds on this module

    setup_agenda_api(app, api)
    app.router.add_get("/secretary", secretary_page)
    app.router.add_get("/m/{meeting_id}/request", request_page)
