"""Personal invitation links: only the invited person, for this meeting, until revoked."""

from __future__ import annotations

import time

import pytest

from server.invitations import InvitationRefused, Invitations

SECRET = "test-secret-key"
DAY_S = 24 * 3600


def refused(reason: str) -> pytest.RaisesExc[InvitationRefused]:
    return pytest.raises(InvitationRefused, check=lambda e: e.reason_code == reason)


def test_valid_token_names_the_invited_person() -> None:
    token = Invitations(SECRET).issue("p7", "mt1", "inv-1")
    assert Invitations(SECRET).verify(token, "mt1", set(), DAY_S) == "p7"


def test_forged_or_tampered_token_is_refused() -> None:
    other_server = Invitations("another-secret").issue("p7", "mt1", "inv-1")
    with refused("forged") as caught:
        Invitations(SECRET).verify(other_server, "mt1", set(), DAY_S)
    assert caught.value.message_sv and caught.value.message_en

    # someone else's payload with p7's timestamp and signature
    mine = Invitations(SECRET).issue("p7", "mt1", "inv-1").split(".")
    theirs = Invitations("another-secret").issue("p8", "mt1", "inv-1").split(".")
    with refused("forged"):
        Invitations(SECRET).verify(".".join([theirs[0], *mine[1:]]), "mt1", set(), DAY_S)
    with refused("forged"):
        Invitations(SECRET).verify("not-a-token", "mt1", set(), DAY_S)


def test_expired_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now - 2 * DAY_S)
    token = Invitations(SECRET).issue("p7", "mt1", "inv-1")
    monkeypatch.setattr(time, "time", lambda: now)
    with refused("expired"):
        Invitations(SECRET).verify(token, "mt1", set(), DAY_S)
    assert Invitations(SECRET).verify(token, "mt1", set(), 3 * DAY_S) == "p7"


def test_revoked_token_is_refused() -> None:
    token = Invitations(SECRET).issue("p7", "mt1", "inv-1")
    with refused("revoked"):
        Invitations(SECRET).verify(token, "mt1", {"inv-1"}, DAY_S)
    assert Invitations(SECRET).verify(token, "mt1", {"inv-2"}, DAY_S) == "p7"


def test_token_for_another_meeting_is_refused() -> None:
    token = Invitations(SECRET).issue("p7", "mt1", "inv-1")
    with refused("wrong_meeting"):
        Invitations(SECRET).verify(token, "mt2", set(), DAY_S)
