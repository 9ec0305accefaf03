"""The editors' questions inbox: statuses and filters, forwarding by e-mail to the case's contact,
answering and publishing, and who may do what."""

import pytest

from django.core import mail
from django.urls import reverse

from questions.factories import CaseQuestionFactory
from questions.models import CaseQuestion, QuestionStatus

from .fixtures.questions import COMMUNITY_CONTACT

pytestmark = pytest.mark.django_db


@pytest.fixture
def questions(community_case):
    return {
        "new": CaseQuestionFactory(
            case=community_case["ko"], message="주말 인력은 어떻게 배치했나요?", language="ko"
        ),
        "forwarded": CaseQuestionFactory(
            case=community_case["en"], message="Which tests did you use?", status="forwarded"
        ),
        "answered": CaseQuestionFactory(
            case=community_case["en"], message="How long did a test take?", answer="Ten minutes."
        ),
    }


def test_the_inbox_lists_questions_with_their_status(admin_client, questions):
    response = admin_client.get(reverse("questions:index"))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("주말 인력은 어떻게 배치했나요?", "Which tests did you use?", "How long did a test take?"):
        assert text in html
    assert "Forwarded to the city" in html and "Answered" in html
    assert "Ana Lee (City of Aville, Aville)" in html


def test_the_inbox_filters_by_status(admin_client, questions):
    html = admin_client.get(reverse("questions:index"), {"status": "new"}).content.decode()
    assert "주말 인력은" in html
    assert "Which tests did you use?" not in html
    assert "How long did a test take?" not in html
    html = admin_client.get(reverse("questions:index"), {"status": "answered"}).content.decode()
    assert "How long did a test take?" in html and "주말 인력은" not in html


def test_the_inbox_searches_the_questions(admin_client, questions):
    html = admin_client.get(reverse("questions:index"), {"q": "tests"}).content.decode()
    assert "Which tests did you use?" in html
    assert "How long did a test take?" not in html


def test_an_unknown_status_filter_is_not_a_500(admin_client, questions):
    response = admin_client.get(reverse("questions:index"), {"status": "bogus\x00"})
    assert response.status_code == 200


def test_the_editor_sees_the_whole_question(admin_client, questions):
    question = questions["new"]
    html = admin_client.get(reverse("questions:edit", args=[question.pk])).content.decode()
    assert "주말 인력은 어떻게 배치했나요?" in html
    assert "ana@example.org" in html  # editors see the address; the public never does
    assert reverse("questions:forward", args=[question.pk]) in html


def test_forwarding_e_mails_the_case_contact(admin_client, questions):
    question = questions["new"]
    url = reverse("questions:forward", args=[question.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert COMMUNITY_CONTACT in page.content.decode()
    assert mail.outbox == []
    response = admin_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("questions:edit", args=[question.pk])
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [COMMUNITY_CONTACT]
    assert message.reply_to == ["ana@example.org"]
    assert "드라이브스루 선별진료소" in message.subject  # the Korean case the question was asked on
    assert "주말 인력은 어떻게 배치했나요?" in message.body
    assert "Ana Lee" in message.body and "City of Aville" in message.body
    assert "/ko/cases/drive-through/" in message.body
    question.refresh_from_db()
    assert question.status == QuestionStatus.FORWARDED
    assert question.forwarded_to == COMMUNITY_CONTACT
    assert question.forwarded_at is not None


def test_forwarding_without_a_contact_address_is_an_error_message(admin_client, community_case):
    from casestudies.models import CaseStudyPage

    CaseStudyPage.objects.filter(pk=community_case["en"].pk).update(contact_email="")
    question = CaseQuestionFactory(case=CaseStudyPage.objects.get(pk=community_case["en"].pk))
    url = reverse("questions:forward", args=[question.pk])
    assert "no contact e-mail address" in admin_client.get(url).content.decode()
    response = admin_client.post(url, follow=True)
    assert response.status_code == 200
    assert "no contact e-mail address" in response.content.decode()
    assert mail.outbox == []
    question.refresh_from_db()
    assert question.status == QuestionStatus.NEW


def test_forwarding_an_unknown_question_is_a_404(admin_client, community_case):
    # community_case, as every test of the module asks for it: the case is then built once for the
    # module instead of once per test.
    # (LocaleMiddleware first tries the path under /en/, as for every admin 404.)
    response = admin_client.get(reverse("questions:forward", args=[999999]), follow=True)
    assert response.status_code == 404


def test_the_editor_writes_and_publishes_the_answer(admin_client, client, questions, community_case):
    question = questions["forwarded"]
    url = reverse("questions:edit", args=[question.pk])
    response = admin_client.post(
        url,
        {
            "status": "forwarded",
            "answer": "Rapid antigen tests first, then PCR for every positive result.",
            "publish_answer": "on",
        },
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.status == QuestionStatus.ANSWERED
    assert question.publish_answer
    for case in community_case.values():
        html = client.get(case.url).content.decode()
        assert "Rapid antigen tests first" in html
        assert "ana@example.org" not in html


def test_publishing_without_an_answer_is_a_form_error(admin_client, questions):
    question = questions["new"]
    response = admin_client.post(
        reverse("questions:edit", args=[question.pk]),
        {"status": "new", "answer": "", "publish_answer": "on"},
    )
    assert response.status_code == 200
    assert "Write the answer before publishing it." in response.content.decode()
    question.refresh_from_db()
    assert not question.publish_answer


def test_the_asker_fields_cannot_be_changed_in_the_admin(admin_client, questions):
    question = questions["new"]
    admin_client.post(
        reverse("questions:edit", args=[question.pk]),
        {"status": "new", "answer": "", "email": "changed@example.org", "message": "changed"},
    )
    question.refresh_from_db()
    assert question.email == "ana@example.org"
    assert question.message == "주말 인력은 어떻게 배치했나요?"


def test_nobody_adds_a_question_in_the_admin(admin_client, questions):
    html = admin_client.get(reverse("questions:index")).content.decode()
    assert reverse("questions:add") not in html
    response = admin_client.post(reverse("questions:add"), {"message": "made up"})
    assert response.status_code in {302, 403}
    assert CaseQuestion.objects.count() == 3


@pytest.mark.parametrize("group", ["Editors", "Reviewers"])
def test_editors_and_reviewers_work_the_inbox(client, make_user, questions, group):
    client.force_login(make_user("erin", group))
    assert client.get(reverse("questions:index")).status_code == 200
    question = questions["new"]
    assert client.get(reverse("questions:forward", args=[question.pk])).status_code == 200
    assert client.post(reverse("questions:forward", args=[question.pk])).status_code == 302
    assert len(mail.outbox) == 1


def test_city_editors_do_not_see_the_inbox(client, make_user, questions):
    client.force_login(make_user("carl", "City editors"))
    response = client.get(reverse("questions:index"))
    assert response.status_code in {302, 403}
    response = client.post(reverse("questions:forward", args=[questions["new"].pk]))
    assert response.status_code in {302, 403}
    assert mail.outbox == []


def test_the_inbox_keeps_its_old_addresses(admin_client, questions):
    """The inbox was /admin/community_question/ when questions were part of the community app."""
    question = questions["new"]
    response = admin_client.get(f"/admin/community_question/edit/{question.pk}/?next=%2Fadmin%2F")
    assert response.status_code == 301
    assert response["Location"] == f"{reverse('questions:edit', args=[question.pk])}?next=%2Fadmin%2F"
    assert admin_client.get("/admin/community_question/").headers["Location"] == reverse("questions:index")
