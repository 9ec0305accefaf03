"""Uploads go to a local folder by default and to S3-compatible storage when S3_BUCKET is set.

The S3 tests run against moto, an in-process fake of the S3 API: no network, no credentials.
"""

import io

import boto3
import pytest
from moto import mock_aws
from PIL import Image as PILImage

from django.core.files.images import ImageFile
from django.core.files.uploadedfile import SimpleUploadedFile

from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from cac_platform.media_storage import LOCAL, media_origins, media_storage

S3_ENV = {
    "S3_BUCKET": "cac-media",
    "S3_REGION": "eu-west-1",
    "S3_ACCESS_KEY_ID": "test-key",
    "S3_SECRET_ACCESS_KEY": "test-secret",
}


def test_without_a_bucket_uploads_stay_in_the_local_folder():
    assert media_storage({}) == LOCAL
    assert media_storage({"S3_BUCKET": "  "}) == LOCAL
    assert media_origins(LOCAL) == []


def test_an_s3_compatible_endpoint_and_its_origin_for_the_csp():
    storage = media_storage(
        {
            **S3_ENV,
            "S3_ENDPOINT_URL": "https://minio.example.org:9000",
            "S3_SIGNED_URLS": "0",
            "S3_PREFIX": "/up/",
        }
    )
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert options["bucket_name"] == "cac-media"
    assert options["endpoint_url"] == "https://minio.example.org:9000"
    assert options["location"] == "up"
    assert options["querystring_auth"] is False
    assert options["file_overwrite"] is False
    assert media_origins(storage) == ["https://minio.example.org:9000"]
    assert media_origins(media_storage({**S3_ENV, "S3_CUSTOM_DOMAIN": "media.example.org"})) == [
        "https://media.example.org"
    ]
    assert media_origins(media_storage(S3_ENV)) == [
        "https://cac-media.s3.amazonaws.com",
        "https://cac-media.s3.eu-west-1.amazonaws.com",
    ]


@pytest.fixture
def s3_media(settings, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        client = boto3.client(
            "s3", region_name="eu-west-1", aws_access_key_id="test-key", aws_secret_access_key="test-secret"
        )
        client.create_bucket(
            Bucket="cac-media", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        settings.STORAGES = {**settings.STORAGES, "default": media_storage(S3_ENV)}
        yield client


def png(width=40, height=30) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (200, 30, 40)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.django_db
def test_images_their_renditions_and_documents_go_to_the_bucket(s3_media):
    image = get_image_model().objects.create(
        title="Drive-through station", file=ImageFile(io.BytesIO(png()), "station.png")
    )
    rendition = image.get_rendition("width-20")
    document = get_document_model().objects.create(
        title="Adopted statement", file=SimpleUploadedFile("statement.pdf", b"%PDF-1.4 statement")
    )

    keys = {item["Key"] for item in s3_media.list_objects_v2(Bucket="cac-media")["Contents"]}
    assert f"media/{image.file.name}" in keys
    assert f"media/{rendition.file.name}" in keys
    assert f"media/{document.file.name}" in keys
    body = s3_media.get_object(Bucket="cac-media", Key=f"media/{document.file.name}")["Body"].read()
    assert body == b"%PDF-1.4 statement"
    # Private bucket by default: signed, expiring URLs on the bucket's host.
    assert rendition.url.startswith("https://cac-media.s3.amazonaws.com/media/images/")
    assert "Signature=" in rendition.url or "X-Amz-Signature=" in rendition.url
