"""Just enough of the ISO media file format to move fMP4 segments onto the film's timeline.

ffmpeg starts the timestamps of every output at zero. A chunk of the encode path, or one camera
file of the copy path, lies somewhere later in the film, so after ffmpeg has written a segment
we add the part's offset to its decode times: the ``tfdt`` box of each track fragment (and the
``sidx`` box's earliest presentation time when there is one). An encoded chunk's pictures are also
shown the encoder's reordering delay after their decode time; ``shift`` takes that delay out of
the composition offsets (and ``drop_edit_lists`` the edit list that said so), so the video is
shown where the sound is. The initialisation segments of all chunks stay identical and the bytes
of the media stay as ffmpeg wrote them.
"""

import os
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


def walk(data, start=0, end=None, containers=CONTAINERS):
    """Yield (type, offset, header size, size) of every box, descending into ``containers``."""
    for kind, offset, header, size in boxes(data, start, end):
        yield kind, offset, header, size
        if kind in containers:
            yield from walk(data, offset + header, offset + size, containers)


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


def trex_duration(init_path):
    """The default sample duration (ticks) of an initialisation segment's ``trex`` box, or 0."""
    with open(init_path, "rb") as fh:
        data = fh.read()
    for kind, offset, header, _size in walk(data, containers=CONTAINERS | {b"mvex"}):
        if kind == b"trex":
            return struct.unpack_from(">I", data, offset + header + 12)[0]
    return 0


def media_ticks(path, default_duration=0):
    """How long the samples of a segment last (ticks): the sum of their durations, from each
    ``trun`` or its fragment's default (``tfhd``, else ``default_duration`` from ``trex``)."""
    total = 0
    for data in _fragments(path):
        fragment_default = default_duration
        for kind, box, header, _size in walk(data):
            body = box + header
            if kind == b"tfhd":
                flags = int.from_bytes(data[body + 1:body + 4], "big")
                if flags & 0x08:
                    at = body + 8 + (8 if flags & 0x01 else 0) + (4 if flags & 0x02 else 0)
                    fragment_default = struct.unpack_from(">I", data, at)[0]
            elif kind == b"trun":
                total += _run_ticks(data, body, fragment_default)
    return total


def _run_ticks(data, body, default):
    durations = _sample_fields(data, body, 0x100)
    if not durations:
        return struct.unpack_from(">I", data, body + 4)[0] * default
    return sum(struct.unpack_from(">I", data, at)[0] for at in durations)


def composition_offset(path):
    """The composition time offset (ticks) of the first sample of a segment: the encoder's
    reordering delay (two pictures for x264 with B-frames), 0 when its runs carry none."""
    for data in _fragments(path):
        for kind, box, header, _size in walk(data):
            if kind == b"trun":
                offsets = _trun_offsets(data, box + header)
                return _read_offset(data, offsets[0], data[box + header]) if offsets else 0
    return 0


def drop_edit_lists(init_path):
    """Make the edit lists of an initialisation segment free space, in place (same size): once
    ``shift`` has taken the reordering delay out of the composition times, a player that honours
    ``elst`` must not take it out again."""
    with open(init_path, "r+b") as fh:
        data = bytearray(fh.read())
        found = False
        for kind, offset, _header, _size in walk(data, containers=CONTAINERS | {b"edts"}):
            if kind == b"edts":
                data[offset + 4:offset + 8] = b"free"
                found = True
        if found:
            fh.seek(0)
            fh.write(data)


def shift(path, seconds, track_timescale, composition=0):
    """Add ``seconds`` to the decode times of the segment at ``path``, and take ``composition``
    ticks (``composition_offset`` of the part's first segment) out of every sample's composition
    offset, in place: then the part's first picture is shown at its decode time, where the film's
    timeline puts it, not the encoder's reordering delay later (the runs become version 1, whose
    offsets may be negative, as CMAF allows).

    ``track_timescale`` is the track's (``timescale(init)``); a ``sidx`` box carries its own.
    Only the boxes around the media are read and rewritten, never the media (``mdat``) itself:
    a 2.5-hour film has 3000 segments. :raise ValueError: for a damaged segment or a time a
    version-0 box cannot hold.
    """
    if not seconds and not composition:
        return
    with open(path, "r+b") as fh:
        changed = []  # written when every box is patched: a failure leaves the file as it was
        for kind, offset, size in _top_level(fh):
            if kind == b"mdat":
                continue
            fh.seek(offset)
            data = bytearray(fh.read(size))
            for kind_, box, header, _size in walk(data):
                body = box + header
                if kind_ == b"tfdt":
                    _add(data, body + 4, data[body] == 1, round(seconds * track_timescale))
                elif kind_ == b"sidx":
                    scale = struct.unpack_from(">I", data, body + 8)[0]
                    _add(data, body + 12, data[body] == 1, round(seconds * scale))
                elif kind_ == b"trun" and composition and _trun_offsets(data, body):
                    _signed_offsets(data, body, composition)
                else:
                    continue
                if not changed or changed[-1][0] != offset:
                    changed.append((offset, data))
        for offset, data in changed:
            fh.seek(offset)
            fh.write(data)


def _fragments(path):
    """The bytes of each ``moof`` box of the segment at ``path``, in order (the media not read)."""
    with open(path, "rb") as fh:
        for kind, offset, size in _top_level(fh):
            if kind == b"moof":
                fh.seek(offset)
                yield fh.read(size)


def _top_level(fh):
    """Yield (type, offset, size) of the top-level boxes of the open file ``fh``, reading only
    their headers. :raise ValueError: for a box that runs past the end."""
    total = os.fstat(fh.fileno()).st_size
    offset = 0
    while offset + 8 <= total:
        fh.seek(offset)
        head = fh.read(16)
        size, kind = struct.unpack_from(">I4s", head)
        header = 8
        if size == 1:
            if len(head) < 16:
                raise ValueError(f"damaged box {kind!r} at {offset}")
            size, header = struct.unpack_from(">Q", head, 8)[0], 16
        elif size == 0:
            size = total - offset
        if size < header or offset + size > total:
            raise ValueError(f"damaged box {kind!r} at {offset}")
        yield kind, offset, size
        offset += size


def _sample_fields(data, body, field):
    """Where each sample's ``field`` (0x100 duration, 0x200 size, 0x400 flags, 0x800 composition
    offset) of the ``trun`` at ``body`` is ([] when the run does not carry it)."""
    flags = int.from_bytes(data[body + 1:body + 4], "big")
    if not flags & field:
        return []
    count = struct.unpack_from(">I", data, body + 4)[0]
    at = body + 8 + (4 if flags & 0x1 else 0) + (4 if flags & 0x4 else 0)
    fields = [bit for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit]
    first = at + 4 * fields.index(field)
    return [first + 4 * len(fields) * n for n in range(count)]


def _trun_offsets(data, body):
    """Where the samples' composition offsets of the ``trun`` at ``body`` are ([] when absent)."""
    return _sample_fields(data, body, 0x800)


def _read_offset(data, at, version):
    return struct.unpack_from(">i" if version == 1 else ">I", data, at)[0]


def _signed_offsets(data, body, ticks):
    """Subtract ``ticks`` from every composition offset of the ``trun`` at ``body``; version 1."""
    version = data[body]
    for at in _trun_offsets(data, body):
        value = _read_offset(data, at, version) - ticks
        if not -(1 << 31) <= value < (1 << 31):
            raise ValueError(f"composition offset {value} does not fit its box")
        struct.pack_into(">i", data, at, value)
    data[body] = 1


def _add(data, at, wide, ticks):
    fmt = ">Q" if wide else ">I"
    value = struct.unpack_from(fmt, data, at)[0] + ticks
    if value < 0 or value >= (1 << (64 if wide else 32)):
        raise ValueError(f"decode time {value} does not fit its box")
    struct.pack_into(fmt, data, at, value)
