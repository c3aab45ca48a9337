"""Object storage: one interface, two backends chosen by STORAGE_BACKEND.

``LocalStorage`` is here; ``S3Storage`` is in ``storage_s3`` (also importable from here).

Browsers upload straight to the store with multipart uploads whose part URLs the server
signs: S3 presigned ``upload_part`` URLs, or for the local folder app-signed URLs served by
``portal.storage_local``, so the browser code is one. The server completes an upload only
when the listed parts add up to the declared size. Object keys are generated ids under a
per-organisation prefix (``org/<id>/...``), never a user's file name or a person's name.
"""

import base64
import fcntl
import hashlib
import json
import math
import mimetypes
import os
import re
import secrets
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app

MiB = 1024 * 1024
PART_SIZE_MIN = 16 * MiB
PART_SIZE_MAX = 64 * MiB
MAX_PARTS = 10_000
SEGMENT_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")  # no leading dot
UPLOAD_ID_RE = re.compile(r"^[0-9a-f]{32}$")
COPY_CHUNK = MiB


class StorageError(Exception):
    """A refused storage operation; ``code`` is machine-readable for API answers."""

    code = "storage_error"


class InvalidKey(StorageError, ValueError):
    code = "invalid_key"


class NoSuchUpload(StorageError):
    code = "no_such_upload"


class PartsMismatch(StorageError):
    code = "parts_mismatch"


class SizeMismatch(StorageError):
    code = "size_mismatch"


class TooLarge(StorageError):
    code = "too_large"


class IncompletePart(StorageError):
    """A part's body ended before (or ran past) its Content-Length: a cut connection."""

    code = "incomplete_part"


def new_id():
    """A random id for an object key segment."""
    return secrets.token_hex(16)


def validate_key(key, prefix=False):
    """Return ``key`` if it is ``org/<id>/<segment>...``. :raise InvalidKey: otherwise."""
    body = key[:-1] if prefix and key.endswith("/") else key
    segments = body.split("/") if isinstance(body, str) else []
    if (len(key) > 1024 or len(segments) < 2 or segments[0] != "org"
            or not all(SEGMENT_RE.match(s) and ".." not in s for s in segments)):
        raise InvalidKey(f"not a storage key: {key!r}")
    return key


def folder_prefix(prefix):
    """``prefix`` as a folder (``org/1`` -> ``org/1/``, so it never matches ``org/11/``).

    :raise InvalidKey: unless it names at least one organisation (``org/`` alone never passes).
    """
    prefix = prefix.rstrip("/") + "/"
    validate_key(prefix, prefix=True)
    return prefix


def object_key(organisation_id, *parts):
    """``org/<organisation_id>/<parts...>`` from generated ids. :raise InvalidKey: on anything else."""
    segments = [str(organisation_id), *map(str, parts)]
    if any("/" in segment for segment in segments):
        raise InvalidKey(f"a key segment may not contain '/': {segments!r}")
    return validate_key("/".join(["org", *segments]))


def part_size_for(size, minimum=PART_SIZE_MIN, maximum=PART_SIZE_MAX):
    """The part size for a file of ``size`` bytes: whole MiB in [minimum, maximum], <= 10 000 parts.

    :raise TooLarge: when even ``maximum``-sized parts would need more than 10 000.
    """
    needed = math.ceil(size / MAX_PARTS / MiB) * MiB
    if needed > maximum:
        raise TooLarge(f"{size} bytes need parts larger than {maximum}")
    return max(minimum, needed)


def normalise_parts(parts):
    """``[{"number", "etag"}]`` from our own or Uppy's/S3's (``PartNumber``, ``ETag``) spelling."""
    try:
        return [{"number": int(p.get("number", p.get("PartNumber"))),
                 "etag": str(p.get("etag", p.get("ETag"))).strip('"')} for p in parts]
    except (TypeError, ValueError, AttributeError):
        raise PartsMismatch("parts must have a number and an etag") from None


def check_parts(listed, stored, expected_size, max_size, min_part_size=0):
    """Check the client's ``listed`` parts against the ``stored`` ones before completing.

    :raise TooLarge: above the cap. :raise PartsMismatch: numbers not 1..N, a part missing,
        another ETag, or a part but the last below ``min_part_size``.
    :raise SizeMismatch: when the stored sizes do not add up to ``expected_size``.
    """
    if expected_size > max_size:
        raise TooLarge(f"{expected_size} bytes is above the cap of {max_size}")
    listed = normalise_parts(listed)
    if not listed or [p["number"] for p in listed] != list(range(1, len(listed) + 1)):
        raise PartsMismatch("parts must be numbered 1..N without gaps")
    by_number = {p["number"]: p for p in stored}
    total = 0
    for part in listed:
        have = by_number.get(part["number"])
        if have is None or have["etag"].strip('"') != part["etag"]:
            raise PartsMismatch(f"part {part['number']} is missing or different")
        if part["number"] < len(listed) and have["size"] < min_part_size:
            raise PartsMismatch(f"part {part['number']} is smaller than {min_part_size} bytes")
        total += have["size"]
    if total != expected_size:
        raise SizeMismatch(f"parts add up to {total} bytes, expected {expected_size}")


class Storage:
    """Interface every backend implements (multipart upload protocol and object operations)."""

    def check(self):
        """:raise Exception: when the store cannot be written or reached."""
        raise NotImplementedError

    object_key = staticmethod(object_key)
    part_size_for = staticmethod(part_size_for)

    def create_multipart(self, key, content_type):
        """Start a multipart upload of ``key``; return its upload id."""
        raise NotImplementedError

    def sign_part(self, key, upload_id, part_number, expires_in, content_md5=None):
        """A URL the browser PUTs part ``part_number`` to (with ``Content-MD5`` if given)."""
        raise NotImplementedError

    def list_parts(self, key, upload_id):
        """``[{"number", "size", "etag"}]`` uploaded so far. :raise NoSuchUpload:"""
        raise NotImplementedError

    def last_progress(self, key, upload_id):
        """When the upload last stored a byte (aware), or None when it is gone."""
        raise NotImplementedError

    def complete_multipart(self, key, upload_id, parts, expected_size):
        """Join ``parts`` into ``key``; idempotent. :raise StorageError: see ``check_parts``."""
        raise NotImplementedError

    def abort_multipart(self, key, upload_id):
        """Drop an unfinished upload and its parts; a no-op when it is gone."""
        raise NotImplementedError

    def list_stale_multipart(self, older_than):
        """``[(key, upload_id)]`` of unfinished uploads started before ``older_than`` (aware)."""
        raise NotImplementedError

    def head(self, key):
        """The object's size in bytes, or None when it does not exist."""
        raise NotImplementedError

    def download_to(self, key, path):
        """Copy object ``key`` to the local file ``path``."""
        raise NotImplementedError

    def upload_from(self, path, key, content_type, final=False):
        """Store the local file ``path`` as ``key``. ``final``: the caller never writes to
        ``path`` again (a finished segment), so a backend may share its bytes instead of copying."""
        raise NotImplementedError

    def open_read(self, key):
        """A binary file-like object reading ``key``; the caller closes it."""
        raise NotImplementedError

    def move(self, src_key, dst_key):
        """Publish ``src_key`` as ``dst_key`` (readers never see a partial object)."""
        raise NotImplementedError

    def delete_prefix(self, prefix):
        """Delete every object and unfinished upload under the folder ``prefix`` (``org/<id>/...``)."""
        raise NotImplementedError

    def presign_get(self, key, expires_in, filename=None, claims=None, content_type=None):
        """A short-lived URL that reads ``key`` (Range requests work); a download if ``filename``,
        answered as ``content_type`` if given (HLS segments: ``video/iso.segment``).

        ``claims`` (``{"viewer": user_id, "recording": recording_id}``) let a backend that serves
        the bytes itself check the viewer's right again on every request; S3 cannot, and relies
        on the URL's short life instead.
        """
        raise NotImplementedError


class LocalStorage(Storage):
    """A folder on disk (the default under `make run`); parts arrive through app-signed URLs.

    Layout: ``<root>/org/...`` holds objects, ``<root>/.uploads/<upload_id>/`` an unfinished
    upload (``meta.json`` and parts named ``<number>.<md5>`` so a part and its ETag appear at once).
    """

    def __init__(self, root, max_file_bytes=20 * 10**9, min_part_size=5 * MiB,
                 max_part_size=PART_SIZE_MAX):
        self.root = Path(root)
        self.uploads = self.root / ".uploads"
        self.max_file_bytes = max_file_bytes
        self.min_part_size = min_part_size
        self.max_part_size = max_part_size

    def check(self):
        self.root.mkdir(parents=True, exist_ok=True)
        fd, path = tempfile.mkstemp(dir=self.root, prefix=".healthz-")
        os.close(fd)
        os.unlink(path)

    def path(self, key):
        """The file holding ``key``. :raise InvalidKey:"""
        return self.root / validate_key(key)

    def _upload_dir(self, key, upload_id):
        """The folder of an unfinished upload of ``key``. :raise NoSuchUpload:"""
        folder = self.uploads / str(upload_id)
        try:
            meta = json.loads((folder / "meta.json").read_text()) if UPLOAD_ID_RE.match(str(upload_id)) else {}
        except (OSError, ValueError):
            meta = {}
        if meta.get("key") != key:
            raise NoSuchUpload(f"no upload {upload_id!r} of {key!r}")
        return folder

    def create_multipart(self, key, content_type):
        validate_key(key)
        upload_id = new_id()
        folder = self.uploads / upload_id
        folder.mkdir(parents=True)
        (folder / "meta.json").write_text(json.dumps({"key": key, "content_type": content_type}))
        return upload_id

    def sign_part(self, key, upload_id, part_number, expires_in, content_md5=None):
        from portal.storage_local.signing import signed_url

        payload = {"op": "put", "k": validate_key(key), "u": upload_id, "n": int(part_number)}
        if content_md5:
            payload["m"] = content_md5
        return signed_url("storage_local.put_part", payload, expires_in)

    def write_part(self, key, upload_id, part_number, stream, expected_md5=None, length=None):
        """Stream a part to a temporary file; publish it under its ETag only once it is whole.

        Returns the ETag (quoted md5 hex, like S3). A body cut short by a closed connection
        (or one running past ``length``, the request's Content-Length) is never stored.

        :raise NoSuchUpload: :raise TooLarge: above the part or file cap.
        :raise IncompletePart: when ``length`` is given and the body is not that long.
        :raise PartsMismatch: on a bad part number or when the body's MD5 is not ``expected_md5``
            (base64, as in ``Content-MD5``).
        """
        folder = self._upload_dir(key, upload_id)
        if not 1 <= part_number <= MAX_PARTS:
            raise PartsMismatch(f"part number {part_number} is not in 1..{MAX_PARTS}")
        room = min(self.max_part_size,
                   self.max_file_bytes - sum(p["size"] for p in self._parts(folder) if p["number"] != part_number))
        if length is not None and length > room:
            raise TooLarge(f"part {part_number} is larger than {room} bytes")
        digest, written = hashlib.md5(usedforsecurity=False), 0
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                # Under gunicorn a body cut off by a closed connection simply ends (no error):
                # only its length against Content-Length tells a whole part from a torn one.
                while chunk := stream.read(COPY_CHUNK if length is None else min(COPY_CHUNK, length + 1 - written)):
                    written += len(chunk)
                    if written > room:
                        raise TooLarge(f"part {part_number} is larger than {room} bytes")
                    if length is not None and written > length:
                        raise IncompletePart(f"part {part_number} runs past its {length} bytes")
                    digest.update(chunk)
                    out.write(chunk)
            if length is not None and written != length:
                raise IncompletePart(f"part {part_number} ended after {written} of {length} bytes")
            if expected_md5 and base64.b64encode(digest.digest()).decode() != expected_md5:
                raise PartsMismatch(f"part {part_number} does not match its Content-MD5")
            etag = digest.hexdigest()
            os.replace(tmp, folder / f"{part_number:05d}.{etag}")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        for old in folder.glob(f"{part_number:05d}.*"):
            if old.name != f"{part_number:05d}.{etag}":
                old.unlink(missing_ok=True)
        return f'"{etag}"'

    @staticmethod
    def _parts(folder):
        """The stored parts by number; the newest file wins while a retried part replaces one."""
        parts = {}
        for entry in folder.glob("[0-9]*.*"):
            number, _dot, etag = entry.name.partition(".")
            try:
                stat = entry.stat()
                part = {"number": int(number), "size": stat.st_size, "etag": f'"{etag}"', "path": entry,
                        "mtime": stat.st_mtime_ns}
            except (FileNotFoundError, ValueError):
                continue  # replaced by a retry of the same part while we looked
            if part["number"] not in parts or parts[part["number"]]["mtime"] < part["mtime"]:
                parts[part["number"]] = part
        return [parts[number] for number in sorted(parts)]

    def list_parts(self, key, upload_id):
        return [{k: p[k] for k in ("number", "size", "etag")}
                for p in self._parts(self._upload_dir(key, upload_id))]

    def last_progress(self, key, upload_id):
        try:
            folder = self._upload_dir(key, upload_id)
            # Parts still streaming in (temporary files) count: bytes are arriving.
            newest = max(entry.stat().st_mtime for entry in folder.iterdir())
        except (NoSuchUpload, OSError, ValueError):
            return None
        return datetime.fromtimestamp(newest, UTC)

    def complete_multipart(self, key, upload_id, parts, expected_size):
        try:
            folder = self._upload_dir(key, upload_id)
            lock = open(folder / "meta.json", "rb")
        except (NoSuchUpload, OSError):
            return self._completed_before(key, upload_id, expected_size)
        with lock:
            # One completion at a time (the same "complete" sent twice at once, from two web
            # processes): the second waits, then finds the file whole and the parts gone.
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (folder / "meta.json").exists():
                return self._completed_before(key, upload_id, expected_size)
            self._assemble(key, folder, parts, expected_size)

    def _completed_before(self, key, upload_id, expected_size):
        """Completing is idempotent. :raise NoSuchUpload: when the file is not there whole."""
        if self.head(key) != expected_size:
            raise NoSuchUpload(f"no upload {upload_id!r} of {key!r}")

    def _assemble(self, key, folder, parts, expected_size):
        stored = self._parts(folder)
        check_parts(parts, stored, expected_size, self.max_file_bytes, self.min_part_size)
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".assemble-")
        try:
            with os.fdopen(fd, "wb") as out:
                for part in stored[:len(normalise_parts(parts))]:  # check_parts: these are 1..N
                    with open(part["path"], "rb") as src:
                        shutil.copyfileobj(src, out, COPY_CHUNK)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        shutil.rmtree(folder, ignore_errors=True)

    def abort_multipart(self, key, upload_id):
        try:
            shutil.rmtree(self._upload_dir(key, upload_id), ignore_errors=True)
        except NoSuchUpload:
            pass

    def _all_uploads(self):
        for folder in self.uploads.glob("*") if self.uploads.is_dir() else ():
            try:
                yield json.loads((folder / "meta.json").read_text())["key"], folder
            except (OSError, ValueError, KeyError):
                continue

    def list_stale_multipart(self, older_than):
        cutoff = older_than.timestamp()
        return [(key, folder.name) for key, folder in self._all_uploads()
                if folder.stat().st_mtime < cutoff]

    def head(self, key):
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None

    def download_to(self, key, path):
        shutil.copyfile(self.path(key), path)

    def upload_from(self, path, key, content_type, final=False):
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if final:  # a hard link where the worker's folder is on the same file system: no copy
            tmp = target.parent / f".upload-{secrets.token_hex(8)}"
            try:
                os.link(path, tmp)
            except OSError:
                pass  # another file system (or links refused): copy below
            else:
                os.chmod(tmp, 0o600)
                os.replace(tmp, target)
                return
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        os.close(fd)
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)

    def open_read(self, key):
        return open(self.path(key), "rb")  # noqa: SIM115 - the caller closes it

    def move(self, src_key, dst_key):
        target = self.path(dst_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path(src_key), target)

    def delete_prefix(self, prefix):
        prefix = folder_prefix(prefix)
        for key, folder in list(self._all_uploads()):
            if key.startswith(prefix):
                shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(self.root / prefix, ignore_errors=True)

    def presign_get(self, key, expires_in, filename=None, claims=None, content_type=None):
        from portal.storage_local.signing import signed_url

        payload = {"op": "get", "k": validate_key(key)}
        if filename:
            payload["f"] = filename
        if content_type:
            payload["t"] = content_type
        if claims:
            payload["w"], payload["r"] = int(claims["viewer"]), int(claims["recording"])
        return signed_url("storage_local.get_object", payload, expires_in)

    @staticmethod
    def content_type(key):
        """The MIME type served for ``key`` (from its extension)."""
        return mimetypes.guess_type(key)[0] or "application/octet-stream"


def content_disposition(filename):
    """An ``attachment`` header value that survives non-ASCII names (RFC 6266)."""
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def sweep_stale_uploads(storage, days, now=None):
    """Abort multipart uploads started more than ``days`` days before ``now``; return how many."""
    older_than = (now or datetime.now(UTC)) - timedelta(days=days)
    stale = storage.list_stale_multipart(older_than)
    for key, upload_id in stale:
        storage.abort_multipart(key, upload_id)
    return len(stale)


def get_storage():
    """The configured backend, built once per app."""
    app = current_app._get_current_object()
    storage = app.extensions.get("portal_storage")
    if storage is None:
        config = app.config
        if config["STORAGE_BACKEND"] == "s3":
            from portal.services.storage_s3 import S3Storage

            storage = S3Storage(config)
        else:
            storage = LocalStorage(config["STORAGE_PATH"], max_file_bytes=config["UPLOAD_MAX_FILE_BYTES"],
                                   min_part_size=config["UPLOAD_MIN_PART_BYTES"],
                                   max_part_size=config["UPLOAD_MAX_PART_BYTES"])
        app.extensions["portal_storage"] = storage
    return storage


def __getattr__(name):
    """``S3Storage`` lives in storage_s3 so boto3 is imported only when S3 is configured."""
    if name == "S3Storage":
        from portal.services.storage_s3 import S3Storage

        return S3Storage
    raise AttributeError(name)
