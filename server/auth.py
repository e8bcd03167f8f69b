"""Who may use the secretary's API: the admin key, or a meeting's own chair or secretary.

The admin key is a random key made on first start in the database folder (`admin.key`, 0600,
beside the invitation signing key `secret.key`). It is sent as `Authorization: Bearer <key>`
and opens every committee and meeting. `python -m server` prints the secretary's link with the
key in the URL fragment (`/secretary#key=...`), which browsers never send to a server.

A personal invitation token (`X-Kvorum-Token` header, or `?t=`) opens one meeting's endpoints
when it belongs to that meeting's chair or secretary, and a member's own request endpoints for
the member it was issued to. Every refusal is an `ApiError` carrying the JSON body
`{"code", "message_sv", "message_en"}` and its HTTP status; nothing is written on a refusal.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from .invitations import InvitationRefused
from .meetings import MeetingService
from .schemas import dumps

ADMIN_KEY_FILE = "admin.key"
TOKEN_HEADER = "X-Kvorum-Token"
TOKEN_QUERY = "t"
MANAGER_ROLES: tuple[str, ...] = ("ordförande", "sekreterare")  # may run a meeting's endpoints


class ApiError(Exception):
    """A refused or failed request: HTTP status, stable code, Swedish and English reason."""

    def __init__(self, status: int, code: str, message_sv: str, message_en: str,
                 **extra: Any) -> None:
        super().__init__(code, message_sv, message_en)
        self.status = status
        self.code = code
        self.message_sv = message_sv
        self.message_en = message_en
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message_sv": self.message_sv,
                "message_en": self.message_en, **self.extra}

    def response(self) -> web.Response:
        headers = {"Cache-Control": "no-store"}
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="kvorum"'
        return web.json_response(self.body(), status=self.status, headers=headers, dumps=dumps)


@dataclass(frozen=True)
class Caller:
    """Who is calling: the secretariat (admin key) or a person by their invitation token."""

    admin: bool
    person_id: str | None = None


def load_admin_key(path: Path) -> str:
    """The admin key, made on first start (created 0600, never readable by others)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(32) + "\n")
    key = path.read_text().strip()
    if len(key) < 16:
        raise RuntimeError(f"{path}: the admin key is missing or too short; delete the file "
                           "and restart to make a new one")
    return key


def secretary_link(base_url: str, admin_key: str) -> str:
    """The secretary's pages with the key in the fragment (never sent over the network)."""
    return f"{base_url}/secretary#key={admin_key}"


def _printable(value: str) -> bool:
    """Keys and tokens are printable ASCII; anything else (bytes that were not UTF-8 arrive
    as surrogates) is refused before it reaches a comparison or a signature check."""
    return value.isascii() and value.isprintable()


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip() or not _printable(value):
        raise ApiError(401, "bad_authorization",
                       "Fel format på Authorization-huvudet; använd 'Bearer <nyckel>'.",
                       "Malformed Authorization header; use 'Bearer <key>'.")
    return value.strip()


def _token(request: web.Request) -> str | None:
    token = request.headers.get(TOKEN_HEADER) or request.query.get(TOKEN_QUERY) or None
    if token is not None and not _printable(token):
        raise ApiError(401, "invitation_forged", "Inbjudningslänken är ogiltig.",
                       "The invitation link is not valid.")
    return token


def _check_admin(request: web.Request, admin_key: str) -> bool:
    """True with the right admin key, False with none; a wrong key is refused."""
    given = _bearer(request)
    if given is None:
        return False
    if not hmac.compare_digest(given.encode(), admin_key.encode()):
        raise ApiError(401, "wrong_key", "Fel administratörsnyckel.", "Wrong admin key.")
    return True


def require_admin(request: web.Request, admin_key: str) -> Caller:
    """The secretariat's endpoints (committees, rosters): the admin key only."""
    if not _check_admin(request, admin_key):
        raise ApiError(
            401, "key_required",
            "Administratörsnyckel krävs. Öppna sekreterarlänken som servern skrev ut.",
            "The admin key is required. Open the secretary link the server printed.")
    return Caller(admin=True)


def _person_by_token(request: web.Request, service: MeetingService, meeting_id: str) -> str:
    """The person whose personal token came with the request, for this meeting, or refused."""
    token = _token(request)
    if token is None:
        raise ApiError(401, "credentials_required",
                       "Administratörsnyckel eller personlig inbjudningslänk krävs.",
                       "The admin key or a personal invitation link is required.")
    if service.meeting(meeting_id) is None:
        # Same answer as a token for another meeting: a caller without a valid link does not
        # learn which meetings exist.
        raise ApiError(401, "invitation_wrong_meeting",
                       "Inbjudningslänken gäller ett annat sammanträde.",
                       "The invitation link is for another meeting.")
    try:
        return service.verify_invitation(token, meeting_id)
    except InvitationRefused as exc:
        raise ApiError(401, f"invitation_{exc.reason_code}", exc.message_sv,
                       exc.message_en) from None


def require_manager(request: web.Request, admin_key: str, service: MeetingService,
                    meeting_id: str, roles: Iterable[str] = MANAGER_ROLES) -> Caller:
    """A meeting's endpoints: the admin key, or the token of that meeting's chair or
    secretary."""
    if _check_admin(request, admin_key):
        return Caller(admin=True)
    person_id = _person_by_token(request, service, meeting_id)
    state = service.meeting(meeting_id)
    assert state is not None
    roles = tuple(roles)
    if state.people[person_id].role not in roles:
        raise ApiError(403, "forbidden",
                       "Endast nämndens sekreterare eller mötets ordförande får göra detta.",
                       "Only the committee's secretary or the meeting's chair may do this.")
    return Caller(admin=False, person_id=person_id)


def require_member(request: web.Request, service: MeetingService, meeting_id: str) -> Caller:
    """A person's own endpoints (their remote request): their own invitation token only."""
    if _token(request) is None and request.headers.get("Authorization"):
        raise ApiError(403, "personal_link_required",
                       "Begäran görs av ledamoten själv med sin personliga länk.",
                       "The request is made by the member themself with their personal link.")
    return Caller(admin=False, person_id=_person_by_token(request, service, meeting_id))
