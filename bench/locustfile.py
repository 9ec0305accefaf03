"""The visitor mix of the load benchmark (bench/load.py runs it headless)."""

import random

from locust import FastHttpUser, between, task

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


class Visitor(FastHttpUser):
    wait_time = between(0.05, 0.3)
    case_urls: list[str] = []

    def on_start(self):
        if not Visitor.case_urls:
            response = self.client.get("/en/search/?format=json&sort=newest", name="search (json)")
            if response.status_code == 200:
                Visitor.case_urls = [hit["url"] for hit in response.json()["results"]] or ["/en/"]

    @task(4)
    def home(self):
        self.client.get(random.choice(["/en/", "/ko/"]), name="home")

    @task(3)
    def index(self):
        self.client.get(f"/en/cases/?area={random.choice(AREAS)}", name="case index")

    @task(5)
    def case(self):
        self.client.get(random.choice(Visitor.case_urls or ["/en/"]), name="case page")

    @task(4)
    def search(self):
        query = random.choice(QUERIES)
        lang = "ko" if query[0] >= "\uac00" else "en"
        self.client.get(
            f"/{lang}/search/?q={query}&area={random.choice(AREAS)}&continent={random.choice(CONTINENTS)}",
            name="search with facets",
        )

    @task(3)
    def suggest(self):
        self.client.get(f"/en/search/suggest/?q={random.choice(PREFIXES)}", name="suggest")

    @task(2)
    def archive(self):
        self.client.get(
            random.choice(["/en/cac-global-summit-2020/", "/ko/cac-global-summit-2020/"]), name="archive"
        )

    @task(1)
    def export(self):
        self.client.get(f"/en/data/cases.csv?area={random.choice(AREAS)}", name="export csv")
