"""City editors get their page permissions on every case-study index, including ones created later."""

from __future__ import annotations

from django.apps import apps as django_apps
from django.db.models.signals import post_save


def on_index_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from editorial.roles import grant_city_editor_permissions

        grant_city_editor_permissions(django_apps, [instance.pk])


def connect() -> None:
    from casestudies.models import CaseStudyIndexPage

    post_save.connect(on_index_saved, sender=CaseStudyIndexPage, dispatch_uid="editorial.index_saved")
