"""search.indexing.paused(): the one seam a bulk writer uses to turn the per-page indexing off (issue 14).

Pages published inside are indexed once, on exit, in both indexes (the site's and Wagtail's search
backends); an exception inside indexes nothing and leaves the handlers connected again.
"""

from __future__ import annotations

import pytest

from modelsearch import signal_handlers as modelsearch_signals

from casestudies.models import CaseStudyPage
from search import indexing, service
from search.factories import make_case
from search.models import SearchDocument

pytestmark = pytest.mark.django_db


class Recorder:
    """Stands in for modelsearch's per-save indexing task, recording what it would have indexed."""

    def __init__(self) -> None:
        self.saved: list[str] = []

    def enqueue(self, app_label: str, model_name: str, pk: str) -> None:
        self.saved.append(pk)


@pytest.fixture
def calls(monkeypatch):
    """Every call of the site index (`service.index_pages`) with pages (a new city asks with none) and
    what modelsearch's per-save handler was asked to index."""
    site: list[list[int]] = []
    index_pages = service.index_pages

    def recording(page_ids):
        page_ids = list(page_ids)
        if page_ids:
            site.append(page_ids)
        index_pages(page_ids)

    monkeypatch.setattr(service, "index_pages", recording)
    per_save = Recorder()
    monkeypatch.setattr(modelsearch_signals, "insert_or_update_object_task", per_save)
    return site, per_save.saved


def indexed(page) -> bool:
    return SearchDocument.objects.filter(page_id=page.pk).exists()


def test_pages_published_inside_are_indexed_once_on_exit(calls):
    site, per_save = calls
    with indexing.paused(CaseStudyPage):
        first = make_case("Drive-through testing")
        second = make_case("Walk-through booths")
        assert not indexed(first) and not indexed(second)
        assert site == [] and str(first.pk) not in per_save and str(second.pk) not in per_save
    assert indexed(first) and indexed(second)
    assert site == [[first.pk, second.pk]]  # one call, both pages
    # Wagtail's search backends were given the pages in bulk instead of one task per save.
    assert str(first.pk) not in per_save and str(second.pk) not in per_save


def test_pages_given_to_index_are_not_indexed_again_on_exit(calls):
    site, _ = calls
    with indexing.paused(CaseStudyPage) as paused:
        page = make_case("Drive-through testing")
        paused.index([page])
        assert indexed(page)
    assert site == [[page.pk]]


def test_an_exception_inside_indexes_nothing_and_reconnects_the_handlers(calls):
    site, per_save = calls
    with pytest.raises(RuntimeError), indexing.paused(CaseStudyPage):
        inside = make_case("Drive-through testing")
        raise RuntimeError("the import failed")
    assert not indexed(inside) and site == []
    after = make_case("Walk-through booths")
    assert indexed(after)  # the site index's page_published handler is back
    assert str(after.pk) in per_save  # and modelsearch's post_save handler
    assert site == [[after.pk]]


def test_saves_of_other_models_are_indexed_as_usual(calls):
    _, per_save = calls
    with indexing.paused():  # no model: Wagtail's search backends keep indexing every save
        page = make_case("Drive-through testing")
        assert str(page.pk) in per_save
    assert indexed(page)
