"""Rate limits of the question form, with django-ratelimit over the default cache.

- per address (`ops.http.client_ip`: `REMOTE_ADDR`, or what trusted proxies forwarded): every
  submission of the form counts, honeypot hits included;
  `COMMUNITY_QUESTION_RATE_IP`, default 10 per hour;
- per e-mail address (lower-cased; django-ratelimit hashes it into the cache key): every question
  that would be stored counts; `COMMUNITY_QUESTION_RATE_EMAIL`, default 5 per hour.

If the cache cannot count (an unreachable Redis), submissions are let through (`ops.ratelimit`).
The settings keep the names they had when the form was part of the community app.
"""

from __future__ import annotations

from django.conf import settings

from ops.http import client_ip
from ops.ratelimit import count, retry_after

__all__ = ["check_email", "check_ip", "rate_for", "retry_after"]

IP_RATE = "10/h"
EMAIL_RATE = "5/h"


def rate_for(kind: str) -> str:
    default = IP_RATE if kind == "ip" else EMAIL_RATE
    return getattr(settings, f"COMMUNITY_QUESTION_RATE_{kind.upper()}", default)


def check_ip(request) -> dict | None:
    """Count one submission from this address; the usage dict when over the limit, else None."""
    return count(request, "questions.ip", f"ip:{client_ip(request)}", rate_for("ip"))


def check_email(request, email: str) -> dict | None:
    """Count one question from this e-mail address; the usage dict when over the limit, else None."""
    address = (email or "").strip().lower()
    return count(request, "questions.email", f"email:{address}", rate_for("email"))
