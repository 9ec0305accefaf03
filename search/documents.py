"""What gets indexed: one `IndexedDocument` per live, public page, built by a registered builder.

Every backend indexes these documents (the database backend analyses them with
`search.analysis`, Elasticsearch with its own analysers), so a page type becomes searchable
everywhere by registering one builder::

    from search.documents import IndexedDocument, register_document_builder

    @register_document_builder(SessionPage, prepare=lambda qs: qs.select_related("summit"))
    def session_document(page: SessionPage) -> IndexedDocument:
        return IndexedDocument(page_id=page.pk, doc_type="session", ...)

`prepare` (optional) adds `select_related`/`prefetch_related` to the queryset that batch
indexing loads pages with. A builder may return None to keep a page out of the index.
Which pages are indexed at all (live, public, not an alias, not expired) is decided here,
never by a builder.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from wagtail.models import Page, PageViewRestriction
from wagtail.rich_text import get_text_for_indexing

logger = logging.getLogger(__name__)

DocumentBuilder = Callable[[Page], "IndexedDocument | None"]
Prepare = Callable[[QuerySet], QuerySet]


@dataclass
class IndexedDocument:
    page_id: int
    doc_type: str  # "case" | "session"
    language: str  # locale code: "en" | "ko"
    title: str
    summary: str = ""
    # Plain text of everything searchable: title, summary, body, outcomes, lessons,
    # city names (en + ko), measure names. Not HTML.
    body_text: str = ""
    city_id: int | None = None
    city_name: str = ""
    city_name_ko: str = ""
    country: str = ""  # ISO 3166-1 alpha-2, upper case, or ""
    continent: str = ""  # a continent slug ("asia", "europe", ...), or ""
    area_slugs: list[str] = field(default_factory=list)
    measure_slugs: list[str] = field(default_factory=list)
    start_date: date | None = None
    year: int | None = None
    evidence: int | None = None  # the case's evidence level, 1-5
    size: str = ""  # the city's population band (casestudies.evidence.size_band)
    published_at: datetime | None = None
    url_path: str = ""  # the URL a visitor follows, e.g. "/en/cases/seoul-drive-through/"
    expire_at: datetime | None = None
    # The language the text is written in; `language` is the one whose searches list the
    # document (they differ for a page listed where its translation group has no page).
    content_language: str = ""
    # Names of the page's measure types and areas in its own language: part of what is embedded.
    topic_names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.content_language = self.content_language or self.language
        if self.year is None and self.start_date is not None:
            self.year = self.start_date.year
        self.country = (self.country or "").upper()
        self.area_slugs = list(dict.fromkeys(self.area_slugs))
        self.measure_slugs = list(dict.fromkeys(self.measure_slugs))

    @property
    def display_city(self) -> str:
        if self.language == "ko" and self.city_name_ko:
            return self.city_name_ko
        return self.city_name


@dataclass
class _Registration:
    model: type[Page]
    builder: DocumentBuilder
    prepare: Prepare | None


_registry: dict[type[Page], _Registration] = {}


def register_document_builder(model: type[Page], *, prepare: Prepare | None = None):
    """Decorator: `builder(page) -> IndexedDocument | None` indexes pages of `model`."""

    def decorator(builder: DocumentBuilder) -> DocumentBuilder:
        _registry[model] = _Registration(model, builder, prepare)
        return builder

    return decorator


def registered_models() -> list[type[Page]]:
    return list(_registry)


def get_document_builder(model: type[Page]) -> DocumentBuilder | None:
    for klass in model.__mro__:
        registration = _registry.get(klass)
        if registration is not None:
            return registration.builder
    return None


# --------------------------------------------------------------------------------------------
# Which pages are indexed
# --------------------------------------------------------------------------------------------
def _private_q() -> Q:
    """Pages in a private section (one query; Wagtail's `public()` does the same)."""
    q = Q()
    for path in PageViewRestriction.objects.values_list("page__path", flat=True):
        q |= Q(path__startswith=path)
    return q


def indexable_pages(queryset: QuerySet | None = None) -> QuerySet:
    """Live, public, non-alias, unexpired pages of a registered type (as `Page` rows)."""
    from django.contrib.contenttypes.models import ContentType

    queryset = Page.objects.all() if queryset is None else queryset
    content_types = ContentType.objects.get_for_models(*_registry).values() if _registry else []
    queryset = queryset.filter(
        live=True,
        alias_of__isnull=True,
        content_type__in=list(content_types),
    ).filter(Q(expire_at__isnull=True) | Q(expire_at__gt=timezone.now()))
    private = _private_q()
    if private:
        queryset = queryset.exclude(private)
    return queryset


def _specific_batches(page_ids: list[int]) -> Iterator[Page]:
    """Specific instances of these (indexable) pages, type by type, with each builder's prefetches."""
    rows = Page.objects.filter(pk__in=page_ids).values_list("pk", "content_type_id")
    by_type: dict[int, list[int]] = {}
    for pk, content_type_id in rows:
        by_type.setdefault(content_type_id, []).append(pk)
    from django.contrib.contenttypes.models import ContentType

    for content_type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is None:
            continue
        registration = next((_registry[k] for k in model.__mro__ if k in _registry), None)
        if registration is None:
            continue
        queryset = model.objects.filter(pk__in=ids).select_related("locale")
        if registration.prepare is not None:
            queryset = registration.prepare(queryset)
        yield from queryset


def build_document(page: Page) -> IndexedDocument | None:
    """The document of one specific page, or None when it has no builder or the builder declines."""
    builder = get_document_builder(type(page))
    if builder is None:
        return None
    try:
        return builder(page)
    except Exception:
        logger.exception("search: could not build the document of page %s", page.pk)
        return None


def search_languages() -> list[str]:
    from django.conf import settings

    return [code for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES]


def listed_languages(page: Page, present: set[tuple[object, str]]) -> list[str]:
    """The languages whose searches list `page`: its own, and each language in which its
    translation group has no indexable page (`present`: the group's (translation key, language))."""
    own = page.locale.language_code
    return [own] + [
        language
        for language in search_languages()
        if language != own and (page.translation_key, language) not in present
    ]


def translation_group_ids(page_ids: Iterable[int]) -> list[int]:
    """These pages and every page sharing a translation key with one of them."""
    ids = list(dict.fromkeys(int(pk) for pk in page_ids))
    if not ids:
        return []
    keys = Page.objects.filter(pk__in=ids).values("translation_key")
    related = Page.objects.filter(translation_key__in=keys).values_list("pk", flat=True)
    return list(dict.fromkeys([*ids, *related]))


def build_documents(page_ids: Iterable[int], leaving: Iterable[int] = ()) -> list[IndexedDocument]:
    """Documents for those of these pages that belong in the index (the others are simply absent):
    one per page in its own language, plus one per language its translation group lacks.
    `leaving`: pages on their way out (being unpublished or deleted), counted as absent."""
    ids = list(dict.fromkeys(int(pk) for pk in page_ids))
    if not ids or not _registry:
        return []
    leaving = {int(pk) for pk in leaving}
    indexable = list(
        indexable_pages(Page.objects.filter(pk__in=ids).exclude(pk__in=leaving)).values_list(
            "pk", "translation_key", "locale__language_code"
        )
    )
    keys = {key for _pk, key, _language in indexable}
    present = set(
        indexable_pages(Page.objects.filter(translation_key__in=keys).exclude(pk__in=leaving)).values_list(
            "translation_key", "locale__language_code"
        )
    )
    documents = []
    for page in _specific_batches([pk for pk, _key, _language in indexable]):
        document = build_document(page)
        if document is None:
            continue
        for language in listed_languages(page, present):
            documents.append(
                document if language == document.language else replace(document, language=language)
            )
    return documents


def count_indexable() -> int:
    return indexable_pages().count() if _registry else 0


def iter_document_batches(batch_size: int = 500) -> Iterator[list[IndexedDocument]]:
    """Every document of the site, in batches (for rebuilds); pages are read in id order."""
    if not _registry:
        return
    ids = list(indexable_pages().order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        yield build_documents(ids[start : start + batch_size])


# --------------------------------------------------------------------------------------------
# Helpers for builders
# --------------------------------------------------------------------------------------------
def rich_text(html: str | None) -> str:
    return get_text_for_indexing(html or "")


def stream_text(value) -> str:
    """The searchable text of a StreamField value (block by block, as Wagtail indexes it)."""
    if not value:
        return ""
    try:
        parts = value.stream_block.get_searchable_content(value)
    except Exception:
        logger.exception("search: could not extract the text of a StreamField")
        return ""
    return "\n".join(get_text_for_indexing(str(part)) for part in parts if part)


def page_url(page: Page) -> str:
    return page.get_url() or page.url_path
