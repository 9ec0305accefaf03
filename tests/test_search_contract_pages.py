"""The search contract, continued: every backend ranks and highlights a few pages written for the
test, and keeps its index to what the public may see as pages are drafted, published, made
private, moved, deleted, expired and translated. Each test writes its own pages (the fixed corpus
that most of the contract reads is in tests/test_search_contract.py)."""

from __future__ import annotations

import io
from datetime import timedelta
from unittest import mock

import pytest

from django.core.management import call_command
from django.utils import timezone

from wagtail.models import Page, PageViewRestriction

from search.factories import index_page, make_case

from .search_contract import D, found, own, rebuild, titles

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------------------------
# Ranking and highlighting
# ------------------------------------------------------------------------------------------------
def test_postgresql_ranks_the_first_candidates_title_matches_first(search_backend, indexing, monkeypatch):
    # PostgreSQL reads each ranked document's tsvector, so it ranks only the LEXICAL_WINDOW
    # candidates first by groups matched, then a title match, then newest: with a window of
    # one, the old case with the word in its title is the one ranked, and the newer body-only
    # matches still count and follow it.
    from django.db import connection

    if search_backend.name != "database" or connection.vendor != "postgresql":
        pytest.skip("the rescoring window is the PostgreSQL ranking's")
    from search.backends import database

    with indexing():
        make_case("Ferry timetables in winter", summary="Boats ran less often.", start_date=D(2020, 2, 1))
        for month in (3, 4, 5):
            make_case(
                f"Harbour plan {month}",
                summary="The ferry ran every hour and the ferry crews rested.",
                start_date=D(2021, month, 1),
            )
    full = search_backend.search(own(language="en", query="ferry", page_size=10))
    monkeypatch.setattr(database, "LEXICAL_WINDOW", 1)
    windowed = search_backend.search(own(language="en", query="ferry", page_size=10))
    assert windowed.count == full.count == 4
    assert set(titles(windowed)) == set(titles(full))
    assert titles(windowed)[0] == "Ferry timetables in winter"
    assert windowed.facets == full.facets


def test_title_match_ranks_first(search_backend, indexing):
    with indexing():
        make_case(
            "Museum reopening plan",
            summary="Museums reopened with timed tickets.",
            text="Visitors followed one-way routes; "
            + "galleries stayed quiet. " * 30
            + "Wardens watched lanes.",
            start_date=D(2021, 6, 1),
        )
        make_case(
            "Lanes for walking",
            summary="Streets closed to cars so people could walk lanes.",
            start_date=D(2020, 1, 1),
        )
    response = search_backend.search(own(language="en", query="lanes"))
    assert titles(response) == ["Lanes for walking", "Museum reopening plan"]
    assert response.hits[0].score is not None and response.hits[0].score > response.hits[1].score


def test_a_korean_word_needs_all_of_its_parts(search_backend, indexing):
    """보조금 (subsidy) is analysed as 보조 + 금: a case holding only the one-syllable part (금,
    gold) is not a match for it, one writing the word, or its parts apart, is."""
    with indexing():
        make_case("환기 보조금", summary="식당 환기 설비에 보조금을 지급했다.", language="ko")
        make_case("보조 인력", summary="보조 인력이 금요일마다 방역했다.", language="ko")
        make_case("금 시장", summary="금 거래소가 문을 닫았다.", language="ko")
    assert found(search_backend, "보조금", "ko") == {"환기 보조금", "보조 인력"}
    response = search_backend.search(own(language="ko", query="환기 보조금을"))
    assert titles(response)[0] == "환기 보조금"
    assert set(titles(response)) == {"환기 보조금", "보조 인력"}
    # A word written alone beside a longer one keeps its own group: 지원 alone still matches.
    with indexing():
        make_case("생활 지원", summary="주민 생활을 도왔다.", language="ko")
    assert "생활 지원" in found(search_backend, "지원금 지원", "ko")


def test_highlight_marks_matched_words_and_escapes(search_backend, indexing):
    with indexing():
        make_case("Cycle lanes <b>now</b>", summary="Cycling & <script>alert(1)</script> more cycle lanes.")
    hit = search_backend.search(own(language="en", query="cycling")).hits[0]
    assert "<mark>Cycling</mark>" in hit.highlight
    assert "<mark>cycle</mark>" in hit.highlight
    assert "<script>" not in hit.highlight and "&lt;script&gt;" in hit.highlight
    assert hit.title == "Cycle lanes <b>now</b>"  # raw; templates escape it


def test_ties_go_to_the_newest_page(search_backend, indexing):
    with indexing():
        first = make_case("Twin alpha", start_date=D(2020, 6, 1))
        second = make_case("Twin beta", start_date=D(2020, 6, 1))
        make_case("Undated-like older", start_date=D(2019, 1, 1))
    assert second.pk > first.pk
    browse = search_backend.search(own(language="en"))
    assert titles(browse) == ["Twin beta", "Twin alpha", "Undated-like older"]
    newest = search_backend.search(own(language="en", query="twin", sort="newest"))
    assert titles(newest) == ["Twin beta", "Twin alpha"]


# ------------------------------------------------------------------------------------------------
# Only what the public may see, kept in sync
# ------------------------------------------------------------------------------------------------
def everywhere(backend, word: str, language: str = "en") -> dict:
    """Where a page titled with `word` shows up: results, facet counts, suggestions."""
    response = backend.search(own(language=language, query=word))
    browse = backend.search(own(language=language, page_size=100))
    return {
        "results": [hit.title for hit in response.hits],
        "browse": [hit.title for hit in browse.hits if word.lower() in hit.title.lower()],
        "sports_facet": browse.facets["area"].get("sports", 0),
        "suggest": [s.label for s in backend.suggest(language, word[:5]) if s.kind in ("case", "session")],
    }


NOWHERE = {"results": [], "browse": [], "sports_facet": 0, "suggest": []}


def test_drafts_are_never_indexed(search_backend, indexing):
    with indexing():
        make_case("Zeppelin draft", areas=["sports"], publish=False)
    assert everywhere(search_backend, "Zeppelin") == NOWHERE
    with indexing():
        rebuild()
    assert everywhere(search_backend, "Zeppelin") == NOWHERE


def test_unpublished_revisions_are_not_indexed(search_backend, indexing):
    with indexing():
        page = make_case("Quokka census", summary="Counting animals.")
    page.title = "Wombat secret"
    with indexing():
        page.save_revision()  # a draft of a live page
    assert everywhere(search_backend, "Wombat") == NOWHERE
    assert everywhere(search_backend, "Quokka")["results"] == ["Quokka census"]
    with indexing():
        rebuild()
    assert everywhere(search_backend, "Wombat") == NOWHERE
    with indexing():
        page.get_latest_revision().publish()
    assert everywhere(search_backend, "Wombat")["results"] == ["Wombat secret"]
    assert everywhere(search_backend, "Quokka") == NOWHERE


def test_publish_and_unpublish(search_backend, indexing):
    with indexing():
        page = make_case("Zeppelin rides", areas=["sports"])
    assert everywhere(search_backend, "Zeppelin") == {
        "results": ["Zeppelin rides"],
        "browse": ["Zeppelin rides"],
        "sports_facet": 1,
        "suggest": ["Zeppelin rides"],
    }
    with indexing():
        page.unpublish()
    assert everywhere(search_backend, "Zeppelin") == NOWHERE
    with indexing():
        page.get_latest_revision().publish()
    assert everywhere(search_backend, "Zeppelin")["results"] == ["Zeppelin rides"]


def test_private_pages_are_hidden(search_backend, indexing):
    with indexing():
        page = make_case("Zeppelin private", areas=["sports"])
        restriction = PageViewRestriction.objects.create(page=page, restriction_type="password", password="x")
    assert everywhere(search_backend, "Zeppelin") == NOWHERE
    with indexing():
        restriction.delete()
    assert everywhere(search_backend, "Zeppelin")["results"] == ["Zeppelin private"]
    # A restriction on an ancestor hides the whole section.
    with indexing():
        PageViewRestriction.objects.create(page=index_page("en"), restriction_type="login")
    assert everywhere(search_backend, "Zeppelin") == NOWHERE
    with indexing():
        rebuild()
    assert everywhere(search_backend, "Zeppelin") == NOWHERE


def test_moving_pages_updates_urls_and_visibility(search_backend, indexing):
    home = index_page("en").get_parent()
    with indexing():
        page = make_case("Zeppelin moves", areas=["sports"])
        private = home.add_child(instance=Page(title="Members", slug="members"))
        PageViewRestriction.objects.create(page=private, restriction_type="login")
        public = home.add_child(instance=Page(title="Archive", slug="archive-section"))
    with indexing():
        page.move(private, pos="last-child")
    assert everywhere(search_backend, "Zeppelin") == NOWHERE
    with indexing():
        Page.objects.get(pk=page.pk).move(public, pos="last-child")
    hits = search_backend.search(own(language="en", query="Zeppelin")).hits
    assert [hit.url for hit in hits] == ["/en/archive-section/zeppelin-moves/"]


def test_moving_a_section_reindexes_its_subtree(search_backend, indexing):
    home = index_page("en").get_parent()
    with indexing():
        make_case("Zeppelin subtree")
        section = home.add_child(instance=Page(title="Section", slug="section"))
    with indexing():
        Page.objects.get(pk=index_page("en").pk).move(section, pos="last-child")
    hits = search_backend.search(own(language="en", query="Zeppelin")).hits
    assert [hit.url for hit in hits] == ["/en/section/cases/zeppelin-subtree/"]


def test_deleted_pages_disappear(search_backend, indexing):
    with indexing():
        page = make_case("Zeppelin deleted", areas=["sports"])
        other = make_case("Zeppelin kept")
    with indexing():
        Page.objects.get(pk=page.pk).delete()
    assert everywhere(search_backend, "Zeppelin")["results"] == ["Zeppelin kept"]
    with indexing():
        index_page("en").delete()  # a whole section
    assert everywhere(search_backend, "Zeppelin") == NOWHERE
    assert not Page.objects.filter(pk=other.pk).exists()


def test_expired_pages_are_hidden(search_backend, indexing):
    with indexing():
        make_case("Zeppelin expiring", areas=["sports"], expire_at=timezone.now() + timedelta(days=1))
    assert everywhere(search_backend, "Zeppelin")["results"] == ["Zeppelin expiring"]
    later = timezone.now() + timedelta(days=2)
    with mock.patch("django.utils.timezone.now", return_value=later), indexing():
        call_command("publish_scheduled", stdout=io.StringIO())
    assert everywhere(search_backend, "Zeppelin") == NOWHERE


def test_translation_published_later(search_backend, indexing):
    from wagtail.models import Locale

    with indexing():
        page = make_case("Zeppelin translated")
        index_page("ko")
        translation = page.copy_for_translation(Locale.objects.get(language_code="ko"))
    assert found(search_backend, "", "ko") == set()  # a translation starts as a draft
    translation.title = "비행선 번역"
    translation.summary = "비행선을 탄다."
    with indexing():
        translation.save_revision().publish()
    assert found(search_backend, "비행선", "ko") == {"비행선 번역"}
    assert found(search_backend, "Zeppelin", "en") == {"Zeppelin translated"}
    assert found(search_backend, "Zeppelin", "ko") == set()
