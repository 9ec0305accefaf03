"""Admin wiring of the questions app (the inbox, its log action), and the form handler on case pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from wagtail import hooks

from ops.model_moves import moved_admin_pages

from .asking import handle_question, is_question_post
from .forwarding import FORWARD_ACTION
from .inbox import CaseQuestionViewSet


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


@hooks.register("register_admin_urls")
def register_old_inbox_addresses():
    # The inbox was /admin/community_question/ while it was part of the community app.
    return [moved_admin_pages("community_question", CaseQuestionViewSet.name)]


@hooks.register("register_log_actions")
def register_question_log_actions(actions):
    actions.register_action(FORWARD_ACTION, _("Forward to the city"), _("Forwarded to the city"))
