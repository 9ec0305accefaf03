"""Settings of the two servers that tests/test_scale_out.py starts: production's, with only what
serving plain HTTP on 127.0.0.1 to a test needs changed."""

import os

from cac_platform.settings.production import *  # noqa: F403
from cac_platform.settings.production import CACHES, STORAGES

# Plain HTTP: no redirect to HTTPS, and the session and CSRF cookies travel without TLS.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# {% static %} without a collectstatic run first (production's manifest storage needs one).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# The test's users are made under the test settings, whose hasher this is.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Keys of this test run only: other runs (the SQLite and PostgreSQL suites, other checkouts) may use
# the same Redis server at the same time, and emptying the page cache must not touch theirs.
_prefix = os.environ["SCALE_OUT_CACHE_PREFIX"]
CACHES = {alias: {**cache, "KEY_PREFIX": f"{_prefix}-{alias}"} for alias, cache in CACHES.items()}
