"""Shared fixtures live in tests/fixtures/, one pytest plugin per app; all are loaded here, so every
test sees every fixture (`pytest --fixtures` lists them with the plugin that defines them)."""

import os

# Playwright's sync API runs an event loop in the test thread; Django's ORM must still be usable there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.foundation",
    "tests.fixtures.elasticsearch",
    "tests.fixtures.search",
    "tests.fixtures.editorial",
    "tests.fixtures.archive",
    "tests.fixtures.opendata",
    "tests.fixtures.community",
    "tests.fixtures.questions",
    "tests.fixtures.schedule",
]
