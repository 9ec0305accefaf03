"""Shared fixtures. Each team keeps its fixtures in its own marked block."""

import os
import shutil
import uuid
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM must still be usable there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# --- foundation fixtures -------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in English: a request through LocaleMiddleware leaves its language active in the thread."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(scope="session", autouse=True)
def _no_stray_database_connections(django_db_setup, django_db_blocker):
    """Before the test database is dropped, end the worker's other PostgreSQL connections (one is
    left from the browser tests' async context, out of reach of Django's close_all)."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def serious_axe_violations():
    """`serious_axe_violations(page)`: the ids of axe-core's serious or critical violations on the
    page as loaded. Skipped when axe-core is missing. The page must bypass the CSP, which (rightly)
    blocks the injected script."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm install): run `make test` with npm available")

    def check(page) -> list[str]:
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate("async () => (await axe.run()).violations")
        return [v["id"] for v in violations if v["impact"] in {"serious", "critical"}]

    return check


@pytest.fixture
def browser():
    """Headless Debian Chromium through Playwright; skipped (or failed in CI) when missing."""
    if not os.path.exists(CHROMIUM):
        message = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("CAC_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def en_index(db):
    from casestudies.factories import index_page

    return index_page("en")


@pytest.fixture
def ko_index(db):
    from casestudies.factories import index_page

    return index_page("ko")


# --- end foundation fixtures ---------------------------------------------------------


# --- elasticsearch fixtures ----------------------------------------------------------
# Integration tests against a real Elasticsearch (with the analysis-nori plugin) at
# ELASTICSEARCH_URL. Without one they are skipped with the reason; with
# CAC_REQUIRE_ELASTICSEARCH=1 (CI) they fail instead. Each test gets its own index prefix,
# deleted afterwards.
_elasticsearch_state: dict = {}


def _elasticsearch_unavailable(reason: str):
    if os.environ.get("CAC_REQUIRE_ELASTICSEARCH") == "1":
        pytest.fail(f"CAC_REQUIRE_ELASTICSEARCH=1 but {reason}")
    pytest.skip(reason)


def _elasticsearch_problem(url: str) -> str | None:
    """Why the server at `url` cannot run the tests (checked once per session), or None."""
    if "problem" not in _elasticsearch_state:
        from elasticsearch import Elasticsearch

        problem = None
        try:
            client = Elasticsearch(url, request_timeout=10, max_retries=0)
            client.info()
            plugins = client.cat.plugins(format="json").body
            if not any(row.get("component") == "analysis-nori" for row in plugins):
                problem = f"Elasticsearch at {url} lacks the analysis-nori plugin"
        except Exception as exc:  # noqa: BLE001 - any failure means "no usable server"
            problem = f"Elasticsearch at {url} does not answer: {exc}"
        _elasticsearch_state["problem"] = problem
    return _elasticsearch_state["problem"]


@pytest.fixture
def elasticsearch_backend():
    """An ElasticsearchSearchBackend on fresh, uniquely named indices; refreshes on every write."""
    import uuid

    url = os.environ.get("ELASTICSEARCH_URL", "")
    if not url:
        _elasticsearch_unavailable("ELASTICSEARCH_URL is not set (needs Elasticsearch with analysis-nori)")
    problem = _elasticsearch_problem(url)
    if problem:
        _elasticsearch_unavailable(problem)
    from search.backends.elasticsearch import ElasticsearchSearchBackend

    backend = ElasticsearchSearchBackend(
        url,
        index_prefix=f"cac-test-{uuid.uuid4().hex[:12]}",
        request_timeout=30,
        refresh_on_write=True,
        breaker_seconds=0,
    )
    try:
        yield backend
    finally:
        client = backend.client.options(ignore_status=404)
        names = list(client.indices.get(index=f"{backend.index_prefix}-*").body or {})
        if names:  # by name: clusters refuse wildcard deletes (action.destructive_requires_name)
            client.indices.delete(index=",".join(names))


# --- end elasticsearch fixtures ------------------------------------------------------


# --- search fixtures -----------------------------------------------------------------
SEARCH_BACKENDS = ["database", "elasticsearch"]


@pytest.fixture(params=SEARCH_BACKENDS)
def search_backend(request, settings, db):
    """Each search backend available here: the database always; Elasticsearch when
    ELASTICSEARCH_URL is set (skipped with the reason otherwise). Starts from an empty index."""
    from search import service

    if request.param == "elasticsearch":
        url = os.environ.get("ELASTICSEARCH_URL", "")
        if not url:
            pytest.skip("ELASTICSEARCH_URL is not set: the Elasticsearch contract tests need a server")
        settings.ELASTICSEARCH_URL = url
        settings.CAC_SEARCH_BACKEND = "elasticsearch"
        service.reset_backend()
        backend = service.get_backend()
        if backend.name != "elasticsearch":
            pytest.fail(f"ELASTICSEARCH_URL={url} is set but the Elasticsearch backend is unavailable")
        backend.rebuild()
    else:
        settings.CAC_SEARCH_BACKEND = "database"
        service.reset_backend()
        backend = service.get_backend()
    yield backend
    service.reset_backend()


@pytest.fixture
def indexing(search_backend, django_capture_on_commit_callbacks):
    """`with indexing(): ...` runs the index updates the block triggers (after-commit hooks
    included) and makes them visible to the backend before the block returns."""
    import contextlib

    @contextlib.contextmanager
    def _indexing():
        with django_capture_on_commit_callbacks(execute=True):
            yield
        refresh = getattr(search_backend, "refresh", None)
        if refresh is not None:
            refresh()

    return _indexing


@pytest.fixture(autouse=True)
def _fresh_search_vocabulary():
    """Synonyms and the spelling vocabulary are cached per process; a test's rollback cannot
    tell the cache, so each test starts from its own database."""
    from search import spelling, synonyms

    spelling.invalidate()
    synonyms.invalidate()
    yield


# --- end search fixtures -------------------------------------------------------------


# --- editorial fixtures --------------------------------------------------------------
@pytest.fixture
def make_user(db, django_user_model):
    """make_user("ann", "Editors", city=<City>): a user in those groups, a city editor when `city`."""
    from django.contrib.auth.models import Group

    from editorial.models import CityEditor

    def make(username, *groups, city=None, superuser=False):
        if superuser:
            return django_user_model.objects.create_superuser(username, f"{username}@example.org", "pw")
        user = django_user_model.objects.create_user(username, f"{username}@example.org", "pw")
        for name in groups:
            user.groups.add(Group.objects.get(name=name))
        if city is not None:
            CityEditor.objects.create(user=user, city=city)
        return user

    return make


@pytest.fixture
def city_a(db):
    from casestudies.factories import CityFactory

    return CityFactory(name="Aville", name_ko="에이시", slug="aville", country="KR")


@pytest.fixture
def city_b(db):
    from casestudies.factories import CityFactory

    return CityFactory(name="Beetown", name_ko="비시", slug="beetown", country="DE", continent="europe")


# --- end editorial fixtures ----------------------------------------------------------


# --- archive fixtures ----------------------------------------------------------------
# Test-only video ids (well-formed, never real): the demo data has no recording ids.
ARCHIVE_VIDEO_IDS = {"en": "testEN_0001", "ko": "testKO_0001"}


@pytest.fixture(scope="module")
def _archive_summit_module(django_db_setup, django_db_blocker):
    """Loads the summit once per test module, in a transaction rolled back after the module (the
    way Django's TestCase.setUpTestData works): each test runs in a savepoint inside it. Not for
    modules with transactional tests (they would flush the tables mid-module)."""
    from django.db import transaction

    from archive.loaders import load_summit
    from archive.models import SummitPage

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            load_summit()
            pks = {code: SummitPage.objects.get(locale__language_code=code).pk for code in ("en", "ko")}
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    yield pks
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def archive_summit(_archive_summit_module, db):
    """The CAC Global Summit 2020 (15 sessions) in English and Korean, loaded by archive.loaders."""
    from archive.models import SummitPage

    return {code: SummitPage.objects.get(pk=pk) for code, pk in _archive_summit_module.items()}


@pytest.fixture
def archive_case(db):
    """A live quarantine case in Seoul, in English and (as its translation) in Korean."""
    from wagtail.models import Locale

    from casestudies.factories import CaseStudyPageFactory, CityFactory, index_page

    index_page("en")
    index_page("ko")
    seoul = CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR")
    case = CaseStudyPageFactory(title="Drive-through screening stations", city=seoul, areas=["quarantine"])
    translation = case.copy_for_translation(Locale.objects.get(language_code="ko"))
    translation.title = "드라이브스루 선별진료소"
    translation.summary = "차에 탄 채로 검사를 받는 선별진료소를 운영했다."
    translation.save_revision().publish()
    return {"en": case, "ko": translation}


@pytest.fixture
def archive_chapters(archive_summit, archive_case):
    """The quarantine session (both languages) with an English and a Korean recording and chapters;
    the case is reached only through chapters (it did not exist when the summit was loaded)."""
    from archive.models import SessionChapter, SessionPage, SessionRecording

    sessions = {}
    keys = [uuid.uuid4() for _ in range(3)]  # a chapter and its translation share one key
    for code in ("en", "ko"):
        session = SessionPage.objects.get(slug="quarantine", locale__language_code=code)
        session.recordings = [
            SessionRecording(language="en", video_id=ARCHIVE_VIDEO_IDS["en"], duration=5400),
            SessionRecording(language="ko", video_id=ARCHIVE_VIDEO_IDS["ko"], duration=5400),
        ]
        session.chapters = [
            SessionChapter(
                translation_key=keys[0], language="en", offset=0, title="Opening" if code == "en" else "개회"
            ),
            SessionChapter(
                translation_key=keys[1],
                language="en",
                offset=3730,
                title="Seoul's drive-through testing" if code == "en" else "서울의 드라이브스루 검사",
                case_study=archive_case[code],
            ),
            SessionChapter(
                translation_key=keys[2],
                language="ko",
                offset=3700,
                title="Seoul's drive-through testing" if code == "en" else "서울의 드라이브스루 검사",
                case_study=archive_case[code],
            ),
        ]
        session.save_revision().publish()
        sessions[code] = SessionPage.objects.get(pk=session.pk)
    return sessions


# --- end archive fixtures ------------------------------------------------------------


# --- opendata fixtures ---------------------------------------------------------------
@pytest.fixture
def opendata_cases(db):
    """Live cases in three cities (en; one also in ko), plus a draft and a private case that must
    never come out of an export, a feed, a chart or the API. Indexed by the search signals."""
    import datetime

    from wagtail.models import Locale, PageViewRestriction

    from casestudies.factories import CaseStudyPageFactory, CityFactory, MeasureTypeFactory, index_page

    index_page("en")
    index_page("ko")
    seoul = CityFactory(
        name="Seoul",
        name_ko="서울",
        slug="seoul",
        country="KR",
        continent="asia",
        latitude=37.5665,
        longitude=126.978,
    )
    paris = CityFactory(
        name="Paris",
        name_ko="파리",
        slug="paris",
        country="FR",
        continent="europe",
        latitude=48.8566,
        longitude=2.3522,
    )
    nairobi = CityFactory(
        name="Nairobi",
        name_ko="나이로비",
        slug="nairobi",
        country="KE",
        continent="africa",
        latitude=-1.2921,
        longitude=36.8219,
    )
    testing = MeasureTypeFactory(name="Testing", name_ko="진단검사", slug="testing")
    bikes = MeasureTypeFactory(name="Pop-up bike lanes", name_ko="임시 자전거도로", slug="pop-up-bike-lanes")
    seoul_case = CaseStudyPageFactory(
        title="Drive-through screening stations",
        slug="drive-through",
        city=seoul,
        areas=["quarantine"],
        measures=[testing],
        start_date=datetime.date(2020, 3, 1),
        summary="Tests without leaving the car.",
        contact_organisation="Seoul Metropolitan Government",
        contact_email="covid@seoul.example",
    )
    paris_case = CaseStudyPageFactory(
        title="Coronapistes: pop-up bike lanes",
        slug="coronapistes",
        city=paris,
        areas=["public-transportation", "climate-environment"],
        measures=[bikes],
        start_date=datetime.date(2020, 5, 11),
        end_date=datetime.date(2020, 12, 31),
        summary="Temporary cycle lanes along metro lines.",
    )
    nairobi_case = CaseStudyPageFactory(
        title="Radio lessons for pupils",
        slug="radio-lessons",
        city=nairobi,
        areas=["education"],
        start_date=datetime.date(2020, 4, 6),
        summary="School lessons on the radio.",
    )
    seoul_ko = seoul_case.copy_for_translation(Locale.objects.get(language_code="ko"))
    seoul_ko.title = "드라이브스루 선별진료소"
    seoul_ko.summary = "차에 탄 채로 검사를 받는다."
    seoul_ko.save_revision().publish()
    draft = CaseStudyPageFactory(
        title="Secret draft plan",
        slug="secret-draft",
        city=seoul,
        areas=["quarantine"],
        start_date=datetime.date(2020, 3, 2),
        summary="Not public yet.",
    )
    draft.unpublish()
    private = CaseStudyPageFactory(
        title="Private restricted case",
        slug="private-case",
        city=paris,
        areas=["quarantine"],
        start_date=datetime.date(2020, 3, 3),
        summary="Behind a password.",
    )
    PageViewRestriction.objects.create(page=private, restriction_type="password", password="secret")
    from casestudies.models import CaseStudyPage

    fresh = {case.pk: case for case in CaseStudyPage.objects.all()}  # with their published dates
    seoul_case, paris_case, nairobi_case, seoul_ko, draft, private = (
        fresh[case.pk] for case in (seoul_case, paris_case, nairobi_case, seoul_ko, draft, private)
    )
    return {
        "seoul": seoul_case,
        "paris": paris_case,
        "nairobi": nairobi_case,
        "seoul_ko": seoul_ko,
        "draft": draft,
        "private": private,
        "cities": {"seoul": seoul, "paris": paris, "nairobi": nairobi},
    }


@pytest.fixture
def opendata_no_ratelimit(settings):
    """A fresh rate-limit count for the test (the local-memory cache outlives a test)."""
    from django.core.cache import cache

    cache.clear()
    yield settings
    cache.clear()


# --- end opendata fixtures -----------------------------------------------------------


# --- community fixtures --------------------------------------------------------------
COMMUNITY_CONTACT = "covid-team@seoul.example"


@pytest.fixture
def community_case(db):
    """A live case in Seoul with a contact e-mail, in English and (as its translation) in Korean."""
    from wagtail.models import Locale

    from casestudies.factories import CaseStudyPageFactory, CityFactory, index_page

    index_page("en")
    index_page("ko")
    seoul = CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR")
    case = CaseStudyPageFactory(
        title="Drive-through screening stations",
        slug="drive-through",
        city=seoul,
        areas=["quarantine"],
        contact_organisation="Seoul Metropolitan Government",
        contact_email=COMMUNITY_CONTACT,
    )
    translation = case.copy_for_translation(Locale.objects.get(language_code="ko"))
    translation.title = "드라이브스루 선별진료소"
    translation.summary = "차에 탄 채로 검사를 받는 선별진료소를 운영했다."
    translation.save_revision().publish()
    return {"en": case, "ko": translation}


@pytest.fixture
def community_no_ratelimit():
    """A fresh rate-limit count for the test (the local-memory cache outlives a test)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def _community_demo_module(_archive_summit_module, django_db_blocker):
    """The summit (archive fixture) plus the community demo content, loaded once per module inside
    a transaction rolled back after the module. Not for transactional tests."""
    from django.db import transaction

    from community import loaders as community_loaders

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            stats = community_loaders.load_demo()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    yield stats
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def community_demo(_community_demo_module, archive_summit):
    """The summit and the community demo pages (companies, media archive, related links), en + ko."""
    return {"stats": _community_demo_module, "summit": archive_summit}


@pytest.fixture
def frozen_now():
    """`with frozen_now(dt): ...` freezes django.utils.timezone.now at an aware datetime."""
    import contextlib
    from unittest import mock

    @contextlib.contextmanager
    def freeze(moment):
        with mock.patch("django.utils.timezone.now", return_value=moment):
            yield moment

    return freeze


# --- end community fixtures ----------------------------------------------------------
