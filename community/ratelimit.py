"""Rate limits of the question form, with django-ratelimit over the default cache.

- per address (`REMOTE_ADDR`): every submission of the form counts, honeypot hits included;
  `COMMUNITY_QUESTION_RATE_IP`, default 10 per hour;
- per e-mail address (lower-cased; django-ratelimit hashes it into the cache key): every question
  that would be stored counts; `COMMUNITY_QUESTION_RATE_EMAIL`, default 5 per hour.

If the cache cannot count (an unreachable Redis), submissions are let through, as in opendata.
"""

from __future__ import annotations

from django_ratelimit.core import get_usage

from django.conf import settings

IP_RATE = "10/h"
EMAIL_RATE = "5/h"


def rate_for(kind: str) -> str:
    default = IP_RATE if kind == "ip" else EMAIL_RATE
    return getattr(settings, f"COMMUNITY_QUESTION_RATE_{kind.upper()}", default)


def _over(usage) -> dict | None:
    if usage is None:
        return None
    if usage.get("limit") == 0 and usage.get("time_left") == -1:  # the cache could not count
        return None
    return usage if usage["should_limit"] else None


def check_ip(request) -> dict | None:
    """Count one submission from this address; the usage dict when over the limit, else None."""
    usage = get_usage(
        request,
        group="community.question.ip",
        key=lambda group, request: f"ip:{request.META.get('REMOTE_ADDR', '')}",
        rate=rate_for("ip"),
        increment=True,
    )
    return _over(usage)


def check_email(request, email: str) -> dict | None:
    """Count one question from this e-mail address; the usage dict when over the limit, else None."""
    address = (email or "").strip().lower()
    usage = get_usage(
        request,
        group="community.question.email",
        key=lambda group, request: f"email:{address}",
        rate=rate_for("email"),
        increment=True,
    )
    return _over(usage)


def retry_after(usage: dict) -> int:
    return max(1, int(usage.get("time_left") or 1))
