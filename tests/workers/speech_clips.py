"""Films with Swedish speech where we put it (espeak-ng) and quiet between, over low room noise:
the ground truth of the speech lane's tests and of bench/review_time.py."""

import subprocess
import wave
from pathlib import Path

RATE = 22050  # espeak-ng's own rate: its utterances are joined without resampling


def utterance(text, path, voice="sv", words_per_minute=160, amplitude=100):
    """Speak ``text`` with espeak-ng into the WAV ``path``; returns the path."""
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-a", str(amplitude), "-w", str(path),
                    text], check=True, capture_output=True)
    return Path(path)


def pcm(path):
    """The 16-bit mono samples of an espeak-ng WAV, as bytes."""
    with wave.open(str(path), "rb") as handle:
        assert handle.getframerate() == RATE and handle.getnchannels() == 1 and handle.getsampwidth() == 2
        return handle.readframes(handle.getnframes())


def make_session(out, layout, video=True, noise=0.004, audio_codec=("aac", "-b:a", "64k")):
    """Write a film to ``out`` from ``layout``: ("talk", samples as bytes) and ("quiet", seconds) in
    order, over brown noise of amplitude ``noise``. Returns the speech intervals in seconds."""
    truth, at = [], 0
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
               "-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", "pipe:0"]
    total = sum(len(part) // 2 if kind == "talk" else int(part * RATE) for kind, part in layout) / RATE
    command += ["-f", "lavfi", "-i", f"anoisesrc=color=brown:amplitude={noise}:sample_rate={RATE}:duration={total}"]
    if video:
        command += ["-f", "lavfi", "-i", f"color=c=0x334155:size=160x120:rate=10:duration={total}"]
    command += ["-filter_complex", "[0:a][1:a]amix=inputs=2:duration=first:normalize=0[a]", "-map", "[a]"]
    if video:
        command += ["-map", "2:v", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "10"]
    command += ["-c:a", audio_codec[0], *audio_codec[1:], "-ar", "48000", "-shortest", str(out)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE)  # noqa: S603
    try:
        for kind, part in layout:
            if kind == "talk":
                truth.append((at / RATE, (at + len(part) // 2) / RATE))
                at += len(part) // 2
                process.stdin.write(part)
            else:
                samples = int(part * RATE)
                at += samples
                process.stdin.write(bytes(samples * 2))
        process.stdin.close()
    finally:
        if process.wait() != 0:
            raise RuntimeError(f"ffmpeg could not write {out}")
    return truth
