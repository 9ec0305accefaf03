"""Case studies in the search service: one `IndexedDocument` (doc_type "case") per live case page,
with its city, areas and measure types as facets (registered when the app is ready)."""

from __future__ import annotations

from django.db.models import QuerySet

from search.documents import IndexedDocument, page_url, register_document_builder, rich_text, stream_text

from .models import CaseStudyPage


def _prepare_cases(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("city").prefetch_related("policy_areas", "tagged_measures__tag")


@register_document_builder(CaseStudyPage, prepare=_prepare_cases)
def case_study_document(page: CaseStudyPage) -> IndexedDocument:
    city = page.city
    measures = [tagged.tag for tagged in page.tagged_measures.all()]
    measure_names = [name for m in measures for name in (m.name, m.name_ko) if name]
    # The city's other spellings too: "Timisoara" finds the cases of Timișoara.
    city_names = [city.name, city.name_ko, *city.alias_list] if city else []
    body_text = "\n".join(
        part
        for part in (
            page.title,
            page.summary,
            stream_text(page.body),
            rich_text(page.outcomes),
            rich_text(page.lessons_learned),
            " ".join(n for n in city_names if n),
            " ".join(measure_names),
        )
        if part
    )
    return IndexedDocument(
        page_id=page.pk,
        doc_type="case",
        language=page.locale.language_code,
        title=page.title,
        summary=page.summary or "",
        body_text=body_text,
        city_id=city.pk if city else None,
        city_name=city.name if city else "",
        city_name_ko=city.name_ko if city else "",
        country=str(city.country.code or "") if city else "",
        continent=city.continent if city else "",
        area_slugs=[area.slug for area in page.policy_areas.all()],
        measure_slugs=[m.slug for m in measures],
        topic_names=[
            *(m.name_ko if page.locale.language_code == "ko" and m.name_ko else m.name for m in measures),
        ],
        start_date=page.start_date,
        evidence=page.evidence_level,
        size=city.size_band if city else "",
        published_at=page.last_published_at or page.first_published_at,
        url_path=page_url(page),
        expire_at=page.expire_at,
    )
