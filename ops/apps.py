from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401 - registers the deployment checks
            request_memo,
        )
        from .cache import connect_signals

        connect_signals()
        request_memo.connect_signals()
