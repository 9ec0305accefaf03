"""The public search page, its JSON form and the autocomplete endpoint.

`/<lang>/search/` answers HTML, or JSON with `format=json` or `Accept: application/json`;
`/<lang>/search/suggest/?q=…` answers JSON suggestions. Malformed parameters answer 400 with a
message (HTML page or `{"error": message}`), never 500.
"""

from __future__ import annotations

from dataclasses import replace

from django.http import JsonResponse, QueryDict
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from ops import ratelimit
from ops.i18n import current_language
from search import filters, service
from search.embeddings import semantic_enabled
from search.service import BadSearchRequest
from search.types import FACETS, SearchRequest, SearchResponse

FORMATS = ("html", "json")
# Facet lists up to this long show whole; longer ones show the first few and "Show all (n)".
FACET_SHOWN_WHOLE = 12
FACET_SHOWN_FIRST = 8


def _wants_json(request) -> bool:
    fmt = request.GET.get("format", "")
    if fmt:
        return fmt == "json"
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def _bad_request(request, error: BadSearchRequest, as_json: bool):
    if as_json:
        response = JsonResponse(
            filters.error_json(error), status=400, json_dumps_params={"ensure_ascii": False}
        )
    else:
        context = {"error": error.message, "query": "", "response": None}
        if isinstance(error, filters.BadFilter):
            context["filter_error"] = filters.error_context(request, error)
        response = TemplateResponse(request, "search/search.html", context, status=400)
    patch_vary_headers(response, ["Accept"])
    return response


def response_json(response: SearchResponse) -> dict:
    """The JSON form of a search (the documented shape: nothing more, nothing less)."""
    return {
        "count": response.count,
        "page": response.page,
        "num_pages": response.num_pages,
        "results": [
            {
                "title": hit.title,
                "url": hit.url,
                "locale": hit.locale,
                "city": hit.city,
                "country": hit.country,
                "continent": hit.continent,
                "policy_areas": hit.policy_areas,
                "measure_types": hit.measure_types,
                "start_date": hit.start_date.isoformat() if hit.start_date else None,
                "summary": hit.summary,
                "highlight": hit.highlight,
                "score": hit.score,
                "language": hit.language or hit.locale,
                "translated": hit.translated,
            }
            for hit in response.hits
        ],
        "facets": {facet: dict(response.facets.get(facet, {})) for facet in FACETS},
        "did_you_mean": response.did_you_mean,
        "corrected_from": response.corrected_from,
    }


@require_safe
def search_view(request):
    if usage := ratelimit.check(request, "search"):
        return ratelimit.too_many_requests(usage, "search", request)
    fmt = request.GET.get("format", "")
    as_json = _wants_json(request)
    if fmt and fmt not in FORMATS:
        return _bad_request(
            request,
            BadSearchRequest(
                _("Unknown format “%(format)s”: use html or json.")
                % {"format": service.clean_query(fmt)[:20]}
            ),
            False,
        )
    try:
        search_request = service.parse_request(request.GET, current_language())
    except BadSearchRequest as exc:
        return _bad_request(request, exc, as_json)

    # `spell=0`: the words exactly as typed (the "Search instead for …" link), never retried.
    result = service.search_with_spelling(search_request, retry=request.GET.get("spell") != "0")
    if as_json:
        response = JsonResponse(response_json(result), json_dumps_params={"ensure_ascii": False})
    else:
        response = TemplateResponse(
            request, "search/search.html", page_context(request, search_request, result)
        )
    patch_vary_headers(response, ["Accept"])
    return response


@require_safe
def suggest_view(request):
    if usage := ratelimit.check(request, "suggest"):
        return ratelimit.too_many_requests(usage, "suggest", request)
    query = service.clean_query(request.GET.get("q", ""))[:100]
    suggestions = service.suggest(current_language(), query) if query else []
    return JsonResponse(
        {
            "query": query,
            "suggestions": [
                {"kind": s.kind, "label": s.label, "url": s.url, "value": s.value} for s in suggestions
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )


# ----------------------------------------------------------------------------------------------
# HTML page context
# ----------------------------------------------------------------------------------------------
def _labels(language: str, response: SearchResponse, search_request: SearchRequest) -> dict[str, dict]:
    """Display names of every facet value on the page, in the page's language (search.filters:
    one query for the areas, one for the measure types)."""
    registered = filters.registered()
    labels = {}
    for facet in (*FACETS, "type"):
        item = registered.get(facet)
        if item is None or item.labels is None:
            labels[facet] = {}
            continue
        values = set(response.facets.get(facet, {})) | {
            str(value) for value in getattr(search_request, "doc_type" if facet == "type" else facet)
        }
        if facet == "measure":
            for hit in response.hits:
                values.update(hit.measure_types)
        labels[facet] = item.labels(sorted(values), language)
    return labels


def _facet_title(facet: str) -> str:
    return str(filters.registered()[facet].title)


def _querystring(request, **changes) -> str:
    """The current query string with some parameters removed or replaced (page always reset)."""
    query: QueryDict = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query.setlist(key, value if isinstance(value, list) else [value])
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def _facet_groups(response: SearchResponse, search_request: SearchRequest, labels: dict) -> list[dict]:
    groups = []
    count_labels: dict[int, str] = {}  # "result" / "results" after each count, for screen readers
    for facet in FACETS:
        counts = response.facets.get(facet, {})
        selected = {str(value) for value in getattr(search_request, facet)}
        options = []
        for value, count in counts.items():
            label = labels.get(facet, {}).get(value, value) if facet != "year" else value
            if count not in count_labels:
                count_labels[count] = ngettext("result", "results", count)
            options.append(
                {
                    "value": value,
                    "label": label,
                    "count": count,
                    "count_label": count_labels[count],
                    "selected": value in selected,
                }
            )
        order = filters.registered()[facet].order
        if order == "labels":
            position = {value: i for i, value in enumerate(labels.get(facet, {}))}
            options.sort(key=lambda o: position.get(o["value"], len(position)))
        elif order == "descending":
            options.sort(key=lambda o: o["value"], reverse=True)
        else:
            options.sort(key=lambda o: (not o["selected"], -o["count"], o["label"]))
        # A short list shows whole; a long one shows its first values and "Show all (n)" (no
        # fixed-height scroll box that hides values without a cue). Selected values come first in
        # the long lists (sorted above), and the rest opens when one of them is selected anyway.
        shown, more = (
            (options, [])
            if len(options) <= FACET_SHOWN_WHOLE
            else (
                options[:FACET_SHOWN_FIRST],
                options[FACET_SHOWN_FIRST:],
            )
        )
        groups.append(
            {
                "name": facet,
                "title": _facet_title(facet),
                "options": shown,
                "more": more,
                "options_html": _options_html(facet, shown),
                "more_html": _options_html(facet, more),
                "more_open": any(option["selected"] for option in more),
                "total": len(options),
            }
        )
    return groups


# One facet value's checkbox. Written here, not as a template included per value: a search page lists
# a hundred values or more (countries, measure types), and rendering them through the template
# language was a third of a search page's time; this is a tenth of that.
_OPTION_HTML = (
    "<li><label>"
    '<input type="checkbox" name="{}" value="{}"{} data-autosubmit> '
    '<span class="facet__label">{}</span> '
    '<span class="facet__count">{}<span class="visually-hidden"> {}</span></span>'
    "</label></li>"
)


def _options_html(facet: str, options: list[dict]) -> str:
    """The checkboxes of one facet's values, as `<li>`s (escaped by format_html)."""
    return format_html_join(
        "\n",
        _OPTION_HTML,
        (
            (
                facet,
                option["value"],
                mark_safe(" checked") if option["selected"] else "",  # noqa: S308 - a constant
                option["label"],
                option["count"],
                option["count_label"],
            )
            for option in options
        ),
    )


def _chips(request, search_request: SearchRequest, labels: dict) -> list[dict]:
    chips = []
    for facet in (*FACETS, "type"):
        values = search_request.doc_type if facet == "type" else getattr(search_request, facet)
        for value in values:
            value = str(value)
            remaining = [str(v) for v in values if str(v) != value]
            label = value if facet == "year" else labels.get(facet, {}).get(value, value)
            chips.append(
                {
                    "facet": _facet_title(facet),
                    "label": label,
                    "url": _querystring(request, **{facet: remaining or None}),
                }
            )
    return chips


def _drop_suggestions(request, search_request: SearchRequest, labels: dict) -> list[dict]:
    """With no results: what dropping each active filter (or the words) would give."""
    suggestions = []
    for facet in (*FACETS, "type"):
        field = "doc_type" if facet == "type" else facet
        values = getattr(search_request, field)
        if not values:
            continue
        count = service.search(replace(search_request, **{field: ()}, page=1, page_size=1)).count
        if count:
            names = ", ".join(
                str(v) if facet == "year" else str(labels.get(facet, {}).get(str(v), v)) for v in values
            )
            suggestions.append(
                {
                    "label": _("the filter “%(filter)s”") % {"filter": f"{_facet_title(facet)}: {names}"},
                    "count": count,
                    "url": _querystring(request, **{facet: None}),
                }
            )
    if search_request.query:
        count = service.search(replace(search_request, query="", page=1, page_size=1)).count
        if count:
            suggestions.append(
                {
                    "label": _("the words “%(query)s”") % {"query": search_request.query},
                    "count": count,
                    "url": _querystring(request, q=None),
                    "is_query": True,
                }
            )
    suggestions.sort(key=lambda s: -s["count"])
    return suggestions


def _page_links(request, page: int, num_pages: int) -> list[dict]:
    if num_pages <= 1:
        return []
    numbers = sorted({1, num_pages, *range(max(1, page - 2), min(num_pages, page + 2) + 1)})
    links, previous = [], 0
    for number in numbers:
        if number - previous > 1:
            links.append({"gap": True})
        links.append(
            {"number": number, "current": number == page, "url": _querystring(request, page=str(number))}
        )
        previous = number
    return links


def _like_title(search_request: SearchRequest) -> str:
    """The title of the page a "more like this" search starts from ("" when none or not public)."""
    if not search_request.like:
        return ""
    from wagtail.models import Page

    from casestudies.visibility import public_now

    page = public_now(Page.objects).filter(pk=search_request.like).only("title").first()
    return page.title if page else ""


def page_context(request, search_request: SearchRequest, response: SearchResponse) -> dict:
    language = search_request.language
    labels = _labels(language, response, search_request)
    for hit in response.hits:
        hit.area_labels = [(slug, labels["area"].get(slug, slug)) for slug in hit.policy_areas]
        # Found across languages: the visitor is told in which language the case is written.
        hit.language_label = "" if hit.translated else labels["lang"].get(hit.language, hit.language)
    has_filters = any(getattr(search_request, facet) for facet in FACETS) or bool(search_request.doc_type)
    past_last_page = response.count > 0 and not response.hits and search_request.page > response.num_pages
    context = {
        "query": search_request.query,
        "search_request": search_request,
        "response": response,
        "hits": response.hits,
        "facet_groups": _facet_groups(response, search_request, labels),
        "type_options": [
            {"value": value, "label": label, "selected": value in search_request.doc_type}
            for value, label in labels["type"].items()
        ],
        "chips": _chips(request, search_request, labels),
        "clear_url": _querystring(request, **{name: None for name in (*FACETS, "type")}),
        "browse_mode": not search_request.query,
        "has_filters": has_filters,
        "past_last_page": past_last_page,
        "last_page_url": _querystring(request, page=str(response.num_pages)),
        "page_links": _page_links(request, search_request.page, response.num_pages),
        "previous_url": _querystring(request, page=str(search_request.page - 1))
        if search_request.page > 1 and not past_last_page
        else None,
        "next_url": _querystring(request, page=str(search_request.page + 1))
        if search_request.page < response.num_pages
        else None,
        "first_result": (search_request.page - 1) * search_request.page_size + 1,
        "last_result": (search_request.page - 1) * search_request.page_size + len(response.hits),
        "json_url": _querystring(request, format="json", page=str(search_request.page)),
        "drop_suggestions": [],
        "more_like_this": semantic_enabled() and not search_request.like,
        "like_title": _like_title(search_request),
    }
    if response.count == 0 and (has_filters or search_request.query):
        context["drop_suggestions"] = _drop_suggestions(request, search_request, labels)
    context.update(_spelling_context(request, response))
    return context


def _spelling_context(request, response: SearchResponse) -> dict:
    """Links for a corrected search: the results shown are for `did_you_mean`; the words as
    typed stay one click away (`spell=0`)."""
    if response.corrected_from and response.did_you_mean:
        return {
            "query": response.did_you_mean,
            "original_query_url": _querystring(request, q=response.corrected_from, spell="0"),
        }
    if response.did_you_mean:
        return {"did_you_mean_url": _querystring(request, q=response.did_you_mean, spell=None)}
    return {}
