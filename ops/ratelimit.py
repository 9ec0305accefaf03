"""Rate limits, with django-ratelimit: the machine-facing views (search, suggest, API, exports) and
the shared counting that the question form (community) uses too.

Anonymous clients are counted by IP address (`ops.http.client_ip`: `REMOTE_ADDR`, or behind
trusted proxies the address they forwarded), signed-in users by account, in fixed windows kept in
the default cache (shared between workers when `CACHE_URL` names Redis; per process with the
local-memory cache). Past the limit the answer
is 429 with `Retry-After` (seconds until the window ends). Limits (requests per minute):

- `OPENDATA_API_RATE` (default `120/m`): every `/api/v2/` endpoint together;
- `OPENDATA_EXPORT_RATE` (default `20/m`): CSV/JSON/JSON Lines downloads;
- `OPENDATA_SEARCH_RATE`, `OPENDATA_SUGGEST_RATE`: the search page and its suggestions.

If the cache cannot count (an unreachable Redis), requests are let through: a broken cache must
not lock researchers out.
"""

from __future__ import annotations

from django_ratelimit.core import get_usage

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _

from .http import client_ip

API_RATE = "120/m"
EXPORT_RATE = "20/m"


def rate_for(kind: str) -> str:
    default = API_RATE if kind == "api" else EXPORT_RATE
    return getattr(settings, f"OPENDATA_{kind.upper()}_RATE", default)


def _key(group, request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"


def count(request, group: str, key, rate: str) -> dict | None:
    """Count one request in `group` under `key` (a string or a django-ratelimit key callable); the
    usage dict when it is over `rate`, else None. A cache that cannot count lets it through."""
    usage = get_usage(
        request, group=group, key=key if callable(key) else (lambda g, r: key), rate=rate, increment=True
    )
    if usage is None:
        return None
    if usage.get("limit") == 0 and usage.get("time_left") == -1:  # the cache could not count: fail open
        return None
    return usage if usage["should_limit"] else None


def retry_after(usage: dict) -> int:
    """Seconds until the window that `usage` describes ends (for `Retry-After`)."""
    return max(1, int(usage.get("time_left") or 1))


def check(request, kind: str) -> dict | None:
    """Count this request against the limit of `kind`; the usage dict when over it, else None."""
    return count(request, f"opendata.{kind}", _key, rate_for(kind))


def wants_html(request) -> bool:
    """A browser (its Accept header puts HTML first) rather than an API client (`*/*`, JSON) or
    a `format=json` request."""
    if request is None or request.GET.get("format") == "json":
        return False
    return request.get_preferred_type(["application/json", "text/html"]) == "text/html"


def too_many_requests(usage: dict, kind: str, request=None):
    """429 with Retry-After: a page for a browser, `{"message": …}` for everything else."""
    from django.template.response import TemplateResponse
    from django.utils.cache import patch_vary_headers

    seconds = retry_after(usage)
    message = _("Too many requests: at most %(rate)s. Try again in %(seconds)d seconds.") % {
        "rate": rate_for(kind),
        "seconds": seconds,
    }
    if wants_html(request):
        response = TemplateResponse(request, "429.html", {"message": message, "seconds": seconds}, status=429)
    else:
        response = JsonResponse({"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    patch_vary_headers(response, ["Accept"])
    return response


def limited(kind: str):
    """View decorator: answer 429 past the limit of `kind` ("api" or "export")."""

    def decorator(view):
        from functools import wraps

        @wraps(view)
        def wrapper(request, *args, **kwargs):
            usage = check(request, kind)
            if usage is not None:
                return too_many_requests(usage, kind, request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
