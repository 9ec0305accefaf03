from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseStudiesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "casestudies"
    verbose_name = _("Case studies")

    def ready(self):
        # Case studies become documents of the search service (doc_type "case").
        # The case filters, offered to the search page (casestudies.filters).
        from . import (
            filters,  # noqa: F401
            search_documents,  # noqa: F401
            visibility,
        )

        # The view restrictions read once per request are read again after one changes.
        visibility.connect_signals()
