"""The "Missing translations" report: case studies that lack a page in another content language."""

from __future__ import annotations

import datetime

import django_filters

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.views.reports import PageReportView
from wagtail.models import Locale

from casestudies.models import CaseStudyPage, City
from casestudies.permissions import city_id_for_user


def _language_choices():
    return list(settings.WAGTAIL_CONTENT_LANGUAGES)


def cases_missing_translations(language_code: str | None = None):
    """Case studies (not aliases) without a page in `language_code` (any other language when None)."""
    cases = CaseStudyPage.objects.filter(alias_of__isnull=True)
    codes = [code for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES]
    if language_code:
        codes = [language_code]
    missing = None
    for code in codes:
        has = Exists(
            CaseStudyPage.objects.filter(
                translation_key=OuterRef("translation_key"),
                locale__language_code=code,
                alias_of__isnull=True,
            )
        )
        condition = ~has & ~Exists(Locale.objects.filter(pk=OuterRef("locale_id"), language_code=code))
        missing = condition if missing is None else (missing | condition)
    return cases.filter(missing) if missing is not None else cases.none()


class MissingTranslationsFilterSet(WagtailFilterSet):
    missing = django_filters.ChoiceFilter(
        label=_("Missing language"), choices=_language_choices, method="filter_missing", empty_label=_("Any")
    )
    city = django_filters.ModelChoiceFilter(
        label=_("City"), queryset=City.objects.order_by("name"), field_name="city", empty_label=_("Any")
    )

    class Meta:
        model = CaseStudyPage
        fields = []

    def filter_missing(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(pk__in=cases_missing_translations(value).values("pk"))


class MissingTranslationsView(PageReportView):
    page_title = _("Missing translations")
    header_icon = "site"
    results_template_name = "editorial/reports/missing_translations_results.html"
    index_url_name = "editorial_missing_translations"
    index_results_url_name = "editorial_missing_translations_results"
    filterset_class = MissingTranslationsFilterSet
    any_permission_required = ["add", "change", "publish"]
    list_export = ["title", "locale.language_code", "city.name", "missing_languages", "status_string"]
    export_headings = {
        "locale.language_code": _("Language"),
        "city.name": _("City"),
        "missing_languages": _("Missing"),
        "status_string": _("Status"),
    }

    def get_filename(self):
        return f"missing-translations-{datetime.date.today().isoformat()}"

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        # Cities without a Korean name (e.g. created by an import) are missing a translation too.
        cities = City.objects.filter(name_ko="").order_by("name")
        city_id = city_id_for_user(self.request.user)
        if city_id is not None:
            cities = cities.filter(pk=city_id)
        context["cities_without_korean_name"] = cities
        return context

    def get_queryset(self):
        cases = cases_missing_translations().select_related("locale", "city").order_by("title", "pk")
        city_id = city_id_for_user(self.request.user)
        if city_id is not None:
            cases = cases.filter(city_id=city_id)
        self.queryset = cases
        return super().get_queryset()

    def decorate_paginated_queryset(self, object_list):
        pages = list(object_list)
        present: dict = {}
        rows = CaseStudyPage.objects.filter(
            translation_key__in={page.translation_key for page in pages}, alias_of__isnull=True
        ).values_list("translation_key", "locale__language_code")
        for translation_key, code in rows:
            present.setdefault(translation_key, set()).add(code)
        names = dict(settings.WAGTAIL_CONTENT_LANGUAGES)
        for page in pages:
            have = present.get(page.translation_key, set())
            page.missing_languages = ", ".join(str(names[code]) for code in names if code not in have)
        return pages
