"""Keep the search index in sync with the page tree (connected in SearchConfig.ready).

Every change that can make a page enter or leave the public, live set, or change its URL,
re-indexes the affected pages; `index_pages` decides, page by page, whether it belongs.
"""

from __future__ import annotations

import logging

from django.db.models.signals import post_delete, post_save

from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from search import service

logger = logging.getLogger(__name__)

BATCH = 500
# The uid of the handler that search.indexing.paused() turns off while a bulk writer works.
PAGE_PUBLISHED_UID = "search.page_published"


def subtree_ids(page: Page) -> list[int]:
    return list(Page.objects.filter(path__startswith=page.path).values_list("pk", flat=True))


def reindex_subtree(page: Page) -> None:
    ids = subtree_ids(page)
    for start in range(0, len(ids), BATCH):
        service.index_pages(ids[start : start + BATCH])


def on_page_published(sender, instance, **kwargs):
    # A page published under a private or unpublished-but-routable parent is still decided
    # page by page; its subtree's URLs may have changed with its slug (handled below).
    service.index_pages([instance.pk])


def on_page_unpublished(sender, instance, **kwargs):
    # Not live any more, so out of the index. Never re-read the page here: Wagtail also sends this
    # signal from pre_delete, with the row still live, and re-indexing it then would leave a
    # document pointing at a deleted page.
    service.remove_pages([instance.pk])


def on_page_moved(sender, instance, **kwargs):
    # URLs of the whole subtree changed, and it may have entered or left a private section.
    reindex_subtree(Page.objects.get(pk=instance.pk))


def on_slug_changed(sender, instance, **kwargs):
    reindex_subtree(Page.objects.get(pk=instance.pk))


def on_page_deleted(sender, instance, **kwargs):
    # The document row goes with the page (CASCADE); other backends are told after commit.
    service.pages_deleted([instance.pk], [getattr(instance, "translation_key", None)])


def on_restriction_changed(sender, instance, origin=None, **kwargs):
    if origin is not None and _origin_model(origin) is not None:
        # Deleted along with its page: the page deletion takes care of the index.
        return
    try:
        page = Page.objects.get(pk=instance.page_id)
    except Page.DoesNotExist:  # the restriction went with its page
        return
    reindex_subtree(page)


def _origin_model(origin):
    """The model a deletion started from, when it is not a view restriction (None otherwise)."""
    model = getattr(origin, "model", None) or type(origin)
    return None if issubclass(model, PageViewRestriction) else model


def on_city_saved(sender, instance, **kwargs):
    from search.models import SearchDocument

    ids = SearchDocument.objects.filter(city_id=instance.pk).values_list("page_id", flat=True)
    service.index_pages(list(ids))


def on_measure_saved(sender, instance, **kwargs):
    from casestudies.models import TaggedCaseStudy

    ids = TaggedCaseStudy.objects.filter(tag_id=instance.pk).values_list("content_object_id", flat=True)
    service.index_pages(list(ids))


def on_measure_deleted(sender, instance, **kwargs):
    from search.models import SearchDocumentMeasure

    ids = SearchDocumentMeasure.objects.filter(slug=instance.slug).values_list("document__page_id", flat=True)
    service.index_pages(list(ids))


def connect() -> None:
    from casestudies.models import City, MeasureType

    page_published.connect(on_page_published, dispatch_uid=PAGE_PUBLISHED_UID)
    page_unpublished.connect(on_page_unpublished, dispatch_uid="search.page_unpublished")
    post_page_move.connect(on_page_moved, dispatch_uid="search.post_page_move")
    page_slug_changed.connect(on_slug_changed, dispatch_uid="search.page_slug_changed")
    # Deleting a specific page also deletes its `Page` row: listening on Page sees every deletion once.
    post_delete.connect(on_page_deleted, sender=Page, dispatch_uid="search.page_deleted")
    post_save.connect(on_restriction_changed, sender=PageViewRestriction, dispatch_uid="search.pvr_saved")
    post_delete.connect(on_restriction_changed, sender=PageViewRestriction, dispatch_uid="search.pvr_deleted")
    post_save.connect(on_city_saved, sender=City, dispatch_uid="search.city_saved")
    post_save.connect(on_measure_saved, sender=MeasureType, dispatch_uid="search.measure_saved")
    post_delete.connect(on_measure_deleted, sender=MeasureType, dispatch_uid="search.measure_deleted")
