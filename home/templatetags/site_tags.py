"""Site-wide template tags: the language switcher, hreflang alternates and navigation."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language_info

from wagtail.models import Locale, Page, Site

from casestudies.visibility import public_now
from ops.cache import kept
from ops.http import local_path
from ops.i18n import current_language

register = template.Library()


def _home_for(language_code: str, request) -> Page | None:
    """The live home page of a language; asked by the logo link, the menu and the language
    switcher of every page, so read once per request (kept on the request)."""
    homes = request.__dict__.setdefault("_cac_home_for", {})
    if language_code not in homes:
        site = Site.find_for_request(request)
        homes[language_code] = (
            None
            if site is None
            else site.root_page.get_translations(inclusive=True)
            .filter(locale__language_code=language_code)
            .live()
            .first()
        )
    return homes[language_code]


def language_versions(context) -> list[dict]:
    """Each language with the URL of this page in it, or None when no translation is live.

    Asked twice per page (the hreflang links and the switcher): computed once per request and
    page (kept on the request); each caller gets its own copies to change."""
    request = context["request"]
    page = context.get("page") or context.get("self")
    known = request.__dict__.setdefault("_cac_language_versions", {})
    key = id(page) if isinstance(page, Page) and page.pk else None
    if key not in known:
        known[key] = _language_versions(request, page if key is not None else None)
    return [dict(version) for version in known[key]]


def _language_versions(request, page: Page | None) -> list[dict]:
    current = current_language()
    if page is not None:
        # Every public translation in one query (its locale with it).
        urls = {page.locale.language_code: page.get_url(request)}
        for translation in public_now(page.get_translations()).select_related("locale"):
            urls.setdefault(translation.locale.language_code, translation.get_url(request))
    versions = []
    for code, _name in settings.LANGUAGES:
        info = get_language_info(code)
        entry = {"code": code, "name": info["name_local"], "current": code == current, "url": None}
        if page is not None:
            entry["url"] = urls.get(code)
        else:
            entry["url"] = translate_url(local_path(request), code)
        if entry["url"] is None:
            home = _home_for(code, request)
            entry["fallback_url"] = home.get_url(request) if home else f"/{code}/"
        versions.append(entry)
    return versions


@register.inclusion_tag("includes/language_switcher.html", takes_context=True)
def language_switcher(context):
    """The other language's version of this page, with the same query string: filters, words and
    page number are the same in both languages (`/en/cases/?area=education` → `/ko/cases/?area=education`)."""
    versions = language_versions(context)
    query = context["request"].META.get("QUERY_STRING", "")
    page = context.get("page") or context.get("self")
    if query and isinstance(page, Page):  # other views' URLs come from get_full_path, query included
        for version in versions:
            if version["url"] and not version["current"]:
                version["url"] = f"{version['url']}?{query}"
    return {"versions": versions}


@register.inclusion_tag("includes/hreflang.html", takes_context=True)
def hreflang_alternates(context):
    request = context["request"]
    versions = [v for v in language_versions(context) if v["url"]]
    for version in versions:
        version["absolute_url"] = request.build_absolute_uri(version["url"])
    default = next((v for v in versions if v["code"] == settings.LANGUAGE_CODE), None)
    return {"versions": versions, "default": default}


def site_navigation_for(request) -> dict:
    """{"home_url": str | None, "menu": [{"pk", "url", "title"}]} for the visitor's language.

    The same on every page of a language, and four queries (the site, the home page, the view
    restrictions, the menu): kept per content generation for the requests that miss the page
    cache (ops.cache.kept), until a publish, a move, a restriction or a site changes on any host,
    or one of its pages expires."""
    language = current_language()

    def make() -> dict:
        home = _home_for(language, request)
        pages = list(public_now(home.get_children()).in_menu()) if home is not None else []
        expiries = [p.expire_at.timestamp() for p in [home, *pages] if p is not None and p.expire_at]
        return {
            "home_url": home.get_url(request) if home is not None else None,
            "menu": [{"pk": item.pk, "url": item.get_url(request), "title": item.title} for item in pages],
            "expires": min(expiries, default=None),
        }

    return kept(("home.navigation", request.get_host(), language), make, until=lambda value: value["expires"])


@register.simple_tag(takes_context=True)
def site_navigation(context) -> dict:
    return site_navigation_for(context["request"])


@register.simple_tag(takes_context=True)
def locale_home(context) -> Page | None:
    return _home_for(current_language(), context["request"])


@register.simple_tag(takes_context=True)
def main_menu(context) -> list[Page]:
    home = _home_for(current_language(), context["request"])
    if home is None:
        return []
    return list(public_now(home.get_children()).in_menu())


@register.simple_tag
def active_locale() -> Locale | None:
    return Locale.objects.filter(language_code=current_language()).first()


@register.simple_tag(takes_context=True)
def query_without(context, key: str, value: str = "") -> str:
    """The current query string without one parameter value (for removable filter chips)."""
    query = context["request"].GET.copy()
    query.pop("page", None)
    if value:
        values = [v for v in query.getlist(key) if v != str(value)]
        query.setlist(key, values)
    else:
        query.pop(key, None)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def query_with(context, key: str, value) -> str:
    """The current query string with one parameter set (pagination links keep the filters)."""
    query = context["request"].GET.copy()
    query[key] = str(value)
    return f"?{query.urlencode()}"
