"""Dashboard panels: case studies per policy area, and case studies awaiting review."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, IntegerField, Q
from django.db.models.functions import Cast

from wagtail.admin.ui.components import Component
from wagtail.models import Page, WorkflowState
from wagtail.permissions import page_permission_policy

from casestudies.evidence import evidence_label, strongest
from casestudies.models import CaseStudyPage, PolicyArea

AWAITING_LIMIT = 10


def _in_review_ids():
    return (
        WorkflowState.objects.active()
        .filter(base_content_type=ContentType.objects.get_for_model(Page))
        .annotate(page_id=Cast("object_id", IntegerField()))
        .values("page_id")
    )


def cases_awaiting_review():
    return CaseStudyPage.objects.filter(pk__in=_in_review_ids())


def _can_see(request) -> bool:
    return page_permission_policy.user_has_any_permission(request.user, ["add", "change", "publish"])


class CasesPerAreaPanel(Component):
    name = "editorial_cases_per_area"
    template_name = "editorial/panels/cases_per_area.html"
    order = 150

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        if not _can_see(request):
            return {"areas": []}
        live = Q(cases__live=True)
        review = Q(cases__pk__in=_in_review_ids())
        counts = {
            row["slug"]: row
            for row in PolicyArea.objects.values("slug").annotate(
                total=Count("cases", distinct=True),
                live=Count("cases", filter=live, distinct=True),
                in_review=Count("cases", filter=review, distinct=True),
            )
        }
        areas = []
        for area in PolicyArea.objects.filter(locale__language_code=settings.LANGUAGE_CODE).order_by(
            "sort_order"
        ):
            row = counts.get(area.slug, {})
            areas.append(
                {
                    "area": area,
                    "total": row.get("total", 0),
                    "live": row.get("live", 0),
                    "in_review": row.get("in_review", 0),
                }
            )
        return {"areas": areas, "request": request}


def _submitted_level(case) -> int | None:
    """The evidence level of the revision under review (the page row holds the live version's)."""
    revision = case.latest_revision
    if revision is None:
        return case.evidence_level
    return strongest(item.get("level") for item in revision.content.get("outcome_evidence") or [])


class CasesAwaitingReviewPanel(Component):
    name = "editorial_cases_awaiting_review"
    template_name = "editorial/panels/cases_awaiting_review.html"
    order = 215

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        if not _can_see(request):
            return {"cases": [], "count": 0}
        cases = cases_awaiting_review().select_related("city", "locale", "latest_revision")
        states = {
            state.object_id: state
            for state in WorkflowState.objects.active()
            .filter(
                object_id__in=[str(pk) for pk in cases.values_list("pk", flat=True)[: AWAITING_LIMIT * 5]]
            )
            .select_related("current_task_state__task", "requested_by")
        }
        listed = list(cases.order_by("-latest_revision_created_at")[:AWAITING_LIMIT])
        for case in listed:
            state = states.get(str(case.pk))
            case.review_task = (
                state.current_task_state.task.name if state and state.current_task_state else ""
            )
            case.review_requested_by = state.requested_by if state else None
            case.review_evidence = evidence_label(_submitted_level(case))
        return {"cases": listed, "count": cases.count(), "request": request}
