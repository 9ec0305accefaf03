"""Request input hardening for every view, the site's own and Wagtail's alike.

- Query parameters: control characters (NUL first of all, which PostgreSQL refuses in text) are
  dropped from every name and value before any view reads them, by the rule of
  `ops.text`. What is left is validated by each view: the filters of every listing by one rule
  (`search.filters`, which applies the same cleaning itself, then refuses a value that is too
  long, malformed or names nothing with a 400 naming it), never a database error.
- Integer path parameters (`<int:pk>` in our URLs, Wagtail's and the admin's, and digit groups of
  regex URLs such as Wagtail's documents) outside the range of a 64-bit database integer are a
  404: SQLite raised OverflowError on them, and past 4,300 digits Python refuses to convert them.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse, QueryDict
from django.utils.translation import gettext as _

from ops.ids import MAX_INTEGER, is_database_id
from ops.text import clean_querydict


def clean_query_dict(query: QueryDict) -> QueryDict:
    """`query` with control characters dropped from names and values, each one line (the same
    object when there is nothing to drop)."""
    return clean_querydict(query, multiline=False)


def _out_of_range(value) -> bool:
    """An integer beyond a database integer, or a regex group of digits (Wagtail's document URL
    passes its id as text) that is one: more than 19 digits, or past 2**63 - 1."""
    if isinstance(value, int):
        return not -MAX_INTEGER <= value <= MAX_INTEGER
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return not is_database_id(value)
    return False


def _is_api_view(view_func) -> bool:
    from rest_framework.views import APIView

    view_class = getattr(view_func, "cls", None)
    return isinstance(view_class, type) and issubclass(view_class, APIView)


class CleanInputMiddleware:
    """See the module docstring: cleaned query parameters, bounded integer path parameters."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        request.GET = clean_query_dict(request.GET)
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if not any(_out_of_range(value) for value in (*view_args, *view_kwargs.values())):
            return None
        message = _("Nothing on this site has this number.")
        if _is_api_view(view_func):
            # The API answers in JSON, and its 404 must not be redirected to a /en/ page.
            from opendata.api.views import keep_api_404s

            keep_api_404s(request)
            return JsonResponse({"message": message}, status=404)
        raise Http404(message)
