"""Issue 13, "done when": NUL, control characters, huge integers and 10,000-character values sent
to every public URL pattern (read from the URL resolver) and to every query parameter the site
reads (read from the code and from the API's declared parameters) never answer 500, on SQLite and
on PostgreSQL. A deterministic pass covers every pattern and every parameter with each kind of
hostile value; hypothesis then mixes them (few examples: it runs in seconds)."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.url_patterns import public_routes

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "cac_platform",
    "home",
    "casestudies",
    "archive",
    "search",
    "opendata",
    "community",
    "questions",
    "editorial",
    "ops",
)

HOSTILE = {
    "nul": "a\x00b",
    "controls": "\x01\x08\x0b\x0c\x1b\x7f\x85\u2028",
    "huge integer": str(2**63),
    "very huge integer": "9" * 5000,
    "negative integer": str(-(2**63) - 1),
    "10,000 characters": "x" * 10_000,
    "10,000 Korean characters": "가" * 10_000,
}

# Where a view reads a query parameter: request.GET / the parsed parameters / the API's helpers.
_READS = re.compile(
    r"""(?:GET|params|querydict)\.(?:get|getlist)\(\s*"([a-z_]+)"|"""
    r"""(?:_values|_clean_param|_date|_datetime|_positive_int)\(\s*(?:request|querydict|params),\s*"([a-z_]+)\""""
)


# What Wagtail's page endpoints read before our checks (the `find` view, tree filters, `site`).
WAGTAIL_API_PARAMETERS = {
    "type",
    "child_of",
    "descendant_of",
    "ancestor_of",
    "translation_of",
    "html_path",
    "site",
    "slug",
}


def parameter_names() -> list[str]:
    """Every query parameter name the code reads, every filter defined (search.filters: the case
    filters and the search page's own) and every one the API declares."""
    return list(_parameter_names())


@functools.cache
def _parameter_names() -> tuple[str, ...]:
    """parameter_names(), read once per process: it reads every source file, and the hypothesis
    test asks for it at each example."""
    from opendata.api.views import ENDPOINTS
    from search.filters import registered

    names: set[str] = set(registered().names())
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for match in _READS.finditer(path.read_text(encoding="utf-8")):
                names.add(match.group(1) or match.group(2))
    for endpoint in ENDPOINTS.values():
        names |= set(endpoint.known_query_parameters) | set(endpoint.extra_filters)
    names |= WAGTAIL_API_PARAMETERS
    return tuple(sorted(names))


@pytest.fixture(scope="module")
def _content(_community_demo_module, django_db_blocker):
    """The summit, the community pages and case studies in two languages, once for the module
    (inside a transaction rolled back after it, like the archive and community fixtures)."""
    import datetime

    from django.db import transaction

    from wagtail.models import Locale

    from casestudies.factories import CaseStudyPageFactory, CityFactory, MeasureTypeFactory, index_page

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            index_page("en")
            index_page("ko")
            seoul = CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")
            muscat = CityFactory(name="مسقط", name_ko="무스카트", slug="msqt", country="OM", continent="asia")
            testing = MeasureTypeFactory(name="Testing", name_ko="진단검사", slug="testing")
            for number, city in enumerate((seoul, muscat)):
                case = CaseStudyPageFactory(
                    title=f"Drive-through screening {number}",
                    city=city,
                    areas=["quarantine"],
                    measures=[testing],
                    start_date=datetime.date(2020, 3, 1 + number),
                )
                translation = case.copy_for_translation(Locale.objects.get(language_code="ko"))
                translation.title = f"드라이브스루 선별진료소 {number}"
                translation.save_revision().publish()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    yield
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def site(_content, community_demo, settings):
    from django.core.cache import cache

    for kind in ("API", "EXPORT", "SEARCH", "SUGGEST"):
        setattr(settings, f"OPENDATA_{kind}_RATE", "1000000/m")
    cache.clear()
    yield
    cache.clear()


def _page_urls(language: str | None = None) -> list[str]:
    """One live page of each type (per language): the views that read page-level parameters."""
    from wagtail.models import Page

    urls: dict[tuple, str] = {}
    for page in Page.objects.live().public().specific().order_by("path"):
        code = page.locale.language_code
        if page.url and (language is None or code == language):
            urls.setdefault((type(page).__name__, code), page.url)
    return sorted(urls.values())


@pytest.fixture
def page_urls(site) -> list[str]:
    """_page_urls() of both languages, read once for all of a hypothesis test's examples (its
    requests change no page)."""
    return _page_urls()


def _fill(route, value: str) -> str:
    values = {}
    for kind, name in route.parameters:
        if kind.startswith("choice:"):
            values[name] = kind.split(":", 1)[1].split("|")[0]
        elif kind == "path":
            values[name] = quote(value, safe="") + "/"
        else:
            values[name] = quote(value, safe="")
    return route.url(values)


def _check(client, url: str, query: dict | None = None) -> int:
    response = client.get(url + ("?" + urlencode(query, doseq=True) if query else ""))
    assert response.status_code < 500, (url[:200], {k: v[:40] for k, v in (query or {}).items()})
    return response.status_code


def test_every_public_url_pattern_takes_hostile_path_values(client, site):
    routes = public_routes("en")
    templates = {route.template for route in routes}
    assert {
        "en/case/<int:pk>/",
        "en/cities/<text:slug>/",
        "api/v2/cases/<int:pk>/",
        "en/<path:arg0>",
    } <= templates
    for route in routes:
        for value in HOSTILE.values():
            _check(client, _fill(route, value))


def _targets() -> list[tuple[str, list[str]]]:
    """(URL, the parameters its view accepts): the API endpoints declare theirs and refuse others
    (400 before reading any value), the downloads, feeds and search read the search parameters,
    and pages read the rest."""
    from opendata import selection as sel
    from opendata.api.views import ENDPOINTS

    names = parameter_names()
    selection = list(sel.SEARCH_PARAMETERS + sel.PAGING_PARAMETERS)
    targets = []
    for route in public_routes("en"):
        if any(kind == "path" for kind, _name in route.parameters):
            continue
        url = "/" + _fill(route, "1")
        endpoint = next((e for name, e in ENDPOINTS.items() if url.startswith(f"/api/v2/{name}/")), None)
        if endpoint is not None:
            accepted = sorted(endpoint.known_query_parameters | WAGTAIL_API_PARAMETERS)
        elif url.startswith(("/en/data/", "/en/feeds/", "/en/search/", "/en/explore/")):
            accepted = selection
        else:
            accepted = names
        targets.append((url, accepted))
    targets += [(url, names) for url in _page_urls("en")]
    return targets


WORST = "9223372036854775808\x00\x1b"  # once its controls are dropped, a number past any database integer


def test_every_query_parameter_takes_hostile_values_on_every_page(client, site):
    names = parameter_names()
    assert {
        "q",
        "area",
        "city",
        "measure",
        "locale",
        "limit",
        "offset",
        "page",
        "kind",
        "field",
        "year",
        "continent",
        "country",
        "evidence",
        "size",
        "lang",
        "type",
        "updated_since",
    } <= set(names)
    targets = _targets()
    assert len(targets) > 25
    for url, accepted in targets:
        for value in ("a\x00b", HOSTILE["controls"], HOSTILE["huge integer"], HOSTILE["10,000 characters"]):
            _check(client, url, {name: value for name in accepted})
        # Each parameter alone too: a view that answers 400 at its first bad parameter would hide
        # what it does with the others.
        if not url.startswith(("/api/", "/en/data/", "/en/feeds/", "/en/search/")):
            continue
        for name in accepted:
            _check(client, url, {name: WORST})


hostile_text = st.one_of(
    st.sampled_from(list(HOSTILE.values())),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.text(alphabet=st.characters(max_codepoint=0x9F), max_size=20),  # ASCII and controls
    st.integers().map(str),
    st.integers(min_value=2**63 - 3, max_value=2**80).map(str),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_hypothesis_mixes_hostile_values_over_patterns_and_parameters(client, site, page_urls, data):
    route = data.draw(st.sampled_from(public_routes("en") + public_routes("ko")))
    path_value = data.draw(hostile_text)
    query = data.draw(st.dictionaries(st.sampled_from(parameter_names()), hostile_text, max_size=4))
    _check(client, _fill(route, path_value), query)
    page = data.draw(st.sampled_from(page_urls))  # both languages
    _check(client, page, query)
