"""The one gate every ffprobe and ffmpeg call passes through.

Uploaded films are untrusted input to a large C program, so every call:
- reads only local files and pipes (``-protocol_whitelist file,pipe``) and only real container
  formats (``-format_whitelist``): the protocol whitelist alone still lets an HLS playlist or an
  ffconcat list named ``.mp4`` read another user's media from the worker's disk;
- runs at ``nice`` 15, without network where the OS allows it (``unshare --net``), with a
  wall-clock timeout, inside the job's own temporary folder;
- caps the output size (``-fs``) and duration (``-t``).

Command lines are built with ffmpeg-python and run here, so the caps and the progress parsing
are the same for every job.
"""

import ctypes
import functools
import json
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time

log = logging.getLogger(__name__)

# Demuxers of real camera, phone and screen-recording files. Not hls, concat, image2, tty,
# lavfi or any other demuxer that reads further files or makes up content.
FORMAT_WHITELIST = ",".join([
    "mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "avi", "mpegts", "mpeg",
    "dv", "flv", "asf", "wav", "mp3", "aac", "h264", "hevc",
    "mpegvideo",  # MPEG-1/2 elementary streams (.mpg, .m2v from older DVD and hard-disk camcorders)
])
# Only the join step reads a list, and only one the worker wrote itself.
JOIN_FORMAT_WHITELIST = "concat," + FORMAT_WHITELIST
PROTOCOL_WHITELIST = "file,pipe"
# ffmpeg runs this much nicer than the worker, so web requests and quick jobs on the same machine
# stay responsive. A machine that only encodes can set MEDIA_NICENESS=0.
NICENESS = max(0, min(19, int(os.environ.get("MEDIA_NICENESS", "15"))))


class FFmpegFailed(RuntimeError):
    """ffmpeg or ffprobe exited non-zero, timed out or printed unreadable output."""

    def __init__(self, message, stderr="", timed_out=False):
        super().__init__(message)
        self.stderr = stderr
        self.timed_out = timed_out


@functools.cache
def sandbox_prefix():
    """``unshare --net`` when this OS lets us drop the network, then ``nice``."""
    unshare = shutil.which("unshare")
    for variant in ([unshare, "--net", "--map-root-user"], [unshare, "--net"]) if unshare else ():
        try:
            # An argument list we build, no shell: nothing from an upload reaches it.
            if subprocess.run([*variant, "true"], capture_output=True, timeout=5,  # noqa: S603
                              check=False).returncode == 0:
                return [*variant, "nice", "-n", str(NICENESS)]
        except (OSError, subprocess.SubprocessError):
            break
    log.info("ffmpeg runs with network: this OS does not allow unshare --net here")
    return ["nice", "-n", str(NICENESS)]


def input_options(format_whitelist=FORMAT_WHITELIST):
    """The safety options every ffmpeg input gets."""
    return {"protocol_whitelist": PROTOCOL_WHITELIST, "format_whitelist": format_whitelist}


def ffprobe(path, timeout=120):
    """Probe ``path``: the JSON of its format and streams. :raise FFmpegFailed: on any error."""
    args = ["ffprobe", "-v", "error", "-hide_banner",
            "-protocol_whitelist", PROTOCOL_WHITELIST, "-format_whitelist", FORMAT_WHITELIST,
            "-show_format", "-show_streams", "-of", "json", str(path)]
    result = _run(args, timeout=timeout, cwd=os.path.dirname(os.path.abspath(path)))
    try:
        return json.loads(result.stdout or "{}")
    except json.JSONDecodeError as error:
        raise FFmpegFailed("ffprobe printed no JSON", result.stderr) from error


def caps(max_bytes=None, max_seconds=None):
    """Output options that bound what one ffmpeg call may write."""
    options = {}
    if max_bytes:
        options["fs"] = str(int(max_bytes))
    if max_seconds:
        options["t"] = str(int(max_seconds))
    return options


def ffprobe_csv(path, options, timeout=120):
    """Run ffprobe on ``path`` with ``options`` (a list, e.g. ``-show_entries``) and CSV output;
    returns the output's lines. :raise FFmpegFailed: on any error or timeout."""
    args = ["ffprobe", "-v", "error", "-hide_banner",
            "-protocol_whitelist", PROTOCOL_WHITELIST, "-format_whitelist", FORMAT_WHITELIST,
            *options, "-of", "csv", str(path)]
    return _run(args, timeout=timeout, cwd=os.path.dirname(os.path.abspath(path))).stdout.splitlines()


def command(stream, stdin=False):
    """The argument list of an ffmpeg-python ``stream`` with the gate's global options;
    ``stdin``: the input is ``pipe:0``, so ffmpeg must read its standard input."""
    args = stream.compile(cmd="ffmpeg", overwrite_output=True)
    # ffmpeg-python appends global args after the output, where ffmpeg ignores them.
    args[1:1] = global_options(stdin)
    return args


def global_options(stdin=False):
    """The options every ffmpeg call starts with (quiet, progress on stdout, no stdin unless
    ``stdin``), for callers that build an argument list by hand."""
    return ["-hide_banner", *([] if stdin else ["-nostdin"]), "-nostats", "-loglevel", "error",
            "-progress", "pipe:1"]


def run(stream, cwd, timeout, duration=None, progress=None):
    """Run an ffmpeg-python ``stream`` (ending in ``.output(...)``) through the gate.

    ``progress(fraction)`` is called every few seconds from ffmpeg's ``-progress`` output when
    ``duration`` (seconds of output expected) is known. :raise FFmpegFailed: on failure.
    """
    return _run(command(stream), timeout=timeout, cwd=cwd,
                on_progress=_progress_parser(duration, progress) if progress else None)


def spawn(args, cwd, stdin=None, stderr=None):
    """Start ``args`` sandboxed like ``run`` and return the ``Popen`` without waiting, for callers
    that feed its standard input or watch its output files while it runs. Its stdout (the
    ``-progress`` lines) is discarded; ``stderr`` is a file object or None (discarded)."""
    # An argument list, never a shell.
    return subprocess.Popen([*sandbox_prefix(), *args], cwd=cwd,  # noqa: S603
                            stdin=stdin if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=stderr or subprocess.DEVNULL,
                            preexec_fn=die_with_parent)


def _progress_parser(duration, progress, every=2.0):
    state = {"last": 0.0}

    def on_line(line):
        key, _sep, value = line.partition("=")
        if key != "out_time_us" or not duration or not value.strip().isdigit():
            return
        now = time.monotonic()
        if now - state["last"] >= every:
            state["last"] = now
            progress(min(1.0, int(value) / 1e6 / duration))

    return on_line


def die_with_parent():
    """In the child: get SIGKILL when the work-horse dies (``kill -9``), so no ffmpeg is orphaned."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass  # not Linux: the job's timeout still bounds the orphan


def _run(args, timeout, cwd, on_progress=None):
    """Run a sandboxed command; stream stdout lines to ``on_progress`` when given.

    stderr goes to a file, so a chatty ffmpeg can never block on a full pipe.
    """
    full = [*sandbox_prefix(), *args]
    with tempfile.TemporaryFile(mode="w+", dir=cwd) as errfile:
        # An argument list, never a shell.
        proc = subprocess.Popen(full, cwd=cwd, stdout=subprocess.PIPE, stderr=errfile,  # noqa: S603
                                stdin=subprocess.DEVNULL, text=True, errors="replace",
                                preexec_fn=die_with_parent)
        deadline = time.monotonic() + timeout
        try:
            if on_progress is None:
                stdout, _ = proc.communicate(timeout=timeout)
            else:
                stdout = ""
                for line in proc.stdout:
                    on_progress(line.strip())
                    if time.monotonic() > deadline:
                        raise subprocess.TimeoutExpired(args, timeout)
                proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise FFmpegFailed(f"{args[0]} timed out after {timeout}s", timed_out=True) from None
        finally:
            if proc.stdout:
                proc.stdout.close()
        errfile.seek(0)
        stderr = errfile.read()[-4000:]
    if proc.returncode != 0:
        raise FFmpegFailed(f"{args[0]} exited with {proc.returncode}", stderr)
    return subprocess.CompletedProcess(args, proc.returncode, stdout, stderr)
