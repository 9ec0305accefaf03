"""POST data of the Wagtail admin's case-study edit form, and its submission for review, shared by
the editorial tests."""

from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield


def case_form(page, **overrides):
    """The edit form of `page` as it stands, with `overrides`; a case without areas gets quarantine."""
    from casestudies.models import PolicyArea

    data = {
        "title": page.title,
        "slug": page.slug,
        "summary": page.summary,
        "city": page.city_id,
        "measure_types": "",
        "start_date": page.start_date.isoformat(),
        "end_date": "",
        "body": streamfield([]),
        "timeline": streamfield([]),
        "outcomes": rich_text(""),
        "lessons_learned": rich_text(""),
        "sources": inline_formset([]),
        "outcome_evidence": inline_formset([]),
        "inspired_by": inline_formset([]),
        "contact_organisation": "",
        "contact_email": "",
        "contact_person": "",
    }
    data.update(overrides)
    form = nested_form_data(data)
    form["policy_areas"] = [area.pk for area in page.policy_areas.all()] or [
        PolicyArea.objects.get(slug="quarantine", locale__language_code="en").pk
    ]
    return form


def submit_for_review(client, page, **overrides):
    """Post the edit form of `page` (with `overrides`) with "Submit for review", as the signed-in
    user of `client`; returns the case read again."""
    from casestudies.models import CaseStudyPage

    form = case_form(page, **overrides)
    form["action-submit"] = "action-submit"
    response = client.post(f"/admin/pages/{page.pk}/edit/", form)
    assert response.status_code == 302, response.content[:500]
    return CaseStudyPage.objects.get(pk=page.pk)
