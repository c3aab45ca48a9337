"""Just enough of the ISO media file format to move fMP4 segments onto the film's timeline.

ffmpeg starts the timestamps of every output at zero. A chunk of the encode path, or one camera
file of the copy path, lies somewhere later in the film, so after ffmpeg has written a segment
we add the part's offset to its decode times: the ``tfdt`` box of each track fragment (and the
``sidx`` box's earliest presentation time when there is one). Nothing else changes, so the
initialisation segments of all chunks stay identical and the bytes of the media stay as ffmpeg
wrote them.
"""

import struct

CONTAINERS = {b"moov", b"trak", b"mdia", b"moof", b"traf"}


def boxes(data, start=0, end=None):
    """Yield (type, offset, header size, size) of the boxes in ``data[start:end]``."""
    end = len(data) if end is None else end
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:
            size = struct.unpack_from(">Q", data, offset + 8)[0]
            header = 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            raise ValueError(f"damaged box {kind!r} at {offset}")
        yield kind, offset, header, size
        offset += size


def walk(data, start=0, end=None):
    """Yield (type, offset, header size, size) of every box, descending into the containers."""
    for kind, offset, header, size in boxes(data, start, end):
        yield kind, offset, header, size
        if kind in CONTAINERS:
            yield from walk(data, offset + header, offset + size)


def timescale(init_path):
    """Ticks per second of the (first) track of an initialisation segment, from its ``mdhd``."""
    with open(init_path, "rb") as fh:
        data = fh.read()
    for kind, offset, header, _size in walk(data):
        if kind == b"mdhd":
            version = data[offset + header]
            return struct.unpack_from(">I", data, offset + header + (20 if version == 1 else 12))[0]
    raise ValueError(f"{init_path}: no mdhd box")


def decode_times(path):
    """The ``tfdt`` base media decode times (ticks) of a segment's track fragments, in order."""
    with open(path, "rb") as fh:
        data = fh.read()
    times = []
    for kind, offset, header, _size in walk(data):
        if kind == b"tfdt":
            body = offset + header
            times.append(struct.unpack_from(">Q" if data[body] == 1 else ">I", data, body + 4)[0])
    return times


def shift(path, seconds, track_timescale):
    """Add ``seconds`` to the decode times of the segment at ``path``, in place.

    ``track_timescale`` is the track's (``timescale(init)``); a ``sidx`` box carries its own.
    :raise ValueError: for a damaged segment or a time a version-0 box cannot hold.
    """
    if not seconds:
        return
    with open(path, "rb") as fh:
        data = bytearray(fh.read())
    for kind, offset, header, _size in walk(data):
        body = offset + header
        if kind == b"tfdt":
            _add(data, body + 4, data[body] == 1, round(seconds * track_timescale))
        elif kind == b"sidx":
            scale = struct.unpack_from(">I", data, body + 8)[0]
            _add(data, body + 12, data[body] == 1, round(seconds * scale))
    with open(path, "wb") as fh:
        fh.write(data)


def _add(data, at, wide, ticks):
    fmt = ">Q" if wide else ">I"
    value = struct.unpack_from(fmt, data, at)[0] + ticks
    if value < 0 or value >= (1 << (64 if wide else 32)):
        raise ValueError(f"decode time {value} does not fit its box")
    struct.pack_into(fmt, data, at, value)
