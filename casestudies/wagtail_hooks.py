from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.chooser import ChooseResultsView, ChooseView, SnippetChooserViewSet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from search.models import SynonymGroup

from .city_forms import CityForm
from .models import City, MeasureType, PolicyArea


class PolicyAreaViewSet(SnippetViewSet):
    model = PolicyArea
    icon = "folder-open-inverse"
    menu_label = _("Policy areas")
    list_display = ["name", "slug", "locale"]
    list_filter = ["locale"]
    ordering = ["sort_order"]


class CityCreationForm(CityForm):
    """The chooser's "add city": the fields an editor knows; slug and continent follow from them."""

    class Meta:
        model = City
        fields = ["name", "name_ko", "country", "continent"]


class _CityChooseMixin:
    # The snippet chooser's own template says "Sorry, no snippets match": ours names cities.
    results_template_name = "casestudies/admin/city_chooser_results.html"


class CityChooseView(_CityChooseMixin, ChooseView):
    pass


class CityChooseResultsView(_CityChooseMixin, ChooseResultsView):
    pass


class CityChooserViewSet(SnippetChooserViewSet):
    """The city chooser, with an "Add city" tab so that a case's new city needs no detour."""

    choose_view_class = CityChooseView
    choose_results_view_class = CityChooseResultsView
    creation_form_class = CityCreationForm
    create_action_label = _("Add city")
    create_action_clicked_label = _("Adding…")


class CityViewSet(SnippetViewSet):
    model = City
    chooser_viewset_class = CityChooserViewSet
    icon = "site"
    menu_label = _("Cities")
    list_display = ["name", "name_ko", "country", "continent"]
    list_filter = ["continent"]
    search_fields = ["name", "name_ko"]


class MeasureTypeViewSet(SnippetViewSet):
    model = MeasureType
    icon = "tag"
    menu_label = _("Measure types")
    list_display = ["name", "name_ko", "slug", "phsm_code", "oxcgrt_code"]
    search_fields = ["name", "name_ko", "slug", "aliases", "aliases_ko"]


class SynonymGroupViewSet(SnippetViewSet):
    """Everyday words that mean the same, for search (search.synonyms)."""

    model = SynonymGroup
    icon = "list-ul"
    menu_label = _("Synonyms")
    list_display = ["__str__"]
    search_fields = ["terms", "terms_ko"]


class TaxonomyGroup(SnippetViewSetGroup):
    menu_label = _("Taxonomy")
    menu_icon = "list-ul"
    menu_order = 250
    items = (PolicyAreaViewSet, CityViewSet, MeasureTypeViewSet, SynonymGroupViewSet)


register_snippet(TaxonomyGroup)


@hooks.register("before_serve_page")
def hide_expired_pages(page, request, serve_args, serve_kwargs):
    """A page past its expiry date is gone for visitors at once, as it is from every listing
    (casestudies.visibility), not only once `publish_scheduled` has unpublished it."""
    if page.expire_at is not None and page.expire_at <= timezone.now():
        raise Http404(_("This page has expired."))
