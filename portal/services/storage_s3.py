"""The S3 backend: any S3-compatible endpoint (AWS, MinIO, Ceph, Garage, Scaleway) via boto3.

SigV4, path-style addressing by default, checksums only where an operation requires them
(non-AWS stores reject the newer default CRC headers) and a private bucket: every browser
URL is presigned. The web process signs part URLs; the bytes never pass through it.
"""

import base64
import hashlib

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from portal.services.storage import (
    NoSuchUpload,
    PartsMismatch,
    Storage,
    StorageError,
    check_parts,
    content_disposition,
    folder_prefix,
    normalise_parts,
    validate_key,
)

DELETE_BATCH = 1000  # DeleteObjects takes at most 1000 keys


def error_code(error):
    """The S3 error code of a ClientError (``NoSuchUpload``, ``404``...)."""
    return error.response.get("Error", {}).get("Code", "")


def add_content_md5(request, **_kwargs):
    """Give DeleteObjects a Content-MD5 header: MinIO, Ceph and others refuse it without one.

    botocore >= 1.36 sends only a CRC32 checksum for operations that require a checksum.
    """
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    if isinstance(body, bytes):
        request.headers["Content-MD5"] = base64.b64encode(
            hashlib.md5(body, usedforsecurity=False).digest()).decode()


def make_client(config, endpoint_url, read_timeout=60, attempts=5):
    """A boto3 S3 client for ``endpoint_url`` with settings every S3-compatible store accepts."""
    client = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=config.get("S3_REGION"),
        aws_access_key_id=config.get("S3_ACCESS_KEY_ID"),
        aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY"),
        config=BotoConfig(
            signature_version="s3v4",
            s3={"addressing_style": config.get("S3_ADDRESSING_STYLE", "path")},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            connect_timeout=5,
            read_timeout=read_timeout,
            retries={"max_attempts": attempts, "mode": "standard"},
        ),
    )
    client.meta.events.register("before-sign.s3.DeleteObjects", add_content_md5)
    return client


class S3Storage(Storage):
    """A private bucket on an S3-compatible endpoint."""

    def __init__(self, config):
        self.bucket = config["S3_BUCKET"]
        self.max_file_bytes = config.get("UPLOAD_MAX_FILE_BYTES", 20 * 10**9)
        self.min_part_size = config.get("UPLOAD_MIN_PART_BYTES", 5 * 1024 * 1024)
        self.client = make_client(config, config.get("S3_ENDPOINT_URL"))
        # Assembling a multi-gigabyte object can take minutes on a busy store; a retried
        # complete then meets an upload half-way through, so: one long wait, no retry storm.
        self.completer = make_client(config, config.get("S3_ENDPOINT_URL"), read_timeout=900, attempts=2)
        public = config.get("S3_PUBLIC_ENDPOINT_URL")
        # Presigning is offline; a second client only changes the host browsers are sent to.
        self.presigner = make_client(config, public) if public else self.client

    def check(self):
        self.client.head_bucket(Bucket=self.bucket)

    def create_multipart(self, key, content_type):
        answer = self.client.create_multipart_upload(Bucket=self.bucket, Key=validate_key(key),
                                                     ContentType=content_type)
        return answer["UploadId"]

    def sign_part(self, key, upload_id, part_number, expires_in, content_md5=None):
        params = {"Bucket": self.bucket, "Key": validate_key(key), "UploadId": upload_id,
                  "PartNumber": int(part_number)}
        if content_md5:
            params["ContentMD5"] = content_md5
        return self.presigner.generate_presigned_url("upload_part", Params=params, ExpiresIn=expires_in)

    def list_parts(self, key, upload_id):
        return [{k: p[k] for k in ("number", "size", "etag")} for p in self._parts(key, upload_id)]

    def last_progress(self, key, upload_id):
        try:
            times = [p["modified"] for p in self._parts(key, upload_id)]
            if not times:  # no part yet: the upload's start is its last progress
                times = [u["Initiated"] for u in self._uploads(validate_key(key))
                         if u["UploadId"] == upload_id]
        except NoSuchUpload:
            return None
        return max(times, default=None)

    def _parts(self, key, upload_id):
        parts = []
        try:
            pages = self.client.get_paginator("list_parts").paginate(
                Bucket=self.bucket, Key=validate_key(key), UploadId=upload_id)
            for page in pages:
                parts += [{"number": p["PartNumber"], "size": p["Size"], "etag": p["ETag"],
                           "modified": p["LastModified"]} for p in page.get("Parts", [])]
        except ClientError as error:
            if error_code(error) in ("NoSuchUpload", "404"):
                raise NoSuchUpload(f"no upload {upload_id!r} of {key!r}") from None
            raise
        return parts

    def complete_multipart(self, key, upload_id, parts, expected_size):
        try:
            stored = self.list_parts(key, upload_id)
        except NoSuchUpload:
            if self.head(key) == expected_size:
                return  # completed before: completing is idempotent
            raise
        check_parts(parts, stored, expected_size, self.max_file_bytes, self.min_part_size)
        listed = [{"PartNumber": p["number"], "ETag": f'"{p["etag"]}"'} for p in normalise_parts(parts)]
        try:
            self.completer.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                                     MultipartUpload={"Parts": listed})
        except ClientError as error:
            code = error_code(error)
            if code in ("EntityTooSmall", "InvalidPart", "InvalidPartOrder"):
                raise PartsMismatch(f"the store refused the parts: {code}") from None
            if self.head(key) == expected_size:
                return  # a concurrent or an earlier, retried complete finished it
            raise
        except BotoCoreError:
            if self.head(key) == expected_size:
                return  # the answer was lost (a timeout), the object is there
            raise

    def abort_multipart(self, key, upload_id):
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=validate_key(key), UploadId=upload_id)
        except ClientError as error:
            if error_code(error) not in ("NoSuchUpload", "404"):
                raise

    def _uploads(self, prefix="org/"):
        pages = self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket, Prefix=prefix)
        for page in pages:
            yield from page.get("Uploads", [])

    def list_stale_multipart(self, older_than):
        return [(u["Key"], u["UploadId"]) for u in self._uploads() if u["Initiated"] < older_than]

    def head(self, key):
        try:
            return self.client.head_object(Bucket=self.bucket, Key=validate_key(key))["ContentLength"]
        except ClientError as error:
            if error_code(error) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def download_to(self, key, path):
        self.client.download_file(self.bucket, validate_key(key), str(path))

    def upload_from(self, path, key, content_type, final=False):
        self.client.upload_file(str(path), self.bucket, validate_key(key),
                                ExtraArgs={"ContentType": content_type})

    def open_read(self, key):
        return self.client.get_object(Bucket=self.bucket, Key=validate_key(key))["Body"]

    def move(self, src_key, dst_key):
        # Managed copy: a multipart copy above 5 GB, where a single CopyObject would fail.
        self.client.copy({"Bucket": self.bucket, "Key": validate_key(src_key)}, self.bucket,
                         validate_key(dst_key))
        self.client.delete_object(Bucket=self.bucket, Key=src_key)

    def delete_prefix(self, prefix):
        prefix = folder_prefix(prefix)
        for upload in self._uploads(prefix):
            self.abort_multipart(upload["Key"], upload["UploadId"])
        keys = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys += [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
        for start in range(0, len(keys), DELETE_BATCH):
            answer = self.client.delete_objects(Bucket=self.bucket, Delete={
                "Objects": keys[start:start + DELETE_BATCH], "Quiet": True})
            if answer.get("Errors"):
                raise StorageError(f"could not delete {len(answer['Errors'])} objects under {prefix}")

    def worker_url(self, key, expires_in):
        """A presigned GET on the endpoint the workers reach (not the browsers' public one), for a
        tool such as ffmpeg that streams an object instead of downloading it first."""
        params = {"Bucket": self.bucket, "Key": validate_key(key)}
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)

    def presign_get(self, key, expires_in, filename=None, claims=None, content_type=None):
        params = {"Bucket": self.bucket, "Key": validate_key(key)}
        if filename:
            params["ResponseContentDisposition"] = content_disposition(filename)
        if content_type:
            params["ResponseContentType"] = content_type
        return self.presigner.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)
