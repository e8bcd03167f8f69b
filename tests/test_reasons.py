"""Findings worded for people: Swedish first, with names, Swedish numbers, no ids."""

from __future__ import annotations

import pytest

from compliance.reasons import describe, number, possessive, suspension, worded

NAMES = {"ordf": "Eva Ek", "led1": "Karin Lind"}


def test_a_frozen_picture_suspends_in_the_persons_name() -> None:
    sv, en = suspension("video.freeze", {"value": 2.0, "threshold": 1.0}, "Karin Lind")
    assert sv == ("Karin Linds bild har stått still i 2 s. "
                  "Sammanträdet är avbrutet tills bilden är tillbaka.")
    assert en == ("Karin Lind's picture has been frozen for 2 s. "
                  "The meeting is suspended until the picture is back.")


def test_numbers_are_written_the_swedish_way() -> None:
    assert number(1.125, 1) == "1,1"
    assert number(0.118 * 100, 1) == "11,8"
    assert number(12.0, 1) == "12"
    assert number(1.25, 2, "en") == "1.25"
    assert number(float("inf"), 1) == "–"


def test_what_a_member_receives_names_the_other_person_not_an_id() -> None:
    params = {"value": 0.118, "threshold": 0.075, "window_s": 2.0, "level": "critical",
              "from": "ordf"}
    sv, en = describe("downlink.audio.concealed", params, "Karin Lind", NAMES)
    assert sv == ("Ljudet från Eva Ek hackar hos Karin Lind: 11,8 % fick fyllas i "
                  "(högst 7,5 % tillåts).")
    assert "Eva Ek" in en and "11.8 %" in en
    assert "ordf" not in sv + en


def test_degraded_says_should_and_critical_says_required() -> None:
    degraded = {"value": 15.0, "threshold": 20, "level": "degraded"}
    critical = {"value": 8.5, "threshold": 12, "level": "critical"}
    assert describe("video.fps", degraded, "Bo")[0].endswith("(bör vara minst 20 bilder/s).")
    assert describe("video.fps", critical, "Bo")[0] == (
        "Bos bild har låg bildfrekvens: 8,5 bilder/s (minst 12 bilder/s krävs).")


@pytest.mark.parametrize("name, sv, en", [
    ("Karin Lind", "Karin Linds", "Karin Lind's"),
    ("Jonas", "Jonas", "Jonas'"),
    ("Max", "Max", "Max's"),
])
def test_possessive(name: str, sv: str, en: str) -> None:
    assert (possessive(name), possessive(name, "en")) == (sv, en)


def test_an_unknown_code_or_other_person_still_reads_as_a_sentence() -> None:
    assert describe("something.new", {}, "Bo") == (
        "Förbindelsen med Bo fungerar inte.", "The link with Bo is not working.")
    sv, _ = describe("downlink.video.freeze", {"value": 1.5, "from": "gone"}, "Bo", NAMES)
    assert sv == "Bilden från en annan deltagare har stått still hos Bo i 1,5 s."


def test_transport_state_words_the_state_not_the_internal_name() -> None:
    assert describe("transport.state", {"value": "disconnected"}, "Bo")[0] == (
        "Bos förbindelse är bruten.")
    assert describe("transport.state", {"value": "connecting"}, "Bo")[0] == (
        "Bo håller på att kopplas upp.")


def test_worded_is_the_message_shape_pages_display() -> None:
    message = worded("video.live", {}, "led1", "Karin Lind", NAMES, suspended=True)
    assert message == {
        "code": "video.live", "params": {}, "person_id": "led1", "name": "Karin Lind",
        "sv": "Karin Linds kamera är avstängd. Sammanträdet är avbrutet tills bilden är "
              "tillbaka.",
        "en": "Karin Lind's camera is off. The meeting is suspended until the picture is back.",
    }
