"""What the cross-process checks cost per request (docs/scaling.md): a measurement, not a test.

    .venv/bin/python bench/scale_out.py --database postgres://postgres@127.0.0.1:5432/scaleout_bench
    .venv/bin/python bench/scale_out.py --database sqlite:////tmp/site.sqlite3 --redis redis://127.0.0.1:6379/3

The database must be migrated (`manage.py migrate`); nothing is written to it but the version
tokens. Each figure is the median and the 95th percentile of `--calls` calls, after 100 warm-up ones:

- the content generation that a page cache miss reads twice, before and after it stores its page
  (one Redis GET each; a hit reads none);
- the version tokens that a request reads at its first search (one query for all of them);
- a whole anonymous request served from the page cache, through Django's test client (middleware
  included, no network), for scale.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def timed(call: Callable[[], object], calls: int) -> tuple[float, float]:
    """Median and 95th percentile of `call`, in microseconds."""
    for _ in range(100):
        call()
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True, help="DATABASE_URL of a migrated database")
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/3", help="CACHE_URL (default: %(default)s)"
    )
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    os.environ.update(
        DATABASE_URL=args.database,
        CACHE_URL=args.redis,
        DJANGO_SETTINGS_MODULE="cac_platform.settings.dev",
        PAGE_CACHE_SECONDS="300",
        DEBUG="0",
        LOG_LEVEL="WARNING",
        ALLOWED_HOSTS="testserver",
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import caches
    from django.test import Client

    from ops.cache import content_generation
    from search import vectors, versions  # noqa: F401 - vectors registers its token

    prefix = f"bench-scale-out-{uuid.uuid4().hex[:8]}"
    for alias in ("default", "pages"):  # keys of this run only, deleted at the end
        settings.CACHES[alias]["KEY_PREFIX"] = f"{prefix}-{alias}"
        assert caches[alias].key_prefix == f"{prefix}-{alias}", "a cache was made before its prefix was set"
    try:

        def tokens() -> None:
            versions.request_started()
            versions.request_tokens()
            versions.request_finished()

        client = Client()
        assert client.get("/en/").status_code == 200
        assert client.get("/en/").get("Age") is not None, "the home page is not served from the page cache"
        results = {
            "content generation (Redis GET)": timed(content_generation, args.calls),
            f"version tokens ({len(versions._keys)} keys, one query)": timed(tokens, args.calls),
            "cached anonymous request (/en/)": timed(lambda: client.get("/en/"), args.calls),
        }
    finally:
        import redis

        client = redis.Redis.from_url(args.redis)
        for key in client.scan_iter(f"{prefix}-*"):  # every version (Wagtail's keys are version 2)
            client.delete(key)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"{args.calls} calls each; database {engine}, Redis {args.redis}")
    for name, (median, p95) in results.items():
        print(f"  {name:<44} p50 {median:7.0f} µs   p95 {p95:7.0f} µs")


if __name__ == "__main__":
    main()
