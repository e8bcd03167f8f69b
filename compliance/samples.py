"""Measurements the media layer feeds the equal-terms monitor.

Plain frozen records: seconds as floats, `at` is monotonic time in seconds. Packet counters
are cumulative for the life of a track (they restart with a new track).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LinkState = Literal["new", "connecting", "connected", "disconnected", "failed", "closed"]


@dataclass(frozen=True)
class VideoSample:
    """A member's outgoing video as the server receives it."""

    at: float
    frames_per_second: float  # while frames flow; freeze-length gaps are left to the freeze rule
    current_gap_s: float  # time since the last frame arrived, at `at`
    mean_frame_interval_s: float | None  # over the last 30 frames; None before two frames
    height: int | None  # picture height from the latest keyframe header; None before one
    packets_expected: int
    packets_lost: int
    jitter_s: float
    live: bool  # False when the track ended or the camera is off


@dataclass(frozen=True)
class AudioSample:
    """A member's outgoing audio as the server receives it."""

    at: float
    seconds_since_last_packet: float
    packets_expected: int
    packets_lost: int
    jitter_s: float
    level_dbov: int | None  # audio level from the RTP header extension, 0 loud .. -127 silent
    live: bool  # False when the track ended


@dataclass(frozen=True)
class LinkSample:
    """The member's transport: connection state and the round trip of the server's streams."""

    at: float
    state: LinkState
    rtt_s: float | None  # from RTCP receiver reports on the server's outbound streams


@dataclass(frozen=True)
class FaceSample:
    """One face-detector result on a new picture of the member's video (~2 Hz)."""

    at: float
    present: bool
    confidence: float
    width_px: int  # at the native resolution of the video
    # Where the face is, to a fraction of a pixel (native px; the liveness rule reads how far
    # it moves). None when no face was found or the analysis cannot say.
    position: tuple[float, float] | None = None


@dataclass(frozen=True)
class DownlinkSample:
    """What the member's browser reports (getStats) about a stream it receives from another.

    This is the downlink half of "equal terms": whether the member can see and hear the others.
    """

    at: float
    from_participant: str
    kind: Literal["audio", "video"]
    frames_per_second: float | None  # video only
    freeze_count: int  # cumulative freezeCount (video; 0 for audio)
    total_freezes_duration_s: float  # cumulative totalFreezesDuration (video; 0 for audio)
    concealed_ratio: float | None  # audio: concealed / received samples since the last report
    jitter_buffer_delay_s: float | None  # mean jitter-buffer delay per emitted frame/sample
    rtt_s: float | None  # the browser's candidate-pair round-trip time to the server


Sample = VideoSample | AudioSample | LinkSample | FaceSample | DownlinkSample
