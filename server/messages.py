"""User-facing error messages, Swedish first with English beside, by code."""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, tuple[str, str]] = {
    "bad-json": ("Meddelandet är inte giltig JSON.", "The message is not valid JSON."),
    "bad-message": (
        "Meddelandet saknar eller har fel fält.", "The message has missing or wrong fields."
    ),
    "unknown-type": ("Okänd meddelandetyp.", "Unknown message type."),
    "not-joined": ("Anslut till mötet först.", "Join the meeting first."),
    "already-joined": ("Du är redan ansluten.", "You have already joined."),
    "no-such-meeting": ("Mötet finns inte.", "The meeting does not exist."),
    "meeting-closed": ("Mötet är avslutat.", "The meeting is closed."),
    "bad-answer": (
        "Anslutningsbeskrivningen (SDP) kunde inte användas.",
        "The session description (SDP) could not be used.",
    ),
    "no-offer-outstanding": (
        "Servern väntar inte på något svar nu.", "The server is not waiting for an answer."
    ),
    "too-large": ("Meddelandet är för stort.", "The message is too large."),
    "binary-not-accepted": (
        "Binära meddelanden tas inte emot.", "Binary messages are not accepted."
    ),
    "name-required": ("Ange ditt namn.", "Enter your name."),
    "invitation-required": (
        "Använd din personliga inbjudningslänk för att ansluta.",
        "Use your personal invitation link to join.",
    ),
    "log-write-failed": (
        "Sammanträdets logg kan inte skrivas. Inga beslut får fattas; servern försöker "
        "igen tills det lyckas. Kontakta teknisk support.",
        "The meeting's log cannot be written. No decision may be taken; the server keeps "
        "trying until it succeeds. Contact technical support.",
    ),
    "not-admitted": (
        "Du väntar i lobbyn; ordföranden har inte släppt in dig ännu.",
        "You are waiting in the lobby; the chair has not let you in yet.",
    ),
    "guest-room": (
        "Testrummet har inga ärenden, yrkanden eller beslut.",
        "The test room has no agenda, proposals or decisions.",
    ),
    "check-busy": (
        "För många testar sin utrustning just nu; försök igen om en stund.",
        "Too many device checks are running; try again in a while.",
    ),
    "not-allowed": (
        "Endast ordföranden eller sekreteraren får göra detta.",
        "Only the chair or the secretary may do this.",
    ),
}


def error(code: str, detail: str | None = None, **extra: Any) -> dict[str, Any]:
    """An ``error`` message for the client."""
    sv, en = MESSAGES[code]
    message: dict[str, Any] = {"type": "error", "code": code, "message_sv": sv, "message_en": en}
    if detail:
        message["detail"] = detail[:300]
    message.update(extra)
    return message
