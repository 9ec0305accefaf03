"""Search and suggest are rate-limited per client address: 429 with Retry-After past the limit."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("setting", "url"),
    [("OPENDATA_SEARCH_RATE", "/en/search/?q=mask"), ("OPENDATA_SUGGEST_RATE", "/en/search/suggest/?q=mas")],
)
def test_search_and_suggest_answer_429_past_the_limit(client, settings, setting, url):
    setattr(settings, setting, "3/h")
    statuses = [client.get(url, REMOTE_ADDR="203.0.113.7").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get(url, REMOTE_ADDR="203.0.113.7")
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many requests" in response.json()["message"]
    # Another address is counted on its own.
    assert client.get(url, REMOTE_ADDR="203.0.113.8").status_code == 200
