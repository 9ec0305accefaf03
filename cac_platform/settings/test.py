"""Test settings: the dev settings with what makes tests fast and isolated."""

import os

from .base import *  # noqa: F403
from .base import DATABASES

# A fixed key: tests never sign anything that leaves the test run.
SECRET_KEY = "test-only-secret-key"  # noqa: S105
# Tests see production-like behaviour (404 pages, no debug toolbar).
DEBUG = False
# Fast hashing: password strength is not what the tests measure.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Mails are collected in django.core.mail.outbox.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Plain static storage: tests do not need collectstatic's manifest; uploads stay in a local folder
# whatever S3_BUCKET says (tests/test_media_storage.py points them at a fake S3).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Test client requests come from "testserver".
ALLOWED_HOSTS = ["*"]
# Each test gets an empty cache, so cached pages never leak between tests.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"},
}
# Page caching off: tests see every change at once (tests/test_page_cache.py turns it on).
CAC_PAGE_CACHE_SECONDS = 0
# SQLite tests run on a file-less database unless DATABASE_URL points elsewhere.
if not os.environ.get("DATABASE_URL"):
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
# Lockouts would make tests that log in order-dependent; tests/test_security.py turns them on.
AXES_ENABLED = False
# Search and suggest limits are counted per address and every test client is 127.0.0.1:
# lifted here, and tests/test_rate_limits.py sets them low where the limit is the subject.
OPENDATA_SEARCH_RATE = "100000/m"
OPENDATA_SUGGEST_RATE = "100000/m"
# Background tasks are recorded, not run: most tests need no meaning vectors and should not pay
# for the model; tests/test_search_semantic.py embeds what it needs and runs a real worker.
TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default", "search"]}}
# Search by words only: most search tests are about words and facets, and a query embedding or a
# rebuild computing vectors would slow every one of them; tests/test_search_semantic.py turns
# meaning search on where it is the subject.
CAC_SEMANTIC_SEARCH = False
