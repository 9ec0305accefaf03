from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "search"
    verbose_name = _("Search")

    def ready(self):
        from django.core.signals import request_finished, request_started

        from search import signals, spelling, synonyms, versions

        signals.connect()
        synonyms.connect()
        spelling.connect()
        # In-memory search data is checked against the database once per request (search.versions).
        request_started.connect(versions.request_started, dispatch_uid="search.versions.started")
        request_finished.connect(versions.request_finished, dispatch_uid="search.versions.finished")
