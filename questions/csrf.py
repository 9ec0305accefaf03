"""CSRF protection that lets an anonymous visitor's question form go without a token.

A token in the form would make every case page personal (a `csrftoken` cookie, `Vary: Cookie`),
so case pages could never come from the page cache, and a visitor who had opened one would miss
the cache on every later page. For a visitor without a session a token protects nothing that the
attacker could not do by posting the form himself; what still matters, that another site's page
cannot make the browser post, is checked on the `Origin` and `Sec-Fetch-Site` headers that every
current browser sends. Anyone with a session (editors) keeps the usual token check.

The exemption covers exactly one thing: a POST, without a session, that Wagtail's page view
routes to a live case page and that carries the question form's marker. Every other POST (the
admin login, password reset, a private page's password form, any other page) goes through
Django's `CsrfViewMiddleware` unchanged. Only public interfaces are used: Wagtail's
`Page.route_for_request` (which caches the route for the page view), the `CSRF_TRUSTED_ORIGINS`
and `CSRF_FAILURE_VIEW` settings, and `csrf_processing_done`, the request flag with which
Django's own CSRF decorators tell the middleware that a request has been dealt with.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.urls import get_callable
from django.utils.http import is_same_domain

from wagtail.models import Page
from wagtail.views import serve as wagtail_serve

from casestudies.models import CaseStudyPage

from .forms import FORM_MARKER, FORM_MARKER_VALUE


def needs_csrf_token(request) -> bool:
    """Whether the question form must carry a token: only for a visitor with a session."""
    return request is not None and settings.SESSION_COOKIE_NAME in request.COOKIES


def _is_anonymous_question(request: HttpRequest, callback, callback_args, callback_kwargs) -> bool:
    """A session-less POST of the question form to a case page, as Wagtail's page view will serve it."""
    if request.method != "POST" or callback is not wagtail_serve or needs_csrf_token(request):
        return False
    path = callback_kwargs.get("path", callback_args[0] if callback_args else "")
    route = Page.route_for_request(request, path)
    if route is None or not isinstance(route[0], CaseStudyPage):
        return False
    try:
        return request.POST.get(FORM_MARKER) == FORM_MARKER_VALUE
    except OSError:  # a broken upload: let the usual check answer it
        return False


def is_same_origin(request: HttpRequest, origin: str) -> bool:
    """Whether `origin` is this site (scheme and host as requested) or one of CSRF_TRUSTED_ORIGINS
    (`https://*.example.org` patterns included), as Django's own origin check decides."""
    try:
        if origin == f"{request.scheme}://{request.get_host()}":
            return True
    except DisallowedHost:
        pass
    trusted = settings.CSRF_TRUSTED_ORIGINS
    if origin in trusted:
        return True
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    wildcards = (urlsplit(pattern) for pattern in trusted if "*" in pattern)
    return any(
        is_same_domain(parsed.netloc, pattern.netloc.lstrip("*"))
        for pattern in wildcards
        if pattern.scheme == parsed.scheme
    )


def _refuse(request: HttpRequest, reason: str):
    return get_callable(settings.CSRF_FAILURE_VIEW)(request, reason=reason)


class QuestionFormCsrfMiddleware:
    """Placed just before Django's CsrfViewMiddleware: checks an anonymous question post's origin
    and, when it is same-site, marks the request as dealt with so that no token is asked for."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, callback, callback_args, callback_kwargs):
        if not _is_anonymous_question(request, callback, callback_args, callback_kwargs):
            return None
        if request.META.get("HTTP_SEC_FETCH_SITE") == "cross-site":
            return _refuse(request, "Cross-site request (Sec-Fetch-Site).")
        origin = request.META.get("HTTP_ORIGIN")
        if origin is not None and not is_same_origin(request, origin):
            return _refuse(request, f"Origin checking failed - {origin} does not match any trusted origins.")
        request.csrf_processing_done = True  # CsrfViewMiddleware.process_view then accepts it as is
        return None
