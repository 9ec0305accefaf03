"""Admin wiring of the editorial app: permission guards, listings, reports, dashboard, import."""

from __future__ import annotations

from django.urls import path

from wagtail import hooks

from .views import localize as localize_guards


@hooks.register("register_admin_urls")
def register_localize_guards():
    # Same paths as wagtail-localize's views; this app's hooks load first (INSTALLED_APPS order),
    # so these wrappers answer and then hand over to the original views.
    return [
        path(
            "localize/submit/page/<int:page_id>/",
            localize_guards.submit_page_translation,
            name="editorial_submit_page_translation",
        ),
        path(
            "localize/submit/snippet/<slug:app_label>/<slug:model_name>/<str:pk>/",
            localize_guards.submit_snippet_translation,
            name="editorial_submit_snippet_translation",
        ),
        path(
            "localize/update/<int:translation_source_id>/",
            localize_guards.update_translations_view,
            name="editorial_update_translations",
        ),
    ]
