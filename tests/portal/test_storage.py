"""The storage layer on both backends, through real HTTP: the local folder served by the app
on a free port, and S3 through moto's server. Parts go to the signed URLs with ``requests``,
the way a browser sends them."""

import base64
import hashlib
import io
import os
import socket
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from flask import current_app

from portal import create_app
from portal.services import storage as storage_module
from portal.services.storage import (
    IncompletePart,
    InvalidKey,
    LocalStorage,
    NoSuchUpload,
    PartsMismatch,
    SizeMismatch,
    TooLarge,
    get_storage,
    new_id,
    object_key,
    part_size_for,
    sweep_stale_uploads,
)
from tests.conftest import make_config
from tests.e2e.conftest import LiveServer
from tests.proxy import gunicorn_like

MiB = 1024 * 1024
PART = 5 * MiB  # the smallest part S3 (and moto) accepts but the last
DATA = os.urandom(2 * PART + 123_457)  # three parts, the last a short one
TTL = 600


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    """``get_storage()`` of an app configured for each backend, inside an app context."""
    overrides = {"UPLOAD_MAX_FILE_BYTES": 100 * MiB, "UPLOAD_MIN_PART_BYTES": PART,
                 "UPLOAD_MAX_PART_BYTES": 6 * MiB}
    if request.param == "s3":
        s3 = request.getfixturevalue("s3_server")
        overrides.update(s3.config(s3.new_bucket()))
    app = create_app(make_config("sqlite://", "redis://127.0.0.1:1/0", tmp_path / "storage", **overrides))
    server = LiveServer(app) if request.param == "local" else None
    if server:
        app.config["PUBLIC_URL"] = server.url
    with app.app_context():
        yield get_storage()
    if server:
        server.stop()


def key_for(*parts):
    return object_key(7, "rec", new_id(), *parts)


def put(url, body, **headers):
    """PUT ``body`` to a signed URL like the browser does; return the response."""
    return requests.put(url, data=body, headers=headers, timeout=30)


def upload_parts(storage, key, upload_id, numbers, data=DATA):
    """PUT parts ``numbers`` of ``data``; return {number: etag}."""
    etags = {}
    for number in numbers:
        body = data[(number - 1) * PART:number * PART]
        response = put(storage.sign_part(key, upload_id, number, TTL), body)
        assert response.status_code == 200, response.text
        etags[number] = response.headers["ETag"]
        assert etags[number].strip('"') == hashlib.md5(body, usedforsecurity=False).hexdigest()
    return etags


def as_listed(etags):
    return [{"PartNumber": n, "ETag": etags[n]} for n in sorted(etags)]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def test_object_keys_are_generated_ids_under_the_organisation():
    upload = new_id()
    assert object_key(3, "rec", upload, "source.mp4") == f"org/3/rec/{upload}/source.mp4"
    for bad in ("../x", "..", ".hidden", "Min film.MOV", "Gruppträff 3.mp4", "a/b", "", "x" * 200):
        with pytest.raises(InvalidKey):
            object_key(3, "rec", bad)
    with pytest.raises(InvalidKey):
        object_key("../1", "x")


def test_part_size_stays_within_16_and_64_mib_and_10000_parts():
    assert part_size_for(10 * MiB) == 16 * MiB
    assert part_size_for(20 * 10**9) == 16 * MiB
    big = 400 * 1024 * MiB
    size = part_size_for(big)
    assert 16 * MiB <= size <= 64 * MiB and size % MiB == 0 and big / size <= 10_000
    with pytest.raises(TooLarge):
        part_size_for(700 * 1024 * MiB)


def test_storage_is_reachable(storage):
    storage.check()


def test_resumed_upload_completes_to_the_same_bytes(storage, tmp_path):
    key = key_for("source.mp4")
    upload_id = storage.create_multipart(key, "video/mp4")
    etags = upload_parts(storage, key, upload_id, [1, 3])
    assert [(p["number"], p["size"]) for p in storage.list_parts(key, upload_id)] == [(1, PART), (3, 123_457)]
    etags.update(upload_parts(storage, key, upload_id, [2]))  # resume: only the missing part
    assert [p["etag"] for p in storage.list_parts(key, upload_id)] == [etags[n] for n in (1, 2, 3)]

    storage.complete_multipart(key, upload_id, as_listed(etags), len(DATA))
    storage.complete_multipart(key, upload_id, as_listed(etags), len(DATA))  # harmless again

    assert storage.head(key) == len(DATA)
    storage.download_to(key, tmp_path / "copy")
    assert sha256((tmp_path / "copy").read_bytes()) == sha256(DATA)
    with storage.open_read(key) as stream:
        assert sha256(stream.read()) == sha256(DATA)
    with pytest.raises(NoSuchUpload):
        storage.list_parts(key, upload_id)


def test_complete_checks_parts_and_declared_size(storage):
    key = key_for("source.mp4")
    upload_id = storage.create_multipart(key, "video/mp4")
    etags = upload_parts(storage, key, upload_id, [1, 2, 3])
    refusals = [
        (as_listed(etags), len(DATA) + 1, "size_mismatch"),
        (as_listed(etags)[:2], len(DATA), "size_mismatch"),
        ([{"PartNumber": 1, "ETag": etags[1]}, {"PartNumber": 3, "ETag": etags[3]}], len(DATA), "parts_mismatch"),
        ([{"PartNumber": n, "ETag": '"0000"'} for n in (1, 2, 3)], len(DATA), "parts_mismatch"),
        ([], 0, "parts_mismatch"),
        (as_listed(etags), 10**12, "too_large"),
    ]
    for parts, size, code in refusals:
        with pytest.raises((SizeMismatch, PartsMismatch, TooLarge)) as refused:
            storage.complete_multipart(key, upload_id, parts, size)
        assert refused.value.code == code
    assert storage.head(key) is None
    storage.complete_multipart(key, upload_id, as_listed(etags), len(DATA))  # still completable
    assert storage.head(key) == len(DATA)
    with pytest.raises(NoSuchUpload) as refused:  # another size after completion
        storage.complete_multipart(key, upload_id, as_listed(etags), len(DATA) - 1)
    assert refused.value.code == "no_such_upload"


def test_a_small_part_but_the_last_is_refused(storage):
    key = key_for("source.mp4")
    upload_id = storage.create_multipart(key, "video/mp4")
    etags = {}
    for number, body in ((1, DATA[:MiB]), (2, DATA[MiB:2 * MiB])):
        etags[number] = put(storage.sign_part(key, upload_id, number, TTL), body).headers["ETag"]
    with pytest.raises(PartsMismatch):
        storage.complete_multipart(key, upload_id, as_listed(etags), 2 * MiB)


def test_abort_removes_the_upload_and_is_idempotent(storage):
    key = key_for("source.mp4")
    upload_id = storage.create_multipart(key, "video/mp4")
    upload_parts(storage, key, upload_id, [1])
    storage.abort_multipart(key, upload_id)
    storage.abort_multipart(key, upload_id)
    with pytest.raises(NoSuchUpload):
        storage.list_parts(key, upload_id)
    assert storage.list_stale_multipart(datetime.now(UTC) + timedelta(days=1)) == []
    if isinstance(storage, LocalStorage):
        assert not (storage.root / ".uploads" / upload_id).exists()


def test_sweeper_aborts_only_old_uploads(storage):
    keys = [key_for("source.mp4") for _ in range(2)]
    uploads = [storage.create_multipart(key, "video/mp4") for key in keys]
    upload_parts(storage, keys[0], uploads[0], [1])
    # moto reports every upload as initiated on 2010-11-10, so "not yet stale" is shown with an
    # early 'now'; test_local_sweeper_uses_the_upload_folder_age covers fresh next to old.
    assert sweep_stale_uploads(storage, 7, now=datetime(2010, 1, 1, tzinfo=UTC)) == 0
    assert sweep_stale_uploads(storage, 7, now=datetime.now(UTC) + timedelta(days=8)) == 2
    for key, upload_id in zip(keys, uploads, strict=True):
        with pytest.raises(NoSuchUpload):
            storage.list_parts(key, upload_id)


def test_local_sweeper_uses_the_upload_folder_age(tmp_path):
    storage = LocalStorage(tmp_path)
    old, fresh = key_for("a.mp4"), key_for("b.mp4")
    old_id, fresh_id = storage.create_multipart(old, "video/mp4"), storage.create_multipart(fresh, "video/mp4")
    ten_days_ago = (datetime.now(UTC) - timedelta(days=10)).timestamp()
    os.utime(tmp_path / ".uploads" / old_id, (ten_days_ago, ten_days_ago))
    assert sweep_stale_uploads(storage, 7) == 1
    assert storage.list_parts(fresh, fresh_id) == []
    with pytest.raises(NoSuchUpload):
        storage.list_parts(old, old_id)


def test_delete_prefix_leaves_nothing_under_it(storage, tmp_path):
    source = tmp_path / "file"
    source.write_bytes(b"x" * 1000)
    doomed = [object_key(1, "rec", "r1", "source.mp4"), object_key(1, "rec", "r1", "v", "720.mp4"),
              object_key(1, "rec", "r2", "poster.jpg")]
    kept = [object_key(2, "rec", "r1", "source.mp4"), object_key(11, "rec", "r1", "source.mp4")]
    for key in doomed + kept:
        storage.upload_from(source, key, "video/mp4")
    unfinished = object_key(1, "rec", "r3", "source.mp4")
    upload_id = storage.create_multipart(unfinished, "video/mp4")
    with pytest.raises(InvalidKey):
        storage.delete_prefix("org/")
    storage.delete_prefix("org/1")  # a folder: org/11 stays
    assert [storage.head(key) for key in doomed] == [None, None, None]
    assert [storage.head(key) for key in kept] == [1000, 1000]
    with pytest.raises(NoSuchUpload):
        storage.list_parts(unfinished, upload_id)


def test_a_final_file_is_stored_whole_and_outlives_its_worker_copy(storage, tmp_path):
    """A finished segment (``final=True``) is linked into the local folder, not copied; either
    way the object keeps its bytes when the worker deletes its files, and a file that is not
    final is copied."""
    segment, other = tmp_path / "segment.m4s", tmp_path / "poster.jpg"
    segment.write_bytes(DATA[:5000])
    other.write_bytes(DATA[:3000])
    segment_key, poster_key = key_for("seg.m4s"), key_for("poster.jpg")
    storage.upload_from(segment, segment_key, "video/iso.segment", final=True)
    storage.upload_from(other, poster_key, "image/jpeg")
    if hasattr(storage, "path"):
        stored = storage.path(segment_key)
        assert stored.stat().st_ino == segment.stat().st_ino and stored.stat().st_mode & 0o777 == 0o600
        assert storage.path(poster_key).stat().st_ino != other.stat().st_ino
    segment.unlink()
    other.write_bytes(b"rewritten")  # a caller reusing its file for the next picture
    with storage.open_read(segment_key) as body:
        assert body.read() == DATA[:5000]
    with storage.open_read(poster_key) as body:
        assert body.read() == DATA[:3000]


def test_move_publishes_under_the_new_key(storage, tmp_path):
    source = tmp_path / "file"
    source.write_bytes(DATA[:4096])
    tmp_key, final_key = key_for("tmp", "out.mp4"), key_for("out.mp4")
    storage.upload_from(source, tmp_key, "video/mp4")
    storage.move(tmp_key, final_key)
    assert (storage.head(tmp_key), storage.head(final_key)) == (None, 4096)


def test_presigned_get_serves_byte_ranges(storage, tmp_path):
    source = tmp_path / "file"
    source.write_bytes(DATA[:100_000])
    key = key_for("720.mp4")
    storage.upload_from(source, key, "video/mp4")
    url = storage.presign_get(key, TTL, filename="Session 3 – grupp.mp4")
    whole = requests.get(url, timeout=30)
    assert whole.status_code == 200 and whole.content == DATA[:100_000]
    assert whole.headers["Content-Disposition"].startswith("attachment;")
    ranged = requests.get(storage.presign_get(key, TTL), headers={"Range": "bytes=1000-1999"}, timeout=30)
    assert ranged.status_code == 206
    assert ranged.content == DATA[1000:2000]
    assert ranged.headers["Content-Range"] == "bytes 1000-1999/100000"


def test_a_part_with_a_content_md5_must_match_it(storage):
    key = key_for("source.mp4")
    upload_id = storage.create_multipart(key, "video/mp4")
    body = DATA[:PART]
    digest = base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()
    url = storage.sign_part(key, upload_id, 1, TTL, content_md5=digest)
    if isinstance(storage, LocalStorage):
        corrupt = body[:-1] + bytes([body[-1] ^ 1])
        assert put(url, corrupt, **{"Content-MD5": digest}).status_code == 400
    else:  # S3 signs the header, so the browser must send it; moto does not check the digest
        assert "content-md5" in url.split("X-Amz-SignedHeaders=")[1].split("&")[0]
    assert put(url, body, **{"Content-MD5": digest}).status_code == 200
    assert [p["number"] for p in storage.list_parts(key, upload_id)] == [1]


local_only = pytest.mark.parametrize("storage", ["local"], indirect=True)


@local_only
def test_local_part_urls_refuse_tampered_expired_or_misused_signatures(storage):
    key = key_for("source.mp4")
    upload_id = storage.create_multipart(key, "video/mp4")
    url = storage.sign_part(key, upload_id, 1, TTL)
    tampered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    assert put(tampered, b"x").status_code == 403
    assert put(storage.sign_part(key, upload_id, 1, -1), b"x").status_code == 403
    assert put(storage.presign_get(key, TTL), b"x").status_code in (403, 405)
    get_url = storage.presign_get(key, TTL).replace("/storage/object", "/storage/part")
    assert put(get_url, b"x").status_code == 403
    assert requests.get(storage.presign_get(key, -1), timeout=30).status_code == 403
    assert requests.get(url.replace("/storage/part", "/storage/object"), timeout=30).status_code == 403
    assert storage.list_parts(key, upload_id) == []


@local_only
def test_local_part_urls_cap_the_part_size_and_know_the_upload(storage):
    key = key_for("source.mp4")
    upload_id = storage.create_multipart(key, "video/mp4")
    assert put(storage.sign_part(key, upload_id, 1, TTL), b"\0" * (6 * MiB + 1)).status_code == 413
    assert put(storage.sign_part(key, "0" * 32, 1, TTL), b"x").status_code == 404
    assert put(storage.sign_part(key_for("other.mp4"), upload_id, 1, TTL), b"x").status_code == 404
    assert put(storage.sign_part(key, upload_id, 10_001, TTL), b"x").status_code == 400
    response = put(storage.sign_part(key, upload_id, 1, TTL), b"tiny")
    assert response.status_code == 200 and response.headers["ETag"].startswith('"')
    assert storage.list_parts(key, upload_id) == [{"number": 1, "size": 4, "etag": response.headers["ETag"]}]


@local_only
@pytest.mark.parametrize("server", ["werkzeug", "gunicorn"])
def test_a_part_cut_off_mid_body_is_never_stored(storage, server):
    """Half a part's body, then the connection closes (a tab closed mid-part): refused, and
    nothing of it is stored, not even a temporary file; the whole part then goes in."""
    if server == "gunicorn":
        current_app.wsgi_app = gunicorn_like(current_app.wsgi_app)
    key = key_for("source.mp4")
    upload_id = storage.create_multipart(key, "video/mp4")
    url = urlsplit(storage.sign_part(key, upload_id, 1, TTL))
    head = (f"PUT {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Content-Length: {PART}\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(head + DATA[:PART // 2])
        sock.shutdown(socket.SHUT_WR)  # no more bytes will ever come
        answer = sock.recv(4096)  # once the server has dealt with what came
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert storage.list_parts(key, upload_id) == []
    assert sorted(p.name for p in (storage.uploads / upload_id).iterdir()) == ["meta.json"]
    assert put(urlunsplit(url), DATA[:PART]).status_code == 200
    assert [(p["number"], p["size"]) for p in storage.list_parts(key, upload_id)] == [(1, PART)]


@local_only
def test_local_parts_are_stored_only_when_as_long_as_their_content_length(storage):
    key = key_for("source.mp4")
    upload_id = storage.create_multipart(key, "video/mp4")
    for body in (b"x" * 99, b"x" * 101):
        with pytest.raises(IncompletePart):
            storage.write_part(key, upload_id, 1, io.BytesIO(body), length=100)
    assert storage.list_parts(key, upload_id) == []
    md5 = base64.b64encode(hashlib.md5(b"y" * 100, usedforsecurity=False).digest()).decode()
    with pytest.raises(PartsMismatch):  # Content-MD5 is still checked
        storage.write_part(key, upload_id, 1, io.BytesIO(b"x" * 100), expected_md5=md5, length=100)
    storage.write_part(key, upload_id, 1, io.BytesIO(b"y" * 100), expected_md5=md5, length=100)
    assert [(p["number"], p["size"]) for p in storage.list_parts(key, upload_id)] == [(1, 100)]
    assert sorted(p.name for p in (storage.uploads / upload_id).iterdir())[-1] == "meta.json"
    assert len(list((storage.uploads / upload_id).iterdir())) == 2  # no temporary file left


def test_s3_urls_are_presigned_for_the_public_endpoint(s3_server, tmp_path):
    bucket = s3_server.new_bucket()
    config = make_config("sqlite://", "redis://127.0.0.1:1/0", tmp_path,
                         S3_PUBLIC_ENDPOINT_URL="https://files.example.org", **s3_server.config(bucket))
    app = create_app(config)
    with app.app_context():
        storage = get_storage()
        key = key_for("source.mp4")
        upload_id = storage.create_multipart(key, "video/mp4")  # the workers' endpoint
        url = storage.sign_part(key, upload_id, 1, TTL)
        assert url.startswith(f"https://files.example.org/{bucket}/{key}?")
        assert "X-Amz-Signature=" in url and "partNumber=1" in url
        assert storage_module.S3Storage is type(storage)


def test_sweep_command_aborts_stale_uploads(tmp_path):
    app = create_app(make_config("sqlite://", "redis://127.0.0.1:1/0", tmp_path / "storage"))
    with app.app_context():
        storage = get_storage()
        key = key_for("source.mp4")
        upload_id = storage.create_multipart(key, "video/mp4")
        long_ago = (datetime.now(UTC) - timedelta(days=30)).timestamp()
        os.utime(storage.uploads / upload_id, (long_ago, long_ago))
    result = app.test_cli_runner().invoke(args=["storage", "sweep-uploads"])
    assert result.exit_code == 0, result.output
    assert "Aborted 1 multipart upload(s) older than 7 days." in result.output


def test_a_complete_whose_answer_is_lost_counts_once_the_object_is_there(s3_server, tmp_path):
    """A busy store may finish assembling after the client gave up (a 500 to a retried complete,
    or a read timeout): the object being there with the declared size means done."""
    from botocore.exceptions import ClientError, ReadTimeoutError

    overrides = {"UPLOAD_MAX_FILE_BYTES": 100 * MiB, "UPLOAD_MIN_PART_BYTES": PART, **s3_server.config(
        s3_server.new_bucket())}
    app = create_app(make_config("sqlite://", "redis://127.0.0.1:1/0", tmp_path / "storage", **overrides))
    with app.app_context():
        storage = get_storage()
        for lost in (ClientError({"Error": {"Code": "InternalError", "Message": "busy"}}, "CompleteMultipartUpload"),
                     ReadTimeoutError(endpoint_url="http://s3")):
            key = key_for("source.mp4")
            upload_id = storage.create_multipart(key, "video/mp4")
            etags = upload_parts(storage, key, upload_id, [1, 2, 3])
            real = storage.completer.complete_multipart_upload

            def finish_then_lose_the_answer(error=lost, real=real, **kwargs):
                real(**kwargs)
                raise error

            storage.completer.complete_multipart_upload = finish_then_lose_the_answer
            storage.complete_multipart(key, upload_id, as_listed(etags), len(DATA))
            assert storage.head(key) == len(DATA)

            def fail(error=lost, **kwargs):
                raise error  # nothing stored: the error goes up

            storage.completer.complete_multipart_upload = fail
            other = key_for("other.mp4")
            other_id = storage.create_multipart(other, "video/mp4")
            other_etags = upload_parts(storage, other, other_id, [1, 2, 3])
            with pytest.raises((ClientError, ReadTimeoutError)):
                storage.complete_multipart(other, other_id, as_listed(other_etags), len(DATA))
            storage.completer.complete_multipart_upload = real
