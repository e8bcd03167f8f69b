"""Why a link failed or a meeting was suspended, in words people read: Swedish first.

The monitor and the meeting's log keep a finding as a stable `code` and its `params`
(value, threshold, window_s, level, and `from`: the other participant for what a member
receives). This module is the one place that turns them into sentences, in Swedish and in
English, with the person's name and numbers written the Swedish way ("1,1 s", "11,8 %").
The dashboards, the members' pages and the minutes all word a finding here; no internal id
ever appears in a text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Param = float | int | str | None
Params = Mapping[str, Param]

UNKNOWN_PERSON = ("en annan deltagare", "another participant")


@dataclass(frozen=True)
class _Words:
    """The names and numbers a template may use, in one language."""

    name: str  # the person the finding is about
    possessive: str  # "Karin Linds" / "Karin Lind's"
    source: str  # the other participant (downlink findings)
    value: str
    limit: str  # "minst 12 bilder/s krävs" / "at least 12 frames/s required"


Template = Callable[[_Words], str]

# code -> (Swedish, English)
_TEMPLATES: dict[str, tuple[Template, Template]] = {
    "video.freeze": (
        lambda w: f"{w.possessive} bild har stått still i {w.value}.",
        lambda w: f"{w.possessive} picture has been frozen for {w.value}.",
    ),
    "audio.silence": (
        lambda w: f"Inget ljud har kommit från {w.name} på {w.value}.",
        lambda w: f"No sound has come from {w.name} for {w.value}.",
    ),
    "video.live": (
        lambda w: f"{w.possessive} kamera är avstängd.",
        lambda w: f"{w.possessive} camera is off.",
    ),
    "audio.live": (
        lambda w: f"{w.possessive} mikrofon har slutat sända.",
        lambda w: f"{w.possessive} microphone has stopped sending.",
    ),
    "video.missing": (
        lambda w: f"Ingen bild kommer från {w.name}.",
        lambda w: f"No picture is coming from {w.name}.",
    ),
    "audio.missing": (
        lambda w: f"Inget ljud kommer från {w.name}.",
        lambda w: f"No sound is coming from {w.name}.",
    ),
    "transport.missing": (
        lambda w: f"{w.name} är inte uppkopplad.",
        lambda w: f"{w.name} is not connected.",
    ),
    "transport.connecting": (
        lambda w: f"{w.name} håller på att kopplas upp.",
        lambda w: f"{w.name} is still connecting.",
    ),
    "transport.state": (
        lambda w: f"{w.possessive} förbindelse är bruten.",
        lambda w: f"{w.possessive} connection is lost.",
    ),
    "server.restart": (
        lambda w: f"Servern startades om; {w.possessive} förbindelse bröts.",
        lambda w: f"The server restarted; {w.possessive} connection was interrupted.",
    ),
    "video.fps": (
        lambda w: f"{w.possessive} bild har låg bildfrekvens: {w.value} ({w.limit}).",
        lambda w: f"{w.possessive} picture has a low frame rate: {w.value} ({w.limit}).",
    ),
    "video.height": (
        lambda w: f"{w.possessive} bild har låg upplösning: {w.value} ({w.limit}).",
        lambda w: f"{w.possessive} picture has a low resolution: {w.value} ({w.limit}).",
    ),
    "audio.loss": (
        lambda w: f"Ljudet från {w.name} tappar {w.value} av paketen ({w.limit}).",
        lambda w: f"The sound from {w.name} loses {w.value} of its packets ({w.limit}).",
    ),
    "video.loss": (
        lambda w: f"Bilden från {w.name} tappar {w.value} av paketen ({w.limit}).",
        lambda w: f"The picture from {w.name} loses {w.value} of its packets ({w.limit}).",
    ),
    "link.delay": (
        lambda w: f"Lång fördröjning till {w.name}: {w.value} ({w.limit}).",
        lambda w: f"Long delay to {w.name}: {w.value} ({w.limit}).",
    ),
    "downlink.video.freeze": (
        lambda w: f"Bilden från {w.source} har stått still hos {w.name} i {w.value}.",
        lambda w: f"The picture from {w.source} has been frozen at {w.possessive} end "
        f"for {w.value}.",
    ),
    "downlink.audio.freeze": (
        lambda w: f"Ljudet från {w.source} har avbrutits hos {w.name} i {w.value}.",
        lambda w: f"The sound from {w.source} has been cut at {w.possessive} end for {w.value}.",
    ),
    "downlink.video.fps": (
        lambda w: f"{w.name} får bilden från {w.source} med låg bildfrekvens: {w.value} "
        f"({w.limit}).",
        lambda w: f"{w.name} receives the picture from {w.source} at a low frame rate: "
        f"{w.value} ({w.limit}).",
    ),
    "downlink.audio.concealed": (
        lambda w: f"Ljudet från {w.source} hackar hos {w.name}: {w.value} fick fyllas i "
        f"({w.limit}).",
        lambda w: f"The sound from {w.source} breaks up at {w.possessive} end: {w.value} "
        f"had to be concealed ({w.limit}).",
    ),
    "downlink.video.delay": (
        lambda w: f"{w.name} får bilden från {w.source} med lång fördröjning: {w.value} "
        f"({w.limit}).",
        lambda w: f"{w.name} receives the picture from {w.source} with a long delay: "
        f"{w.value} ({w.limit}).",
    ),
    "downlink.audio.delay": (
        lambda w: f"{w.name} får ljudet från {w.source} med lång fördröjning: {w.value} "
        f"({w.limit}).",
        lambda w: f"{w.name} receives the sound from {w.source} with a long delay: "
        f"{w.value} ({w.limit}).",
    ),
}

_FALLBACK: tuple[Template, Template] = (
    lambda w: f"Förbindelsen med {w.name} fungerar inte.",
    lambda w: f"The link with {w.name} is not working.",
)

# How a value of each code is written: (unit, lower is worse)
_UNITS: dict[str, tuple[str, bool]] = {
    "video.freeze": ("s", False),
    "audio.silence": ("s", False),
    "downlink.video.freeze": ("s", False),
    "downlink.audio.freeze": ("s", False),
    "video.fps": ("fps", True),
    "downlink.video.fps": ("fps", True),
    "video.height": ("px", True),
    "audio.loss": ("%", False),
    "video.loss": ("%", False),
    "downlink.audio.concealed": ("%", False),
    "link.delay": ("ms", False),
    "downlink.video.delay": ("ms", False),
    "downlink.audio.delay": ("ms", False),
}

# What the meeting waits for, by the kind of finding: (Swedish, English)
_WAITS_FOR: dict[str, tuple[str, str]] = {
    "video": ("bilden", "the picture"),
    "audio": ("ljudet", "the sound"),
}


def number(value: float, digits: int, lang: str = "sv") -> str:
    """`value` with at most `digits` decimals, a decimal comma in Swedish: 1.25 -> "1,3"."""
    if not math.isfinite(value):
        return "–"
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace(".", ",") if lang == "sv" else text


def quantity(value: Param, unit: str, lang: str = "sv") -> str:
    """A measured value in its unit, as people read it: "1,1 s", "11,8 %", "160 ms"."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "–"
    v = float(value)
    match unit:
        case "s":
            return f"{number(v, 1, lang)} s"
        case "%":
            return f"{number(v * 100, 1, lang)} %"
        case "ms":
            return f"{number(v * 1000, 0, lang)} ms"
        case "fps":
            return f"{number(v, 1, lang)} " + ("bilder/s" if lang == "sv" else "frames/s")
        case "px":
            return f"{number(v, 0, lang)} " + ("linjer" if lang == "sv" else "lines")
    return number(v, 2, lang)


def possessive(name: str, lang: str = "sv") -> str:
    """Swedish genitive ("Karin Linds", "Jonas") or English possessive ("Karin Lind's")."""
    if lang == "sv":
        return name if name[-1:].lower() in ("s", "x", "z") else name + "s"
    return name + ("'" if name.endswith("s") else "'s")


def _limit(code: str, params: Params, lang: str) -> str:
    unit, lower_worse = _UNITS.get(code, ("", False))
    threshold = quantity(params.get("threshold"), unit, lang)
    critical = params.get("level") != "degraded"
    if lang == "sv":
        if lower_worse:
            return f"minst {threshold} krävs" if critical else f"bör vara minst {threshold}"
        return f"högst {threshold} tillåts" if critical else f"bör vara högst {threshold}"
    if lower_worse:
        return f"at least {threshold} required" if critical else f"should be at least {threshold}"
    return f"at most {threshold} allowed" if critical else f"should be at most {threshold}"


def _words(code: str, params: Params, name: str, names: Mapping[str, str], lang: str) -> _Words:
    source_id = params.get("from")
    unknown = UNKNOWN_PERSON[0 if lang == "sv" else 1]
    source = names.get(source_id, unknown) if isinstance(source_id, str) else unknown
    unit = _UNITS.get(code, ("", False))[0]
    return _Words(
        name=name,
        possessive=possessive(name, lang),
        source=source,
        value=quantity(params.get("value"), unit, lang),
        limit=_limit(code, params, lang),
    )


def describe(
    code: str, params: Params, name: str, names: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """A finding about `name` as (Swedish, English) sentences. `names` gives the name of
    the other participant a downlink finding is about (its `from` param)."""
    sv, en = _TEMPLATES.get(_template_code(code, params), _FALLBACK)
    known = names or {}
    return sv(_words(code, params, name, known, "sv")), en(_words(code, params, name, known, "en"))


def suspension(
    code: str, params: Params, name: str, names: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """Why the meeting is suspended, and until when, as (Swedish, English)."""
    sv, en = describe(code, params, name, names)
    kind = code.split(".")[0]
    what_sv, what_en = _WAITS_FOR.get(kind, ("förbindelsen", "the connection"))
    return (
        f"{sv} Sammanträdet är avbrutet tills {what_sv} är tillbaka.",
        f"{en} The meeting is suspended until {what_en} is back.",
    )


def worded(
    code: str,
    params: Params,
    person_id: str | None,
    name: str,
    names: Mapping[str, str] | None = None,
    *,
    suspended: bool = False,
) -> dict[str, object]:
    """The message shape pages display: `{code, params, person_id, name, sv, en}`."""
    sv, en = (suspension if suspended else describe)(code, params, name, names)
    return {"code": code, "params": dict(params), "person_id": person_id, "name": name,
            "sv": sv, "en": en}


def _template_code(code: str, params: Params) -> str:
    if code == "transport.state" and params.get("value") in ("new", "connecting"):
        return "transport.connecting"
    return code
