"""Aliases of the measure types: the everyday words officials type, in English and Korean.

Search expands a query with them (search.synonyms): `SMEs` also looks for small-business support
and 소상공인, `seniors` for the protection of older people. Editors change them with the measure
type; this sets a starting list for every curated type whose aliases are still empty.
"""

from django.db import migrations, models

# slug: (English aliases, Korean aliases). Each line must analyse differently from the name and
# from the other lines (tests/test_search_synonyms.py checks every one with the admin's rules).
ALIASES = {
    "testing": (
        ["covid test", "coronavirus test", "PCR test", "swab test", "mass testing", "free testing",
         "rapid test", "antigen test", "test centre", "test center"],
        ["코로나 검사", "PCR 검사", "코로나19 검사", "선제 검사", "전수 검사", "무료 검사", "신속항원검사", "검사소"],
    ),
    "drive-through-testing": (
        ["drive-thru", "drive-thru testing", "drive-in test site", "drive-through clinic", "drive-through screening",
         "car testing station", "testing in cars"],
        ["드라이브스루", "드라이브스루 검사", "승차검진", "차량 이동형 선별진료소", "자동차 선별진료소"],
    ),
    "walk-through-testing": (
        ["walk-thru", "walk-thru testing", "walk-in testing booth", "testing booth", "phone booth testing",
         "glove wall booth"],
        ["워크스루", "도보 이동형 선별진료소", "검체 채취 부스", "음압 부스", "공중전화 부스형 검사"],
    ),
    "contact-tracing": (
        ["contact tracking", "tracking contacts", "trace contacts", "contact tracers", "epidemiological investigation",
         "track and trace", "test and trace", "tracing app", "exposure notification"],
        ["역학조사", "접촉자 조사", "동선 추적", "확진자 동선", "밀접접촉자 관리", "접촉자 추적 앱"],
    ),
    "digital-contact-registration": (
        ["QR check-in", "QR code", "electronic visitor log", "visitor log", "guest book", "venue check-in",
         "sign-in sheet", "check-in app"],
        ["QR코드", "QR 체크인", "출입명부", "전자출입명부", "안심콜", "방문자 명부", "수기 명부"],
    ),
    "mask-mandate": (
        ["face coverings", "face masks", "mandatory masks", "mask wearing", "wear a mask", "mask rules",
         "mask requirement", "compulsory masks"],
        ["마스크 착용", "마스크 의무", "마스크 쓰기", "마스크 미착용 과태료", "안면 가리개"],
    ),
    "mask-distribution": (
        ["free masks", "mask supply", "mask shortage", "public masks", "mask rationing", "handing out masks",
         "KF94 masks"],
        ["공적마스크", "마스크 5부제", "마스크 나눔", "무료 마스크", "마스크 배부", "마스크 공급", "면 마스크 제작"],
    ),
    "handwashing-stations": (
        ["hand washing", "handwashing", "wash hands", "hand sanitiser", "hand sanitizer", "hand gel",
         "sanitiser stations", "portable sinks"],
        ["손 씻기", "손소독제", "손 소독", "세면대", "손 씻기 캠페인"],
    ),
    "disinfection-of-public-spaces": (
        ["street disinfection", "disinfecting streets", "sanitising public places", "fumigation", "deep cleaning",
         "spraying disinfectant", "cleaning public toilets"],
        ["방역 소독", "거리 소독", "살균 소독", "방역 작업", "공중화장실 소독"],
    ),
    "public-transport-disinfection": (
        ["bus disinfection", "cleaning buses", "subway disinfection", "metro cleaning", "disinfecting trains",
         "sanitising buses", "transit cleaning"],
        ["버스 소독", "지하철 소독", "지하철 방역", "버스 방역", "대중교통 소독"],
    ),
    "public-transport-capacity-limits": (
        ["bus capacity", "passenger limits", "fewer passengers", "crowding on buses", "crowded trains",
         "transit crowding", "distancing on public transport"],
        ["지하철 혼잡도", "버스 승객 제한", "대중교통 거리두기", "승차 인원 제한", "혼잡도 신호등"],
    ),
    "movement-restrictions": (
        ["lockdown", "curfew", "travel ban", "travel restrictions", "border closure", "cordon sanitaire",
         "checkpoints", "stay local"],
        ["봉쇄", "통행금지", "이동 금지", "지역 봉쇄", "여행 제한", "국경 봉쇄", "외출 제한"],
    ),
    "stay-at-home-order": (
        ["stay home", "shelter in place", "lockdown order", "home confinement", "work from home order"],
        ["집에 머물기", "외출 자제", "재택 명령", "외출 금지", "집콕"],
    ),
    "school-closure": (
        ["closed schools", "schools closed", "school shutdown", "delayed school year", "postponed school opening",
         "no school"],
        ["휴교", "등교 중지", "개학 연기", "학교 폐쇄", "휴업"],
    ),
    "remote-learning": (
        ["home schooling", "homeschooling", "online classes", "online school", "distance learning", "e-learning",
         "virtual classroom", "online lessons", "learning from home", "TV lessons", "radio lessons"],
        ["온라인 수업", "온라인 개학", "비대면 수업", "재택 학습", "홈스쿨링", "EBS 강의", "쌍방향 수업", "원격교육"],
    ),
    "digital-inclusion": (
        ["wifi", "wi-fi", "free wifi", "internet access", "broadband", "digital divide", "laptops for students",
         "tablets for pupils", "device lending", "data plans"],
        ["와이파이", "무료 와이파이", "공공 와이파이", "태블릿 대여", "스마트기기 대여", "디지털 격차", "정보 격차"],
    ),
    "event-cancellation": (
        ["cancelled events", "festival cancelled", "postponed events", "ban on gatherings", "mass gatherings",
         "large gatherings"],
        ["축제 취소", "행사 연기", "집회 금지", "모임 금지", "대규모 행사 금지", "공연 취소"],
    ),
    "sports-without-spectators": (
        ["behind closed doors", "empty stadiums", "no fans", "games without fans", "no spectators",
         "closed-door matches"],
        ["무관중", "관중 없는 경기", "관중 입장 제한", "프로야구 무관중"],
    ),
    "phased-reopening": (
        ["reopening", "gradual reopening", "easing restrictions", "alert levels", "roadmap out of lockdown",
         "lifting lockdown", "living with covid"],
        ["단계적 일상회복", "위드 코로나", "거리두기 완화", "거리두기 단계", "영업 재개", "방역 완화"],
    ),
    "quarantine-facilities": (
        ["quarantine hotels", "isolation centres", "isolation centers", "quarantine centre", "managed isolation",
         "community treatment centres", "isolation facility"],
        ["생활치료센터", "격리 시설", "임시 생활시설", "안심숙소", "격리 호텔", "해외입국자 격리시설"],
    ),
    "self-quarantine-support": (
        ["home quarantine", "quarantine at home", "self-isolation", "self-isolation support", "isolating at home",
         "quarantine kits", "relief kits"],
        ["자가격리", "자가격리 앱", "자가격리 구호물품", "격리자 생활지원", "생활지원비", "자가격리자 관리"],
    ),
    "emergency-healthcare-capacity": (
        ["field hospitals", "temporary hospitals", "extra beds", "hospital beds", "ICU beds",
         "intensive care capacity", "surge capacity", "makeshift hospital"],
        ["임시 병원", "병상 확보", "중환자 병상", "감염병 전담병원", "거점 병원"],
    ),
    "telemedicine": (
        ["telehealth", "online doctor", "video consultations", "phone consultations", "remote consultations",
         "e-prescriptions", "virtual doctor visits"],
        ["원격 진료", "전화 진료", "전화 상담 처방", "화상 진료", "원격의료"],
    ),
    "protection-of-older-people": (
        ["elderly", "seniors", "older people", "older adults", "senior citizens", "aged care", "care homes",
         "nursing homes", "elderly living alone", "older people living alone"],
        ["어르신", "노인", "고령자", "독거노인", "홀몸 어르신", "요양원", "요양병원", "노인 돌봄", "경로당"],
    ),
    "food-delivery-to-vulnerable-people": (
        ["food parcels", "food boxes", "food banks", "meal delivery", "free meals", "grocery delivery", "food aid",
         "meals on wheels"],
        ["도시락 배달", "식료품 꾸러미", "푸드뱅크", "무료 급식", "반찬 배달", "긴급 식료품"],
    ),
    "homeless-shelter-measures": (
        ["homeless", "homeless shelters", "rough sleepers", "people sleeping rough", "hotels for homeless people"],
        ["노숙인", "노숙자", "거리 노숙인", "노숙인 쉼터", "응급 잠자리"],
    ),
    "income-support": (
        ["furlough", "job retention scheme", "wage subsidies", "unemployment benefits", "cash transfers",
         "lost income", "basic income"],
        ["고용유지지원금", "실업급여", "긴급 생계비", "생계 지원", "기본소득"],
    ),
    "emergency-relief-payments": (
        ["stimulus checks", "stimulus payments", "relief payments", "cash handouts", "emergency grants",
         "disaster relief funds", "one-off payment"],
        ["재난지원금", "긴급재난지원금", "재난기본소득", "지역화폐", "선불카드"],
    ),
    "rent-or-debt-relief": (
        ["rent freeze", "rent relief", "rent deferral", "eviction ban", "eviction moratorium", "mortgage holiday",
         "loan deferral", "utility bills"],
        ["임대료 감면", "착한 임대인", "임대료 인하", "대출 상환 유예", "공과금 감면", "퇴거 금지"],
    ),
    "small-business-support": (
        ["SMEs", "small businesses", "small business grants", "small firms", "shop owners", "self-employed",
         "local businesses", "microenterprises"],
        ["소상공인", "자영업자", "중소기업", "소상공인 대출", "자영업 지원", "골목상권"],
    ),
    "volunteer-networks": (
        ["volunteers", "mutual aid", "neighbourhood groups", "neighborhood groups", "community volunteers",
         "good neighbours", "helping neighbours"],
        ["자원봉사", "봉사단", "이웃 돕기", "마을 공동체", "주민 봉사"],
    ),
    "public-information-campaign": (
        ["public awareness", "awareness campaign", "emergency alerts", "text alerts", "press briefings",
         "daily briefings", "health messaging", "posters"],
        ["재난 문자", "안전 안내 문자", "긴급 재난 문자", "브리핑", "홍보 캠페인", "방역 수칙 홍보"],
    ),
    "open-data-dashboard": (
        ["dashboard", "covid dashboard", "case map", "open data", "case numbers", "data portal", "live map"],
        ["현황판", "확진자 현황", "코로나 맵", "공공데이터", "오픈 데이터", "확진자 지도"],
    ),
    "online-cultural-programmes": (
        ["online concerts", "virtual museum tours", "streamed performances", "livestream", "online exhibitions",
         "digital culture", "virtual tours"],
        ["온라인 공연", "랜선 공연", "온라인 전시", "비대면 공연", "온라인 콘서트", "랜선 여행"],
    ),
    "pop-up-bike-lanes": (
        ["bike lanes", "cycle lanes", "bicycle lanes", "cycleways", "cycling infrastructure",
         "temporary bike lanes", "pop-up cycle lanes"],
        ["자전거 도로", "자전거 전용차로", "자전거길", "따릉이", "공공자전거"],
    ),
    "street-space-reallocation": (
        ["outdoor dining", "open streets", "pedestrianisation", "pedestrianization", "parklets", "car-free streets",
         "slow streets", "play streets", "wider pavements", "sidewalk widening"],
        ["보행자 전용 거리", "차 없는 거리", "야외 영업", "테라스 영업", "보행로 확대"],
    ),
    "green-recovery": (
        ["green new deal", "green stimulus", "climate recovery", "sustainable recovery", "build back better",
         "green jobs"],
        ["그린뉴딜", "녹색 회복", "탄소중립", "녹색 일자리", "기후 위기 대응"],
    ),
}


def add_aliases(apps, schema_editor):
    MeasureType = apps.get_model("casestudies.MeasureType")
    for measure in MeasureType.objects.filter(slug__in=list(ALIASES)):
        english, korean = ALIASES[measure.slug]
        if not measure.aliases:
            measure.aliases = "\n".join(english)
        if not measure.aliases_ko:
            measure.aliases_ko = "\n".join(korean)
        measure.save(update_fields=["aliases", "aliases_ko"])


class Migration(migrations.Migration):
    dependencies = [("casestudies", "0005_city_name_ko_optional")]

    operations = [
        migrations.AddField(
            model_name="measuretype",
            name="aliases",
            field=models.TextField(
                blank=True,
                help_text="Words people search with for this measure, one per line, e.g. drive-thru, SMEs.",
                verbose_name="other names (English)",
            ),
        ),
        migrations.AddField(
            model_name="measuretype",
            name="aliases_ko",
            field=models.TextField(
                blank=True,
                help_text="Korean words people search with for this measure, one per line, e.g. 어르신.",
                verbose_name="other names (Korean)",
            ),
        ),
        migrations.RunPython(add_aliases, migrations.RunPython.noop),
    ]
