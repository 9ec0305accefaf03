from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cac_platform.health import healthz
from opendata.sitemaps import sitemap_view as opendata_sitemap


class FaviconView(RedirectView):
    """`/favicon.ico` → the static icon (its hashed name in production)."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs) -> str:
        return static("img/favicon.ico")


urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    # opendata: both language trees, with hreflang alternates (replaces Wagtail's default-site sitemap).
    path("sitemap.xml", opendata_sitemap),
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico on every site (pages also name the icon in <head>).
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    # opendata: the read-only API (Wagtail API v2) and its OpenAPI description.
    path("api/v2/", include("opendata.api.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Django's 404 page, but not rendered for a 404 that LocaleMiddleware replaces by its redirect.
handler404 = "cac_platform.errors.page_not_found"

# Every public page lives under /en/ or /ko/; "/" redirects by Accept-Language.
urlpatterns += i18n_patterns(
    path("search/", include("search.urls")),
    # Open data: exports, feeds, permalinks, explore, city profiles (before Wagtail's catch-all).
    path("", include("opendata.urls")),
    path("", include(wagtail_urls)),
    prefix_default_language=True,
)
