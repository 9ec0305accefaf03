"""Where uploads (images, documents) live: a local folder by default, S3-compatible object storage
(AWS S3, MinIO, Ceph, ...) through django-storages when `S3_BUCKET` is set.

Read by the settings; kept apart so that tests can give it any environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

LOCAL = {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def _flag(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def media_storage(env: Mapping[str, str]) -> dict:
    """The `STORAGES["default"]` entry for this environment."""
    bucket = (env.get("S3_BUCKET") or "").strip()
    if not bucket:
        return LOCAL
    options = {
        "bucket_name": bucket,
        "location": env.get("S3_PREFIX", "media").strip("/"),
        # Uploads never replace each other: a second "report.pdf" gets a suffix.
        "file_overwrite": False,
        # Private objects with signed, expiring URLs unless the bucket is public (then set it to 0).
        "querystring_auth": _flag(env.get("S3_SIGNED_URLS"), True),
        "default_acl": None,
    }
    # Without keys, boto3 finds credentials its usual way (AWS_* variables, an instance role).
    for option, name in (
        ("endpoint_url", "S3_ENDPOINT_URL"),
        ("region_name", "S3_REGION"),
        ("access_key", "S3_ACCESS_KEY_ID"),
        ("secret_key", "S3_SECRET_ACCESS_KEY"),
        ("custom_domain", "S3_CUSTOM_DOMAIN"),
    ):
        value = (env.get(name) or "").strip()
        if value:
            options[option] = value
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


def media_origins(storage: dict) -> list[str]:
    """The origins that media URLs point at, for the Content-Security-Policy's img-src."""
    options = storage.get("OPTIONS") or {}
    if "bucket_name" not in options:
        return []
    if options.get("custom_domain"):
        return [f"https://{options['custom_domain']}"]
    if options.get("endpoint_url"):
        parts = urlsplit(options["endpoint_url"])
        return [f"{parts.scheme}://{parts.netloc}"]
    bucket = options["bucket_name"]
    origins = [f"https://{bucket}.s3.amazonaws.com"]
    if options.get("region_name"):
        origins.append(f"https://{bucket}.s3.{options['region_name']}.amazonaws.com")
    return origins
