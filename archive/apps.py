from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "archive"
    verbose_name = _("Summit archive")

    def ready(self):
        # Sessions become documents of the search service (doc_type "session").
        from . import search_documents, signals  # noqa: F401

        # A session's media (recordings, chapter times and cases) follow its original.
        signals.connect()
