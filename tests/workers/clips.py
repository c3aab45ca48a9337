"""Tiny test films made with ffmpeg's lavfi sources, one per kind of input the portal meets."""

import random
import subprocess
import zipfile
from pathlib import Path

VIDEO = "testsrc2=size={size}:rate={rate}:duration={seconds}"
AUDIO = "sine=frequency=440:sample_rate=48000:duration={seconds}"
H264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25"]  # 1 s GOP, like a camera


def _ffmpeg(*args):
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def make(kind, folder, seconds=3):
    """Write the clip ``kind`` into ``folder`` and return its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    video = ["-f", "lavfi", "-i", VIDEO.format(size="320x240", rate=25, seconds=seconds)]
    audio = ["-f", "lavfi", "-i", AUDIO.format(seconds=seconds)]
    out = folder / {
        "h264_aac": "camera.mp4", "h264_aac_b": "camera-2.mp4", "h264_aac_faststart": "phone.mp4",
        "h264_aac_ts": "camera.mts",
        "h264_ac3": "avchd.mts",
        "h264_pcm": "pcm.mov", "hevc": "phone-hevc.mp4", "interlaced_ac3": "interlaced.mts",
        "rotated": "phone-rotated.mp4", "vfr": "screen-vfr.mp4", "mkv_as_mp4": "really-mkv.mp4",
        "audio_only": "voice.mp4", "huge_frame": "huge.mp4", "no_index": "stopped.mp4",
        "playlist": "playlist.mp4", "ffconcat": "list.mp4", "empty": "empty.mp4",
        "with_gps": "gps.mp4", "hevc_long": "phone-hevc-long.mp4", "no_audio": "silent.mp4", "ten_bit": "tenbit.mkv",
        "header_only": "header-only.mp4", "scrambled": "scrambled.mp4", "mpeg_ps": "dvd-camcorder.mpg",
        "vob": "VTS_01_1.VOB", "mpeg_es": "elementary.m2v", "docx": "report.docx",
    }[kind]
    if kind == "h264_aac":
        _ffmpeg(*video, *audio, *H264, "-c:a", "aac", "-shortest", str(out))
    elif kind == "h264_aac_b":  # the camera's next file: other content, same format
        _ffmpeg("-f", "lavfi", "-i", f"testsrc=size=320x240:rate=25:duration={seconds}",
                "-f", "lavfi", "-i", f"sine=frequency=880:sample_rate=48000:duration={seconds}",
                *H264, "-c:a", "aac", "-shortest", str(out))
    elif kind == "h264_aac_faststart":  # its index first, as phones write it: readable from a pipe
        _ffmpeg(*video, *audio, *H264, "-c:a", "aac", "-shortest", "-movflags", "+faststart", str(out))
    elif kind == "h264_aac_ts":  # an action camera's MPEG-TS with AAC (ADTS) sound
        _ffmpeg(*video, *audio, *H264, "-c:a", "aac", "-shortest", "-f", "mpegts", str(out))
    elif kind == "no_audio":
        _ffmpeg(*video, *H264, str(out))
    elif kind == "with_gps":
        _ffmpeg(*video, *audio, *H264, "-c:a", "aac", "-metadata", "location=+59.3293+018.0686/",
                "-metadata", "comment=serial ABC123", str(out))
    elif kind == "h264_ac3":
        _ffmpeg(*video, *audio, *H264, "-c:a", "ac3", "-f", "mpegts", str(out))
    elif kind == "h264_pcm":
        _ffmpeg(*video, *audio, *H264, "-c:a", "pcm_s16le", str(out))
    elif kind == "hevc":
        _ffmpeg(*video, *audio, "-c:v", "libx265", "-preset", "ultrafast", "-x265-params",
                "log-level=error", "-tag:v", "hvc1", "-c:a", "aac", str(out))
    elif kind == "hevc_long":  # long enough that a worker can be killed mid-encode
        _ffmpeg("-f", "lavfi", "-i", VIDEO.format(size="1280x720", rate=25, seconds=20), "-f", "lavfi",
                "-i", AUDIO.format(seconds=20), "-c:v", "libx265", "-preset", "ultrafast", "-x265-params",
                "log-level=error", "-tag:v", "hvc1", "-c:a", "aac", str(out))
    elif kind == "ten_bit":
        _ffmpeg(*video, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le", str(out))
    elif kind == "interlaced_ac3":
        _ffmpeg("-f", "lavfi", "-i", VIDEO.format(size="720x576", rate=25, seconds=seconds), *audio,
                *H264, "-flags", "+ildct+ilme", "-x264-params", "tff=1", "-c:a", "ac3",
                "-f", "mpegts", str(out))
    elif kind == "rotated":  # a phone held upright: the display matrix says turn 90 degrees
        upright = folder / "upright.mp4"
        _ffmpeg(*video, *audio, *H264, "-c:a", "aac", str(upright))
        _ffmpeg("-i", str(upright), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(out))
    elif kind == "vfr":
        _ffmpeg("-f", "lavfi", "-i", VIDEO.format(size="320x240", rate=30, seconds=seconds),
                "-vf", "setpts='if(lt(N,30),N/30,1+(N-30)/10)/TB'", "-fps_mode", "vfr", *H264,
                str(out))
    elif kind == "mkv_as_mp4":
        _ffmpeg(*video, *audio, *H264, "-c:a", "aac", "-f", "matroska", str(out))
    elif kind == "audio_only":
        _ffmpeg(*audio, "-c:a", "aac", str(out))
    elif kind == "huge_frame":
        _ffmpeg("-f", "lavfi", "-i", "color=size=8192x16:rate=1:duration=1", *H264, str(out))
    elif kind == "no_index":
        full = folder / "full-for-truncation.mp4"
        _ffmpeg(*video, *audio, *H264, "-c:a", "aac", str(full))  # moov at the end
        data = full.read_bytes()
        out.write_bytes(data[: data.index(b"moov") - 4])  # the camera stopped before writing it
    elif kind == "playlist":
        out.write_text("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n/etc/passwd\n#EXT-X-ENDLIST\n")
    elif kind == "ffconcat":
        out.write_text("ffconcat version 1.0\nfile '/etc/passwd'\n")
    elif kind == "empty":
        out.write_bytes(b"")
    elif kind in ("header_only", "scrambled"):  # a full index, but no media data that decodes
        full = folder / "full-faststart.mp4"
        _ffmpeg(*video, *audio, *H264, "-c:a", "aac", "-movflags", "+faststart", str(full))
        data = full.read_bytes()
        media = data.index(b"mdat") + 4
        tail = b"" if kind == "header_only" else random.Random(7).randbytes(len(data) - media)
        out.write_bytes(data[:media] + tail)
    elif kind == "mpeg_ps":  # a DVD or hard-disk camcorder's MPEG-2 program stream (.MPG, .MOD)
        _ffmpeg(*video, *audio, "-c:v", "mpeg2video", "-c:a", "mp2", "-f", "mpeg", str(out))
    elif kind == "vob":
        _ffmpeg(*video, *audio, "-c:v", "mpeg2video", "-c:a", "ac3", "-f", "vob", str(out))
    elif kind == "mpeg_es":  # pictures only, no container: ffprobe cannot tell its length
        _ffmpeg(*video, "-c:v", "mpeg2video", "-f", "mpeg2video", str(out))
    elif kind == "docx":  # a renamed office document: a zip archive
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("word/document.xml", "<w:document>Protokoll</w:document>" * 200)
    return out
