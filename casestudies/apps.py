from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseStudiesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "casestudies"
    verbose_name = _("Case studies")

    def ready(self):
        # Case studies become documents of the search service (doc_type "case").
        from . import search_documents  # noqa: F401
