"""The downloads of a site without a single case are valid, empty files (the other export tests,
in tests/test_opendata_exports.py, share one set of cases)."""

import json

import pytest

from opendata.rows import COLUMNS

pytestmark = pytest.mark.django_db


def body(response) -> str:
    assert response.streaming, "exports are streamed"
    return b"".join(response.streaming_content).decode("utf-8")


def test_empty_database_exports_valid_files(client, opendata_no_ratelimit):
    assert json.loads(body(client.get("/en/data/cases.json")))["results"] == []
    assert body(client.get("/en/data/cases.csv")).strip() == ",".join(COLUMNS)
