"""CSRF protection that lets an anonymous visitor's question form go without a token.

A token in the form would make every case page personal (a `csrftoken` cookie, `Vary: Cookie`),
so case pages could never come from the page cache, and a visitor who had opened one would miss
the cache on every later page. For a visitor without a session a token protects nothing that the
attacker could not do by posting the form himself; what still matters, that another site's page
cannot make the browser post, is checked on the `Origin` and `Sec-Fetch-Site` headers that every
current browser sends. Anyone with a session (editors) keeps the usual token check.
"""

from __future__ import annotations

from django.conf import settings
from django.middleware.csrf import REASON_BAD_ORIGIN, CsrfViewMiddleware, _get_failure_view

from .forms import FORM_MARKER, FORM_MARKER_VALUE


def needs_csrf_token(request) -> bool:
    """Whether the question form must carry a token: only for a visitor with a session."""
    return request is not None and settings.SESSION_COOKIE_NAME in request.COOKIES


def _is_anonymous_question(request) -> bool:
    if request.method != "POST" or needs_csrf_token(request):
        return False
    try:
        return request.POST.get(FORM_MARKER) == FORM_MARKER_VALUE
    except OSError:  # a broken upload: let the usual check answer it
        return False


class QuestionFormCsrfMiddleware:
    """Placed just before Django's CsrfViewMiddleware: checks an anonymous question post's origin
    and, when it is same-site, tells the CSRF middleware not to ask for a token."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._csrf = CsrfViewMiddleware(get_response)  # for its origin check

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, callback, callback_args, callback_kwargs):
        if not _is_anonymous_question(request):
            return None
        if request.META.get("HTTP_SEC_FETCH_SITE") == "cross-site":
            return _get_failure_view()(request, reason="Cross-site request (Sec-Fetch-Site).")
        if "HTTP_ORIGIN" in request.META and not CsrfViewMiddleware(self.get_response)._origin_verified(
            request
        ):
            return _get_failure_view()(request, reason=REASON_BAD_ORIGIN % request.META["HTTP_ORIGIN"])
        request._dont_enforce_csrf_checks = True  # what CsrfViewMiddleware reads (and the test client sets)
        return None
