"""RSS 2.0 and Atom feeds of new and updated case studies, per language and per selection.

`/<lang>/feeds/cases.rss` and `/<lang>/feeds/cases.atom` take the search page's parameters
(`?area=education`, `?country=KR`, `?q=masks`…): a feed per policy area, country, continent,
measure type or query. The newest publications come first (a republished case comes back to the
top with its new `updated` date).
"""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from casestudies.filters import CASE_FILTERS
from opendata import selection as sel
from opendata.cite import author, permalink
from opendata.exports import bad_request
from opendata.rows import licence_statement
from ops.i18n import current_language
from ops.text import strip_controls
from search.service import BadSearchRequest

FEED_LENGTH = 50


def describe(selection: sel.Selection) -> str:
    """Human description of the filters, e.g. "Education · KR", in the selection's language."""
    r = selection.request
    parts: list[str] = [f"“{r.query}”"] if r.query else []
    for name, values in selection.case_filters().items():
        parts.extend(CASE_FILTERS[name].display(values, r.language).values())
    return " · ".join(parts)


def _xml_safe(value):
    """Text without the control characters XML 1.0 forbids (Django refuses to write them: one
    form feed in one summary made the whole feed a 500); lists and other values as they are."""
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_xml_safe(item) for item in value)
    return value


class XMLSafeFeedMixin:
    """A feed generator that drops control characters from every text it writes."""

    def write(self, outfile, encoding):
        self.feed = {key: _xml_safe(value) for key, value in self.feed.items()}
        self.items = [{key: _xml_safe(value) for key, value in item.items()} for item in self.items]
        return super().write(outfile, encoding)


class SafeRssFeed(XMLSafeFeedMixin, Rss201rev2Feed):
    pass


class SafeAtomFeed(XMLSafeFeedMixin, Atom1Feed):
    pass


class CaseFeed(Feed):
    feed_type = SafeRssFeed

    def get_object(self, request, selection=None):
        self.request = request
        return selection

    def title(self, selection):
        label = describe(selection)
        base = _("Case studies – CAC Knowledge Platform")
        return f"{base}: {label}" if label else base

    def link(self, selection):
        query = self.request.GET.urlencode()
        return reverse("search") + (f"?{query}" if query else "")

    def description(self, selection):
        return _("New and updated case studies: what cities did against COVID-19.")

    def subtitle(self, selection):
        return self.description(selection)

    def feed_copyright(self, selection):
        return licence_statement()

    def feed_url(self, selection):
        return self.request.get_full_path()

    def items(self, selection):
        newest = []
        for queryset in sel.case_querysets(selection):
            newest += (
                queryset.select_related("city")
                .prefetch_related("policy_areas")
                .order_by("-last_published_at", "-pk")[:FEED_LENGTH]
            )
        newest.sort(key=lambda page: (page.last_published_at, page.pk), reverse=True)
        return newest[:FEED_LENGTH]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return item.get_url(request=self.request) or item.url_path

    def item_guid(self, item):
        return permalink(item, self.request)

    item_guid_is_permalink = True

    def item_pubdate(self, item):
        return item.first_published_at or item.last_published_at

    def item_updateddate(self, item):
        return item.last_published_at or item.first_published_at

    def item_author_name(self, item):
        return author(item)

    def item_categories(self, item):
        return [area.display_name for area in item.policy_areas.all()]

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)
        feed.feed["language"] = obj.language
        return feed


class AtomCaseFeed(CaseFeed):
    feed_type = SafeAtomFeed


@require_safe
def feed_view(request, fmt: str):
    try:
        selection = sel.parse_selection(request.GET, current_language())
    except BadSearchRequest as exc:
        return bad_request(exc)
    feed = AtomCaseFeed() if fmt == "atom" else CaseFeed()
    return feed(request, selection=selection)
