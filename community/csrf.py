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
from django.middleware.csrf import REASON_BAD_ORIGIN, CsrfViewMiddleware

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


class QuestionFormCsrfMiddleware(CsrfViewMiddleware):
    def process_view(self, request, callback, callback_args, callback_kwargs):
        if not _is_anonymous_question(request):
            return super().process_view(request, callback, callback_args, callback_kwargs)
        if request.META.get("HTTP_SEC_FETCH_SITE") == "cross-site":
            return self._reject(request, "Cross-site request (Sec-Fetch-Site).")
        if "HTTP_ORIGIN" in request.META and not self._origin_verified(request):
            return self._reject(request, REASON_BAD_ORIGIN % request.META["HTTP_ORIGIN"])
        return self._accept(request)
