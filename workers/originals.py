"""Reading an uploaded original once: ffmpeg's input and its SHA-256 from the same bytes.

On the local backend ffmpeg reads the stored file itself and a thread hashes it meanwhile. On
S3 the copy path feeds the object's body into ffmpeg's stdin through the hash (``Streamed``), so
segments are published while the original is still being read; where a local file is needed
(an MP4 with its index at the end, the encode path's keyframes) the body is written to the
job's folder through the hash. Either way: one GET, and the byte count is checked against the
upload's size.
"""

import hashlib
import os
import threading

from portal.services.storage import LocalStorage

CHUNK = 8 * 1024 * 1024


def stored_path(storage, key):
    """Where ffmpeg can read ``key`` in place (the local backend's file), or None (S3: fetch it)."""
    return str(storage.path(key)) if isinstance(storage, LocalStorage) else None


class Original:
    """One source file of a recording, readable by ffmpeg at ``path``; ``sha256()`` waits for
    the hash. :raise RuntimeError: from ``sha256()`` when the bytes are not the upload's size."""

    def __init__(self, storage, key, size, path):
        self.size, self._digest, self._error = size, None, None
        self.source = path
        if (stored := stored_path(storage, key)) is not None:
            self.path = self.source = stored
            self._thread = threading.Thread(target=self._hash_file, daemon=True)
            self._thread.start()
        else:
            self.path = path
            self._thread = None
            self._stream(storage, key)

    def _hash_file(self):
        try:
            with open(self.path, "rb") as fh:
                self._finish(_hashing(fh, None))
        except Exception as error:  # noqa: BLE001 - handed to sha256()
            self._error = error

    def _stream(self, storage, key):
        body = storage.open_read(key)
        try:
            with open(self.path, "wb") as out:
                self._finish(_hashing(body, out))
        finally:
            body.close()
        if self._error:
            raise self._error

    def _finish(self, result):
        digest, count = result
        if count != self.size:
            self._error = RuntimeError(f"the original is {count} bytes, expected {self.size}")
        self._digest = digest

    def sha256(self):
        if self._thread is not None:
            self._thread.join()
        if self._error:
            raise self._error
        return self._digest


def _hashing(reader, writer):
    digest, count = hashlib.sha256(), 0
    while block := reader.read(CHUNK):
        digest.update(block)
        count += len(block)
        if writer is not None:
            writer.write(block)
    return digest.hexdigest(), count


def fetch(storage, sources, workdir):
    """``Original`` of each ``(source_id, key, size)`` in order, as ``{source_id: Original}``."""
    return {source_id: Original(storage, key, size, os.path.join(workdir, f"source-{index:03d}"))
            for index, (source_id, key, size) in enumerate(sources)}


class Streamed:
    """An original on S3 read as a stream: ``source`` is a file object ffmpeg's stdin is fed
    from while the same bytes are hashed. When the container cannot be read from a pipe (an MP4
    with its index at the end), ``to_file()`` writes what was read so far and the rest of the
    body to ``path`` (still one GET, still hashed) and ``source`` becomes that path."""

    def __init__(self, storage, key, size, path):
        self.size, self.path = size, path
        self.body = storage.open_read(key)
        self.digest, self.count, self.kept = hashlib.sha256(), 0, []
        self.source = self

    def read(self, size=-1):
        block = self.body.read(size)
        self.digest.update(block)
        self.count += len(block)
        if self.kept is not None:
            self.kept.append(block)
            if self.count > 4 * CHUNK:  # past any container's head: stop keeping
                self.kept = None
        return block

    def to_file(self):
        if self.kept is None:
            raise RuntimeError("the original was read too far to fall back to a file")
        with open(self.path, "wb") as out:
            for block in self.kept:
                out.write(block)
            self.kept = None
            while block := self.read(CHUNK):
                out.write(block)
        self.source = self.path

    def sha256(self):
        while self.read(CHUNK):  # whatever ffmpeg left unread
            pass
        self.body.close()
        if self.count != self.size:
            raise RuntimeError(f"the original is {self.count} bytes, expected {self.size}")
        return self.digest.hexdigest()


def for_copy(storage, key, size, path):
    """The original for the copy path: the stored file on the local backend, a hashed stream on S3."""
    if isinstance(storage, LocalStorage):
        return Original(storage, key, size, path)
    return Streamed(storage, key, size, path)
