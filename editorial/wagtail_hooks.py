"""Admin wiring of the editorial app: permission guards, listings, reports, dashboard, import."""

from __future__ import annotations

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel
from wagtail.permissions import page_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .listing import CaseStudyListingViewSet, listed, use_listing_translation_buttons
from .models import CityEditor
from .panels import CasesAwaitingReviewPanel, CasesPerAreaPanel
from .scope import without_other_cities_drafts
from .views import import_format, imports, reports
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


@hooks.register("register_admin_urls")
def register_editorial_urls():
    return [
        path("editorial/import/", imports.ImportView.as_view(), name="editorial_import"),
        path(
            "editorial/import/confirm/", imports.ImportConfirmView.as_view(), name="editorial_import_confirm"
        ),
        path(
            "editorial/import/format/",
            import_format.ImportFormatView.as_view(),
            name="editorial_import_format",
        ),
        path(
            "editorial/import/template.csv",
            import_format.ImportTemplateView.as_view(),
            name="editorial_import_template",
        ),
        path(
            "reports/missing-translations/",
            reports.MissingTranslationsView.as_view(),
            name="editorial_missing_translations",
        ),
        path(
            "reports/missing-translations/results/",
            reports.MissingTranslationsView.as_view(results_only=True),
            name="editorial_missing_translations_results",
        ),
    ]


@hooks.register("register_admin_viewset")
def register_case_study_listing():
    return CaseStudyListingViewSet("case_studies")


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return imports.user_can_import(request.user)


@hooks.register("register_admin_menu_item")
def register_import_menu_item():
    return ImportMenuItem(
        _("Import case studies"),
        reverse("editorial_import"),
        name="import-case-studies",
        icon_name="upload",
        order=151,
    )


class MissingTranslationsMenuItem(MenuItem):
    def is_shown(self, request):
        return page_permission_policy.user_has_any_permission(request.user, ["add", "change", "publish"])


@hooks.register("register_reports_menu_item")
def register_missing_translations_menu_item():
    return MissingTranslationsMenuItem(
        _("Missing translations"),
        reverse("editorial_missing_translations"),
        name="missing-translations",
        icon_name="site",
        order=750,
    )


@hooks.register("construct_homepage_panels")
def add_editorial_panels(request, panels):
    panels.append(CasesAwaitingReviewPanel())
    panels.append(CasesPerAreaPanel())


class CityEditorViewSet(SnippetViewSet):
    """Administrators give a user their city: the user then acts only on that city's case studies
    (and needs the City editors group for the page permissions)."""

    model = CityEditor
    icon = "user"
    menu_label = _("City editors")
    add_to_settings_menu = True
    list_display = ["user", "city"]
    list_filter = ["city"]
    panels = [FieldPanel("user"), FieldPanel("city")]


register_snippet(CityEditorViewSet)


# A city editor's listings (explorer, its search, the admin API behind the explorer menu and the
# page chooser) leave out other cities' never-published cases (editorial/scope.py).
@hooks.register("construct_explorer_page_queryset")
def hide_other_cities_drafts(parent_page, pages, request):
    # The rows' actions are answered for all rows at once (editorial.listing.listed).
    return listed(without_other_cities_drafts(pages, request.user))


@hooks.register("construct_page_chooser_queryset")
def hide_other_cities_drafts_from_the_chooser(pages, request):
    return without_other_cities_drafts(pages, request.user)


@hooks.register("construct_admin_api")
def scope_admin_api(router):
    from wagtail.admin.api.views import PagesAdminAPIViewSet

    class ScopedPagesAdminAPIViewSet(PagesAdminAPIViewSet):
        def get_base_queryset(self):
            return without_other_cities_drafts(super().get_base_queryset(), self.request.user)

    router.register_endpoint("pages", ScopedPagesAdminAPIViewSet)


# Last, after this module's own hooks (its admin URLs must stay ahead of wagtail-localize's):
# importing wagtail-localize's hooks registers them, and its per-row translation menu is then
# answered from what the listings read for all rows at once (editorial.listing).
use_listing_translation_buttons()
