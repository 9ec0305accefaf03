"""Request input hardening for every view, the site's own and Wagtail's alike.

- Query parameters: control characters (NUL first of all, which PostgreSQL refuses in text) are
  dropped from every name and value before any view reads them, by the rule of
  `cac_platform.text`. What is left is validated by each view as before: a value that names
  nothing is a 400 (or the browse page's 404) with a message, never a database error.
"""

from __future__ import annotations

from django.http import HttpRequest, QueryDict

from cac_platform.text import clean_querydict


def clean_query_dict(query: QueryDict) -> QueryDict:
    """`query` with control characters dropped from names and values, each one line (the same
    object when there is nothing to drop)."""
    return clean_querydict(query, multiline=False)


class CleanInputMiddleware:
    """See the module docstring: cleaned query parameters."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        request.GET = clean_query_dict(request.GET)
        return self.get_response(request)
