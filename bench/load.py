"""Load benchmark: gunicorn + PostgreSQL + Redis on 127.0.0.1, 10,000 cases, 50 users for 60 s.

    python bench/load.py [--cases 10000] [--users 50] [--seconds 60] [--fresh]
    python bench/load.py --prepare-only          # build the database and static files, no load
    python bench/load.py --runs uncached         # one run only (cached, uncached or both)
    python bench/load.py --runs cached --tags cacheable   # only the pages the cache can serve

Builds (once) a PostgreSQL database `cac_load` with the demo site plus synthetic bilingual cases
(N cases = N English pages and their N Korean translations, as in bench/search.py), serves it with
gunicorn under the production settings, and runs bench/locustfile.py headless twice: with the Redis
page cache and without it. Prints requests/s and p50/p95/p99 per endpoint; every request goes to
127.0.0.1 only, and each run stops by itself after --seconds.

The timed runs hold an exclusive lock on /tmp/cac-bench.lock (fcntl.flock), shared with the other
benchmarks on the machine, so that two benchmarks never measure each other; the preparation does
not take it. The load average is recorded before each timed run.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import fcntl
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
PORT = 8077
PG = "postgres://postgres@127.0.0.1:5432"
LOCK = "/tmp/cac-bench.lock"  # noqa: S108 (shared with the other benchmarks on purpose)


def log(message: str) -> None:
    print(f"[load] {message}", flush=True)


def ensure_database(name: str, fresh: bool) -> str:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(
                f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING UTF8 LC_CTYPE "C.UTF-8" LC_COLLATE "C.UTF-8"'
            )
    return f"{PG}/{name}"


def prepare(database_url: str, cases: int) -> None:
    """Migrate, load the demo and top up to `cases` bilingual cases; index what is not indexed."""
    code = f"""
import os, sys
sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / "bench")!r}]
os.environ["DATABASE_URL"] = {database_url!r}
os.environ["DJANGO_SETTINGS_MODULE"] = "cac_platform.settings.dev"
os.environ["LOG_LEVEL"] = "WARNING"
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from casestudies.models import CaseStudyPage
if CaseStudyPage.objects.filter(locale__language_code="en").count() < {cases}:
    call_command("load_demo")
from search.models import SearchDocument
have = CaseStudyPage.objects.filter(locale__language_code="en").count()
if have < {cases}:
    import synthetic
    synthetic.bulk_insert_cases({cases} - have, progress=lambda done, total: print("inserted", done, "of", total, flush=True))
pages = CaseStudyPage.objects.live().count()
if SearchDocument.objects.count() < pages:
    from search import service
    print("indexed", service.rebuild(backends="database"), flush=True)
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
print("case pages", pages, "search documents", SearchDocument.objects.count())
"""
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def server_env(database_url: str, cached: bool, static_root: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="cac_platform.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=database_url,
        CONN_MAX_AGE="60",
        CACHE_URL="redis://127.0.0.1:6379/5",
        PAGE_CACHE_SECONDS="300" if cached else "0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        STATIC_ROOT=static_root,
        LOG_LEVEL="WARNING",
        BIND=f"127.0.0.1:{PORT}",
        # The benchmark is one client address: lift the per-address limits for it.
        RATE_LIMIT_SEARCH="1000000/m",
        RATE_LIMIT_SUGGEST="1000000/m",
        RATE_LIMIT_API="1000000/m",
        RATE_LIMIT_EXPORT="1000000/m",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def wait_for_server(timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer /healthz")


@contextlib.contextmanager
def bench_lock():
    """The machine-wide benchmark lock: wait for any other benchmark to finish, then hold it."""
    with open(LOCK, "a") as handle:
        log(f"waiting for {LOCK}")
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def run(
    database_url: str,
    cached: bool,
    users: int,
    seconds: int,
    static_root: str,
    out: Path,
    tags: list[str] | None = None,
) -> list[dict]:
    """One timed run; locust's CSV files and gunicorn's log (access lines included) go to `out`."""
    env = server_env(database_url, cached, static_root)
    subprocess.run(["redis-cli", "-n", "5", "FLUSHDB"], check=False, capture_output=True)
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", PORT)) == 0:
            raise RuntimeError(f"something already listens on 127.0.0.1:{PORT}: it would answer instead")
    name = ("cached" if cached else "uncached") + ("-" + "-".join(tags) if tags else "")
    server_log = open(out / f"{name}_gunicorn.log", "w")  # noqa: SIM115 (closed in finally)
    gunicorn = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "-c",
            "deploy/gunicorn.conf.py",
            "cac_platform.wsgi",
        ],
        cwd=ROOT,
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_server()
        if gunicorn.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({gunicorn.returncode}): see {server_log.name}")
        prefix = out / name
        load = uptime()
        log(f"before the {name} run: {load}")
        (out / f"{name}_uptime.txt").write_text(load + "\n")
        subprocess.run(
            [
                str(Path(sys.executable).with_name("locust")),
                "-f",
                "bench/locustfile.py",
                "--headless",
                "--only-summary",
                "-u",
                str(users),
                "-r",
                str(users),
                "-t",
                f"{seconds}s",
                "--host",
                f"http://127.0.0.1:{PORT}",
                "--csv",
                str(prefix),
                "--stop-timeout",
                "5",
                *(["--tags", *tags] if tags else []),
            ],
            cwd=ROOT,
            check=False,
            timeout=seconds + 120,
        )
        with open(f"{prefix}_stats.csv", newline="") as stats:
            return list(csv.DictReader(stats))
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
        server_log.close()


def table(rows: list[dict], title: str) -> str:
    lines = [
        f"### {title}",
        "",
        "| endpoint | requests | failures | req/s | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} | {float(row['Requests/s']):.1f} "
            f"| {row['50%']} | {row['95%']} | {row['99%']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--database", default="cac_load")
    parser.add_argument("--fresh", action="store_true", help="drop and rebuild the benchmark database")
    parser.add_argument(
        "--prepare-only", action="store_true", help="build the database and static files only"
    )
    parser.add_argument("--runs", choices=["both", "cached", "uncached"], default="both")
    parser.add_argument("--out", help="folder for locust's CSV files (default: a new temporary folder)")
    parser.add_argument(
        "--tags",
        nargs="+",
        help="run only the tasks with these locust tags (cacheable, case, export): e.g. --tags cacheable",
    )
    options = parser.parse_args()

    database_url = ensure_database(options.database, options.fresh)
    log(f"preparing {database_url} with {options.cases} bilingual cases")
    prepare(database_url, options.cases)
    static_root = str(Path(tempfile.gettempdir()) / f"cac-load-static-{options.database}")
    env = server_env(database_url, True, static_root)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    if options.prepare_only:
        log("prepared; no load run (--prepare-only)")
        return
    out = Path(options.out) if options.out else Path(tempfile.mkdtemp(prefix="cac-load-"))
    out.mkdir(parents=True, exist_ok=True)
    log(f"locust CSV files in {out}")
    modes = {"both": (True, False), "cached": (True,), "uncached": (False,)}[options.runs]
    for cached in modes:
        with bench_lock():
            rows = run(database_url, cached, options.users, options.seconds, static_root, out, options.tags)
        mix = f", tasks tagged {' '.join(options.tags)}" if options.tags else ""
        print(
            table(
                rows,
                f"{'With' if cached else 'Without'} the page cache ({options.users} users, {options.seconds} s{mix})",
            )
        )
        print()


if __name__ == "__main__":
    main()
