"""Views for the local backend's signed URLs; the signature is the authorisation."""

import re

from flask import Response, abort, request, send_file

from portal.extensions import csrf
from portal.security import public
from portal.services import playback
from portal.services.storage import LocalStorage, StorageError, TooLarge, content_disposition, get_storage
from portal.storage_local import bp
from portal.storage_local.signing import InvalidSignature, load_signed

ERROR_STATUS = {"no_such_upload": 404, "too_large": 413, "invalid_key": 400, "parts_mismatch": 400,
                "incomplete_part": 400}
# One answer to a film's range request carries at most this much (about 20 s of a 3 Mbit/s
# film): the browser asks again for the rest, and each request checks the viewer's right, so a
# response that started before the right ended cannot stream the rest of a film after it.
FILM_RANGE_MAX_BYTES = 8 * 1024 * 1024
OPEN_RANGE = re.compile(r"bytes=(\d+)-(\d*)")


def local_storage():
    """The local backend. :raise 404: when the app stores in S3."""
    storage = get_storage()
    if not isinstance(storage, LocalStorage):
        abort(404)
    return storage


def verified(op):
    """The signed payload of this request. :raise 403: tampered, expired or another operation."""
    try:
        return load_signed(request.args.get("sig"), op)
    except InvalidSignature as error:
        abort(Response(f"Forbidden: {error}\n", 403, mimetype="text/plain"))


def plain(status, text, **headers):
    return Response(text + "\n", status, headers=headers, mimetype="text/plain")


@bp.route("/storage/part", methods=["PUT"])
@public
@csrf.exempt
def put_part():
    """Store one part of a multipart upload, streamed to disk; answer its ETag like S3.

    :raise 403: bad signature. :raise 404: no such upload. :raise 413: part too large.
    :raise 411: no Content-Length. :raise 400: the body is not as long as its Content-Length.
    """
    storage = local_storage()
    claim = verified("put")
    if request.content_length is None:  # as S3: without it a torn part cannot be told apart
        return plain(411, "length_required")
    # Flask's MAX_CONTENT_LENGTH guards forms; a part may be larger, write_part caps it.
    request.max_content_length = storage.max_part_size
    if request.content_length and request.content_length > storage.max_part_size:
        return plain(413, "Part too large")
    try:
        etag = storage.write_part(claim["k"], claim["u"], int(claim["n"]), request.stream,
                                  expected_md5=claim.get("m") or request.headers.get("Content-MD5"),
                                  length=request.content_length)
    except TooLarge:
        return plain(413, "Part too large")
    except FileNotFoundError:  # aborted or completed while this part streamed in
        return plain(404, "no_such_upload")
    except StorageError as error:
        return plain(ERROR_STATUS.get(error.code, 400), error.code)
    return plain(200, "", ETag=etag)


@bp.route("/storage/object", methods=["GET"])
@public
def get_object():
    """Serve a stored object with Range support (206 for a byte range). A film's URL names its
    viewer, whose right is checked again on every request, so a withdrawn consent, a deleted
    film, a removed role or a deactivated account stops the next range request.

    :raise 403: bad signature, or the viewer may no longer watch. :raise 404: no such object.
    """
    storage = local_storage()
    claim = verified("get")
    if "r" in claim:
        if not playback.still_watchable(claim.get("w"), claim["r"]):
            return plain(403, "Forbidden: no longer allowed to watch")
        if "HTTP_RANGE" in request.environ:
            request.environ["HTTP_RANGE"] = capped_range(request.environ["HTTP_RANGE"], FILM_RANGE_MAX_BYTES)
    path = storage.path(claim["k"])
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=claim.get("t") or storage.content_type(claim["k"]), conditional=True, etag=True,
                         max_age=0)
    if claim.get("f"):
        response.headers["Content-Disposition"] = content_disposition(claim["f"])
    return response


def capped_range(header, limit):
    """A single ``bytes=a-b`` range ``header`` cut to at most ``limit`` bytes (answered 206 with
    the shorter Content-Range, which browsers follow with the next request); others unchanged."""
    match = OPEN_RANGE.fullmatch(header.strip())
    if match is None:
        return header
    start, last = int(match[1]), int(match[1]) + limit - 1
    if match[2] and int(match[2]) <= last:
        return header
    return f"bytes={start}-{last}"
