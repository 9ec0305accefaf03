"""`configure_site` gives the default site its public address: the sitemap then names it."""

import pytest

from django.core.management import CommandError, call_command

from wagtail.models import Site

pytestmark = pytest.mark.django_db


def test_the_sitemap_names_the_configured_host(client, en_index):
    call_command("configure_site", "https://cac.example.org", stdout=None)
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port, site.root_url) == ("cac.example.org", 443, "https://cac.example.org")
    sitemap = client.get("/sitemap.xml", HTTP_HOST="cac.example.org", secure=True).content.decode()
    assert "<loc>https://cac.example.org/en/cases/</loc>" in sitemap
    assert "localhost" not in sitemap


def test_an_explicit_port_is_kept(db):
    call_command("configure_site", "http://127.0.0.1:8099/", stdout=None)
    assert Site.objects.get(is_default_site=True).root_url == "http://127.0.0.1:8099"


@pytest.mark.parametrize(
    "url", ["cac.example.org", "ftp://cac.example.org", "https://cac.example.org/en/", "https://x:99999"]
)
def test_a_bad_url_is_refused_and_nothing_changes(db, url):
    before = Site.objects.get(is_default_site=True).root_url
    with pytest.raises(CommandError):
        call_command("configure_site", url)
    assert Site.objects.get(is_default_site=True).root_url == before
