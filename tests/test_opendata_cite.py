"""Cite a case: a permalink that survives a slug change, APA text, BibTeX and RIS, last-updated date."""

from opendata.cite import apa_citation, bibtex, bibtex_escape, ris


def test_permalink_redirects_to_the_case(client, opendata_cases):
    case = opendata_cases["seoul"]
    response = client.get(f"/en/case/{case.pk}/")
    assert response.status_code == 302
    assert response["Location"] == case.url


def test_permalink_survives_a_slug_change(client, opendata_cases, django_capture_on_commit_callbacks):
    case = opendata_cases["seoul"]
    old_url = case.url
    case.slug = "drive-through-screening"
    with django_capture_on_commit_callbacks(execute=True):  # Wagtail creates its redirect after commit
        case.save_revision().publish()
    case.refresh_from_db()
    assert case.url != old_url
    assert client.get(f"/en/case/{case.pk}/")["Location"] == case.url
    # The old address keeps working too (Wagtail's automatic redirects).
    old = client.get(old_url)
    assert old.status_code in (301, 302)
    assert old["Location"].endswith(case.url)


def test_permalinks_of_drafts_private_and_unknown_pages_are_404(client, opendata_cases):
    for case in (opendata_cases["draft"], opendata_cases["private"]):
        assert client.get(f"/en/case/{case.pk}/").status_code == 404
        assert client.get(f"/en/case/{case.pk}/cite.bib").status_code == 404
        assert client.get(f"/en/case/{case.pk}/cite.ris").status_code == 404
    assert client.get("/en/case/999999/").status_code == 404
    home = opendata_cases["seoul"].get_parent().get_parent()
    assert client.get(f"/en/case/{home.pk}/").status_code == 404  # not a case


def test_case_page_shows_the_cite_block(client, opendata_cases):
    case = opendata_cases["seoul"]
    html = client.get(case.url).content.decode()
    assert "Cite this case" in html
    assert f"/en/case/{case.pk}/" in html
    assert f"/en/case/{case.pk}/cite.bib" in html and f"/en/case/{case.pk}/cite.ris" in html
    assert f'datetime="{case.last_published_at:%Y-%m-%d}"' in html
    assert "Seoul Metropolitan Government. (" in html


def test_apa_text(opendata_cases):
    case = opendata_cases["seoul"]
    text = apa_citation(case)
    day = case.last_published_at
    assert text.startswith(f"Seoul Metropolitan Government. ({day.year}, ")
    assert "Drive-through screening stations. CAC Knowledge Platform. " in text
    assert text.endswith(f"/en/case/{case.pk}/")
    # Without a contact organisation the platform is the author, named once.
    nairobi = apa_citation(opendata_cases["nairobi"])
    assert nairobi.startswith("CAC Knowledge Platform. (") and nairobi.count("CAC Knowledge Platform") == 1


def test_bibtex_download(client, opendata_cases):
    case = opendata_cases["seoul"]
    response = client.get(f"/en/case/{case.pk}/cite.bib")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-bibtex")
    text = response.content.decode()
    assert text.startswith(f"@misc{{cac{case.pk}")
    assert "author = {{Seoul Metropolitan Government}}" in text
    assert "title = {{Drive-through screening stations}}" in text
    assert f"url = {{http://testserver/en/case/{case.pk}/}}" in text
    assert text.count("{") == text.count("}")
    assert text == bibtex(case, response.wsgi_request)


def test_bibtex_escapes_special_characters():
    assert bibtex_escape("R&D {50%} $1 #2 a_b ~ ^") == r"R\&D \{50\%\} \$1 \#2 a\_b \~{} \^{}"


def test_ris_download(client, opendata_cases):
    case = opendata_cases["seoul_ko"]
    response = client.get(f"/ko/case/{case.pk}/cite.ris")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-research-info-systems")
    text = response.content.decode()
    lines = text.split("\r\n")
    assert lines[0] == "TY  - ELEC"
    assert "TI  - 드라이브스루 선별진료소" in lines
    assert "LA  - ko" in lines
    assert f"UR  - http://testserver/ko/case/{case.pk}/" in lines
    assert lines[-2] == "ER  - " and lines[-1] == ""
    assert text == ris(case, response.wsgi_request)
