"""The audio activity track (issue 20): speech found where espeak-ng put it, quiet where it was not,
and the break proposed from a series of speech flags."""

import pytest

from tests.workers.speech_clips import make_session, pcm, utterance
from workers.activity import STEP, analyse, find_break, quiet_ranges


@pytest.fixture(scope="module")
def speech_film(tmp_path_factory):
    """~30 s: talk, 5 s quiet, talk, 10 s quiet, talk, 1 s pause, talk (over room noise)."""
    folder = tmp_path_factory.mktemp("speech")
    hello = pcm(utterance("Hej och välkommen till dagens träff.", folder / "a.wav"))
    child = pcm(utterance("Vi ska prata om hur barnet söker trygghet hos sina föräldrar.", folder / "b.wav"))
    path = folder / "speech.mp4"
    truth = make_session(path, [("talk", hello), ("quiet", 5), ("talk", child), ("quiet", 10),
                                ("talk", hello), ("quiet", 1), ("talk", child)])
    return path, truth


def test_speech_is_found_where_it_was_put_and_silence_is_not(speech_film):
    path, truth = speech_film
    track = analyse([str(path)])
    assert track["step"] == STEP and abs(track["duration"] - truth[-1][1]) < 1
    assert len(track["loudness"]) == len(track["speech"])
    flags = track["speech"]
    inside = [i for i in range(len(flags)) if any(s <= i * STEP and (i + 1) * STEP <= e for s, e in truth)]
    quiet = [i for i in range(len(flags)) if all((i + 1) * STEP <= s - 0.5 or i * STEP >= e + 0.5 for s, e in truth)]
    assert sum(flags[i] == "1" for i in inside) / len(inside) >= 0.95
    assert all(flags[i] == "0" for i in quiet)
    loud = sum(track["loudness"][i] for i in inside) / len(inside)
    hushed = sum(track["loudness"][i] for i in quiet) / len(quiet)
    assert loud > hushed + 20  # dB
    found = quiet_ranges(flags, 3)
    assert len(found) == 2
    for (start, end), (gap_start, gap_end) in zip(found, [(truth[0][1], truth[1][0]), (truth[1][1], truth[2][0])],
                                                  strict=True):
        assert gap_start - 0.5 <= start <= gap_start + 1 and gap_end - 1 <= end <= gap_end + 0.5


def test_two_files_are_read_as_one_timeline(speech_film):
    path, truth = speech_film
    track = analyse([str(path), str(path)])
    assert abs(track["duration"] - 2 * truth[-1][1]) < 1.5
    assert len(quiet_ranges(track["speech"], 3)) == 4


def flags(*parts):
    """A speech string from (seconds, '1' or '0') parts at 0.5 s a step."""
    return "".join(value * int(seconds / STEP) for seconds, value in parts)


def test_the_break_is_the_longest_quiet_stretch_in_the_middle():
    minute = 60
    talk = "1110" * 30  # a minute of lively talk, short pauses
    session = (talk * 10 + flags((90, "0")) + talk * 20 + "0" * 2 * 20 * minute  # the break: 20 min
               + talk * 40)
    start, end = find_break(session, 10 * minute, 40 * minute)
    assert start == 31 * minute + 29.5 and end == 51 * minute + 30  # from the last word on


def test_a_few_words_over_coffee_do_not_split_the_break():
    session = flags((1800, "1"), (600, "0"), (2, "1"), (600, "0"), (1800, "1"))
    assert find_break(session, 600, 2400) == (1800, 3002)


def test_no_break_when_quiet_is_too_short_too_long_or_at_the_ends():
    assert find_break(flags((1800, "1"), (300, "0"), (1800, "1")), 600, 2400) is None
    assert find_break(flags((600, "1"), (3000, "0"), (600, "1")), 600, 2400) is None
    assert find_break(flags((900, "0"), (3600, "1")), 600, 2400) is None  # the camera ran before the start
    assert find_break("", 600, 2400) is None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_job_streams_a_film_from_s3_and_stores_its_track_beside_it(app, factory, s3_server, speech_film):
    from portal.extensions import db
    from portal.models import Recording
    from portal.services.storage import get_storage
    from tests.films import ready_film
    from workers.activity import analyse_recording

    path, truth = speech_film
    app.config.update(s3_server.config(s3_server.new_bucket()))
    app.extensions.pop("portal_storage", None)
    ids = ready_film(app, factory, duration=31.0)
    with app.app_context():
        prefix = db.session.get(Recording, ids["recording"]).output_prefix
        get_storage().upload_from(str(path), f"{prefix}/video.mp4", "video/mp4")
        assert analyse_recording(ids["recording"]) == "done"
        summary = db.session.get(Recording, ids["recording"]).activity
        assert summary["key"] == f"{prefix}/activity.json" and get_storage().head(summary["key"])
        start, end = summary["proposed_break"]  # the 10 s stretch, with the test config's 8-20 s window
        assert truth[1][1] - 0.5 <= start <= truth[1][1] + 1 and truth[2][0] - 1 <= end <= truth[2][0] + 0.5
        assert abs(summary["speech_seconds"] - sum(e - s for s, e in truth)) < 3
        assert analyse_recording(ids["recording"] + 1000) == "skipped"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_film_without_sound_gets_no_lane_and_the_backfill_queues_films_without_one(app, factory, tmp_path):
    from portal.extensions import db
    from portal.models import Recording
    from portal.services.activity import track_json
    from portal.services.storage import get_storage
    from tests.films import ready_film
    from tests.workers import clips
    from workers.activity import analyse_recording, backfill
    from workers.queues import LIGHT, get_queue

    silent, waiting = ready_film(app, factory), ready_film(app, factory)
    with app.app_context():
        recording = db.session.get(Recording, silent["recording"])
        get_storage().upload_from(str(clips.make("no_audio", tmp_path)), f"{recording.output_prefix}/video.mp4",
                                  "video/mp4")
        assert analyse_recording(silent["recording"]) == "no_audio"
        recording = db.session.get(Recording, silent["recording"])
        assert recording.activity["error"] and track_json(recording) == {"status": "unavailable"}
        assert backfill() == 1  # only the film that has no track yet
        assert get_queue(LIGHT).job_ids == [f"activity-{waiting['recording']}"]
        assert backfill() == 0  # already queued


def test_loudness_of_digital_silence_and_unmeasurable_blocks_is_the_silent_floor():
    """astats prints -inf for digital silence (and inf or nan for a block it cannot measure, as a
    steady generated tone gave): each is the silent floor, never an error that fails the job."""
    from workers.activity import SILENT_DB, parse_loudness

    text = "\n".join(f"lavfi.astats.Overall.RMS_level={raw}" for raw in ("-20.4", "-inf", "inf", "nan", "x"))
    assert parse_loudness("frame:0\n" + text) == [-20, SILENT_DB, SILENT_DB, SILENT_DB, SILENT_DB]
