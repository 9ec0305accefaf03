"""Sessions are documents of the search service: their own type, their language, their text."""

import datetime

import pytest

from django.http import QueryDict

from archive.models import SessionPage
from search import service
from search.documents import build_document, get_document_builder

pytestmark = pytest.mark.django_db


def session(slug, language="en"):
    return SessionPage.objects.get(slug=slug, locale__language_code=language)


def search(language, query="", **filters):
    params = QueryDict(mutable=True)
    params["q"] = query
    for key, values in filters.items():
        params.setlist(key, values if isinstance(values, list) else [values])
    return service.search(service.parse_request(params, language))


def test_a_builder_is_registered_for_sessions():
    assert get_document_builder(SessionPage) is not None


def test_session_document(archive_chapters):
    page = archive_chapters["en"]
    document = build_document(page)
    assert document.doc_type == "session"
    assert document.language == "en"
    assert document.title == page.title
    assert document.summary == page.topic
    for text in (
        "quarantine measures of the SMG",
        "Na Baek-ju",
        "Director-General",
        "Seoul Metropolitan Government",
        "drive-through",
    ):
        assert text.lower() in document.body_text.lower(), text
    assert "Los Angeles" in document.body_text  # from the description
    assert "<p>" not in document.body_text
    assert document.area_slugs == ["quarantine"]
    assert document.country == "US"
    assert document.start_date == datetime.date(2020, 6, 3)
    assert document.year == 2020
    assert document.url_path == page.url


def test_start_date_is_the_day_in_seoul(archive_summit):
    # 07:45 KST on 5 June is 22:45 UTC on 4 June.
    assert build_document(session("smart-city")).start_date == datetime.date(2020, 6, 5)


def test_sessions_without_area_or_country(archive_summit):
    document = build_document(session("innovative-companies-ir", "ko"))
    assert document.language == "ko"
    assert document.area_slugs == [] and document.country == ""


def test_sessions_are_found_by_speaker_topic_and_chapter(archive_chapters):
    titles = [hit.title for hit in search("en", "Bowles", type="session").hits]
    assert titles == ["Discussion on Climate & Environment"]
    hits = search("en", "drive-through", type="session").hits
    assert [hit.page_id for hit in hits] == [archive_chapters["en"].pk]
    assert all(hit.doc_type == "session" for hit in hits)
    assert search("en", "distance learning", type="session").count >= 1


def test_korean_sessions_are_found_in_korean_only(archive_summit):
    response = search("ko", "최재천", type="session")
    assert [hit.title for hit in response.hits] == ["기후·환경 분야 토론"]
    assert all(hit.locale == "ko" for hit in search("ko", "", type="session").hits)
    assert search("ko", "", type="session").count == 15
    assert search("en", "", type="session").count == 15


def test_type_filter_keeps_sessions_apart_from_cases(archive_summit):
    assert search("en", "Bowles", type="case").count == 0
    assert search("en", "", type="session", area="welfare").count == 1


def test_unpublished_session_leaves_the_index(archive_summit):
    page = session("sports")
    page.unpublish()
    hits = search("en", "", type="session", page_size="100").hits
    assert page.pk not in {hit.page_id for hit in hits}
    # Its Korean version, still live, now stands for it in English searches (labelled Korean).
    stand_in = [hit for hit in hits if hit.language == "ko"]
    assert len(stand_in) == 1 and not stand_in[0].translated
    assert search("en", "", type="session", lang="en").count == 14
