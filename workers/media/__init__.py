"""The media pipeline: probe, decide, transcode, pictures (ffmpeg through one gate)."""
