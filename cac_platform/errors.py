"""The site's 404 view: Django's, except for the 404s that LocaleMiddleware turns into a redirect.

A path without a language prefix that is a valid path with one (`/admin/pages/9…/` →
`/en/admin/pages/9…/`; Wagtail's catch-all page pattern makes nearly every path valid) is answered
with LocaleMiddleware's redirect, which replaces the 404 response whole: its body is never sent.
Rendering the site's 404 page for it (the header's menu, the language switcher, the user bar: the
larger part of a 404's time) was work thrown away on every such request, which scanners and the
hostile-input tests send by the hundred. Those get an empty 404 for LocaleMiddleware to replace;
every 404 that reaches the visitor is Django's `page_not_found` with templates/404.html, as before.
"""

from __future__ import annotations

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.http import HttpResponseNotFound
from django.urls import is_valid_path
from django.utils import translation
from django.views import defaults


def replaced_by_locale_redirect(request) -> bool:
    """Whether LocaleMiddleware.process_response will answer this request's 404 with a redirect to
    the path with a language prefix (its own test, django/middleware/locale.py)."""
    if "django.middleware.locale.LocaleMiddleware" not in settings.MIDDLEWARE:
        return False
    if translation.get_language_from_path(request.path_info):
        return False
    urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
    i18n_patterns_used, prefixed_default_language = is_language_prefix_patterns_used(urlconf)
    if not (i18n_patterns_used and prefixed_default_language):
        return False
    # The language active now is the one LocaleMiddleware redirects to (nothing between this view and
    # its process_response changes it); i18n_patterns match only that language's prefix.
    language = translation.get_language()
    if not language:
        return False
    language_path = f"/{language}{request.path_info}"
    return bool(
        is_valid_path(language_path, urlconf)
        or (
            settings.APPEND_SLASH
            and not language_path.endswith("/")
            and is_valid_path(f"{language_path}/", urlconf)
        )
    )


def page_not_found(request, exception, template_name: str = defaults.ERROR_404_TEMPLATE_NAME):
    if replaced_by_locale_redirect(request):
        return HttpResponseNotFound(b"", content_type="text/plain")
    return defaults.page_not_found(request, exception, template_name)
