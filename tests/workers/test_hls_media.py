"""The HLS media layer (issue 19) on real ffmpeg: keyframes, chunk plans, chunk encodes whose
seams lose or repeat no picture, the copy path from a file or a pipe, the session's audio."""

import array
import json
import math
import os
import re
import struct
import subprocess
import time

import pytest

from tests.workers import clips
from tests.workers.test_media import video_md5
from workers.media import fmp4, hls
from workers.media.ffmpeg import FFmpegFailed
from workers.media.probe import ENCODE, describe, plan_for

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


def test_plan_chunks_keeps_the_first_chunk_already_started():
    keys = every(1.0, 300.0)
    assert hls.plan_chunks(keys, 300.0, first_end=11.0) == [(0.0, 11.0), (11.0, 131.0), (131.0, 251.0),
                                                            (251.0, None)]
    assert hls.plan_chunks(keys[:16], 15.0, first_end=10.0) == [(0.0, 10.0), (10.0, None)]


def test_plan_chunks_ignores_keyframes_outside_the_file_and_unsorted_input():
    keys = [300.0, -1.0, 10.0, 0.0, 250.0, 130.0, 900.0]
    assert hls.plan_chunks(keys, 400.0) == [(0.0, 10.0), (10.0, 130.0), (130.0, 250.0), (250.0, None)]


@pytest.mark.parametrize("seconds, count", [(120.0, 20), (121.0, 21), (12.0, 2), (10.0, 2), (6.0, 1), (3.0, 1)])
def test_segment_length_is_four_to_six_seconds(seconds, count):
    length = hls.segment_length(seconds)
    assert abs(length * count - seconds) < 1e-9
    assert length <= hls.SEGMENT_SECONDS and (seconds < 12 or length >= 4)


def box(kind, body):
    return struct.pack(">I4s", 8 + len(body), kind) + body


def test_fmp4_shift_moves_tfdt_and_sidx_by_the_offset(tmp_path):
    tfdt_v1 = box(b"tfdt", b"\x01\x00\x00\x00" + struct.pack(">Q", 51200))
    tfdt_v0 = box(b"tfdt", b"\x00\x00\x00\x00" + struct.pack(">I", 7))
    sidx = box(b"sidx", b"\x01\x00\x00\x00" + struct.pack(">IIQQ", 1, 1000, 4000, 0) + b"\x00" * 16)
    media = box(b"mdat", b"tfdt" + bytes(range(60)))  # looks like a box inside: never touched
    second = box(b"moof", box(b"traf", box(b"tfdt", b"\x01\x00\x00\x00" + struct.pack(">Q", 90000))))
    segment = tmp_path / "seg.m4s"
    segment.write_bytes(box(b"styp", b"msdh") + sidx + box(b"moof", box(b"traf", tfdt_v1) + box(b"traf", tfdt_v0))
                        + media + second + media)  # two fragments in one segment
    fmp4.shift(segment, 120.5, 12800)
    assert fmp4.decode_times(segment) == [51200 + 1542400, 7 + 1542400, 90000 + 1542400]
    data = segment.read_bytes()
    assert struct.unpack_from(">Q", data, data.index(b"sidx") + 16)[0] == 4000 + 120500
    assert data.count(media) == 2
    with pytest.raises(ValueError):
        fmp4.shift(segment, 400000.0, 12800)  # past what a version-0 tfdt holds
    assert segment.read_bytes() == data  # nothing half-shifted


def test_fmp4_shift_takes_the_reordering_delay_out_of_the_composition_offsets(tmp_path):
    # a run of three samples with duration, size and composition offset (flags 0x000b01: data offset too)
    samples = [(512, 100, 1024), (512, 90, 1536), (512, 80, 512)]
    trun = box(b"trun", b"\x00\x00\x0b\x01" + struct.pack(">Ii", 3, 0)
               + b"".join(struct.pack(">III", *sample) for sample in samples))
    segment = tmp_path / "seg.m4s"
    segment.write_bytes(box(b"moof", box(b"traf", box(b"tfdt", b"\x01\x00\x00\x00" + struct.pack(">Q", 0))
                                         + trun)) + box(b"mdat", b"\x00" * 270))
    assert fmp4.composition_offset(segment) == 1024  # two pictures at 25 fps, 12800 ticks a second
    fmp4.shift(segment, 10.0, 12800, composition=1024)
    data = segment.read_bytes()
    at = data.index(b"trun") + 4
    assert data[at] == 1  # version 1: signed offsets
    assert [struct.unpack_from(">i", data, at + 12 + 12 * n + 8)[0] for n in range(3)] == [0, 512, -512]
    assert fmp4.composition_offset(segment) == 0 and fmp4.decode_times(segment) == [128000]

    init = tmp_path / "init.mp4"
    elst = box(b"elst", b"\x00" * 28)
    init.write_bytes(box(b"moov", box(b"trak", box(b"tkhd", b"\x00" * 20) + box(b"edts", elst))))
    before = init.read_bytes()
    fmp4.drop_edit_lists(init)
    after = init.read_bytes()
    assert len(after) == len(before) and b"edts" not in after and b"free" in after


# --- on real ffmpeg ---------------------------------------------------------------------------

def ffmpeg_cmd(*args):
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """``clip(kind)``: a generated clip, made once per module. Besides tests.workers.clips:
    ``hevc_open_gop`` (10 s, MKV, open GOPs whose leading pictures belong to the chunk before) and
    ``interlaced_mpeg2`` (6 s, MPEG-TS) and ``faststart`` (``h264_aac`` of 13 s, index first)."""
    folder = tmp_path_factory.mktemp("hls-clips")
    made = {}

    def get(kind):
        if kind in made:
            return made[kind]
        if kind == "hevc_open_gop":
            path = folder / "phone.mkv"
            ffmpeg_cmd("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=10", "-f", "lavfi",
                       "-i", "sine=frequency=440:sample_rate=48000:duration=10", "-c:v", "libx265",
                       "-preset", "ultrafast", "-x265-params", "log-level=error:keyint=25:open-gop=1:bframes=4",
                       "-c:a", "aac", str(path))
        elif kind == "interlaced_mpeg2":  # an HDV or DVD camcorder's TS: MPEG-2, fields, GOP of 12
            path = folder / "hdv.m2t"
            ffmpeg_cmd("-f", "lavfi", "-i", "testsrc2=size=352x288:rate=25:duration=6", "-f", "lavfi",
                       "-i", "sine=frequency=440:sample_rate=48000:duration=6", "-c:v", "mpeg2video", "-g", "12",
                       "-flags", "+ilme+ildct", "-top", "1", "-q:v", "4", "-c:a", "mp2", "-f", "mpegts", str(path))
        elif kind == "long_h264":
            path = clips.make("h264_aac", folder / "long", seconds=13)
        elif kind == "faststart":
            path = folder / "faststart.mp4"
            ffmpeg_cmd("-i", str(get("long_h264")), "-c", "copy", "-movflags", "+faststart", str(path))
        else:
            path = clips.make(kind, folder / kind, seconds=4)
        made[kind] = path
        return path

    return get


def stream_facts(path, entries="stream=nb_read_packets"):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
                          "-show_entries", entries, "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["streams"][0]


def frames(path):
    return int(stream_facts(path)["nb_read_packets"])


def joined(init, segments, dst):
    """The init segment and the media segments end to end: what a player's buffer receives."""
    with open(dst, "wb") as out:
        out.write(open(init, "rb").read())
        for path, _seconds in segments:
            out.write(open(path, "rb").read())
    return dst


def decode_errors(path):
    return subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"],
                          capture_output=True, text=True, check=True).stderr.strip()


def ssim(encoded, source, size="320x240"):
    """Mean SSIM, picture by picture (both renumbered at 25 fps, scaled to ``size``)."""
    w, h = size.split("x")
    graph = (f"[0:v]setpts=N/25/TB,scale={w}:{h}[a];[1:v]setpts=N/25/TB,scale={w}:{h}[b];[a][b]ssim")
    err = subprocess.run(["ffmpeg", "-hide_banner", "-i", str(encoded), "-i", str(source), "-lavfi", graph,
                          "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    return float(re.search(r"All:([0-9.]+)", err).group(1))


def encode_all(src, tmp_path, offset=0.0, first=4.0, length=8.0, chunks=None):
    """Encode every chunk of ``src`` as separate jobs would; returns (info, chunks, results)."""
    info = describe(src)
    chunks = chunks or hls.plan_chunks(hls.keyframes(src, timeout=60), info.duration, first=first, length=length)
    results = [hls.encode_video_chunk(src, info, start, end, tmp_path / f"{src.stem}-c{n}", offset + start,
                                      timeout=120) for n, (start, end) in enumerate(chunks)]
    return info, chunks, results


def check_chunks(src, info, chunks, results, tmp_path, offset=0.0):
    inits = {open(init, "rb").read() for init, _segments in results}
    assert len(inits) == 1  # one EXT-X-MAP for the whole film
    assert b"edts" not in next(iter(inits))  # no edit list to take the delay out a second time
    assert b"options:" not in inits.pop()  # x264's settings SEI travels in the first picture, not the init
    init = results[0][0]
    scale = fmp4.timescale(init)
    for n, ((start, _end), (_init, segments)) in enumerate(zip(chunks, results, strict=True)):
        lead = info.video_start if start == 0 else 0.0
        assert fmp4.decode_times(segments[0][0])[0] == round((offset + start + lead) * scale)
        # shown at its decode time, where the sound is: not the encoder's reordering delay later
        assert fmp4.composition_offset(segments[0][0]) == 0
        lengths = [seconds for _path, seconds in segments]
        last = n == len(chunks) - 1
        assert all(hls.MIN_SEGMENT_SECONDS - 0.05 <= s <= hls.SEGMENT_SECONDS + 0.05 for s in lengths[:-1])
        assert lengths[-1] <= hls.SEGMENT_SECONDS + 0.05 and (last or start == 0 or lengths[-1] >= 3.9)
    every = [segment for _init, segments in results for segment in segments]
    # segment after segment, the decode times run on without a gap or an overlap (one picture of rounding)
    for (path, seconds), (following, _s) in zip(every, every[1:], strict=False):
        assert abs(fmp4.decode_times(following)[0] - fmp4.decode_times(path)[0] - seconds * scale) <= scale / 25
    film = joined(init, every, tmp_path / f"{src.stem}-film.mp4")
    assert frames(film) == frames(src)  # no picture lost or repeated at a seam
    assert decode_errors(film) == ""
    return film


def test_keyframes_from_the_packet_index_and_from_the_start_only(clip):
    src = clip("interlaced_mpeg2")  # MPEG-TS: its clock starts at 1.4 s, the pictures a little later
    info = describe(src)
    times = hls.keyframes(src, timeout=30)
    assert times[0] == pytest.approx(info.video_start, abs=1e-3) and info.video_start > 0
    assert [round(b - a, 3) for a, b in zip(times, times[1:], strict=False)] == [0.48] * (len(times) - 1)
    assert hls.first_keyframe_after(src, 2.5, timeout=30) == times[6]
    assert hls.first_keyframe_after(src, 0, timeout=30) == times[0]
    assert hls.first_keyframe_after(src, 60, timeout=30) is None


def test_chunks_of_an_open_gop_hevc_film_hold_every_picture_once(clip, tmp_path):
    src = clip("hevc_open_gop")
    # as the worker starts it: the first chunk's end from the file's beginning, the rest planned later
    first_end = hls.first_keyframe_after(src, 2.0, timeout=30)
    chunks = hls.plan_chunks(hls.keyframes(src, timeout=30), 10.0, length=4.0, first_end=first_end)
    info, chunks, results = encode_all(src, tmp_path, offset=30.0, chunks=chunks)
    assert len(chunks) == 3 and plan_for([info])[0] == ENCODE
    film = check_chunks(src, info, chunks, results, tmp_path, offset=30.0)
    assert ssim(film, src) >= 0.95
    facts = describe(film)
    assert (facts.video_codec, facts.pix_fmt, facts.audio_codec) == ("h264", "yuv420p", None)


def test_chunks_of_an_interlaced_camcorder_ts_are_deinterlaced_keeping_the_picture_count(clip, tmp_path):
    src = clip("interlaced_mpeg2")
    seam = hls.first_keyframe_after(src, 2.0, timeout=30)
    info, chunks, results = encode_all(src, tmp_path, chunks=[(0.0, seam), (seam, None)])
    assert info.interlaced
    film = check_chunks(src, info, chunks, results, tmp_path)
    assert not describe(film).interlaced
    assert ssim(film, src) >= 0.95


def test_a_two_file_session_is_one_timeline(clip, tmp_path):
    files = [clip("h264_aac"), clip("h264_aac_b")]
    infos = [describe(f) for f in files]
    offset, every, init = 0.0, [], None
    for src, info in zip(files, infos, strict=True):
        init, segments = hls.encode_video_chunk(src, info, 0.0, None, tmp_path / src.stem, offset, timeout=60)
        assert fmp4.decode_times(segments[0][0])[0] == round(offset * fmp4.timescale(init))
        every += segments
        offset += info.duration
    assert frames(joined(init, every, tmp_path / "film.mp4")) == sum(frames(f) for f in files)
    audio_init, audio = hls.audio_track(list(zip(files, infos, strict=True)), tmp_path / "audio", timeout=60)
    assert sum(s for _p, s in audio) == pytest.approx(offset, abs=0.05)
    assert fmp4.decode_times(audio[0][0])[0] == 0


def test_the_session_audio_fills_a_file_without_sound_with_silence(clip, tmp_path):
    files = [clip("h264_aac"), clip("no_audio"), clip("interlaced_mpeg2")]
    infos = [describe(f) for f in files]
    seen = []
    init, segments = hls.audio_track(list(zip(files, infos, strict=True)), tmp_path, timeout=60,
                                     on_segment=seen.append)
    assert [s.path for s in seen] == [p for p, _s in segments] and all(s.init == init for s in seen)
    assert all(s.track == "audio" and s.index == n for n, s in enumerate(seen))
    film = joined(init, segments, tmp_path / "audio.mp4")
    assert sum(s for _p, s in segments) == pytest.approx(sum(i.duration for i in infos), abs=0.05)

    pcm = subprocess.run(["ffmpeg", "-v", "error", "-i", str(film), "-ac", "1", "-ar", "1000", "-f", "s16le", "-"],
                         capture_output=True, check=True).stdout
    samples = array.array("h", pcm)

    def loudness(at):  # RMS of two seconds from ``at``, at 1000 samples a second
        window = samples[at * 1000:(at + 2) * 1000]
        return math.sqrt(sum(v * v for v in window) / len(window))

    assert loudness(1) > 1000 and loudness(5) < 10 and loudness(10) > 1000  # sound, silence, sound


class SlowPipe:
    """A download stream: hands the file over in small blocks, a little at a time."""

    def __init__(self, path):
        self.file, self.finished = open(path, "rb"), False

    def read(self, size):
        time.sleep(0.01)
        block = self.file.read(min(size, 32 * 1024))
        self.finished = not block
        return block


def test_copy_path_from_a_pipe_publishes_segments_while_ffmpeg_still_reads(clip, tmp_path):
    src = clip("faststart")
    info = describe(src)
    pipe, seen = SlowPipe(src), []
    result = hls.copy_to_segments(pipe, info, tmp_path, 100.0, ("video", "audio"), timeout=60,
                                  on_segment=lambda s: seen.append((s, pipe.finished)))
    assert [s.track for s, _f in seen].count("video") == len(result["video"][1]) == 3
    assert not seen[0][1]  # the first segment came before the whole file was read
    video_init, video = result["video"]
    assert [round(s, 3) for _p, s in video] == [6.0, 6.0, 1.0]  # on the camera's 1 s keyframes
    assert fmp4.decode_times(video[0][0])[0] == 100 * fmp4.timescale(video_init)
    assert fmp4.decode_times(result["audio"][1][0][0])[0] == 100 * 48000
    film = joined(video_init, video, tmp_path / "video.mp4")
    assert frames(film) == frames(src) and decode_errors(film) == ""
    assert video_md5(film) == video_md5(src)  # a stream copy: not one picture re-encoded


def test_a_watched_output_must_match_the_playlist_ffmpeg_writes_at_its_end(clip, tmp_path):
    src = clip("faststart")
    init, video = hls.copy_to_segments(src, describe(src), tmp_path / "out", 0.0, "video", timeout=60)
    folder = tmp_path / "out"
    assert not list(folder.glob("*.tmp"))

    watcher = hls._Watcher("video", str(folder), 0.0, None)
    watcher.finish()  # read again from the files: the same segments and lengths as the playlist
    assert [(p, round(s, 3)) for p, s in watcher.done] == [(p, round(s, 3)) for p, s in video]
    os.rename(video[-1][0], video[-1][0] + ".tmp")  # as if ffmpeg had not finished the last one
    with pytest.raises(FFmpegFailed, match="differ"):
        hls._Watcher("video", str(folder), 0.0, None).finish()
    (folder / hls.PLAYLIST_NAME).unlink()  # ffmpeg stopped before writing its playlist
    with pytest.raises(FFmpegFailed, match="no video playlist"):
        hls._Watcher("video", str(folder), 0.0, None).finish()


def test_copy_path_avchd_from_a_pipe_gets_aac_and_keeps_its_start(clip, tmp_path):
    src = clip("h264_ac3")
    info = describe(src)
    init, segments = hls.copy_to_segments(SlowPipe(src), info, tmp_path, 0.0, "audio", timeout=60)
    audio = joined(init, segments, tmp_path / "a.mp4")
    codec = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0",
                            str(audio)], capture_output=True, text=True, check=True).stdout.strip()
    assert info.audio_codec == "ac3" and codec == "aac"
    init, segments = hls.copy_to_segments(src, info, tmp_path / "v", 0.0, "video", timeout=60)
    assert fmp4.decode_times(segments[0][0])[0] == round(info.video_start * fmp4.timescale(init))


def test_copy_path_copies_aac_out_of_mpeg_ts(clip, tmp_path):
    src = tmp_path / "aac.mts"
    ffmpeg_cmd("-i", str(clip("h264_aac")), "-c", "copy", "-f", "mpegts", str(src))
    info = describe(src)
    init, segments = hls.copy_to_segments(SlowPipe(src), info, tmp_path / "out", 0.0, "audio", timeout=60)
    audio = joined(init, segments, tmp_path / "a.mp4")
    assert sum(s for _p, s in segments) == pytest.approx(info.duration, abs=0.1)
    assert decode_errors(audio) == ""


def test_copy_path_refuses_a_piped_mp4_whose_index_is_at_the_end(clip, tmp_path):
    src = clip("long_h264")  # ffmpeg writes the moov last unless told otherwise
    info = describe(src)
    assert not hls.streamable(src.read_bytes()[:hls.HEAD_BYTES], info)
    assert hls.streamable(clip("faststart").read_bytes()[:hls.HEAD_BYTES], info)
    assert hls.streamable(clip("faststart").read_bytes()[:64], info)  # a moov longer than the head
    with pytest.raises(hls.NeedsSeeking):
        hls.copy_to_segments(SlowPipe(src), info, tmp_path, 0.0, "video", timeout=60)
    init, segments = hls.copy_to_segments(src, info, tmp_path, 0.0, "video", timeout=60)  # from a path: fine
    assert len(segments) == 3


def test_a_failing_callback_stops_ffmpeg(clip, tmp_path):
    def refuse(segment):
        raise RuntimeError("storage down")

    with pytest.raises(RuntimeError, match="storage down"):
        hls.copy_to_segments(SlowPipe(clip("faststart")), describe(clip("faststart")), tmp_path, 0.0, "video",
                             timeout=60, on_segment=refuse)


def test_a_stalled_source_times_out(clip, tmp_path):
    class Stalled(SlowPipe):
        """The download stops answering after the first blocks."""

        def read(self, size):
            if self.file.tell() > 64 * 1024:
                time.sleep(1)
            return super().read(size)

    src = clip("h264_ac3")
    with pytest.raises(FFmpegFailed) as failed:
        hls.copy_to_segments(Stalled(src), describe(src), tmp_path, 0.0, "video", timeout=0.5)
    assert failed.value.timed_out


# --- the storyboard, drawn chunk by chunk --------------------------------------------------------

def stepped_clip(folder, seconds, offset, step):
    """A clip whose brightness steps every ``step`` seconds of film time (the clip starting at film
    time ``offset``), each step centred on a tile time: a tile drawn for the wrong time shows it."""
    out = folder / "stepped.mp4"
    lum = f"16+20*mod(floor((T+{offset}+{step / 2})/{step}),10)"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    f"nullsrc=size=320x240:rate=25:duration={seconds},format=yuv420p,geq=lum='{lum}':cb=128:cr=128",
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", str(out)], check=True, timeout=120)
    return out


def tile_brightness(sheet, rows, slot):
    """Mean brightness of the middle of tile ``slot`` on a sheet of 10 x ``rows`` tiles."""
    from workers.media import pictures

    width, height = pictures.COLUMNS * pictures.TILE_WIDTH, rows * pictures.TILE_HEIGHT
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(sheet), "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                         capture_output=True, check=True).stdout
    assert len(raw) == width * height
    row, column = divmod(slot, pictures.COLUMNS)
    x0, y0 = column * pictures.TILE_WIDTH + 60, row * pictures.TILE_HEIGHT + 25
    values = [raw[(y0 + y) * width + x0 + x] for y in range(40) for x in range(40)]
    return sum(values) / len(values)


def test_each_chunk_draws_its_own_stretch_of_the_storyboard(tmp_path):
    from workers.media import pictures

    offset, interval = 100.0, 3  # the session's second camera file, a tile every 3 s
    src = stepped_clip(tmp_path, 30, offset, interval)
    info, chunks, results = encode_all(src, tmp_path, offset=offset)
    assert len(chunks) >= 3
    parts, owned = [], []
    for n, ((start, end), (init, segments)) in enumerate(zip(chunks, results, strict=True)):
        film_start, film_end = offset + start, offset + (end if end is not None else info.duration)
        first, count = pictures.tile_range(film_start, film_end, interval)
        folder = tmp_path / f"tiles-{n}"
        folder.mkdir()
        video = joined(init, segments, folder / "part.mp4")
        sheets = pictures.part_storyboard(video, hls.chunk_film_start(info, start, film_start), first, count, interval,
                                          folder, f"p{n:04d}-a1", timeout=60)
        rows = pictures.sheet_rows(count)
        assert len(sheets) == 1 and count <= 10 * rows
        for slot in range(count):  # each tile shows its own film time
            step = ((first + slot) * interval + interval // 2) // interval % 10
            expected = 20 * step * 255 / 219  # the clip's video range, read back from a full-range JPEG
            assert abs(tile_brightness(sheets[0], rows, slot) - expected) < 6, (n, slot)
        parts.append({"first": first, "count": count, "rows": rows, "sheets": [f"storyboard/p{n:04d}.jpg"]})
        owned += range(first, first + count)
    # together the chunks draw every tile of the film's stretch once
    assert owned == list(range(34, 44))  # film times 102, 105 .. 129
    cues = [block.splitlines() for block in pictures.parts_vtt(offset + 30, interval, parts).split("\n\n")[1:]
            if block.strip()]
    assert cues[0] == ["00:01:42.000 --> 00:01:45.000", "storyboard/p0000.jpg#xywh=0,0,160,90"]
    assert cues[-1][0] == "00:02:09.000 --> 00:02:10.000" and len(cues) == len(owned)


def test_tile_ranges_of_consecutive_parts_meet_without_overlap():
    from workers.media import pictures

    assert pictures.tile_range(0.0, 10.04, 10) == (0, 2)  # 0 and 10
    assert pictures.tile_range(10.04, 130.0, 10) == (2, 11)  # 20 .. 120; 130 is the next part's
    assert pictures.tile_range(130.0, 130.0, 10) == (13, 0)
    assert pictures.tile_range(30.000000001, 60, 3) == (10, 10)  # float noise is not a tile of its own
    assert [pictures.sheet_rows(n) for n in (1, 10, 11, 100, 250)] == [1, 1, 2, 10, 10]
    whole = pictures.storyboard_vtt(95, 10, ["a.jpg"])
    assert whole == pictures.parts_vtt(95, 10, [{"first": 0, "count": 10, "rows": 10, "sheets": ["a.jpg"]}])
