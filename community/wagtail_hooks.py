"""Admin wiring of the community app, and the peer-exchange form handler on case pages."""

from __future__ import annotations

from wagtail import hooks
from wagtail.snippets.models import register_snippet

from .admin_views import CaseQuestionViewSet, LiveStreamViewSet
from .exchange import handle_question, is_question_post


# order=1: inside Wagtail's own view-restriction check (order 0), so a private case stays private.
@hooks.register("on_serve_page", order=1)
def case_question_form(next_serve):
    def serve(page, request, args, kwargs):
        if is_question_post(page, request):
            return handle_question(page, request, next_serve, args, kwargs)
        return next_serve(page, request, args, kwargs)

    return serve


@hooks.register("register_admin_viewset")
def register_question_inbox():
    return CaseQuestionViewSet()


register_snippet(LiveStreamViewSet)


@hooks.register("register_log_actions")
def register_community_log_actions(actions):
    from django.utils.translation import gettext_lazy as _

    actions.register_action(
        "community.question.forward", _("Forward to the city"), _("Forwarded to the city")
    )
