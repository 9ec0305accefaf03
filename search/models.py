"""The search index of the database backend: one denormalised row per live, public page.

`SearchDocument` holds what a result needs (title, summary, URL, city, taxonomy);
`SearchDocumentText` its pre-analysed text (`search.analysis`). The full-text index over that
text is kept by the database itself:

- SQLite: external-content FTS5 tables (`search_fts_<language>` over the title and body of one
  language's documents, `search_suggest_fts` over the title's autocomplete tokens) kept in sync by
  triggers on `search_searchdocumenttext`; their rowid is the document id;
- PostgreSQL: two generated `tsvector` columns on `search_searchdocumenttext` (`search_vector`,
  weights A/B, with a partial GIN index per language, and `suggest_vector` with one GIN index).

Neither exists in the Django model (they are vendor-specific); `search.fts` creates them
(migration 0002 and `rebuild_search_index`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, FieldRowPanel

from ops.forms import CleanModelForm

_FACET_COLUMNS = [
    "doc_type",
    "expire_at",
    "content_language",
    "continent",
    "country",
    "year",
    "area_slugs",
    "measure_slugs",
    "evidence",
    "size",
]
FACET_COLUMNS_BROWSE = ["language", "start_date", "page", *_FACET_COLUMNS]
# A search's matches read what their counts and ranking need from this narrow index, one probe
# per match (the filters too, by number: search.backends.database._flag).
FACET_COLUMNS_BY_ID = [
    "id",
    "language",
    "expire_at",
    "doc_type",
    "page",
    "start_date",
    "evidence",
    "facet_group",
    "area_set",
    "measure_set",
]
# Browsing counts each facet with a GROUP BY of one number (facet group, area list, measure-type
# list) over one language's documents. Each of these covering indexes is led by one of the three
# numbers: a count either scans the language's entries in its GROUP BY order (no filter to seek
# by), or seeks only the entries whose number passes another facet's filter (`IN` the groups or
# lists that pass it), reading a fraction of them (search.backends.database; docs/benchmarks.md).
_REST = ["doc_type", "expire_at"]
FACET_COLUMNS_GROUPS = ["language", "facet_group", "area_set", "measure_set", *_REST]
FACET_COLUMNS_AREAS = ["language", "area_set", "facet_group", "measure_set", *_REST]
FACET_COLUMNS_MEASURES = ["language", "measure_set", "facet_group", "area_set", *_REST]
# The document's columns its text row carries (SearchDocumentText).
TEXT_COPIED_COLUMNS = (
    "page_id",
    "doc_type",
    "expire_at",
    "start_date",
    "evidence",
    "facet_group",
    "area_set",
    "measure_set",
)


class SearchDocument(models.Model):
    """A page as a search result in one language.

    `language` is the language whose searches list it, `content_language` the language it is
    written in. A page has a row in its own language, and one in every other language in which
    its translation group has no live, public page: an English-only case is also found by Korean
    searches (shown in English, with a language label), never twice where a translation exists.
    """

    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="search_documents", verbose_name=_("page")
    )
    language = models.CharField(_("language"), max_length=8)
    content_language = models.CharField(_("language of the content"), max_length=8, blank=True)
    # What the meaning search embeds for this page (search.vectors.embedding_text), hashed: a
    # vector made from other text is out of date.
    embed_hash = models.CharField(max_length=40, blank=True)
    doc_type = models.CharField(_("type"), max_length=10)
    title = models.CharField(_("title"), max_length=255)
    summary = models.TextField(_("summary"), blank=True)
    url = models.CharField(_("URL"), max_length=500, blank=True)
    city = models.ForeignKey(
        "casestudies.City", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    city_name = models.CharField(_("city (English)"), max_length=100, blank=True)
    city_name_ko = models.CharField(_("city (Korean)"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    continent = models.CharField(_("continent"), max_length=20, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    expire_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    # Space-separated slugs, for display only: filters and facets use the child tables.
    area_slugs = models.TextField(_("policy areas"), blank=True)
    measure_slugs = models.TextField(_("measure types"), blank=True)
    # Issue 16: the case's evidence level (1-5) and its city's population band.
    evidence = models.PositiveSmallIntegerField(_("evidence level"), null=True, blank=True)
    size = models.CharField(_("city size"), max_length=10, blank=True)
    # The document's combination of single-valued facet values (SearchFacetGroup.id): a search
    # counts those facets with one GROUP BY of this integer, not of six columns.
    facet_group = models.PositiveIntegerField(_("facet group"), default=0)
    # The same for the area and measure-type lists (SearchSlugSet.id, 0 for none).
    area_set = models.PositiveIntegerField(_("policy area list"), default=0)
    measure_set = models.PositiveIntegerField(_("measure type list"), default=0)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        # Covering indexes: a search reads every column it filters and counts on from an index,
        # never from the (wider) table rows. One serves browsing (by language, newest first), the
        # other the rows of a full-text match (by id).
        indexes = [
            models.Index(fields=[*FACET_COLUMNS_BROWSE], name="search_doc_browse"),
            models.Index(fields=[*FACET_COLUMNS_BY_ID], name="search_doc_by_id"),
            models.Index(fields=[*FACET_COLUMNS_GROUPS], name="search_doc_by_group"),
            models.Index(fields=[*FACET_COLUMNS_AREAS], name="search_doc_by_areas"),
            models.Index(fields=[*FACET_COLUMNS_MEASURES], name="search_doc_by_measures"),
        ]
        constraints = [models.UniqueConstraint(fields=["page", "language"], name="search_doc_page_language")]

    def __str__(self) -> str:
        return self.title


class SearchFacetGroup(models.Model):
    """One combination of the single-valued facet values a document has (continent, country,
    year, language of the content, evidence level, city size), numbered once and never deleted.

    A search counts those facets per combination in one pass over its matches. Grouped by six
    columns, SQLite sorts every match on six keys (150 ms of a query matching 100,000 cases);
    grouped by this number it sorts on one integer, and the few groups take their values from
    here (docs/benchmarks.md). A missing year or evidence level is stored as 0, so that the
    unique constraint also holds for them (NULLs are all distinct)."""

    continent = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)
    year = models.PositiveSmallIntegerField(default=0)
    content_language = models.CharField(max_length=8, blank=True)
    evidence = models.PositiveSmallIntegerField(default=0)
    size = models.CharField(max_length=10, blank=True)

    KEY = ("continent", "country", "year", "content_language", "evidence", "size")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["continent", "country", "year", "content_language", "evidence", "size"],
                name="search_facet_group_unique",
            )
        ]

    def __str__(self) -> str:
        return " / ".join(str(getattr(self, name)) for name in self.KEY)

    @staticmethod
    def key_of(document: SearchDocument) -> tuple:
        return (
            document.continent,
            document.country,
            document.year or 0,
            document.content_language,
            document.evidence or 0,
            document.size,
        )

    @classmethod
    def ids_for(cls, keys: set[tuple], using: str = "default") -> dict[tuple, int]:
        """key -> id, numbering the new combinations (concurrent writers: the constraint keeps
        one row per combination, and both read it back)."""
        if not keys:
            return {}
        manager = cls.objects.using(using)
        manager.bulk_create(
            [cls(**dict(zip(cls.KEY, key, strict=True))) for key in keys], ignore_conflicts=True
        )
        found = manager.filter(country__in={key[1] for key in keys}).values_list("id", *cls.KEY)
        ids = {tuple(row[1:]): row[0] for row in found}
        return {key: ids[key] for key in keys}


class SearchSlugSet(models.Model):
    """One list of policy areas or of measure types that documents have (`slugs` as stored in
    `SearchDocument.area_slugs` / `measure_slugs`), numbered once and never deleted: the area
    and measure-type facets are counted per list with a GROUP BY of its number, then split into
    slugs (docs/benchmarks.md). The empty list has no row: its number is 0."""

    kind = models.CharField(max_length=8)  # "area" or "measure"
    slugs = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "slugs"], name="search_slug_set_unique")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.slugs}"

    @classmethod
    def ids_for(cls, kind: str, lists: set[str], using: str = "default") -> dict[str, int]:
        """stored list -> number (0 for the empty list), numbering the new ones and writing
        their slugs (SearchSlugSetMember) in the same transaction."""
        lists = {value for value in lists if value}
        ids = {"": 0}
        if not lists:
            return ids
        manager = cls.objects.using(using)
        ids.update(manager.filter(kind=kind, slugs__in=lists).values_list("slugs", "pk"))
        new = lists - ids.keys()
        if new:
            # Concurrent writers: the constraints keep one row each, and both read them back.
            manager.bulk_create([cls(kind=kind, slugs=value) for value in new], ignore_conflicts=True)
            numbered = dict(manager.filter(kind=kind, slugs__in=new).values_list("slugs", "pk"))
            SearchSlugSetMember.objects.using(using).bulk_create(
                [
                    SearchSlugSetMember(slug_set_id=pk, slug=slug)
                    for value, pk in numbered.items()
                    for slug in set(value.split())
                ],
                ignore_conflicts=True,
            )
            ids.update(numbered)
        return ids


class SearchSlugSetMember(models.Model):
    """One slug of a numbered list. A facet count adds its lists' counts up per slug in the
    database (a query matching every case has ~13,000 measure-type lists), and a filter finds
    the lists holding a slug by this table's index."""

    slug_set = models.ForeignKey(SearchSlugSet, on_delete=models.CASCADE, related_name="members")
    slug = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["slug_set", "slug"], name="search_slug_member_unique")]
        indexes = [models.Index(fields=["slug", "slug_set"], name="search_slug_member_by_slug")]

    def __str__(self) -> str:
        return self.slug


class SearchDocumentText(models.Model):
    """The pre-analysed text of a document (search.analysis), kept apart so that the rows the
    filters and facets scan stay small. The full-text index is built from it (see search.fts)."""

    document = models.OneToOneField(
        SearchDocument, on_delete=models.CASCADE, primary_key=True, related_name="text"
    )
    # The document's language, for SQLite's full-text table of that language (search.fts).
    language = models.CharField(max_length=10, blank=True, default="")
    index_title = models.TextField(blank=True)
    index_body = models.TextField(blank=True)
    index_prefix = models.TextField(blank=True)
    # Copies of the document's numbers (TEXT_COPIED_COLUMNS), written with it and never changed
    # apart from it. PostgreSQL's full-text index finds these rows, and a search reads what its
    # filters, counts and order need from the row it visits anyway, instead of probing the
    # documents' index once per match: 100,000 probes for a word in every case
    # (docs/benchmarks.md). SQLite's full-text tables give document ids only, so its searches
    # read the documents' narrow index instead.
    page_id = models.IntegerField(default=0)
    doc_type = models.CharField(max_length=10, blank=True)
    expire_at = models.DateTimeField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    evidence = models.PositiveSmallIntegerField(null=True, blank=True)
    facet_group = models.PositiveIntegerField(default=0)
    area_set = models.PositiveIntegerField(default=0)
    measure_set = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.index_title


class SearchDocumentArea(models.Model):
    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="areas")
    slug = models.CharField(max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["document", "slug"], name="search_area_unique")]
        indexes = [models.Index(fields=["slug", "document"], name="search_area_slug_doc")]

    def __str__(self) -> str:
        return self.slug


class SearchDocumentMeasure(models.Model):
    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="measures")
    slug = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["document", "slug"], name="search_measure_unique")]
        indexes = [models.Index(fields=["slug", "document"], name="search_measure_slug_doc")]

    def __str__(self) -> str:
        return self.slug


class SearchIndexState(models.Model):
    """Facts about the index as a whole, e.g. the analyser signature it was built with."""

    key = models.CharField(max_length=50, unique=True)
    value = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class SearchVector(models.Model):
    """The meaning of a page as a dense vector (search.embeddings), int8-quantised.

    One row per page, whatever the number of languages it is listed in. Computed outside the
    request by the background worker (search.tasks); a page without a current vector is found
    by its words until the worker catches up (the backlog, reported by /healthz).
    """

    page = models.OneToOneField(
        "wagtailcore.Page", on_delete=models.CASCADE, primary_key=True, related_name="search_vector"
    )
    language = models.CharField(max_length=8)  # the language of the embedded text
    model = models.CharField(max_length=80)
    text_hash = models.CharField(max_length=40)
    vector = models.BinaryField()
    # Nearest pages by meaning (ids, best first, every language), stored when the vector is made:
    # a case page's related cases are read, not ranked, on each request.
    neighbours = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["model", "language"], name="search_vector_model_lang")]

    def __str__(self) -> str:
        return f"vector of page {self.page_id}"


class SpellingTerm(models.Model):
    """A term of the index (`search.analysis` token, as the full-text index stores it) and the
    number of documents of the language that contain it: the spelling vocabulary (search.spelling).

    Kept exact by the database backend as it writes and removes documents (counted from the
    analysed text, so nothing more is stored per document); a term whose count falls to 0 goes."""

    language = models.CharField(max_length=8)
    term = models.CharField(max_length=64)
    doc_count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["language", "term"], name="search_spelling_term_unique")
        ]

    def __str__(self) -> str:
        return f"{self.language}:{self.term}"


class SpellingWord(models.Model):
    """A written form of a term (`quarantined` of `quarantin`, folded to lower case, unstemmed):
    what a correction offers. Lives as long as its term does."""

    language = models.CharField(max_length=8)
    word = models.CharField(max_length=64)
    term = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["language", "word"], name="search_spelling_word_unique")
        ]
        indexes = [models.Index(fields=["language", "term"], name="search_spelling_word_term")]

    def __str__(self) -> str:
        return f"{self.language}:{self.word}"


class SynonymGroup(models.Model):
    """Everyday words that mean the same, in English and Korean (e.g. wifi, wi-fi, 와이파이):
    a search for one also looks for the others (search.synonyms). Measure types carry their own
    aliases; this is for the words that are not a measure type."""

    terms = models.TextField(_("English words"), blank=True, help_text=_("One word or phrase per line."))
    terms_ko = models.TextField(_("Korean words"), blank=True, help_text=_("One word or phrase per line."))

    panels = [FieldRowPanel([FieldPanel("terms"), FieldPanel("terms_ko")])]
    base_form_class = CleanModelForm  # no control characters (ops.forms)

    class Meta:
        ordering = ["terms"]
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym groups")

    def __str__(self) -> str:
        return ", ".join([*self.terms.splitlines()[:2], *self.terms_ko.splitlines()[:2]])

    def clean(self) -> None:
        from search.synonyms import clean_phrase_fields

        super().clean()
        taken = clean_phrase_fields(self, (("terms", "en"), ("terms_ko", "ko")))
        if len(taken) < 2:
            raise ValidationError(_("A synonym group needs at least two words or phrases."))
