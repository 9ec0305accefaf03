"""Who may edit what (a city editor belongs to one city), and import files awaiting confirmation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ops.forms import CleanModelForm


class CityEditor(models.Model):
    """Links a user to the one city whose case studies they may create and edit.

    A user with this link is scoped to that city everywhere in the admin, whatever groups
    they belong to (superusers excepted): see `casestudies.permissions`.
    """

    base_form_class = CleanModelForm  # no control characters (ops.forms)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="city_editor",
    )
    city = models.ForeignKey(
        "casestudies.City", verbose_name=_("city"), on_delete=models.CASCADE, related_name="editors"
    )

    class Meta:
        verbose_name = _("city editor")
        verbose_name_plural = _("city editors")
        permissions = [("import_casestudies", _("Can import case studies"))]

    def __str__(self) -> str:
        return f"{self.user} → {self.city}"


class PendingImport(models.Model):
    """An uploaded import file between its preview and the editor's confirmation.

    Kept in the database so that the confirmation may reach any web worker; deleted once
    imported, and after a day in any case.
    """

    token = models.CharField(_("token"), max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    filename = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=8)
    data = models.BinaryField(_("data"))
    publish = models.BooleanField(_("publish"), default=False)
    skip_invalid = models.BooleanField(_("set invalid rows aside"), default=False)
    # "" for the import format; a tracker connector's name (casestudies.tracker) for its release file.
    source = models.CharField(_("source"), max_length=20, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pending import")
        verbose_name_plural = _("pending imports")

    def __str__(self) -> str:
        return self.filename
