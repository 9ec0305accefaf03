"""Factories for case-study tests: pages land under the locale's home page and case index."""

from __future__ import annotations

import datetime

import factory
from factory.django import DjangoModelFactory
from wagtail_factories import PageFactory

from home.models import HomePage

from .models import CaseStudyIndexPage, CaseStudyPage, City, Continent, MeasureType, PolicyArea


def home_page(language_code: str = "en") -> HomePage:
    return HomePage.objects.get(locale__language_code=language_code)


def policy_area(slug: str, language_code: str = "en") -> PolicyArea:
    return PolicyArea.objects.get(slug=slug, locale__language_code=language_code)


class CityFactory(DjangoModelFactory):
    class Meta:
        model = City
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Testville {n}")
    name_ko = factory.Sequence(lambda n: f"테스트시 {n}")
    slug = factory.Sequence(lambda n: f"testville-{n}")
    country = "KR"
    continent = Continent.ASIA
    latitude = 37.5
    longitude = 127.0


class MeasureTypeFactory(DjangoModelFactory):
    class Meta:
        model = MeasureType
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Measure {n}")
    name_ko = factory.Sequence(lambda n: f"조치 {n}")
    slug = factory.Sequence(lambda n: f"measure-{n}")


class CaseStudyIndexPageFactory(PageFactory):
    class Meta:
        model = CaseStudyIndexPage

    title = "Case studies"
    slug = "cases"
    parent = factory.LazyFunction(lambda: home_page("en"))


class CaseStudyPageFactory(PageFactory):
    """A live case study; pass `areas=[slug, ...]` and `measures=[MeasureType, ...]`."""

    class Meta:
        model = CaseStudyPage
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Case study {n}")
    summary = "A city measure against COVID-19."
    city = factory.SubFactory(CityFactory)
    start_date = factory.Sequence(lambda n: datetime.date(2020, 3, 1) + datetime.timedelta(days=n))
    parent = factory.LazyFunction(lambda: index_page("en"))

    @factory.post_generation
    def areas(obj, create, extracted, **kwargs):
        slugs = extracted if extracted is not None else ["quarantine"]
        obj.policy_areas.set(PolicyArea.objects.filter(slug__in=slugs, locale=obj.locale))

    @factory.post_generation
    def measures(obj, create, extracted, **kwargs):
        if extracted:
            obj.measure_types.set(extracted)

    # Declared last: factory_boy runs post-generation hooks in declaration order, so the page is
    # published once, with its areas and measure types, as one revision (not one per relation).
    @factory.post_generation
    def publish(obj, create, extracted, **kwargs):
        if create:
            obj.save_revision().publish()


def index_page(language_code: str = "en") -> CaseStudyIndexPage:
    """The case index of a language, created (as a translation for ko) when missing."""
    existing = CaseStudyIndexPage.objects.filter(locale__language_code=language_code).first()
    if existing:
        return existing
    if language_code == "en":
        return CaseStudyIndexPageFactory()
    # The translation as Wagtail's copy_for_translation leaves it once published (same translation
    # key, the locale's home as parent), written the way the English index is: an index holds no
    # content of its own, and a copy, its revision and its publication cost four times as much in
    # the hundreds of tests that start from both indexes.
    source = index_page("en")
    return CaseStudyIndexPageFactory(
        parent=home_page(language_code),
        title="사례",
        slug=source.slug,
        translation_key=source.translation_key,
    )
