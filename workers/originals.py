"""Reading an uploaded original once: ffmpeg's input and its SHA-256 from the same bytes.

On the local backend ffmpeg reads the stored file itself and a thread hashes it meanwhile; on
S3 the object's body is streamed to the job's folder through the hash (one GET, no second
read for the checksum). Either way the byte count is checked against the upload's size.
"""

import hashlib
import os
import threading

from portal.services.storage import LocalStorage

CHUNK = 8 * 1024 * 1024


class Original:
    """One source file of a recording, readable by ffmpeg at ``path``; ``sha256()`` waits for
    the hash. :raise RuntimeError: from ``sha256()`` when the bytes are not the upload's size."""

    def __init__(self, storage, key, size, path):
        self.size, self._digest, self._error = size, None, None
        if isinstance(storage, LocalStorage):
            self.path = str(storage.path(key))
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
