"""The summit's ten policy areas, in English and Korean, with stable slugs."""

import uuid

from django.db import migrations

POLICY_AREAS = [
    # slug, English name, Korean name, English description, Korean description
    ("quarantine", "Quarantine measures", "방역",
     "Testing, tracing, isolation and the everyday prevention that slows the virus.",
     "검사, 역학조사, 격리, 그리고 감염 확산을 늦추는 일상 속 방역."),
    ("climate-environment", "Climate & environment", "기후·환경",
     "A green recovery: cleaner air, energy and climate action after the pandemic.",
     "그린 뉴딜과 맑은 공기, 에너지 전환 등 팬데믹 이후의 기후 행동."),
    ("education", "Education", "교육",
     "Keeping children learning: distance learning, devices and safe schools.",
     "원격 수업과 기기 지원, 안전한 학교로 배움을 이어가는 정책."),
    ("urban-sharing", "Urban sharing", "도시 공유",
     "Sharing streets, spaces and goods so that the city stays resilient.",
     "거리와 공간, 물품을 함께 나누어 회복력 있는 도시를 만드는 정책."),
    ("citizen-participation", "Citizen participation", "시민 참여",
     "What civil society and neighbours did, and how cities kept citizens informed.",
     "시민사회와 지역공동체의 참여, 그리고 시민과 정보를 나누는 방법."),
    ("culture", "Culture", "문화",
     "Performances, museums and artists through closures: online and at a distance.",
     "휴관과 거리두기 속의 공연, 박물관, 예술인 지원과 비대면 문화."),
    ("welfare", "Welfare", "복지",
     "Support for people the crisis hit hardest: income, care and food.",
     "위기에 가장 크게 타격받은 이들을 위한 소득, 돌봄, 먹거리 지원."),
    ("public-transportation", "Public transportation", "대중교통",
     "Safe buses and trains, and space for walking and cycling.",
     "안전한 버스와 지하철, 걷기와 자전거를 위한 공간."),
    ("smart-city", "Smart city", "스마트시티",
     "Data, digital services and ICT used against the pandemic.",
     "데이터와 디지털 서비스, ICT를 활용한 감염병 대응."),
    ("sports", "Sports", "스포츠",
     "Playing and watching sport safely: leagues, gyms and events.",
     "리그, 체육시설, 경기를 안전하게 운영하기 위한 대책."),
]


def create_policy_areas(apps, schema_editor):
    Locale = apps.get_model("wagtailcore.Locale")
    PolicyArea = apps.get_model("casestudies.PolicyArea")
    en, _ = Locale.objects.get_or_create(language_code="en")
    ko, _ = Locale.objects.get_or_create(language_code="ko")
    for order, (slug, name_en, name_ko, description_en, description_ko) in enumerate(POLICY_AREAS, start=1):
        key = uuid.uuid5(uuid.NAMESPACE_URL, f"cac-policy-area:{slug}")
        for locale, name, description in ((en, name_en, description_en), (ko, name_ko, description_ko)):
            PolicyArea.objects.update_or_create(
                slug=slug,
                locale=locale,
                defaults={
                    "name": name,
                    "description": description,
                    "sort_order": order,
                    "translation_key": key,
                },
            )


def remove_policy_areas(apps, schema_editor):
    apps.get_model("casestudies.PolicyArea").objects.filter(
        slug__in=[row[0] for row in POLICY_AREAS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("casestudies", "0001_initial"),
        ("home", "0002_locales_and_home_pages"),
    ]

    operations = [migrations.RunPython(create_policy_areas, remove_policy_areas)]
