"""A real S3 endpoint over HTTP for tests: moto's server on a free port, private buckets."""

import uuid

import boto3
from moto.server import ThreadedMotoServer

from tests.services import free_port

CREDENTIALS = {"S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing", "S3_REGION": "us-east-1"}


class MotoS3:
    """moto's S3 served by a background thread; ``new_bucket`` gives each test its own bucket."""

    def __init__(self):
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()
        self.client = boto3.client("s3", endpoint_url=self.endpoint_url, region_name="us-east-1",
                                   aws_access_key_id="testing", aws_secret_access_key="testing")

    def new_bucket(self):
        """Create a private bucket (no public access at all) and return its name."""
        name = f"portal-{uuid.uuid4().hex[:12]}"
        self.client.create_bucket(Bucket=name, ACL="private")
        self.client.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True,
            "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
        return name

    def config(self, bucket):
        """Config overrides that point the app's S3 backend at ``bucket`` here."""
        return {"STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": self.endpoint_url, "S3_BUCKET": bucket,
                "S3_ADDRESSING_STYLE": "path", **CREDENTIALS}

    def stop(self):
        self.server.stop()
