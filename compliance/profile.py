"""The rule profile: every threshold and legal rule in one place, each beside its source.

A municipality or a lawyer changes numbers here (or builds a Profile with `dataclasses.replace`);
nothing else in the code base holds a threshold. docs/profile.md is the readable table.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Literal

SecretBallotRule = Literal["table", "count-outside"]


@dataclass(frozen=True)
class Band:
    """Degraded and critical thresholds on one metric.

    The direction follows from their order: critical above degraded means higher is worse
    (loss, delay); critical below degraded means lower is worse (frame rate, height).
    Both thresholds are strict: a value exactly at a threshold is still on the good side.
    """

    degraded: float
    critical: float
    ideal: float  # display score only: the value that scores 100

    def grade(self, value: float) -> int:
        """0 = ok, 1 = degraded, 2 = critical."""
        if self._worse(value, self.critical):
            return 2
        return 1 if self._worse(value, self.degraded) else 0

    def score(self, value: float) -> float:
        """0-100 for display: 100 at ideal, 60 at degraded, 20 at critical, 0 one band beyond."""
        sign = 1.0 if self.critical > self.degraded else -1.0
        points = (
            (self.ideal, 100.0),
            (self.degraded, 60.0),
            (self.critical, 20.0),
            (2 * self.critical - self.degraded, 0.0),
        )
        v = sign * value
        if v <= sign * self.ideal:
            return 100.0
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            if v <= sign * x1:
                return y0 + (y1 - y0) * (v - sign * x0) / (sign * x1 - sign * x0)
        return 0.0

    def _worse(self, value: float, threshold: float) -> bool:
        return value > threshold if self.critical > self.degraded else value < threshold


@dataclass(frozen=True)
class QualityRules:
    """Media-quality rules for "see and hear each other on equal terms" (docs/MEDIA.md)."""

    # Timing
    tick_s: float = 0.25  # MEDIA.md: evaluate on a short tick (250 ms)
    grace_s: float = 2.0  # MEDIA.md: ignore the first 2 s after a track start, unmute, ICE restart
    # A tick more than 0.25 s late means the server itself stalled (an overloaded machine)
    # from when it was due until it came: it took in no packet then, so that part of a gap
    # it measures is not held against the member (issue 8: "overload must never suspend");
    # a fault that goes on through a stall is found that much later, one that starts after
    # it on time. 0.25 s = one tick: an asyncio loop on a busy 2-core machine is routinely a
    # few tens of ms late (measured).
    server_stall_s: float = 0.25
    # A new participant's first connection (ICE + DTLS) is not judged for up to 10 s, and the
    # grace then starts over when it connects: measured here, a loaded 2-core machine took
    # 2-4 s to connect a fresh peer; browsers keep trying far longer (ICE, RFC 8445).
    connect_grace_s: float = 10.0
    hysteresis_s: float = 5.0  # MEDIA.md: leave a fault only after >= 5 s better than degraded

    # Hard faults: the member is not present; suspend at the first tick the rule holds
    audio_silence_s: float = 1.0  # Opus/RFC 7587: 50 packets/s, with DTX at least every 400 ms
    freeze_gap_factor: float = 3.0  # W3C webrtc-stats freeze: gap >= max(3*avg, avg + 150 ms)
    freeze_gap_margin_s: float = 0.150  # W3C webrtc-stats freeze (as above)
    freeze_average_frames: int = 30  # W3C webrtc-stats: avg over the last 30 frames (media layer)
    freeze_sustained_s: float = 1.0  # MEDIA.md: a freeze is a fault when sustained >= 1.0 s

    # A receiver is not blamed for a sender's trouble, which is judged at its source: of the
    # freezes a member's browser reports about a stream, as many seconds as the server saw
    # that stream in trouble around them (plus this gap) are the sender's; and the stream's
    # frame rate, concealment and delay there are not graded while its sender is in trouble
    # or judged degraded or failed on that kind. A gap is trouble from 0.3 s: a browser counts
    # a freeze from max(3 x frame interval, interval + 150 ms) (W3C webrtc-stats), 190-250 ms
    # at 10-25 fps, so every freeze a sender causes began as a gap > 0.3 s at the server.
    uplink_trouble_gap_s: float = 0.3
    # The sender's trouble is looked for this far before a report: a browser counts a freeze
    # when the picture moves again (webrtc-stats) and reports once a second (web/meeting.js),
    # so a report lands up to ~1 s + transport after the trouble ends; 2.5 s covers that.
    uplink_trouble_hold_s: float = 2.5

    # Degradation: each tick evaluates the last `window_s`; a level holds when at least
    # `votes_needed` of the last `votes_of` evaluations reached it (MEDIA.md: 3 of 4 in 2 s)
    window_s: float = 2.0  # MEDIA.md
    votes_needed: int = 3  # MEDIA.md
    votes_of: int = 4  # MEDIA.md
    # A critical level fails the link only once it has held for 10 s; until then it is a
    # warning. A hard fault (above) still fails it at once. Sources: ITU-T G.826 (and G.821)
    # count a path unavailable only from 10 consecutive severely errored seconds, shorter
    # bursts are errors, not an outage; Microsoft's call-quality classifier judges a stream's
    # concealment ratio (> 0.07: poor) only over >= 500 packets, 10 s of Opus. Measured here:
    # a CPU hiccup on a busy machine concealed 11.8 % of the sound for 2 s, and Chromium's
    # encoder sent 6-9 fps for the first seconds after a camera came back.
    critical_sustained_s: float = 10.0
    fps: Band = Band(20, 12, ideal=30)  # EN 301 549 6.5: 12 fps shall, 20 fps should
    height: Band = Band(240, 144, ideal=720)  # EN 301 549: QCIF (144) shall, QVGA/CIF (240) should
    audio_loss: Band = Band(0.025, 0.075, ideal=0)  # LiveKit connectionquality loss weights
    video_loss: Band = Band(0.02, 0.06, ideal=0)  # LiveKit connectionquality loss weights
    one_way_delay_s: Band = Band(0.150, 0.400, ideal=0)  # ITU-T G.114
    terminal_delay_s: float = 0.040  # MEDIA.md: ~40 ms capture/encode/render in RTT/2 + 2*jitter

    # Face presence: slow path, "member not visible" to the chair, never an automatic suspend
    face_sample_hz: float = 2.0  # MEDIA.md: detect at ~2 Hz (the analyser's rate)
    face_min_confidence: float = 0.6  # MEDIA.md: a face counts at confidence >= 0.6 ...
    face_min_width_px: int = 40  # ... and width >= 40 px at native resolution (identification)
    face_window_s: float = 5.0  # MEDIA.md: raise after >= 5 s ...
    face_negative_share: float = 0.8  # ... with >= 80 % of samples negative (members read papers)

    # Liveness: a face that does not move at all is "possibly a still image" to the chair (a
    # warning, never a suspension). SKR's guidance: a still image is not presence.
    still_window_s: float = 30.0  # judged over 30 s: people sitting still still move that long
    # Still when the face moved less than this share of its width over the whole window. A
    # photo with camera noise moves < 0.2 %; people sitting still (head sway SD 0.25-1 deg,
    # quiet sitting) move 2-20 % (docs/benchmarks.md, section Liveness; bench/liveness.py).
    still_max_movement: float = 0.006


@dataclass(frozen=True)
class LegalRules:
    """Rules of procedure from the Local Government Act and the municipality's guidance.

    Section numbers marked (unverified) were not checked against the statute text; they stay
    out of user-facing strings until they are (docs/DOMAIN.md).
    """

    name: str = "KL 2017:725 (lydelse 2026)"
    # KL 6:27 "mer än hälften"; the seed says "minst hälften" -> False
    quorum_more_than_half: bool = True
    remote_request_deadline_days: int = 4  # seed: "senast fyra dagar före"
    equal_terms_required: bool = True  # KL 5:16, 6:24: see and hear each other on equal terms
    chair_must_be_in_room: bool = True  # seed
    # A secret ballot (sluten omröstning) when anyone deciding takes part remotely:
    # "table" = refused, the item is tabled (seed: the platform cannot keep the ballot secret);
    # "count-outside" = held, with the ballots cast and counted outside Kvorum and only the
    # totals recorded here (Kvorum never sees a ballot, so it never claims to keep one secret).
    secret_ballot_with_remote: SecretBallotRule = "table"
    # Time after the chair puts the question in which a deciding person may ask for a vote
    # (votering). Seed: "ge ledamöterna tid för att kunna begära votering, då detta bedöms ta
    # längre tid än vanligt" (remotely); the seconds are Kvorum's defaults.
    vote_request_window_s: float = 10.0  # everyone deciding is in the room
    vote_request_window_remote_s: float = 30.0  # anyone deciding takes part remotely
    # A reservation is declared before the meeting ends (seed; KL 4:27, unverified); its written
    # reason may follow until the minutes are approved (justering). Kvorum does not know that
    # date, so the reason is accepted until this many hours after the meeting closed.
    reservation_reason_deadline_h: float = 48.0
    # Ties (KL 6:33-34, unverified numbers): the chair's casting vote in decisions
    # (utslagsröst), lots in elections (lottning).
    chair_casting_vote: bool = True


@dataclass(frozen=True)
class Profile:
    """One versioned rule set: the law it follows and the media quality it demands."""

    legal: LegalRules = field(default_factory=LegalRules)
    quality: QualityRules = field(default_factory=QualityRules)
    id: str = "today"  # the registry's name for it, recorded in the meeting's log


def default_profile() -> Profile:
    """Today's law: KL 2017:725 with equal terms (KL 5:16, 6:24)."""
    return Profile(legal=LegalRules(), quality=QualityRules(), id="today")


def reform_profile() -> Profile:
    """Prop. 2025/26:164, proposed from 2026-07-01 (unverified whether passed).

    "See and hear each other on equal terms" gives way to the chair ensuring who takes part
    and that remote members can follow and take part. Media quality is still measured.
    A secret ballot with remote members is held only with the ballots counted outside
    Kvorum (Kvorum's reading of the bill, unverified).
    """
    legal = replace(
        LegalRules(),
        name="KL 2017:725 med prop. 2025/26:164 (från 2026-07-01, ej verifierad)",
        equal_terms_required=False,
        secret_ballot_with_remote="count-outside",
    )
    return Profile(legal=legal, quality=QualityRules(), id="reform")


def seed_half_profile() -> Profile:
    """Today's law with the municipality's guidance's quorum: "at least half" of the members.

    The statute (KL 6:27) says "more than half"; choose this only if the municipality's
    lawyers say the guidance governs.
    """
    legal = replace(
        LegalRules(),
        name="KL 2017:725, beslutförhet enligt riktlinjen (minst hälften)",
        quorum_more_than_half=False,
    )
    return Profile(legal=legal, quality=QualityRules(), id="seed-half")


DEFAULT_PROFILE_ID = "today"
PROFILES: dict[str, Profile] = {
    p.id: p for p in (default_profile(), reform_profile(), seed_half_profile())
}
PROFILE_TITLES: dict[str, tuple[str, str]] = {  # Swedish, English, for pages and the minutes
    "today": ("Gällande lag (KL 2017:725)", "Today's law (KL 2017:725)"),
    "reform": (
        "Reformen enligt prop. 2025/26:164 (ej verifierad)",
        "The reform of prop. 2025/26:164 (unverified)",
    ),
    "seed-half": (
        "Gällande lag, beslutförhet minst hälften (riktlinjen)",
        "Today's law, quorum at least half (the guidance)",
    ),
}


def profile_by_id(profile_id: str) -> Profile:
    """The registered profile, or KeyError."""
    return PROFILES[profile_id]
