"""The whole local pipeline: several files become one film with pictures, in order."""

import pytest

from tests.workers import clips
from workers.media import pipeline
from workers.media.probe import COPY, ENCODE, MediaRejected, describe


def test_two_camera_files_become_one_film_with_pictures(tmp_path):
    sources = [clips.make("h264_aac", tmp_path / "in"), clips.make("h264_aac_b", tmp_path / "in")]
    work = tmp_path / "work"
    work.mkdir()
    seen = []
    result = pipeline.process(sources, work, progress=seen.append)
    assert result.path == COPY
    assert abs(describe(result.video).duration - 6.0) < 0.3
    assert result.poster.endswith("poster.jpg") and result.thumbnail.endswith("thumb.jpg")
    assert len(result.sheets) == 1 and open(result.vtt).read().startswith("WEBVTT")
    assert seen[-1] == 1.0 and seen == sorted(seen)
    summary = result.summary()
    assert summary["path"] == "copy" and len(summary["sources"]) == 2


def test_interlaced_avchd_is_encoded(tmp_path):
    source = clips.make("interlaced_ac3", tmp_path / "in")
    result = pipeline.process([source], tmp_path)
    assert result.path == ENCODE and "interlaced" in result.reasons
    assert describe(result.video).audio_codec == "aac"


def test_a_bad_part_rejects_the_session(tmp_path):
    sources = [clips.make("h264_aac", tmp_path / "in"), clips.make("playlist", tmp_path / "in")]
    with pytest.raises(MediaRejected) as caught:
        pipeline.process(sources, tmp_path)
    assert caught.value.code == "not_a_video"


def test_total_length_is_capped(tmp_path):
    sources = [clips.make("h264_aac", tmp_path / "in"), clips.make("h264_aac_b", tmp_path / "in")]
    with pytest.raises(MediaRejected) as caught:
        pipeline.inspect(sources, pipeline.Limits(max_duration=5))
    assert caught.value.code == "too_long"


def test_job_timeout_grows_with_the_film():
    assert pipeline.job_timeout(9000, "encode") > pipeline.job_timeout(9000, "copy") > 180


def test_a_film_shorter_than_the_minimum_is_rejected_with_its_length(tmp_path):
    sources = [clips.make("h264_aac", tmp_path / "in")]
    with pytest.raises(MediaRejected) as caught:
        pipeline.inspect(sources, pipeline.Limits(min_duration=60))
    assert caught.value.code == "too_short" and abs(float(caught.value.detail) - 3) < 0.1
    assert pipeline.inspect(sources, pipeline.Limits(min_duration=2))[1] == "copy"
