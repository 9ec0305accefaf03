"""Pages of the open-data app: permalinks and citations, the explore page, city profiles."""

from __future__ import annotations

import re
from urllib.parse import quote

from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from casestudies.filters import CASE_FILTERS, CITY
from casestudies.visibility import public_cases, public_cities, public_now
from opendata import charts, geo, letters
from opendata import selection as sel
from opendata.cite import bibtex, bibtex_key, ris
from opendata.exports import download_list
from ops.i18n import current_language
from search.filters import BadFilter, error_context
from search.service import BadSearchRequest


def visible_case(pk: int):
    case = public_cases().filter(pk=pk).select_related("city", "locale").first()
    if case is None:
        raise Http404(_("No published case study has this number."))
    return case


# ----------------------------------------------------------------------------------------------
# Permalinks and citations
# ----------------------------------------------------------------------------------------------
@require_safe
def case_permalink(request, pk: int):
    """`/<lang>/case/<id>/`: wherever the case lives now (a slug change does not break it)."""
    case = visible_case(pk)
    url = case.get_url(request=request)
    if not url:
        raise Http404(_("This case study has no public address."))
    query = request.GET.urlencode()
    return HttpResponseRedirect(f"{url}?{query}" if query else url)


@require_safe
def case_bibtex(request, pk: int):
    case = visible_case(pk)
    response = HttpResponse(bibtex(case, request), content_type="application/x-bibtex; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{bibtex_key(case)}.bib"'
    return response


@require_safe
def case_ris(request, pk: int):
    case = visible_case(pk)
    response = HttpResponse(
        ris(case, request), content_type="application/x-research-info-systems; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{bibtex_key(case)}.ris"'
    return response


# ----------------------------------------------------------------------------------------------
# Explore: charts and the map
# ----------------------------------------------------------------------------------------------
def _filter_options(language: str, selection: sel.Selection | None = None):
    """What the explore form offers: every area and continent; countries, measures and years in use.

    Given the unfiltered `selection` of the same language, its counts (`charts.case_counts`) are
    taken from the same read: the same public cases but aliases, so the default page reads its
    cases once.
    """
    from django_countries import countries

    from casestudies.models import MeasureType, PolicyArea, TaggedCaseStudy

    live = public_cases(language)
    # Countries and years from one read of the language's public cases (two queries over the
    # same join before); measure types by their ids, without DISTINCT over the tagged rows.
    country_codes: set[str] = set()
    years: set[int] = set()
    shared = selection is not None and selection.language == language and not selection.is_filtered()
    counts = charts.CaseCounts()
    rows = live.values_list("alias_of_id", "city_id", "city__continent", "city__country", "start_date")
    for alias_of, city_id, continent, code, start in rows.order_by():
        if code is not None:  # None: no city
            country_codes.add(str(code))
        if start is not None:
            years.add(start.year)
        if shared and alias_of is None:  # the selection's rule: not an alias
            counts.add(city_id, continent, start)
    if shared:
        selection.__dict__.setdefault("_case_counts", counts)
    used = TaggedCaseStudy.objects.filter(content_object__in=live.values("pk")).values("tag_id")
    measures = [
        (m.slug, m.name_ko if language == "ko" and m.name_ko else m.name)
        for m in MeasureType.objects.filter(pk__in=used).only("slug", "name", "name_ko")
    ]
    return {
        "areas": list(PolicyArea.objects.filter(locale__language_code=language).values_list("slug", "name")),
        "continents": CASE_FILTERS["continent"].options(language),
        "countries": sorted(
            ((code, str(countries.name(code))) for code in country_codes), key=lambda c: c[1]
        ),
        "measures": sorted(measures, key=lambda m: m[1].casefold()),
        "years": sorted(years, reverse=True),
    }


def _query_with(request, **changes) -> str:
    query = request.GET.copy()
    for key in ("page", "page_size", "format"):
        query.pop(key, None)
    for key in list(query):  # the explore form sends its empty fields too
        values = [value for value in query.getlist(key) if value.strip()]
        if values:
            query.setlist(key, values)
        else:
            query.pop(key)
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query.setlist(key, [value])
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else ""


def explore_charts(selection: sel.Selection, request) -> list[charts.Chart]:
    from casestudies.models import Continent, PolicyArea

    language = selection.language
    areas = charts.area_counts(selection)
    by_area = charts.Chart(
        id="chart-areas",
        title=_("Case studies per policy area"),
        description=_(
            "Number of matching case studies in each of the ten policy areas (a case may have several)."
        ),
        value_label=_("Case studies"),
        bars=[
            charts.Bar(key=slug, label=name, value=areas.get(slug, 0), url=_query_with(request, area=slug))
            for slug, name in PolicyArea.objects.filter(locale__language_code=language).values_list(
                "slug", "name"
            )
        ],
    )
    continents = charts.continent_counts(selection)
    by_continent = charts.Chart(
        id="chart-continents",
        title=_("Case studies per continent"),
        description=_("Number of matching case studies by the continent of their city."),
        value_label=_("Case studies"),
        bars=[
            charts.Bar(
                key=value,
                label=str(label),
                value=continents.get(value, 0),
                url=_query_with(request, continent=value),
            )
            for value, label in Continent.choices
        ],
    )
    by_month = charts.Chart(
        id="chart-months",
        title=_("Case studies started per month"),
        description=_("Number of matching case studies by the month in which the measure started."),
        value_label=_("Case studies"),
        bars=charts.month_bars(charts.month_counts(selection)),
    )
    return [
        charts.layout_horizontal(by_area),
        charts.layout_horizontal(by_continent),
        charts.layout_vertical(by_month),
    ]


class _MarkerCity:
    """What the map and its list need of a city (slug, country code): plain values, no model."""

    __slots__ = ("slug", "country")

    def __init__(self, slug: str, country: str):
        self.slug = slug
        self.country = _Code(country)


class _Code(str):
    @property
    def code(self) -> str:
        return str(self)


def city_markers(selection: sel.Selection) -> list[dict]:
    from django_countries import countries

    from casestudies.models import City

    counts = charts.city_counts(selection)
    if not counts:
        return []
    largest = max(counts.values())
    korean = selection.language == "ko"
    # Thousands of cities: plain rows, one URL prefix and one country name per country.
    prefix = reverse("opendata:city", args=["x"])[: -len("x/")]
    names: dict[str, str] = {}
    markers = []
    rows = (
        City.objects.filter(pk__in=list(counts))
        .order_by()
        .values_list("pk", "name", "name_ko", "slug", "country", "latitude", "longitude")
    )
    for pk, name, name_ko, slug, code, latitude, longitude in rows:
        n = counts[pk]
        if code not in names:
            names[code] = str(countries.name(code))
        entry = {
            "city": _MarkerCity(slug, code),
            "name": name_ko if korean and name_ko else name,
            "country": names[code],
            "count": n,
            "url": f"{prefix}{quote(slug)}/",
            "on_map": latitude is not None and longitude is not None,
        }
        if entry["on_map"]:
            entry["x"], entry["y"] = geo.project(longitude, latitude)
            entry["r"] = geo.radius(n, largest)
        markers.append(entry)
    # Big circles first, so that small ones stay on top and clickable.
    markers.sort(key=lambda m: (-m["count"], m["name"]))
    return markers


# The list under the map shows the cities with most cases; /cities/ lists them all.
MAP_LIST_LENGTH = 100


def map_clusters(markers: list[dict]) -> list[dict]:
    """What the map draws: a city alone as its circle, nearby cities together as one cluster.

    A cluster's circle grows with its cases, its label is its number of cities, and it links to
    the cities of its country (or, across countries, to the list under the map).
    """
    from django_countries import countries

    placed = [m for m in markers if m["on_map"]]
    groups = geo.cluster(placed)
    if not groups:
        return []
    largest = max(sum(m["count"] for m in group) for group in groups)
    drawn = []
    for group in groups:
        leader = group[0]
        count = sum(m["count"] for m in group)
        if len(group) == 1:
            drawn.append({**leader, "cluster": False, "r": geo.radius(count, largest)})
            continue
        codes = sorted({m["city"].country.code for m in group})
        url = (
            reverse("opendata:city_index") + "?" + urlencode({"country": codes[0]})
            if len(codes) == 1
            else "#map-list"
        )
        names = [m["name"] for m in group[:3]]
        drawn.append(
            {
                "cluster": True,
                "x": leader["x"],
                "y": leader["y"],
                "r": max(geo.radius(count, largest), 7.0),  # room for its number
                "count": count,
                "cities": len(group),
                "names": ", ".join(names),
                "more": len(group) - len(names),
                "countries": ", ".join(str(countries.name(code)) for code in codes[:3]),
                "url": url,
            }
        )
    # Big circles first, so that small ones stay on top and clickable.
    drawn.sort(key=lambda d: -d["r"])
    return drawn


@require_safe
def explore(request):
    language = current_language()
    try:
        selection = sel.parse_selection(request.GET, language, strict=False)
    except BadSearchRequest as exc:
        return _explore_error(request, language, exc)
    query = _query_with(request)
    options = _filter_options(language, selection)  # first: it may count the selection too
    markers = city_markers(selection)
    context = {
        "error": "",
        "selection": selection,
        "search_request": selection.request,
        # How many filters are applied (the "Filters (n)" toggle on phones).
        "filter_count": selection.filter_count(),
        "city_names": _city_names(selection),
        "total": charts.total(selection),
        "charts": explore_charts(selection, request),
        "markers": markers[:MAP_LIST_LENGTH],
        "marker_total": len(markers),
        "clusters": map_clusters(markers),
        "cities_url": reverse("opendata:city_index"),
        "map": {"width": geo.WIDTH, "height": geo.HEIGHT},
        "options": options,
        "query": query,
        "search_url": reverse("search") + query,
        "downloads": download_list(query),
        "feeds": [
            {"format": "RSS", "url": reverse("opendata:feed", args=["rss"]) + query},
            {"format": "Atom", "url": reverse("opendata:feed", args=["atom"]) + query},
        ],
    }
    return TemplateResponse(request, "opendata/explore.html", context)


def _city_names(selection: sel.Selection) -> list[str]:
    return list(CITY.display(selection.values.get("city", ()), selection.language).values())


def _explore_error(request, language: str, error: BadSearchRequest):
    """400: the message (and, for a filter value, a link without it) above the form; no figures,
    since none are those of the selection asked for."""
    empty = sel.parse_selection(QueryDict(), language, strict=False)
    context = {
        "error": error.message,
        "filter_error": error_context(request, error) if isinstance(error, BadFilter) else None,
        "selection": empty,
        "search_request": empty.request,
        "filter_count": 0,
        "options": _filter_options(language),
    }
    return TemplateResponse(request, "opendata/explore.html", context, status=400)


# ----------------------------------------------------------------------------------------------
# Cities
# ----------------------------------------------------------------------------------------------
CITIES_PER_PAGE = 100


def _city_index_error(request, message: str, status: int):
    return TemplateResponse(
        request,
        "opendata/city_index.html",
        {"error": message, "entries": [], "letters": [], "countries": [], "total": 0},
        status=status,
    )


@require_safe
def city_index(request):
    """`/cities/`: every city with a live case, by name, a page at a time; by country and by letter.

    Follows the search's rule for parameters: a malformed page number is a 400 with a message, a
    page past the last a 404; an unknown country or letter is ignored (the whole list).
    """
    from django_countries import countries as all_countries

    from django.core.paginator import Paginator

    from casestudies.models import City, Continent, live_cases

    language = current_language()
    # .order_by(): without it the pages' default ordering (path) joins the GROUP BY.
    counts = dict(
        live_cases()
        .exclude(city__isnull=True)
        .values("city_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("city_id", "n")
    )
    # Plain rows, not model instances: thousands of cities are read on every request.
    rows = list(
        City.objects.filter(pk__in=counts)
        .order_by()
        .values_list("pk", "name", "name_ko", "slug", "country", "continent")
    )
    country = (request.GET.get("country") or "").strip().upper()[:2]
    if country not in all_countries:
        country = ""
    # The country list: those of the cities, grouped by continent (an <optgroup> each).
    per_country: dict[str, int] = {}
    continent_of: dict[str, str] = {}
    for _pk, _name, _name_ko, _slug, code, continent in rows:
        per_country[code] = per_country.get(code, 0) + 1
        continent_of.setdefault(code, continent)
    country_names = {code: str(all_countries.name(code)) for code in per_country}
    country_groups = []
    for value, label in Continent.choices:
        members = sorted(
            (
                {"code": code, "name": country_names[code], "cities": n, "selected": code == country}
                for code, n in per_country.items()
                if continent_of[code] == value
            ),
            key=lambda c: c["name"].casefold(),
        )
        if members:
            country_groups.append({"label": label, "countries": members})
    entries = []
    for pk, name, name_ko, slug, code, _continent in rows:
        if country and code != country:
            continue
        shown_name = name_ko if language == "ko" and name_ko else name
        entries.append(
            {
                "slug": slug,
                "name": shown_name,
                "country_name": country_names[code],
                "count": counts[pk],
                "letter": letters.initial(shown_name),
            }
        )
    present = sorted({entry["letter"] for entry in entries}, key=letters.order)
    letter = (request.GET.get("letter") or "").strip()[:2]
    if letter not in letters.LETTERS:
        letter = ""
    shown = [entry for entry in entries if not letter or entry["letter"] == letter]
    shown.sort(key=lambda entry: letters.sort_key(entry["name"]))
    paginator = Paginator(shown, CITIES_PER_PAGE)
    raw_page = (request.GET.get("page") or "1").strip()
    if not re.fullmatch(r"[0-9]{1,9}", raw_page) or int(raw_page) < 1:
        return _city_index_error(request, _("“page” must be a whole number from 1."), 400)
    if int(raw_page) > paginator.num_pages:
        message = _("There are only %(pages)d pages of cities.") % {"pages": paginator.num_pages}
        return _city_index_error(request, message, 404)
    page = paginator.page(int(raw_page))
    # Headings inside the page: the letter changes.
    previous = None
    for entry in page.object_list:
        entry["new_letter"] = entry["letter"] != previous
        previous = entry["letter"]
    letter_links = [
        {
            "letter": value,
            "label": _("other") if value == letters.OTHER else value,
            "url": _query_with(request, letter=value),
            "current": value == letter,
        }
        for value in present
    ]
    context = {
        "language": language,
        "total": len(rows),
        "matching": len(shown),
        "country": country,
        "country_name": str(all_countries.name(country)) if country else "",
        "country_groups": country_groups,
        "letter": letter,
        "letters": letter_links,
        "all_letters_url": _query_with(request, letter=None),
        "clear_url": reverse("opendata:city_index"),
        "cities_url": reverse("opendata:city_index"),
        "items": page,
        "entries": page.object_list,
        "error": "",
    }
    return TemplateResponse(request, "opendata/city_index.html", context)


@require_safe
def city_profile(request, slug: str):
    from casestudies.models import City, PolicyArea, live_cases

    city = get_object_or_404(City, slug=slug)
    language = current_language()
    cases = list(
        live_cases().filter(city=city).prefetch_related("policy_areas").order_by("-start_date", "-pk")
    )
    sessions, discussed = [], []
    try:
        from archive.models import SessionPage, SummitPage

        visible = public_now(SessionPage.objects.filter(locale__language_code=language))
        # A city takes part in a session as a participating city, as the summit's host, or
        # through one of its officials among the speakers (speakers name their city as text).
        hosted = Q(pk__in=[])
        for summit in SummitPage.objects.filter(host_city=city):
            hosted |= Q(path__startswith=summit.path)
        names = {name for name in (city.name, city.name_ko) if name}
        spoke = Q(pk__in=[])
        for name in names:
            spoke |= Q(speakers__city__iexact=name)
        roles: dict[int, list[str]] = {}
        for role, condition in (
            (_("host city"), hosted),
            (_("a speaker from the city"), spoke),
            (_("participating city"), Q(cities=city)),
        ):
            for pk in visible.filter(condition).values_list("pk", flat=True).distinct():
                roles.setdefault(pk, []).append(str(role))
        sessions = list(visible.filter(pk__in=roles).order_by("start"))
        for session in sessions:
            session.city_roles = roles[session.pk]
        case_ids = [case.pk for case in cases]
        discussed = list(
            visible.filter(Q(related_cases__in=case_ids) | Q(chapters__case_study__in=case_ids))
            .exclude(pk__in=[s.pk for s in sessions])
            .distinct()
            .order_by("start")
        )
    except (ImportError, LookupError):  # the archive app not installed
        sessions, discussed = [], []
    # A city exists for the public while public content names it: one that only drafts use is a
    # 404, as an unknown one is (casestudies.visibility).
    if not cases and not sessions and not public_cities().filter(pk=city.pk).exists():
        raise Http404(_("No case study or session involves this city."))
    by_area = []
    for area in PolicyArea.objects.filter(locale__language_code=language):
        members = [case for case in cases if any(a.slug == area.slug for a in case.policy_areas.all())]
        if members:
            by_area.append({"area": area, "cases": members})
    query = "?" + urlencode({"city": city.slug})
    context = {
        "city": city,
        "cases": cases,
        "by_area": by_area,
        "sessions": sessions,
        "discussed": discussed,
        "marker": geo.project(city.longitude, city.latitude)
        if city.latitude is not None and city.longitude is not None
        else None,
        "map": {"width": geo.WIDTH, "height": geo.HEIGHT},
        "explore_url": reverse("opendata:explore") + query,
        "downloads": download_list(query, ("csv", "json")),
        "feeds": [
            {"format": "RSS", "url": reverse("opendata:feed", args=["rss"]) + query},
            {"format": "Atom", "url": reverse("opendata:feed", args=["atom"]) + query},
        ],
    }
    return TemplateResponse(request, "opendata/city_profile.html", context)
