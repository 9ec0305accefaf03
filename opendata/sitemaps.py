"""`/sitemap.xml`: every live, public page of both language trees, each with its translations as
`xhtml:link rel="alternate" hreflang` entries, plus the explore page, the city index and the city
profiles in both languages.

Wagtail's own sitemap lists only the default site's root tree (the English one here), without
alternates: this one covers every locale's tree.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sitemaps import Sitemap as DjangoSitemap
from django.urls import reverse

from wagtail.contrib.sitemaps import views as wagtail_sitemap_views
from wagtail.contrib.sitemaps.sitemap_generator import Sitemap as WagtailSitemap

from casestudies.visibility import public_cities, public_now
from opendata.rows import on_request_host


class PagesSitemap(WagtailSitemap):
    def items(self):
        from wagtail.models import Page

        site = self.get_wagtail_site()
        roots = list(site.root_page.get_translations(inclusive=True))
        queryset = Page.objects.none()
        for root in roots:
            queryset |= Page.objects.descendant_of(root, inclusive=True)
        return (
            public_now(queryset)
            .filter(alias_of__isnull=True)
            .order_by("path")
            .defer_streamfields()
            .specific()
        )

    def _alternates(self) -> dict:
        """translation_key -> [(language, url)], for every page in the sitemap (computed once)."""
        if not hasattr(self, "_alternates_cache"):
            table: dict = {}
            for page in self.items():
                url = on_request_host(self.request, page.get_full_url(self.request))
                if url:
                    table.setdefault(page.translation_key, []).append((page.locale.language_code, url))
            self._alternates_cache = table
        return self._alternates_cache

    def _urls(self, page, protocol, domain):
        urls = super()._urls(page, protocol, domain)
        alternates = self._alternates()
        by_location = {}
        for page_obj in self.paginator.page(page).object_list:
            by_location[on_request_host(self.request, page_obj.get_full_url(self.request))] = (
                page_obj.translation_key
            )
        for url_info in urls:
            url_info["location"] = on_request_host(self.request, url_info.get("location"))
            key = by_location.get(url_info.get("location"))
            versions = alternates.get(key, []) if key else []
            if len(versions) > 1:
                url_info["alternates"] = [{"lang_code": code, "location": loc} for code, loc in versions] + [
                    {
                        "lang_code": "x-default",
                        "location": next(
                            (loc for code, loc in versions if code == settings.LANGUAGE_CODE), versions[0][1]
                        ),
                    }
                ]
        return urls


class OpenDataSitemap(DjangoSitemap):
    """The open-data pages in every language, with their alternates (Django's i18n sitemap)."""

    i18n = True
    alternates = True
    x_default = False  # the unprefixed URL only redirects by Accept-Language
    changefreq = "weekly"

    def items(self):
        items = [("opendata:explore", ()), ("opendata:city_index", ())]
        # Every city whose profile answers: the cities public content uses.
        for slug in public_cities().order_by("slug").values_list("slug", flat=True):
            items.append(("opendata:city", (slug,)))
        return items

    def location(self, item):
        name, args = item
        return reverse(name, args=args)


def sitemap_view(request):
    return wagtail_sitemap_views.sitemap(
        request, sitemaps={"pages": PagesSitemap, "opendata": OpenDataSitemap()}
    )
