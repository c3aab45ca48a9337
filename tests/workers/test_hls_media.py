"""The HLS media layer (issue 19) on real ffmpeg: keyframes, chunk plans, chunk encodes whose
seams lose or repeat no picture, the copy path from a file or a pipe, the session's audio."""

import pytest

from workers.media import hls

# --- plan_chunks: pure -------------------------------------------------------------------------

def every(step, duration, first=0.0):
    times, at = [], first
    while at < duration:
        times.append(round(at, 6))
        at += step
    return times


def test_plan_chunks_first_short_then_two_minutes_on_keyframes():
    keys = every(1.0, 600.0)
    chunks = hls.plan_chunks(keys, 600.0)
    assert chunks[0] == (0.0, 10.0)
    assert chunks[1] == (10.0, 130.0)
    assert chunks[-1][1] is None
    for (_, end), (start, _) in zip(chunks, chunks[1:], strict=False):
        assert end == start and end in keys  # contiguous, on keyframes
    assert all(e - s == 120.0 for s, e in chunks[1:-1])


def test_plan_chunks_waits_for_the_next_keyframe_and_joins_a_short_tail():
    keys = [0.0, 7.5, 13.3, 90.0, 141.2, 150.0]
    assert hls.plan_chunks(keys, 160.0) == [(0.0, 13.3), (13.3, None)]  # 150 leaves a 10 s tail
    assert hls.plan_chunks(keys, 200.0) == [(0.0, 13.3), (13.3, 141.2), (141.2, None)]


def test_plan_chunks_short_film_or_no_keyframes_is_one_chunk():
    assert hls.plan_chunks(every(1.0, 15.0), 15.0) == [(0.0, None)]  # 10 s + a 5 s tail
    assert hls.plan_chunks([], 600.0) == [(0.0, None)]
    assert hls.plan_chunks([0.0], 600.0) == [(0.0, None)]
    assert hls.plan_chunks(every(2.0, 30.0), 30.0) == [(0.0, 10.0), (10.0, None)]


def test_plan_chunks_ignores_keyframes_outside_the_file_and_unsorted_input():
    keys = [300.0, -1.0, 10.0, 0.0, 250.0, 130.0, 900.0]
    assert hls.plan_chunks(keys, 400.0) == [(0.0, 10.0), (10.0, 130.0), (130.0, 250.0), (250.0, None)]


@pytest.mark.parametrize("seconds, count", [(120.0, 20), (121.0, 21), (12.0, 2), (10.0, 2), (6.0, 1), (3.0, 1)])
def test_segment_length_is_four_to_six_seconds(seconds, count):
    length = hls.segment_length(seconds)
    assert abs(length * count - seconds) < 1e-9
    assert length <= hls.SEGMENT_SECONDS and (seconds < 12 or length >= 4)
