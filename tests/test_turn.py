"""TURN for members behind firewalls: the server hands out credentials coturn accepts.

A real coturn runs on 127.0.0.1 with the TURN REST API secret; credentials come from the
server's welcome (what a browser gets) and are tried against it over UDP and TCP.
"""

from __future__ import annotations

import time

import pytest
from aioice.stun import TransactionFailed

from bench.synthetic import SyntheticParticipant
from server.config import parse_args
from server.turn import turn_credential

from .conftest import running_server
from .coturn import allocate, coturn

SECRET = "delad-hemlighet-for-test"


async def test_coturn_accepts_the_credential_in_the_welcome(tmp_path):
    with coturn(tmp_path, SECRET) as turn:
        async with running_server(tmp_path, ice_urls=turn.urls("udp", "tcp"),
                                  turn_secret=SECRET, turn_ttl_s=600) as server:
            member = SyntheticParticipant(server.base_url, "open", "Anna", mark=1,
                                          publish=False)
            await member.join()
            try:
                (entry,) = member.welcome["iceServers"]
                assert entry["urls"] == turn.urls("udp", "tcp")
                expiry, user = entry["username"].split(":")
                assert user == member.id
                assert 590 <= int(expiry) - time.time() <= 600
                for transport in ("udp", "tcp"):
                    relayed = await allocate(turn, entry["username"], entry["credential"],
                                             transport)
                    assert relayed.startswith("127.0.0.1:")
            finally:
                await member.leave()


async def test_coturn_refuses_a_wrong_or_expired_credential(tmp_path):
    with coturn(tmp_path, SECRET) as turn:
        now = int(time.time())
        wrong = turn_credential("not-the-secret", "anna", now + 600)
        expired = turn_credential(SECRET, "anna", now - 5)
        for username, password in (wrong, expired):
            for transport in ("udp", "tcp"):
                with pytest.raises(TransactionFailed) as refused:
                    await allocate(turn, username, password, transport)
                assert refused.value.response.attributes["ERROR-CODE"][0] == 401
        # and the same user with a valid credential gets through
        assert await allocate(turn, *turn_credential(SECRET, "anna", now + 600), "udp")


async def test_without_ice_urls_browsers_get_no_ice_servers(server):
    member = SyntheticParticipant(server.base_url, "open", "Anna", mark=1, publish=False)
    await member.join()
    try:
        assert member.welcome["iceServers"] == []
    finally:
        await member.leave()


def test_turn_settings_come_from_flags_or_environment(monkeypatch):
    monkeypatch.setenv("KVORUM_ICE_URLS",
                       "stun:turn.example.se:3478,turns:turn.example.se:443?transport=tcp")
    monkeypatch.setenv("KVORUM_TURN_SECRET", "s3")
    monkeypatch.setenv("KVORUM_TURN_TTL", "3600")
    config = parse_args([])
    assert config.ice_urls == ["stun:turn.example.se:3478",
                               "turns:turn.example.se:443?transport=tcp"]
    assert (config.turn_secret, config.turn_ttl_s) == ("s3", 3600)
    flagged = parse_args(["--ice-url", "turn:10.0.0.5:3478?transport=tcp"])
    assert flagged.ice_urls == ["turn:10.0.0.5:3478?transport=tcp"]


@pytest.mark.parametrize("urls", ["http://turn.example.se", "turn:turn.example.se:3478"])
def test_a_bad_url_or_a_turn_url_without_secret_stops_the_server_at_start(monkeypatch, urls):
    monkeypatch.delenv("KVORUM_TURN_SECRET", raising=False)
    with pytest.raises(SystemExit):
        parse_args(["--ice-url", urls])
