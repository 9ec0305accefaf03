"""The case filters, defined once: every listing of case studies reads its filters from here.

| parameter | a value is | valid when | filters case pages by |
| --- | --- | --- | --- |
| `area` | a policy-area slug | a policy area has it | their policy areas |
| `continent` | `africa`, `asia`, `europe`, `north-america`, `south-america`, `oceania` | one of them | their city's continent |
| `country` | an ISO 3166-1 alpha-2 code, any case (`kr` = `KR`) | ISO 3166-1 has it | their city's country |
| `measure` | a measure-type slug | a case public now has it | their measure types |
| `city` | a city slug | public content names the city (`casestudies.visibility`) | their city |
| `year` | four digits | 1000 to 2999 | the year they started |
| `evidence` | `1` to `5` | one of them | their evidence level |
| `size` | `lt100k`, `100k-1m`, `1m-5m`, `gt5m` | one of them | their city's population band |
| `start_from`, `start_to` | a date, YYYY-MM-DD (one value) | a real date | started on or after / before |
| `updated_since` | an ISO 8601 date or date-time (one value) | a real one | last published at or after |

Each is repeatable (`?area=a&area=b`) and takes comma lists (`?area=a,b`), the values of one
parameter combining with OR and the parameters with AND, but for the three dates, which take one
value. Cleaning and the rule for bad values are `search.filters`' (its docstring): control
characters dropped, an empty value no filter, more than 50 values or a value over 100
characters a 400, and **an unknown or malformed value a 400 naming the parameter and the value**
(HTML: in the visitor's language, with a link to the same page without it; JSON: the message
and `"parameter"`), never a 500 and never silently another result set. A draft-only city or
measure type is as unknown as a typo (`casestudies.visibility`).

Who reads which (each listing names the filters it takes, in this module):

- the case index (`CaseStudyIndexPage`): `INDEX_FILTERS`;
- the search page and its JSON (`search.service.parse_request`): the facets of `search.types`
  (registered below, since search sits below this app in the layers) and its own `type`, `lang`;
- downloads, feeds and the explore page (`opendata.selection`): `SELECTION_FILTERS`;
- the API's `cases` endpoint (`opendata.api.views.CaseFilter`): `API_FILTERS`; its `sessions` and
  `cities` endpoints read `area`, `country`, `city`, `continent` from here too.

Cost: `area`, `measure` and `city` check their values with one query when given (a measure in one
statement: `public_now_in_one_query`), and every other filter in memory; nothing is read for a
filter that is absent.

**Adding a facet** touches this definition (a `Filter`, and its name in the tuples below of the
listings that take it), the index document and the templates, nothing else (checked when this was
written). The index document is the case's search document (`casestudies/search_documents.py`)
and the search index's side of it: a field of `search.types.SearchRequest` and its name in
`FACETS`, a column of `search.models.SearchDocument` (and its migration) and of
`search.documents.IndexedDocument`, and the two backends' facet column lists. The templates are the
`<select>`s of the case index and the explore page (the search page lists every facet by itself).
The rest follows from the `Filter`: parsing and the 400s on every listing, the condition on case
pages (case index, downloads, feeds, charts, API), the API's parameters and OpenAPI text, the
search page's heading, labels, order and chips of the facet, the feeds' titles, what download
links carry. One caveat: a `<select>` of the values in use rather than of fixed `choices` (as
country, measure and year are) needs them read for its page (`CaseStudyIndexPage.filter_choices`,
`opendata.views._filter_options`); fixed `choices` come from the `Filter` (`Filter.options`).

Not a django-filter `FilterSet`: the search page parses into a `SearchRequest` for its index, not
into a queryset, and the rule (comma lists, one query per filter, a 400 naming the value with a
link without it) would have been written around django-filter's forms rather than with them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django_countries import countries

from django.apps import apps
from django.db.models import Exists, OuterRef, Q
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from search import filters as search_filters
from search.filters import Filter, FilterSet

from .evidence import EVIDENCE_VALUES, SIZE_VALUES, SizeBand, evidence_label, size_q
from .visibility import public_cities, public_now_in_one_query


# The models through the app registry: casestudies.models reads this module (the case index).
def _model(name: str):
    return apps.get_model("casestudies", name)


# -- valid values (at most one query, only when values are given) -------------------------------
def _known_areas(values: list[str]) -> Iterable[str]:
    return _model("PolicyArea").objects.filter(slug__in=values).values_list("slug", flat=True)


def _known_measures(values: list[str]) -> Iterable[str]:
    """Measure types of a case public now, among these slugs: one statement."""
    used = public_now_in_one_query(
        _model("CaseStudyPage").objects.filter(tagged_measures__tag=OuterRef("pk"))
    )
    return (
        _model("MeasureType")
        .objects.filter(slug__in=values)
        .filter(Exists(used))
        .values_list("slug", flat=True)
    )


def _known_cities(values: list[str]) -> Iterable[str]:
    return public_cities().filter(slug__in=values).values_list("slug", flat=True)


def _known_countries(values: list[str]) -> Iterable[str]:
    return [value for value in values if value in countries]


def _continents() -> list[tuple[str, str]]:
    return list(_model("City")._meta.get_field("continent").choices)


def _date(value: str) -> datetime.date:
    day = parse_date(value)  # ValueError for an impossible date (2021-02-30)
    if day is None:
        raise ValueError(value)
    return day


def _moment(value: str) -> datetime.datetime:
    moment = parse_datetime(value)
    if moment is None:
        moment = datetime.datetime.combine(_date(value), datetime.time())
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


# -- display names -------------------------------------------------------------------------------
def _area_names(values: Iterable[str], language: str) -> dict[str, str]:
    """Every area of the language, in the areas' order (a facet lists them so)."""
    rows = _model("PolicyArea").objects.filter(locale__language_code=language).values_list("slug", "name")
    return dict(rows)


def _measure_names(values: Iterable[str], language: str) -> dict[str, str]:
    rows = _model("MeasureType").objects.filter(slug__in=list(values)).values_list("slug", "name", "name_ko")
    return {slug: name_ko if language == "ko" and name_ko else name for slug, name, name_ko in rows}


def _city_names(values: Iterable[str], language: str) -> dict[str, str]:
    rows = _model("City").objects.filter(slug__in=list(values)).values_list("slug", "name", "name_ko")
    return {slug: name_ko if language == "ko" and name_ko else name for slug, name, name_ko in rows}


def _continent_names(values: Iterable[str], language: str) -> dict[str, str]:
    return {value: str(label) for value, label in _continents()}


def _country_names(values: Iterable[str], language: str) -> dict[str, str]:
    return {code: str(countries.name(code)) for code in values if code in countries}


def _evidence_names(values: Iterable[str], language: str) -> dict[str, str]:
    return {value: evidence_label(value) for value in EVIDENCE_VALUES}


def _size_names(values: Iterable[str], language: str) -> dict[str, str]:
    return {value: str(label) for value, label in SizeBand.choices}


# -- conditions on case pages ------------------------------------------------------------------
# Subqueries on the link tables rather than joins: no duplicate rows, so no DISTINCT over whole
# page rows (a third of the case index's cost at 10,000 cases).
def _in_areas(values: tuple) -> Q:
    links = _model("CaseStudyPage").policy_areas.through.objects.filter(policyarea__slug__in=values)
    return Q(pk__in=links.values("casestudypage_id"))


def _with_measures(values: tuple) -> Q:
    tagged = _model("TaggedCaseStudy").objects.filter(tag__slug__in=values)
    return Q(pk__in=tagged.values("content_object_id"))


# -- the definition ------------------------------------------------------------------------------
AREA = Filter(
    "area",
    title=_("Policy area"),
    expected=_("Use the slug of a policy area, e.g. quarantine or education."),
    known=_known_areas,
    condition=_in_areas,
    labels=_area_names,
    order="labels",
)
CONTINENT = Filter(
    "continent",
    title=_("Continent"),
    expected=_("Use one of %(values)s."),
    choices=lambda: [value for value, _label in _continents()],
    condition=lambda values: Q(city__continent__in=values),
    labels=_continent_names,
    order="labels",
)
COUNTRY = Filter(
    "country",
    title=_("Country"),
    expected=_("Use a two-letter ISO 3166-1 country code, e.g. KR or FR."),
    pattern=r"[A-Z]{2}",
    normalise=str.upper,
    known=_known_countries,
    condition=lambda values: Q(city__country__in=values),
    labels=_country_names,
)
MEASURE = Filter(
    "measure",
    title=_("Measure type"),
    expected=_("Use the slug of a measure type of a published case study, e.g. testing."),
    known=_known_measures,
    condition=_with_measures,
    labels=_measure_names,
)
CITY = Filter(
    "city",
    title=_("City"),
    expected=_("Use the slug of a city of a published case study or session, e.g. seoul."),
    known=_known_cities,
    condition=lambda values: Q(city__slug__in=values),
    labels=_city_names,
)
YEAR = Filter(
    "year",
    title=_("Year"),
    expected=_("Use a year of four digits, e.g. 2020."),
    pattern=r"[12][0-9]{3}",
    convert=int,
    condition=lambda values: Q(start_date__year__in=values),
    order="descending",
)
EVIDENCE = Filter(
    "evidence",
    title=_("Evidence"),
    expected=_("Use one of %(values)s."),
    choices=EVIDENCE_VALUES,
    convert=int,
    condition=lambda values: Q(evidence_level__in=values),
    labels=_evidence_names,
    order="descending",
)
SIZE = Filter(
    "size",
    title=_("City size"),
    expected=_("Use one of %(values)s."),
    choices=SIZE_VALUES,
    condition=lambda values: size_q(values),
    labels=_size_names,
    order="labels",
)
START_FROM = Filter(
    "start_from",
    title=_("Started on or after"),
    expected=_("Use a date as YYYY-MM-DD."),
    convert=_date,
    repeat=False,
    condition=lambda values: Q(start_date__gte=values[0]),
)
START_TO = Filter(
    "start_to",
    title=_("Started on or before"),
    expected=_("Use a date as YYYY-MM-DD."),
    convert=_date,
    repeat=False,
    condition=lambda values: Q(start_date__lte=values[0]),
)
UPDATED_SINCE = Filter(
    "updated_since",
    title=_("Published since"),
    expected=_("Use an ISO 8601 date or date-time, e.g. 2021-06-01 or 2021-06-01T09:00:00+09:00."),
    convert=_moment,
    repeat=False,
    condition=lambda values: Q(last_published_at__gte=values[0]),
)

CASE_FILTERS = FilterSet(
    [AREA, CONTINENT, COUNTRY, MEASURE, CITY, YEAR, EVIDENCE, SIZE, START_FROM, START_TO, UPDATED_SINCE]
)

# Which listing takes which (in the order their values are checked).
INDEX_FILTERS = ("area", "continent", "country", "city", "measure", "year", "evidence", "size")
SELECTION_FILTERS = ("area", "continent", "country", "measure", "year", "type", "evidence", "size", "city")
API_FILTERS = (
    "area",
    "continent",
    "country",
    "measure",
    "city",
    "year",
    "evidence",
    "size",
    "start_from",
    "start_to",
    "updated_since",
)

# The search page reads the facets among them (search.types.FACETS) through search.filters.
search_filters.register(*CASE_FILTERS)
