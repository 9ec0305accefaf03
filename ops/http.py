"""What the site may take from a request to build its own links and to tell clients apart."""

from __future__ import annotations

from django.http import HttpRequest


def local_path(request: HttpRequest, *, query: bool = True) -> str:
    """The request's path (and query), always a path on this site.

    A request line such as `GET //evil.example/en/search/` has a path that a browser reads as
    another host (`//host/…`, also `/\\host/…`); Django's URL helpers (`translate_url`,
    `build_absolute_uri(path)`) would carry that host into links. Links built from this start with
    exactly one slash, so they always stay on the host the site answered for.
    """
    path = request.get_full_path() if query else request.get_full_path().split("?", 1)[0]
    return "/" + path.lstrip("/\\")
