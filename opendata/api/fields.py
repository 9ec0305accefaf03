"""What the API shows of each model (kept here, not on the models, so that the API is one place).

Read-only DRF fields for the relations a researcher wants inline (city, areas, measure types,
sources) and rich text with its internal links expanded.
"""

from __future__ import annotations

from rest_framework.fields import Field

from wagtail.api import APIField
from wagtail.rich_text import expand_db_html

from casestudies.evidence import REQUIREMENT_FIELDS
from casestudies.visibility import is_public_now, public_now


class _Whole(Field):
    """A field computed from the whole instance."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return instance


def city_data(city) -> dict | None:
    if city is None:
        return None
    return {
        "id": city.pk,
        "slug": city.slug,
        "name": city.name,
        "name_ko": city.name_ko,
        "country": str(city.country.code or ""),
        "continent": city.continent,
        "latitude": float(city.latitude) if city.latitude is not None else None,
        "longitude": float(city.longitude) if city.longitude is not None else None,
    }


class CityField(_Whole):
    def to_representation(self, page):
        return city_data(page.city)


class CitiesField(_Whole):
    def to_representation(self, page):
        return [city_data(city) for city in page.cities.all()]


class PolicyAreasField(_Whole):
    def to_representation(self, page):
        return [{"slug": area.slug, "name": area.name} for area in page.policy_areas.all()]


class PolicyAreaField(_Whole):
    def to_representation(self, page):
        area = page.policy_area
        return {"slug": area.slug, "name": area.name} if area is not None else None


class MeasureTypesField(_Whole):
    def to_representation(self, page):
        return [
            {"slug": t.tag.slug, "name": t.tag.name, "name_ko": t.tag.name_ko}
            for t in page.tagged_measures.all()
        ]


class SourcesField(_Whole):
    def to_representation(self, page):
        return [{"title": source.title, "url": source.url} for source in page.sources.all()]


class OutcomesField(_Whole):
    """The graded outcomes (issue 16), each with its evidence level."""

    def to_representation(self, page):
        return [
            {
                "indicator": o.indicator,
                "baseline_value": o.baseline_value,
                "baseline_date": o.baseline_date.isoformat() if o.baseline_date else None,
                "result_value": o.result_value,
                "result_date": o.result_date.isoformat() if o.result_date else None,
                "source_url": o.source_url,
                "evidence_level": o.level,
            }
            for o in page.outcome_evidence.all()
        ]


class InspiredByField(_Whole):
    """The cases this one names as its inspiration: their ids and notes (public ones only)."""

    def to_representation(self, page):
        from casestudies.visibility import public_now  # noqa: PLC0415

        links = list(page.inspired_by.all())
        visible = set(
            public_now(type(page).objects.filter(pk__in=[link.source_id for link in links])).values_list(
                "pk", flat=True
            )
        )
        return [{"id": link.source_id, "note": link.note} for link in links if link.source_id in visible]


class RichTextHTMLField(Field):
    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return expand_db_html(value or "")


class PermalinkField(_Whole):
    def to_representation(self, page):
        from opendata.cite import permalink

        return permalink(page, self.context.get("request"))


class TranslationKeyField(Field):
    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return str(value)


class CountriesField(Field):
    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return [country.code for country in value or ()]


class SpeakersField(_Whole):
    def to_representation(self, page):
        return [
            {"name": s.name, "role": s.role, "organisation": s.organisation, "city": s.city}
            for s in page.speakers.all()
        ]


class RecordingsField(_Whole):
    def to_representation(self, page):
        return [
            {"language": r.language, "video_id": r.youtube_id, "duration": r.duration}
            for r in page.recordings.all()
            if r.youtube_id
        ]


class ChaptersField(_Whole):
    def to_representation(self, page):
        out = []
        for chapter in page.chapters.all():
            case = chapter.case_study
            visible = case is not None and is_public_now(case)
            out.append(
                {
                    "language": chapter.language,
                    "offset": chapter.offset,
                    "title": chapter.title,
                    "case_study": case.pk if visible else None,
                }
            )
        return out


class RelatedCasesField(_Whole):
    def to_representation(self, page):
        from casestudies.models import CaseStudyPage

        ids = [case.pk for case in page.related_cases.all()]
        return list(public_now(CaseStudyPage.objects.filter(pk__in=ids)).values_list("pk", flat=True))


def _case_fields():
    return [
        APIField("summary"),
        APIField("city", serializer=CityField()),
        APIField("policy_areas", serializer=PolicyAreasField()),
        APIField("measure_types", serializer=MeasureTypesField()),
        APIField("start_date"),
        APIField("end_date"),
        APIField("body"),
        APIField("outcomes", serializer=RichTextHTMLField()),
        APIField("lessons_learned", serializer=RichTextHTMLField()),
        APIField("sources", serializer=SourcesField()),
        APIField("evidence_level"),
        APIField("outcome_evidence", serializer=OutcomesField()),
        APIField("inspired_by", serializer=InspiredByField()),
        *(APIField(name) for name in REQUIREMENT_FIELDS),
        APIField("contact_organisation"),
        APIField("contact_email"),
        APIField("contact_person"),
    ]


def _case_meta_fields():
    return [
        APIField("last_published_at"),
        APIField("permalink", serializer=PermalinkField()),
        APIField("translation_key", serializer=TranslationKeyField()),
    ]


def _session_fields():
    return [
        APIField("kind"),
        APIField("policy_area", serializer=PolicyAreaField()),
        APIField("start"),
        APIField("end"),
        APIField("topic"),
        APIField("description", serializer=RichTextHTMLField()),
        APIField("department"),
        APIField("countries", serializer=CountriesField()),
        APIField("cities", serializer=CitiesField()),
        APIField("speakers", serializer=SpeakersField()),
        APIField("recordings", serializer=RecordingsField()),
        APIField("chapters", serializer=ChaptersField()),
        APIField("related_cases", serializer=RelatedCasesField()),
    ]


def _session_meta_fields():
    return [APIField("last_published_at"), APIField("translation_key", serializer=TranslationKeyField())]


def model_api_fields(model) -> list:
    label = model._meta.label
    if label == "casestudies.CaseStudyPage":
        return _case_fields()
    if label == "archive.SessionPage":
        return _session_fields()
    if label == "casestudies.City":
        return [
            APIField(n) for n in ("name", "name_ko", "slug", "country", "continent", "latitude", "longitude")
        ] + [APIField(n) for n in ("population", "population_year", "population_source")]
    if label == "casestudies.PolicyArea":
        return [APIField(n) for n in ("name", "slug", "description", "sort_order")]
    if label == "casestudies.MeasureType":
        return [
            APIField(n)
            for n in ("name", "name_ko", "slug", "description", "description_ko", "phsm_code", "oxcgrt_code")
        ]
    return list(getattr(model, "api_fields", ()))


def model_api_meta_fields(model) -> list:
    label = model._meta.label
    if label == "casestudies.CaseStudyPage":
        return _case_meta_fields()
    if label == "archive.SessionPage":
        return _session_meta_fields()
    return list(getattr(model, "api_meta_fields", ()))
