"""Template tags of the open-data app: head metadata (feeds, Open Graph, JSON-LD), citations and
download links for any search/browse view."""

from __future__ import annotations

import json

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from casestudies.filters import SELECTION_FILTERS
from opendata.rows import LICENCE_URL, absolute, platform_name
from ops.http import local_path
from ops.i18n import current_language

register = template.Library()

OG_LOCALES = {"en": "en_US", "ko": "ko_KR"}
# What a download or feed of the current view carries along: its words and its filters.
FILTER_PARAMETERS = ("q", *SELECTION_FILTERS)


def selection_query(request) -> str:
    """The current filters (search parameters only) as `?…`, or ""."""
    if request is None:
        return ""
    query = request.GET.copy()
    for key in list(query):
        values = [value for value in query.getlist(key) if value.strip()]
        if key not in FILTER_PARAMETERS or not values:
            query.pop(key)
        else:
            query.setlist(key, values)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else ""


def json_ld(data: dict) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=None, separators=(",", ":"))
    # Nothing in the data can close the script element or open a comment.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308 - escaped above


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def case_json_ld(page, request) -> dict:
    from opendata.cite import author, permalink

    url = absolute(request, page.get_url(request=request) or "")
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": page.title[:110],
        "name": page.title,
        "description": page.summary,
        "inLanguage": page.locale.language_code,
        "url": url,
        "mainEntityOfPage": url,
        "identifier": permalink(page, request),
        "datePublished": _iso(page.first_published_at),
        "dateModified": _iso(page.last_published_at),
        "author": {"@type": "Organization", "name": author(page)},
        "publisher": {"@type": "Organization", "name": platform_name()},
        "license": LICENCE_URL,
        "about": [area.display_name for area in page.policy_areas.all()],
        "keywords": [measure.display_name for measure in page.measure_types.all()],
    }
    if page.start_date:
        end = page.end_date.isoformat() if page.end_date else ".."
        data["temporalCoverage"] = f"{page.start_date.isoformat()}/{end}"
    city = page.city
    if city is not None:
        place = {
            "@type": "City",
            "name": city.display_name,
            "address": {"@type": "PostalAddress", "addressCountry": str(city.country.code or "")},
        }
        if city.latitude is not None and city.longitude is not None:
            place["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": float(city.latitude),
                "longitude": float(city.longitude),
            }
        data["contentLocation"] = place
    return {key: value for key, value in data.items() if value not in (None, "", [])}


def session_json_ld(page, request) -> dict:
    url = absolute(request, page.get_url(request=request) or "")
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": page.title,
        "description": page.topic or "",
        "inLanguage": page.locale.language_code,
        "url": url,
        "startDate": _iso(page.start),
        "endDate": _iso(page.end),
        "eventStatus": "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OnlineEventAttendanceMode",
        "location": {"@type": "VirtualLocation", "url": url},
        "organizer": {"@type": "Organization", "name": (page.department or platform_name())},
    }
    summit = page.summit
    if summit is not None:
        data["superEvent"] = {
            "@type": "Event",
            "name": summit.name or summit.title,
            "startDate": summit.start_date.isoformat() if summit.start_date else None,
            "endDate": summit.end_date.isoformat() if summit.end_date else None,
            "url": absolute(request, summit.get_url(request=request) or ""),
        }
        if summit.organiser:
            data["organizer"] = {"@type": "Organization", "name": summit.organiser}
    speakers = [s for s in page.speakers.all() if s.name]
    if speakers:
        data["performer"] = [
            {k: v for k, v in {"@type": "Person", "name": s.name, "jobTitle": s.role}.items() if v}
            for s in speakers
        ]
    if page.policy_area_id:
        data["about"] = page.policy_area.display_name
    cities = [city.display_name for city in page.cities.all()]
    if cities:
        data["contributor"] = [{"@type": "City", "name": name} for name in cities]
    return {key: value for key, value in data.items() if value not in (None, "", [])}


def _page_kind(page) -> str:
    name = type(page).__name__
    return {"CaseStudyPage": "case", "SessionPage": "session"}.get(name, "")


@register.inclusion_tag("opendata/includes/head.html", takes_context=True)
def opendata_head(context):
    """Feed alternates, Open Graph and (cases, sessions) schema.org JSON-LD for the <head>."""
    request = context.get("request")
    page = context.get("page") or context.get("self")
    language = current_language()
    feeds = [
        {
            "type": "application/rss+xml",
            "title": _("New case studies (RSS)"),
            "url": reverse("opendata:feed", args=["rss"]),
        },
        {
            "type": "application/atom+xml",
            "title": _("New case studies (Atom)"),
            "url": reverse("opendata:feed", args=["atom"]),
        },
    ]
    match = getattr(request, "resolver_match", None)
    query = selection_query(request)
    if query and match is not None and match.url_name in ("search", "explore", "city"):
        feeds.append(
            {
                "type": "application/atom+xml",
                "title": _("Case studies of this selection (Atom)"),
                "url": reverse("opendata:feed", args=["atom"]) + query,
            }
        )
    data = {"feeds": feeds, "og": None, "json_ld": ""}
    if request is None:
        return data
    og = {
        "site_name": platform_name(),
        "locale": OG_LOCALES[language],
        "alternates": [code for lang, code in OG_LOCALES.items() if lang != language],
        "type": "website",
        "url": request.build_absolute_uri(local_path(request, query=False)),
        "title": "",
        "description": "",
    }
    if page is not None and getattr(page, "pk", None):
        og["title"] = getattr(page, "seo_title", "") or page.title
        og["description"] = getattr(page, "search_description", "") or getattr(page, "summary", "") or ""
        page_url = page.get_url(request=request)
        if page_url:
            og["url"] = absolute(request, page_url)
        kind = _page_kind(page)
        try:
            if kind == "case":
                og["type"] = "article"
                og["published_time"] = _iso(page.first_published_at)
                og["modified_time"] = _iso(page.last_published_at)
                og["sections"] = [area.display_name for area in page.policy_areas.all()]
                data["json_ld"] = json_ld(case_json_ld(page, request))
            elif kind == "session":
                if not og["description"]:
                    og["description"] = page.topic or ""
                data["json_ld"] = json_ld(session_json_ld(page, request))
        except Exception:  # noqa: BLE001 - metadata must never break a page
            import logging

            logging.getLogger(__name__).exception("opendata: no JSON-LD for page %s", page.pk)
    data["og"] = og
    return data


@register.simple_tag(takes_context=True)
def case_citation(context, page) -> dict:
    from opendata.cite import apa_citation, permalink, updated_on

    request = context.get("request")
    return {
        "permalink": permalink(page, request),
        "apa": apa_citation(page, request),
        "updated": updated_on(page),
        "bibtex_url": reverse("opendata:case_bibtex", args=[page.pk]),
        "ris_url": reverse("opendata:case_ris", args=[page.pk]),
    }


@register.inclusion_tag("opendata/includes/data_links.html", takes_context=True)
def download_links(context, **extra):
    """CSV/JSON/JSON Lines and feed links of the current view's filters (search page, case index).

    Extra keyword arguments add filters, e.g. `{% download_links city=page.city.slug %}`.
    """
    from django.http import QueryDict

    from opendata.exports import download_list

    request = context.get("request")
    query = selection_query(request)
    if extra:
        params = QueryDict(query.lstrip("?"), mutable=True)
        for key, value in extra.items():
            if key in FILTER_PARAMETERS and value:
                params.setlist(key, [str(value)])
        encoded = params.urlencode()
        query = f"?{encoded}" if encoded else ""
    return {
        "downloads": download_list(query),
        "feeds": [
            {"format": "RSS", "url": reverse("opendata:feed", args=["rss"]) + query},
            {"format": "Atom", "url": reverse("opendata:feed", args=["atom"]) + query},
        ],
    }
