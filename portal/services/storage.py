"""Object storage: one interface, two backends chosen by STORAGE_BACKEND.

Only reachability is needed by the foundation; the upload protocol extends these classes.
"""

import os
import tempfile
from pathlib import Path

from flask import current_app


class Storage:
    """Interface every backend implements."""

    def check(self):
        """:raise Exception: when the store cannot be written or reached."""
        raise NotImplementedError


class LocalStorage(Storage):
    """A folder on disk (the default under `make run`)."""

    def __init__(self, root):
        self.root = Path(root)

    def check(self):
        self.root.mkdir(parents=True, exist_ok=True)
        fd, path = tempfile.mkstemp(dir=self.root, prefix=".healthz-")
        os.close(fd)
        os.unlink(path)


class S3Storage(Storage):
    """Any S3-compatible endpoint through boto3 (SigV4, path-style by default)."""

    def __init__(self, config):
        import boto3
        from botocore.config import Config as BotoConfig

        self.bucket = config["S3_BUCKET"]
        self.client = boto3.client(
            "s3",
            endpoint_url=config.get("S3_ENDPOINT_URL"),
            region_name=config.get("S3_REGION"),
            aws_access_key_id=config.get("S3_ACCESS_KEY_ID"),
            aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY"),
            config=BotoConfig(
                signature_version="s3v4",
                s3={"addressing_style": config.get("S3_ADDRESSING_STYLE", "path")},
                # Non-AWS stores (MinIO, Ceph, Garage) reject the newer default checksums.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )

    def check(self):
        self.client.head_bucket(Bucket=self.bucket)


def get_storage():
    """The configured backend, built once per app."""
    app = current_app._get_current_object()
    storage = app.extensions.get("portal_storage")
    if storage is None:
        if app.config["STORAGE_BACKEND"] == "s3":
            storage = S3Storage(app.config)
        else:
            storage = LocalStorage(app.config["STORAGE_PATH"])
        app.extensions["portal_storage"] = storage
    return storage
