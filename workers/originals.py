"""Reading an uploaded original once: ffmpeg's input and its SHA-256 from the same bytes.

On the local backend ffmpeg reads the stored file itself and a thread hashes it meanwhile. On
S3 the copy path feeds the object's body into ffmpeg's stdin through the hash (``Streamed``), so
segments are published while the original is still being read; where a local file is needed
(an MP4 with its index at the end, the encode path's keyframes) the body is written to the
job's folder through the hash. Either way: one GET, and the byte count is checked against the
upload's size.

An encode's jobs (its planning run, each chunk, its sound) share one copy per worker host on S3
(``HostCache``): a 2.5-hour camera file of 6 GB in 75 chunks would otherwise be downloaded 75
times. Chunk jobs do not hash (the planning run recorded the checksum).
"""

import fcntl
import hashlib
import logging
import os
import stat
import tempfile
import threading
import time
from contextlib import contextmanager

from portal.services.storage import LocalStorage

CHUNK = 8 * 1024 * 1024
CACHE_FOLDER = "filmportalen-originals"
log = logging.getLogger(__name__)


def stored_path(storage, key):
    """Where ffmpeg can read ``key`` in place (the local backend's file), or None (S3: fetch it)."""
    return str(storage.path(key)) if isinstance(storage, LocalStorage) else None


class Original:
    """One source file of a recording, readable by ffmpeg at ``path``; ``sha256()`` waits for
    the hash (None when ``hashed`` is false). :raise RuntimeError: from ``sha256()`` when the
    bytes are not the upload's size."""

    def __init__(self, storage, key, size, path, hashed=True, cache=None):
        self.size, self._digest, self._error, self._thread = size, None, None, None
        self.source = path
        stored = stored_path(storage, key)
        if stored is None and cache is not None:
            stored, self._digest = cache.get(storage, key, size)  # the digest when this job downloaded it
        if stored is not None:
            self.path = self.source = stored
            if hashed and self._digest is None:
                self._thread = threading.Thread(target=self._hash_file, daemon=True)
                self._thread.start()
        else:
            self.path = path
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


def fetch(storage, sources, workdir, hashed=True, cache=None):
    """``Original`` of each ``(source_id, key, size)`` in order, as ``{source_id: Original}``;
    on S3 from ``cache`` (a ``HostCache``) when one is given, else into ``workdir``."""
    return {source_id: Original(storage, key, size, os.path.join(workdir, f"source-{index:03d}"), hashed, cache)
            for index, (source_id, key, size) in enumerate(sources)}


def _size(path):
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return None


class HostCache:
    """Originals from S3 kept on this worker host for the jobs of the films being processed: one
    download per host and film instead of one per job (quick check, planning run, each chunk,
    the sound). The first job to need a file takes its lock and downloads it through the hash
    (size checked, digest kept beside it, written under a temporary name and renamed, so a
    killed job leaves no copy that looks whole); other jobs on the host wait for the lock and
    read the same file. Each use touches the copy; the last job of a film drops the
    film's copies (``drop``), and any copy unused for ``minutes`` (a film that failed, a host
    that was cut off) is deleted by the next job that looks. Files are the worker user's only."""

    def __init__(self, folder, minutes):
        self.folder, self.max_age = folder, minutes * 60
        os.makedirs(folder, mode=0o700, exist_ok=True)
        found = os.lstat(folder)  # in a shared /tmp someone else could have made it first
        if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid() or found.st_mode & 0o077:
            raise RuntimeError(f"{folder} must be a folder of this user that no one else can read")

    def path(self, key):
        return os.path.join(self.folder, hashlib.sha256(key.encode()).hexdigest()[:40])

    def holds(self, key, size):
        """Whether a whole copy of ``key`` is here now."""
        return _size(self.path(key)) == size

    def get(self, storage, key, size):
        """``(path, sha256)``: the copy of ``key`` (downloaded now or by an earlier job) and the
        digest of the bytes downloaded (None if unknown). :raise RuntimeError: the object is not
        ``size`` bytes."""
        self.prune()
        path = self.path(key)
        with _locked(path + ".lock"):  # another job of this host may be downloading it
            if _size(path) == size:
                os.utime(path)
                try:
                    with open(path + ".sha256") as known:
                        return path, known.read().strip() or None
                except FileNotFoundError:
                    return path, None
            partial, started = path + ".part", time.monotonic()
            try:
                body = storage.open_read(key)
                try:
                    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
                        digest, count = _hashing(body, out)
                finally:
                    body.close()
                if count != size:
                    raise RuntimeError(f"the original is {count} bytes, expected {size}")
                with os.fdopen(os.open(path + ".sha256", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
                    out.write(digest)
                os.replace(partial, path)
            except BaseException:
                _unlink(partial)
                raise
            log.info("original %s downloaded into this host's cache: %.0f MiB in %.1f s",
                     os.path.basename(path)[:12], size / 2**20, time.monotonic() - started)
            return path, digest

    def drop(self, keys):
        """Delete the copies of ``keys`` (the film is done)."""
        for key in keys:
            path = self.path(key)
            with _locked(path + ".lock"):
                for name in (path, path + ".sha256", path + ".lock"):
                    _unlink(name)

    def prune(self):
        """Delete copies (and leftovers of killed downloads) unused for longer than the limit."""
        now = time.time()
        for entry in os.scandir(self.folder):
            if entry.name.endswith((".lock", ".sha256")):
                continue
            try:
                if now - entry.stat().st_mtime <= self.max_age:
                    continue
            except FileNotFoundError:
                continue
            base = entry.path.removesuffix(".part")
            with _locked(base + ".lock", wait=False) as lock:
                if lock is None:
                    continue  # being downloaded now
                _unlink(entry.path)
                if entry.path == base:
                    _unlink(base + ".sha256")
                log.info("dropped an original unused for %d minutes from the worker's cache", self.max_age // 60)
                if _size(base) is None and _size(base + ".part") is None:
                    _unlink(base + ".lock")  # while held: whoever waits on it sees it replaced


@contextmanager
def _locked(name, wait=True):
    """Hold the lock file ``name`` (None when ``wait`` is false and another process holds it).
    A lock file may be deleted by its holder; a waiter that then gets the deleted one tries again."""
    while True:
        with open(name, "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield None
                return
            try:
                same = os.fstat(lock.fileno()).st_ino == os.stat(name).st_ino
            except FileNotFoundError:
                same = False
            if same:
                yield lock
                return


def _unlink(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def host_cache(config, storage):
    """The host's ``HostCache`` for ``storage``, or None: the local backend is read in place, and
    ORIGINALS_CACHE_MINUTES = 0 turns the cache off (each job downloads into its own folder)."""
    minutes = config.get("ORIGINALS_CACHE_MINUTES", 60)
    if isinstance(storage, LocalStorage) or not minutes:
        return None
    return HostCache(os.path.join(config.get("WORKER_TMP_DIR") or tempfile.gettempdir(), CACHE_FOLDER), minutes)


def drop_copies(config, storage, sources):
    """Delete this host's cached copies of ``sources`` (``(id, key, size)``): the film is done."""
    if (cache := host_cache(config, storage)) is not None:
        cache.drop([key for _id, key, _size in sources])


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


def for_copy(storage, key, size, path, cache=None):
    """The original for the copy path: the stored file on the local backend; on S3 the host's
    copy when the quick check left one here, else a hashed stream."""
    if isinstance(storage, LocalStorage) or (cache is not None and cache.holds(key, size)):
        return Original(storage, key, size, path, cache=cache)
    return Streamed(storage, key, size, path)
