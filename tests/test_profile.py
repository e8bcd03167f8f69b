"""The rule profile: today's law by default, the reform as a second profile, numbers as sourced."""

from __future__ import annotations

import dataclasses

import pytest

from compliance.profile import (
    PROFILES,
    Band,
    LegalRules,
    QualityRules,
    default_profile,
    reform_profile,
)


def test_default_profile_follows_todays_law() -> None:
    legal = default_profile().legal
    assert legal == LegalRules()
    assert legal.quorum_more_than_half  # KL 6:27, not the seed's "minst hälften"
    assert legal.equal_terms_required  # KL 5:16, 6:24
    assert legal.remote_request_deadline_days == 4
    assert legal.chair_must_be_in_room
    assert legal.secret_ballot_with_remote == "table"  # seed: such items are tabled
    assert legal.vote_request_window_remote_s > legal.vote_request_window_s


def test_reform_profile_drops_equal_terms_and_keeps_the_rest() -> None:
    today, reform = default_profile(), reform_profile()
    assert not reform.legal.equal_terms_required
    assert "2025/26:164" in reform.legal.name
    assert reform.legal.secret_ballot_with_remote == "count-outside"
    assert dataclasses.replace(
        reform.legal, name=today.legal.name, equal_terms_required=True,
        secret_ballot_with_remote="table",
    ) == today.legal
    assert reform.quality == today.quality


def test_the_registry_names_today_the_reform_and_the_guidances_half() -> None:
    assert set(PROFILES) == {"today", "reform", "seed-half"}
    assert all(pid == p.id for pid, p in PROFILES.items())
    assert PROFILES["today"] == default_profile()
    assert not PROFILES["seed-half"].legal.quorum_more_than_half
    assert PROFILES["seed-half"].legal.equal_terms_required


def test_profiles_cannot_be_changed_in_place() -> None:
    profile = default_profile()
    with pytest.raises(dataclasses.FrozenInstanceError):
        profile.legal.quorum_more_than_half = False  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        profile.quality.audio_silence_s = 5.0  # type: ignore[misc]


def test_quality_defaults_are_the_sourced_numbers() -> None:
    q = QualityRules()
    assert (q.tick_s, q.grace_s, q.hysteresis_s) == (0.25, 2.0, 5.0)
    assert q.audio_silence_s == 1.0
    assert (q.freeze_gap_factor, q.freeze_gap_margin_s, q.freeze_average_frames) == (3.0, 0.15, 30)
    assert q.freeze_sustained_s == 1.0
    assert (q.window_s, q.votes_needed, q.votes_of) == (2.0, 3, 4)
    assert (q.fps.degraded, q.fps.critical) == (20, 12)
    assert (q.height.degraded, q.height.critical) == (240, 144)
    assert (q.audio_loss.degraded, q.audio_loss.critical) == (0.025, 0.075)
    assert (q.video_loss.degraded, q.video_loss.critical) == (0.02, 0.06)
    assert (q.one_way_delay_s.degraded, q.one_way_delay_s.critical) == (0.150, 0.400)
    assert q.terminal_delay_s == 0.040
    assert (q.face_min_confidence, q.face_min_width_px) == (0.6, 40)
    assert (q.face_window_s, q.face_negative_share, q.face_sample_hz) == (5.0, 0.8, 2.0)


@pytest.mark.parametrize(
    "fps, grade", [(30, 0), (20, 0), (19.9, 1), (12, 1), (11.9, 2), (0, 2)]
)
def test_band_where_lower_is_worse_grades_strictly_below_each_threshold(
    fps: float, grade: int
) -> None:
    assert QualityRules().fps.grade(fps) == grade


@pytest.mark.parametrize(
    "loss, grade", [(0.0, 0), (0.02, 0), (0.021, 1), (0.06, 1), (0.061, 2), (0.5, 2)]
)
def test_band_where_higher_is_worse_grades_strictly_above_each_threshold(
    loss: float, grade: int
) -> None:
    assert QualityRules().video_loss.grade(loss) == grade


@pytest.mark.parametrize("band", [Band(20, 12, ideal=30), Band(0.150, 0.400, ideal=0)])
def test_display_score_runs_100_60_20_0_through_ideal_degraded_critical(band: Band) -> None:
    beyond = 2 * band.critical - band.degraded
    anchors = [band.ideal, band.degraded, band.critical, beyond]
    assert [band.score(v) for v in anchors] == pytest.approx([100, 60, 20, 0])
    steps = [band.ideal + (beyond - band.ideal) * i / 20 for i in range(21)]
    scores = [band.score(v) for v in steps]
    assert scores == sorted(scores, reverse=True)
