"""Peer exchange on a case page: a city official asks the city behind a case a question.

Stored for the editors' inbox; bad input gets form errors (400) that keep what was typed; abuse is
answered with a honeypot, size limits, no HTML and per-address / per-e-mail rate limits (429); the
asker's e-mail never appears on a public page; published answers appear under the case."""

import pytest

from django.test import Client
from django.utils import translation
from django.utils.html import escape

from wagtail.models import PageViewRestriction

from questions.factories import CaseQuestionFactory
from questions.models import CaseQuestion, QuestionStatus

pytestmark = pytest.mark.django_db

VALID = {
    "community_form": "question",
    "name": "Ana Lee",
    "organisation": "City of Aville",
    "city": "Aville",
    "email": "Ana.Lee@Example.org",
    "message": "How did you staff the drive-through stations at weekends?",
    "website": "",
}


def t(code, message, **params):
    """An interface string as the visitor sees it in `code` (translated or not yet)."""
    with translation.override(code):
        text = translation.gettext(message)
    return escape(text % params if params else text)


def post(client, url, **changes):
    """POST the form; upper-case keyword arguments (HTTP_ORIGIN=...) are request headers."""
    meta = {key: changes.pop(key) for key in list(changes) if key.isupper()}
    return client.post(url, {**VALID, **changes}, **meta)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(community_no_ratelimit):
    yield


def test_the_form_is_on_both_language_versions(client, community_case):
    for case in community_case.values():
        html = client.get(case.url).content.decode()
        assert 'id="ask-a-question"' in html
        assert 'name="community_form" value="question"' in html
        assert 'name="website"' in html  # the honeypot, hidden from people
        assert 'class="exchange__hp" aria-hidden="true"' in html


def test_a_question_is_stored_and_the_asker_is_thanked(client, community_case):
    case = community_case["en"]
    response = post(client, case.url)
    assert response.status_code == 303
    assert response["Location"] == f"{case.url}?asked=1#ask-a-question"
    question = CaseQuestion.objects.get()
    assert question.case_id == case.pk
    assert question.language == "en"
    assert question.status == QuestionStatus.NEW
    assert question.email == "ana.lee@example.org"
    assert (question.name, question.organisation, question.city) == ("Ana Lee", "City of Aville", "Aville")
    thanks = client.get(f"{case.url}?asked=1").content.decode()
    assert 'role="status"' in thanks and "your question has been received" in thanks


def test_a_question_in_korean_on_the_korean_page(client, community_case):
    case = community_case["ko"]
    message = "드라이브스루 선별진료소의 주말 인력은 어떻게 배치했나요?"
    response = post(
        client, case.url, name="김민지", organisation="부산광역시청", city="부산", message=message
    )
    assert response.status_code == 303
    question = CaseQuestion.objects.get()
    assert question.case_id == case.pk
    assert question.language == "ko"
    assert question.message == message
    assert question.name == "김민지"


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"organisation": "   "}, "organisation", "This field is required."),
        ({"city": ""}, "city", "This field is required."),
        ({"email": ""}, "email", "This field is required."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"message": ""}, "message", "This field is required."),
        ({"message": "Why?"}, "message", "Ensure this value has at least 10 characters"),
        ({"message": "x" * 3001}, "message", "Ensure this value has at most 3000 characters"),
        ({"name": "n" * 121}, "name", "Ensure this value has at most 120 characters"),
        ({"email": "a" * 250 + "@example.org"}, "email", "Ensure this value has at most 254 characters"),
    ],
)
def test_bad_input_is_a_form_error_that_keeps_what_was_typed(client, community_case, changes, field, error):
    case = community_case["en"]
    response = post(client, case.url, **changes)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Your question was not sent" in html
    assert error in html
    assert f'id="ask-{field}_error"' in html
    assert 'aria-invalid="true"' in html
    # What was typed in the other fields is still there.
    for name in ("name", "organisation", "city"):
        if name != field:
            assert f'value="{VALID[name]}"' in html
    if field != "message":
        assert VALID["message"] in html
    assert CaseQuestion.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("message", "Please see <a href='http://spam.example'>this</a> offer"),
        ("message", "<script>alert(1)</script> and how many staff?"),
        ("name", "<b>Ana</b>"),
        ("organisation", "City &amp; County of Aville"),
        ("city", "Aville<!-- hidden -->"),
    ],
)
def test_html_is_rejected_and_shown_back_escaped(client, community_case, field, value):
    response = post(client, community_case["en"].url, **{field: value})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Please write plain text" in html
    assert value not in html  # never echoed unescaped
    assert "<script>alert(1)" not in html
    assert CaseQuestion.objects.count() == 0


def test_control_characters_are_stripped(client, community_case):
    response = post(client, community_case["en"].url, message="How did you staff\x00 the stations\x07?")
    assert response.status_code == 303
    assert CaseQuestion.objects.get().message == "How did you staff the stations?"


def test_the_honeypot_thanks_the_bot_and_stores_nothing(client, community_case):
    case = community_case["en"]
    response = post(client, case.url, website="http://spam.example")
    assert response.status_code == 303
    assert response["Location"].startswith(f"{case.url}?asked=1")
    assert CaseQuestion.objects.count() == 0


def test_too_many_questions_from_one_address_is_a_429(client, community_case, settings):
    settings.COMMUNITY_QUESTION_RATE_IP = "2/h"
    url = community_case["en"].url
    assert post(client, url, email="one@example.org").status_code == 303
    assert post(client, url, email="two@example.org").status_code == 303
    response = post(client, url, email="three@example.org", name="Third Asker")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    html = response.content.decode()
    assert "Too many questions from your address" in html
    assert 'value="Third Asker"' in html  # kept
    assert CaseQuestion.objects.count() == 2
    # Another address is not affected.
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert post(other, url, email="four@example.org").status_code == 303


def test_too_many_questions_from_one_e_mail_address_is_a_429(client, community_case, settings):
    settings.COMMUNITY_QUESTION_RATE_IP = "100/h"
    settings.COMMUNITY_QUESTION_RATE_EMAIL = "1/h"
    url = community_case["ko"].url
    assert post(client, url).status_code == 303
    # The same address in other letter case counts as the same address.
    response = post(client, url, email="ANA.LEE@example.org")
    assert response.status_code == 429
    assert (
        t("ko", "Too many questions from this e-mail address. Please try again later.")
        in response.content.decode()
    )
    assert post(client, url, email="someone.else@example.org").status_code == 303
    assert CaseQuestion.objects.count() == 2


def test_invalid_posts_do_not_use_up_the_e_mail_allowance(client, community_case, settings):
    settings.COMMUNITY_QUESTION_RATE_EMAIL = "1/h"
    url = community_case["en"].url
    assert post(client, url, message="short").status_code == 400
    assert post(client, url).status_code == 303


def test_an_anonymous_question_needs_no_token_but_must_be_same_origin(community_case):
    """No token in the form (the case page stays cacheable); another site's page cannot post it."""
    client = Client(enforce_csrf_checks=True)
    url = community_case["en"].url
    page = client.get(url)
    assert "csrfmiddlewaretoken" not in page.content.decode()
    assert "csrftoken" not in page.cookies
    assert post(client, url, HTTP_ORIGIN="https://attacker.example").status_code == 403
    assert post(client, url, HTTP_SEC_FETCH_SITE="cross-site").status_code == 403
    assert CaseQuestion.objects.count() == 0
    assert (
        post(client, url, HTTP_ORIGIN="http://testserver", HTTP_SEC_FETCH_SITE="same-origin").status_code
        == 303
    )
    assert CaseQuestion.objects.count() == 1


def test_with_a_session_the_usual_token_is_required(community_case, django_user_model):
    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.create_user("editor", password="x"))
    url = community_case["en"].url
    assert "csrfmiddlewaretoken" in client.get(url).content.decode()
    assert post(client, url, HTTP_ORIGIN="http://testserver").status_code == 403
    assert CaseQuestion.objects.count() == 0


def test_other_posts_still_need_the_token(community_case):
    client = Client(enforce_csrf_checks=True)
    response = client.post(community_case["en"].url, {"name": "x"})
    assert response.status_code == 403


def test_a_private_case_stays_private(client, community_case):
    case = community_case["en"]
    PageViewRestriction.objects.create(page=case, restriction_type="password", password="secret")
    response = post(client, case.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "password" in html.lower()
    assert 'id="ask-a-question"' not in html
    assert CaseQuestion.objects.count() == 0


def test_other_posts_are_left_alone(client, community_case):
    # Without the form marker, a POST to a case is an ordinary page view; elsewhere the marker is ignored.
    response = client.post(community_case["en"].url, {"name": "x"})
    assert response.status_code == 200
    response = client.post("/en/", VALID)
    assert response.status_code == 200
    assert CaseQuestion.objects.count() == 0


def test_published_answers_appear_under_every_language_version(client, community_case):
    CaseQuestionFactory(
        case=community_case["en"],
        answer="Six people per lane: two for screening, three for sampling, one for disinfection.",
        publish_answer=True,
    )
    CaseQuestionFactory(
        case=community_case["ko"],
        message="검체 채취 인력은 몇 명이었나요?",
        answer="차로당 세 명입니다.",
        publish_answer=True,
    )
    CaseQuestionFactory(case=community_case["en"], message="A question not yet answered at all.")
    CaseQuestionFactory(
        case=community_case["en"],
        message="Answered privately, not for publication.",
        answer="Private answer.",
    )
    for code, case in community_case.items():
        html = client.get(case.url).content.decode()
        assert "Six people per lane" in html
        assert "차로당 세 명입니다." in html
        assert 'lang="ko"' in html and 'lang="en"' in html
        assert (
            t(code, "Asked by %(organisation)s, %(city)s", organisation="City of Aville", city="Aville")
            in html
        )
        assert "not yet answered" not in html
        assert "Private answer." not in html
        # Never the asker's e-mail address, nor their name.
        assert "ana@example.org" not in html
        assert "Ana Lee" not in html


def test_saving_an_answer_marks_the_question_answered(community_case):
    question = CaseQuestionFactory(case=community_case["en"])
    question.answer = "  Two shifts of twelve hours.  "
    question.save()
    question.refresh_from_db()
    assert question.status == QuestionStatus.ANSWERED
    assert question.answer == "Two shifts of twelve hours."
    assert question.answered_at is not None


def test_publishing_needs_an_answer(community_case):
    from django.core.exceptions import ValidationError

    question = CaseQuestionFactory(case=community_case["en"], publish_answer=True)
    with pytest.raises(ValidationError) as error:
        question.full_clean()
    assert "publish_answer" in error.value.message_dict
