"""One strict reader for every JSON message that enters the server, and one writer for what
leaves it.

Every WebSocket message and every HTTP API body is declared once here as a msgspec `Struct`
and read by `decode(raw, Schema)`, which returns the struct or raises `Invalid` with a stable
`code`, the `field` at fault and the reason in Swedish and English. Nothing is acted on, and
nothing written, before a message has passed. What the reader refuses (msgspec's JSON decoder
and the types below):

- `NaN`, `Infinity` (not JSON; Python's `json` accepts them) and numbers beyond float range;
- lone UTF-16 surrogates (`"\\ud800"`) and bytes that are not UTF-8;
- nesting beyond the interpreter's recursion limit (a clear error, not a `RecursionError`);
- a value of the wrong type: no string becomes a bool or a number (`"approved": "false"` is
  refused, not taken as true); missing required fields; strings over their maximum length;
  NUL and other control characters in names and ids.

Unknown fields are ignored (browsers send more getStats figures than the server reads).
`dumps` writes JSON for browsers and API clients; it never writes a non-finite number (it
writes `null`), so a page never receives JSON it cannot parse.

Declaring a WebSocket message: a `Message` subclass with its `type` as the tag,
`class Admit(Message, tag="admit")`, and a handler registered for it in `server/signalling.py`
(docs/protocol.md, "Declaring a message").
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, NamedTuple, TypeVar

import msgspec
from msgspec import Meta, Struct

S = TypeVar("S", bound=Struct)

# -- field types ------------------------------------------------------------------------------

NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"  # printable text on one line: no NUL, no control characters
MAX_SDP = 256 * 1024  # the WebSocket's message limit (an offer with 40 m-lines is ~60 KiB)

Id = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[^\x00-\x20\x7f]+$")]
Name = Annotated[str, Meta(max_length=200, pattern=NO_CONTROL)]
Token = Annotated[str, Meta(max_length=4096, pattern=r"^[A-Za-z0-9._~%+/=-]*$")]
Reason = Annotated[str, Meta(max_length=500, pattern=r"^[^\x00]*$")]
Sdp = Annotated[str, Meta(min_length=1, max_length=MAX_SDP, pattern=r"^[^\x00]*$")]
Figure = Annotated[float, Meta(ge=0, le=1e12)]  # a getStats counter or rate: finite, >= 0
RemoteModeField = Literal["deciding", "attending-only"]


# -- WebSocket messages (docs/protocol.md) ----------------------------------------------------


class Message(Struct, tag_field="type", frozen=True, kw_only=True):
    """A client-to-server WebSocket message; subclasses set `tag` to their `type`."""


class Envelope(Struct, frozen=True):
    """Any message's `type`: read first, so a message is checked before it is routed."""

    type: Annotated[str, Meta(min_length=1, max_length=64)]


class Join(Message, tag="join"):
    meeting: Annotated[str, Meta(max_length=64, pattern=r"^[^\x00-\x20\x7f]*$")] | None = None
    token: Token | None = None
    name: Name | None = None
    check: bool = False


class Answer(Message, tag="answer"):
    sdp: Sdp


class MediaState(Message, tag="media-state"):
    audio: bool | None = None
    video: bool | None = None


class InboundStat(Struct, frozen=True):
    """One received track in a browser's `stats` report (getStats `inbound-rtp`)."""

    participant: Id
    kind: Literal["audio", "video"]
    framesPerSecond: Figure | None = None
    freezeCount: Figure | None = None
    totalFreezesDuration: Figure | None = None
    concealedSamples: Figure | None = None
    totalSamplesReceived: Figure | None = None
    jitterBufferDelay: Figure | None = None
    jitterBufferEmittedCount: Figure | None = None
    roundTripTime: Figure | None = None


class Stats(Message, tag="stats"):
    inbound: Annotated[list[InboundStat], Meta(max_length=64)]


class Leave(Message, tag="leave"):
    pass


# Chair and secretary commands.


class Admit(Message, tag="admit"):
    person_id: Id
    mode: RemoteModeField = "deciding"


class MarkPresent(Message, tag="mark-present"):
    person_id: Id


class MarkLeft(Message, tag="mark-left"):
    person_id: Id
    reason: Annotated[str, Meta(max_length=200, pattern=r"^[^\x00]*$")] = ""


class DecideRemote(Message, tag="decide-remote"):
    person_id: Id
    approved: bool


class ServeSubstitute(Message, tag="serve-substitute"):
    substitute_id: Id
    member_id: Id


class ReleaseSubstitute(Message, tag="release-substitute"):
    substitute_id: Id


class TechnicalPause(Message, tag="technical-pause"):
    person_id: Id
    on: bool


class OpenMeeting(Message, tag="open-meeting"):
    pass


class ResumeMeeting(Message, tag="resume-meeting"):
    pass


class CloseMeeting(Message, tag="close-meeting"):
    pass


def message_type(schema: type[Message]) -> str:
    """The `type` a message schema is declared for."""
    tag = schema.__struct_config__.tag
    assert isinstance(tag, str), f"{schema.__name__} needs tag='<type>'"
    return tag


# -- HTTP API bodies (docs/api.md) --------------------------------------------------------------
# Types are checked here; formats and limits that the API reports all at once (a date's
# format, a missing name) are checked by the API's own `Fields` on the decoded body.

Text = Annotated[str, Meta(max_length=10_000, pattern=r"^[^\x00]*$")]
TextList = Annotated[list[Text], Meta(max_length=1000)]


class Body(Struct, frozen=True, kw_only=True):
    """An HTTP API request body (a JSON object)."""


class Empty(Body):
    pass


class CommitteeBody(Body):
    name: Text | None = None
    id: Text | None = None
    party_order: TextList | None = None


class PersonBody(Body):
    name: Text | None = None
    role: Text | None = None
    party: Text | None = None
    substitute_order: int | Text | None = None  # a number, or its digits as text (forms)
    email: Text | None = None
    id: Text | None = None


class MeetingBody(Body):
    date: Text | None = None
    time: Text | None = None
    place: Text | None = None
    agenda: TextList | None = None
    id: Text | None = None
    profile: Text | None = None  # the rule profile's id (compliance.profile.PROFILES)


class InvitationBody(Body):
    person_id: Text | None = None


class RevokeBody(Body):
    reason: Text | None = None


class RequestBody(Body):
    mode: Text | None = None
    reason: Text | None = None


class DecisionBody(Body):
    approved: bool | None = None
    reason: Text | None = None
    by: Text | None = None


# -- reading ------------------------------------------------------------------------------------


class Problem(NamedTuple):
    """One thing wrong with a message: the field ("" for the whole message) and why."""

    field: str
    message_sv: str
    message_en: str


class Invalid(ValueError):
    """A refused message: `code` is `bad-json` (not JSON at all) or `bad-message` (JSON,
    but not its schema); `problems` names every field at fault (`approved`,
    `inbound[0].kind`), all at once."""

    def __init__(self, code: str, problems: list[Problem]) -> None:
        self.code = code
        self.problems = tuple(problems)
        self.field = problems[0].field
        where = [(f"{p.field}: " if p.field else "", p) for p in problems]
        if code == "bad-json":
            self.message_sv, self.message_en = problems[0].message_sv, problems[0].message_en
        else:
            self.message_sv = "Felaktigt meddelande: " + "; ".join(
                f"{w}{p.message_sv}" for w, p in where) + "."
            self.message_en = "Invalid message: " + "; ".join(
                f"{w}{p.message_en}" for w, p in where) + "."
        super().__init__(self.message_en)


_ANY = msgspec.json.Decoder()
_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")

# msgspec's reasons, in Swedish (the English is msgspec's own text).
_REASONS_SV: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`$"),
     "ska vara {want}, inte {got}"),
    (re.compile(r"^Object missing required field `(?P<name>[^`]+)`$"), "fältet {name} saknas"),
    (re.compile(r"^Expected `str` of length <= (?P<n>\d+)$"), "för lång (högst {n} tecken)"),
    (re.compile(r"^Expected `str` of length >= (?P<n>\d+)$"), "för kort (minst {n} tecken)"),
    (re.compile(r"^Expected `array` of length <= (?P<n>\d+)$"), "för många (högst {n})"),
    (re.compile(r"^Expected `str` matching regex"), "otillåtna tecken"),
    (re.compile(r"^Expected `(float|int)` [<>]=? "), "talet är utanför tillåtna värden"),
    (re.compile(r"^Number out of range$"), "talet är för stort"),
    (re.compile(r"^Invalid value (?P<value>.*)$"), "otillåtet värde {value}"),
)


_TYPES_SV = {"str": "text", "int": "heltal", "float": "tal", "bool": "true eller false",
             "array": "lista", "object": "objekt", "null": "tomt (null)"}


def _problem(exc: msgspec.ValidationError, field: str) -> Problem:
    """A msgspec validation error as a Problem at `field` + the error's own path."""
    text = str(exc)
    match = _AT.search(text)
    reason = text[: match.start()] if match else text
    if match:
        field += match.group("path")  # "inbound" + "[0].kind"
    sv = next((template.format(**{k: _TYPES_SV.get(v, v) for k, v in m.groupdict().items()})
               for pattern, template in _REASONS_SV if (m := pattern.match(reason))),
              "fel typ eller värde")
    return Problem(field.removeprefix("."), sv, reason)


def _where(raw: str | bytes, error: str) -> tuple[int, int, str]:
    """Line, column and reason of a msgspec decode error ("... (byte 12)", or truncated)."""
    data = raw.encode("utf-8", "replace") if isinstance(raw, str) else raw
    match = re.search(r"^(?:JSON is malformed: )?(.*?)(?: \(byte (\d+)\))?$", error)
    assert match is not None
    offset = int(match.group(2)) if match.group(2) else len(data)
    before = data[:offset]
    line = before.count(b"\n") + 1
    column = len(before) - (before.rfind(b"\n") + 1) + 1
    return line, column, match.group(1)


def read_json(raw: str | bytes) -> Any:
    """Strict JSON: `Invalid("bad-json")` for what is not JSON, NaN and Infinity included,
    lone surrogates, bytes that are not UTF-8 and nesting too deep; a number beyond float
    range is `bad-message`."""
    try:
        if isinstance(raw, bytes):
            raw.decode("utf-8")  # msgspec would call bad UTF-8 an "invalid character"
        return _ANY.decode(raw)
    except msgspec.ValidationError as exc:
        raise Invalid("bad-message", [_problem(exc, "")]) from None
    except msgspec.DecodeError as exc:
        line, column, reason = _where(raw, str(exc))
        raise Invalid("bad-json", [Problem(
            "", f"Meddelandet är inte giltig JSON (rad {line}, kolumn {column}).",
            f"The message is not valid JSON (line {line}, column {column}: {reason}).")]) from None
    except UnicodeError:
        raise Invalid("bad-json", [Problem("", "Meddelandet är inte UTF-8.",
                                           "The message is not UTF-8.")]) from None
    except RecursionError:
        raise Invalid("bad-json", [Problem("", "Meddelandet är för djupt nästlat.",
                                           "The message is nested too deeply.")]) from None


def check(data: Any, schema: type[Struct]) -> tuple[dict[str, Any], list[Problem]]:
    """Every field of `schema` checked in `data` (a decoded JSON value): the fields that
    pass, by name, and a Problem for each that does not (missing, wrong type, too long)."""
    if not isinstance(data, dict):
        return {}, [Problem("", "meddelandet ska vara ett JSON-objekt {…}",
                            "the message must be a JSON object {…}")]
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for f in msgspec.structs.fields(schema):
        if f.encode_name not in data:
            if f.required:
                problems.append(Problem(f.name, "saknas", "is missing"))
            continue
        try:
            values[f.name] = msgspec.convert(data[f.encode_name], f.type)
        except msgspec.ValidationError as exc:
            problems.append(_problem(exc, f.name))
    return values, problems


def decode(raw: str | bytes, schema: type[S]) -> S:
    """`raw` read as `schema`, or `Invalid` saying what is wrong and where."""
    return validate(read_json(raw), schema)


def validate(data: Any, schema: type[S]) -> S:
    """`data` (decoded JSON) as `schema`, or `Invalid` naming every field at fault."""
    _, problems = check(data, schema)
    if problems:
        raise Invalid("bad-message", problems)
    try:
        return msgspec.convert(data, schema)
    except msgspec.ValidationError as exc:  # the tag: a schema read for another type
        raise Invalid("bad-message", [_problem(exc, "")]) from None


# -- writing ------------------------------------------------------------------------------------

_ENCODER = msgspec.json.Encoder()


def dumps(value: Any) -> str:
    """JSON text for a browser or API client: UTF-8 as it is, never NaN or Infinity (a
    non-finite number is written as null)."""
    return _ENCODER.encode(value).decode("utf-8")
