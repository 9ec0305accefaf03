"""The visitor mix of the load benchmark (bench/load.py runs it headless).

Weights (tasks per 22): home 4, case index 3, case page 5, search with facets 4, suggest 3,
archive 2, CSV export 1. Case pages are drawn from CASE_SAMPLE case URLs (newest first, half
English, half Korean), fetched once before the users start, outside the statistics.

Each task has a tag: `cacheable` marks the pages the page cache can serve to a visitor who has
no cookie (`--tags cacheable` runs only those); `case` and `export` are the others. Like a
browser, each user keeps the cookies it is given.
"""

import json
import random
import urllib.request

from locust import FastHttpUser, between, events, tag, task

QUERIES = [
    "testing",
    "mask",
    "bike lanes",
    "remote learning",
    "income support",
    "contact tracing",
    "선별진료소",
]
AREAS = ["quarantine", "education", "welfare", "public-transportation", "smart-city", "culture"]
CONTINENTS = ["asia", "europe", "africa", "north-america", "south-america", "oceania"]
PREFIXES = ["dri", "mas", "tes", "bik", "sch", "서울"]
CASE_SAMPLE = 1000  # case pages visited: 500 per language
CASE_URLS: list[str] = []


@events.test_start.add_listener
def collect_case_urls(environment, **kwargs):
    """Case URLs from the JSON search (newest first), before any user starts."""
    per_language = CASE_SAMPLE // 2
    for language in ("en", "ko"):
        for page in range(1, per_language // 100 + 1):
            url = f"{environment.host}/{language}/search/?format=json&sort=newest&page_size=100&page={page}"
            with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (127.0.0.1 only)
                CASE_URLS.extend(hit["url"] for hit in json.load(response)["results"])
    if not CASE_URLS:
        raise RuntimeError("the search found no case pages to visit")


class Visitor(FastHttpUser):
    # 10-100 ms between requests (55 ms on average): 50 users can ask for up to ~900 requests/s,
    # well above the 300/s target. (With 50-300 ms, 175 ms on average, 50 users could never
    # exceed ~285/s however fast the server: the target could not be measured.)
    wait_time = between(0.01, 0.1)

    @task(4)
    @tag("cacheable")
    def home(self):
        self.client.get(random.choice(["/en/", "/ko/"]), name="home")

    @task(3)
    @tag("cacheable")
    def index(self):
        self.client.get(f"/en/cases/?area={random.choice(AREAS)}", name="case index")

    @task(5)
    @tag("case")
    def case(self):
        self.client.get(random.choice(CASE_URLS), name="case page")

    @task(4)
    @tag("cacheable")
    def search(self):
        query = random.choice(QUERIES)
        lang = "ko" if query[0] >= "\uac00" else "en"
        self.client.get(
            f"/{lang}/search/?q={query}&area={random.choice(AREAS)}&continent={random.choice(CONTINENTS)}",
            name="search with facets",
        )

    @task(3)
    @tag("cacheable")
    def suggest(self):
        self.client.get(f"/en/search/suggest/?q={random.choice(PREFIXES)}", name="suggest")

    @task(2)
    @tag("cacheable")
    def archive(self):
        self.client.get(
            random.choice(["/en/cac-global-summit-2020/", "/ko/cac-global-summit-2020/"]), name="archive"
        )

    @task(1)
    @tag("export")
    def export(self):
        self.client.get(f"/en/data/cases.csv?area={random.choice(AREAS)}", name="export csv")
