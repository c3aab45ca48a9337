"""The media layer on real ffmpeg: every path (copy, audio fix, encode, join), every bad input,
and the pictures. Clips are a few seconds of lavfi test pattern."""

import subprocess

import pytest

from tests.workers import clips
from workers.media import ffmpeg as gate
from workers.media import pictures
from workers.media.probe import AUDIO, COPY, ENCODE, MediaRejected, describe, plan_for
from workers.media.transcode import join, make_playable


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """``clip(kind)``: the path of a generated clip, made once per module."""
    folder = tmp_path_factory.mktemp("clips")
    made = {}

    def get(kind):
        if kind not in made:
            made[kind] = clips.make(kind, folder)
        return made[kind]

    return get


def video_md5(path):
    """MD5 of the decoded frames: equal after a stream copy, different after any lossy encode."""
    return subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "md5", "-"],
                          capture_output=True, text=True, check=True).stdout.strip()


def is_faststart(path):
    head = path.read_bytes()[:1 << 20]
    return b"moov" in head and head.index(b"moov") < head.index(b"mdat")


def playable(src, tmp_path, expect_path):
    info = describe(src)
    path, reasons = plan_for([info])
    assert path == expect_path, reasons
    out = tmp_path / "video.mp4"
    seen = []
    make_playable(src, out, info, path, workdir=tmp_path, timeout=120, progress=seen.append)
    result = describe(out)
    assert result.container.startswith("mov,mp4")
    assert result.video_codec == "h264" and result.pix_fmt == "yuv420p"
    assert result.audio_codec in ("aac", None)
    assert not result.interlaced and result.rotation == 0
    assert abs(result.duration - info.duration) < 0.5
    assert is_faststart(out)
    assert plan_for([result])[0] == COPY  # what we publish is itself browser-ready
    return info, result, out


def test_h264_aac_is_copied_without_reencoding(clip, tmp_path):
    info, result, out = playable(clip("h264_aac"), tmp_path, COPY)
    assert video_md5(out) == video_md5(clip("h264_aac"))
    assert (info.width, info.height, info.frame_rate) == (320, 240, 25.0)


def test_film_without_sound_is_copied(clip, tmp_path):
    _info, result, _out = playable(clip("no_audio"), tmp_path, COPY)
    assert result.audio_codec is None


@pytest.mark.parametrize("kind", ["h264_ac3", "h264_pcm"])
def test_unplayable_audio_is_encoded_and_video_copied(clip, tmp_path, kind):
    info, result, out = playable(clip(kind), tmp_path, AUDIO)
    assert info.audio_codec in ("ac3", "pcm_s16le") and result.audio_codec == "aac"
    assert result.audio_channels == 2
    assert video_md5(out) == video_md5(clip(kind))


@pytest.mark.parametrize("kind,reason", [
    ("hevc", "codec hevc"), ("ten_bit", "pixel format yuv420p10le"), ("interlaced_ac3", "interlaced"),
    ("rotated", "rotation 90"), ("vfr", "variable frame rate"),
])
def test_everything_else_gets_one_720p_encode(clip, tmp_path, kind, reason):
    info, result, _out = playable(clip(kind), tmp_path, ENCODE)
    assert reason in plan_for([info])[1]
    assert result.height <= 720 and result.width <= 1280
    assert not result.variable_frame_rate
    if kind == "rotated":  # the rotation is applied to the pixels
        assert (result.width, result.height) == (240, 320)
    if kind == "interlaced_ac3":
        assert info.audio_codec == "ac3" and result.audio_codec == "aac"


@pytest.mark.parametrize("kind,container", [("mpeg_ps", "mpeg"), ("vob", "mpeg"), ("mpeg_es", "mpegvideo")])
def test_mpeg_program_and_elementary_streams_are_encoded(clip, tmp_path, kind, container):
    info, result, _out = playable(clip(kind), tmp_path, ENCODE)
    assert info.container == container and info.video_codec == "mpeg2video"
    # An elementary stream has no container to tell its length: it is measured, not guessed
    assert abs(info.duration - 3) < 0.2 and abs(result.duration - 3) < 0.3


def test_mkv_named_mp4_is_read_as_what_it_is(clip, tmp_path):
    info, _result, _out = playable(clip("mkv_as_mp4"), tmp_path, COPY)
    assert info.container.startswith("matroska")


def test_metadata_is_stripped(clip, tmp_path):
    _info, _result, out = playable(clip("with_gps"), tmp_path, COPY)
    tags = gate.ffprobe(out)["format"].get("tags", {})
    assert "location" not in tags and "comment" not in tags


def test_parts_are_joined_in_order(clip, tmp_path):
    sources = [clip("h264_aac"), clip("h264_aac_b")]
    infos = [describe(s) for s in sources]
    path, _ = plan_for(infos)
    assert path == COPY
    parts = []
    for index, (src, info) in enumerate(zip(sources, infos, strict=True)):
        parts.append(tmp_path / f"part-{index}.mp4")
        make_playable(src, parts[-1], info, path, workdir=tmp_path, timeout=60)
    join(parts, tmp_path / "video.mp4", workdir=tmp_path, timeout=60)
    joined = describe(tmp_path / "video.mp4")
    assert abs(joined.duration - sum(i.duration for i in infos)) < 0.3


def test_join_refuses_files_outside_its_folder(clip, tmp_path):
    with pytest.raises(ValueError, match="worker wrote"):
        join([clip("h264_aac"), clip("h264_aac_b")], tmp_path / "x.mp4", workdir=tmp_path, timeout=10)


def test_parts_that_differ_are_encoded_alike(clip):
    path, reasons = plan_for([describe(clip("h264_aac")), describe(clip("interlaced_ac3"))])
    assert path == ENCODE and "parts differ in frame size or codec" in reasons


@pytest.mark.parametrize("kind,code", [
    ("empty", "empty_file"), ("no_index", "truncated"), ("playlist", "not_a_video"),
    ("ffconcat", "not_a_video"), ("audio_only", "no_video"), ("huge_frame", "too_large_frame"),
    ("docx", "not_a_video"), ("header_only", "undecodable"), ("scrambled", "undecodable"),
])
def test_bad_input_is_rejected_with_a_reason(clip, kind, code):
    with pytest.raises(MediaRejected) as caught:
        describe(clip(kind))
    assert caught.value.code == code


def test_too_long_film_is_rejected(clip):
    with pytest.raises(MediaRejected) as caught:
        describe(clip("h264_aac"), max_duration=2)
    assert caught.value.code == "too_long"


def test_output_size_cap_stops_ffmpeg(clip, tmp_path):
    info = describe(clip("hevc"))
    make_playable(clip("hevc"), tmp_path / "full.mp4", info, ENCODE, workdir=tmp_path, timeout=60)
    full = (tmp_path / "full.mp4").stat().st_size
    make_playable(clip("hevc"), tmp_path / "capped.mp4", info, ENCODE, workdir=tmp_path, timeout=60,
                  max_bytes=full // 4)
    assert (tmp_path / "capped.mp4").stat().st_size < full // 2


def test_timeout_kills_ffmpeg(clip, tmp_path):
    info = describe(clip("hevc"))
    with pytest.raises(gate.FFmpegFailed) as caught:
        make_playable(clip("hevc"), tmp_path / "v.mp4", info, ENCODE, workdir=tmp_path, timeout=0.01)
    assert caught.value.timed_out


def test_poster_thumbnail_and_storyboard(clip, tmp_path):
    _info, result, out = playable(clip("h264_aac"), tmp_path, COPY)
    poster, thumb = pictures.poster_and_thumbnail(out, result.duration, tmp_path)
    assert describe_image(poster) == (1280, 960) and describe_image(thumb) == (320, 240)
    sheets, vtt = pictures.storyboard(out, result.duration, tmp_path, timeout=60)
    assert [s.rsplit("/", 1)[1] for s in sheets] == ["storyboard-000.jpg"]
    cues = vtt_cues(vtt)
    assert len(cues) == 3  # a 3-second clip: a tile a second
    assert cues[0] == ("00:00:00.000 --> 00:00:01.000", "storyboard-000.jpg#xywh=0,0,160,90")
    assert cues[2][1] == "storyboard-000.jpg#xywh=320,0,160,90"


def test_storyboard_vtt_spans_sheets():
    text = pictures.storyboard_vtt(9000, 10, ["a.jpg", "b.jpg", "c.jpg"])
    cues = vtt_cues_text(text)
    assert len(cues) == 300  # 3 sheets of 100 tiles cap what is listed
    assert cues[100] == ("00:16:40.000 --> 00:16:50.000", "b.jpg#xywh=0,0,160,90")
    assert cues[-1][1] == "c.jpg#xywh=1440,810,160,90"
    assert pictures.storyboard_interval(9000) == 10 and pictures.storyboard_interval(30) == 1


def describe_image(path):
    size = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of",
                           "csv=p=0", str(path)], capture_output=True, text=True, check=True).stdout
    return tuple(int(v) for v in size.strip().split(","))


def vtt_cues(path):
    with open(path, encoding="utf-8") as fh:
        return vtt_cues_text(fh.read())


def vtt_cues_text(text):
    blocks = [b.splitlines() for b in text.strip().split("\n\n")[1:]]
    return [(b[0], b[1]) for b in blocks]


def test_ffmpeg_runs_without_network_where_the_os_allows(tmp_path):
    import socket
    import sys

    if "unshare" not in " ".join(gate.sandbox_prefix()):
        pytest.skip("this OS does not let the worker drop the network")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        probe = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2)"
        with pytest.raises(gate.FFmpegFailed):
            gate._run([sys.executable, "-c", probe], timeout=10, cwd=tmp_path)
        gate._run([sys.executable, "-c", "print('ok')"], timeout=10, cwd=tmp_path)  # the gate itself works
