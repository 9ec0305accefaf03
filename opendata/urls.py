"""Open-data URLs inside the language prefix (`/en/…`, `/ko/…`); the API lives in `opendata.api.urls`."""

from django.urls import path, re_path

from . import exports, feeds, inspirations, views

app_name = "opendata"

urlpatterns = [
    re_path(r"^data/cases\.(?P<fmt>csv|jsonl|json)$", exports.export_view, name="export"),
    re_path(r"^data/inspirations\.(?P<fmt>csv)$", inspirations.inspirations_view, name="inspirations"),
    re_path(r"^feeds/cases\.(?P<fmt>rss|atom)$", feeds.feed_view, name="feed"),
    path("case/<int:pk>/", views.case_permalink, name="case_permalink"),
    path("case/<int:pk>/cite.bib", views.case_bibtex, name="case_bibtex"),
    path("case/<int:pk>/cite.ris", views.case_ris, name="case_ris"),
    path("explore/", views.explore, name="explore"),
    path("cities/", views.city_index, name="city_index"),
    # Any word characters: a city slug in another script (made before slugs were ASCII, or by
    # hand) is a working page, never a NoReverseMatch on the pages that link it.
    re_path(r"^cities/(?P<slug>[-\w]+)/$", views.city_profile, name="city"),
]
