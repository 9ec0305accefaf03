"""Anonymous pages come from the cache; publishing, unpublishing or deleting empties it."""

import pytest

from django.core.cache import caches

from wagtail.models import Page

from casestudies.factories import CaseStudyPageFactory
from casestudies.models import CaseStudyPage
from questions.models import CaseQuestion

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_cache(settings):
    settings.CAC_PAGE_CACHE_SECONDS = 300
    caches["pages"].clear()
    yield caches["pages"]
    caches["pages"].clear()


def test_anonymous_page_is_served_from_the_cache_until_published(
    client, en_index, page_cache, django_capture_on_commit_callbacks
):
    case = CaseStudyPageFactory(title="Original title")
    assert "Original title" in client.get(en_index.url).content.decode()
    # A change that bypasses publishing (and its signals) is not seen: the cached page is served.
    Page.objects.filter(pk=case.pk).update(title="Sneaky title")
    assert "Original title" in client.get(en_index.url).content.decode()
    case.refresh_from_db()
    case.title = "Published title"
    with django_capture_on_commit_callbacks(execute=True):
        case.save_revision().publish()
    assert "Published title" in client.get(en_index.url).content.decode()


def test_unpublished_and_deleted_pages_disappear_once_committed(
    client, en_index, page_cache, django_capture_on_commit_callbacks
):
    case = CaseStudyPageFactory()
    url = case.url
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        case.unpublish()
    assert client.get(url).status_code == 404
    other = CaseStudyPageFactory()
    other_url = other.url
    assert client.get(other_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        other.delete()
    assert client.get(other_url).status_code == 404


def test_the_cache_is_emptied_after_the_commit_and_once_per_transaction(
    client, en_index, page_cache, django_capture_on_commit_callbacks, monkeypatch
):
    cases = [CaseStudyPageFactory(title=f"Imported {n}") for n in range(3)]
    assert client.get(cases[0].url).status_code == 200
    emptied = []
    monkeypatch.setattr("ops.cache.clear_page_cache", lambda **kwargs: emptied.append(True))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for case in cases:
            case.title = f"{case.title}, revised"
            case.save_revision().publish()
        # Not before the commit: a visitor in between would store the old page again.
        assert emptied == []
    for callback in callbacks:
        callback()
    assert emptied == [True]


def test_a_page_rendered_before_a_publish_and_stored_after_it_is_never_served(rf, en_index, page_cache):
    """A request reads the old content, a publish (on this host or another) empties the cache, then
    the request stores its page: that page must not be served for the cache's whole timeout."""
    from django.http import HttpResponse

    from ops.cache import FetchPageCacheMiddleware, UpdatePageCacheMiddleware, clear_page_cache

    fetch = FetchPageCacheMiddleware(lambda request: None)
    update = UpdatePageCacheMiddleware(lambda request: None)
    slow = rf.get(en_index.url)
    assert fetch.process_request(slow) is None  # a miss: the page is rendered from the old content
    clear_page_cache()  # what the publish does once committed
    update.process_response(slow, HttpResponse("old content"))
    fresh = rf.get(en_index.url)
    assert fetch.process_request(fresh) is None
    update.process_response(fresh, HttpResponse("new content"))
    assert fetch.process_request(rf.get(en_index.url)).content == b"new content"


def test_emptying_redis_deletes_the_generation_before_the_pages(monkeypatch, settings):
    """Redis deletes the pages by a scan, not at once: a page stored behind the scan is dropped by its
    request only if the generation had already changed when it looked again."""
    from ops.cache import CONTENT_GENERATION_KEY, clear_page_cache

    calls = []

    class RedisCache:
        def delete(self, key):
            calls.append(("delete", key))

        def delete_pattern(self, pattern):
            calls.append(("delete_pattern", pattern))

    monkeypatch.setattr("ops.cache.caches", {settings.CACHE_MIDDLEWARE_ALIAS: RedisCache()})
    clear_page_cache()
    assert calls == [("delete", CONTENT_GENERATION_KEY), ("delete_pattern", "*")]


def test_logged_in_editors_are_never_served_cached_pages(client, en_index, page_cache, django_user_model):
    case = CaseStudyPageFactory(title="Cached for visitors")
    client.get(en_index.url)
    Page.objects.filter(pk=case.pk).update(title="Fresh for editors")
    client.force_login(django_user_model.objects.create_user("editor", password="x"))
    assert "Fresh for editors" in client.get(en_index.url).content.decode()


def test_page_cache_is_off_by_default_in_tests(client, en_index):
    case = CaseStudyPageFactory(title="First")
    client.get(case.url)
    Page.objects.filter(pk=case.pk).update(title="Second")
    assert "Second" in client.get(case.url).content.decode()


def test_case_pages_with_the_question_form_come_from_the_cache(client, en_index, page_cache):
    """The question form carries no per-visitor token, so a case page is cached like any other."""
    case = CaseStudyPageFactory(title="Cached case", contact_email="health@city.example")
    first = client.get(case.url)
    assert 'id="ask-a-question"' in first.content.decode()
    assert "csrftoken" not in first.cookies
    Page.objects.filter(pk=case.pk).update(title="Changed behind the cache")
    assert "Cached case" in client.get(case.url).content.decode()


def test_an_answer_published_under_a_case_empties_the_cache(
    client, en_index, page_cache, django_capture_on_commit_callbacks
):
    """Questions live in their own app (questions): saving one still empties the page cache."""
    case = CaseStudyPageFactory(title="Cached case", contact_email="health@city.example")
    question = CaseQuestion.objects.create(
        case=case,
        name="Ana",
        organisation="Aville",
        city="Aville",
        email="a@example.org",
        message="How long?",
    )
    assert "Two weeks, all told." not in client.get(case.url).content.decode()
    question.answer, question.publish_answer = "Two weeks, all told.", True
    with django_capture_on_commit_callbacks(execute=True):
        question.save()
    assert "Two weeks, all told." in client.get(case.url).content.decode()


def streamed(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def test_downloads_are_kept_until_the_next_publish(
    client, opendata_cases, opendata_no_ratelimit, page_cache, django_capture_on_commit_callbacks
):
    first = streamed(client.get("/en/data/cases.csv?area=education"))
    case = CaseStudyPage.objects.get(title="Radio lessons for pupils")
    CaseStudyPage.objects.filter(pk=case.pk).update(title="Changed behind the cache")
    second = client.get("/en/data/cases.csv?area=education")
    assert streamed(second) == first  # the kept file (tests/test_download_files.py)
    assert second["Content-Disposition"].startswith("attachment;")
    case.title = "Radio lessons, revised"
    with django_capture_on_commit_callbacks(execute=True):
        case.save_revision().publish()
    assert "Radio lessons, revised" in streamed(client.get("/en/data/cases.csv?area=education"))
