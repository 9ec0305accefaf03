"""Spelling vocabulary and the thesaurus of everyday words (search.spelling, search.synonyms).

- `SpellingTerm` / `SpellingWord`: the index's own words, counted from the analysed text the
  index already holds (written forms of English words are taken from titles and summaries
  here; `rebuild_search_index` adds those of the bodies);
- `SynonymGroup`: a starting thesaurus of everyday words that are not measure types (those
  have their own aliases, casestudies 0004), in English and Korean.
"""

from collections import Counter

from django.db import migrations, models

# One group per line of words that mean the same: (English, Korean).
THESAURUS = [
    (["wifi", "wi-fi", "wireless internet", "free internet"], ["와이파이", "무선 인터넷"]),
    (["bus", "buses"], ["버스", "시내버스"]),
    (["subway", "metro", "underground railway"], ["지하철", "도시철도"]),
    (["hospital"], ["병원", "의료기관"]),
    (["vaccine", "jab", "immunisation", "shots"], ["백신", "예방접종"]),
    (["coronavirus", "covid", "covid-19", "corona"], ["코로나", "코로나19", "신종 코로나바이러스"]),
    (["quarantine", "isolation"], ["격리"]),
    (["mask"], ["마스크"]),
    (["school"], ["학교"]),
    (["pupils", "students", "schoolchildren"], ["학생"]),
    (["children", "kids", "child"], ["어린이", "아동", "아이들"]),
    (["people with disabilities", "disabled people", "disability"], ["장애인"]),
    (["migrants", "migrant workers", "foreign residents"], ["외국인", "이주노동자", "외국인 주민"]),
    (["city hall", "city government", "municipality", "local government"], ["시청", "지자체", "지방자치단체"]),
    (["app", "mobile app", "smartphone app"], ["앱", "어플", "애플리케이션"]),
    (["taxi"], ["택시"]),
    (["delivery", "home delivery"], ["배달", "택배"]),
    (["restaurants", "cafes", "bars"], ["식당", "음식점", "카페"]),
    (["tourism", "tourists"], ["관광", "관광객"]),
    (["mental health", "depression", "loneliness"], ["정신건강", "코로나 우울", "코로나 블루"]),
    (["domestic violence"], ["가정폭력"]),
    (["unemployment", "job losses"], ["실업", "일자리 감소"]),
]


def add_thesaurus(apps, schema_editor):
    SynonymGroup = apps.get_model("search.SynonymGroup")
    if SynonymGroup.objects.exists():
        return
    SynonymGroup.objects.bulk_create(
        SynonymGroup(terms="\n".join(english), terms_ko="\n".join(korean)) for english, korean in THESAURUS
    )


def count_index(apps, schema_editor):
    """The vocabulary of the documents already indexed, from their analysed text."""
    from search.spelling import document_terms, document_words

    SearchDocument = apps.get_model("search.SearchDocument")
    SpellingTerm = apps.get_model("search.SpellingTerm")
    SpellingWord = apps.get_model("search.SpellingWord")
    counts: Counter = Counter()
    words: dict[tuple[str, str], str] = {}
    rows = SearchDocument.objects.values_list("language", "title", "summary", "text__index_title", "text__index_body")
    for language, title, summary, title_index, body_index in rows.iterator(chunk_size=2000):
        terms = document_terms(title_index or "", body_index or "")
        counts.update((language, term) for term in terms)
        for word, term in document_words(f"{title} {summary}", terms).items():
            words.setdefault((language, word), term)
    SpellingTerm.objects.bulk_create(
        (SpellingTerm(language=language, term=term, doc_count=count) for (language, term), count in counts.items()),
        batch_size=2000,
    )
    SpellingWord.objects.bulk_create(
        (SpellingWord(language=language, word=word, term=term) for (language, word), term in words.items()),
        batch_size=2000,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('search', '0008_semantic'),
    ]

    operations = [
        migrations.CreateModel(
            name='SynonymGroup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('terms', models.TextField(blank=True, help_text='One word or phrase per line.', verbose_name='English words')),
                ('terms_ko', models.TextField(blank=True, help_text='One word or phrase per line.', verbose_name='Korean words')),
            ],
            options={
                'verbose_name': 'synonym group',
                'verbose_name_plural': 'synonym groups',
                'ordering': ['terms'],
            },
        ),
        migrations.CreateModel(
            name='SpellingTerm',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('language', models.CharField(max_length=8)),
                ('term', models.CharField(max_length=64)),
                ('doc_count', models.IntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('language', 'term'), name='search_spelling_term_unique')],
            },
        ),
        migrations.CreateModel(
            name='SpellingWord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('language', models.CharField(max_length=8)),
                ('word', models.CharField(max_length=64)),
                ('term', models.CharField(max_length=64)),
            ],
            options={
                'indexes': [models.Index(fields=['language', 'term'], name='search_spelling_word_term')],
                'constraints': [models.UniqueConstraint(fields=('language', 'word'), name='search_spelling_word_unique')],
            },
        ),
        migrations.RunPython(add_thesaurus, migrations.RunPython.noop),
        migrations.RunPython(count_index, migrations.RunPython.noop),
    ]
