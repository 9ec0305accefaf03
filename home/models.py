"""The home page and plain content pages."""

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from casestudies.models import CaseStudyIndexPage, CaseStudyPage, PolicyArea
from casestudies.visibility import public_now
from ops.forms import CleanPageForm

from .blocks import StandardBodyBlock


class HomePage(Page):
    """What the platform is, the ten areas as entry points, the latest cases and a search box."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    body = StreamField(StandardBodyBlock(), verbose_name=_("body"), blank=True)

    base_form_class = CleanPageForm  # no control characters (ops.forms)
    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    parent_page_types = ["wagtailcore.Page"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # Cases public now (restrictions on an ancestor and expiry included), per area slug over
        # every locale row of the area, so a case counts once in its language.
        public_here = public_now(CaseStudyPage.objects.filter(locale_id=self.locale_id))
        counts = dict(
            CaseStudyPage.policy_areas.through.objects.filter(casestudypage__in=public_here.values("pk"))
            .values("policyarea__slug")
            .annotate(n=Count("casestudypage_id", distinct=True))
            .values_list("policyarea__slug", "n")
        )
        areas = list(PolicyArea.objects.filter(locale_id=self.locale_id))
        for area in areas:
            area.case_count = counts.get(area.slug, 0)
        context["areas"] = areas
        context["latest_cases"] = (
            public_now(CaseStudyPage.objects.filter(locale_id=self.locale_id))
            .select_related("city")
            .prefetch_related("policy_areas")
            .order_by("-first_published_at", "-pk")[:6]
        )
        context["case_index"] = public_now(
            CaseStudyIndexPage.objects.filter(locale_id=self.locale_id)
        ).first()
        return context


class StandardPage(Page):
    """About and similar pages."""

    introduction = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    body = StreamField(StandardBodyBlock(), verbose_name=_("body"), blank=True)

    base_form_class = CleanPageForm  # no control characters (ops.forms)
    content_panels = Page.content_panels + [FieldPanel("introduction"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("introduction"), index.SearchField("body")]

    class Meta:
        verbose_name = _("standard page")
