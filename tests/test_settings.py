"""Settings behave as the README documents them."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean_env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DATABASE_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    clean_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_secret_key():
    result = run_manage("check", DJANGO_SETTINGS_MODULE="cac_platform.settings.production")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_passes_check_deploy_without_warnings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="cac_platform.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="cac.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _settings_value(expression: str, module: str = "cac_platform.settings.dev", **env: str) -> str:
    """`expression` over the settings a fresh interpreter gets from `module` and the environment.
    The settings module alone is imported (no django.setup(), which only loads the apps and
    logging on top, changes no setting, and takes most of a second)."""
    code = f"from django.conf import settings; print({expression})"
    clean_env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CACHE_URL", "ELASTICSEARCH_URL"}
    }
    clean_env.update(env, DJANGO_SETTINGS_MODULE=module)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean_env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_sqlite_by_default_and_postgres_from_database_url():
    assert _settings_value("settings.DATABASES['default']['ENGINE']") == "django.db.backends.sqlite3"
    engine = _settings_value(
        "settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME']",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/cac",
    )
    assert engine == "django.db.backends.postgresql cac"


def test_cache_url_selects_redis_and_elasticsearch_url_selects_search_backend():
    assert _settings_value("settings.CACHES['default']['BACKEND']") == (
        "django.core.cache.backends.locmem.LocMemCache"
    )
    assert (
        _settings_value("settings.CACHES['default']['BACKEND']", CACHE_URL="redis://127.0.0.1:6379/1")
        == "django_redis.cache.RedisCache"
    )
    assert _settings_value("settings.CAC_SEARCH_BACKEND") == "database"
    assert _settings_value("settings.CAC_SEARCH_BACKEND", ELASTICSEARCH_URL="http://127.0.0.1:9200") == (
        "elasticsearch"
    )


@pytest.mark.parametrize(("value", "expected"), [("1", "True"), ("false", "False"), ("yes", "True")])
def test_debug_and_allowed_hosts_come_from_the_environment(value, expected):
    assert _settings_value("settings.DEBUG", module="cac_platform.settings.base", DEBUG=value) == expected
    hosts = _settings_value(
        "settings.ALLOWED_HOSTS", module="cac_platform.settings.base", ALLOWED_HOSTS="a.org, b.org"
    )
    assert hosts == "['a.org', 'b.org']"


def test_a_process_of_the_site_runs_one_blas_thread():
    """numpy's OpenBLAS spins a thread per core in every worker unless told otherwise before
    numpy loads: the project package tells it, and a deployment may still choose."""
    code = (
        "import os, django; django.setup(); import numpy; "
        "print(os.environ['OPENBLAS_NUM_THREADS'], os.environ['OMP_NUM_THREADS'])"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    env["DJANGO_SETTINGS_MODULE"] = "cac_platform.settings.test"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.split() == ["1", "1"], result.stderr
    env["OPENBLAS_NUM_THREADS"] = "4"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.split() == ["4", "1"], result.stderr


def test_production_caches_pages_only_in_a_shared_cache():
    """Local memory is one cache per worker process: a publish would empty one copy of many."""
    production = {"module": "cac_platform.settings.production", "SECRET_KEY": "x"}
    assert _settings_value("settings.CAC_PAGE_CACHE_SECONDS", **production) == "0"
    assert _settings_value(
        "settings.CAC_PAGE_CACHE_SECONDS", CACHE_URL="redis://127.0.0.1:6379/1", **production
    ) == ("300")
    assert _settings_value("settings.CAC_PAGE_CACHE_SECONDS", PAGE_CACHE_SECONDS="60", **production) == "60"


def test_check_deploy_warns_of_a_page_cache_in_local_memory():
    env = {
        "DJANGO_SETTINGS_MODULE": "cac_platform.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "cac.example.org",
        "CACHE_URL": "",
    }
    warned = run_manage("check", "--deploy", PAGE_CACHE_SECONDS="60", **env)
    assert "ops.W001" in warned.stdout + warned.stderr
    quiet = run_manage(
        "check", "--deploy", PAGE_CACHE_SECONDS="60", **{**env, "CACHE_URL": "redis://127.0.0.1:6379/1"}
    )
    assert "ops.W001" not in quiet.stdout + quiet.stderr
