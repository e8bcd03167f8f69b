"""Personal invitation links: a signed, timestamped token per person, meeting and invitation.

A token proves that the server issued this invitation to this person for this meeting; the
meeting's log says whether it has been revoked since. Anyone holding a committee's documents
cannot join by that alone (the seed's platform's weakness): they need their own link.
"""

from __future__ import annotations

from collections.abc import Container

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class InvitationRefused(Exception):
    """The link does not let its holder in: a stable `reason_code`, Swedish and English text."""

    def __init__(self, reason_code: str, message_sv: str, message_en: str) -> None:
        super().__init__(reason_code, message_sv, message_en)
        self.reason_code = reason_code
        self.message_sv = message_sv
        self.message_en = message_en

    def __str__(self) -> str:
        return f"{self.reason_code}: {self.message_sv} / {self.message_en}"


class Invitations:
    """Issues and verifies invitation tokens with a server secret."""

    def __init__(self, secret_key: str | bytes) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="kvorum.invitation")

    def issue(self, person_id: str, meeting_id: str, invitation_id: str) -> str:
        """A URL-safe token binding the person, the meeting and the invitation id."""
        return self._serializer.dumps({"p": person_id, "m": meeting_id, "i": invitation_id})

    def verify(
        self, token: str, meeting_id: str, revoked_ids: Container[str], max_age_s: int
    ) -> str:
        """The invited person's id, or `InvitationRefused` (forged, expired, wrong_meeting,
        revoked)."""
        return self.identify(token, meeting_id, revoked_ids, max_age_s)[0]

    def identify(
        self, token: str, meeting_id: str, revoked_ids: Container[str], max_age_s: int
    ) -> tuple[str, str]:
        """(person id, invitation id) of a valid token; `InvitationRefused` as `verify`."""
        try:
            claims = self._serializer.loads(token, max_age=max_age_s)
        except SignatureExpired:
            raise InvitationRefused(
                "expired",
                "Inbjudningslänken har gått ut. Be nämndens sekreterare om en ny.",
                "The invitation link has expired. Ask the committee secretary for a new one.",
            ) from None
        except BadSignature:
            raise InvitationRefused(
                "forged",
                "Inbjudningslänken är ogiltig.",
                "The invitation link is not valid.",
            ) from None
        if claims.get("m") != meeting_id:
            raise InvitationRefused(
                "wrong_meeting",
                "Inbjudningslänken gäller ett annat sammanträde.",
                "The invitation link is for another meeting.",
            )
        if claims.get("i") in revoked_ids:
            raise InvitationRefused(
                "revoked",
                "Inbjudningslänken har återkallats. Kontakta nämndens sekreterare.",
                "The invitation link has been revoked. Contact the committee secretary.",
            )
        return str(claims["p"]), str(claims.get("i"))
