"""The rules of spelling correction (search.spelling) over a vocabulary written for each test: a rare
word is offered only when asked, and the nearest candidate wins, then the most common. The
correction of real cases' words is in tests/test_search_spelling.py."""

from __future__ import annotations

import pytest

from search import spelling
from search.models import SpellingTerm, SpellingWord

pytestmark = pytest.mark.django_db


def test_rare_words_are_offered_only_when_asked(db):
    SpellingTerm.objects.bulk_create(
        [
            SpellingTerm(language="en", term="vaccin", doc_count=40),
            SpellingTerm(language="en", term="vacin", doc_count=1),
        ]
    )
    SpellingWord.objects.bulk_create(
        [
            SpellingWord(language="en", word="vaccine", term="vaccin"),
            SpellingWord(language="en", word="vacine", term="vacin"),
        ]
    )
    assert spelling.correct("vacine", "en") is None  # in the vocabulary: never retried
    assert spelling.correct("vacine", "en", rare=True) == "vaccine"  # but worth a "Did you mean"
    SpellingTerm.objects.filter(term="vaccin").update(doc_count=15)
    spelling.invalidate()
    assert spelling.correct("vacine", "en", rare=True) is None  # not 20 times as common


def test_nearest_then_most_common_candidate_wins(db):
    SpellingTerm.objects.bulk_create(
        [
            SpellingTerm(language="en", term="test", doc_count=50),
            SpellingTerm(language="en", term="text", doc_count=5),
            SpellingTerm(language="en", term="testing", doc_count=3),
        ]
    )
    SpellingWord.objects.bulk_create(
        [
            SpellingWord(language="en", word="test", term="test"),
            SpellingWord(language="en", word="text", term="text"),
            SpellingWord(language="en", word="testing", term="testing"),
        ]
    )
    assert spelling.correct("tesd", "en") == "test"  # test and text are one edit away: test is commoner
    assert spelling.correct("testinng", "en") == "testing"  # one edit beats a commoner word two away
    assert spelling.correct("xylophone", "en") is None  # nothing near: no guess
